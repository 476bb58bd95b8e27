"""One tally that never splits or vanishes: participation is keyed to the translation group.

Adding a translation (English first, Italian later), deleting one, or re-publishing never moves a vote;
deleting the last page of a group with participation is refused in the admin.
"""

import html

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Page

from participation.core.groups import groups_lost_by_deleting, groups_with_participation, rules_page
from participation.models import PollPage, PollVote, PollVoteChoice, TranslationGroup
from participation.polls import cast_vote, tally
from tests.factories import AdminFactory, PollPageFactory, UserFactory, build_tree, locale, translate

pytestmark = pytest.mark.django_db


def options(page):
    return list(page.options.order_by("sort_order"))


def vote(client, page, option):
    return client.post(page.url + "vote/", {"options": [str(option.pk)]})


@pytest.fixture
def english_first():
    """A poll written first in English, under the bilingual Parco Dora process; no Italian version yet."""
    tree = build_tree(poll=False)
    poll = PollPageFactory(
        parent=tree["consultation"]["en"],
        locale=locale("en"),
        title="Park layout",
        slug="park-layout",
        options=["Open meadow", "Shared gardens", "Covered square"],
    )
    return tree, PollPage.objects.get(pk=poll.pk)


def test_english_first_poll_keeps_one_vote_when_the_italian_translation_appears(client, english_first):
    _tree, english = english_first
    citizen = UserFactory()
    client.force_login(citizen)
    assert vote(client, english, options(english)[0]).status_code == 302

    italian = translate(english, "it", title="Disposizione del parco", slug="disposizione")
    assert italian.translation_key == english.translation_key
    # Now the Italian page is the default-locale one: the same citizen changes their vote there.
    assert vote(client, italian, options(italian)[2]).status_code == 302

    assert PollVote.objects.filter(user=citizen).count() == 1
    vote_row = PollVote.objects.get(user=citizen)
    assert vote_row.group_id == english.translation_key
    assert vote_row.language == "it"
    assert [c.option_key for c in vote_row.choices.all()] == [options(english)[2].translation_key]
    for page in (english, italian):
        rows, voters = tally(PollPage.objects.get(pk=page.pk))
        assert voters == 1
        assert [row["count"] for row in rows] == [0, 0, 1]


def test_a_second_citizen_on_the_new_translation_joins_the_same_tally(english_first):
    _tree, english = english_first
    first, second = UserFactory(), UserFactory()
    cast_vote(poll=english, user=first, option_ids=[options(english)[1].pk])
    italian = translate(english, "it", slug="disposizione")
    cast_vote(poll=italian, user=second, option_ids=[options(italian)[1].pk])
    rows, voters = tally(english)
    assert voters == 2 and rows[1]["count"] == 2
    assert TranslationGroup.objects.count() == 1


def test_deleting_a_translation_keeps_every_vote_and_the_tally(tree):
    poll = tree["poll"]
    voters = [UserFactory() for _ in range(3)]
    for number, citizen in enumerate(voters):
        page = poll["it"] if number % 2 else poll["en"]
        cast_vote(poll=page, user=citizen, option_ids=[options(page)[number % 3].pk])

    Page.objects.get(pk=poll["it"].pk).delete()  # the default-locale page, and its options, go

    assert PollVote.objects.count() == 3 and PollVoteChoice.objects.count() == 3
    rows, count = tally(PollPage.objects.get(pk=poll["en"].pk))
    assert count == 3
    assert [row["count"] for row in rows] == [1, 1, 1]
    # The English page, now the only one, still takes (changed) votes in the same group.
    cast_vote(poll=poll["en"], user=voters[0], option_ids=[options(poll["en"])[2].pk])
    assert PollVote.objects.filter(user=voters[0]).count() == 1
    assert tally(poll["en"])[0][2]["count"] == 2


def test_republishing_a_translation_moves_no_vote(tree):
    poll = tree["poll"]
    citizen = UserFactory()
    cast_vote(poll=poll["en"], user=citizen, option_ids=[options(poll["en"])[0].pk])
    poll["it"].save_revision().publish()
    poll["en"].save_revision().publish()
    assert tally(PollPage.objects.get(pk=poll["it"].pk))[1] == 1


def test_rules_come_from_the_default_locale_translation_looked_up_once(tree, django_assert_num_queries):
    english = PollPage.objects.get(pk=tree["poll"]["en"].pk)
    english.locale  # noqa: B018 - loaded by any page render
    with django_assert_num_queries(1):
        assert rules_page(english).pk == tree["poll"]["it"].pk
        assert rules_page(english).pk == tree["poll"]["it"].pk  # memoised on the page
    italian = PollPage.objects.get(pk=tree["poll"]["it"].pk)
    italian.locale  # noqa: B018
    with django_assert_num_queries(0):
        assert rules_page(italian) is italian


def test_a_poll_page_renders_without_repeated_locale_or_page_lookups(client, tree):
    poll = tree["poll"]
    citizen = UserFactory()
    cast_vote(poll=poll["en"], user=citizen, option_ids=[options(poll["en"])[0].pk])
    client.force_login(citizen)
    client.get(poll["en"].url)  # warm Wagtail's per-process caches (site root paths)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(poll["en"].url)
    assert response.status_code == 200
    assert "poll-results" in response.content.decode()
    locale_queries = [q["sql"] for q in queries if 'FROM "wagtailcore_locale"' in q["sql"]]
    key = poll["en"].translation_key
    by_key = [f'"wagtailcore_page"."translation_key" = \'{text}' for text in (key.hex, str(key))]  # SQLite, PostgreSQL
    group_queries = [q["sql"] for q in queries if any(where in q["sql"] for where in by_key)]
    vote_queries = [q["sql"] for q in queries if "participation_pollvote" in q["sql"]]
    # Routing, the page's locale and the site chrome; not once per vote, option or helper.
    assert len(locale_queries) <= 4, locale_queries
    # Finding the group's other pages: the rules page and the language switcher (twice); none for the thread.
    assert len(group_queries) <= 3, "\n".join(q[-300:] for q in group_queries)
    # My choices only: the counts come from the cache until a vote changes them (test below).
    assert len(vote_queries) == 1, vote_queries


def test_deleting_the_last_page_of_a_group_with_votes_is_refused_in_the_admin(client, tree):
    poll = tree["poll"]
    cast_vote(poll=poll["it"], user=UserFactory(), option_ids=[options(poll["it"])[0].pk])
    client.force_login(AdminFactory())

    # One translation may go: the votes belong to the group, which keeps its English page.
    response = client.post(reverse("wagtailadmin_pages:delete", args=[poll["it"].pk]))
    assert response.status_code == 302
    assert not Page.objects.filter(pk=poll["it"].pk).exists()

    # The last one may not: the admin says why and what to do instead.
    response = client.get(reverse("wagtailadmin_pages:delete", args=[poll["en"].pk]))
    assert response.status_code == 302
    message = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "Park layout" in message and ("Unpublish" in message or "annulla invece la pubblicazione" in message)
    response = client.post(reverse("wagtailadmin_pages:delete", args=[poll["en"].pk]))
    assert response.status_code == 302
    assert Page.objects.filter(pk=poll["en"].pk).exists()
    assert PollVote.objects.count() == 1


def test_deleting_a_process_whose_poll_has_votes_is_refused_too(client, tree):
    poll = tree["poll"]
    cast_vote(poll=poll["it"], user=UserFactory(), option_ids=[options(poll["it"])[0].pk])
    client.force_login(AdminFactory())
    # Both translations of the process and poll would go: each delete view checks its subtree.
    Page.objects.get(pk=tree["consultation"]["en"].pk).delete()  # English process and English poll
    assert groups_lost_by_deleting(tree["consultation"]["it"]) >= {poll["it"].translation_key}
    response = client.post(reverse("wagtailadmin_pages:delete", args=[tree["consultation"]["it"].pk]))
    assert response.status_code == 302
    assert Page.objects.filter(pk=tree["consultation"]["it"].pk).exists()

    bulk = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "delete"))
    response = client.post(f"{bulk}?id={tree['consultation']['it'].pk}", {})
    assert Page.objects.filter(pk=poll["it"].pk).exists()


def test_pages_without_participation_can_be_deleted(client, tree):
    client.force_login(AdminFactory())
    assert groups_with_participation({tree["poll"]["it"].translation_key}) == set()
    response = client.post(reverse("wagtailadmin_pages:delete", args=[tree["consultation"]["it"].pk]))
    assert response.status_code == 302
    assert not Page.objects.filter(pk=tree["poll"]["it"].pk).exists()


def test_comments_outlive_the_translation_they_were_written_on(client, tree):
    from participation.models import ParticipationComment
    from tests.factories import CommentFactory

    consultation = tree["consultation"]
    italian = CommentFactory(page=consultation["it"], text="Panchine lungo la Dora")
    english = CommentFactory(page=consultation["en"], text="More shade, please")
    assert italian.group_id == english.group_id == consultation["it"].translation_key

    Page.objects.get(pk=consultation["it"].pk).delete()  # the Italian process (and its poll) go

    assert ParticipationComment.objects.count() == 2
    response = client.get(consultation["en"].url)
    body = response.content.decode()
    assert "Panchine lungo la Dora" in body and "More shade, please" in body
    # Deleting the last version is refused now: citizens wrote there.
    assert groups_with_participation(groups_lost_by_deleting(consultation["en"])) == {
        consultation["en"].translation_key
    }


def test_a_closed_thread_setting_is_no_participation_and_survives_its_translation(tree):
    from participation.comments import thread_state
    from participation.models import CommentThread

    consultation = tree["consultation"]
    CommentThread.objects.create(page=consultation["it"], state=CommentThread.CLOSED)
    assert groups_with_participation({consultation["it"].translation_key}) == set()
    Page.objects.get(pk=consultation["it"].pk).delete()
    assert thread_state(consultation["en"]) == (False, CommentThread.CLOSED)


def test_editors_set_a_thread_from_any_translation_once_per_group(client, tree):
    from participation.models import CommentThread

    consultation = tree["consultation"]
    client.force_login(AdminFactory())
    add = reverse("wagtailsnippets_participation_commentthread:add")
    response = client.post(add, {"page": consultation["en"].pk, "state": CommentThread.CLOSED})
    assert response.status_code == 302
    assert CommentThread.objects.get().group_id == consultation["it"].translation_key
    # The Italian version is the same discussion: a second setting is refused with the reason.
    response = client.post(add, {"page": consultation["it"].pk, "state": CommentThread.OPEN})
    assert response.status_code == 200
    assert CommentThread.objects.count() == 1
    listing = client.get(reverse("wagtailsnippets_participation_commentthread:list")).content.decode()
    assert any(html.escape(page.title) in listing for page in consultation.values())


def test_the_tally_is_counted_once_then_kept_until_a_vote_changes_it(client, tree):
    poll = tree["poll"]
    PollPage.objects.filter(translation_key=poll["it"].translation_key).update(results_visibility="always")
    poll = {code: PollPage.objects.get(pk=page.pk) for code, page in poll.items()}
    first, second = UserFactory(), UserFactory()
    cast_vote(poll=poll["it"], user=first, option_ids=[options(poll["it"])[0].pk])
    assert [row["count"] for row in tally(poll["en"])[0]] == [1, 0, 0]
    with CaptureQueriesContext(connection) as queries:
        rows, voters = tally(poll["it"])
    assert [row["count"] for row in rows] == [1, 0, 0] and voters == 1
    assert not [q for q in queries if "participation_pollvote" in q["sql"]]  # from the cache
    cast_vote(poll=poll["en"], user=second, option_ids=[options(poll["en"])[2].pk])
    assert [row["count"] for row in tally(poll["it"])[0]] == [1, 0, 1]
    cast_vote(poll=poll["it"], user=first, option_ids=[options(poll["it"])[2].pk])  # a changed vote
    rows, voters = tally(poll["en"])
    assert [row["count"] for row in rows] == [0, 0, 2] and voters == 2
