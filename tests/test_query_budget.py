"""Query budgets: every public page type renders in at most 15 SQL queries, for an anonymous visitor
(uncached: the page cache switched off) and for a logged-in citizen, and the count does not grow with
the number of comments, replies, reactions or votes. Time is measured by `make bench`, never here."""

from decimal import Decimal

import pytest
import wagtail_factories
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from participation.budgets import change_basket, checkout
from participation.comments import react
from participation.models import Ballot, BallotProject, CommentReaction, PollPage, ReportPhoto
from participation.polls import cast_vote
from participation.reports import change_status, set_following
from tests.factories import (
    CommentFactory,
    PollPageFactory,
    ReportFactory,
    ReportingPageFactory,
    StandardPageFactory,
    UserFactory,
    build_budget,
    district,
    project_category,
    report_category,
    translate,
)

BUDGET = 15

PAGES = {
    "home": lambda tree: tree["home"]["it"].url,
    "index": lambda tree: tree["index"]["it"].url,
    "consultation": lambda tree: tree["consultation"]["it"].url,
    "poll": lambda tree: tree["poll"]["en"].url,
    "ranked poll": lambda tree: tree["ranked"]["en"].url,
    "budget": lambda tree: tree["budget"]["en"].url,
    "budget results": lambda tree: tree["closed budget"]["it"].url,
    "budget project": lambda tree: tree["budget"]["projects"]["en"][0].url,
    "reports": lambda tree: tree["reporting"]["en"].url,
    "report": lambda tree: f"{tree['reporting']['it'].url}{tree['report'].pk}/",
    "reports filtered": lambda tree: tree["reporting"]["it"].url + "?status=open&district=1",
    "standard": lambda tree: tree["standard"].url,
    "search": lambda tree: "/it/search/?q=parco",
}


@pytest.fixture
def pages(tree):
    tree = dict(tree)
    tree["standard"] = StandardPageFactory(parent=tree["home"]["it"], title="Privacy", slug="privacy")
    PollPage.objects.filter(translation_key=tree["poll"]["it"].translation_key).update(results_visibility="always")
    ranked = PollPageFactory(
        parent=tree["consultation"]["it"], title="Ordina", slug="ordina", ranked=True, results_visibility="always"
    )
    tree["ranked"] = {"it": ranked, "en": translate(ranked, title="Rank them", slug="rank-them")}
    theatre, music = project_category("Teatro", "Theatre"), project_category("Musica", "Music")
    projects = [
        {"cost": Decimal("20000"), "category": category, "district": district(number)}
        for category in (theatre, music)
        for number in (5, 6, 7)
    ]
    tree["budget"] = build_budget(tree["consultation"], projects, max_per_group=1)
    tree["closed budget"] = build_budget(tree["consultation"], projects, closed=True, citizen_weight=60)
    report_category("Buche", "Potholes", "potholes", questions=[("Pericoloso?", "yes_no", (), False)])
    reporting = ReportingPageFactory(parent=tree["consultation"]["it"])
    tree["reporting"] = {"it": reporting, "en": translate(reporting, title="Reports", slug="reports")}
    tree["report"] = ReportFactory(page=reporting)
    ReportPhoto.objects.create(report=tree["report"], image=wagtail_factories.ImageFactory(), sort_order=0)
    return tree


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}


def count(client, url):
    client.get(url)  # warm: the site chrome, the route and Wagtail's per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"][:160] for query in queries.captured_queries]


def participate(tree, how_many):
    """``how_many`` more citizens, each commenting on the process and the poll, replying, agreeing and voting."""
    poll = PollPage.objects.get(pk=tree["poll"]["it"].pk)
    options = list(poll.options.all())
    for n in range(how_many):
        author, replier = UserFactory(), UserFactory()
        comment = CommentFactory(page=tree["consultation"]["it"], user=author, text=f"Idea {n}")
        CommentFactory(page=tree["poll"]["it"], user=author, text=f"Sul sondaggio {n}")
        CommentFactory(page=tree["consultation"]["en"], user=replier, parent=comment, text="Reply")
        react(comment=comment, user=replier, reaction=CommentReaction.LIKE)
        cast_vote(poll=poll, user=author, option_ids=[options[n % len(options)].pk])
        ranked = PollPage.objects.get(pk=tree["ranked"]["it"].pk)
        order = list(ranked.options.all())
        order = order[n % len(order) :] + order[: n % len(order)]
        cast_vote(poll=ranked, user=author, ranking={option.pk: rank for rank, option in enumerate(order, 1)})
        budget = tree["budget"]
        chosen = budget["projects"]["it"][n % 3 : n % 3 + 3]
        for project in chosen:
            change_basket(budget=budget["it"], user=author, project_id=project.pk, add=True)
        checkout(budget=budget["it"], user=author)
        # Voting on the closed budget is over: its ballots as they were stored.
        closed = tree["closed budget"]
        ballot = Ballot.objects.create(
            group=closed["it"].ensure_group(),
            user=author,
            language="it",
            checked_out_at=timezone.now(),
            receipt=f"R{n}-{author.pk}",
        )
        BallotProject.objects.bulk_create(
            BallotProject(ballot=ballot, project_key=project.translation_key)
            for project in closed["projects"]["it"][n % 4 :]
        )
        # Reports, "me too"s and the City's answers.
        report = ReportFactory(page=tree["reporting"]["it"], user=author)
        set_following(report=tree["report"], user=replier, follow=True)
        change_status(report=report, status="acknowledged", message=f"Presa in carico {n}.")
        change_status(report=tree["report"], status="in_progress", message=f"Intervento {n}.")


@pytest.mark.parametrize("kind", list(PAGES))
def test_every_page_type_keeps_to_the_budget_however_much_participation(pages, kind, citizen):
    visitor, signed_in = Client(), Client()
    signed_in.force_login(citizen)
    url = PAGES[kind](pages)
    # The citizen has a basket on the open budget: its progress shows on the page.
    change_basket(
        budget=pages["budget"]["it"], user=citizen, project_id=pages["budget"]["projects"]["it"][0].pk, add=True
    )
    participate(pages, 1)
    few = {"anonymous": count(visitor, url), "citizen": count(signed_in, url)}
    participate(pages, 6)
    many = {"anonymous": count(visitor, url), "citizen": count(signed_in, url)}
    for who, queries in many.items():
        assert len(queries) <= BUDGET, f"{kind}, {who}: {len(queries)} queries\n" + "\n".join(queries)
        assert len(queries) == len(few[who]), f"{kind}, {who}: {len(few[who])} queries, then {len(queries)}"
