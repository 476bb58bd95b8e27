"""Two-factor authentication for staff, on allauth's own MFA (``allauth.mfa``: authenticator app and recovery codes).

Superusers and members of ``settings.TWO_FACTOR_REQUIRED_GROUPS`` (Moderators, Results) must have an
authenticator app (TOTP) before any admin page: they hide citizens' words and see who voted what. Editors and
citizens may turn it on from their profile. allauth asks for the code at every login of anyone who has it on.
"""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

# Where the admin page they were going to is kept while they set up the authenticator app.
NEXT_SESSION_KEY = "staff_two_factor_next"


def two_factor_required(user):
    """True for the people who must use two-factor before the admin."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=settings.TWO_FACTOR_REQUIRED_GROUPS).exists()


def has_authenticator_app(user):
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def continue_url(request):
    """The admin page a staff member was going to before setting up two-factor, if any (kept in the session)."""
    url = request.session.get(NEXT_SESSION_KEY, "")
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
        return url
    return ""


class StaffTwoFactorMiddleware:
    """Sends staff who must use two-factor, and have no authenticator app yet, to allauth's activation page.

    Wagtail has no per-request hook for the whole admin, so this looks at the path: everything under the
    admin's prefix except logging out. After activation allauth shows the recovery codes, whose page offers
    the way back to the admin page they asked for.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.applies_to(request):
            if not has_authenticator_app(request.user):
                request.session[NEXT_SESSION_KEY] = request.get_full_path()
                messages.warning(
                    request,
                    _(
                        "Your role requires two-factor authentication. Set up an authenticator app "
                        "to continue to the admin."
                    ),
                )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            request.session.pop(NEXT_SESSION_KEY, None)  # writes the session only if it was there
        return self.get_response(request)

    @staticmethod
    def applies_to(request):
        admin = reverse("wagtailadmin_home")
        path = request.path_info
        return (
            path.startswith(admin)
            and path not in (reverse("wagtailadmin_logout"), reverse("admin_login"))
            and two_factor_required(request.user)
        )
