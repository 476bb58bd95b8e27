"""Follow a process and be told (issue 18): following, the notices, the digest, one-click unsubscribe and the
background task path (participation/notifications.py, participation/following.py)."""

from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from participation import notifications
from participation.models import NotificationSettings, ProcessFollower, SentNotice
from tests.factories import (
    ConsultationPageFactory,
    IdeaFactory,
    IdeaMapPageFactory,
    ModeratorFactory,
    PollPageFactory,
    UserFactory,
    phase,
    translate,
)

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """run(function, *args): call it and run what it left for after the commit (the tests' transaction never
    commits), as the command does outside a transaction."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


def follow_url(process):
    return f"/it/notifications/follow/{process.translation_key}/"


# --- following ---------------------------------------------------------------------------------------


def test_the_process_page_offers_to_follow_to_citizens_and_a_login_link_to_visitors(client, tree, citizen):
    process = tree["consultation"]["it"]
    anonymous = client.get(process.url).content.decode()
    assert "/accounts/login/?next=" in anonymous and "follow-heading" in anonymous
    assert "/notifications/follow/" not in anonymous and "csrfmiddlewaretoken" not in anonymous
    client.force_login(citizen)
    signed_in = client.get(process.url).content.decode()
    assert follow_url(process) in signed_in and 'name="follow" value="1"' in signed_in
    client.post(follow_url(process), {"follow": "1", "next": process.url})
    assert 'name="follow" value="0"' in client.get(process.url).content.decode()
    # The copy stored for anonymous visitors never holds a citizen's button.
    client.logout()
    for _attempt in range(2):  # the second answer comes from the page cache
        again = Client().get(process.url).content.decode()
        assert "/notifications/follow/" not in again and 'name="follow"' not in again


def test_following_needs_a_login_a_post_and_the_csrf_token(client, tree, citizen):
    process = tree["consultation"]["it"]
    response = client.post(follow_url(process), {"follow": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not ProcessFollower.objects.exists()
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(citizen)
    assert guarded.post(follow_url(process), {"follow": "1"}).status_code == 403
    client.force_login(citizen)
    assert client.get(follow_url(process)).status_code == 405
    assert client.post(follow_url(process), {"follow": "1", "next": "https://evil.example/"}).status_code == 302
    [row] = ProcessFollower.objects.all()
    assert row.user == citizen and row.process_key == process.translation_key and row.language == "it"
    client.post(follow_url(process), {"follow": "1"})  # twice: still one row
    assert ProcessFollower.objects.count() == 1
    client.post(follow_url(process), {"follow": "0"})
    assert not ProcessFollower.objects.filter(following=True).exists()
    assert (
        client.post("/it/notifications/follow/00000000-0000-0000-0000-000000000000/", {"follow": "1"}).status_code
        == 404
    )


def test_the_follow_button_costs_one_query(client, tree, citizen):
    process = tree["consultation"]["it"]
    client.force_login(citizen)
    client.get(process.url)
    with CaptureQueriesContext(connection) as before:
        client.get(process.url)
    client.post(follow_url(process), {"follow": "1"})
    client.get(process.url)
    with CaptureQueriesContext(connection) as after:
        client.get(process.url)
    assert len(after) == len(before)
    assert len([q for q in after.captured_queries if "processfollower" in q["sql"]]) == 1


def test_taking_part_follows_the_process_once(tree, citizen):
    from participation.comments import post_comment
    from participation.polls import cast_vote
    from tests.factories import open_thread

    poll = tree["poll"]["en"]
    with override_settings(LANGUAGE_CODE="en"):
        from django.utils import translation

        with translation.override("en"):
            cast_vote(poll=poll, user=citizen, option_ids=[poll.options.first().pk])
    [row] = ProcessFollower.objects.all()
    assert row.process_key == tree["consultation"]["it"].translation_key and row.language == "en"
    open_thread(tree["consultation"]["it"])
    post_comment(page=tree["consultation"]["it"], user=citizen, text="Bella idea.")
    assert ProcessFollower.objects.count() == 1


def test_the_preferences_page_lists_follows_and_saves_choices(client, tree, citizen):
    process = tree["consultation"]
    assert client.get("/it/accounts/notifications/").status_code == 302  # log in first
    notifications.follow(citizen, process["it"].translation_key, "it")
    client.force_login(citizen)
    page = client.get("/en/accounts/notifications/").content.decode()
    assert "Parco Dora: let&#x27;s design the area together" in page and "Stop following" in page
    row = ProcessFollower.objects.get()
    response = client.post(
        "/en/accounts/notifications/", {f"{row.pk}-phases": "on", f"{row.pk}-results": "on", "digest": "on"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    citizen.refresh_from_db()
    assert row.phases and not row.votes and row.results
    settings = NotificationSettings.objects.get(user=citizen)
    assert settings.digest and not settings.updates and not citizen.notify_replies


# --- the notices -------------------------------------------------------------------------------------------


@pytest.fixture
def busy_process(tree):
    """A bilingual process whose first phase ended yesterday, whose second began today, with a poll that opened
    an hour ago and closes in 23 hours, and a results phase in 20 days."""
    now = timezone.now()
    italian = ConsultationPageFactory(
        parent=tree["index"]["it"],
        title="Piazza Foroni",
        slug="piazza-foroni",
        phases=[phase("Ascolto", -5, -1), phase("Voto", 0, 10), phase("Risultati", 20, 30, is_results=True)],
    )
    english = translate(
        italian, "en", title="Foroni Square", slug="foroni-square", phases=["Listening", "Vote", "Results"]
    )
    poll = PollPageFactory(
        parent=italian,
        title="Panchine",
        slug="panchine",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(hours=23),
    )
    translate(poll, "en", title="Benches", slug="benches")
    return {"it": italian, "en": english, "poll": poll}


def test_each_notice_goes_once_to_the_followers_who_want_it_in_their_language(busy_process, committed):
    key = busy_process["it"].translation_key
    italian, english, no_votes, unfollowed = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    notifications.follow(italian, key, "it")
    notifications.follow(english, key, "en")
    notifications.follow(no_votes, key, "it")
    ProcessFollower.objects.filter(user=no_votes).update(votes=False)
    notifications.follow(unfollowed, key, "it")
    notifications.unfollow(unfollowed, key)
    mail.outbox.clear()
    committed(call_command, "send_notifications", stdout=StringIO())
    by_user = {}
    for message in mail.outbox:
        by_user.setdefault(message.to[0], []).append(message.subject)
    assert unfollowed.email not in by_user
    italian_subjects = " ".join(by_user[italian.email])
    assert "Piazza Foroni" in italian_subjects and "Ascolto" in italian_subjects and "Panchine" in italian_subjects
    assert len(by_user[italian.email]) == 4  # phase ended, phase began, vote open, vote closes tomorrow
    assert len(by_user[no_votes.email]) == 2
    english_subjects = " ".join(by_user[english.email])
    assert "Foroni Square" in english_subjects and "Listening" in english_subjects and "Benches" in english_subjects
    assert "closes tomorrow" in english_subjects
    # Run again (cron, an hour later): nothing new.
    mail.outbox.clear()
    committed(call_command, "send_notifications", stdout=StringIO())
    assert mail.outbox == []
    # The results phase begins: told once, to those who want results.
    ProcessFollower.objects.filter(user=english).update(results=False)
    later = timezone.now() + timedelta(days=20, hours=1)
    assert committed(notifications.send_due, later) >= 1
    assert {message.to[0] for message in mail.outbox} == {italian.email, no_votes.email}
    assert all("Piazza Foroni" in message.subject and "Voto" not in message.subject for message in mail.outbox)
    mail.outbox.clear()
    committed(notifications.send_due, later)
    assert mail.outbox == []


def test_the_weekly_digest_collects_the_weeks_news_in_one_email(busy_process, committed):
    citizen = UserFactory()
    notifications.follow(citizen, busy_process["it"].translation_key, "en")
    notifications.save_settings(citizen, digest=True)
    mail.outbox.clear()
    assert committed(notifications.send_due) == 4
    assert mail.outbox == []
    assert committed(notifications.send_digests, timezone.now(), force=False) in (0, 1)  # only on the digest's weekday
    committed(notifications.send_digests, force=True)
    [digest] = mail.outbox
    assert "Listening" in digest.body and "Vote" in digest.body and "Benches" in digest.body
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mail.outbox.clear()
    committed(notifications.send_digests, force=True)
    committed(call_command, "send_notifications", "--digest", stdout=StringIO())
    assert mail.outbox == []


def test_an_answered_idea_tells_its_author_unless_they_turned_it_off(client, tree, django_capture_on_commit_callbacks):
    from tests.test_ideas import edit_in_admin

    idea_map = IdeaMapPageFactory(parent=tree["consultation"]["it"], revision=True)
    author, quiet = UserFactory(), UserFactory()
    idea = IdeaFactory(page=idea_map, user=author, language="it", title="Panchine")
    silent = IdeaFactory(page=idea_map, user=quiet, language="it", title="Fontana")
    notifications.save_settings(quiet, updates=False)
    client.force_login(ModeratorFactory())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        edit_in_admin(client, idea, status="feasible", answer="Si può fare.", answered_by="Verde Pubblico")
        edit_in_admin(client, silent, status="feasible", answer="Si può fare.", answered_by="Verde Pubblico")
    [message] = mail.outbox
    assert message.to == [author.email] and "Si può fare." in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")


# --- unsubscribe -------------------------------------------------------------------------------------------


def test_one_click_unsubscribe_without_login_and_forged_tokens_are_refused(busy_process, committed):
    citizen = UserFactory()
    notifications.follow(citizen, busy_process["it"].translation_key, "en")
    mail.outbox.clear()
    committed(notifications.send_due)
    message = next(m for m in mail.outbox if "closes tomorrow" in m.subject)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url in message.body
    path = urlsplit(url).path
    assert path.startswith("/en/notifications/unsubscribe/")
    visitor = Client(enforce_csrf_checks=True)
    confirm = visitor.get(path)
    assert confirm.status_code == 200 and "Foroni Square" in confirm.content.decode()
    assert ProcessFollower.objects.get(user=citizen).votes  # a GET changes nothing
    done = visitor.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Done" in done.content.decode()
    row = ProcessFollower.objects.get(user=citizen)
    assert not row.votes and row.phases and row.results
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = notifications.unsubscribe_token(UserFactory(), "all")[:-3] + "abc"
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "nonsense", "x" * 300):
        response = visitor.post(f"/en/notifications/unsubscribe/{bad}/")
        assert response.status_code == 400 and "does not work" in response.content.decode()
        assert visitor.get(f"/en/notifications/unsubscribe/{bad}/").status_code == 400


def test_unsubscribing_from_everything(tree, citizen):
    notifications.follow(citizen, tree["consultation"]["it"].translation_key, "it")
    token = notifications.unsubscribe_token(citizen, "all")
    assert Client().post(f"/it/notifications/unsubscribe/{token}/").status_code == 200
    citizen.refresh_from_db()
    assert not ProcessFollower.objects.filter(following=True).exists() and not citizen.notify_replies
    assert not NotificationSettings.objects.get(user=citizen).updates


# --- the task path -----------------------------------------------------------------------------------------


def test_a_failing_mail_server_never_fails_the_request_and_the_notice_is_retried(
    client, tree, django_capture_on_commit_callbacks, committed
):
    from tests.test_ideas import edit_in_admin

    idea_map = IdeaMapPageFactory(parent=tree["consultation"]["it"], revision=True)
    author = UserFactory()
    idea = IdeaFactory(page=idea_map, user=author, language="it")
    client.force_login(ModeratorFactory())
    with override_settings(EMAIL_BACKEND="tests.test_notifications.FailingBackend"):
        with django_capture_on_commit_callbacks(execute=True):
            response = edit_in_admin(client, idea, status="feasible", answer="Sì.", answered_by="Verde Pubblico")
    assert response.status_code == 302
    notice = SentNotice.objects.get(user=author)
    assert notice.sent_at is None and notice.attempts == 1
    mail.outbox.clear()
    assert committed(notifications.retry_unsent, timezone.now() + timedelta(minutes=20)) == 1
    notice.refresh_from_db()
    assert notice.sent_at is not None and [m.to for m in mail.outbox] == [[author.email]]
    assert committed(notifications.retry_unsent, timezone.now() + timedelta(minutes=40)) == 0


def test_the_registry_exports_and_forgets_follows(tree, citizen):
    from accounts import registry

    notifications.follow(citizen, tree["consultation"]["it"].translation_key, "it")
    records = registry.export(citizen)["following"]["records"]
    assert records[0]["process"] == tree["consultation"]["it"].title
    registry.anonymise(citizen)
    assert not ProcessFollower.objects.filter(user=citizen).exists()
