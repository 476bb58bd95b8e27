"""Shared template pieces (pagination, the log-in-or-confirm prompt, status badges) are includes, used
everywhere they appear, and render the same on every page type that shows them."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.factories import CommentFactory, PollPageFactory, UserFactory

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

# A marker of each piece's markup -> the one template allowed to hold it.
SHARED = {
    'class="pagination"': "includes/pagination.html",
    "send it again": "includes/participation_prompt.html",
    "account_signup' %}?next=": "includes/participation_prompt.html",
    '"Status:"': "includes/status_badge.html",
}


@pytest.mark.parametrize(("marker", "owner"), SHARED.items())
def test_shared_markup_lives_in_one_include(marker, owner):
    holders = sorted(
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if "allauth" not in path.parts and marker in path.read_text(encoding="utf-8")
    )
    assert holders == [owner]


def html(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "anchor", "confirm"), [("poll", "vote", "to vote"), ("consultation", "comments", "to comment")]
)
def test_prompt_for_anonymous_and_unverified_visitors(client, tree, kind, anchor, confirm):
    page = tree[kind]["en"]
    prompt = html(client.get(page.url)).select_one(".participation-prompt")
    assert prompt.select_one(f"a[href='/en/accounts/login/?next={page.url}%23{anchor}']")
    assert prompt.select_one("a[href^='/en/accounts/signup/?next=']")

    client.force_login(UserFactory(verified=False))
    prompt = html(client.get(page.url)).select_one(".participation-prompt")
    assert f"Confirm your email address {confirm}" in prompt.get_text()
    assert prompt.select_one("a[href='/en/accounts/email/']")

    client.force_login(UserFactory())
    assert html(client.get(page.url)).select_one(".participation-prompt") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("traits", "status", "label"),
    [
        ({}, "open", "Votazione aperta"),
        ({"closed": True}, "closed", "Votazione chiusa"),
        ({"upcoming": True}, "upcoming", "Votazione non ancora aperta"),
    ],
)
def test_poll_status_badge(client, tree, traits, status, label):
    poll = PollPageFactory(parent=tree["consultation"]["it"], slug=f"stato-{status}", **traits)
    badge = html(client.get(poll.url)).select_one(".status-badge")
    assert f"poll-status--{status}" in badge["class"]
    assert badge.select_one(".visually-hidden").get_text().strip() == "Stato:"
    assert label in badge.get_text()


@pytest.mark.django_db
def test_comment_pagination_uses_the_shared_include(client, tree, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 1
    for _number in range(2):
        CommentFactory(page=tree["consultation"]["it"])
    nav = html(client.get(tree["consultation"]["en"].url)).select_one("#comments nav.pagination-wrapper")
    assert nav["aria-label"] == "Pages of the discussion"
    assert nav.select_one("a[href='?comments=2#comments']").get_text() == "Older comments"
    assert "Page 1 of 2" in nav.get_text()
