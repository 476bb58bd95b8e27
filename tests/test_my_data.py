"""My data (issue 18): the citizen's ZIP of everything the registry exports, prepared by a background task and
emailed in their language, downloadable by its owner only until it expires; deleting one's account with the
password (tallies stay, staff refused, attempts limited); the client's IP address read through trusted proxies
only, and purged by age; the privacy page lists every kind of data from the registry."""

import io
import json
import shutil
import zipfile
from datetime import timedelta
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import models
from django.test import RequestFactory, override_settings
from django.utils import timezone, translation
from django_comments.models import Comment

from accounts import data_export, ip_addresses, registry
from accounts.models import DataExport
from civic_site.client_ip import client_ip
from home.demo import load_content
from participation.models import ParticipationComment, PollVote
from tests.factories import PASSWORD, CommentFactory, StandardPageFactory, UserFactory, build_tree, translate
from tests.test_exports import site  # noqa: F401 (the fixture)
from tests.test_registry import SECRET_EMAIL, SECRET_IP, citizen, tallies  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture(autouse=True)
def no_files_left():
    """The files of one test (whose requests are rolled back) never meet another's."""
    shutil.rmtree(data_export.root(), ignore_errors=True)
    yield
    shutil.rmtree(data_export.root(), ignore_errors=True)


def counts(site):  # noqa: F811
    """tests.test_registry's tallies, always in Italian: the budget's rows are the projects of the active
    language, and a request leaves its own language active."""
    with translation.override("it"):
        return tallies(site)


def prepare(client, person, language="it"):
    client.force_login(person)
    return client.post(f"/{language}/accounts/data/")


def zip_of(response):
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


# --- download my data ------------------------------------------------------------------------------------


def test_the_data_pages_need_a_login(client):
    for url in ("/it/accounts/data/", "/en/accounts/delete/", "/it/accounts/data/sometoken/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert client.post("/it/accounts/data/").status_code == 302
    assert not DataExport.objects.exists()


def test_the_export_holds_the_registry_export_and_a_readable_summary_and_is_emailed(client, citizen):  # noqa: F811
    person = citizen["user"]
    response = prepare(client, person, "en")
    assert response.status_code == 302 and response["Location"] == "/en/accounts/data/"
    export = DataExport.objects.get(user=person)
    assert export.status == DataExport.DONE and export.language == "en"
    assert data_export.path_of(export).parent == data_export.root()

    # The email, in the language the citizen asked in, with the link.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [SECRET_EMAIL]
    assert message.subject == "Your data from Torino Partecipa is ready"
    link = f"http://testserver/en/accounts/data/{export.token}/"
    assert link in message.body and "logged in" in message.body

    # The page shows it ready, with the link.
    page = client.get("/en/accounts/data/")
    assert page.status_code == 200
    assert f'href="/en/accounts/data/{export.token}/"' in page.content.decode()

    download = client.get(f"/en/accounts/data/{export.token}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert {"private", "no-store"} <= set(download["Cache-Control"].replace(" ", "").split(","))
    assert "attachment" in download["Content-Disposition"]
    archive = zip_of(download)
    assert sorted(archive.namelist()) == ["my-data.html", "my-data.json"]
    document = json.loads(archive.read("my-data.json"))
    data = document["data"]
    assert set(data) == {holding.key for holding in registry.holdings() if holding.export}
    assert data["account"]["records"][0]["email"] == SECRET_EMAIL
    assert any(record.get("text") == "Scrive una cittadina" for record in data["comments"]["records"]), data["comments"]
    assert data["poll_votes"]["records"], "the vote"
    text = json.dumps(data, ensure_ascii=False)
    for expected in (SECRET_EMAIL, "Scrive una cittadina", "Fontanella nuova", SECRET_IP):
        assert expected in text, expected
    html = archive.read("my-data.html").decode()
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "en"
    assert soup.h1.get_text() == "Your data on Torino Partecipa"
    headings = [h2.get_text() for h2 in soup.select("h2")]
    assert "Comments" in headings and "Your account" in headings
    assert SECRET_EMAIL in html and "Scrive una cittadina" in html


def test_the_email_and_summary_follow_the_language_of_the_request(client, citizen):  # noqa: F811
    prepare(client, citizen["user"], "it")
    export = DataExport.objects.get()
    assert f"http://testserver/it/accounts/data/{export.token}/" in mail.outbox[0].body
    html = zip_of(client.get(f"/it/accounts/data/{export.token}/")).read("my-data.html").decode()
    assert '<html lang="it">' in html and "Commenti" in html


def test_someone_else_cannot_download_it(client, citizen):  # noqa: F811
    prepare(client, citizen["user"])
    export = DataExport.objects.get()
    client.force_login(UserFactory())
    assert client.get(f"/it/accounts/data/{export.token}/").status_code == 404
    assert client.get("/it/accounts/data/not-a-token/").status_code == 404
    client.logout()
    assert client.get(f"/it/accounts/data/{export.token}/").status_code == 302  # to the login


def test_an_expired_link_is_refused_and_the_file_pruned(client, citizen, settings):  # noqa: F811
    prepare(client, citizen["user"])
    export = DataExport.objects.get()
    path = data_export.path_of(export)
    old = timezone.now() - timedelta(days=settings.PERSONAL_EXPORTS_DAYS, minutes=1)
    DataExport.objects.filter(pk=export.pk).update(created_at=old)
    response = client.get(f"/it/accounts/data/{export.token}/")
    assert response.status_code == 410
    assert not hasattr(response, "streaming_content")
    assert path.exists()
    call_command("prune_data_exports", verbosity=0)
    assert not path.exists() and not DataExport.objects.exists()


def test_one_request_an_hour(client, citizen):  # noqa: F811
    prepare(client, citizen["user"])
    response = client.post("/it/accounts/data/", follow=True)
    assert DataExport.objects.count() == 1
    assert response.redirect_chain[-1][0] == "/it/accounts/data/"
    client.post("/en/accounts/data/")
    assert "You asked for a copy of your data a short time ago" in client.get("/en/accounts/data/").content.decode()
    assert DataExport.objects.count() == 1
    DataExport.objects.update(created_at=timezone.now() - timedelta(hours=1, seconds=1))
    client.post("/it/accounts/data/")
    assert DataExport.objects.count() == 2


def test_a_failed_export_is_shown_and_can_be_asked_again(client, citizen):  # noqa: F811
    with mock.patch("accounts.data_export.write", side_effect=RuntimeError("disk full")):
        prepare(client, citizen["user"])
    export = DataExport.objects.get()
    assert export.status == DataExport.FAILED and not list(data_export.root().glob(f"data-{export.pk}-*"))
    assert not mail.outbox
    assert client.get(f"/it/accounts/data/{export.token}/").status_code == 404
    client.post("/it/accounts/data/")
    assert DataExport.objects.filter(status=DataExport.DONE).count() == 1


def test_deleting_the_account_deletes_its_files(client, citizen):  # noqa: F811
    prepare(client, citizen["user"])
    path = data_export.path_of(DataExport.objects.get())
    from accounts.deletion import delete_account

    delete_account(citizen["user"])
    assert not path.exists() and not DataExport.objects.exists()


# --- delete my account -----------------------------------------------------------------------------------


def test_the_delete_page_says_what_happens_from_the_registry(client, citizen):  # noqa: F811
    client.force_login(citizen["user"])
    page = client.get("/en/accounts/delete/").content.decode()
    items = [li.get_text(" ", strip=True) for li in BeautifulSoup(page, "html.parser").select("main ul li")]
    with translation.override("en"):
        for holding in registry.holdings():
            assert holding.when_deleted, holding.key
            assert f"{holding.label} : {holding.when_deleted}" in items, holding.key


def test_a_wrong_password_deletes_nothing(client, citizen, site):  # noqa: F811
    person = citizen["user"]
    client.force_login(person)
    before = counts(site)
    response = client.post("/en/accounts/delete/", {"password": "sbagliata", "confirm": "on"})
    assert response.status_code == 200
    assert "This is not your password. Your account has not been deleted." in response.content.decode()
    assert User.objects.filter(pk=person.pk).exists()
    assert client.get("/it/accounts/profile/").status_code == 200  # still logged in
    unconfirmed = client.post("/it/accounts/delete/", {"password": PASSWORD})
    assert unconfirmed.status_code == 200 and User.objects.filter(pk=person.pk).exists()
    assert counts(site) == before
    assert ParticipationComment.objects.get(pk=citizen["comment"].pk).user_id == person.pk


def test_the_right_password_deletes_the_account_logs_out_and_keeps_the_tallies(client, citizen, site):  # noqa: F811
    person = citizen["user"]
    client.force_login(person)
    before = counts(site)
    votes = PollVote.objects.count()
    response = client.post("/en/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/en/accounts/delete/done/"
    assert not User.objects.filter(pk=person.pk).exists()
    assert counts(site) == before and PollVote.objects.count() == votes
    comment = ParticipationComment.objects.get(pk=citizen["comment"].pk)
    assert comment.user_id is None and comment.ip_address is None
    done = client.get(response["Location"])
    assert done.status_code == 200 and "Your account has been deleted" in done.content.decode()
    assert client.get("/en/accounts/profile/").status_code == 302  # logged out


def test_staff_are_refused(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/en/accounts/delete/")
    assert page.status_code == 200 and "an administrator deletes staff accounts" in page.content.decode()
    assert 'name="password"' not in page.content.decode()
    response = client.post("/en/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 403
    assert User.objects.filter(pk=admin_user.pk).exists()
    editor = UserFactory(is_staff=True)
    client.force_login(editor)
    assert client.post("/en/accounts/delete/", {"password": PASSWORD, "confirm": "on"}).status_code == 403
    assert User.objects.filter(pk=editor.pk).exists()


def test_password_attempts_are_limited(client):
    person = UserFactory()
    client.force_login(person)
    for _attempt in range(5):
        assert client.post("/en/accounts/delete/", {"password": "wrong", "confirm": "on"}).status_code == 200
    refused = client.post("/en/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "try again in" in refused.content.decode()
    assert User.objects.filter(pk=person.pk).exists()


def test_the_forms_need_the_csrf_token(citizen):  # noqa: F811
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen["user"])
    assert client.post("/it/accounts/data/").status_code == 403
    assert client.post("/it/accounts/delete/", {"password": PASSWORD, "confirm": "on"}).status_code == 403
    assert User.objects.filter(pk=citizen["user"].pk).exists() and not DataExport.objects.exists()


def test_the_profile_links_to_both(client):
    client.force_login(UserFactory())
    page = client.get("/it/accounts/profile/").content.decode()
    assert 'href="/it/accounts/data/"' in page and 'href="/it/accounts/delete/"' in page


# --- IP addresses ----------------------------------------------------------------------------------------


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@override_settings(TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_address_is_remote_addr():
    assert client_ip(request_from("203.0.113.5", "198.51.100.1")) == "203.0.113.5"
    assert client_ip(request_from("")) is None
    assert client_ip(request_from("not-an-ip")) is None


@override_settings(TRUSTED_PROXIES=["10.0.0.0/24", "192.0.2.7"])
def test_behind_trusted_proxies_the_address_is_the_right_most_untrusted_one():
    # The balancer (a CIDR network) appended the client's address.
    assert client_ip(request_from("10.0.0.2", "198.51.100.9")) == "198.51.100.9"
    # A client sending its own X-Forwarded-For: what it wrote is at the left, the real address at the right.
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, 198.51.100.9")) == "198.51.100.9"
    # Two proxies of ours (one a single address).
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, 198.51.100.9, 192.0.2.7")) == "198.51.100.9"
    # Garbage stops the walk at the last trusted hop, never at what the client wrote further left.
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, bogus")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, bogus, 192.0.2.7")) == "192.0.2.7"
    # No header: the proxy's own address. Ports and IPv4-mapped IPv6 are read as addresses.
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2", "198.51.100.9:5555")) == "198.51.100.9"
    assert client_ip(request_from("::ffff:10.0.0.2", "[2001:db8::1]:443")) == "2001:db8::1"
    # A spoofed header from a client that is not a trusted proxy is ignored.
    assert client_ip(request_from("203.0.113.5", "198.51.100.9")) == "203.0.113.5"
    assert client_ip(request_from("10.0.1.2", "198.51.100.9")) == "10.0.1.2"  # outside the /24


@override_settings(TRUSTED_PROXIES=["10.0.0.0/24"])
def test_comments_store_the_address_read_through_the_proxies(client, tree):
    from participation.core import ratelimit

    assert ratelimit.client_ip is client_ip  # the one function
    client.force_login(UserFactory())
    data = {"page": tree["poll"]["it"].pk, "comment": "Dal parco"}
    client.post("/it/comments/post/", data, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9")
    assert ParticipationComment.objects.get(comment="Dal parco").ip_address == "198.51.100.9"
    client.post(
        "/it/comments/post/", {**data, "comment": "Da casa"}, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert ParticipationComment.objects.get(comment="Da casa").ip_address == "203.0.113.5"


def test_every_stored_ip_address_is_registered_for_the_purge():
    found = set()
    for model in apps.get_models():
        for field in model._meta.local_concrete_fields:
            if isinstance(field, models.GenericIPAddressField):
                found.add((model._meta.label, field.name))
    registered = {(stored.model, stored.field) for stored in ip_addresses.registered()}
    assert found - registered == set(), "register these with accounts.ip_addresses"
    assert registered - found == set()


def test_the_purge_clears_only_old_addresses(tree, settings):
    page = tree["poll"]["it"]
    old = CommentFactory(page=page, text="Vecchio")
    recent = CommentFactory(page=page, text="Recente")
    now = timezone.now()
    Comment.objects.filter(pk=old.pk).update(ip_address="198.51.100.1", submit_date=now - timedelta(days=366))
    Comment.objects.filter(pk=recent.pk).update(ip_address="198.51.100.2", submit_date=now - timedelta(days=364))
    assert settings.IP_RETENTION_DAYS == 365
    out = io.StringIO()
    call_command("purge_ip_addresses", stdout=out)
    assert "django_comments.Comment.ip_address: cleared 1" in out.getvalue()
    old, recent = Comment.objects.get(pk=old.pk), Comment.objects.get(pk=recent.pk)
    assert old.ip_address is None and old.comment == "Vecchio"
    assert recent.ip_address == "198.51.100.2"
    assert ip_addresses.purge(days=0)["django_comments.Comment.ip_address"] == 1


def test_the_hourly_command_also_purges_old_addresses(tree):
    """send_notifications is the one scheduled command: it runs the purge the privacy page promises."""
    old = CommentFactory(page=tree["poll"]["it"], text="Vecchio")
    Comment.objects.filter(pk=old.pk).update(
        ip_address="198.51.100.1", submit_date=timezone.now() - timedelta(days=400)
    )
    call_command("send_notifications", verbosity=0)
    assert Comment.objects.get(pk=old.pk).ip_address is None


# --- the privacy page ------------------------------------------------------------------------------------


def test_the_privacy_page_lists_every_holding_from_the_registry(client):
    tree = build_tree(poll=False)
    body = [{"type": "heading", "value": "Quali dati trattiamo"}, {"type": "personal_data_list", "value": None}]
    privacy = StandardPageFactory(parent=tree["home"]["it"], title="Privacy", slug="privacy", body=body)
    translate(privacy, title="Privacy notice", slug="privacy")
    for code in ("it", "en"):
        html = BeautifulSoup(client.get(f"/{code}/privacy/").content.decode(), "html.parser")
        terms = [dt.get_text(strip=True) for dt in html.select(".personal-data-list dt")]
        details = [dd.get_text(strip=True) for dd in html.select(".personal-data-list dd")]
        with translation.override(code):
            assert terms == [str(holding.label) for holding in registry.holdings()]
            assert details == [str(holding.stored) for holding in registry.holdings()]
    assert "Commenti" in terms or "Comments" in terms


def test_the_demo_privacy_page_uses_the_list_in_both_languages():
    privacy = next(page for page in load_content()["standard_pages"] if page["role"] == "privacy")
    for code in ("it", "en"):
        kinds = [block["type"] for block in privacy[code]["body"]]
        assert kinds.count("personal_data_list") == 1, code
        text = json.dumps(privacy[code]["body"], ensure_ascii=False)
        assert "Indirizzo IP</b>" not in text and "IP address</b>" not in text  # the old hand-written list


def test_an_account_without_a_password_confirms_its_deletion_with_a_recent_login(client, citizen, site):  # noqa: F811
    """Accounts made by a SPID/CIE login have no password: a login in the last minutes confirms instead."""
    from datetime import timedelta

    from django.utils import timezone

    person = citizen["user"]
    person.set_unusable_password()
    person.save()
    client.force_login(person)  # sets last_login to now
    User.objects.filter(pk=person.pk).update(last_login=timezone.now() - timedelta(hours=1))
    stale = client.get("/en/accounts/delete/")
    assert "log in again with SPID or CIE" in stale.content.decode() and 'name="confirm"' not in stale.content.decode()
    assert client.post("/en/accounts/delete/", {"confirm": "on"}).status_code == 200
    assert User.objects.filter(pk=person.pk).exists()
    client.force_login(person)
    fresh_page = client.get("/en/accounts/delete/").content.decode()
    assert 'name="password"' not in fresh_page and 'name="confirm"' in fresh_page
    response = client.post("/en/accounts/delete/", {"confirm": "on"})
    assert response.status_code == 302 and not User.objects.filter(pk=person.pk).exists()
