"""Two-factor authentication (allauth.mfa): required before the admin for Moderators, Results and
administrators, optional for Editors and citizens; allauth asks for the code at every login of anyone
who has it on.
"""

import pytest
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    AdminFactory,
    EditorFactory,
    ModeratorFactory,
    ResultsFactory,
    UserFactory,
    activate_two_factor,
    totp_code,
)

pytestmark = pytest.mark.django_db

ACTIVATE = {"it": "/it/accounts/2fa/totp/activate/", "en": "/en/accounts/2fa/totp/activate/"}
AUTHENTICATE = "/it/accounts/2fa/authenticate/"
REAUTHENTICATE = "/it/accounts/reauthenticate/"


def log_in(client, user, next_url="/admin/"):
    return client.post(f"/it/accounts/login/?next={next_url}", {"login": user.email, "password": PASSWORD})


def reauthenticate(client, url):
    """allauth's "confirm your password" before a change to two-factor; returns its redirect."""
    response = client.post(url, {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:300]
    return response


def signed_in(client):
    return "_auth_user_id" in client.session


def other_than(code):
    return f"{(int(code) + 1) % 10**6:06d}"


def kinds(user):
    return set(Authenticator.objects.filter(user=user).values_list("type", flat=True))


# --- who must set it up ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory",
    [ModeratorFactory, ResultsFactory, AdminFactory],
    ids=["Moderators", "Results", "superuser"],
)
def test_staff_who_must_use_two_factor_are_sent_to_set_it_up(client, factory):
    user = factory(two_factor=False)
    client.force_login(user)
    for url in ("/admin/", "/admin/pages/", reverse("wagtailadmin_account")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == ACTIVATE["it"], url


def test_the_message_is_in_their_language(client):
    client.force_login(ModeratorFactory(two_factor=False))
    for language, text in (("en", "Your role requires two-factor authentication"), ("it", "Il tuo ruolo richiede")):
        response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language)
        assert response["Location"] == ACTIVATE[language]
        # allauth first asks a force_login()-ed user for the password again; the message shows there.
        page = client.get(response["Location"], follow=True)
        assert page.status_code == 200
        assert f'lang="{language}"' in page.content.decode()
        assert text in page.content.decode()


def test_with_an_authenticator_app_the_admin_opens(client):
    for user in (ModeratorFactory(), ResultsFactory(), AdminFactory()):
        assert kinds(user) == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
        client.force_login(user)
        assert client.get("/admin/").status_code == 200, user


def test_they_can_still_log_out_of_the_admin(client):
    client.force_login(ModeratorFactory(two_factor=False))
    response = client.post(reverse("wagtailadmin_logout"))
    assert response.status_code == 302
    assert response["Location"] != ACTIVATE["it"]
    assert not signed_in(client)


def test_editors_and_citizens_need_no_second_factor(client, tree):
    editor = EditorFactory()
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/pages/").status_code == 200

    citizen = UserFactory()
    client.force_login(citizen)
    assert client.get("/it/accounts/profile/").status_code == 200
    assert client.get(tree["poll"]["it"].url).status_code == 200
    # A citizen logs in with the password alone.
    client.logout()
    assert log_in(client, citizen, next_url="/it/")["Location"] == "/it/"
    assert signed_in(client)


# --- setting it up, end to end ------------------------------------------------------------------


def test_a_moderator_sets_up_the_app_and_gets_back_to_the_admin(client):
    moderator = ModeratorFactory(two_factor=False)
    response = log_in(client, moderator, next_url="/admin/reports/site-history/")
    assert response["Location"] == "/admin/reports/site-history/"
    assert client.get("/admin/reports/site-history/")["Location"] == ACTIVATE["it"]

    # allauth asks for the password again before any change to two-factor (the middleware's message shows there).
    response = client.get(ACTIVATE["it"])
    assert response["Location"].startswith(REAUTHENTICATE)
    assert "Il tuo ruolo richiede" in client.get(response["Location"]).content.decode()
    assert reauthenticate(client, response["Location"])["Location"] == ACTIVATE["it"]

    page = client.get(ACTIVATE["it"])
    assert page.status_code == 200
    body = page.content.decode()
    assert 'lang="it"' in body and "Attiva l'applicazione di autenticazione" in body
    assert 'src="data:image/svg+xml;base64,' in body  # the QR code
    secret = client.session[SECRET_SESSION_KEY]
    assert f'value="{secret}"' in body  # the secret, to type in by hand

    refused = client.post(ACTIVATE["it"], {"code": other_than(totp_code(secret))})
    assert refused.status_code == 200
    assert "Codice errato" in refused.content.decode()
    assert kinds(moderator) == set()

    response = client.post(ACTIVATE["it"], {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert kinds(moderator) == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}

    codes = client.get(response["Location"]).content.decode()
    unused = RecoveryCodes(Authenticator.objects.get(user=moderator, type="recovery_codes")).get_unused_codes()
    assert len(unused) == 10
    assert all(code in codes for code in unused)
    assert 'href="/admin/reports/site-history/"' in codes  # "Continue to the admin"
    assert client.get("/admin/reports/site-history/").status_code == 200


# --- logging in with it on -----------------------------------------------------------------------


def test_login_asks_for_the_code_and_refuses_a_wrong_one(client):
    moderator = ModeratorFactory()
    response = log_in(client, moderator)
    assert response.status_code == 302
    assert response["Location"] == AUTHENTICATE
    assert not signed_in(client)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")  # not in yet

    page = client.get(AUTHENTICATE)
    assert 'name="code"' in page.content.decode()
    assert 'for="id_code"' in page.content.decode()  # labelled, in our layout

    refused = client.post(AUTHENTICATE, {"code": other_than(totp_code())})
    assert refused.status_code == 200
    assert "Codice errato" in refused.content.decode()
    assert not signed_in(client)

    response = client.post(AUTHENTICATE, {"code": totp_code()})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert signed_in(client)
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_logs_in_once(client):
    admin = AdminFactory()
    code = RecoveryCodes(Authenticator.objects.get(user=admin, type="recovery_codes")).get_unused_codes()[0]
    log_in(client, admin)
    assert client.post(AUTHENTICATE, {"code": code})["Location"] == "/admin/"
    assert signed_in(client)
    client.logout()
    log_in(client, admin)
    assert client.post(AUTHENTICATE, {"code": code}).status_code == 200  # used up
    assert not signed_in(client)


def test_an_editor_who_turned_it_on_is_asked_too(client):
    editor = activate_two_factor(EditorFactory())
    assert log_in(client, editor)["Location"] == AUTHENTICATE
    assert client.post(AUTHENTICATE, {"code": totp_code()})["Location"] == "/admin/"


def test_a_moderator_who_switches_it_off_sets_it_up_again_before_the_admin(client):
    """A new phone: switch the app off (after the password again), then the admin asks for the new one."""
    moderator = ModeratorFactory()
    log_in(client, moderator)
    client.post(AUTHENTICATE, {"code": totp_code()})
    response = client.get(reverse("mfa_deactivate_totp"))
    reauthenticate(client, response["Location"])
    assert client.post(reverse("mfa_deactivate_totp")).status_code == 302
    assert Authenticator.Type.TOTP not in kinds(moderator)
    assert client.get("/admin/")["Location"] == ACTIVATE["it"]


# --- optional: the profile and allauth's pages in our layout -------------------------------------


@pytest.mark.parametrize(
    ("language", "heading"), [("it", "Autenticazione a Due Fattori"), ("en", "Two-Factor Authentication")]
)
def test_citizens_find_two_factor_on_their_profile(client, language, heading):
    client.force_login(UserFactory())
    profile = client.get(f"/{language}/accounts/profile/").content.decode()
    assert f'href="/{language}/accounts/2fa/"' in profile
    page = client.get(f"/{language}/accounts/2fa/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'lang="{language}"' in body
    assert 'class="skiplinks"' in body  # the site's layout, header and footer
    assert BeautifulSoup(body, "html.parser").h1.get_text(strip=True) == heading
    assert f'href="/{language}/accounts/2fa/totp/activate/"' in body
    assert 'href="/admin/' not in body  # "Continue to the admin" is for staff sent here from it


# --- an administrator resets a lost authenticator ------------------------------------------------


def test_reset_two_factor_removes_the_app_and_the_codes(client):
    moderator = ModeratorFactory()
    call_command("reset_two_factor", moderator.email.upper())
    assert kinds(moderator) == set()
    # Logging in asks for no code; the admin then asks for a new authenticator app.
    assert log_in(client, moderator)["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == ACTIVATE["it"]
    with pytest.raises(CommandError, match="No account"):
        call_command("reset_two_factor", "nessuno@example.org")


def test_the_authenticator_app_shows_the_sites_name():
    user = ModeratorFactory.build(email="moderatrice@example.org")
    url = get_adapter().build_totp_url(user, TOTP_SECRET)
    assert url.startswith("otpauth://totp/moderatrice%40example.org?")
    assert "issuer=Torino%20Partecipa" in url
