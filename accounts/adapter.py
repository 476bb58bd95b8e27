from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.utils.translation import get_language


class CitizenAccountAdapter(DefaultAccountAdapter):
    """Keeps citizens in their language: emails and redirects follow the active locale."""

    def get_login_redirect_url(self, request):
        return f"/{get_language() or 'it'}/"

    def get_logout_redirect_url(self, request):
        return f"/{get_language() or 'it'}/"

    def get_email_verification_redirect_url(self, email_address):
        return f"/{get_language() or 'it'}/"


class StaffMFAAdapter(DefaultMFAAdapter):
    """Staff who must use two-factor (accounts/mfa.py) cannot switch their authenticator app off themselves.

    They would only be sent to set it up again at the next admin page; an administrator resets a lost one
    (``manage.py reset_two_factor``).
    """

    def can_delete_authenticator(self, authenticator):
        from .mfa import two_factor_required

        if authenticator.type == Authenticator.Type.TOTP and two_factor_required(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
