"""Moderation closes the loop: reports with a reason, dismissed or acted on, every action logged;
reactions follow the rules of posting and exclude each other in the database."""

import importlib

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry, PageViewRestriction
from wagtail.users.models import UserProfile

from participation import comments as comment_service
from participation.comments import ReactionRejected, react, report
from participation.models import CommentReaction, CommentReport, CommentThread, ParticipationComment
from tests.factories import CommentFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- data -----------------------------------------------------------------------------------


@pytest.fixture
def parco(tree):
    """The open process, in Italian (the canonical page of the thread) and English."""
    return tree["consultation"]


@pytest.fixture
def citizen(db):
    return UserFactory(display_name="Giulia R.")


@pytest.fixture
def marco(db):
    return UserFactory(display_name="Marco B.")


@pytest.fixture
def moderator(db):
    user = ModeratorFactory(username="moderatrice")
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"  # the admin in English, so the assertions read the source strings
    profile.save()
    return user


def html(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def bulk_url(action, *comments):
    ids = "&".join(f"id={comment.pk}" for comment in comments)
    return reverse("wagtail_bulk_action", args=("participation", "participationcomment", action)) + f"?{ids}"


def dashboard_count(client):
    panel = html(client.get(reverse("wagtailadmin_home"))).select_one("#flagged-comments-heading").find_parent()
    return int(panel.select_one("p").get_text(strip=True).split()[0])


# --- the confirmation pages say what they do -------------------------------------------------


def test_hide_and_restore_confirmations_show_their_own_wording(client, citizen, parco, moderator):
    comment = CommentFactory(page=parco["it"], user=citizen, text="da moderare")
    client.force_login(moderator)

    hide = html(client.get(bulk_url("hide", comment)))
    text = hide.select_one("main, #main, body").get_text(" ", strip=True)
    assert "will be hidden from the public site" in text
    assert "visible on the public site again" not in text
    assert hide.select_one("form button[type=submit]").get_text(strip=True) == "Yes, hide"
    assert hide.select("input[name=reason][type=radio]")  # the reason the author will be told
    assert hide.select_one("textarea[name=note]")

    restore = html(client.get(bulk_url("restore", comment)))
    text = restore.select_one("main, #main, body").get_text(" ", strip=True)
    assert "will be visible on the public site again" in text
    assert "hidden from the public site" not in text
    assert restore.select_one("form button[type=submit]").get_text(strip=True) == "Yes, restore"

    dismiss = html(client.get(bulk_url("dismiss_reports", comment)))
    assert "open reports will be marked as reviewed" in dismiss.get_text(" ", strip=True)
    assert dismiss.select_one("form button[type=submit]").get_text(strip=True) == "Yes, dismiss the reports"


# --- reports: reason, dismissal, counter -------------------------------------------------------


def test_dismissing_reports_keeps_the_comment_and_brings_the_counter_to_zero(client, citizen, marco, parco, moderator):
    comment = CommentFactory(page=parco["it"], user=citizen, text="opinione forte ma lecita")
    report(comment=comment, user=marco, reason="offensive")
    client.force_login(moderator)
    assert dashboard_count(client) == 1

    response = client.post(bulk_url("dismiss_reports", comment))
    assert response.status_code == 302

    comment.refresh_from_db()
    assert comment.is_public
    assert comment.moderated_by == moderator and comment.moderated_at is not None  # the comment: reviewed
    open_report = CommentReport.objects.get(comment=comment)
    assert open_report.reviewed_by == moderator and open_report.reviewed_at is not None
    assert open_report.outcome == CommentReport.DISMISSED
    assert dashboard_count(client) == 0
    listing = client.get(reverse("wagtailsnippets_participation_participationcomment:list"), {"flagged": "true"})
    assert "opinione forte" not in listing.content.decode()

    entry = ModelLogEntry.objects.get(action="participation.comment.dismiss_reports")
    assert (entry.user, entry.object_id, entry.data["reports_dismissed"]) == (moderator, str(comment.pk), 1)
    assert entry.timestamp is not None

    # A citizen may report the same comment again after a dismissal (a new, open report).
    cache_clear()
    report(comment=comment, user=marco, reason="spam")
    assert dashboard_count(client) == 1


def test_moderators_see_why_citizens_reported(client, citizen, marco, parco, moderator):
    comment = CommentFactory(page=parco["it"], user=citizen, text="pubblicità")
    report(comment=comment, user=marco, reason="spam")
    other = UserFactory()
    CommentReport.objects.create(comment=comment, user=other, reason="other", text="link a un negozio")
    client.force_login(moderator)
    listing = client.get(reverse("wagtailsnippets_participation_participationcomment:list"), {"flagged": "true"})
    row = html(listing).find(string=lambda text: "pubblicità" in text).find_parent("tr").get_text(" ", strip=True)
    assert "Spam or advertising (1)" in row and "Other (1)" in row and "link a un negozio" in row
    # Each row offers the actions for that one comment, through the same confirmation pages.
    links = [
        link["href"] for link in html(listing).find(string=lambda t: "pubblicità" in t).find_parent("tr").select("a")
    ]
    assert any(f"/dismiss_reports/?id={comment.pk}" in href for href in links)
    assert any(f"/hide/?id={comment.pk}" in href for href in links)
    inspect = client.get(reverse("wagtailsnippets_participation_participationcomment:inspect", args=[comment.pk]))
    assert "link a un negozio" in inspect.content.decode()


def cache_clear():
    from django.core.cache import cache

    cache.clear()  # reaction rate limits


def test_hide_with_a_reason_emails_the_author_in_their_language_and_logs_it(
    client, citizen, marco, parco, moderator, django_capture_on_commit_callbacks
):
    english = CommentFactory(page=parco["en"], user=citizen, text="my email is giulia@example.org")
    italian = CommentFactory(page=parco["it"], user=marco, text="il mio numero è 333 1234567")
    report(comment=english, user=marco, reason="personal_data")
    client.force_login(moderator)
    mail.outbox.clear()

    # Without a reason nothing happens and the moderator is asked for one.
    response = client.post(bulk_url("hide", english, italian), {"note": ""})
    assert response.status_code == 200
    assert ParticipationComment.objects.filter(is_public=True, pk__in=[english.pk, italian.pk]).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            bulk_url("hide", english, italian), {"reason": "personal_data", "note": "Please no phone numbers."}
        )
    assert response.status_code == 302
    english.refresh_from_db()
    italian.refresh_from_db()
    assert not english.is_public and not italian.is_public
    assert (english.hidden_reason, english.moderated_by) == ("personal_data", moderator)
    assert CommentReport.objects.get(comment=english).outcome == CommentReport.HIDDEN
    assert dashboard_count(client) == 0

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {citizen.email, marco.email}
    to_giulia = by_recipient[citizen.email]
    assert "hidden" in to_giulia.subject
    assert "Personal data" in to_giulia.body
    assert "Please no phone numbers." in to_giulia.body
    assert "giulia@example.org" in to_giulia.body  # the comment itself, so the author knows which
    to_marco = by_recipient[marco.email]
    assert "nascosto" in to_marco.subject
    assert "Dati personali" in to_marco.body

    entries = ModelLogEntry.objects.filter(action="participation.comment.hide").order_by("object_id")
    assert [entry.object_id for entry in entries] == sorted([str(english.pk), str(italian.pk)])
    assert all(entry.user == moderator for entry in entries)
    assert entries[0].data["reason"] == "personal_data"
    assert entries[0].data["note"] == "Please no phone numbers."

    # The history page of the comment shows the action with its label and reason.
    history = reverse("wagtailsnippets_participation_participationcomment:history_results", args=[english.pk])
    assert "Hidden: Personal data" in client.get(history).content.decode()


def test_restore_is_logged(client, citizen, parco, moderator):
    comment = CommentFactory(page=parco["it"], user=citizen, text="nascosto per sbaglio")
    client.force_login(moderator)
    client.post(bulk_url("hide", comment), {"reason": "spam"})
    client.post(bulk_url("restore", comment))
    comment.refresh_from_db()
    assert comment.is_public and comment.hidden_reason == ""
    actions = list(ModelLogEntry.objects.filter(object_id=str(comment.pk)).order_by("pk").values_list("action", "user"))
    assert actions == [
        ("participation.comment.hide", moderator.pk),
        ("participation.comment.restore", moderator.pk),
    ]
    # Moderators find the actions in the site history report too (who, when, what).
    history = client.get(reverse("wagtailadmin_reports:site_history_results"))
    assert history.status_code == 200
    body = history.content.decode()
    assert "Hidden: Spam or advertising" in body and "Restored" in body and "moderatrice" in body


def test_moderation_log_actions_are_registered():
    from wagtail.log_actions import registry

    for action in (
        "participation.comment.hide",
        "participation.comment.restore",
        "participation.comment.dismiss_reports",
    ):
        assert registry.action_exists(action)
        assert registry.get_action_label(action)


# --- the citizen's report form ----------------------------------------------------------------


def test_a_comment_links_to_its_report_page_which_shows_the_comment_and_the_form(client, citizen, marco, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="commento da segnalare")
    client.force_login(marco)
    item = html(client.get(parco["it"].url)).select_one(f"#c{comment.pk}")
    assert not item.select("form.report-form")  # a link on each comment, not a form
    link = item.select_one(".comment-report a")
    assert link["href"] == f"/it/comments/{comment.pk}/report/"
    assert link.get_text(" ", strip=True) == "Segnala ai moderatori : commento di Giulia R."
    response = client.get(link["href"])
    assert response.status_code == 200
    page = html(response)
    assert page.select_one("h1").get_text(strip=True) == "Segnala un commento ai moderatori"
    assert "commento da segnalare" in page.select_one("main blockquote").get_text()
    assert page.select_one("form.report-form input[name=csrfmiddlewaretoken]")
    assert page.select_one("form.report-form a")["href"] == f"{parco['it'].url}#c{comment.pk}"
    assert not page.select("form.report-form input[checked]")


def test_report_needs_a_reason_and_keeps_the_citizens_text(client, citizen, marco, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="commento da segnalare")
    client.force_login(marco)
    url = f"/it/comments/{comment.pk}/report/"

    response = client.post(url, {"text": "qualcosa non va"})
    assert response.status_code == 400
    form = html(response).select_one("form.report-form")
    fieldset = form.select_one("fieldset")
    assert fieldset.select_one("legend").get_text(strip=True).startswith("Perché")
    error_id = fieldset["aria-describedby"]
    assert form.select_one(f"#{error_id}").get_text(strip=True) == "Scegli un motivo."
    for radio in fieldset.select("input[type=radio]"):
        assert form.select_one(f"label[for={radio['id']}]")
        assert radio["aria-invalid"] == "true"
    assert form.select_one("textarea[name=text]").get_text().strip() == "qualcosa non va"

    # "Other" needs a text; the error is linked to the textarea.
    response = client.post(url, {"reason": "other", "text": "  "})
    assert response.status_code == 400
    textarea = html(response).select_one("form.report-form textarea[name=text]")
    assert textarea["aria-invalid"] == "true"
    assert textarea["aria-describedby"].split()[0] in response.content.decode()
    assert html(response).select_one("form.report-form input[value=other]").has_attr("checked")
    assert not CommentReport.objects.exists()

    response = client.post(url, {"reason": "other", "text": "Cita una persona per nome e cognome"})
    assert response.status_code == 302
    assert response["Location"] == f"{parco['it'].url}#c{comment.pk}"
    saved = CommentReport.objects.get()
    assert (saved.reason, saved.text, saved.user) == ("other", "Cita una persona per nome e cognome", marco)
    assert "Hai segnalato questo commento" in html(client.get(parco["it"].url)).select_one(f"#c{comment.pk}").get_text()
    # The report page again: nothing to send twice, back to the comment with why.
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == f"{parco['it'].url}#c{comment.pk}"
    assert "Hai segnalato questo commento" in response.content.decode()
    assert CommentReport.objects.count() == 1


def test_report_form_in_english(client, citizen, marco, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="to be reported")
    client.force_login(marco)
    page = html(client.get(f"/en/comments/{comment.pk}/report/"))
    assert page.select_one("h1").get_text(strip=True) == "Report a comment to the moderators"
    assert page.select_one("form.report-form a")["href"] == f"{parco['en'].url}#c{comment.pk}"
    response = client.post(f"/en/comments/{comment.pk}/report/", {})
    assert response.status_code == 400
    form = html(response).select_one("form.report-form")
    assert form.select_one("legend").get_text(strip=True).startswith("Why are you reporting")
    assert "Choose a reason." in form.get_text()
    labels = [label.get_text(strip=True) for label in form.select("fieldset label")]
    assert labels == ["Spam or advertising", "Offensive or abusive", "Off topic", "Personal data", "Other"]


def test_the_report_page_asks_a_visitor_to_log_in_and_brings_them_back(client, citizen, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="da segnalare")
    response = client.get(f"/it/comments/{comment.pk}/report/")
    assert response.status_code == 302
    assert f"next=/it/comments/{comment.pk}/report/" in response["Location"]
    assert client.get("/it/comments/999999/report/").status_code == 404


# --- reactions follow the rules of posting ----------------------------------------------------


def test_no_reaction_or_report_on_ones_own_comment(client, citizen, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="il mio")
    client.force_login(citizen)
    response = client.post(f"/it/comments/{comment.pk}/reaction/", {"reaction": "like"}, follow=True)
    assert "tuo commento" in response.content.decode()
    client.post(f"/it/comments/{comment.pk}/report/", {"reason": "spam"})
    assert not CommentReaction.objects.exists() and not CommentReport.objects.exists()
    item = html(client.get(parco["it"].url)).select_one(f"#c{comment.pk}")
    assert not item.select("form[action$='/reaction/']") and not item.select(".comment-report")
    # An incomplete report where reporting is refused anyway: the reason for the refusal, no form to fix.
    response = client.post(f"/it/comments/{comment.pk}/report/", {}, follow=True)
    assert response.redirect_chain and "tuo commento" in response.content.decode()
    response = client.get(f"/it/comments/{comment.pk}/report/", follow=True)
    assert response.redirect_chain and "tuo commento" in response.content.decode()


def test_no_reaction_or_report_on_a_closed_thread(client, citizen, marco, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="discussione chiusa")
    CommentThread.objects.create(page=parco["it"], state=CommentThread.CLOSED)
    client.force_login(marco)
    response = client.post(f"/it/comments/{comment.pk}/reaction/", {"reaction": "like"}, follow=True)
    assert "chiusa" in response.content.decode()
    client.post(f"/it/comments/{comment.pk}/report/", {"reason": "spam"})
    assert not CommentReaction.objects.exists() and not CommentReport.objects.exists()
    item = html(client.get(parco["it"].url)).select_one(f"#c{comment.pk}")
    assert not item.select("form[action$='/reaction/']") and not item.select(".comment-report")
    with pytest.raises(ReactionRejected):
        react(comment=comment, user=marco, reaction="dislike")


def test_no_reaction_on_an_unpublished_or_private_page_and_no_url_revealed(client, citizen, marco, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="pagina ritirata")
    hidden_urls = (parco["it"].url, parco["en"].url)
    for page in parco.values():
        page.unpublish()
    for visitor in (None, marco):
        if visitor:
            client.force_login(visitor)
        for url, data in (
            (f"/it/comments/{comment.pk}/reaction/", {"reaction": "like"}),
            (f"/it/comments/{comment.pk}/report/", {"reason": "spam"}),
        ):
            response = client.post(url, data)
            assert response.status_code == 404
            assert client.get(url).status_code in (404, 405)
            assert not any(hidden in response.get("Location", "") for hidden in hidden_urls)
    assert not CommentReaction.objects.exists() and not CommentReport.objects.exists()
    with pytest.raises(ReactionRejected):
        react(comment=comment, user=marco, reaction="like")

    for page in parco.values():
        page.save_revision().publish()
    PageViewRestriction.objects.create(page=parco["it"], restriction_type=PageViewRestriction.LOGIN)
    PageViewRestriction.objects.create(page=parco["en"], restriction_type=PageViewRestriction.LOGIN)
    assert client.post(f"/it/comments/{comment.pk}/reaction/", {"reaction": "like"}).status_code == 404


def test_redirect_after_a_reaction_goes_to_a_published_translation_only(client, citizen, marco, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="solo in italiano")
    parco["en"].unpublish()
    client.force_login(marco)
    response = client.post(f"/en/comments/{comment.pk}/reaction/", {"reaction": "like"})
    assert response.status_code == 302
    assert response["Location"] == f"{parco['it'].url}#c{comment.pk}"
    assert CommentReaction.objects.get().value == "like"


def test_anonymous_reaction_goes_to_login_and_back_to_the_comment(client, citizen, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="accedi prima")
    response = client.post(f"/it/comments/{comment.pk}/reaction/", {"reaction": "like"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not CommentReaction.objects.exists()


# --- like and dislike exclude each other in the database -------------------------------------


def test_like_and_dislike_exclude_each_other_by_constraint(citizen, marco, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="vincolo")
    CommentReaction.objects.create(comment=comment, user=marco, value="like")
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentReaction.objects.create(comment=comment, user=marco, value="dislike")
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentReaction.objects.filter(comment=comment, user=marco).update(value="both")


def test_a_concurrent_double_click_that_loses_the_race_is_not_an_error(citizen, marco, parco, monkeypatch):
    """The other request stored its row between our read and our insert: the constraint refuses the
    second row, and the citizen ends with the reaction they clicked, not a 500."""
    comment = CommentFactory(page=parco["it"], user=citizen, text="doppio clic")
    CommentReaction.objects.create(comment=comment, user=marco, value="dislike")
    monkeypatch.setattr(comment_service, "_current_reaction", lambda comment, user: None)
    assert react(comment=comment, user=marco, reaction="like") == "like"
    assert list(CommentReaction.objects.values_list("value", flat=True)) == ["like"]


def test_one_open_report_per_citizen_and_comment(citizen, marco, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="segnalato due volte")
    first = report(comment=comment, user=marco, reason="spam")
    assert report(comment=comment, user=marco, reason="offensive") == first
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentReport.objects.create(comment=comment, user=marco, reason="spam")
    CommentReport.objects.filter(pk=first.pk).update(reviewed_at=timezone.now(), outcome=CommentReport.DISMISSED)
    CommentReport.objects.create(comment=comment, user=marco, reason="spam")  # reviewed ones don't count


# --- the pressed look ----------------------------------------------------------------------


def test_pressed_reaction_looks_pressed(client, citizen, marco, parco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="premuto")
    client.force_login(marco)
    client.post(f"/it/comments/{comment.pk}/reaction/", {"reaction": "like"})
    buttons = html(client.get(parco["it"].url)).select(f"#c{comment.pk} .comment-actions button")
    agree, disagree = buttons
    assert agree["aria-pressed"] == "true" and disagree["aria-pressed"] == "false"
    assert "btn-primary" in agree["class"] and "btn-outline-primary" not in agree["class"]
    assert "btn-outline-primary" in disagree["class"]
    assert agree.select_one("svg use")["href"].endswith("#it-check")
    assert not disagree.select_one("svg")
    assert "1" in agree.select_one(".badge").get_text()


# --- the thread keeps a fixed number of queries -----------------------------------------------


def test_reactions_and_reports_do_not_add_queries_to_the_thread(client, citizen, marco, parco):
    first = CommentFactory(page=parco["it"], user=marco, text="uno")
    # Giulia's reaction is shown from the start: both renders are hers (the shared render, for citizens with
    # nothing of their own shown, is one query fewer).
    CommentReaction.objects.create(comment=first, user=citizen, value="like")
    client.force_login(citizen)
    client.get(parco["it"].url)
    with CaptureQueriesContext(connection) as few:
        client.get(parco["it"].url)
    for number in range(10):
        comment = CommentFactory(page=parco["it"], user=marco, text=f"altro {number}")
        CommentReaction.objects.create(comment=comment, user=citizen, value="like" if number % 2 else "dislike")
        CommentReport.objects.create(comment=comment, user=citizen, reason="spam")
        cache_clear()
    client.get(parco["it"].url)
    with CaptureQueriesContext(connection) as many:
        response = client.get(parco["it"].url)
    assert response.content.decode().count('aria-pressed="true"') == 11
    assert len(many.captured_queries) == len(few.captured_queries)


# --- the data migration -------------------------------------------------------------------------


def test_migration_moves_flags_to_reactions_and_reports(citizen, marco, parco):
    from django_comments.models import CommentFlag

    migration = importlib.import_module("participation.migrations.0004_moderation")
    comment = CommentFactory(page=parco["it"], user=citizen, text="vecchie bandierine")
    earlier = timezone.now() - timezone.timedelta(days=1)
    CommentFlag.objects.create(comment=comment, user=marco, flag="I liked it", flag_date=earlier)
    CommentFlag.objects.create(comment=comment, user=marco, flag="I disliked it", flag_date=timezone.now())
    CommentFlag.objects.create(comment=comment, user=marco, flag="removal suggestion", flag_date=earlier)

    migration.flags_to_reactions_and_reports(apps, None)

    assert list(CommentReaction.objects.values_list("user", "value")) == [(marco.pk, "dislike")]  # the newer wins
    moved = CommentReport.objects.get()
    assert (moved.user, moved.reason, moved.reviewed_at, moved.created_at) == (marco, "other", None, earlier)
    assert not CommentFlag.objects.exists()
