"""A citizen's data rights from their account: "download my data" (a ZIP prepared in the background and emailed,
accounts/data_export.py) and "delete my account" (confirmed with the password; accounts/deletion.py).
What the pages say the site holds, and what becomes of it, comes from accounts.registry.

Staff with access to the admin cannot delete their own account here: their account carries roles and a
record of their work, so an administrator deletes it (after handing over their work); the page says so.
"""

import math
import time
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import data_export, registry
from .deletion import delete_account
from .models import DataExport

# Password attempts on the delete page: at most this many per window, per account.
DELETE_ATTEMPTS = 5
DELETE_WINDOW = 15 * 60


def may_delete_here(user):
    """Citizens may; staff with the admin are deleted by an administrator."""
    return not (user.is_staff or user.is_superuser or user.has_perm("wagtailadmin.access_admin"))


def minutes(seconds):
    count = max(math.ceil(seconds / 60), 1)
    return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}


# --- download my data ------------------------------------------------------------------------------------


def latest_export(user):
    return DataExport.objects.filter(user=user).order_by("-created_at", "-pk").first()


def describe(export):
    """What the page shows of a request: its state, and the link while the file can be downloaded."""
    if export is None:
        return None
    expired = data_export.is_expired(export)
    return {
        "export": export,
        "status": export.get_status_display(),
        "ready": export.status == DataExport.DONE and not expired and data_export.path_of(export) is not None,
        "expired": expired,
        "expires_at": data_export.expires_at(export),
        "url": data_export.download_path(export),
    }


def request_export(user):
    """Record a request and enqueue it, unless one was made in the last PERSONAL_EXPORTS_INTERVAL seconds
    (failed ones do not count). Returns (the request or None, seconds to wait)."""
    interval = settings.PERSONAL_EXPORTS_INTERVAL
    with transaction.atomic():
        # One request at a time per citizen, on every server: the user's row is the lock.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        recent = (
            DataExport.objects.filter(user=user, created_at__gte=timezone.now() - timedelta(seconds=interval))
            .exclude(status=DataExport.FAILED)
            .order_by("-created_at")
            .first()
        )
        if recent is not None:
            return None, interval - (timezone.now() - recent.created_at).total_seconds()
        export = DataExport.objects.create(
            user=user, token=data_export.new_token(), language=translation.get_language() or settings.LANGUAGE_CODE
        )
    data_export.build.enqueue(export.pk)  # the immediate backend (development) runs it here and now
    return export, 0


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def data_view(request):
    """The citizen's latest request for their data, its link once ready, and the button to ask for one."""
    if request.method == "POST":
        data_export.prune()
        export, wait = request_export(request.user)
        if export is None:
            messages.error(
                request,
                _("You asked for a copy of your data a short time ago. You can ask again in %(wait)s.")
                % {"wait": minutes(wait)},
            )
        else:  # a failed task (the immediate backend has run it already) shows on the page as failed
            messages.success(
                request,
                _("We are preparing a copy of your data. We will email you a link when it is ready."),
            )
        return redirect("accounts_data")
    return TemplateResponse(request, "accounts/data.html", data_context(request.user))


def data_context(user):
    return {
        "latest": describe(latest_export(user)),
        "holdings": registry.holdings(),
        "days": settings.PERSONAL_EXPORTS_DAYS,
    }


@never_cache
@login_required
def data_download_view(request, token):
    """The file of one of the citizen's own requests; someone else's, unknown or not ready: 404; expired: 410."""
    export = DataExport.objects.filter(user=request.user, token=token).first()
    if export is None:
        raise Http404("No such data download.")
    if data_export.is_expired(export):
        context = {**data_context(request.user), "link_expired": True}
        return TemplateResponse(request, "accounts/data.html", context, status=410)
    path = data_export.path_of(export)
    if path is None:
        raise Http404("This data download has no file.")
    response = FileResponse(path.open("rb"), content_type="application/zip")
    name = f"torino-partecipa-my-data-{timezone.localdate(export.created_at).isoformat()}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- delete my account -----------------------------------------------------------------------------------


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that my account is deleted for good and cannot be recovered."),
        error_messages={"required": gettext_lazy("Tick the box to confirm that you want to delete your account.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():  # an account made by a SPID/CIE login: a recent login confirms
            del self.fields["password"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password. Your account has not been deleted."))
        return password


RECENT_LOGIN = 10 * 60  # seconds within which a password-less account's login confirms its deletion


def logged_in_recently(user):
    return user.last_login is not None and (timezone.now() - user.last_login).total_seconds() < RECENT_LOGIN


def count_attempt(user):
    """Count one password attempt; the seconds to wait when over the limit, else 0. Fixed windows on the
    shared cache (cache.add + incr: atomic on every server)."""
    moment = time.time()
    window = int(moment // DELETE_WINDOW)
    ends_at = (window + 1) * DELETE_WINDOW
    key = f"accounts:delete-attempts:{user.pk}:{window}"
    cache.add(key, 0, timeout=math.ceil(ends_at - moment) + 1)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        attempts = 1
    return math.ceil(ends_at - moment) if attempts > DELETE_ATTEMPTS else 0


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete_view(request):
    """What deleting the account does (from the registry), then the password and a confirmation; on success
    the account goes (accounts.deletion), the citizen is logged out and sent to the confirmation page."""
    user = request.user
    context = {"holdings": [holding for holding in registry.holdings() if holding.when_deleted]}
    if not may_delete_here(user):
        return TemplateResponse(
            request, "accounts/delete.html", {**context, "staff": True}, status=403 if request.method == "POST" else 200
        )
    if not user.has_usable_password() and not logged_in_recently(user):
        # No password to ask for (SPID/CIE accounts): a fresh login with the digital identity stands for it.
        return TemplateResponse(request, "accounts/delete.html", {**context, "log_in_again": True})
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST":
        wait = count_attempt(user)
        if wait:
            form = DeleteAccountForm(user=user)
            context["limited"] = _("You have tried many times. Please try again in %(wait)s.") % {"wait": minutes(wait)}
            response = TemplateResponse(request, "accounts/delete.html", {**context, "form": form}, status=429)
            response["Retry-After"] = str(wait)
            return response
        if form.is_valid():
            delete_account(user)
            logout(request)
            return redirect("accounts_deleted")
    return TemplateResponse(request, "accounts/delete.html", {**context, "form": form})


@never_cache
def deleted_view(request):
    """After the account is gone (the visitor is logged out): what happened."""
    return TemplateResponse(request, "accounts/delete.html", {"deleted": True})
