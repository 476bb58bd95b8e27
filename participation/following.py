"""The citizen's side of following (issue 18): the follow button on a process page (a
``consultation_page_sections`` hook), the follow/unfollow POST, the notification preferences page
(/<lang>/accounts/notifications/) and the one-click unsubscribe (/<lang>/notifications/unsubscribe/<token>/,
no login). The notices themselves are in participation/notifications.py.

The process page is stored in the shared page cache for anonymous visitors: they get the same "log in to
follow" link; the button with its CSRF token is only rendered for a signed-in citizen, whose pages are never
stored (civic_site/pagecache.py).
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import notifications
from .models import NotificationSettings, ProcessFollower

# --- the process page's section ------------------------------------------------------------------------


def process_section(page, request, summary, participation_pages):
    """The follow button (signed in: one query) or the "log in to follow" link (anonymous: no query)."""
    if not page.pk or not page.live:
        return None
    user = getattr(request, "user", None)
    context = {"process_key": page.translation_key, "next": page.url}
    if user is not None and user.is_authenticated:
        context["following"] = notifications.is_following(user, page.translation_key)
        context["signed_in"] = True
    return "participation/notifications/follow_section.html", context


def _next(request, default):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@require_POST
@login_required
def follow_view(request, process_key):
    """Follow (``follow=1``) or stop following the process; back to ``next``."""
    from consultations.models import ConsultationPage

    process = ConsultationPage.objects.live().filter(translation_key=process_key).first()
    if process is None:
        raise Http404("No such process.")
    if request.POST.get("follow") == "1":
        notifications.follow(request.user, process.translation_key)
        messages.success(request, _("You follow “%(title)s”.") % {"title": process.title})
    else:
        notifications.unfollow(request.user, process.translation_key)
        messages.success(request, _("You no longer follow “%(title)s”.") % {"title": process.title})
    return HttpResponseRedirect(_next(request, process.url))


# --- preferences ---------------------------------------------------------------------------------------


def _followed(user):
    """The citizen's follows, and the processes they stopped following (``following`` off), each with its
    process page in the active language (when still published)."""
    rows = list(ProcessFollower.objects.filter(user=user).order_by("-created_at", "pk"))
    if not rows:
        return []
    from consultations.models import ConsultationPage

    language = translation.get_language()
    pages = {}
    for page in (
        ConsultationPage.objects.live()
        .filter(translation_key__in=[row.process_key for row in rows])
        .select_related("locale")
        .order_by("pk")
    ):
        if page.translation_key not in pages or page.locale.language_code == language:
            pages[page.translation_key] = page
    for row in rows:
        row.page = pages.get(row.process_key)
    return rows


@never_cache
@login_required
def preferences_view(request):
    """What the citizen hears about: per followed process (phases, votes, results; unfollow) and for
    everything (the weekly digest, answers on their ideas and reports, replies to their comments)."""
    user = request.user
    everything = _followed(user)
    rows = [row for row in everything if row.following]
    stopped = [row for row in everything if not row.following and row.page is not None]
    current = notifications.settings_for(user)
    if request.method == "POST":
        chosen = request.POST
        for row in rows:
            values = {kind: chosen.get(f"{row.pk}-{kind}") == "on" for kind in ProcessFollower.KINDS}
            if any(getattr(row, kind) != value for kind, value in values.items()):
                ProcessFollower.objects.filter(pk=row.pk).update(**values)
        NotificationSettings.objects.update_or_create(
            user=user, defaults={"digest": chosen.get("digest") == "on", "updates": chosen.get("updates") == "on"}
        )
        replies = chosen.get("notify_replies") == "on"
        if replies != user.notify_replies:
            get_user_model().objects.filter(pk=user.pk).update(notify_replies=replies)
        messages.success(request, _("Your notification preferences have been saved."))
        return redirect("notification_preferences")
    kinds = [(kind, ProcessFollower._meta.get_field(kind).verbose_name) for kind in ProcessFollower.KINDS]
    for row in rows:
        row.choices = [(kind, label, getattr(row, kind)) for kind, label in kinds]
    return TemplateResponse(
        request,
        "participation/notifications/preferences.html",
        {"rows": rows, "stopped": stopped, "settings": current, "notify_replies": user.notify_replies},
    )


# --- one-click unsubscribe -----------------------------------------------------------------------------


@never_cache
@csrf_exempt  # RFC 8058: the mail provider POSTs "List-Unsubscribe=One-Click" with no cookie; the token is the proof
def unsubscribe_view(request, token):
    """GET: what the link stops, with a confirm button (a link checker or a preview must not unsubscribe).
    POST: stop it. A forged or tampered token: 400 with a clear page."""
    found = notifications.read_token(token)
    if found is None:
        return TemplateResponse(request, "participation/notifications/unsubscribe_invalid.html", status=400)
    user, scope = found
    context = {"what": notifications.describe_scope(scope), "scope": scope}
    if request.method == "POST":
        notifications.apply_unsubscribe(user, scope)
        context["done"] = True
    return TemplateResponse(request, "participation/notifications/unsubscribe.html", context)


urlpatterns = [
    path("follow/<uuid:process_key>/", follow_view, name="notifications_follow"),
    path("unsubscribe/<str:token>/", unsubscribe_view, name="notifications_unsubscribe"),
]
