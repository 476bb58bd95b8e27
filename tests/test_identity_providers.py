"""SPID and CIE through an OpenID Connect gateway (accounts/identity_providers.py), against a local provider.

The spike the issue asked for: ``spid-cie-oidc`` cannot be installed with Django 5.2 (it needs Django < 5 and
pydantic < 2; README, "SPID and CIE"), so the same flow is built on allauth's generic OpenID Connect provider,
and these tests drive complete logins offline against tests/oidc_gateway.py: the authorisation code flow with
PKCE and a nonce, the claims read, the account linked to the person and verified, one person one account.
"""

import json
import re

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from accounts import registry, residents
from accounts.deletion import delete_account
from accounts.models import ResidentVerification
from civic_site.settings import base
from tests.factories import UserFactory
from tests.oidc_gateway import CLIENT_ID, CLIENT_SECRET, Gateway

pytestmark = pytest.mark.django_db

User = get_user_model()


def code_fiscale(first15):
    return first15 + residents.check_character(first15)


MARIO = code_fiscale("RSSMRA80A01L219")  # born 1 January 1980 in Turin
LAURA = code_fiscale("BNCLRA85M41L219")  # born 1 August 1985
VOTE_PAGE = "/it/partecipa/bilancio/vota/"


def claims(code=MARIO, sub="pairwise-mario", **extra):
    return {
        "sub": sub,
        "fiscal_number": f"TINIT-{code}",
        "given_name": "Mario",
        "family_name": "Rossi",
        "birthdate": "1980-01-01",
        **extra,
    }


@pytest.fixture(scope="module")
def gateway():
    with Gateway() as running:
        yield running


@pytest.fixture
def configured(gateway, settings, monkeypatch):
    """SPID and CIE configured from the environment the way base.py reads it, both on the local gateway."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    environ = {}
    for name in ("SPID", "CIE"):
        environ |= {
            f"{name}_OIDC_SERVER_URL": gateway.url,
            f"{name}_OIDC_CLIENT_ID": CLIENT_ID,
            f"{name}_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        }
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": base.oidc_identity_apps(environ)}
    }
    gateway.id_token_overrides = {}
    return gateway


def log_in_with(client, gateway, person, *, provider="spid", process="login", next_url=None, language=None):
    """The whole round trip: our button's POST, the gateway's consent, the callback. Returns the callback's
    response (a redirect when it went through). The login starts in ``language`` (default: the language of
    ``next_url``, else Italian), and so do its messages."""
    gateway.person = person
    data = {"process": process, **({"next": next_url} if next_url else {})}
    language = language or ("en" if (next_url or "").startswith("/en/") else "it")
    start = client.post(f"/{language}/accounts/oidc/{provider}/login/", data)
    assert start.status_code == 302, start.content[:500]
    assert start["Location"].startswith(gateway.url + "/authorize?")
    consent = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert consent.status_code == 302
    callback = consent.headers["Location"]
    assert callback.startswith(f"http://testserver/{language}/accounts/oidc/")
    return client.get(callback.removeprefix("http://testserver"))


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def page_text(client, url):
    return client.get(url).content.decode()


# --- a complete login ---------------------------------------------------------------------------------


def test_first_spid_login_makes_an_account_linked_and_verified_and_goes_back_to_the_vote(client, configured):
    response = log_in_with(client, configured, claims(), next_url=VOTE_PAGE)

    assert response.status_code == 302
    assert response["Location"] == VOTE_PAGE
    user = signed_in_user(client)
    assert user is not None
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("spid", "pairwise-mario")
    verification = ResidentVerification.objects.get(user=user)
    assert verification.method == "spid"
    assert verification.identity == residents.identity_hash(MARIO)
    assert str(verification.birth_date) == "1980-01-01"


def test_nothing_of_the_person_but_the_verification_is_stored(client, configured):
    log_in_with(client, configured, claims(email="mario.rossi@example.org"))
    user = signed_in_user(client)
    stored = json.dumps(SocialAccount.objects.get(user=user).extra_data)
    for secret in (MARIO, "Mario", "Rossi", "1980-01-01", "mario.rossi@example.org"):
        assert secret not in stored
    # Real names never reach the account, whose public name falls back to them.
    assert (user.first_name, user.last_name) == ("", "")
    assert "Rossi" not in str(user.public_name)
    # A free email from the gateway is kept, not taken as confirmed.
    assert EmailAddress.objects.filter(user=user, email="mario.rossi@example.org", verified=False).exists()


def test_the_flow_uses_pkce_a_nonce_and_asks_for_the_claims(client, configured):
    log_in_with(client, configured, claims())

    asked = configured.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) >= 43
    assert len(asked["nonce"]) >= 32
    assert set(asked["scope"].split()) == {"openid", "profile"}
    assert set(json.loads(asked["claims"])["userinfo"]) == {"fiscal_number", "given_name", "family_name", "birthdate"}
    assert configured.token_requests[-1]["code_verifier"]


def test_without_the_pkce_verifier_the_gateway_refuses_and_no_account_is_made(client, configured, settings):
    """The local gateway does refuse a token request without the verifier, so the test above means PKCE works."""
    providers = settings.SOCIALACCOUNT_PROVIDERS
    for app in providers["openid_connect"]["APPS"]:
        app["settings"]["oauth_pkce_enabled"] = False
    settings.SOCIALACCOUNT_PROVIDERS = providers

    response = log_in_with(client, configured, claims())

    assert response.status_code == 401  # allauth's "login failed" page
    assert "code_verifier" not in configured.token_requests[-1]
    assert signed_in_user(client) is None
    assert not User.objects.exists()


def test_a_second_login_reaches_the_same_account(client, configured):
    log_in_with(client, configured, claims())
    first = signed_in_user(client)
    client.logout()

    log_in_with(client, configured, claims())

    assert signed_in_user(client) == first
    assert User.objects.count() == 1
    assert ResidentVerification.objects.get().user == first


def test_cie_login_verifies_with_cie(client, configured):
    log_in_with(client, configured, claims(code=LAURA, sub="cie-laura", birthdate="1985-08-01"), provider="cie")

    verification = ResidentVerification.objects.get(user=signed_in_user(client))
    assert (verification.method, str(verification.birth_date)) == ("cie", "1985-08-01")


# --- one person, one account --------------------------------------------------------------------------


def test_a_person_verified_at_the_census_logs_into_their_account_with_spid(client, configured):
    citizen = UserFactory()
    residents.verify(citizen, identity=residents.identity_hash(MARIO), method="census")

    response = log_in_with(client, configured, claims(), next_url=VOTE_PAGE)

    assert response["Location"] == VOTE_PAGE
    assert signed_in_user(client) == citizen
    assert SocialAccount.objects.get(provider="spid").user == citizen
    assert User.objects.count() == 1
    verification = ResidentVerification.objects.get(user=citizen)
    assert verification.method == "census"  # how they were first verified
    assert str(verification.birth_date) == "1980-01-01"  # now known


def test_connecting_spid_to_a_signed_in_account_verifies_it(client, configured):
    citizen = UserFactory()
    client.force_login(citizen)

    log_in_with(client, configured, claims(), process="connect", next_url="/it/accounts/profile/")

    assert SocialAccount.objects.get(provider="spid").user == citizen
    assert ResidentVerification.objects.get(user=citizen).method == "spid"


def test_connecting_a_person_verified_on_another_account_is_refused(client, configured):
    log_in_with(client, configured, claims())  # the person's first account, made with SPID
    holder = signed_in_user(client)
    holder.email = "primo.account@example.org"
    holder.save()
    client.logout()
    second = UserFactory()
    client.force_login(second)

    response = log_in_with(client, configured, claims(), process="connect", next_url="/en/accounts/profile/")

    assert response.status_code == 302 and response["Location"] == "/en/accounts/profile/"
    assert signed_in_user(client) == second
    assert SocialAccount.objects.get().user == holder
    assert not ResidentVerification.objects.filter(user=second).exists()
    page = page_text(client, "/en/accounts/profile/")
    assert "This person is already verified on another account: log out and log in with SPID to use it." in page
    assert holder.email not in page


def test_connecting_a_person_verified_at_the_census_on_another_account_is_refused(client, configured):
    holder = UserFactory(email="verificato@example.org")
    residents.verify(holder, identity=residents.identity_hash(MARIO), method="census")
    other = UserFactory()
    client.force_login(other)

    response = log_in_with(client, configured, claims(), process="connect", next_url="/en/accounts/profile/")

    assert response["Location"] == "/en/accounts/profile/"
    assert not SocialAccount.objects.exists()
    assert not ResidentVerification.objects.filter(user=other).exists()
    page = page_text(client, "/en/accounts/profile/")
    assert "This person is already verified on another account: log out and log in with SPID to use it." in page
    assert "verificato@example.org" not in page


def test_an_account_verified_as_somebody_else_cannot_connect_another_persons_spid(client, configured):
    citizen = UserFactory()
    residents.verify(citizen, identity=residents.identity_hash(LAURA), method="desk")
    client.force_login(citizen)

    log_in_with(client, configured, claims(), process="connect", next_url="/en/accounts/profile/")

    assert not SocialAccount.objects.exists()
    assert ResidentVerification.objects.get(user=citizen).identity == residents.identity_hash(LAURA)
    assert "This account is already verified as another person." in page_text(client, "/en/accounts/profile/")


# --- refusals: nothing half-saved ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "fiscal_number",
    ["TINIT-RSSMRA80A01L219X", "RSSMRA80A01L21", "", None, "TINIT-12345678901"],
    ids=["wrong check character", "too short", "empty", "missing", "a VAT number"],
)
def test_a_login_without_a_valid_codice_fiscale_is_refused(client, configured, fiscal_number):
    person = claims()
    if fiscal_number is None:
        del person["fiscal_number"]
    else:
        person["fiscal_number"] = fiscal_number

    response = log_in_with(client, configured, person, next_url=VOTE_PAGE)

    assert response.status_code == 302
    assert response["Location"] == "/it/accounts/login/?next=%2Fit%2Fpartecipa%2Fbilancio%2Fvota%2F"
    assert signed_in_user(client) is None
    assert not User.objects.exists() and not SocialAccount.objects.exists()
    assert not ResidentVerification.objects.exists()
    # The login started on an Italian page: the message is in Italian.
    assert "non ci ha fornito un codice fiscale valido" in page_text(client, "/it/accounts/login/")


def test_an_id_token_for_another_request_is_refused(client, configured):
    configured.id_token_overrides = {"nonce": "not-the-nonce-we-sent"}

    log_in_with(client, configured, claims())

    assert signed_in_user(client) is None
    assert not User.objects.exists() and not ResidentVerification.objects.exists()


def test_an_email_from_the_gateway_already_in_use_is_not_taken(client, configured):
    existing = UserFactory(email="mario.rossi@example.org")

    log_in_with(client, configured, claims(email="mario.rossi@example.org"))

    user = signed_in_user(client)
    assert user is not None and user != existing
    assert user.email == ""
    assert not EmailAddress.objects.filter(user=user).exists()
    assert ResidentVerification.objects.get(user=user).method == "spid"


def test_the_email_sign_up_still_works(client, configured):
    response = client.post(
        "/it/accounts/signup/",
        {
            "email": "nuova@example.org",
            "password1": "una-password-lunga-9",
            "password2": "una-password-lunga-9",
            "display_name": "Nuova",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="nuova@example.org").exists()


# --- the buttons --------------------------------------------------------------------------------------


def test_no_buttons_and_no_login_url_without_configuration(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}

    page = page_text(client, "/it/accounts/login/")

    assert "italia-it-button" not in page
    assert client.post("/it/accounts/oidc/spid/login/", {"process": "login"}).status_code == 404


def test_buttons_post_to_the_providers_keeping_next(client, configured):
    page = page_text(client, f"/it/accounts/login/?next={VOTE_PAGE}")

    forms = re.findall(r'<form class="identity-provider-form" method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert [action for action, _body in forms] == ["/it/accounts/oidc/spid/login/", "/it/accounts/oidc/cie/login/"]
    for _action, body in forms:
        assert 'name="csrfmiddlewaretoken"' in body
        assert f'name="next" value="{VOTE_PAGE}"' in body
        assert 'name="process" value="login"' in body
        assert '<button type="submit"' in body
        assert "style=" not in body and "<script" not in body
    assert "/static/img/identity/spid-logo.svg" in page and "/static/img/identity/cie-logo.svg" in page


def test_only_the_configured_provider_has_a_button(client, configured, settings):
    apps = [app for app in settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"] if app["provider_id"] == "cie"]
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": apps}}

    page = page_text(client, "/en/accounts/login/")

    assert "/en/accounts/oidc/cie/login/" in page and "/en/accounts/oidc/spid/login/" not in page
    assert "Log in with CIE" in page


def test_the_include_connects_a_signed_in_citizen(rf, configured):
    from django.template.loader import render_to_string

    request = rf.get("/it/accounts/verify/")
    request.user = UserFactory()
    html = render_to_string("accounts/includes/identity_providers.html", {"next": VOTE_PAGE}, request=request)

    assert html.count('name="process" value="connect"') == 2
    assert html.count(f'name="next" value="{VOTE_PAGE}"') == 2


# --- settings and personal data ------------------------------------------------------------------------


def test_settings_come_from_the_environment():
    assert base.oidc_identity_apps({}) == []
    (spid,) = base.oidc_identity_apps(
        {"SPID_OIDC_SERVER_URL": "https://gateway.example", "SPID_OIDC_CLIENT_ID": "c", "SPID_OIDC_CLIENT_SECRET": "s"}
    )
    assert (spid["provider_id"], spid["client_id"], spid["secret"]) == ("spid", "c", "s")
    assert spid["settings"]["oauth_pkce_enabled"] is True
    assert spid["settings"]["server_url"] == "https://gateway.example"
    with pytest.raises(ImproperlyConfigured):
        base.oidc_identity_apps({"CIE_OIDC_SERVER_URL": "https://gateway.example"})


def test_the_link_is_exported_and_deleted_with_the_account(client, configured):
    log_in_with(client, configured, claims())
    user = signed_in_user(client)

    exported = registry.export(user)["identity_logins"]["records"]
    assert [record["provider"] for record in exported] == ["SPID"]

    delete_account(user)
    assert not SocialAccount.objects.exists() and not ResidentVerification.objects.exists()
