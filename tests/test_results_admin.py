"""The staff's Results view in the Wagtail admin (participation/results_admin.py): headline figures that are the
database's numbers, a server-rendered SVG chart with its table alternative, table previews, permission-checked
downloads in every format, each written to the audit log; only for the Results group."""

import csv
import io
import json
import os
import zipfile

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation
from openpyxl import load_workbook
from wagtail.models import PageLogEntry
from wagtail.users.models import UserProfile

from participation.models import (
    Ballot,
    Idea,
    IdeaSupport,
    ParticipationComment,
    PollVote,
    PollVoteChoice,
    Report,
)
from tests.factories import EditorFactory, ModeratorFactory, ResultsFactory, UserFactory
from tests.test_exports import site  # noqa: F401 (the fixture: a poll, a budget, an idea map, a reporting page)

pytestmark = pytest.mark.django_db

PAGES = ("poll", "ranked", "budget", "ideas", "reporting", "consultation")


def page_of(site, kind):  # noqa: F811
    found = site[kind]
    return found["it"] if isinstance(found, dict) else found


def in_english(user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    return user


@pytest.fixture
def staff(client):
    user = in_english(ResultsFactory())
    client.force_login(user)
    return user


def view_url(page):
    return reverse("participation_results", args=[page.pk])


def download_url(page, fmt, query=""):
    return reverse("participation_results_download", args=[page.pk, fmt]) + query


def soup_of(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def figures_of(soup):
    return {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True)
        for dt in soup.select("#results-figures dt")
    }


def denied(response):
    return response.status_code == 403 or (
        response.status_code == 302
        and (response["Location"] == reverse("wagtailadmin_home") or response["Location"].startswith("/admin/login/"))
    )


def body(response):
    # Read to the end, the test client closes the response: a FileResponse closes (so deletes) its temporary file.
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- the view ------------------------------------------------------------------------------------------------


def expected_figures(site, kind):  # noqa: F811
    """The headline figures, counted straight from the database."""
    page = page_of(site, kind)
    if kind in ("poll", "ranked"):
        group = page.group_key
        return {
            "Voters": PollVote.objects.filter(group=group).count(),
            "Comments": ParticipationComment.objects.filter(group=group).count(),
        }
    if kind == "budget":
        cast = Ballot.objects.filter(group=page.group_key, checked_out_at__isnull=False)
        return {
            "Ballots": cast.count(),
            "Online ballots": cast.filter(channel=Ballot.ONLINE).count(),
            "Paper ballots": cast.filter(channel=Ballot.PAPER).count(),
            "Projects funded": 2,  # A1 (€40.50) and B2 (€30.00) both fit in €100
            "Amount funded (€)": "70.50",
            "Comments": 0,
        }
    if kind == "ideas":
        ideas = Idea.objects.filter(group=page.group_key)
        keys = list(ideas.values_list("key", flat=True))
        return {
            "Ideas": ideas.count(),
            "Supports": IdeaSupport.objects.filter(idea__in=ideas).count(),
            "Comments": ParticipationComment.objects.filter(group__in=[page.translation_key, *keys]).count(),
        }
    if kind == "reporting":
        reports = Report.objects.filter(group=page.group_key, reference__isnull=False)
        return {
            "Reports": reports.count(),
            "Open reports": reports.filter(status__in=["new", "acknowledged", "in_progress"]).count(),
            "Resolved reports": reports.filter(status="resolved").count(),
            "Median days to the first answer": "—",  # nobody has answered yet
            "Comments": 0,
        }
    return None


@pytest.mark.parametrize("kind", PAGES)
def test_the_results_view_of_each_page_type(client, staff, site, kind):  # noqa: F811
    page = page_of(site, kind)
    soup = soup_of(client.get(view_url(page)))
    assert page.title in soup.get_text()
    figures = figures_of(soup)
    expected = expected_figures(site, kind)
    if expected is not None:
        assert figures == {label: str(number) for label, number in expected.items()}
    else:  # the process lists its pages' figures under their titles
        poll = site["poll"]["it"]
        assert figures[f"{poll.title}: Voters"] == str(PollVote.objects.filter(group=poll.group_key).count())
        assert figures[f"{site['budget']['it'].title}: Ballots"] == "4"
        assert figures[f"{site['ideas'].title}: Ideas"] == "2"
        assert figures["Comments on the process page"] == "0"
    # Every table, previewed with a caption and column headers.
    from participation.exports import exporter_for

    for table in exporter_for(page).tables():
        shown = soup.select_one(f"#results-table-{table.name}")
        assert shown is not None, table.name
        assert shown.caption and table.name in shown.caption.get_text()
        assert [th.get_text() for th in shown.select("thead th[scope=col]")] == [c.name for c in table.columns]
    # The downloads offered: GeoJSON only where there is a map.
    links = [a["href"] for a in soup.select("#results-downloads a")]
    assert download_url(page, "xlsx") in links and download_url(page, "json") in links
    assert (download_url(page, "geojson") in links) == (kind in ("ideas", "reporting", "consultation"))


def test_the_chart_is_svg_with_a_table_alternative_holding_the_same_numbers(client, staff, site):  # noqa: F811
    poll = site["poll"]["it"]
    soup = soup_of(client.get(view_url(poll)))
    svg = soup.select_one("svg#results-chart")
    assert svg["role"] == "img"
    assert svg.find("title") is not None and svg.find("title").get_text(strip=True)
    table = soup.select_one(f"#{svg['aria-describedby']}")
    assert table is not None and table.name == "table" and table.caption
    assert [th.get_text() for th in table.select("thead th[scope=col]")] == ["Day", "Votes", "Comments", "Total"]
    rows = table.select("tbody tr")
    assert len(rows) == len(svg.select("rect.results-chart__bar"))
    votes = PollVote.objects.filter(group=poll.group_key).count()
    comments = ParticipationComment.objects.filter(group=poll.group_key).count()
    assert [[cell.get_text() for cell in row.select("td")] for row in rows] == [
        [str(votes), str(comments), str(votes + comments)]
    ]  # everything happened today
    with translation.override("en"):
        assert rows[0].th.get_text() == formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
    # No inline styles, no scripts: the admin's Content-Security-Policy allows neither.
    assert not svg.select("[style]") and not svg.has_attr("style") and not svg.select("script, style")


def test_a_page_nobody_took_part_in_says_so(client, staff, tree):
    from tests.factories import PollPageFactory

    empty = PollPageFactory(parent=tree["consultation"]["it"], slug="vuoto")
    soup = soup_of(client.get(view_url(empty)))
    assert soup.select_one("#results-no-activity") and not soup.select("svg#results-chart")
    assert figures_of(soup) == {"Voters": "0", "Comments": "0"}


def test_the_view_of_a_page_without_results_is_not_found(client, staff, tree):
    assert client.get(view_url(tree["index"]["it"]), follow=True).status_code == 404
    assert client.get(download_url(tree["index"]["it"], "csv"), follow=True).status_code == 404


# --- downloads --------------------------------------------------------------------------------------------------


def check_headers(response, page, extension):
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"{page.slug}-" in disposition and disposition.endswith(f'.{extension}"')
    assert timezone.localdate().isoformat() in disposition
    cache = response["Cache-Control"]
    assert "private" in cache and "no-store" in cache


def test_every_format_downloads_and_each_download_is_in_the_audit_log(client, staff, site, monkeypatch):  # noqa: F811
    from participation import results_admin

    made = []
    real = results_admin.NamedTemporaryFile

    def recorded(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(results_admin, "NamedTemporaryFile", recorded)
    poll, budget = site["poll"]["it"], site["budget"]["it"]
    downloads = []

    # Several tables as CSV: a ZIP of CSV files, each with a BOM.
    response = client.get(download_url(poll, "csv"))
    check_headers(response, poll, "zip")
    temporary = made[-1].name
    with zipfile.ZipFile(io.BytesIO(body(response))) as archive:
        assert archive.namelist() == ["tally.csv", "votes.csv", "comments.csv"]
        assert archive.read("votes.csv").startswith(b"\xef\xbb\xbf")
    assert not os.path.exists(temporary)  # the temporary file is gone with the response
    downloads.append((poll, "csv", ["tally", "votes", "comments"]))

    # One table as CSV streams, BOM first; semicolons write decimal commas.
    response = client.get(download_url(budget, "csv", "?table=projects&separator=semicolon"))
    check_headers(response, budget, "csv")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["position", "code", "title", "cost"] and {r[1]: r[3] for r in rows[1:]}["A1"] == "40,50"
    downloads.append((budget, "csv", ["projects"]))

    response = client.get(download_url(budget, "xlsx"))
    check_headers(response, budget, "xlsx")
    book = load_workbook(io.BytesIO(body(response)))
    assert book.sheetnames == ["projects", "ballots", "comments"]
    assert book["ballots"].max_row == 1 + Ballot.objects.filter(checked_out_at__isnull=False).count()
    downloads.append((budget, "xlsx", ["projects", "ballots", "comments"]))

    response = client.get(download_url(poll, "json"))
    check_headers(response, poll, "json")
    data = json.loads(body(response))
    assert len(data["votes"]) == PollVote.objects.filter(group=poll.group_key).count()
    downloads.append((poll, "json", ["tally", "votes", "comments"]))

    for page in (site["ideas"], site["reporting"]):
        response = client.get(download_url(page, "geojson"))
        check_headers(response, page, "geojson")
        collection = json.loads(body(response))
        assert collection["type"] == "FeatureCollection" and collection["features"]
        downloads.append((page, "geojson", []))

    assert client.get(download_url(poll, "geojson"), follow=True).status_code == 404  # a poll has no map
    assert client.get(download_url(poll, "csv", "?table=nothing"), follow=True).status_code == 404
    assert client.get(download_url(poll, "pdf"), follow=True).status_code == 404

    entries = list(PageLogEntry.objects.filter(action="participation.export").order_by("pk"))
    assert [(entry.page_id, entry.data["format"], entry.data["tables"]) for entry in entries] == [
        (page.pk, fmt, tables) for page, fmt, tables in downloads
    ]
    assert all(entry.user == staff for entry in entries)


@pytest.mark.parametrize("role", ["Editors", "Moderators", None])
def test_other_roles_and_citizens_never_see_results_or_download(client, site, role):  # noqa: F811
    user = {"Editors": EditorFactory, "Moderators": ModeratorFactory, None: UserFactory}[role]()
    client.force_login(user)
    poll = site["poll"]["it"]
    assert denied(client.get(reverse("participation_results_index"))), role
    assert denied(client.get(view_url(poll))), role
    for fmt in ("csv", "xlsx", "json"):
        assert denied(client.get(download_url(poll, fmt))), (role, fmt)
    assert denied(client.get(download_url(poll, "csv", "?table=votes"))), role
    assert denied(client.get(download_url(site["ideas"], "geojson"))), role
    assert not PageLogEntry.objects.filter(action="participation.export").exists()


# --- how staff get there ----------------------------------------------------------------------------------------


def test_the_results_menu_is_for_the_results_group_and_lists_processes_and_pages(client, site):  # noqa: F811
    index = reverse("participation_results_index")
    for user, shown in ((EditorFactory(), False), (ModeratorFactory(), False), (ResultsFactory(), True)):
        client.force_login(in_english(user))
        home = client.get(reverse("wagtailadmin_home"))
        assert home.status_code == 200
        assert (index in home.content.decode()) is shown, user
    soup = soup_of(client.get(index))
    process = soup.select_one("#results-processes")
    links = [a["href"] for a in process.select("a")]
    # In the admin's language where a translation exists (this member reads English), else in Italian.
    assert links[0] == view_url(site["consultation"]["en"])
    for page in (site["poll"]["en"], site["ranked"], site["budget"]["en"], site["ideas"]):
        assert view_url(page) in links
    assert [a["href"] for a in soup.select("#results-others a")] == [view_url(site["reporting"])]


def test_the_page_header_and_the_listing_offer_results_to_those_allowed(client, site, admin_user):  # noqa: F811
    poll = site["poll"]["it"]
    client.force_login(admin_user)  # Results members cannot open the page editor; superusers hold every permission
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[poll.pk]))
    assert edit.status_code == 200 and view_url(poll) in edit.content.decode()
    listing = client.get(reverse("wagtailadmin_explore", args=[site["consultation"]["it"].pk]))
    assert listing.status_code == 200 and view_url(poll) in listing.content.decode()
    assert view_url(site["budget"]["it"]) in listing.content.decode()
    client.force_login(EditorFactory())
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[poll.pk]))
    assert edit.status_code == 200 and view_url(poll) not in edit.content.decode()


# --- queries -----------------------------------------------------------------------------------------------------


def add_votes(poll, count, start):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    User.objects.bulk_create(
        [User(username=f"folla{n}", email=f"folla{n}@example.org", password="!") for n in range(start, start + count)]
    )
    options = list(poll.options.all())
    users = User.objects.filter(username__in=[f"folla{n}" for n in range(start, start + count)])
    PollVote.objects.bulk_create([PollVote(group=poll.ensure_group(), user=user, language="it") for user in users])
    PollVoteChoice.objects.bulk_create(
        [
            PollVoteChoice(vote=vote, option_key=options[vote.pk % len(options)].translation_key)
            for vote in PollVote.objects.filter(group=poll.group_key, choices__isnull=True)
        ]
    )


@pytest.mark.parametrize(("kind", "bound"), [("poll", 50), ("consultation", 140)])
def test_the_view_costs_the_same_queries_with_few_or_many_rows(
    client,
    staff,
    site,  # noqa: F811
    kind,
    bound,
    django_assert_max_num_queries,
):
    poll = site["poll"]["it"]
    page = page_of(site, kind)
    url = view_url(page)

    def measure():
        client.get(url)  # warm the caches (sessions, site, tallies)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response

    few, _response = measure()
    add_votes(poll, 130, 0)
    with django_assert_max_num_queries(bound):  # a process: its five pages' ~20 tables
        many, response = measure()
    assert many == few, (few, many)
    votes = PollVote.objects.filter(group=poll.group_key).count()
    assert votes == 134
    name = "votes" if kind == "poll" else f"{poll.slug}_votes"
    soup = soup_of(response)
    assert len(soup.select(f"#results-table-{name} tbody tr")) == 100
    assert f"… and {votes - 100} more rows" in soup.get_text()
