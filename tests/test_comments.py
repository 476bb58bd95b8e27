"""Comment threads: shared across languages, verified citizens only, moderated in the admin."""

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participation.comments import post_comment
from participation.models import CommentReport, CommentThread, ParticipationComment
from tests.factories import ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def parco(tree):
    """The process (open now) in both languages: its thread is shared."""
    return tree["consultation"]


def html(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def post(client, language, page, text, parent=None):
    data = {"page": page.pk, "comment": text}
    if parent:
        data["parent"] = parent
    return client.post(f"/{language}/comments/post/", data)


def test_thread_is_shared_by_both_languages_and_shows_each_language(client, citizen, parco):
    client.force_login(citizen)
    response = post(client, "en", parco["en"], "Benches near the river, please.")
    assert response.status_code == 302
    comment = ParticipationComment.objects.get(comment="Benches near the river, please.")
    assert comment.group_id == parco["it"].translation_key == parco["en"].translation_key  # the translation group
    assert comment.language == "en"
    assert response["Location"] == f"{parco['en'].url}#c{comment.pk}"

    italian = html(client.get(parco["it"].url))
    item = italian.select_one(f"#c{comment.pk}")
    assert "Benches near the river" in item.get_text()
    assert item.select_one(".comment-text")["lang"] == "en"
    assert "English" in item.get_text()
    assert "Giulia R." in item.get_text()
    assert citizen.email not in client.get(parco["it"].url).content.decode()


def test_anonymous_visitors_read_but_are_asked_to_log_in(client, parco):
    page = html(client.get(parco["it"].url))
    assert page.select_one("#comments")
    assert not page.select_one("form.comment-form")
    assert page.select_one("#comment-form a[href^='/it/accounts/login/']")
    response = post(client, "it", parco["it"], "anonimo")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not ParticipationComment.objects.filter(comment="anonimo").exists()


def test_unverified_email_cannot_post_and_keeps_the_text(client, parco):
    user = UserFactory(verified=False, display_name="Nuovo")
    assert not EmailAddress.objects.get(user=user).verified
    client.force_login(user)
    response = post(client, "it", parco["it"], "Il mio commento non verificato")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Il mio commento non verificato" in body
    assert "Conferma il tuo indirizzo email" in body
    assert not ParticipationComment.objects.filter(user=user).exists()


def test_text_is_escaped_and_links_are_safe(client, citizen, parco):
    client.force_login(citizen)
    post(client, "it", parco["it"], '<script>alert("x")</script> vedi https://example.org/parco <b>ok</b>')
    body = client.get(parco["it"].url).content.decode()
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;" in body
    assert "<b>ok</b>" not in body
    link = html(client.get(parco["it"].url)).select_one('.comment-text a[href="https://example.org/parco"]')
    assert link is not None and "nofollow" in link["rel"]


def test_too_long_comment_is_refused_in_the_citizens_language_and_kept(client, citizen, parco):
    client.force_login(citizen)
    text = "parola " * 500  # 3,500 characters
    response = post(client, "it", parco["it"], text)
    assert response.status_code == 400
    page = html(response)
    textarea = page.select_one("#comment-comment")
    assert textarea.get_text().strip() == text.strip()
    assert textarea["aria-invalid"] == "true"
    assert "comment-comment-error" in textarea["aria-describedby"]
    assert "3000" in page.select_one("#comment-comment-error").get_text()  # Django's Italian max-length message
    assert "Assicurati" in page.select_one("#comment-comment-error").get_text()


def test_replies_nest_two_levels_only(client, citizen, marco, parco):
    client.force_login(citizen)
    post(client, "it", parco["it"], "primo")
    first = ParticipationComment.objects.get(comment="primo")
    client.force_login(marco)
    post(client, "it", parco["it"], "risposta", parent=first.pk)
    reply = ParticipationComment.objects.get(comment="risposta")
    assert (reply.level, reply.thread_id) == (1, first.pk)
    post(client, "en", parco["en"], "reply to reply", parent=reply.pk)
    deepest = ParticipationComment.objects.get(comment="reply to reply")
    assert deepest.level == 2
    response = post(client, "it", parco["it"], "troppo in profondità", parent=deepest.pk)
    assert response.status_code == 400
    assert "troppo in profondità" in response.content.decode()
    assert not ParticipationComment.objects.filter(comment="troppo in profondità").exists()
    # Reply forms are offered only where a reply is allowed.
    page = html(client.get(parco["it"].url))
    assert page.select_one(f"#c{reply.pk} > article details.comment-reply")
    assert not page.select_one(f"#c{deepest.pk} > article details.comment-reply")


def test_rate_limit_refuses_the_sixth_comment_in_ten_minutes(client, citizen, parco):
    client.force_login(citizen)
    for number in range(5):
        assert post(client, "it", parco["it"], f"commento {number}").status_code == 302
    response = post(client, "it", parco["it"], "uno di troppo")
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= 600
    assert "uno di troppo" in response.content.decode()
    assert "Riprova tra" in response.content.decode()
    assert not ParticipationComment.objects.filter(comment="uno di troppo").exists()


def test_like_dislike_once_and_report(client, citizen, marco, parco):
    comment = post_comment(page=parco["it"], user=citizen, text="idea")
    client.force_login(marco)
    url = f"/it/comments/{comment.pk}/reaction/"
    client.post(url, {"reaction": "like"})
    client.post(url, {"reaction": "like"})  # a second click takes the like back
    assert comment.reactions.count() == 0
    client.post(url, {"reaction": "like"})
    client.post(url, {"reaction": "dislike"})  # switching replaces the like
    assert list(comment.reactions.values_list("value", flat=True)) == ["dislike"]
    report = f"/it/comments/{comment.pk}/report/"
    client.post(report, {"reason": "spam"})
    client.post(report, {"reason": "spam"})
    assert comment.reports.count() == 1
    page = html(client.get(parco["it"].url))
    assert "Hai segnalato questo commento" in page.select_one(f"#c{comment.pk}").get_text()
    assert client.post(url, {"reaction": "bogus"}).status_code == 404


def test_hidden_comments_leave_the_page_but_stay_in_the_database(client, citizen, marco, parco):
    parent = post_comment(page=parco["it"], user=citizen, text="testo offensivo")
    reply = post_comment(page=parco["it"], user=marco, text="risposta educata", parent_id=parent.pk)
    lonely = post_comment(page=parco["it"], user=marco, text="spam spam")
    ParticipationComment.objects.filter(pk__in=[parent.pk, lonely.pk]).update(is_public=False)
    body = client.get(parco["it"].url).content.decode()
    assert "testo offensivo" not in body
    assert "spam spam" not in body
    assert "risposta educata" in body  # replies stay, under a placeholder
    assert "nascosto dai moderatori" in body
    assert ParticipationComment.objects.filter(pk=lonely.pk).exists()
    assert ParticipationComment.objects.get(pk=reply.pk).is_public


def test_editor_closes_a_thread(client, citizen, parco):
    CommentThread.objects.create(page=parco["en"], state=CommentThread.CLOSED)  # holds for the translation group
    assert CommentThread.objects.get().group_id == parco["it"].translation_key
    client.force_login(citizen)
    page = html(client.get(parco["it"].url))
    assert not page.select_one("form.comment-form")
    assert "chiusi" in page.select_one("#comment-form").get_text()
    response = post(client, "it", parco["it"], "ancora aperto?")
    assert response.status_code == 400
    assert not ParticipationComment.objects.filter(comment="ancora aperto?").exists()


def test_thread_is_read_only_after_the_process_closes(client, citizen, parco, monkeypatch):
    from consultations.models import ConsultationPage

    monkeypatch.setattr(ConsultationPage, "is_open", property(lambda self: False))
    client.force_login(citizen)
    assert post(client, "it", parco["it"], "dopo la chiusura").status_code == 400
    CommentThread.objects.create(page=parco["it"], state=CommentThread.OPEN)
    assert post(client, "it", parco["it"], "riaperto a mano").status_code == 302


def test_reply_notification_email_in_the_authors_language_and_opt_out(
    client, citizen, marco, parco, django_capture_on_commit_callbacks
):
    from django.utils import translation

    with translation.override("en"):
        parent = post_comment(page=parco["en"], user=citizen, text="an idea in English")
    client.force_login(marco)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "it", parco["it"], "una risposta", parent=parent.pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [citizen.email]
    assert "New reply" in message.subject  # the language the author wrote in
    assert "una risposta" in message.body
    assert "Marco B." in message.body
    assert marco.email not in message.body

    citizen.notify_replies = False
    citizen.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "it", parco["it"], "un'altra risposta", parent=parent.pk)
    assert mail.outbox == []


def test_page_query_count_does_not_grow_with_comments(client, citizen, marco, parco):
    from django.core.cache import cache

    # Giulia has a comment of her own shown from the start: both renders are hers (the shared render, for
    # citizens with nothing of their own shown, is one query fewer).
    post_comment(page=parco["it"], user=citizen, text="il primo", notify=False)
    client.force_login(citizen)
    client.get(parco["it"].url)
    with CaptureQueriesContext(connection) as few:
        client.get(parco["it"].url)
    for number in range(30):
        root = post_comment(page=parco["it"], user=citizen if number % 2 else marco, text=f"c{number}", notify=False)
        post_comment(page=parco["en"], user=marco, text=f"r{number}", parent_id=root.pk, notify=False)
        cache.clear()  # rate limits
    client.get(parco["it"].url)  # warm the caches the loop cleared
    with CaptureQueriesContext(connection) as many:
        response = client.get(parco["it"].url)
    assert "r29" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


# --- moderation in the Wagtail admin -------------------------------------------------------


@pytest.fixture
def moderator(client):
    user = ModeratorFactory()
    client.force_login(user)
    return user


def test_moderators_list_filter_and_bulk_hide(client, citizen, marco, parco, moderator):
    reported = post_comment(page=parco["it"], user=citizen, text="segnalato")
    calm = post_comment(page=parco["it"], user=citizen, text="tranquillo")
    CommentReport.objects.create(comment=reported, user=marco, reason="offensive")
    listing = reverse("wagtailsnippets_participation_participationcomment:list")
    response = client.get(listing, {"flagged": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "segnalato" in body and "tranquillo" not in body

    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Reported comments" in dashboard or "Commenti segnalati" in dashboard

    action = (
        reverse("wagtail_bulk_action", args=("participation", "participationcomment", "hide"))
        + f"?id={reported.pk}&id={calm.pk}"
    )
    assert client.get(action).status_code == 200
    response = client.post(action, {"reason": "offensive"})
    assert response.status_code == 302
    reported.refresh_from_db()
    calm.refresh_from_db()
    assert not reported.is_public and not calm.is_public
    assert reported.moderated_by == moderator

    restore = (
        reverse("wagtail_bulk_action", args=("participation", "participationcomment", "restore")) + f"?id={calm.pk}"
    )
    client.post(restore)
    calm.refresh_from_db()
    assert calm.is_public
    assert client.get(listing, {"hidden": "true"}).content.decode().count("segnalato") >= 1


def test_nobody_adds_or_deletes_comments_in_the_admin(client, citizen, parco, admin_user):
    client.force_login(admin_user)
    comment = post_comment(page=parco["it"], user=citizen, text="da non cancellare")
    assert client.get(reverse("wagtailsnippets_participation_participationcomment:add")).status_code in (302, 403)
    delete = reverse("wagtailsnippets_participation_participationcomment:delete", args=[comment.pk])
    client.post(delete)
    assert ParticipationComment.objects.filter(pk=comment.pk).exists()


def test_citizens_cannot_reach_moderation(client, citizen, tree):
    client.force_login(citizen)
    response = client.get(reverse("wagtailsnippets_participation_participationcomment:list"))
    assert response.status_code in (302, 403)


def test_comments_only_on_participation_pages(client, citizen, tree):
    client.force_login(citizen)
    home = tree["home"]["it"]
    response = post(client, "it", home, "sulla home?")
    assert response.status_code == 400
    assert not ParticipationComment.objects.filter(comment="sulla home?").exists()


def test_profile_turns_reply_emails_off(client, citizen, tree):
    client.force_login(citizen)
    page = html(client.get("/it/accounts/profile/"))
    assert page.select_one("#id_notify_replies").has_attr("checked")
    response = client.post("/it/accounts/profile/", {"display_name": "Giulia R."})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.notify_replies is False
    response = client.post("/en/accounts/profile/", {"display_name": "me@example.org"})
    assert response.status_code == 200
    assert "cannot contain an email address" in response.content.decode()
    assert 'value="me@example.org"' in response.content.decode()


def test_long_discussions_are_paginated_by_thread(client, citizen, marco, parco, settings):
    from django.core.cache import cache

    settings.COMMENTS_THREADS_PER_PAGE = 5
    roots = []
    for number in range(7):
        roots.append(post_comment(page=parco["it"], user=marco, text=f"filo {number}", notify=False))
        cache.clear()
    first_page = html(client.get(parco["it"].url)).select_one("#comments")
    assert "filo 6" in first_page.get_text() and "filo 1" not in first_page.get_text()
    older = first_page.select_one("nav a[href='?comments=2#comments']")
    assert older is not None
    second_page = html(client.get(parco["it"].url + "?comments=2")).select_one("#comments")
    assert "filo 1" in second_page.get_text() and "filo 6" not in second_page.get_text()
    assert client.get(parco["it"].url + "?comments=abc").status_code == 200

    client.force_login(citizen)
    response = post(client, "it", parco["it"], "risposta al filo 1", parent=roots[1].pk)
    reply = ParticipationComment.objects.get(comment="risposta al filo 1")
    assert response["Location"] == f"{parco['it'].url}?comments=2#c{reply.pk}"


HUGE_IDS = ["9223372036854775808", "99999999999999999999999999"]  # beyond 64 bits


@pytest.mark.parametrize("comment_id", HUGE_IDS)
def test_reacting_to_or_reporting_an_id_beyond_64_bits_is_404(client, citizen, comment_id):
    """Regression: these were an OverflowError on SQLite (a 500). A comment's primary key is a link to the
    parent model's row, and Django keeps out-of-range values from the database for integer fields only."""
    client.force_login(citizen)
    assert client.post(f"/it/comments/{comment_id}/report/", {"reason": "spam"}).status_code == 404
    assert client.post(f"/it/comments/{comment_id}/reaction/", {"reaction": "like"}).status_code == 404
    assert not CommentReport.objects.exists()


@pytest.mark.parametrize("parent_id", HUGE_IDS)
def test_a_reply_to_an_id_beyond_64_bits_is_refused_with_the_text_kept(client, citizen, parco, parent_id):
    client.force_login(citizen)
    response = post(client, "en", parco["en"], "Una risposta", parent=parent_id)
    assert response.status_code == 400
    assert "no longer available" in response.content.decode()
    assert "Una risposta" in response.content.decode()
    assert not ParticipationComment.objects.exists()
