"""SPID and CIE logins: the person behind the login is linked to the account and verified as a resident.

The national SPID/CIE OpenID Connect federation is reached through a gateway that speaks plain OIDC for it
(Piedmont's regional identity gateway, a SPID/CIE proxy) with allauth's generic ``openid_connect`` provider: the
maintained ``spid-cie-oidc`` relying party needs Django < 5 and pydantic < 2 (README, "SPID and CIE"). Which
gateways are configured comes from settings (``SOCIALACCOUNT_PROVIDERS``, built from the environment).

:class:`GatewayProvider` adds what allauth's generic provider leaves out and SPID's rules ask for: a ``nonce``
in the authorisation request, checked in the ID token; and it keeps the codice fiscale out of what allauth
stores about the login (``SocialAccount.extra_data``): it is read once, as :class:`Person`, and only its keyed
hash is kept (accounts/residents.py). :func:`link_person` is what happens next (accounts/adapter.py calls it).
"""

import datetime
import hmac
from dataclasses import dataclass

from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.conf import settings
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from . import residents

# Where gateways put the codice fiscale: the name SPID/CIE OIDC gateways use, and the federation's own.
FISCAL_NUMBER_CLAIMS = ("fiscal_number", "https://attributes.eid.gov.it/fiscal_number")
# SPID and CIE give the code as an ETSI identifier: "TINIT-" + the codice fiscale.
FISCAL_NUMBER_PREFIX = "TINIT-"
# What allauth keeps of a login in SocialAccount.extra_data: who issued it and the pairwise subject, nothing
# about the person (no codice fiscale, names, birth date or email).
KEPT_CLAIMS = ("iss", "sub", "acr", "auth_time")

MESSAGES = {
    "no_code": _(
        "Your digital identity did not give us a valid codice fiscale, so we could not verify you. Nothing was "
        "saved: try again, or verify your account another way."
    ),
    "taken": _("This person is already verified on another account: log out and log in with %(provider)s to use it."),
    "taken_login": _("This person is already verified on another account. Contact the City's help desk to use it."),
    "other_person": _("This account is already verified as another person."),
    "failed": _("The login with your digital identity could not be completed. Please try again."),
}


class IdentityRefused(Exception):
    """A SPID/CIE login or connection that cannot go ahead; ``message`` is the citizen's."""

    def __init__(self, key, provider=""):
        super().__init__(key)
        self.key = key
        self.provider = provider  # "SPID", "CIE"

    @property
    def message(self):
        return MESSAGES[self.key] % {"provider": self.provider} if self.key == "taken" else MESSAGES[self.key]


@dataclass(frozen=True)
class Person:
    """Who the gateway says logged in, read from the claims and never stored as such."""

    identity: str  # residents.identity_hash of the codice fiscale
    birth_date: datetime.date | None
    nonce: str  # the ID token's, checked against the one we sent


def is_identity_provider(provider_id):
    return provider_id in settings.IDENTITY_PROVIDERS


def configured():
    """[(provider_id, name)] of the identity providers configured now, in settings' order."""
    from allauth.socialaccount import app_settings

    apps = app_settings.PROVIDERS.get("openid_connect", {}).get("APPS", [])
    ids = {app["provider_id"] for app in apps if app.get("settings", {}).get("server_url")}
    return [(provider_id, name) for provider_id, name in settings.IDENTITY_PROVIDERS.items() if provider_id in ids]


def login_url(provider_id):
    return reverse("openid_connect_login", kwargs={"provider_id": provider_id})


def fiscal_code(claims):
    """The codice fiscale in the claims, its TINIT- prefix dropped; "" when there is none."""
    for name in FISCAL_NUMBER_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            value = value.strip().upper()
            return value.removeprefix(FISCAL_NUMBER_PREFIX)
    return ""


def birth_date(claims):
    """The OIDC ``birthdate`` (YYYY-MM-DD), or None when missing or not a date (it is optional: only pages with
    an age rule need it)."""
    try:
        return datetime.date.fromisoformat(str(claims.get("birthdate") or ""))
    except ValueError:
        return None


def person_from(id_token, userinfo):
    """The :class:`Person` of a login, or None when the claims give no valid codice fiscale."""
    claims = {**(id_token or {}), **(userinfo or {})}
    try:
        identity = residents.identity_hash(fiscal_code(claims))
    except residents.InvalidCode:
        return None
    return Person(identity=identity, birth_date=birth_date(claims), nonce=str((id_token or {}).get("nonce", "")))


class GatewayProvider(OpenIDConnectProvider):
    """allauth's OpenID Connect provider, with a nonce, and the person read out of the claims instead of stored.

    accounts.adapter.CitizenSocialAccountAdapter.get_provider hands this out for the identity providers."""

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        """The authorisation request carries a fresh nonce, kept in allauth's state for the callback."""
        nonce = get_random_string(43)
        auth_params = kwargs.pop("auth_params", None)
        auth_params = dict(self.get_auth_params() if auth_params is None else auth_params, nonce=nonce)
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)

    def sociallogin_from_response(self, request, response):
        login = super().sociallogin_from_response(request, response)
        login.person = person_from(response.get("id_token"), response.get("userinfo"))
        return login

    def extract_extra_data(self, data):
        return {"id_token": {name: data["id_token"][name] for name in KEPT_CLAIMS if name in data.get("id_token", {})}}

    def extract_common_fields(self, data):
        """Nothing of the person is copied onto the account: their real names would become the public name
        (User.public_name falls back to them), and a username is made up by allauth. Only an email is kept."""
        return {"email": super().extract_common_fields(data).get("email")}


def check_nonce(sociallogin):
    """The ID token answers our own authorisation request (OIDC Core 3.1.3.7): its nonce is the one we sent."""
    sent = str(sociallogin.state.get("nonce") or "")
    received = sociallogin.person.nonce if sociallogin.person else ""
    if not sent or not hmac.compare_digest(sent, received):
        raise IdentityRefused("failed")


def link_person(request, sociallogin):
    """Before allauth logs in, connects or signs up a SPID/CIE login: refuse it, or verify the person.

    - Connecting SPID/CIE to the signed-in account: the account is verified as the person, unless another
      account holds the person (refused, the other account never named: the citizen logs out and logs in with
      SPID/CIE to reach it) or this account is verified as somebody else.
    - Logging in with an account already linked: the verification is refreshed.
    - Logging in for the first time when the person is already verified on an account (at the census check,
      at a desk, or with the other provider): the login is linked to that account and logs into it. SPID and
      CIE are strong identities (the person proved who they are to the State), so this is the person reaching
      their own account, not a takeover; it is what "offer to log into the first one" asks for. A match by
      email would be a takeover risk, and is never made (SOCIALACCOUNT_EMAIL_AUTHENTICATION is off).
    - Otherwise a new account is made and verified together (accounts.adapter: save_user), or not at all.
    """
    if getattr(sociallogin, "person", None) is None:
        raise IdentityRefused("no_code")
    check_nonce(sociallogin)
    person = sociallogin.person
    method = sociallogin.account.provider
    if sociallogin.state.get("process") == AuthProcess.CONNECT:
        user = request.user
        if not user.is_authenticated:
            return  # allauth refuses to connect without an account
        if sociallogin.is_existing and sociallogin.user != user:
            raise IdentityRefused("taken", settings.IDENTITY_PROVIDERS[method])
        verify(user, person, method, taken="taken")
    elif sociallogin.is_existing:
        verify(sociallogin.user, person, method, taken="taken_login")
    else:
        holder = holder_of(person)
        if holder is not None:
            verify(holder, person, method, taken="taken_login")
            sociallogin.connect(request, holder)
        else:
            drop_taken_emails(sociallogin)


def verify(user, person, method, *, taken):
    try:
        residents.verify(user, identity=person.identity, method=method, birth_date=person.birth_date)
    except residents.IdentityTaken:
        raise IdentityRefused(taken, settings.IDENTITY_PROVIDERS[method]) from None
    except residents.AlreadyVerified:
        raise IdentityRefused("other_person") from None


def holder_of(person):
    """The account verified as ``person``, if any."""
    from .models import ResidentVerification

    verification = ResidentVerification.objects.select_related("user").filter(identity=person.identity).first()
    return verification.user if verification else None


def drop_taken_emails(sociallogin):
    """A new account keeps the gateway's email only if no account has it. Otherwise allauth would stop at its
    sign-up form (or, preventing enumeration, email the other account) instead of making the account."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    def taken(email):
        return (
            EmailAddress.objects.filter(email__iexact=email).exists()
            or get_user_model().objects.filter(email__iexact=email).exists()
        )

    sociallogin.email_addresses = [address for address in sociallogin.email_addresses if not taken(address.email)]
    user = sociallogin.user
    if user.email and taken(user.email):
        user.email = ""
    for address in sociallogin.email_addresses:
        address.verified = False  # an address the citizen has not confirmed to us


def verify_new_account(user, sociallogin):
    """Verify the account just made for a first SPID/CIE login (inside its transaction: both or neither)."""
    verify(user, sociallogin.person, sociallogin.account.provider, taken="taken_login")
