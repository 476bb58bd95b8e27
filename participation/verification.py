"""The citizen's "Verify your account" page (issue "One real person, one vote"): who may take part where, and the
three ways to become a verified resident: SPID or CIE, the census check (codice fiscale and postcode against the
register of residents, accounts/census.py) and the city's desk.

The census check validates the code before anything is looked up, counts every attempt against the "verify"
rate limit (PARTICIPATION_RATE_LIMITS), and answers a miss with one neutral message, the same whether the code
is in the register or the postcode is wrong. A person already verified on another account is told so, and
offered that account's login and password reset, never its email address.

It lives in participation, like the notification preferences (following.py), though it is a page of the
account area: it counts attempts with participation's shared rate limits, and accounts imports nothing from
participation (tests/test_architecture.py).
"""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import census, residents

from .core import ratelimit

POSTCODE = re.compile(r"^\d{5}$")
LIMITED = gettext_lazy(
    "You have tried to verify your account many times. Please try again in %(wait)s, or go to the desk described below."
)


class CensusCheckForm(forms.Form):
    codice_fiscale = forms.CharField(
        label=gettext_lazy("Codice fiscale"),
        max_length=32,
        help_text=gettext_lazy("16 letters and numbers, as on your health card (tessera sanitaria)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        error_messages={"required": gettext_lazy("Enter your codice fiscale.")},
    )
    postcode = forms.CharField(
        label=gettext_lazy("Postcode (CAP) of your residence"),
        max_length=5,
        help_text=gettext_lazy("Five digits, from the address where you are registered as a resident."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code", "pattern": "[0-9]{5}"}),
        error_messages={
            "required": gettext_lazy("Enter the postcode of your residence."),
            "max_length": gettext_lazy("A postcode has five digits."),
        },
    )

    def clean_codice_fiscale(self):
        code = self.cleaned_data["codice_fiscale"]
        if not residents.is_valid_code(code):
            raise forms.ValidationError(
                _(
                    "This is not a valid codice fiscale. Check it against your health card: 16 letters and "
                    "numbers, such as RSSMRA85T10L219X."
                )
            )
        return code

    def clean_postcode(self):
        postcode = self.cleaned_data["postcode"].strip()
        if not POSTCODE.match(postcode):
            raise forms.ValidationError(_("A postcode has five digits."))
        return postcode


def safe_next(request):
    """The page to go back to after verifying (a vote), if it is on this site; else ""."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
        return url
    return ""


def typed(request):
    """What the citizen typed, shown again in an unchecked form (after a refusal for too many attempts)."""
    return CensusCheckForm(
        initial={"codice_fiscale": request.POST.get("codice_fiscale", ""), "postcode": request.POST.get("postcode", "")}
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify_view(request):
    verification = residents.verification_of(request.user)
    next_url = safe_next(request)
    context = {"verification": verification, "next": next_url, "outcome": None}
    form = CensusCheckForm(request.POST or None) if verification is None else None
    if request.method == "POST" and verification is None:
        limited = ratelimit.check(request, "verify")  # every attempt counts, a malformed code too
        if limited:
            context.update(form=typed(request), limited=limited.message(LIMITED))
            response = TemplateResponse(request, "accounts/verify.html", context)
            return ratelimit.retry_after_header(response, limited)
        if form.is_valid():
            try:
                census.check_census(request.user, form.cleaned_data["codice_fiscale"], form.cleaned_data["postcode"])
            except census.NotInRegister:
                context["outcome"] = "not_found"
            except residents.IdentityTaken:
                context["outcome"] = "taken"
            except residents.AlreadyVerified:
                context["outcome"] = "already"
            else:
                messages.success(request, _("Your account is verified: you can take part as a resident of Turin."))
                return redirect(next_url or "accounts_verify")
    context["form"] = form
    return TemplateResponse(request, "accounts/verify.html", context)
