"""Polls: one vote per citizen per poll across languages, enforced in the database."""

from datetime import datetime, time, timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from participation.models import PollPage, PollVote, PollVoteChoice
from participation.polls import VoteRejected, cast_vote, tally
from tests.factories import PollPageFactory, new_poll_form
from tests.test_ranked import recount

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def poll(tree):
    """An open poll with three options, in Italian and English (translations sharing keys)."""
    return tree["poll"]


def options(page):
    return list(page.options.order_by("sort_order"))


def vote(client, page, *option_ids):
    return client.post(page.url + "vote/", {"options": [str(pk) for pk in option_ids]})


def test_poll_translations_share_options_by_translation_key(poll):
    italian, english = options(poll["it"]), options(poll["en"])
    assert len(italian) == len(english) == 3
    for it_option, en_option in zip(italian, english, strict=True):
        assert it_option.translation_key == en_option.translation_key
        assert it_option.label != en_option.label
        assert en_option.locale.language_code == "en"


def test_vote_in_english_and_change_in_italian_counts_once_in_one_tally(client, citizen, poll):
    client.force_login(citizen)
    response = vote(client, poll["en"], options(poll["en"])[0].pk)
    assert response.status_code == 302
    vote_row = PollVote.objects.get(user=citizen)
    assert vote_row.group_id == poll["it"].translation_key == poll["en"].translation_key  # the translation group
    assert vote_row.language == "en"
    assert [c.option_key for c in vote_row.choices.all()] == [options(poll["it"])[0].translation_key]

    assert vote(client, poll["it"], options(poll["it"])[2].pk).status_code == 302
    assert PollVote.objects.filter(user=citizen).count() == 1
    assert [c.option_key for c in PollVoteChoice.objects.filter(vote__user=citizen)] == [
        options(poll["it"])[2].translation_key
    ]

    rows_it, voters_it = tally(poll["it"])
    rows_en, voters_en = tally(poll["en"])
    assert voters_it == voters_en == 1
    assert [row["count"] for row in rows_it] == [row["count"] for row in rows_en] == [0, 0, 1]
    assert rows_en[2]["option"].label == options(poll["en"])[2].label


def test_two_citizens_on_two_languages_share_the_tally(client, citizen, marco, poll):
    cast_vote(poll=poll["it"], user=citizen, option_ids=[options(poll["it"])[1].pk])
    cast_vote(poll=poll["en"], user=marco, option_ids=[options(poll["en"])[1].pk])
    rows, voters = tally(poll["en"])
    assert voters == 2
    assert rows[1]["count"] == 2 and rows[1]["percent"] == 100


def test_the_database_refuses_a_second_vote_row(citizen, poll):
    group = poll["it"].ensure_group()
    PollVote.objects.create(group=group, user=citizen, language="it")
    with pytest.raises(IntegrityError), transaction.atomic():
        PollVote.objects.create(group=group, user=citizen, language="en")


@pytest.mark.parametrize(
    ("shift_open", "shift_close", "message"),
    [
        (timedelta(hours=1), timedelta(days=2), "non è ancora iniziata"),
        (-timedelta(days=2), -timedelta(hours=1), "chiusa"),
    ],
)
def test_votes_outside_the_window_are_refused(client, citizen, poll, shift_open, shift_close, message):
    now = timezone.now()
    PollPage.objects.filter(translation_key=poll["it"].translation_key).update(
        opens_at=now + shift_open, closes_at=now + shift_close
    )
    client.force_login(citizen)
    response = vote(client, poll["it"], options(poll["it"])[0].pk)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PollVote.objects.exists()


def test_unknown_and_foreign_options_are_refused(client, citizen, poll):
    client.force_login(citizen)
    for bad in (["999999"], ["abc"], []):
        response = client.post(poll["it"].url + "vote/", {"options": bad})
        assert response.status_code == 400
    # an English option id on the Italian page is not one of that page's options
    response = vote(client, poll["it"], options(poll["en"])[0].pk)
    assert response.status_code == 400
    assert not PollVote.objects.exists()


def test_too_many_choices_are_refused_and_the_selection_is_kept(client, citizen, poll):
    client.force_login(citizen)
    first, second = options(poll["it"])[:2]
    response = vote(client, poll["it"], first.pk, second.pk)
    assert response.status_code == 400
    page = BeautifulSoup(response.content.decode(), "html.parser")
    assert "Puoi scegliere una sola opzione" in page.select_one("#vote-errors").get_text()
    assert page.select_one(f"#option-{first.pk}").has_attr("checked")
    assert page.select_one(f"#option-{second.pk}").has_attr("checked")
    assert not PollVote.objects.exists()


def test_multiple_choice_up_to_the_maximum(client, citizen, poll):
    PollPage.objects.filter(translation_key=poll["it"].translation_key).update(max_choices=2)
    client.force_login(citizen)
    first, second, third = options(poll["en"])
    assert vote(client, poll["en"], first.pk, second.pk).status_code == 302
    assert PollVoteChoice.objects.filter(vote__user=citizen).count() == 2
    assert vote(client, poll["en"], first.pk, second.pk, third.pk).status_code == 400


def test_unverified_and_anonymous_cannot_vote(client, poll):
    response = vote(client, poll["it"], options(poll["it"])[0].pk)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    user = User.objects.create_user("nuova", "nuova@example.org", "x")
    client.force_login(user)
    response = vote(client, poll["it"], options(poll["it"])[0].pk)
    assert response.status_code == 400
    assert not PollVote.objects.exists()
    with pytest.raises(VoteRejected):
        cast_vote(poll=poll["it"], user=user, option_ids=[options(poll["it"])[0].pk])


def results_shown(client, page):
    return BeautifulSoup(client.get(page.url).content.decode(), "html.parser").select_one("#results table") is not None


def test_results_visibility_rules(client, citizen, marco, poll):
    keys = PollPage.objects.filter(translation_key=poll["it"].translation_key)
    cast_vote(poll=poll["it"], user=marco, option_ids=[options(poll["it"])[0].pk])

    keys.update(results_visibility=PollPage.RESULTS_AFTER_VOTE)
    client.force_login(citizen)
    assert not results_shown(client, poll["it"])
    cast_vote(poll=poll["it"], user=citizen, option_ids=[options(poll["it"])[0].pk])
    assert results_shown(client, poll["en"])

    keys.update(results_visibility=PollPage.RESULTS_AFTER_CLOSE)
    assert not results_shown(client, poll["it"])
    now = timezone.now()
    keys.update(opens_at=now - timedelta(days=5), closes_at=now - timedelta(minutes=1))
    client.logout()
    assert results_shown(client, poll["it"])

    keys.update(results_visibility=PollPage.RESULTS_ALWAYS, closes_at=now + timedelta(days=1))
    assert results_shown(client, poll["it"])


def test_results_are_text_and_table_not_only_bars(client, citizen, marco, poll):
    PollPage.objects.filter(translation_key=poll["it"].translation_key).update(results_visibility="always")
    cast_vote(poll=poll["it"], user=citizen, option_ids=[options(poll["it"])[0].pk])
    cast_vote(poll=poll["it"], user=marco, option_ids=[options(poll["it"])[1].pk])
    page = BeautifulSoup(client.get(poll["en"].url).content.decode(), "html.parser")
    rows = page.select("#results table tbody tr")
    assert [row.th.get_text() for row in rows] == [o.label for o in options(poll["en"])]
    assert [row.select("td")[0].get_text() for row in rows] == ["1", "1", "0"]
    assert rows[0].select("td")[1].get_text() == "50.0%"
    assert "50.0%" in page.select_one(".poll-results").get_text()
    # Bars are <meter>s with no style attribute: the Content-Security-Policy allows no inline styles.
    bars = page.select(".poll-results meter")
    assert [(bar["min"], bar["max"], bar["value"]) for bar in bars] == [
        ("0", "100", "50.0"),
        ("0", "100", "50.0"),
        ("0", "100", "0.0"),
    ]
    assert not page.select("#results [style]")


def test_the_voters_choice_is_marked(client, citizen, poll):
    cast_vote(poll=poll["it"], user=citizen, option_ids=[options(poll["it"])[1].pk])
    client.force_login(citizen)
    page = BeautifulSoup(client.get(poll["en"].url).content.decode(), "html.parser")
    chosen = options(poll["en"])[1]
    assert page.select_one(f"#option-{chosen.pk}").has_attr("checked")
    assert "your choice" in page.select_one(f"label[for=option-{chosen.pk}]").get_text()
    assert "Change my vote" in page.select_one("#vote button[type=submit]").get_text()


@pytest.mark.parametrize("ranked", [False, True], ids=["single", "ranked"])
def test_poll_page_query_count_does_not_grow_with_votes(client, citizen, poll, ranked):
    PollPage.objects.filter(translation_key=poll["it"].translation_key).update(
        results_visibility="always", ranked=ranked
    )
    client.force_login(citizen)
    client.get(poll["it"].url)
    recount(poll["it"].translation_key)  # both renders count the votes (a real vote drops the cached counts too)
    with CaptureQueriesContext(connection) as few:
        client.get(poll["it"].url)
    for number in range(40):
        voter = User.objects.create_user(f"votante{number}", f"v{number}@example.org", "x")
        vote_row = PollVote.objects.create(group=poll["it"].ensure_group(), user=voter, language="it")
        for rank in (1, 2) if ranked else (None,):  # a ranked ballot: two options in order
            option = options(poll["it"])[(number + (rank or 1)) % 3]
            PollVoteChoice.objects.create(vote=vote_row, option_key=option.translation_key, rank=rank)
    recount(poll["it"].translation_key)
    with CaptureQueriesContext(connection) as many:
        response = client.get(poll["it"].url)
    assert "Hanno votato 40 persone" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_poll_admin_form_rules(client, poll, admin_user):
    from django.urls import reverse

    client.force_login(admin_user)
    page = poll["it"]
    assert client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).status_code == 200
    data = {
        "title": page.title,
        "slug": page.slug,
        "intro": page.intro,
        "question": page.question,
        "opens_at": "2030-01-02 10:00",
        "closes_at": "2030-01-01 10:00",
        "max_choices": "5",
        "results_visibility": "always",
        "options-TOTAL_FORMS": "1",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "2",
        "options-MAX_NUM_FORMS": "10",
        "options-0-label": "Solo una",
        "options-0-description": "",
        "options-0-image": "",
        "options-0-ORDER": "1",
        "options-0-DELETE": "",
        "options-0-id": "",
    }
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 200  # the form comes back with errors
    body = response.content.decode()
    assert "must close after it opens" in body or "deve chiudersi" in body


def test_translating_a_new_poll_with_wagtail_localize_keeps_one_tally(client, citizen, marco, poll, admin_user):
    from django.urls import reverse
    from wagtail.models import Locale

    new_poll = PollPageFactory(
        parent=poll["it"].get_parent(),
        title="Orari del parco",
        slug="orari",
        question="Quando aprire?",
        results_visibility="always",
        options=["Alle 7", "Alle 8"],
        revision=True,
    )
    assert new_poll.is_open and new_poll.live

    client.force_login(admin_user)
    english = Locale.objects.get(language_code="en")
    response = client.post(
        reverse("wagtail_localize:submit_page_translation", args=[new_poll.pk]), {"locales": [english.pk]}
    )
    assert response.status_code == 302
    translated = PollPage.objects.get(translation_key=new_poll.translation_key, locale=english)
    translated.save_revision().publish()
    assert [o.translation_key for o in options(translated)] == [o.translation_key for o in options(new_poll)]

    cast_vote(poll=translated, user=citizen, option_ids=[options(translated)[1].pk])
    cast_vote(poll=new_poll, user=marco, option_ids=[options(new_poll)[1].pk])
    rows, voters = tally(new_poll)
    assert voters == 2 and rows[1]["count"] == 2


def test_admin_previews_and_publishes_a_new_poll(client, tree, admin_user):
    from django.urls import reverse

    client.force_login(admin_user)
    parent = tree["consultation"]["it"]
    vote_phase = [phase for phase in parent.phases.all() if not phase.is_results][-1]
    zone = timezone.get_current_timezone()
    data = new_poll_form(
        vote_phase,
        timezone.make_aware(datetime.combine(vote_phase.start, time(9)), zone),
        timezone.make_aware(datetime.combine(vote_phase.end, time(18)), zone),
    )
    add = reverse("wagtailadmin_pages:add", args=["participation", "pollpage", parent.pk])
    assert client.get(add).status_code == 200
    preview = reverse("wagtailadmin_pages:preview_on_add", args=["participation", "pollpage", parent.pk])
    assert client.post(preview, data).json()["is_valid"]
    response = client.get(preview)  # an unsaved poll: no votes or thread to query
    assert response.status_code == 200
    assert "Sera" in response.content.decode()

    only_one = {**data, "options-TOTAL_FORMS": "1"}
    assert client.post(add, {**only_one, "action-publish": "action-publish"}).status_code == 200
    assert client.post(add, {**data, "action-publish": "action-publish"}).status_code == 302
    created = PollPage.objects.get(slug="quale-orario")
    assert created.live and [o.label for o in options(created)] == ["Mattina", "Sera"]


def edit_form_data(page, label_changes=None, delete=()):
    """The admin edit form's POST data for an existing poll, optionally renaming or deleting options."""
    current = options(page)
    data = {
        "title": page.title,
        "slug": page.slug,
        "intro": page.intro,
        "question": page.question,
        "phase_key": str(page.phase_key),
        "opens_at": f"{timezone.localtime(page.opens_at):%Y-%m-%d %H:%M}",
        "closes_at": f"{timezone.localtime(page.closes_at):%Y-%m-%d %H:%M}",
        "max_choices": "1",
        "results_visibility": "always",
        "options-TOTAL_FORMS": str(len(current)),
        "options-INITIAL_FORMS": str(len(current)),
        "options-MIN_NUM_FORMS": "2",
        "options-MAX_NUM_FORMS": "10",
    }
    for index, option in enumerate(current):
        data.update(
            {
                f"options-{index}-label": (label_changes or {}).get(index, option.label),
                f"options-{index}-description": option.description,
                f"options-{index}-image": option.image_id or "",
                f"options-{index}-ORDER": str(index + 1),
                f"options-{index}-DELETE": "1" if index in delete else "",
                f"options-{index}-id": str(option.pk),
            }
        )
    return data


def test_admin_preview_of_an_edited_poll_shows_the_unsaved_options(client, poll, admin_user):
    from django.urls import reverse

    client.force_login(admin_user)
    page = poll["it"]
    preview = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    assert client.post(preview, edit_form_data(page, {0: "Prato rinominato"})).json()["is_valid"]
    assert "Prato rinominato" in client.get(preview).content.decode()


def test_an_option_with_votes_cannot_be_removed(client, citizen, poll, admin_user):
    from django.urls import reverse

    cast_vote(poll=poll["it"], user=citizen, option_ids=[options(poll["it"])[0].pk])
    client.force_login(admin_user)
    edit = reverse("wagtailadmin_pages:edit", args=[poll["it"].pk])
    response = client.post(edit, {**edit_form_data(poll["it"], delete=[0]), "action-publish": "action-publish"})
    assert response.status_code == 200
    assert "already has votes" in response.content.decode() or "ha già ricevuto voti" in response.content.decode()
    assert len(options(poll["it"])) == 3
    # an option nobody chose can go
    response = client.post(edit, {**edit_form_data(poll["it"], delete=[2]), "action-publish": "action-publish"})
    assert response.status_code == 302
    assert len(options(PollPage.objects.get(pk=poll["it"].pk))) == 2


@pytest.mark.parametrize("value", ["²", "³", "¹", "①", "1²"])
def test_a_vote_for_a_digit_int_cannot_read_is_refused_not_a_500(client, citizen, poll, value):
    """Regression: "²".isdigit() is True but int("²") fails: refusing such a vote raised a ValueError (500)."""
    client.force_login(citizen)
    response = client.post(poll["en"].url + "vote/", {"options": value})
    assert response.status_code == 400
    assert "does not exist" in response.content.decode()
    assert not PollVote.objects.exists() and not PollVoteChoice.objects.exists()
