"""One login for everyone: allauth's, with its rate limits and mandatory email verification.

Wagtail's own admin login (/admin/login/), its password reset and its front-end login
(/<lang>/_util/login/) had no rate limits and let accounts with unverified emails in: they now
only send visitors on to allauth and never authenticate anyone.
"""

import re
import time
from unittest import mock

import pytest
from allauth.account import app_settings as allauth_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.test import override_settings

from tests.factories import PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
WRONG = "non-e-la-password"


def make_user(email, *, verified=True, group=None, superuser=False):
    factory = AdminFactory if superuser else UserFactory
    user = factory(username=email.split("@")[0], email=email, verified=verified)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def log_in(client, email, password=PASSWORD, ip="198.51.100.1", next_url=None, **extra):
    url = "/en/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": password}, REMOTE_ADDR=ip, **extra)


def signed_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def clock():
    """Moves time.time() forward (allauth's rate-limit history and the locmem cache both use it)."""
    real = time.time
    offset = [0.0]
    with mock.patch("time.time", lambda: real() + offset[0]):
        yield lambda seconds: offset.__setitem__(0, offset[0] + seconds)


# --- Wagtail's logins lead to allauth's ---------------------------------------------------------


def test_admin_login_sends_to_allauth_keeping_next(client):
    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/it/accounts/login/?next=%2Fadmin%2Fpages%2F"


def test_admin_login_without_next_returns_to_the_admin_and_drops_foreign_next(client):
    assert client.get("/admin/login/")["Location"] == "/it/accounts/login/?next=%2Fadmin%2F"
    assert client.get("/admin/login/?next=https://evil.example/")["Location"] == "/it/accounts/login/?next=%2Fadmin%2F"


def test_anonymous_admin_visit_ends_on_allauths_login(client, tree):
    response = client.get("/admin/pages/", follow=True)
    assert response.redirect_chain[-1][0] == "/it/accounts/login/?next=%2Fadmin%2Fpages%2F"
    assert response.status_code == 200
    assert 'name="login"' in response.content.decode()


@pytest.mark.parametrize("url", ["/admin/login/", "/it/_util/login/", "/en/_util/login/"])
def test_posting_a_password_to_wagtails_logins_signs_no_one_in(client, url):
    admin = make_user("capo@example.org", superuser=True)
    unverified = make_user("nuovo@example.org", verified=False)
    for user in (admin, unverified):
        for login in (user.username, user.email):
            response = client.post(url, {"username": login, "password": PASSWORD, "login": login})
            assert response.status_code == 302
            assert "/accounts/login/" in response["Location"]
            assert not signed_in(client)


def test_wagtail_frontend_login_goes_to_allauth(client):
    response = client.get("/en/_util/login/?next=/en/private/")
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/login/?next=/en/private/"


def test_admin_password_reset_goes_to_allauths(client):
    response = client.get("/admin/password_reset/")
    assert response.status_code == 302
    assert response["Location"] == "/it/accounts/password/reset/"
    # Wagtail's own reset views (confirm, done) are switched off.
    assert client.get("/admin/password_reset/done/", follow=True).status_code == 404
    client.post("/admin/password_reset/", {"email": "capo@example.org"})
    assert mail.outbox == []


# --- staff and citizens through allauth ----------------------------------------------------------


def test_staff_log_in_through_allauth_and_land_where_they_were_going(client):
    make_user("redattrice@example.org", group="Editors")
    response = log_in(client, "redattrice@example.org", next_url="/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/pages/"
    assert client.get("/admin/").status_code == 200
    # Once signed in, the old admin login address goes straight to the admin.
    assert client.get("/admin/login/?next=/admin/pages/")["Location"] == "/admin/pages/"


def test_staff_with_an_unverified_email_never_reach_the_admin(client):
    make_user("redattore@example.org", group="Editors", verified=False)
    response = log_in(client, "redattore@example.org", next_url="/admin/")
    assert not signed_in(client)
    assert response.status_code == 302
    assert "/accounts/confirm-email/" in response["Location"]
    assert len(mail.outbox) == 1  # the verification link
    assert client.get("/admin/").status_code == 302
    assert not signed_in(client)


def test_staff_without_an_email_record_must_verify_first(client):
    """A superuser made with createsuperuser has no allauth EmailAddress yet: verify, then log in."""
    User.objects.create_superuser("capo", "capo@example.org", PASSWORD)
    log_in(client, "capo@example.org", next_url="/admin/")
    assert not signed_in(client)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["capo@example.org"]


def test_signed_in_citizen_at_the_admin_is_sent_back_to_the_site(client, tree):
    citizen = make_user("cittadina@example.org")
    client.force_login(citizen)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/it/"
    assert len(response.redirect_chain) == 2  # /admin/login/, then the site: no redirect loop
    assert "alert-danger" in response.content.decode()  # Wagtail's "no permission" message
    assert signed_in(client)  # still the citizen, on the site


# --- rate limits ---------------------------------------------------------------------------------


def test_rate_limits_are_set_explicitly():
    limits = allauth_settings.RATE_LIMITS
    assert limits["login_failed"] == "10/m/ip,5/5m/key"
    assert limits["login"] == "30/m/ip"
    assert limits["reset_password"] == "20/m/ip,5/m/key"


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, clock):
    make_user("giulia@example.org")
    other = make_user("marco@example.org")
    # Five guesses, each from a different address: the per-account limit still counts them all.
    for attempt in range(5):
        response = log_in(client, "giulia@example.org", WRONG, ip=f"203.0.113.{attempt + 1}")
        assert response.status_code == 200
        assert not signed_in(client)

    response = log_in(client, "giulia@example.org", ip="198.51.100.7")
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert not signed_in(client)

    # Other accounts are not affected.
    assert log_in(client, other.email, ip="203.0.113.1").status_code == 302
    client.logout()

    # The lock-out is bounded: attempts refused meanwhile do not extend it.
    clock(4 * 60)
    log_in(client, "giulia@example.org", WRONG, ip="203.0.113.9")
    assert not signed_in(client)
    clock(61)
    assert log_in(client, "giulia@example.org", ip="198.51.100.7").status_code == 302
    assert signed_in(client)


def test_failures_from_one_address_are_limited_across_accounts(client):
    victims = [make_user(f"persona{n}@example.org") for n in range(11)]
    for user in victims[:10]:
        log_in(client, user.email, WRONG, ip="203.0.113.66")
    # From that address, even the right password for an untouched account is refused for a while...
    response = log_in(client, victims[10].email, ip="203.0.113.66")
    assert response.status_code == 200
    assert not signed_in(client)
    # ...while each of those accounts (one failure each) logs in from anywhere else.
    assert log_in(client, victims[10].email, ip="198.51.100.8").status_code == 302
    client.logout()
    assert log_in(client, victims[0].email, ip="198.51.100.8").status_code == 302


@override_settings(TRUSTED_PROXIES=["10.0.0.0/24"])
def test_behind_the_load_balancer_addresses_come_from_x_forwarded_for(client):
    make_user("giulia@example.org")
    balancer = "10.0.0.2"
    for n in range(10):
        log_in(client, f"nessuno{n}@example.org", WRONG, ip=balancer, HTTP_X_FORWARDED_FOR="203.0.113.66")
    refused = log_in(client, "giulia@example.org", ip=balancer, HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert refused.status_code == 200
    assert not signed_in(client)
    allowed = log_in(client, "giulia@example.org", ip=balancer, HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert allowed.status_code == 302


def test_a_password_reset_lifts_the_lock_out_at_once(client):
    make_user("giulia@example.org")
    for attempt in range(5):
        log_in(client, "giulia@example.org", WRONG, ip=f"203.0.113.{attempt + 1}")
    assert log_in(client, "giulia@example.org").status_code == 200

    client.post("/en/accounts/password/reset/", {"email": "giulia@example.org"})
    link = re.search(r"https?://[^/]+(/\S+/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
    form_url = client.get(link)["Location"]  # allauth moves the key into the session
    new_password = "un-altra-password-2026"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302

    assert log_in(client, "giulia@example.org", new_password).status_code == 302
    assert signed_in(client)


def test_too_many_logins_from_one_address_get_the_sites_own_429_page(client, tree):
    citizen = make_user("giulia@example.org")
    address = "203.0.113.5"
    for _ in range(30):
        assert log_in(client, citizen.email, ip=address).status_code == 302
        client.logout()
    response = client.post("/it/accounts/login/", {"login": citizen.email, "password": PASSWORD}, REMOTE_ADDR=address)
    assert response.status_code == 429
    body = response.content.decode()
    assert 'lang="it"' in body
    assert "Troppi tentativi in poco tempo" in body


def test_passwords_change_only_on_allauths_rate_limited_page(client):
    from django.urls import NoReverseMatch, reverse

    admin = AdminFactory()
    client.force_login(admin)
    account = client.get(reverse("wagtailadmin_account")).content.decode()
    assert 'name="password_old"' not in account and "old_password" not in account
    with pytest.raises(NoReverseMatch):
        reverse("wagtailadmin_account_change_password")
    assert client.get(reverse("account_change_password")).status_code == 200
