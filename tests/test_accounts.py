import re
import unicodedata

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import PASSWORD as FACTORY_PASSWORD
from tests.factories import EditorFactory, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tree")]

User = get_user_model()
PASSWORD = "una-password-lunga-2026"


def signup(client, language, email="nuova.cittadina@example.org", name="Anna T."):
    return client.post(
        f"/{language}/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "display_name": name},
    )


@pytest.mark.parametrize(("language", "heading"), [("it", "Registrati"), ("en", "Sign Up")])
def test_signup_page_in_each_language(client, language, heading):
    response = client.get(f"/{language}/accounts/signup/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'lang="{language}"' in body
    assert heading in body
    assert 'for="id_display_name"' in body


@pytest.mark.parametrize("language", ["it", "en"])
def test_signup_verify_login_logout(client, language):
    response = signup(client, language)
    assert response.status_code == 302
    user = User.objects.get(email="nuova.cittadina@example.org")
    assert user.display_name == "Anna T."
    assert not user.is_staff
    assert not EmailAddress.objects.get(user=user).verified

    # Verification is mandatory: the email (console in dev, outbox in tests) carries the link.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nuova.cittadina@example.org"]
    if language == "it":
        assert "Conferma" in message.subject or "conferma" in message.body.lower()
    link = re.search(r"https?://[^/]+(/\S+/accounts/confirm-email/\S+/)", message.body).group(1)
    assert link.startswith(f"/{language}/")

    # Before verifying, logging in does not open a session.
    client.logout()
    client.post(f"/{language}/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session

    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)

    client.post(f"/{language}/accounts/logout/")
    assert "_auth_user_id" not in client.session

    response = client.post(f"/{language}/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    client.get(f"/{language}/")  # shows and consumes the flash messages
    home = client.get(f"/{language}/").content.decode()
    assert "Anna T." in home
    assert "nuova.cittadina@example.org" not in home


def test_signup_error_keeps_input_and_explains(client):
    response = client.post(
        "/it/accounts/signup/",
        {"email": "non-una-email", "password1": PASSWORD, "password2": PASSWORD, "display_name": "Anna T."},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="non-una-email"' in body
    assert 'value="Anna T."' in body
    assert 'aria-invalid="true"' in body
    assert "id_email-error" in body
    assert "valido" in body  # Italian message
    assert not User.objects.filter(email="non-una-email").exists()


def test_signup_rejects_email_as_public_name(client):
    response = signup(client, "en", name="me@example.org")
    assert response.status_code == 200
    assert "cannot contain an email address" in response.content.decode()


def test_duplicate_email_is_refused(client, citizen):
    signup(client, "it", email="giulia.rossi@example.org")
    assert User.objects.filter(email__iexact="giulia.rossi@example.org").count() == 1


def test_verified_citizens_can_log_in(client, citizen):
    response = client.post("/it/accounts/login/", {"login": citizen.email, "password": FACTORY_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_citizens_never_reach_the_admin(client, citizen):
    client.force_login(citizen)
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/admin/login/" in response["Location"]


def test_editor_group_reaches_the_admin_and_can_edit_home(client, tree):
    editor = EditorFactory(username="redattrice")
    assert list(editor.groups.values_list("name", flat=True)) == ["Editors"]
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200
    home = tree["home"]["it"]
    assert client.get(f"/admin/pages/{home.pk}/edit/").status_code == 200


def test_admin_can_log_into_wagtail(client, admin_user):
    # Through allauth's login, with the email address: Wagtail's own login form is gone.
    response = client.post(
        "/it/accounts/login/?next=/admin/", {"login": "admin@example.org", "password": FACTORY_PASSWORD}
    )
    # Administrators use two-factor (tests/test_mfa.py): allauth asks for the authenticator app's code.
    assert response["Location"] == "/it/accounts/2fa/authenticate/"
    response = client.post(response["Location"], {"code": totp_code()})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- public names: never an email address, however it is written ----------------------------


@pytest.mark.parametrize(
    "name",
    [
        "giulia.rossi＠example.org",  # FULLWIDTH COMMERCIAL AT
        "giulia.rossi﹫example.org",  # SMALL COMMERCIAL AT
        "ｇｉｕｌｉａ@ｅｘａｍｐｌｅ.ｏｒｇ",
    ],
)
def test_public_name_refuses_look_alike_email_addresses(client, name):
    response = signup(client, "en", name=name)
    assert response.status_code == 200
    assert "cannot contain an email address" in response.content.decode()
    assert not User.objects.filter(email="nuova.cittadina@example.org").exists()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_clean_public_name_never_lets_an_at_sign_through(value):
    from django import forms

    from accounts.forms import clean_public_name

    try:
        name = clean_public_name(value)
    except forms.ValidationError:
        return
    assert name and "@" not in name
    assert len(name) <= 60
    assert "@" not in unicodedata.normalize("NFKC", name)
    assert name == unicodedata.normalize("NFKC", name).strip()


def test_a_name_that_grows_under_nfkc_is_refused_not_truncated(client):
    response = signup(client, "it", name="㍿" * 20)  # 20 characters, 80 after NFKC
    assert response.status_code == 200
    assert "al massimo 60 caratteri" in response.content.decode()
