"""Replies, hidden comments and reports' contacts through the notices (issue 18): the reply email and the
"your comment was hidden" email are SentNotice rows sent by the ``send_notification`` task after the commit, in
the recipient's language (the reply's with its one-click unsubscribe), never in the request; an Open311
reporter's contact is written to by the ``send_email`` task; a failing mail server fails no page. And
unfollowing sticks: taking part again does not follow the process again, only the follow button does."""

from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import translation
from django.utils.timezone import now

from participation import moderation, notifications
from participation.comments import post_comment
from participation.models import ParticipationComment, ProcessFollower, ReportStatus, SentNotice
from participation.models.reports import ReportSource
from tests.factories import ModeratorFactory, ReportFactory
from tests.test_moderation import bulk_url
from tests.test_notifications import follow_url
from tests.test_report_admin import edit_url, in_english, reporting  # noqa: F401

pytestmark = pytest.mark.django_db

FAILING = "tests.test_notifications.FailingBackend"  # a mail server that is down


def post(client, language, page, text, parent=None):
    data = {"page": page.pk, "comment": text}
    if parent:
        data["parent"] = parent
    return client.post(f"/{language}/comments/post/", data)


@pytest.fixture
def english_comment(tree, citizen):
    """Giulia's comment, written in English on the open process (its thread is shared by both languages)."""
    with translation.override("en"):
        return post_comment(page=tree["consultation"]["en"], user=citizen, text="an idea in English", notify=False)


# --- replies ---------------------------------------------------------------------------------------------


def test_a_reply_is_a_notice_sent_by_the_task_in_the_authors_language_with_its_unsubscribe(
    client, tree, citizen, marco, english_comment, django_capture_on_commit_callbacks
):
    client.force_login(marco)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "it", tree["consultation"]["it"], "una risposta", parent=english_comment.pk)
    assert response.status_code == 302
    reply = ParticipationComment.objects.get(comment="una risposta")
    notice = SentNotice.objects.get(user=citizen)
    assert (notice.key, notice.kind, notice.language) == (f"reply:{reply.pk}", "replies", "en")
    assert notice.sent_at is not None and notice.attempts == 1
    [message] = mail.outbox
    assert message.to == [citizen.email]
    assert "New reply to your comment" in message.subject and "Parco Dora" in message.subject  # in English
    assert "Marco B. replied to your comment" in message.body and "una risposta" in message.body
    assert marco.email not in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url in message.body and urlsplit(url).path.startswith("/en/notifications/unsubscribe/")
    assert "replies to your comments" in message.body  # what the link stops
    # Recording the same event again does nothing (idempotent key).
    assert notifications.comment_replied(english_comment, reply) is None
    assert SentNotice.objects.filter(user=citizen).count() == 1


def test_replying_to_oneself_or_with_replies_turned_off_tells_no_one(
    client, tree, citizen, marco, english_comment, django_capture_on_commit_callbacks
):
    client.force_login(citizen)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "it", tree["consultation"]["it"], "mi rispondo da sola", parent=english_comment.pk)
    citizen.notify_replies = False
    citizen.save()
    client.force_login(marco)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "it", tree["consultation"]["it"], "una risposta", parent=english_comment.pk)
    assert not SentNotice.objects.exists()


def test_unsubscribing_from_replies_by_the_token_stops_them(
    client, tree, citizen, marco, english_comment, django_capture_on_commit_callbacks
):
    client.force_login(marco)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "it", tree["consultation"]["it"], "prima risposta", parent=english_comment.pk)
    [message] = mail.outbox
    path = urlsplit(message.extra_headers["List-Unsubscribe"].strip("<>")).path
    visitor = Client(enforce_csrf_checks=True)  # no login, no cookie: the mail provider's one-click POST
    assert "replies to your comments" in visitor.get(path).content.decode()
    assert visitor.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    citizen.refresh_from_db()
    assert not citizen.notify_replies
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "it", tree["consultation"]["it"], "seconda risposta", parent=english_comment.pk)
    assert mail.outbox == [] and SentNotice.objects.filter(user=citizen).count() == 1


def test_a_reply_waits_for_the_weekly_digest_when_the_citizen_chose_it(
    client, tree, citizen, marco, english_comment, django_capture_on_commit_callbacks
):
    notifications.save_settings(citizen, digest=True)
    client.force_login(marco)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "it", tree["consultation"]["it"], "una risposta", parent=english_comment.pk)
    assert mail.outbox == [] and SentNotice.objects.get(user=citizen).in_digest
    with django_capture_on_commit_callbacks(execute=True):
        notifications.send_digests(force=True)
    [digest] = mail.outbox
    assert "Marco B. replied to your comment on “Parco Dora" in digest.body


def test_a_reply_hidden_before_the_email_goes_is_not_told(
    client, tree, citizen, marco, english_comment, django_capture_on_commit_callbacks
):
    notifications.save_settings(citizen, digest=True)
    client.force_login(marco)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "it", tree["consultation"]["it"], "una risposta sgarbata", parent=english_comment.pk)
    reply = ParticipationComment.objects.get(comment="una risposta sgarbata")
    moderation.hide([reply], ModeratorFactory(), reason="offensive")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.send_digests(force=True)
    assert [m.to for m in mail.outbox if m.to == [citizen.email]] == []


# --- "your comment was hidden" ------------------------------------------------------------------------------


def test_the_hidden_comment_email_goes_through_the_task_without_unsubscribe(
    citizen, english_comment, django_capture_on_commit_callbacks
):
    notifications.save_settings(citizen, digest=True)  # a service message never waits for the digest
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert moderation.hide([english_comment], ModeratorFactory(), reason="personal_data", note="No phones.") == 1
    notice = SentNotice.objects.get(user=citizen)
    assert notice.kind == "service" and not notice.in_digest and notice.sent_at is not None
    [message] = mail.outbox
    assert message.to == [citizen.email] and "was hidden by the moderators" in message.subject
    assert "Personal data" in message.body and "No phones." in message.body and "an idea in English" in message.body
    assert "List-Unsubscribe" not in message.extra_headers and "/notifications/unsubscribe/" not in message.body
    # Unsubscribing from everything leaves a pending service message alone.
    SentNotice.objects.filter(pk=notice.pk).update(sent_at=None)
    notifications.apply_unsubscribe(citizen, "all")
    assert SentNotice.objects.filter(pk=notice.pk).exists()


def test_a_comment_restored_before_the_email_goes_is_not_told(citizen, english_comment, committed):
    moderator = ModeratorFactory()
    with override_settings(EMAIL_BACKEND=FAILING):
        committed(moderation.hide, [english_comment], moderator, reason="spam")
    moderation.restore([english_comment], moderator)
    mail.outbox.clear()
    assert committed(notifications.retry_unsent, now() + notifications.RETRY_AFTER * 2) == 1
    assert mail.outbox == []


# --- a failing mail server ----------------------------------------------------------------------------------


def test_a_failing_mail_server_fails_neither_a_reply_nor_the_hiding_and_the_notices_are_retried(
    client, tree, citizen, marco, english_comment, django_capture_on_commit_callbacks, committed
):
    client.force_login(marco)
    with override_settings(EMAIL_BACKEND=FAILING):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, "it", tree["consultation"]["it"], "una risposta", parent=english_comment.pk)
        assert response.status_code == 302
        reply = ParticipationComment.objects.get(comment="una risposta")
        moderator = ModeratorFactory(username="moderatrice")
        client.force_login(moderator)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(bulk_url("hide", reply), {"reason": "spam", "note": ""})
        assert response.status_code == 302
    reply.refresh_from_db()
    assert not reply.is_public
    pending = SentNotice.objects.filter(sent_at__isnull=True, attempts=1)
    assert {(notice.user, notice.kind) for notice in pending} == {(citizen, "replies"), (marco, "service")}
    mail.outbox.clear()
    assert committed(notifications.retry_unsent, now() + notifications.RETRY_AFTER * 2) == 2
    # The reply was hidden meanwhile: Giulia is not told about it; Marco learns why his reply was hidden.
    assert [m.to for m in mail.outbox] == [[marco.email]] and "nascosto" in mail.outbox[0].subject
    assert not SentNotice.objects.filter(sent_at__isnull=True).exists()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


# --- unfollowing sticks --------------------------------------------------------------------------------------


def test_unfollowing_sticks_when_taking_part_again_and_the_button_follows_again(client, tree, citizen):
    from participation.polls import cast_vote

    process = tree["consultation"]["it"]
    key = process.translation_key
    poll = tree["poll"]["it"]
    client.force_login(citizen)
    post_comment(page=process, user=citizen, text="Prima volta.", notify=False)
    assert notifications.is_following(citizen, key)
    client.post(follow_url(process), {"follow": "0", "next": process.url})
    assert not notifications.is_following(citizen, key)
    # Taking part again: a vote, a comment. The choice holds.
    cast_vote(poll=poll, user=citizen, option_ids=[poll.options.first().pk])
    post_comment(page=process, user=citizen, text="Seconda volta.", notify=False)
    assert not notifications.is_following(citizen, key)
    assert 'name="follow" value="1"' in client.get(process.url).content.decode()
    # The preferences page lists it among the processes they stopped following, with a button to follow again.
    page = client.get("/en/accounts/notifications/").content.decode()
    assert "Processes you stopped following" in page and "Follow again" in page
    # Export: the choice is there.
    from accounts import registry

    [record] = [r for r in registry.export(citizen)["following"]["records"] if "process" in r]
    assert record["following"] is False
    # The button follows again, keeping the choice of kinds.
    ProcessFollower.objects.filter(user=citizen).update(votes=False)
    client.post(follow_url(process), {"follow": "1", "next": process.url})
    row = ProcessFollower.objects.get(user=citizen)
    assert row.following and not row.votes and row.phases
    assert 'name="follow" value="0"' in client.get(process.url).content.decode()
    assert "Processes you stopped following" not in client.get("/en/accounts/notifications/").content.decode()


def test_unsubscribing_from_a_process_by_the_token_sticks_too(tree, citizen):
    key = tree["consultation"]["it"].translation_key
    notifications.follow(citizen, key, "it")
    token = notifications.unsubscribe_token(citizen, f"process:{key}:all")
    assert Client().post(f"/it/notifications/unsubscribe/{token}/").status_code == 200
    assert ProcessFollower.objects.filter(user=citizen, following=False).count() == 1
    post_comment(page=tree["consultation"]["it"], user=citizen, text="Ancora io.", notify=False)
    assert not notifications.is_following(citizen, key)
    # Nor do the time-based notices reach them.
    assert key not in {event.process_key for event in notifications.due_events()}


def test_a_citizen_who_never_chose_follows_when_taking_part(tree, citizen):
    post_comment(page=tree["consultation"]["it"], user=citizen, text="Eccomi.", notify=False)
    assert notifications.is_following(citizen, tree["consultation"]["it"].translation_key)


# --- an Open311 reporter without an account ---------------------------------------------------------------


@pytest.fixture
def open311_report(reporting):  # noqa: F811
    return ReportFactory(
        page=reporting["it"],
        user=None,
        source=ReportSource.OPEN311,
        contact_name="Anna Verdi",
        contact_email="segnalatore@example.org",
        language="en",
    )


def test_an_open311_contact_hears_the_update_after_the_commit_through_the_task(
    client, open311_report, django_capture_on_commit_callbacks
):
    client.force_login(in_english(ModeratorFactory(username="moderatrice")))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            edit_url(open311_report),
            {
                "action": "status",
                "status": "acknowledged",
                "message": "Inspection on Monday.",
                "office": open311_report.office_id,
            },
        )
    assert response.status_code == 302
    assert mail.outbox == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):  # the commit (what it enqueues runs after it)
        for callback in callbacks:
            callback()
    [message] = [m for m in mail.outbox if m.to == ["segnalatore@example.org"]]
    assert open311_report.reference in message.subject and "Acknowledged" in message.subject  # their language
    assert "Inspection on Monday." in message.body


def test_a_failing_mail_server_does_not_break_the_status_change_for_an_open311_contact(
    client, open311_report, django_capture_on_commit_callbacks
):
    client.force_login(in_english(ModeratorFactory(username="moderatrice")))
    with override_settings(EMAIL_BACKEND=FAILING):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                edit_url(open311_report),
                {
                    "action": "status",
                    "status": "acknowledged",
                    "message": "Inspection on Monday.",
                    "office": open311_report.office_id,
                },
            )
    assert response.status_code == 302
    open311_report.refresh_from_db()
    assert open311_report.status == ReportStatus.ACKNOWLEDGED and open311_report.updates.count() == 1


def test_the_receipt_and_the_offices_notice_go_through_the_task(open311_report, committed):
    from participation.reports import email_receipt

    mail.outbox.clear()
    with override_settings(EMAIL_BACKEND=FAILING):
        committed(email_receipt, open311_report)  # does not raise
    committed(email_receipt, open311_report)
    assert {m.to[0] for m in mail.outbox} == {"segnalatore@example.org", open311_report.office.email}
