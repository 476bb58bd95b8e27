"""Whole pages for anonymous visitors (civic_site/pagecache.py): stored once, served without a query, and
dropped the moment what they show changes, by every path that changes it."""

import gzip
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from wagtail.models import Page

from civic_site import pagecache
from home.models import SiteLinks
from participation.comments import react
from participation.core.groups import ensure_group
from participation.models import CommentReaction, CommentThread, PollPage
from participation.moderation import hide, restore
from participation.polls import cast_vote
from tests.factories import CommentFactory, ModeratorFactory, StandardPageFactory, UserFactory


@pytest.fixture
def visitor():
    """An anonymous visitor: a client of their own, never logged in."""
    return Client()


def get(visitor, page_or_url, **extra):
    url = page_or_url if isinstance(page_or_url, str) else page_or_url.url
    return visitor.get(url, **extra)


def text(response):
    return response.content.decode()


def stored(visitor, page):
    """Render ``page`` for an anonymous visitor and check it was stored, then served from the cache."""
    first = get(visitor, page)
    assert first.status_code == 200
    assert first["X-Page-Cache"] == "miss"
    second = get(visitor, page)
    assert second["X-Page-Cache"] == "hit"
    return second


# --- what is stored, for whom ----------------------------------------------------------------------


def test_a_stored_page_is_served_without_a_single_query(visitor, tree, django_assert_num_queries):
    first = get(visitor, tree["consultation"]["it"])
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = get(visitor, tree["consultation"]["it"])
    assert second["X-Page-Cache"] == "hit"
    assert text(second) == text(first)
    # The policies outside the cache still apply to what it serves.
    assert "Content-Security-Policy" in second and "Permissions-Policy" in second
    assert second["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("kind", ["home", "index", "consultation", "poll"])
@pytest.mark.parametrize("code", ["it", "en"])
def test_anonymous_pages_carry_no_csrf_token_nor_cookie_and_are_stored(visitor, tree, kind, code):
    response = get(visitor, tree[kind][code])
    assert response.status_code == 200
    assert not response.cookies, response.cookies
    assert "csrfmiddlewaretoken" not in text(response)
    assert response["X-Page-Cache"] == "miss"


def test_search_results_are_stored_per_query(visitor, tree):
    first = get(visitor, "/it/search/?q=parco")
    assert first["X-Page-Cache"] == "miss" and "Parco Dora" in text(first)
    assert get(visitor, "/it/search/?q=parco")["X-Page-Cache"] == "hit"
    assert get(visitor, "/it/search/?q=giardini")["X-Page-Cache"] == "miss"


def test_a_logged_in_citizen_never_gets_the_anonymous_copy_nor_stores_one(client, visitor, tree, citizen):
    stored(visitor, tree["poll"]["it"])
    client.force_login(citizen)
    response = get(client, tree["poll"]["it"])
    assert "X-Page-Cache" not in response or response["X-Page-Cache"] == "skip"
    assert "csrfmiddlewaretoken" in text(response)  # the vote form, for this citizen only
    assert citizen.public_name in text(response)
    assert citizen.public_name not in text(get(visitor, tree["poll"]["it"]))


def test_a_visitor_with_messages_waiting_gets_a_fresh_page(visitor, tree):
    stored(visitor, tree["consultation"]["it"])
    visitor.cookies["messages"] = "anything"
    assert "X-Page-Cache" not in get(visitor, tree["consultation"]["it"])


def test_a_rejected_vote_page_is_never_stored(client, visitor, tree, citizen):
    client.force_login(citizen)
    assert client.post(tree["poll"]["it"].url + "vote/", {"options": ["999999"]}).status_code == 400
    assert get(visitor, tree["poll"]["it"])["X-Page-Cache"] == "miss"


def test_query_strings_are_stored_apart_and_long_ones_not_at_all(visitor, tree):
    page = tree["consultation"]["it"]
    stored(visitor, page)
    assert get(visitor, page.url + "?comments=2")["X-Page-Cache"] == "miss"
    long_query = "?junk=" + "x" * 300
    assert "X-Page-Cache" not in get(visitor, page.url + long_query)
    assert "X-Page-Cache" not in get(visitor, page.url + long_query)


def test_pages_are_compressed_for_browsers_that_accept_it(visitor, tree):
    for _attempt in ("miss", "hit"):
        response = get(visitor, tree["home"]["it"], HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip"
        assert b"<html" in gzip.decompress(response.content)


# --- invalidation: every change shows at once ----------------------------------------------------


def test_publishing_a_change_shows_at_once_in_every_stored_page(visitor, tree):
    consultation = tree["consultation"]["it"]
    stored(visitor, consultation)
    stored(visitor, tree["index"]["it"])
    consultation.title = "Parco Dora: nuovo titolo"
    consultation.save_revision().publish()
    assert "Parco Dora: nuovo titolo" in text(get(visitor, consultation))
    assert "Parco Dora: nuovo titolo" in text(get(visitor, tree["index"]["it"]))


def test_unpublishing_removes_the_page_at_once(visitor, tree):
    consultation = tree["consultation"]["it"]
    stored(visitor, consultation)
    consultation.unpublish()
    assert get(visitor, consultation).status_code == 404


def test_a_new_page_and_a_deleted_one_show_at_once(visitor, tree):
    stored(visitor, tree["home"]["it"])
    page = StandardPageFactory(parent=tree["home"]["it"], title="Regolamento", slug="regolamento", show_in_menus=True)
    assert "Regolamento" in text(get(visitor, tree["home"]["it"]))
    stored(visitor, page)
    Page.objects.get(pk=page.pk).delete()
    assert get(visitor, page.url).status_code == 404
    assert "Regolamento" not in text(get(visitor, tree["home"]["it"]))


def test_changing_the_site_links_shows_at_once(visitor, tree):
    stored(visitor, tree["home"]["it"])
    links = SiteLinks.for_site(tree["home"]["it"].get_site())
    links.contact_email = "partecipa@comune.torino.it"
    links.save()
    assert "partecipa@comune.torino.it" in text(get(visitor, tree["home"]["it"]))


def test_a_new_comment_shows_at_once_in_both_languages(visitor, tree, citizen):
    for code in ("it", "en"):
        stored(visitor, tree["consultation"][code])
    CommentFactory(page=tree["consultation"]["it"], user=citizen, text="Servono più panchine")
    for code in ("it", "en"):
        response = get(visitor, tree["consultation"][code])
        assert response["X-Page-Cache"] == "miss"
        assert "Servono più panchine" in text(response)


def test_a_comment_posted_through_the_site_shows_at_once(client, visitor, tree, citizen):
    page = tree["consultation"]["it"]
    stored(visitor, page)
    client.force_login(citizen)
    response = client.post("/it/comments/post/", {"page": page.pk, "comment": "Un'area per i cani, per favore"})
    assert response.status_code == 302
    assert "Un&#x27;area per i cani, per favore" in text(get(visitor, page))


def test_agreeing_with_a_comment_updates_its_counts_at_once(visitor, tree, citizen, marco):
    page = tree["consultation"]["it"]
    comment = CommentFactory(page=page, user=citizen, text="Più alberi")
    assert reaction_counts(stored(visitor, page), comment) == (0, 0)
    react(comment=comment, user=marco, reaction=CommentReaction.LIKE)
    response = get(visitor, page)
    assert response["X-Page-Cache"] == "miss"
    assert reaction_counts(response, comment) == (1, 0)


def reaction_counts(response, comment):
    from bs4 import BeautifulSoup

    actions = BeautifulSoup(text(response), "html.parser").select_one(f"#c{comment.pk} .comment-actions")
    words = actions.get_text(" ", strip=True)
    numbers = [int(word) for word in words.replace("·", " ").split() if word.isdigit()]
    return tuple(numbers[-2:])


def test_a_vote_updates_a_public_tally_at_once(visitor, tree, citizen):
    poll = tree["poll"]["it"]
    PollPage.objects.filter(translation_key=poll.translation_key).update(results_visibility="always")
    pagecache.bump(pagecache.CONTENT)  # the update above bypassed publishing
    assert "Hanno votato 0 persone" in text(stored(visitor, poll))
    option = poll.options.first()
    cast_vote(poll=PollPage.objects.get(pk=poll.pk), user=citizen, option_ids=[option.pk])
    assert "Ha votato 1 persona" in text(get(visitor, poll))
    assert "1 person has voted" in text(get(visitor, tree["poll"]["en"]))


def test_a_vote_on_a_poll_with_hidden_results_keeps_the_stored_page(visitor, tree, citizen):
    poll = tree["poll"]["it"]
    assert PollPage.objects.get(pk=poll.pk).results_visibility == PollPage.RESULTS_AFTER_VOTE
    stored(visitor, poll)
    cast_vote(poll=PollPage.objects.get(pk=poll.pk), user=citizen, option_ids=[poll.options.first().pk])
    assert get(visitor, poll)["X-Page-Cache"] == "hit"  # anonymous visitors see no tally: nothing changed


def test_hiding_and_restoring_a_comment_show_at_once(visitor, tree, citizen):
    page = tree["consultation"]["it"]
    comment = CommentFactory(page=page, user=citizen, text="Testo da moderare")
    moderator = ModeratorFactory()
    assert "Testo da moderare" in text(stored(visitor, page))
    hide([comment], moderator, reason="offensive")
    assert "Testo da moderare" not in text(get(visitor, page))
    restore([comment], moderator)
    assert "Testo da moderare" in text(get(visitor, page))


def test_closing_a_thread_by_hand_shows_at_once(visitor, tree):
    page = tree["consultation"]["it"]
    assert "Comments on this page are closed" not in text(stored(visitor, tree["consultation"]["en"]))
    CommentThread.objects.update_or_create(
        group=ensure_group(page), defaults={"page": page, "state": CommentThread.CLOSED}
    )
    assert "Comments on this page are closed" in text(get(visitor, tree["consultation"]["en"]))


def test_a_citizen_changing_their_public_name_shows_at_once_beside_their_comments(visitor, tree):
    author = UserFactory(display_name="Anna V.")
    CommentFactory(page=tree["consultation"]["it"], user=author, text="Ciao")
    assert "Anna V." in text(stored(visitor, tree["consultation"]["it"]))
    author.display_name = "Anna Verdi"
    author.save()
    assert "Anna Verdi" in text(get(visitor, tree["consultation"]["it"]))


def test_a_new_public_name_drops_the_pages_of_the_citizen_s_ideas_and_reports(tree):
    from tests.factories import IdeaFactory, IdeaMapPageFactory, ReportFactory, ReportingPageFactory, report_category

    author = UserFactory(display_name="Anna V.")
    ideas = IdeaMapPageFactory(parent=tree["consultation"]["it"])
    report_category()
    reporting = ReportingPageFactory(parent=tree["consultation"]["it"])
    IdeaFactory(page=ideas, user=author)
    ReportFactory(page=reporting, user=author)
    tags = [pagecache.group_tag(ideas.translation_key), pagecache.group_tag(reporting.translation_key)]
    before = pagecache.versions(tags)
    author.display_name = "Anna Verdi"
    author.save(update_fields=["display_name"])
    after = pagecache.versions(tags)
    assert all(after[tag] != before[tag] for tag in tags)


def test_a_login_does_not_drop_the_pages_of_the_citizen_s_comments(visitor, tree, citizen):
    CommentFactory(page=tree["consultation"]["it"], user=citizen, text="Ciao")
    stored(visitor, tree["consultation"]["it"])
    citizen.last_login = timezone.now()
    citizen.save(update_fields=["last_login"])
    assert get(visitor, tree["consultation"]["it"])["X-Page-Cache"] == "hit"


def test_a_page_rendered_while_a_change_commits_is_not_kept_under_the_new_version(rf, tree):
    """Versions are read before rendering: a change in between makes the copy stale at once."""
    request = rf.get(tree["home"]["it"].url)
    pagecache.cacheable(request, [pagecache.group_tag("x")])
    pagecache.bump(pagecache.group_tag("x"))  # a vote commits while the page renders
    from django.http import HttpResponse

    request.user = None
    pagecache.store(request, HttpResponse("old tally"))
    assert pagecache.lookup(rf.get(tree["home"]["it"].url)) is None


# --- expiry: what changes by itself ----------------------------------------------------------------


def test_stored_pages_expire_when_a_poll_opens_or_closes(tree):
    # Noon in Rome today, not the clock: at 23:55 the next midnight would come before a change 7 minutes on.
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    opens_at = now + timedelta(minutes=7)
    PollPage.objects.filter(translation_key=tree["poll"]["it"].translation_key).update(
        opens_at=opens_at, closes_at=now + timedelta(days=3)
    )
    assert pagecache.expires_at(now, "v1") == opens_at
    PollPage.objects.update(opens_at=now - timedelta(days=1), closes_at=now + timedelta(minutes=3))
    assert pagecache.expires_at(now, "v2") == now + timedelta(minutes=3)


def test_stored_pages_expire_at_midnight_in_rome_at_the_latest(tree):
    PollPage.objects.update(opens_at=timezone.now() - timedelta(days=1), closes_at=timezone.now() + timedelta(days=9))
    now = timezone.make_aware(timezone.datetime(2026, 6, 1, 23, 30), timezone.get_fixed_timezone(120))
    moment = pagecache.expires_at(now, "v3")
    assert timezone.localtime(moment).hour == 0 and moment - now == timedelta(minutes=30)


def test_a_page_is_stored_no_longer_than_until_the_next_change(visitor, tree, settings):
    from django.core.cache import cache

    soon = timezone.now() + timedelta(seconds=90)
    PollPage.objects.filter(translation_key=tree["poll"]["it"].translation_key).update(opens_at=soon)
    pagecache.bump(pagecache.CONTENT)
    stored(visitor, tree["poll"]["it"])
    key = pagecache._page_key(Client().get(tree["poll"]["it"].url).wsgi_request)
    assert cache._expire_info[cache.make_and_validate_key(key)] <= soon.timestamp() + 1


def test_the_release_is_the_same_twice_and_names_the_code():
    # Compared with itself, not with the value kept at the first request: the two-server test runs
    # collectstatic during the suite, which adds the static manifest (as a new release would).
    assert pagecache._release() == pagecache._release()
    assert len(pagecache.release()) == 16
