"""My participation (accounts/my_participation.py) and the author's own changes to a comment
(participation/comment_edits.py): the list of every kind, paginated and filtered, in both languages and in a
fixed number of queries; editing within 15 minutes ("(edited)" in the thread), deleting at any time (the
text erased, the replies kept), each only by the author and never a 500."""

from datetime import datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts import registry
from civic_site.templatetags.civic_dates import long_datetime
from participation.comments import post_comment
from participation.exports import comments_table
from participation.models import ParticipationComment
from tests.factories import CommentFactory, UserFactory
from tests.test_exports import site  # noqa: F401 (the fixture)
from tests.test_registry import citizen  # noqa: F401 (the fixture: a citizen who took part in everything)

pytestmark = pytest.mark.django_db

EVERY_KIND = {"comments", "poll_votes", "ballots", "ideas", "supports", "reports"}


def html(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def rows(response):
    return html(response).select("tr.my-participation-item")


def listing(client, language="en", **params):
    return client.get(f"/{language}/accounts/participation/", params)


@pytest.fixture
def signed_in(client, citizen):  # noqa: F811
    client.force_login(citizen["user"])
    return client


@pytest.fixture
def poll(site):  # noqa: F811
    """The poll (open, in an open process) whose thread holds the citizen's comment: {"it": page, "en": page}."""
    return site["poll"]


def comment_of(citizen):  # noqa: F811
    return ParticipationComment.objects.get(pk=citizen["comment"].pk)


# --- my participation ------------------------------------------------------------------------------------------


def test_the_page_lists_every_kind_newest_first_with_its_date_place_and_link(signed_in, citizen):  # noqa: F811
    response = listing(signed_in)
    assert response.status_code == 200
    page = html(response)
    assert page.h1.get_text(strip=True) == "My participation"
    assert "My participation" in page.title.get_text()
    found = rows(response)
    assert {row["data-kind"] for row in found} == EVERY_KIND
    moments = [row.time["datetime"] for row in found]
    assert moments == sorted(moments, reverse=True)
    items = registry.items(citizen["user"])
    with translation.override("en"):
        assert found[0].time.get_text() == long_datetime(timezone.localtime(items[0].date))
    comment = next(row for row in found if row["data-kind"] == "comments")
    assert "Scrive una cittadina" in comment.get_text()
    assert comment.select_one("a[href^='/en/comments/go/comment/']")
    pk = citizen["comment"].pk
    assert comment.select_one(f"a[href='/en/comments/{pk}/edit/']")
    assert comment.select_one(f"a[href='/en/comments/{pk}/delete/']")
    ballot = next(row for row in found if row["data-kind"] == "ballots")
    assert "receipt" in ballot.get_text() and not ballot.select("a[href*='/edit/'], a[href*='/delete/']")
    # The account navigation, on this page and on the profile.
    assert page.select_one("nav.account-nav a[aria-current=page]")["href"] == "/en/accounts/participation/"
    profile = html(signed_in.get("/en/accounts/profile/"))
    assert profile.select_one("nav.account-nav a[href='/en/accounts/participation/']")
    assert profile.select_one("nav.account-nav a[aria-current=page]")["href"] == "/en/accounts/profile/"


def test_the_page_speaks_italian_too(signed_in, citizen):  # noqa: F811
    response = listing(signed_in, "it")
    assert response.status_code == 200
    page = html(response)
    assert page.html["lang"] == "it"
    found = rows(response)
    assert {row["data-kind"] for row in found} == EVERY_KIND
    assert all(link["href"].startswith("/it/") for row in found for link in row.select("a"))
    assert "Commento" in {row.select("td")[1].get_text(strip=True) for row in found}


def test_login_is_required(client, citizen):  # noqa: F811
    for language in ("it", "en"):
        response = listing(client, language)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_pages_of_twenty_with_previous_and_next_and_kind_kept(signed_in, citizen, poll):  # noqa: F811
    person = citizen["user"]
    for number in range(45):
        CommentFactory(page=poll["it"], user=person, text=f"Ancora {number}")
    first = listing(signed_in, kind="comments")
    assert len(rows(first)) == 20
    assert "Ancora 44" in rows(first)[0].get_text()  # newest first
    nav = html(first).select_one("nav.pagination-wrapper")
    assert nav.select_one("[aria-current=page]").get_text(strip=True) == "Page 1"
    assert nav.select_one("a[rel=next]")["href"] == "?kind=comments&page=2"
    assert not nav.select_one("a[rel=prev]")
    last = listing(signed_in, kind="comments", page=3)
    assert len(rows(last)) == 6  # 46 comments: the fixture's and 45
    nav = html(last).select_one("nav.pagination-wrapper")
    assert nav.select_one("a[rel=prev]")["href"] == "?kind=comments&page=2"
    assert not nav.select_one("a[rel=next]")
    assert nav.select_one("[aria-current=page]").get_text(strip=True) == "Page 3"


@pytest.mark.parametrize("number", ["4", "99", "99999999999999999999999999", "-3", "0", "due", "", "\x00"])
def test_any_page_number_answers_without_an_error(signed_in, citizen, number):  # noqa: F811
    response = listing(signed_in, page=number)
    assert response.status_code == 200
    page = html(response)
    if number in ("-3", "0", "due", "", "\x00"):  # read as the first page
        assert {row["data-kind"] for row in rows(response)} == EVERY_KIND
    else:  # beyond the last page: a friendly message and the way back
        assert not rows(response)
        assert "nothing on this page" in page.select_one("main").get_text()
        assert page.select_one("main a[href='?']")


def test_the_kind_filter_shows_one_kind_and_ignores_unknown_ones(signed_in, citizen):  # noqa: F811
    only = rows(listing(signed_in, kind="ideas"))
    assert [row["data-kind"] for row in only] == ["ideas"]
    assert "Fontanella nuova" in only[0].get_text()
    options = {option["value"] for option in html(listing(signed_in)).select("select[name=kind] option")}
    assert options >= EVERY_KIND | {""}
    for bogus in ("bogus", "photos", "<script>", "comments\x00"):
        assert {row["data-kind"] for row in rows(listing(signed_in, kind=bogus))} == EVERY_KIND


def test_a_citizen_who_did_nothing_sees_an_empty_state(client):
    client.force_login(UserFactory())
    response = listing(client)
    assert response.status_code == 200
    assert not rows(response)
    assert "You have not taken part yet" in html(response).select_one("main").get_text()


def test_the_query_count_does_not_grow_with_the_items(signed_in, citizen, poll, django_assert_max_num_queries):  # noqa: F811
    listing(signed_in)
    with CaptureQueriesContext(connection) as few:
        listing(signed_in)
    few = len(few.captured_queries)  # now: the next request empties the connection's log
    for number in range(40):
        CommentFactory(page=poll["it"], user=citizen["user"], text=f"Ancora {number}")
    listing(signed_in, page=2)
    with django_assert_max_num_queries(few):
        response = listing(signed_in, page=2)
    assert len(rows(response)) == 20


# --- editing one's comment --------------------------------------------------------------------------------------


def edit_url(comment, language="en"):
    return f"/{language}/comments/{comment.pk}/edit/"


def delete_url(comment, language="en"):
    return f"/{language}/comments/{comment.pk}/delete/"


def test_the_author_edits_within_fifteen_minutes_and_the_thread_says_edited(signed_in, citizen, poll):  # noqa: F811
    comment = comment_of(citizen)
    form = html(signed_in.get(edit_url(comment)))
    assert form.select_one("textarea[name=comment]").get_text().strip() == "Scrive una cittadina"
    response = signed_in.post(edit_url(comment), {"comment": "  Scrive una cittadina, corretta.  "})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#c{comment.pk}")
    comment.refresh_from_db()
    assert comment.comment == "Scrive una cittadina, corretta."
    assert comment.edited_at is not None
    for language, word in (("en", "(edited)"), ("it", "(modificato)")):
        thread = html(signed_in.get(poll[language].url))
        item = thread.select_one(f"#c{comment.pk}")
        assert "Scrive una cittadina, corretta." in item.select_one(".comment-text").get_text()
        edited = item.select_one(".comment-edited")
        assert edited.get_text(strip=True) == word
        assert datetime.fromisoformat(edited.time["datetime"]) == comment.edited_at
        # Anonymous visitors see it too (the cached pages were dropped).
        anonymous = html(Client().get(poll[language].url)).select_one(f"#c{comment.pk}")
        assert "corretta" in anonymous.get_text() and anonymous.select_one(".comment-edited")


def test_the_thread_offers_the_author_edit_and_delete_on_their_own_comment_only(signed_in, citizen, poll):  # noqa: F811
    comment = comment_of(citizen)
    item = html(signed_in.get(poll["en"].url)).select_one(f"#c{comment.pk}")
    assert item.select_one(f"a[href='{edit_url(comment)}']") and item.select_one(f"a[href='{delete_url(comment)}']")
    other = ParticipationComment.objects.exclude(user=citizen["user"]).filter(group=comment.group_id).first()
    assert not html(signed_in.get(poll["en"].url)).select_one(f"#c{other.pk} a[href$='/edit/']")
    ParticipationComment.objects.filter(pk=comment.pk).update(submit_date=timezone.now() - timedelta(minutes=16))
    item = html(signed_in.get(poll["en"].url)).select_one(f"#c{comment.pk}")
    assert not item.select_one("a[href$='/edit/']") and item.select_one(f"a[href='{delete_url(comment)}']")


def test_after_fifteen_minutes_the_change_is_refused_and_the_text_kept(signed_in, citizen):  # noqa: F811
    comment = comment_of(citizen)
    ParticipationComment.objects.filter(pk=comment.pk).update(submit_date=timezone.now() - timedelta(minutes=16))
    response = signed_in.get(edit_url(comment))
    assert response.status_code == 403
    assert "15 minutes" in html(response).select_one("main").get_text()
    assert not html(response).select_one("form.comment-edit-form")
    response = signed_in.post(edit_url(comment, "it"), {"comment": "Troppo tardi"})
    assert response.status_code == 403
    page = html(response)
    assert page.select_one("textarea.comment-unsaved").get_text() == "Troppo tardi"
    assert page.select_one("main .alert-danger")  # why, in the citizen's language
    assert comment_of(citizen).comment == "Scrive una cittadina"
    assert comment_of(citizen).edited_at is None
    item = next(item for item in registry.items(citizen["user"]) if item.kind == "comments")
    assert not item.can_edit and item.can_delete


def test_someone_elses_comment_is_not_found(client, citizen):  # noqa: F811
    comment = comment_of(citizen)
    client.force_login(UserFactory())
    for url in (edit_url(comment), delete_url(comment)):
        assert client.get(url).status_code == 404
        assert client.post(url, {"comment": "Non è mio"}).status_code == 404
    assert client.get("/en/comments/99999999999999999999999/edit/").status_code == 404
    assert comment_of(citizen).comment == "Scrive una cittadina" and not comment_of(citizen).is_removed
    anonymous = Client()
    response = anonymous.post(edit_url(comment), {"comment": "anonimo"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert comment_of(citizen).comment == "Scrive una cittadina"


def test_a_comment_hidden_by_the_moderators_cannot_be_edited(signed_in, citizen):  # noqa: F811
    comment = comment_of(citizen)
    ParticipationComment.objects.filter(pk=comment.pk).update(is_public=False)
    response = signed_in.get(edit_url(comment))
    assert response.status_code == 403
    assert "moderators hid" in html(response).select_one("main").get_text()
    response = signed_in.post(edit_url(comment), {"comment": "Riscritto per sfuggire ai moderatori"})
    assert response.status_code == 403
    assert comment_of(citizen).comment == "Scrive una cittadina"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Con un\x00 carattere nullo", "carattere nullo"),
        ("parola " * 1500, "parola parola"),  # 10,500 characters
        ("x" * 10_000, "x" * 3000),
        ("", None),
        ("   \n  ", None),
    ],
)
def test_hostile_text_gets_the_form_back_with_a_message_and_the_text(signed_in, citizen, text, kept):  # noqa: F811
    comment = comment_of(citizen)
    response = signed_in.post(edit_url(comment), {"comment": text})
    assert response.status_code == 400
    page = html(response)
    area = page.select_one("form.comment-edit-form textarea[name=comment]")
    assert page.select_one(".invalid-feedback")
    if kept:
        assert kept in area.get_text()
    assert comment_of(citizen).comment == "Scrive una cittadina"
    assert comment_of(citizen).edited_at is None


def test_edits_count_against_the_comment_rate_limit(signed_in, citizen):  # noqa: F811
    comment = comment_of(citizen)
    for number in range(5):
        assert signed_in.post(edit_url(comment), {"comment": f"Versione {number}"}).status_code == 302
    response = signed_in.post(edit_url(comment), {"comment": "Versione di troppo"})
    assert response.status_code == 429
    assert response["Retry-After"]
    assert html(response).select_one("textarea[name=comment]").get_text().strip() == "Versione di troppo"
    assert comment_of(citizen).comment == "Versione 4"


def test_editing_and_deleting_need_the_csrf_token(citizen):  # noqa: F811
    comment = comment_of(citizen)
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen["user"])
    assert client.post(edit_url(comment), {"comment": "senza token"}).status_code == 403
    assert client.post(delete_url(comment)).status_code == 403
    assert comment_of(citizen).comment == "Scrive una cittadina" and not comment_of(citizen).is_removed
    form = html(client.get(delete_url(comment))).select_one("form.comment-delete-form")
    token = form.select_one("input[name=csrfmiddlewaretoken]")["value"]
    assert client.post(delete_url(comment), {"csrfmiddlewaretoken": token}).status_code == 302
    assert comment_of(citizen).is_removed


# --- deleting one's comment -----------------------------------------------------------------------------------


def count_shown(page):
    return html(Client().get(page.url)).select_one("#comments p strong").get_text(strip=True)


def test_deleting_erases_the_text_keeps_the_replies_and_shows_the_placeholder(signed_in, citizen, poll):  # noqa: F811
    comment = comment_of(citizen)
    ParticipationComment.objects.filter(pk=comment.pk).update(submit_date=timezone.now() - timedelta(days=30))
    replier = UserFactory()
    reply = post_comment(page=poll["en"], user=replier, text="Una risposta che resta", parent_id=comment.pk)
    before = count_shown(poll["en"])

    confirm = signed_in.get(delete_url(comment))
    assert confirm.status_code == 200
    page = html(confirm)
    assert "Scrive una cittadina" in page.select_one("main blockquote").get_text()
    assert page.select_one("form.comment-delete-form[method=post] button[type=submit]")

    response = signed_in.post(delete_url(comment))
    assert response.status_code == 302 and response["Location"] == "/en/accounts/participation/"
    stored = comment_of(citizen)
    assert stored.is_removed and stored.comment == "" and stored.user_id == citizen["user"].pk
    assert ParticipationComment.objects.get(pk=reply.pk).parent_id == comment.pk

    for language in ("en", "it"):
        thread = Client().get(poll[language].url).content.decode()
        assert "Scrive una cittadina" not in thread
        assert "Una risposta che resta" in thread
        item = BeautifulSoup(thread, "html.parser").select_one(f"#c{comment.pk}")
        assert item.select_one(".comment-deleted")
        assert item.select_one(f"#c{reply.pk}")  # the reply, under the placeholder
    assert (
        "Comment deleted by its author" in html(Client().get(poll["en"].url)).select_one(f"#c{comment.pk}").get_text()
    )
    assert int(count_shown(poll["en"]).split()[0]) == int(before.split()[0]) - 1

    # Deleting again changes nothing and is no error; editing it is refused.
    assert signed_in.post(delete_url(comment)).status_code == 302
    assert signed_in.get(delete_url(comment)).status_code == 200
    assert comment_of(citizen).is_removed
    assert signed_in.post(edit_url(comment), {"comment": "risorto"}).status_code == 403
    assert comment_of(citizen).comment == ""
    # My participation shows it as deleted, with nothing more to do.
    row = next(row for row in rows(listing(signed_in)) if row["data-kind"] == "comments")
    assert "Comment deleted by its author" in row.get_text()
    assert not row.select("a[href$='/edit/'], a[href$='/delete/']")
    # Replying to it and reacting to it are refused.
    assert signed_in.post(f"/en/comments/{comment.pk}/reaction/", {"reaction": "like"}).status_code == 404


def test_a_deleted_comment_is_hidden_in_exports_and_left_alone_by_moderation(signed_in, citizen, poll):  # noqa: F811
    from participation import moderation
    from tests.factories import ModeratorFactory

    comment = comment_of(citizen)
    signed_in.post(delete_url(comment))
    table = comments_table("Sondaggio", Q(pk=comment.pk))
    row = next(iter(table.rows))
    assert row[0] == comment.pk and row[-1] is True  # "hidden"
    assert moderation.hide([comment_of(citizen)], ModeratorFactory(), reason="spam") == 0
    assert comment_of(citizen).is_public  # hidden only by its author: the moderators' fields untouched


def test_the_thread_costs_the_same_queries_after_edits_and_deletions(signed_in, citizen, poll):  # noqa: F811
    from django.core.cache import cache

    url = poll["en"].url
    signed_in.get(url)
    with CaptureQueriesContext(connection) as before:
        signed_in.get(url)
    before = len(before.captured_queries)  # now: the next request empties the connection's log
    mine = [CommentFactory(page=poll["it"], user=citizen["user"], text=f"Mio {number}") for number in range(4)]
    for comment in mine[:2]:
        post_comment(page=poll["it"], user=UserFactory(), text="risposta", parent_id=comment.pk, notify=False)
    cache.clear()  # rate limits
    signed_in.post(edit_url(mine[0]), {"comment": "Mio, corretto"})
    signed_in.post(delete_url(mine[1]))
    signed_in.post(delete_url(mine[2]))
    signed_in.get(url)  # warm the caches the changes dropped
    with CaptureQueriesContext(connection) as after:
        response = signed_in.get(url)
    assert "Mio, corretto" in response.content.decode()
    assert len(after.captured_queries) == before
