"""A page of threads is rendered once and reused for every citizen with nothing of their own on it, until
a comment, reaction, hiding, restoring or publication changes it (participation/templatetags/comment_tags.py).

What each citizen sees must not change: their own comments, reactions and reports, their CSRF token, and
everything written since. Time is measured by `make bench` (and benchmarks/profile_page.py), never here."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from participation.comments import react, report
from participation.models import CommentReaction, CommentReport, ParticipationComment
from participation.moderation import hide, restore
from participation.templatetags.comment_tags import CSRF_SLOT
from tests.factories import CommentFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uncached_pages(settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}  # the whole-page cache is tested elsewhere


@pytest.fixture
def parco(tree):
    return tree["consultation"]


def signed_in(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


def thread_queries(client, url):
    """The response and the SQL it ran that reads comments (``django_comments``)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries if '"django_comments"' in q["sql"]]


def test_a_second_citizen_gets_the_stored_render_with_one_small_query(parco, citizen, marco):
    for n in range(3):
        comment = CommentFactory(page=parco["it"], text=f"Idea {n}")
        CommentFactory(page=parco["it"], parent=comment, text=f"Risposta {n}")
    url = parco["it"].url
    first, first_queries = thread_queries(signed_in(citizen), url)
    second, second_queries = thread_queries(signed_in(marco), url)
    # The count, the list of threads and the comments came from the cache; one query asks whether
    # Marco wrote, reacted to or reported any comment shown (he did not).
    assert len(first_queries) >= 2 and len(second_queries) == 1, second_queries
    assert "COUNT(" not in second_queries[0]

    def thread_without_tokens(response):
        thread = re.search(r'<section id="comments".*?</section>', response.content.decode(), re.S).group()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", thread)

    assert thread_without_tokens(first) == thread_without_tokens(second)
    # Marco's answer is remembered until the thread or something of his changes: his next visit asks nothing;
    # so is what the first render found for the first citizen (nothing of hers).
    third, third_queries = thread_queries(signed_in(marco), url)
    assert third_queries == [] and thread_without_tokens(third) == thread_without_tokens(second)
    assert thread_queries(signed_in(citizen), url)[1] == []


def test_what_a_citizen_did_shows_at_once_after_a_visit_that_showed_nothing_of_theirs(parco, citizen, marco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="Più alberi")
    reader = signed_in(marco)
    url = parco["en"].url
    for _ in range(2):  # stored, then his answer (nothing of his) remembered
        assert "You reported this comment" not in reader.get(url).content.decode()
    report(comment=comment, user=marco, reason="spam")  # changes nothing anyone else sees: the thread stays
    assert "You reported this comment" in reader.get(url).content.decode()
    CommentReport.objects.filter(user=marco).delete()
    assert "You reported this comment" not in reader.get(url).content.decode()
    react(comment=comment, user=marco, reaction=CommentReaction.LIKE)
    assert 'aria-pressed="true"' in reader.get(url).content.decode()


def test_every_citizen_posts_with_their_own_csrf_token(parco, citizen, marco):
    comment = CommentFactory(page=parco["it"], user=citizen, text="Più alberi")
    signed_in(UserFactory()).get(parco["it"].url)  # stores the render
    client = signed_in(marco, enforce_csrf_checks=True)
    page = client.get(parco["it"].url).content.decode()
    assert CSRF_SLOT not in page
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', page))
    assert len(tokens) == 1
    response = client.post(
        f"/it/comments/{comment.pk}/reaction/", {"reaction": "like", "csrfmiddlewaretoken": tokens.pop()}
    )
    assert response.status_code == 302
    assert CommentReaction.objects.filter(comment=comment, user=marco, value="like").exists()


def test_a_citizens_own_comments_reactions_and_reports_are_never_from_the_stored_render(parco, citizen, marco):
    mine = CommentFactory(page=parco["it"], user=citizen, text="Il mio commento")
    other = CommentFactory(page=parco["it"], user=marco, text="Quello di Marco")
    react(comment=other, user=citizen, reaction=CommentReaction.LIKE)
    stranger = signed_in(UserFactory()).get(parco["it"].url).content.decode()  # nothing of their own: stored
    assert f"/comments/{mine.pk}/reaction/" in stranger and 'aria-pressed="true"' not in stranger

    page = signed_in(citizen).get(parco["it"].url).content.decode()
    assert f"/comments/{mine.pk}/reaction/" not in page  # no buttons on one's own comment
    assert 'aria-pressed="true"' in page  # Giulia's "I agree" on Marco's comment

    reporter = UserFactory()
    report(comment=mine, user=reporter, reason="spam")
    signed_in(UserFactory()).get(parco["it"].url)  # stored again (a report changes nothing anyone else sees)
    assert "You reported this comment" in signed_in(reporter).get(parco["en"].url).content.decode()
    assert "You reported this comment" not in signed_in(marco).get(parco["en"].url).content.decode()


def test_the_stored_render_goes_with_every_comment_reaction_hiding_and_restoring(parco, citizen, marco):
    reader, visitor = signed_in(UserFactory()), Client()
    url = parco["en"].url
    comment = CommentFactory(page=parco["it"], user=citizen, text="Panchine all'ombra")
    assert "Panchine all" in reader.get(url).content.decode()

    CommentFactory(page=parco["it"], user=marco, text="Fontanelle", parent=comment)
    assert "Fontanelle" in reader.get(url).content.decode()

    react(comment=comment, user=marco, reaction=CommentReaction.LIKE)
    assert "1 agrees" in visitor.get(url).content.decode()
    assert 'class="badge bg-primary">1</span>' in reader.get(url).content.decode()

    moderator = ModeratorFactory()
    hide([comment], moderator, reason="spam")
    page = reader.get(url).content.decode()
    assert "Panchine all" not in page and "This comment was hidden by the moderators." in page
    assert "2 comments" not in page and "1 comment" in page

    restore([ParticipationComment.objects.get(pk=comment.pk)], moderator)
    for client in (reader, visitor):
        page = client.get(url).content.decode()
        assert "Panchine all" in page and "2 comments" in page


def test_the_open_or_closed_state_shown_under_a_process_is_cached_and_follows_its_setting(tree, citizen):
    """Under a process, whether the thread is open asks the process's phases (a costly query): shown from the
    cache until the thread's setting, the content or the day changes."""
    from participation.core.groups import ensure_group
    from participation.models import CommentThread

    poll = tree["poll"]["en"]
    client = signed_in(citizen)
    assert "Comments on this page are closed" not in client.get(poll.url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(poll.url).status_code == 200
    assert not [q for q in queries.captured_queries if "consultations_consultationphase" in q["sql"]]
    CommentThread.objects.update_or_create(
        group=ensure_group(tree["poll"]["it"]), defaults={"page": tree["poll"]["it"], "state": CommentThread.CLOSED}
    )
    assert "Comments on this page are closed" in client.get(poll.url).content.decode()
