"""The Registry's admin (issue "One real person, one vote", parts 2 and 3): import the register of residents, and
verify at a city desk a person who shows an identity document.

Only holders of ``accounts.manage_residents`` (the Registry group, superusers) reach any of it. A desk
verification records who verified and when, never the document nor the code; it and its removal are written to
Wagtail's audit log on the account. Staff looking for an account type its exact email address or username: the
desk never lists citizens.
"""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.log_actions import log

from . import census, residents

PERMISSION = "accounts.manage_residents"
POSTCODE = re.compile(r"^\d{5}$")


def may_manage(user):
    return user.has_perm(PERMISSION)


def require_permission(request):
    if not may_manage(request.user):
        raise PermissionDenied


# --- the register ----------------------------------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file of the register of residents"),
        help_text=gettext_lazy(
            "UTF-8, separated by semicolons or commas, with a first line naming the columns codice_fiscale, cap "
            "and data_nascita (YYYY-MM-DD or DD/MM/YYYY). The file replaces the whole register."
        ),
    )


@require_http_methods(["GET", "POST"])
def register_view(request):
    """The register's size and last import; the form that replaces it with a new file, and what the import did."""
    require_permission(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = census.import_residents(upload.file, imported_by=request.user, source="admin")
        except census.CensusFileError as refusal:
            error = str(refusal)
        finally:
            upload.close()
        if report is not None:
            form = ImportForm()
    return TemplateResponse(
        request,
        "accounts/admin/residents.html",
        {
            "form": form,
            "report": report,
            "error": error,
            "size": census.register_size(),
            "current": census.current_import(),
            "desk_url": reverse("accounts_residents_desk"),
        },
    )


# --- the desk --------------------------------------------------------------------------------------------------


class FindForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Email address or username of the account"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def find_accounts(text):
    """The accounts whose email address (any of theirs) or username is exactly ``text``, case aside."""
    text = text.strip()
    return (
        get_user_model()
        .objects.filter(Q(email__iexact=text) | Q(username__iexact=text) | Q(emailaddress__email__iexact=text))
        .select_related("resident_verification")
        .distinct()
        .order_by("pk")[:10]
    )


def desk_view(request):
    """Find the account of the person at the desk."""
    require_permission(request)
    form = FindForm(request.GET or None)
    found = None
    if form.is_valid():
        found = [
            {"user": user, "verification": getattr(user, "resident_verification", None)}
            for user in find_accounts(form.cleaned_data["q"])
        ]
    return TemplateResponse(request, "accounts/admin/desk.html", {"form": form, "found": found})


class DeskVerificationForm(forms.Form):
    codice_fiscale = forms.CharField(
        label=gettext_lazy("Codice fiscale, as on the identity document or health card"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    birth_date = forms.DateField(
        label=gettext_lazy("Birth date"),
        required=False,
        help_text=gettext_lazy("Leave empty to take it from the register of residents, when the person is in it."),
    )
    postcode = forms.CharField(
        label=gettext_lazy("Postcode of residence"),
        max_length=5,
        required=False,
        help_text=gettext_lazy("Leave empty to take it from the register of residents, when the person is in it."),
    )

    def clean_codice_fiscale(self):
        code = self.cleaned_data["codice_fiscale"]
        if not residents.is_valid_code(code):
            raise forms.ValidationError(_("This is not a valid codice fiscale: check it against the document."))
        return code

    def clean_postcode(self):
        postcode = self.cleaned_data["postcode"].strip()
        if postcode and not POSTCODE.match(postcode):
            raise forms.ValidationError(_("A postcode has five digits."))
        return postcode

    def details(self):
        """(birth date, postcode): what staff typed, else what the register of residents says."""
        code = self.cleaned_data["codice_fiscale"]
        birth_date, postcode = self.cleaned_data["birth_date"], self.cleaned_data["postcode"]
        resident = census.resident_for(code) if not (birth_date and postcode) else None
        if resident is not None:
            birth_date = birth_date or residents.birth_date_from_code(code, resident.birth_year)
            postcode = postcode or resident.postcode
        return birth_date, postcode


def account_of(request, user_id):
    require_permission(request)
    return get_object_or_404(get_user_model().objects.select_related("resident_verification"), pk=user_id)


def desk_url_for(account):
    """The desk's search showing ``account`` again."""
    return f"{reverse('accounts_residents_desk')}?{urlencode({'q': account.username})}"


def record(request, account, action):
    """The audit log's entry on the account: who did it (the log's user) and how; never the code."""
    log(instance=account, action=action, user=request.user, title=f"#{account.pk}", data={"user_id": account.pk})


@require_http_methods(["GET", "POST"])
def desk_verify_view(request, user_id):
    """Verify the account as the person whose document staff have seen."""
    account = account_of(request, user_id)
    verification = getattr(account, "resident_verification", None)
    form = DeskVerificationForm(request.POST or None)
    if request.method == "POST" and verification is None and form.is_valid():
        birth_date, postcode = form.details()
        try:
            residents.verify(
                account,
                identity=residents.identity_hash(form.cleaned_data["codice_fiscale"]),
                method="desk",
                birth_date=birth_date,
                postcode=postcode,
                verified_by=request.user,
            )
        except residents.IdentityTaken:
            form.add_error(None, _("This person is already verified on another account."))
        except residents.AlreadyVerified:
            form.add_error(None, _("This account is already verified as another person."))
        else:
            record(request, account, census.VERIFY_LOG_ACTION)
            messages.success(request, _("The account is now verified as a resident."))
            return redirect(desk_url_for(account))
    return TemplateResponse(
        request,
        "accounts/admin/desk_verify.html",
        {"account": account, "verification": verification, "form": form},
    )


@require_http_methods(["GET", "POST"])
def desk_unverify_view(request, user_id):
    """Remove an account's verification (a mistake, a person who verified the wrong account), after confirming."""
    account = account_of(request, user_id)
    verification = getattr(account, "resident_verification", None)
    if request.method == "POST" and verification is not None:
        residents.unverify(account)
        record(request, account, census.UNVERIFY_LOG_ACTION)
        messages.success(request, _("The account's verification has been removed."))
        return redirect(desk_url_for(account))
    return TemplateResponse(
        request, "accounts/admin/desk_unverify.html", {"account": account, "verification": verification}
    )


# --- the menu --------------------------------------------------------------------------------------------------


class ResidentsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_manage(request.user)


def menu_item():
    menu = Menu(
        items=[
            ResidentsMenuItem(
                gettext_lazy("Register of residents"),
                reverse("accounts_residents"),
                name="residents-register",
                icon_name="upload",
                order=100,
            ),
            ResidentsMenuItem(
                gettext_lazy("Verify at the desk"),
                reverse("accounts_residents_desk"),
                name="residents-desk",
                icon_name="user",
                order=200,
            ),
        ]
    )
    return SubmenuMenuItem(gettext_lazy("Residents"), menu, name="residents", icon_name="user", order=270)
