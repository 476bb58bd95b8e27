"""Each page type's own tallies in the staff's Results view (Exporter.tallies, registered per page type): the
numbers the database holds and the public pages show, a process's totals the sum of its pages', resolution
times computed right, both admin languages, and a number of queries that does not grow with the rows."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.functional import Promise

from participation.budgets import budget_results
from participation.comments import post_comment
from participation.exports import Column, exporter_for
from participation.ideas import IdeaThread, merge
from participation.models import (
    Ballot,
    BallotProject,
    Idea,
    IdeaCategory,
    IdeaSupport,
    ParticipationComment,
    PollPage,
    PollVote,
    PollVoteChoice,
    Report,
    ReportStatus,
)
from participation.polls import poll_context
from participation.reports import change_status
from tests.factories import IdeaFactory, ReportFactory, ResultsFactory, report_category
from tests.test_exports import site  # noqa: F401 (the fixture: a poll, a budget, an idea map, a reporting page)
from tests.test_results_admin import PAGES, in_english, page_of, soup_of, view_url

pytestmark = pytest.mark.django_db


def text(value):
    return str(value) if isinstance(value, Promise) else value


def tallies_of(page, language="en"):
    """{tally name: Tally} straight from the exporter, its lazy labels read in ``language``."""
    with translation.override(language):
        return {
            tally.name: replace(
                tally,
                caption=str(tally.caption),
                columns=[Column(str(column.name), column.type) for column in tally.columns],
                rows=[tuple(map(text, row)) for row in tally.rows],
                total=tuple(map(text, tally.total)) if tally.total else None,
            )
            for tally in exporter_for(page).tallies()
        }


def public_context(poll):
    """What the public poll page's template receives, its results shown (in memory only: the fixture's polls
    are open and keep their results for after the vote)."""
    poll.rules.results_visibility = PollPage.RESULTS_ALWAYS
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with translation.override("it"):
        context = poll_context(poll, request)
    assert context["show_results"]
    return context


# --- polls and budgets: the public results' numbers --------------------------------------------------------


def test_the_poll_tally_is_the_public_results_and_the_databases_counts(site):  # noqa: F811
    poll = site["poll"]["it"]
    tally = tallies_of(poll)["options"]
    public = public_context(poll)
    assert tally.rows == [(row["option"].label, row["count"], float(row["percent"])) for row in public["results"]]
    for label, votes, _percent in tally.rows:
        key = next(option.translation_key for option in poll.options.all() if option.label == label)
        assert votes == PollVoteChoice.objects.filter(vote__group=poll.group_key, option_key=key).count()
    voters = PollVote.objects.filter(group=poll.group_key).count()
    assert tally.total == ("Voters", voters, None) and public["voters"] == voters == 4
    assert [row[1] for row in tally.rows] == [2, 1, 1] and [row[2] for row in tally.rows] == [50.0, 25.0, 25.0]


def test_the_ranked_poll_tally_is_the_ranking_the_page_shows(site):  # noqa: F811
    ranked = site["ranked"]
    tally = tallies_of(ranked)["ranking"]
    public = public_context(ranked)
    shown = [(entry["position"], option.label) for entry in public["ranking"] for option in entry["options"]]
    assert [(position, label) for position, label, *_rest in tally.rows] == shown
    winners = {option.label for option in public["winners"]}
    assert {label for _p, label, _f, _pc, winner in tally.rows if winner} == winners
    first = {row["option"].label: row["count"] for row in public["results"]}
    assert {label: count for _p, label, count, _pc, _w in tally.rows} == first
    assert tally.total[2] == public["voters"] == 3
    assert tally.columns[tally.header].type is str  # each row is named by its option


def test_the_budget_tally_is_the_public_ranking_and_funded_set(site):  # noqa: F811
    budget = site["budget"]["it"]
    tally = tallies_of(budget)["ranking"]
    with translation.override("it"):
        results = budget_results(budget)
    assert tally.rows == [
        (row.position, row.page.code, row.page.title, row.page.cost, row.votes, row.funded) for row in results["rows"]
    ]
    cast = BallotProject.objects.filter(ballot__group=budget.group_key, ballot__checked_out_at__isnull=False)
    assert {code: votes for _p, code, _t, _c, votes, _f in tally.rows} == {
        "A1": cast.filter(project_key=site["budget"]["projects"]["it"][0].translation_key).count(),
        "B2": cast.filter(project_key=site["budget"]["projects"]["it"][1].translation_key).count(),
    }
    assert [code for _p, code, _t, _c, _v, funded in tally.rows if funded] == ["B2", "A1"]  # €30 + €40.50 in €100
    assert tally.total[3] == Decimal("70.50") and tally.total[5] == 2


# --- idea maps -------------------------------------------------------------------------------------------------


@pytest.fixture
def many_ideas(site):  # noqa: F811
    """Beside the fixture's published idea (3 supports) and hidden one: 11 published ideas in the second
    category, one awaiting approval, one merged into the first; visible and hidden comments on the ideas."""
    page = site["ideas"]
    second = page.categories.order_by("sort_order")[1].translation_key
    users = site["users"]
    shown = Idea.objects.get(group=page.group_key, title="Panchine ombreggiate")
    listed = [IdeaFactory(page=page, title=f"Idea {number}", category_key=second) for number in range(11)]
    for number, idea in enumerate(listed[:4]):
        for user in users[: number + 1]:
            IdeaSupport.objects.create(idea=idea, user=user)
        Idea.objects.filter(pk=idea.pk).update(support_count=number + 1)
    IdeaFactory(page=page, title="In attesa", is_approved=False, category_key=second)
    duplicate = IdeaFactory(page=page, title="Doppione", category_key=second)
    IdeaSupport.objects.create(idea=duplicate, user=users[0])
    Idea.objects.filter(pk=duplicate.pk).update(support_count=1)
    merge(duplicate, shown)  # its supporter joins the original's
    Idea.objects.filter(pk=listed[0].pk).update(status="feasible")
    post_comment(page=IdeaThread(page, shown), user=users[0], text="Ottima idea.", notify=False)
    post_comment(page=IdeaThread(page, listed[0]), user=users[1], text="D'accordo.", notify=False)
    hidden = post_comment(page=IdeaThread(page, listed[0]), user=users[2], text="Da nascondere.", notify=False)
    ParticipationComment.objects.filter(pk=hidden.pk).update(is_public=False)
    return page


def test_the_idea_tallies_count_the_published_ideas_as_the_public_map_does(many_ideas):
    """Hidden, unapproved and merged ideas are left out, as the public map leaves them out; the comments are
    the visible ones of each idea's own thread (the number the public list shows beside each idea)."""
    page = many_ideas
    tallies = tallies_of(page)
    published = Idea.objects.published().filter(group=page.group_key)
    assert published.count() == 12 and Idea.objects.filter(group=page.group_key).count() == 15

    categories = list(IdeaCategory.objects.filter(page=page).order_by("sort_order"))
    expected = []
    for category in categories:
        ideas = published.filter(category_key=category.translation_key)
        keys = list(ideas.values_list("key", flat=True))
        comments = ParticipationComment.objects.filter(group__in=keys, is_public=True, is_removed=False).count()
        supports = IdeaSupport.objects.filter(idea__in=ideas).count()
        expected.append((category.name, ideas.count(), supports, comments))
    by_category = tallies["by_category"]
    assert by_category.rows == expected
    assert expected[0] == ("Verde", 1, 4, 1) and expected[1] == ("Gioco", 11, 10, 1)
    assert by_category.total == ("Total", 12, 14, 2)

    by_status = dict(tallies["by_status"].rows)
    assert by_status["Submitted"] == published.filter(status="submitted").count() == 11
    assert by_status["Feasible"] == 1 and tallies["by_status"].total == ("Total", 12)

    top = tallies["most_supported"].rows
    assert len(top) == 10
    assert [row[0] for row in top[:5]] == ["Idea 3", "Panchine ombreggiate", "Idea 2", "Idea 1", "Idea 0"]
    assert top[1] == ("Panchine ombreggiate", "Verde", "Submitted", 4)  # as many as Idea 3, older
    assert top[4] == ("Idea 0", "Gioco", "Feasible", 1)
    assert not {"In attesa", "Doppione"} & {row[0] for row in top}


# --- reporting pages ---------------------------------------------------------------------------------------


@pytest.fixture
def timed_reports(site):  # noqa: F811
    """Hand-made reports with known durations, in two categories (the fixture's two new "Buche" reports too).

    Buche: resolved after 2, 4 and 9 days; resolved after 3 days then closed 10 days later (counted at 3:
    the resolution, not the closing); closed unresolved after 1 day; a duplicate (not a resolution);
    open for 40 days (stale) and for 10 days. Lampioni: nothing resolved, one report open for 31 days.
    A report without a reference (not public) resolved after 100 days is left out, as the public list
    leaves it out. Buche's times: 1, 2, 3, 4, 9 days: median 3, mean 3.8."""
    page = site["reporting"]
    potholes = Report.objects.filter(group=page.group_key).first().category_key
    lamps = report_category("Lampioni", "Street lights", order=1)
    now = timezone.now()

    def report(days_ago, category=None, **fields):
        made = ReportFactory(page=page, created_at=now - timedelta(days=days_ago), **fields)
        if category is not None:
            Report.objects.filter(pk=made.pk).update(category_key=category.translation_key)
        return made

    def changed(made, status, after_days, **extra):
        change_status(
            report=made,
            status=status,
            message="Aggiornamento.",
            now=made.created_at + timedelta(days=after_days),
            **extra,
        )

    for days in (2, 4, 9):
        changed(report(60), ReportStatus.RESOLVED, days)
    resolved_then_closed = report(60)
    changed(resolved_then_closed, ReportStatus.RESOLVED, 3)
    changed(resolved_then_closed, ReportStatus.CLOSED, 13)
    changed(report(60), ReportStatus.CLOSED, 1)
    changed(report(60), ReportStatus.DUPLICATE, 2, duplicate_of=resolved_then_closed)
    report(40)
    report(10)
    report(31, category=lamps)
    private = report(120)
    changed(private, ReportStatus.RESOLVED, 100)
    Report.objects.filter(pk=private.pk).update(reference=None)
    return {"page": page, "potholes": potholes, "lamps": lamps}


def test_reports_by_category_and_status(timed_reports):
    page = timed_reports["page"]
    tally = tallies_of(page)["by_category_and_status"]
    statuses = [value for value, _label in ReportStatus.choices]
    with translation.override("en"):
        assert [column.name for column in tally.columns][1:-1] == [str(label) for _value, label in ReportStatus.choices]
    public = Report.objects.public().filter(group=page.group_key)
    for name, key in (("Buche", timed_reports["potholes"]), ("Lampioni", timed_reports["lamps"].translation_key)):
        row = next(row for row in tally.rows if row[0] == name)
        assert list(row[1:-1]) == [public.filter(category_key=key, status=status).count() for status in statuses]
        assert row[-1] == public.filter(category_key=key).count()
    assert tally.total[-1] == public.count() == 11
    assert dict(zip(statuses, tally.total[1:-1], strict=True)) == {
        "new": 5,
        "acknowledged": 0,
        "in_progress": 0,
        "resolved": 3,
        "closed": 2,
        "duplicate": 1,
        "not_responsible": 0,
    }


def test_resolution_times_on_a_hand_made_example(timed_reports):
    tally = tallies_of(timed_reports["page"])["resolution_times"]
    rows = {row[0]: row[1:] for row in tally.rows}
    assert rows["Buche"] == (5, 3.0, 3.8, 1)  # 1, 2, 3, 4, 9 days; one report open for 40 days
    assert rows["Lampioni"] == (0, None, None, 1)  # nothing resolved; open for 31 days
    assert tally.total == ("All categories", 5, 3.0, 3.8, 2)


# --- a whole process --------------------------------------------------------------------------------------


def test_a_process_lists_each_pages_tallies_under_its_title_and_totals_them(site):  # noqa: F811
    consultation = site["consultation"]["it"]
    children = exporter_for(consultation).children()
    tallies = tallies_of(consultation)
    for child in children:
        for tally in tallies_of(child.page).values():
            shown = tallies[f"{child.page.slug}_{tally.name}"]
            assert shown.page == child.page.title and shown.rows == tally.rows

    totals = dict(tallies["totals"].rows)
    # The sum of the pages' headline figures, by kind.
    with translation.override("en"):
        figures = [{str(label): number for label, number in child.figures()} for child in children]
    polls = [site["poll"]["it"], site["ranked"]]
    assert (
        totals["Votes"]
        == sum(f.get("Voters", 0) for f in figures)
        == PollVote.objects.filter(group__in=[poll.group_key for poll in polls]).count()
    )
    assert totals["Ballots"] == sum(f.get("Ballots", 0) for f in figures) == 4
    assert totals["Ideas"] == sum(f.get("Ideas", 0) for f in figures) == 2
    assert totals["Supports"] == sum(f.get("Supports", 0) for f in figures) == 3
    own_comments = ParticipationComment.objects.filter(group=consultation.translation_key).count()
    assert totals["Comments"] == sum(f["Comments"] for f in figures) + own_comments == 5
    assert "Reports" not in totals  # the reporting page is not in this process

    # Citizens who took part, each once: the four who voted, cast ballots, proposed, supported and commented.
    users = set()
    for model, where in (
        (PollVote, {"group__in": [poll.group_key for poll in polls]}),
        (Ballot, {"group": site["budget"]["it"].group_key, "checked_out_at__isnull": False}),
        (Idea, {"group": site["ideas"].group_key}),
        (IdeaSupport, {"idea__group": site["ideas"].group_key}),
        (ParticipationComment, {}),
    ):
        users |= set(model.objects.filter(user__isnull=False, **where).values_list("user_id", flat=True))
    assert tallies["totals"].total == ("Citizens who took part (each counted once)", len(users)) and len(users) == 4


# --- the view: both languages, accessible tables ----------------------------------------------------------------


def tally_table(soup, name):
    table = soup.select_one(f"#results-tally-{name}")
    assert table is not None, name
    return table


def cell_texts(row):
    return [cell.get_text(strip=True) for cell in row.select("th, td")]


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_tallies_render_in_the_admins_language(client, site, language):  # noqa: F811
    user = ResultsFactory()
    if language == "en":
        in_english(user)
    client.force_login(user)
    soup = soup_of(client.get(view_url(site["consultation"]["it"])))
    section = soup.select_one("#results-tallies")
    assert section is not None
    assert [h3.get_text(strip=True) for h3 in section.select("h3")] == [
        child.page.title for child in exporter_for(site["consultation"]["it"]).children()
    ]
    ranked = tally_table(soup, f"{site['ranked'].slug}_ranking")
    heads = [th.get_text(strip=True) for th in ranked.select("thead th[scope=col]")]
    with translation.override(language):
        assert heads[1] == str(translation.gettext("Option"))
    first = ranked.select("tbody tr")[0]
    assert first.select_one("th[scope=row]").get_text(strip=True) == "Prato libero"
    assert cell_texts(first)[3] == ("66,7" if language == "it" else "66.7")
    assert cell_texts(first)[4] == ("Sì" if language == "it" else "Yes")
    budget = tally_table(soup, f"{site['budget']['it'].slug}_ranking")
    assert cell_texts(budget.select("tbody tr")[1])[3] == ("40,50" if language == "it" else "40.50")
    assert cell_texts(budget.select_one("tfoot tr"))[3] == ("70,50" if language == "it" else "70.50")
    assert "w-text-end" in budget.select("tbody tr")[1].select("td")[2]["class"]  # the cost, right-aligned
    if language == "en":
        assert budget.caption.get_text(strip=True) == "Projects ranked, and those funded"
        assert cell_texts(tally_table(soup, "totals").select_one("tfoot tr"))[0].startswith("Citizens who took part")
    for table in section.select("table"):
        assert table.caption and table.caption.get_text(strip=True)
        assert table.select("thead th[scope=col]")
        assert all(
            row.select("th[scope=row]") for row in table.select("tbody tr, tfoot tr") if len(row.select("td")) > 1
        )
    # No inline styles, no scripts: the admin's Content-Security-Policy allows neither.
    assert not section.select("[style], script, style")


@pytest.mark.parametrize("kind", ["ideas", "reporting"])
def test_each_map_page_shows_its_tallies(client, site, kind):  # noqa: F811
    client.force_login(in_english(ResultsFactory()))
    soup = soup_of(client.get(view_url(page_of(site, kind))))
    names = {
        "ideas": ["by_category", "by_status", "most_supported"],
        "reporting": ["by_category_and_status", "resolution_times"],
    }
    assert [table["id"] for table in soup.select("#results-tallies table")] == [
        f"results-tally-{name}" for name in names[kind]
    ]


# --- queries ---------------------------------------------------------------------------------------------------


def crowd(count, start):
    User = get_user_model()
    names = [f"folla{number}" for number in range(start, start + count)]
    User.objects.bulk_create([User(username=name, email=f"{name}@example.org", password="!") for name in names])
    return list(User.objects.filter(username__in=names))


def add_rows(site, count, start):  # noqa: F811
    """``count`` more of everything: votes on both polls, ballots, ideas with supports and comments, reports."""
    users = crowd(count, start)
    for poll in (site["poll"]["it"], site["ranked"]):
        options = list(poll.options.all())
        votes = PollVote.objects.bulk_create(
            [PollVote(group=poll.ensure_group(), user=user, language="it") for user in users]
        )
        PollVoteChoice.objects.bulk_create(
            [
                PollVoteChoice(
                    vote=vote,
                    option_key=options[number % len(options)].translation_key,
                    rank=1 if poll.rules.is_ranked else None,
                )
                for number, vote in enumerate(votes)
            ]
        )
    budget = site["budget"]["it"]
    project = site["budget"]["projects"]["it"][0]
    ballots = Ballot.objects.bulk_create(
        [
            Ballot(
                group=budget.ensure_group(),
                user=user,
                checked_out_at=timezone.now(),
                receipt=f"R{user.pk}",
                language="it",
            )
            for user in users
        ]
    )
    BallotProject.objects.bulk_create(
        [BallotProject(ballot=ballot, project_key=project.translation_key) for ballot in ballots]
    )
    page = site["ideas"]
    category = page.categories.order_by("sort_order").first().translation_key
    ideas = Idea.objects.bulk_create(
        [
            Idea(
                group=page.ensure_group(),
                user=user,
                title=f"Idea {user.pk}",
                description="…",
                category_key=category,
                latitude=45.088,
                longitude=7.665,
                language="it",
            )
            for user in users
        ]
    )
    IdeaSupport.objects.bulk_create(
        [IdeaSupport(idea=idea, user=user) for idea, user in zip(ideas, users, strict=True)]
    )
    reporting = site["reporting"]
    for user in users[:20]:
        ReportFactory(page=reporting, user=user, created_at=timezone.now() - timedelta(days=45))


# One request to the view (sessions, user, permissions and the admin's chrome included), measured warm.
BOUNDS = {"poll": 20, "ranked": 20, "budget": 21, "ideas": 24, "reporting": 26, "consultation": 56}


@pytest.mark.parametrize("kind", PAGES)
def test_the_view_with_its_tallies_costs_the_same_queries_with_few_or_many_rows(
    client,
    site,  # noqa: F811
    kind,
    django_assert_max_num_queries,
):
    """The whole Results view, tallies included: a bound per page type, the same count with 130 more votes,
    ballots, ideas and supports and 20 more reports."""
    client.force_login(in_english(ResultsFactory()))
    url = view_url(page_of(site, kind))

    def measure():
        client.get(url)  # warm the caches (sessions, site, the polls' and budgets' counts)
        with django_assert_max_num_queries(BOUNDS[kind]) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response

    few, _response = measure()
    add_rows(site, 130, 0)
    many, response = measure()
    assert many == few, (few, many)
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select("#results-tallies table")
