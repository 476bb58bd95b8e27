"""Hostile input at every citizen form and public endpoint: never a 500, never stored markup, never a partial record.

Hypothesis throws the strategies of tests/strategies.py (markup, control characters and NUL, bidirectional
and combining Unicode, very long text, odd and huge numbers, lists where one value is expected) at each
form and URL through the test client, logged in as a verified citizen where the form needs one. What must
hold for every input:

- the answer is never a server error;
- what is accepted is stored as the plain text that was typed (stripped, as forms do) and shown escaped:
  no element or event handler on the page comes from it;
- what is refused stores nothing: the rows of votes, choices, comments, reactions and reports are counted
  before and after;
- ids of another page's objects (another poll's options, another thread's comment, a hidden comment) are
  refused like any other bad id;
- without a valid CSRF token every POST is refused with 403 and stores nothing.

The page tree is the module's (``tree``); what the forgeries need (a second process and poll, hidden,
closed and unpublished comments) is built once per module by ``world``. Examples of one test share its
database transaction, so each example compares counts before and after itself, and clears the cache
(the rate limits) first.
"""

import unicodedata
from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup
from django import forms
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from wagtail.models import Page

from accounts.forms import clean_public_name
from participation.models import (
    CommentReaction,
    CommentReport,
    CommentThread,
    ModerationReason,
    ParticipationComment,
    PollOption,
    PollPage,
    PollVote,
    PollVoteChoice,
)
from tests.conftest import kept_for_module
from tests.factories import CommentFactory, ConsultationPageFactory, PollPageFactory, UserFactory
from tests.strategies import PAYLOADS, hostile_field, hostile_number, hostile_text

pytestmark = pytest.mark.django_db

User = get_user_model()

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MODELS = (PollVote, PollVoteChoice, ParticipationComment, CommentReaction, CommentReport, User, EmailAddress)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


def assert_no_injected_markup(html):
    """Nothing on the page is active markup that a visitor could have put there.

    The site's only script is its static bundle, and its templates set no event handler attributes: any
    other script, handler, frame or ``javascript:`` link came from input.
    """
    page = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    for script in page.find_all("script"):
        assert script.get("src", "").startswith("/static/"), script
        assert not script.get_text().strip(), script
    assert not page.find_all(["iframe", "object", "embed", "img"], src=lambda src: src and "javascript" in src)
    for element in page.find_all(True):
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), element
            if name.lower() in URL_ATTRIBUTES:
                assert not value.strip().lower().startswith("javascript:"), element


def squeeze(text):
    """Text without whitespace (HTML rendering moves it) or NULs (which the parser drops)."""
    return "".join(text.replace("\x00", "").split())


# --- what the forgeries need, built once per module -------------------------------------------


@pytest.fixture(scope="module")
def world(module_tree, django_db_blocker):
    """Ids of the objects a forged request may point at, beside the module's tree.

    parco (the tree's process, open): ``target`` (a comment by ``author``), its ``reply``, the reply's
    ``deep`` reply (as deep as threads go), a ``hidden`` one. ``other`` process (open): ``elsewhere``,
    a comment of another thread, and ``other_poll``. A ``closed`` thread's comment and an ``unpublished``
    page's comment.
    """
    with kept_for_module(django_db_blocker):
        index = module_tree["index"]["it"]
        parco = module_tree["consultation"]["it"]
        author = UserFactory(username="autrice", display_name="Autrice A.")
        target = CommentFactory(page=parco, user=author, text="Servono panchine.")
        reply = CommentFactory(page=parco, user=author, text="E fontanelle.", parent=target)
        deep = CommentFactory(page=parco, user=author, text="Anche ombra.", parent=reply)
        hidden = CommentFactory(page=parco, user=author, text="Nascosto.")
        ParticipationComment.objects.filter(pk=hidden.pk).update(is_public=False)

        other = ConsultationPageFactory(parent=index, title="Segnala nel tuo quartiere", slug="segnala")
        elsewhere = CommentFactory(page=other, user=author, text="Buche in via Roma.")
        other_poll = PollPageFactory(parent=other, title="Quale priorità?", slug="priorita", options=["Buche", "Luci"])

        closed = ConsultationPageFactory(parent=index, title="Processo chiuso", slug="chiuso")
        closed_comment = CommentFactory(page=closed, user=author, text="Detto prima della chiusura.")
        CommentThread.objects.create(group_id=closed.translation_key, page=closed, state=CommentThread.CLOSED)

        unpublished = ConsultationPageFactory(parent=index, title="Bozza", slug="bozza")
        unpublished_comment = CommentFactory(page=unpublished, user=author, text="Su una pagina ritirata.")
        Page.objects.filter(pk=unpublished.pk).update(live=False)

        poll = module_tree["poll"]["it"]
        yield {
            "author": author.pk,
            "target": target.pk,
            "reply": reply.pk,
            "deep": deep.pk,
            "hidden": hidden.pk,
            "elsewhere": elsewhere.pk,
            "closed": closed_comment.pk,
            "unpublished": unpublished_comment.pk,
            "other_page": other.pk,
            "closed_page": closed.pk,
            "unpublished_page": unpublished.pk,
            "options": list(PollOption.objects.filter(page=poll).order_by("sort_order").values_list("pk", flat=True)),
            "options_en": list(PollOption.objects.filter(page=module_tree["poll"]["en"]).values_list("pk", flat=True)),
            "other_options": list(PollOption.objects.filter(page=other_poll).values_list("pk", flat=True)),
        }


@pytest.fixture
def parco(tree):
    return tree["consultation"]["it"]


@pytest.fixture
def signed_in(client, citizen):
    client.force_login(citizen)
    return client


def comment_ids(world):
    """Ids a forged request may name: every comment of the module, and ids that name none."""
    names = ("target", "reply", "deep", "hidden", "elsewhere", "closed", "unpublished")
    return st.one_of(st.sampled_from([str(world[name]) for name in names]), hostile_number())


# --- comments ---------------------------------------------------------------------------------


def assert_comment_rendered_as_text(client, location, comment):
    response = client.get(location)
    assert response.status_code == 200
    page = soup(response)
    assert_no_injected_markup(page)
    text = page.select_one(f"#c{comment.pk} .comment-text")
    # linebreaks makes paragraphs and line breaks, urlize makes links: nothing else comes from the text.
    for element in text.find_all(True):
        assert element.name in {"p", "br", "a"}, element
        if element.name == "a":
            assert set(element.attrs) <= {"href", "rel"}, element
            assert element["href"].startswith(("http://", "https://", "mailto:")), element
    assert squeeze(text.get_text()) == squeeze(comment.comment)


@FUZZ
@given(text=hostile_text(), language=st.sampled_from(["it", "en"]), reply=st.booleans())
def test_any_comment_text_is_stored_as_typed_and_shown_as_text(signed_in, citizen, parco, world, text, language, reply):
    cache.clear()
    before = counts()
    data = {"page": parco.pk, "comment": text, "parent": world["target"] if reply else ""}
    response = signed_in.post(f"/{language}/comments/post/", data)
    assert response.status_code < 500

    expected = text.strip()
    acceptable = bool(expected) and len(expected) <= django_settings.COMMENT_MAX_LENGTH and "\x00" not in text
    event("refused" if not acceptable else "accepted")
    if not acceptable:
        assert response.status_code == 400
        assert counts() == before
        # Nothing is lost: the text comes back in the form (the reply's, or the main one).
        textareas = soup(response).select("textarea[name=comment]")
        if "\x00" not in text:
            assert any(squeeze(area.get_text()) == squeeze(text) for area in textareas)
        return
    assert response.status_code == 302, response.content.decode()[:2000]
    assert counts() == {**before, "ParticipationComment": before["ParticipationComment"] + 1}
    comment = ParticipationComment.objects.filter(user=citizen).latest("pk")
    assert comment.comment == expected
    assert comment.parent_id == (world["target"] if reply else comment.pk)
    assert_comment_rendered_as_text(signed_in, response["Location"], comment)


@FUZZ
@given(data=st.data())
def test_forged_pages_and_parents_are_refused_and_store_nothing(signed_in, citizen, parco, world, data):
    """Any page id and parent id: a comment is stored only on an open thread's live page, under a visible
    comment of the same thread that still takes replies; anything else stores nothing."""
    cache.clear()
    pages = st.sampled_from(
        [str(parco.pk), str(world["other_page"]), str(world["closed_page"]), str(world["unpublished_page"]), "1"]
    )
    page_id = data.draw(hostile_field(st.one_of(st.just(str(parco.pk)), pages, hostile_number())), label="page")
    parents = st.one_of(st.just(""), hostile_field(st.one_of(st.just(""), comment_ids(world))))
    parent_id = data.draw(parents, label="parent")
    before = counts()
    response = signed_in.post("/it/comments/post/", {"page": page_id, "parent": parent_id, "comment": "Buona idea."})
    assert response.status_code < 500
    event("refused" if response.status_code != 302 else "accepted")
    if response.status_code != 302:
        assert response.status_code in (400, 404)
        assert counts() == before
        return
    comment = ParticipationComment.objects.filter(user=citizen).latest("pk")
    page = Page.objects.get(pk=int(page_id[-1] if isinstance(page_id, list) else page_id))
    assert page.live and comment.group_id == page.translation_key
    if comment.parent_id != comment.pk:
        parent = ParticipationComment.objects.get(pk=comment.parent_id)
        assert parent.group_id == comment.group_id and not parent.is_hidden
        assert parent.level < django_settings.COMMENTS_XTD_MAX_THREAD_LEVEL


@pytest.mark.parametrize(
    ("parent", "message"),
    [
        ("elsewhere", "no longer available"),  # a comment of another page's thread
        ("hidden", "no longer available"),
        ("closed", "no longer available"),
        ("deep", "cannot be nested any deeper"),
        ("999999", "no longer available"),
    ],
)
def test_a_reply_to_a_comment_that_is_not_this_threads_is_refused(signed_in, parco, world, parent, message):
    before = counts()
    parent_id = world.get(parent, parent)
    response = signed_in.post("/en/comments/post/", {"page": parco.pk, "parent": parent_id, "comment": "Risposta"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("page", ["closed_page", "unpublished_page", "home"])
def test_comments_on_a_closed_unpublished_or_non_participation_page_are_refused(signed_in, tree, world, page):
    page_id = tree["home"]["it"].pk if page == "home" else world[page]
    before = counts()
    response = signed_in.post("/it/comments/post/", {"page": page_id, "comment": "Ciao"})
    assert response.status_code in (400, 404)
    assert counts() == before


# --- reactions and reports --------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_reactions_with_any_comment_id_and_value(signed_in, citizen, world, data):
    """Reactions land only on visible comments of open threads on live pages, and only as agree/disagree."""
    cache.clear()
    comment_id = data.draw(comment_ids(world), label="comment")
    kind = data.draw(hostile_field(st.one_of(st.sampled_from(["like", "dislike"]), hostile_text())), label="kind")
    before = counts()
    # Quoted as a browser sends it: a bare "0#" would be cut at the "#" by the test client itself.
    response = signed_in.post(f"/it/comments/{quote(comment_id, safe='')}/reaction/", {"reaction": kind})
    assert response.status_code < 500
    reactable = comment_id in {str(world[name]) for name in ("target", "reply", "deep", "elsewhere")}
    if not reactable:
        assert response.status_code in (302, 404)
        assert counts() == before
    mine = CommentReaction.objects.filter(user=citizen)
    assert set(mine.values_list("value", flat=True)) <= {"like", "dislike"}
    reactable_ids = {world[name] for name in ("target", "reply", "deep", "elsewhere")}
    assert set(mine.values_list("comment_id", flat=True)) <= reactable_ids


@pytest.mark.parametrize("name", ["hidden", "closed", "unpublished"])
def test_reacting_to_or_reporting_a_hidden_closed_or_unpublished_comment_stores_nothing(signed_in, world, name):
    before = counts()
    for url, data in (("reaction", {"reaction": "like"}), ("report", {"reason": "spam"})):
        response = signed_in.post(f"/it/comments/{world[name]}/{url}/", data)
        assert response.status_code in (302, 404)
        if response.status_code == 302:  # the closed thread's page: back to it with the reason
            messages = [str(m) for m in response.wsgi_request._messages]
            assert any("closed" in m or "chius" in m for m in messages)
    assert counts() == before


REASONS = st.sampled_from([choice.value for choice in ModerationReason])


@FUZZ
@given(
    reason=st.one_of(REASONS, hostile_field(st.one_of(REASONS, hostile_text(max_size=20)))),
    text=st.one_of(st.text(max_size=50), hostile_text()),
    language=st.sampled_from(["it", "en"]),
)
def test_any_report_is_stored_as_typed_or_not_at_all(signed_in, citizen, world, reason, text, language):
    cache.clear()
    CommentReport.objects.filter(user=citizen).delete()  # one open report per comment: start each example afresh
    before = counts()
    response = signed_in.post(f"/{language}/comments/{world['target']}/report/", {"reason": reason, "text": text})
    assert response.status_code < 500
    chosen = reason[-1] if isinstance(reason, list) and reason else reason
    details = text.strip()
    acceptable = (
        chosen in ModerationReason.values
        and len(details) <= 500
        and "\x00" not in text
        and (chosen != ModerationReason.OTHER or details)
    )
    event("refused" if not acceptable else "accepted")
    if not acceptable:
        assert response.status_code == 400
        assert counts() == before
        assert_no_injected_markup(response.content.decode())
        return
    assert response.status_code == 302
    assert counts() == {**before, "CommentReport": before["CommentReport"] + 1}
    report = CommentReport.objects.get(user=citizen)
    assert (report.reason, report.text) == (chosen, details)


def test_report_texts_are_escaped_in_the_moderators_listing(client, citizen, parco, world):
    """Only moderators read report texts and comments in the admin: escaped there too."""
    from tests.factories import ModeratorFactory

    target = ParticipationComment.objects.get(pk=world["target"])
    for payload in PAYLOADS[:12]:
        reporter = UserFactory()
        CommentReport.objects.create(comment=target, user=reporter, reason="other", text=payload)
    CommentFactory(page=parco, user=citizen, text=PAYLOADS[2] + PAYLOADS[0])
    client.force_login(ModeratorFactory())
    response = client.get(reverse("wagtailsnippets_participation_participationcomment:list"))
    assert response.status_code == 200
    page = soup(response)
    # The admin has its own scripts: none of them may come from the payloads (inline and none has alert).
    assert not any("alert(1)" in (script.get("src", "") + script.get_text()) for script in page.find_all("script"))
    assert not page.find_all(attrs={"onerror": True}) and not page.find_all(attrs={"onload": True})
    assert "alert(1)" in page.get_text()  # they are there, as text


# --- polls ------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_votes_with_any_option_ids_count_whole_or_not_at_all(signed_in, citizen, tree, world, data):
    """Another poll's options, odd numbers, several values: a vote is recorded whole or not at all, and a
    refused one leaves the citizen's earlier vote as it was."""
    cache.clear()
    poll = tree["poll"][data.draw(st.sampled_from(["it", "en"]), label="language")]
    own = st.sampled_from([str(option.pk) for option in poll.options.all()])
    # Another poll's options, and the other translation's (the same poll, not the options on this page).
    foreign = st.sampled_from([str(pk) for pk in world["other_options"] + world["options"] + world["options_en"]])
    options = data.draw(st.one_of(own, hostile_field(st.one_of(own, foreign, hostile_number()))), label="options")
    submitted = options if isinstance(options, list) else [options]
    vote = PollVote.objects.filter(user=citizen).first()
    earlier = set(vote.choices.values_list("option_key", flat=True)) if vote else None
    before = counts()

    response = signed_in.post(f"{poll.url}vote/", {"options": options})
    assert response.status_code < 500

    try:
        chosen = {int(value) for value in submitted}
    except ValueError:
        chosen = None
    own_ids = {option.pk for option in poll.options.all()}
    event("refused" if not chosen or not chosen <= own_ids or len(chosen) > poll.max_choices else "accepted")
    if not chosen or not chosen <= own_ids or len(chosen) > poll.max_choices:
        assert response.status_code == 400
        assert counts() == before
        vote = PollVote.objects.filter(user=citizen).first()
        assert (set(vote.choices.values_list("option_key", flat=True)) if vote else None) == earlier
        return
    assert response.status_code == 302
    vote = PollVote.objects.get(user=citizen)
    keys = set(PollOption.objects.filter(pk__in=chosen).values_list("translation_key", flat=True))
    assert set(vote.choices.values_list("option_key", flat=True)) == keys


def test_a_vote_with_one_option_of_another_poll_is_refused_whole(signed_in, citizen, tree, world):
    poll = tree["poll"]["it"]
    assert signed_in.post(f"{poll.url}vote/", {"options": world["options"][0]}).status_code == 302
    before = counts()
    PollPage.objects.filter(pk=poll.pk).update(max_choices=2)
    response = signed_in.post(f"{poll.url}vote/", {"options": [world["options"][1], world["other_options"][0]]})
    assert response.status_code == 400
    assert counts() == before
    vote = PollVote.objects.get(user=citizen)
    assert list(vote.choices.values_list("option_key", flat=True)) == [
        PollOption.objects.get(pk=world["options"][0]).translation_key
    ]


# --- accounts ---------------------------------------------------------------------------------


@FUZZ
@given(name=hostile_field(hostile_text()), notify=hostile_field(hostile_text(max_size=5)))
def test_any_public_name_is_stored_normalised_and_shown_as_text(signed_in, citizen, name, notify):
    cache.clear()
    before = counts()
    previous = User.objects.get(pk=citizen.pk).display_name
    response = signed_in.post("/en/accounts/profile/", {"display_name": name, "notify_replies": notify})
    assert response.status_code < 500
    assert counts() == before
    value = name[-1] if isinstance(name, list) and name else ("" if isinstance(name, list) else name)
    try:
        expected = clean_public_name(forms.CharField(max_length=60).clean(value))
    except forms.ValidationError:
        expected = None
    stored = User.objects.get(pk=citizen.pk).display_name
    event("refused" if expected is None else "accepted")
    if expected is None:
        assert response.status_code == 200
        assert stored == previous
        return
    assert response.status_code == 302
    assert stored == expected == unicodedata.normalize("NFKC", stored).strip()
    page = soup(signed_in.get("/en/accounts/profile/"))
    assert_no_injected_markup(page)
    link = page.select_one(".header-account a[href='/en/accounts/profile/']")
    assert {element.name for element in link.find_all(True)} <= {"svg", "use", "span"}
    assert squeeze(link.get_text()) == squeeze("Your profile:" + stored)


def test_a_public_name_is_shown_as_text_next_to_comments(signed_in, citizen, parco):
    name = '"><img src=x onerror=alert(1)>'
    assert signed_in.post("/it/accounts/profile/", {"display_name": name}).status_code == 302
    comment = CommentFactory(page=parco, user=User.objects.get(pk=citizen.pk), text="Ciao")
    page = soup(signed_in.get(parco.url))
    assert_no_injected_markup(page)
    author = page.select_one(f"#c{comment.pk}-author")
    assert author.get_text() == name and not author.find_all(True)


PLAIN_EMAILS = st.from_regex(r"[a-z][a-z0-9.]{0,12}", fullmatch=True).map(lambda local: f"{local}@example.org")
EMAILS = st.one_of(PLAIN_EMAILS, PLAIN_EMAILS, st.emails().map(lambda email: email[:200]), hostile_text(max_size=40))
PASSWORDS = st.one_of(st.just("una-password-lunga-2026"), st.just("una-password-lunga-2026"), hostile_text(max_size=40))


@FUZZ
@given(email=hostile_field(EMAILS), password=PASSWORDS, name=hostile_text(max_size=70), _random=st.random_module())
def test_signup_with_any_input_creates_a_whole_account_or_nothing(client, tree, email, password, name, _random):
    """``random_module``: Hypothesis seeds ``random`` alike for every example, so allauth's random username
    suffixes would repeat and, after a few sign-ups from the same local part, run out (a test artefact)."""
    cache.clear()
    before = counts()
    address = email[-1] if isinstance(email, list) and email else email
    # An address with a NUL is never stored (and PostgreSQL refuses to even compare one): not known.
    known = bool(address) and "\x00" not in address and EmailAddress.objects.filter(email__iexact=address).exists()
    response = client.post(
        "/it/accounts/signup/", {"email": email, "password1": password, "password2": password, "display_name": name}
    )
    assert response.status_code < 500
    after = counts()
    event("refused" if after == before else "accepted")
    if after == before:
        # Refused with the form again; or, for an address already signed up and an otherwise valid form,
        # the same answer as a sign-up (so nobody learns who has an account) and an email to its owner.
        assert response.status_code in ((200, 302) if known else (200,))
        if response.status_code == 200:
            assert_no_injected_markup(response.content.decode())
        return
    assert response.status_code == 302
    # A whole account: the user and its (unverified) address, nothing else.
    assert after == {**before, "User": before["User"] + 1, "EmailAddress": before["EmailAddress"] + 1}
    user = User.objects.latest("pk")
    assert user.display_name == clean_public_name(name)
    assert not EmailAddress.objects.get(user=user).verified


@FUZZ
@given(
    login=hostile_field(EMAILS),
    password=hostile_field(PASSWORDS),
    reset_email=hostile_field(EMAILS),
    next_url=hostile_text(max_size=40),
)
def test_login_and_password_reset_with_any_input(client, citizen, login, password, reset_email, next_url):
    cache.clear()
    before = counts()
    response = client.post("/it/accounts/login/", {"login": login, "password": password, "next": next_url})
    assert response.status_code < 500
    assert "_auth_user_id" not in client.session
    response = client.post("/en/accounts/password/reset/", {"email": reset_email})
    assert response.status_code < 500
    assert counts() == before


# --- public pages and query strings -----------------------------------------------------------

GET_ENDPOINTS = {
    "search": ("/{lang}/search/", ["q", "page"]),
    "index": ("/{lang}/{index}", ["status", "topic", "page"]),
    "process": ("/{lang}/{process}", ["comments"]),
    "poll": ("/{lang}/{poll}", ["comments"]),
    "login": ("/{lang}/accounts/login/", ["next"]),
    "admin_login": ("/admin/login/", ["next"]),
    "signup": ("/{lang}/accounts/signup/", ["next"]),
}


def endpoint_url(tree, name, language):
    template, _params = GET_ENDPOINTS[name]
    pages = {kind: tree[kind][language].url.split("/", 2)[2] for kind in ("index", "consultation", "poll")}
    return template.format(lang=language, index=pages["index"], process=pages["consultation"], poll=pages["poll"])


@pytest.mark.parametrize("name", list(GET_ENDPOINTS))
@settings(FUZZ, max_examples=20)
@given(data=st.data(), language=st.sampled_from(["it", "en"]), signed=st.booleans())
def test_public_pages_answer_any_query_string(client, citizen, tree, name, data, language, signed):
    if signed:
        client.force_login(citizen)
    else:
        client.logout()
    names = GET_ENDPOINTS[name][1]
    keys = st.one_of(st.sampled_from(names), hostile_text(max_size=10))
    values = hostile_field(st.one_of(hostile_number(), hostile_text()))
    params = data.draw(st.dictionaries(keys, values, max_size=4), label="params")
    response = client.get(endpoint_url(tree, name, language), params)
    assert response.status_code < 500
    if response.status_code == 200:
        assert_no_injected_markup(response.content.decode())
    else:
        assert response.status_code in (301, 302, 404)


@FUZZ
@given(
    prefix=st.sampled_from(["/it/", "/en/", "/it/partecipa/parco-dora/", "/it/comments/", "/documents/", "/"]),
    segment=st.one_of(hostile_text(max_size=40), hostile_number()),
    tail=st.sampled_from(["", "/", "/vote/", "/report/", "/x.pdf"]),
)
def test_any_path_answers_without_an_error(client, tree, prefix, segment, tail):
    """Wagtail's page routes, the poll's vote route, comment and document ids: any path segment."""
    response = client.get(prefix + quote(segment, safe="") + tail)
    assert response.status_code < 500
    if response.status_code == 200:
        assert_no_injected_markup(response.content.decode())


@pytest.mark.parametrize(
    "path",
    [
        "/documents/99999999999999999999999999/x.pdf",
        "/it/comments/99999999999999999999999999/report/",
        "/it/partecipa/parco-dora/disposizione/vote/",
        "/it/partecipa/parco-dora/disposizione/vote/%00/",
        "/it/partecipa/parco-dora/%00/",
        "/it/search/?q=%00&page=99999999999999999999999999",
        "/it/partecipa/?page=-1&status=%00&topic=%3Cscript%3E",
        "/it/partecipa/parco-dora/?comments=99999999999999999999999999",
    ],
)
def test_odd_paths_answer_without_an_error(client, tree, path):
    assert client.get(path).status_code in (200, 404, 405)


@FUZZ
@given(
    language=hostile_field(st.one_of(st.sampled_from(["it", "en", "fr", "en-us"]), hostile_text(max_size=20))),
    next_url=hostile_field(st.one_of(st.sampled_from(["/it/", "/en/partecipa/", "//evil.example/"]), hostile_text())),
)
def test_the_language_switcher_answers_any_language_and_next(client, tree, language, next_url):
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code < 500
    if response.status_code in (301, 302):
        location = response["Location"]
        assert not location.startswith(("//", "http:", "https:", "javascript:")), location


# --- CSRF -------------------------------------------------------------------------------------


def csrf_posts(tree, world):
    poll = tree["poll"]["it"]
    return [
        ("/it/comments/post/", {"page": tree["consultation"]["it"].pk, "comment": "Senza token"}),
        (f"/it/comments/{world['target']}/reaction/", {"reaction": "like"}),
        (f"/it/comments/{world['target']}/report/", {"reason": "spam"}),
        (f"{poll.url}vote/", {"options": world["options"][0]}),
        ("/it/accounts/profile/", {"display_name": "Nome falso"}),
        ("/i18n/setlang/", {"language": "en", "next": "/en/"}),
        ("/it/accounts/logout/", {}),
        ("/it/accounts/password/reset/", {"email": "giulia.rossi@example.org"}),
        (
            "/it/accounts/signup/",
            {
                "email": "nuova@example.org",
                "password1": "una-password-lunga-2026",
                "password2": "una-password-lunga-2026",
                "display_name": "Nuova N.",
            },
        ),
    ]


def test_every_post_without_a_csrf_token_is_refused_and_stores_nothing(tree, world, citizen):
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    client.get("/it/accounts/profile/")  # the CSRF cookie is set: only the token is missing
    for url, data in csrf_posts(tree, world):
        before, name = counts(), User.objects.get(pk=citizen.pk).display_name
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert counts() == before, url
        assert User.objects.get(pk=citizen.pk).display_name == name
    assert "_auth_user_id" in client.session  # not even logged out


@FUZZ
@given(
    token=st.one_of(
        hostile_text(max_size=70),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=32, max_size=64),
    ),
    cookie=st.booleans(),
    data=st.data(),
)
def test_forged_csrf_tokens_are_refused_and_store_nothing(tree, world, citizen, token, cookie, data):
    """A token that does not match the visitor's CSRF cookie (or with no cookie at all) is refused."""
    cache.clear()
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    if cookie:  # a real CSRF cookie, and a token that is not its own (random ones never are)
        client.get("/it/accounts/profile/")
        assert client.cookies[django_settings.CSRF_COOKIE_NAME].value != token
    url, payload = data.draw(st.sampled_from(csrf_posts(tree, world)), label="endpoint")
    before = counts()
    response = client.post(url, {**payload, "csrfmiddlewaretoken": token}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 403
    assert counts() == before
