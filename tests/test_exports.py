"""Results exports (participation.exports, ``manage.py export_results``): the rows the database holds, in
every format, with no personal data, stable pseudonyms, and memory that stays flat."""

import csv
import io
import json
import tracemalloc
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone, translation
from openpyxl import load_workbook

from participation.budgets import change_basket, checkout, voter_pseudonym
from participation.exports import exporter_for
from participation.models import (
    Ballot,
    BallotProject,
    Idea,
    IdeaSupport,
    ParticipationComment,
    PollPage,
    PollVote,
    PollVoteChoice,
    Report,
)
from participation.polls import cast_vote
from tests.factories import (
    CommentFactory,
    IdeaFactory,
    IdeaMapPageFactory,
    PollPageFactory,
    ReportFactory,
    ReportingPageFactory,
    UserFactory,
    build_budget,
    district,
    project_category,
    report_category,
    translate,
)

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"
NAMES = ("Zorbalinda", "Quattrocchi", "Ermenegildo", "Sbirulino")


def person(number):
    """A citizen whose every personal detail is distinctive, to be searched for in the exports."""
    first, last = NAMES[number % 2], NAMES[2 + number % 2]
    return UserFactory(
        username=f"utente_segreto_{number}",
        email=f"posta.privata{number}@segreto.example",
        first_name=first,
        last_name=last,
        display_name=f"{first} {last} {number}",
    )


def personal(users):
    words = {IP}
    for user in users:
        words |= {user.email, user.username, user.first_name, user.last_name, user.display_name}
    return words


@pytest.fixture
def site(tree):
    """The process with a single-choice poll, a ranked poll, a budget, an idea map; a reporting page at home;
    votes, ballots, ideas, reports and comments by distinctive citizens."""
    users = [person(number) for number in range(4)]
    consultation, poll = tree["consultation"], tree["poll"]
    options = list(poll["it"].options.all())
    for user, option in zip(users, [0, 0, 1, 2], strict=True):
        cast_vote(poll=poll["it"], user=user, option_ids=[options[option].pk], ip_address=IP)

    ranked = PollPageFactory(parent=consultation["it"], title="Priorità", slug="priorita", ranked=True)
    ranked_options = list(ranked.options.all())
    for user, order in zip(users[:3], [(0, 1), (1, 0, 2), (0,)], strict=True):
        cast_vote(poll=ranked, user=user, ranking={ranked_options[i].pk: str(rank) for rank, i in enumerate(order, 1)})

    theatre = project_category("Teatro", "Theatre")
    budget = build_budget(
        consultation,
        [
            {"cost": Decimal("40.50"), "category": theatre, "district": district(6), "code": "A1"},
            {"cost": Decimal("30.00"), "category": theatre, "district": district(7), "code": "B2"},
        ],
        total_budget=Decimal("100.00"),
        slug="axto",
    )
    projects = budget["projects"]["it"]
    for user, chosen in zip(users[:3], [[0], [0, 1], [1]], strict=True):
        for project in chosen:
            change_basket(budget=budget["it"], user=user, project_id=projects[project].pk, add=True)
        checkout(budget=budget["it"], user=user)
    paper = Ballot.objects.create(
        group=budget["it"].ensure_group(),
        channel=Ballot.PAPER,
        checked_out_at=timezone.now(),
        receipt="CARTA-1",
        language="it",
    )
    BallotProject.objects.create(ballot=paper, project_key=projects[1].translation_key)

    ideas_map = IdeaMapPageFactory(parent=consultation["it"], slug="idee")
    shown = IdeaFactory(page=ideas_map, user=users[0], title="Panchine ombreggiate", latitude=45.09, longitude=7.67)
    IdeaFactory(page=ideas_map, user=users[1], title=f"Idea di {users[1].display_name}", is_hidden=True)
    for user in users[1:]:
        IdeaSupport.objects.create(idea=shown, user=user)
    Idea.objects.filter(pk=shown.pk).update(support_count=3)

    report_category()
    reporting = ReportingPageFactory(parent=tree["home"]["it"], slug="segnala")
    for number, user in enumerate(users[:2]):
        ReportFactory(
            page=reporting,
            user=user,
            contact_name=user.display_name,
            contact_email=user.email,
            title=f"Buca segnalata da {user.first_name}",
            latitude=45.07 + number / 100,
            longitude=7.68,
        )

    for user in users:
        CommentFactory(page=poll["it"], user=user, text=f"Sono {user.display_name}")
    CommentFactory(page=ideas_map, user=users[0], text="Bella idea", language="it")
    ParticipationComment.objects.update(ip_address=IP, user_name="Zorbalinda", user_email=users[0].email)
    return {
        "users": users,
        "consultation": consultation,
        "poll": poll,
        "ranked": ranked,
        "budget": budget,
        "ideas": ideas_map,
        "reporting": reporting,
    }


def tables_of(page):
    """{table name: [row tuples]} straight from the exporter."""
    return {table.name: list(table.rows) for table in exporter_for(page).tables()}


def export_text(page, fmt, tmp_path, *extra):
    """Every piece of text an export holds (CSV and JSON as text, XLSX read back with openpyxl)."""
    output = tmp_path / f"out-{len(extra)}.{'zip' if fmt == 'csv' else fmt}"  # several tables: a ZIP of CSVs
    call_command("export_results", str(page.pk), "--format", fmt, "--output", str(output), *extra)
    if fmt == "xlsx":
        book = load_workbook(output, read_only=True)
        return "\n".join(
            "\t".join("" if value is None else str(value) for value in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if zipfile.is_zipfile(output):
        with zipfile.ZipFile(output) as archive:
            return "\n".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    return output.read_bytes().decode("utf-8-sig")


# --- what each page type exports -------------------------------------------------------------------


def test_a_poll_exports_its_tally_and_one_row_per_vote(site):
    tables = tables_of(site["poll"]["it"])
    assert [name for name in tables] == ["tally", "votes", "comments"]
    assert [(label, votes) for label, votes, _percent in tables["tally"]] == [
        ("Prato libero", 2),
        ("Orti condivisi", 1),
        ("Piazza coperta", 1),
    ]
    assert len(tables["votes"]) == PollVote.objects.filter(group=site["poll"]["it"].group_key).count() == 4
    assert sorted(row[3] for row in tables["votes"]) == ["Orti condivisi", "Piazza coperta", "Prato libero"] + [
        "Prato libero"
    ]
    assert {row[2] for row in tables["votes"]} == {"online"}
    assert len(tables["comments"]) == 4 and {row[6] for row in tables["comments"]} == {"it"}
    # The English translation: the same votes, its own labels.
    english = tables_of(site["poll"]["en"])
    assert [row[:2] for row in english["tally"]][0] == ("Open meadow", 2)
    assert [row[0] for row in english["votes"]] == [row[0] for row in tables["votes"]]


def test_a_ranked_poll_exports_the_schulze_positions_and_each_ranking_in_order(site):
    tables = tables_of(site["ranked"])
    header = [column.name for column in exporter_for(site["ranked"]).tables()[0].columns]
    assert header == ["option", "first_preferences", "percent", "position", "winner"]
    by_option = {row[0]: row for row in tables["tally"]}
    assert by_option["Prato libero"][1] == 2 and by_option["Prato libero"][3] == 1 and by_option["Prato libero"][4]
    assert sorted(row[3] for row in tables["votes"]) == sorted(
        ["Prato libero | Orti condivisi", "Orti condivisi | Prato libero | Piazza coperta", "Prato libero"]
    )


def test_a_budget_exports_its_projects_and_ballots_with_the_pabulib_pseudonyms(site):
    tables = tables_of(site["budget"]["it"])
    projects = {row[1]: row for row in tables["projects"]}
    assert projects["A1"][3] == Decimal("40.50") and projects["A1"][7] == 2 and projects["B2"][7] == 3
    assert projects["A1"][5] == 6 and projects["A1"][4] == "Teatro"
    assert projects["A1"][8] is True and projects["B2"][8] is True  # €70.50 fits in €100
    ballots = tables["ballots"]
    cast = Ballot.objects.filter(group=site["budget"]["it"].group_key, checked_out_at__isnull=False)
    assert len(ballots) == cast.count() == 4
    assert sorted(row[3] for row in ballots) == ["A1", "A1 | B2", "B2", "B2"]
    assert sorted(row[2] for row in ballots) == ["online", "online", "online", "paper"]
    assert {row[0] for row in ballots} == {voter_pseudonym(ballot) for ballot in cast}


def test_an_idea_map_exports_every_idea_but_only_published_titles_and_points(site, tmp_path):
    tables = tables_of(site["ideas"])
    assert len(tables["ideas"]) == Idea.objects.filter(group=site["ideas"].group_key).count() == 2
    shown, hidden = tables["ideas"]
    assert shown[1:6] == ("Panchine ombreggiate", "Verde", "submitted", 3, 0)
    assert (shown[6], shown[7], shown[9]) == (45.09, 7.67, True)
    assert hidden[1] == "" and hidden[9] is False
    assert len(tables["comments"]) == 1
    output = tmp_path / "ideas.geojson"
    call_command("export_results", site["ideas"].url, "--format", "geojson", "--output", str(output))
    collection = json.loads(output.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert [feature["geometry"]["coordinates"] for feature in collection["features"]] == [[7.67, 45.09]]
    assert collection["features"][0]["properties"]["supporters"] == 3


def test_a_reporting_page_exports_its_reports_without_their_text_or_reporter(site, tmp_path):
    tables = tables_of(site["reporting"])
    reports = tables["reports"]
    assert len(reports) == Report.objects.public().filter(group=site["reporting"].group_key).count() == 2
    first = Report.objects.order_by("created_at", "pk").first()
    assert reports[0][:5] == (first.reference, "Buche", "new", 1, 0)
    assert reports[0][8:] == (first.latitude, first.longitude)
    output = tmp_path / "reports.geojson"
    call_command("export_results", str(site["reporting"].pk), "--format", "geojson", "--output", str(output))
    features = json.loads(output.read_text(encoding="utf-8"))["features"]
    assert [feature["id"] for feature in features] == [row[0] for row in reports]
    assert features[0]["geometry"]["coordinates"] == [first.longitude, first.latitude]


def test_a_process_exports_the_union_of_its_pages_tables_named_by_their_slugs(site, tmp_path):
    names = [table.name for table in exporter_for(site["consultation"]["it"]).tables()]
    for expected in (
        "disposizione_tally",
        "disposizione_votes",
        "disposizione_comments",
        "priorita_tally",
        "axto_projects",
        "axto_ballots",
        "idee_ideas",
        "comments",
    ):
        assert expected in names
    output = tmp_path / "process.geojson"
    call_command("export_results", str(site["consultation"]["it"].pk), "-f", "geojson", "-o", str(output))
    features = json.loads(output.read_text(encoding="utf-8"))["features"]
    assert [feature["properties"]["page"] for feature in features] == ["idee"]


def test_geojson_of_a_page_without_a_map_is_refused(site, tmp_path):
    with pytest.raises(CommandError, match="no map features"):
        call_command("export_results", str(site["poll"]["it"].pk), "-f", "geojson", "-o", str(tmp_path / "x"))


# --- no personal data, in any format ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_no_export_holds_a_name_an_email_or_an_ip_address(site, tmp_path, fmt):
    secrets = personal(site["users"])
    for page in (site["consultation"]["it"], site["reporting"]):
        text = export_text(page, fmt, tmp_path)
        assert "Prato libero" in text or "Buche" in text  # the export is not empty
        found = {secret for secret in secrets if secret.lower() in text.lower()}
        assert found == set(), (fmt, found)
        assert "@" not in text


def test_no_geojson_holds_personal_data(site, tmp_path):
    secrets = personal(site["users"])
    for page in (site["consultation"]["it"], site["reporting"], site["ideas"]):
        text = export_text(page, "geojson", tmp_path)
        assert not {secret for secret in secrets if secret.lower() in text.lower()}


# --- formats -------------------------------------------------------------------------------------------


def test_several_csv_tables_need_a_zip_name(site, tmp_path):
    with pytest.raises(CommandError, match=r"\.zip"):
        call_command("export_results", str(site["poll"]["it"].pk), "--output", str(tmp_path / "poll.csv"))


def test_csv_starts_with_a_bom_and_semicolons_write_decimal_commas(site, tmp_path):
    single = tmp_path / "projects.csv"
    call_command(
        "export_results",
        str(site["budget"]["it"].pk),
        "--output",
        str(single),
        "--table",
        "projects",
        "--separator",
        ";",
    )
    raw = single.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["position", "code", "title", "cost"]
    assert {row[1]: row[3] for row in rows[1:]}["A1"] == "40,50"
    several = tmp_path / "budget.zip"
    call_command("export_results", str(site["budget"]["it"].pk), "--output", str(several))
    with zipfile.ZipFile(several) as archive:
        assert archive.namelist() == ["projects.csv", "ballots.csv", "comments.csv"]
        projects = archive.read("projects.csv")
        assert projects.startswith(b"\xef\xbb\xbf")
        assert "40.50" in projects.decode("utf-8-sig")


def test_xlsx_has_a_frozen_header_numbers_as_numbers_and_local_dates(site, tmp_path):
    output = tmp_path / "budget.xlsx"
    call_command("export_results", str(site["budget"]["it"].pk), "-f", "xlsx", "-o", str(output))
    book = load_workbook(output)
    assert book.sheetnames == ["projects", "ballots", "comments"]
    projects = book["projects"]
    assert projects.freeze_panes == "A2"
    assert [cell.value for cell in projects[1]][:4] == ["position", "code", "title", "cost"]
    assert projects["A1"].font.bold
    costs = {row[1].value: row[3].value for row in projects.iter_rows(min_row=2)}
    assert costs["A1"] == pytest.approx(40.5) and isinstance(costs["A1"], (int, float))
    assert isinstance(projects["H2"].value, int)
    ballots = book["ballots"]
    moment = ballots["B2"].value
    first = Ballot.objects.filter(checked_out_at__isnull=False).order_by("checked_out_at", "pk").first()
    assert moment.tzinfo is None
    assert moment == timezone.localtime(first.checked_out_at).replace(tzinfo=None, microsecond=moment.microsecond)
    assert ballots["B2"].is_date


def test_json_holds_every_table_as_a_list_of_rows(site, tmp_path):
    output = tmp_path / "poll.json"
    call_command("export_results", str(site["poll"]["it"].pk), "-f", "json", "-o", str(output))
    data = json.loads(output.read_text(encoding="utf-8"))
    assert list(data) == ["tally", "votes", "comments"]
    assert data["tally"][0] == {"option": "Prato libero", "votes": 2, "percent": 50.0}
    assert len(data["votes"]) == 4 and data["votes"][0]["time"].endswith(("+01:00", "+02:00"))


# --- pseudonyms ------------------------------------------------------------------------------------------


def test_the_pseudonym_is_stable_and_changes_with_another_secret_key(site):
    first = [row[0] for row in tables_of(site["poll"]["it"])["votes"]]
    again = [row[0] for row in tables_of(site["poll"]["it"])["votes"]]
    assert first == again and len(set(first)) == 4
    user_ids = {str(vote.user_id) for vote in PollVote.objects.all()}
    assert not set(first) & user_ids
    # The same citizen has the same pseudonym in the poll and in the budget (one key, one subject).
    ballots = {row[0] for row in tables_of(site["budget"]["it"])["ballots"]}
    assert len(set(first) & ballots) == 3
    with override_settings(SECRET_KEY="another-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"):
        other = [row[0] for row in tables_of(site["poll"]["it"])["votes"]]
    assert len(other) == 4 and not set(other) & set(first)


# --- the command -----------------------------------------------------------------------------------------


def test_the_command_finds_the_page_by_id_or_address_in_either_language(site, tmp_path):
    poll = site["poll"]
    outputs = []
    for value in (str(poll["it"].pk), poll["it"].url, poll["en"].url, "http://localhost" + poll["en"].url):
        output = tmp_path / f"{len(outputs)}.json"
        call_command("export_results", value, "-f", "json", "-o", str(output))
        outputs.append(json.loads(output.read_text(encoding="utf-8")))
    assert poll["it"].url.startswith("/it/") and poll["en"].url.startswith("/en/")
    assert all(len(data["votes"]) == 4 for data in outputs)
    assert outputs[0]["votes"] == outputs[1]["votes"]
    assert outputs[2]["tally"][0]["option"] == "Open meadow"
    with pytest.raises(CommandError, match="No page"):
        call_command("export_results", "/it/nowhere/", "-o", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="no results"):
        call_command("export_results", str(site["consultation"]["it"].get_parent().pk), "-o", str(tmp_path / "x"))


def test_an_export_by_a_named_user_is_written_to_the_audit_log(site, tmp_path):
    from wagtail.models import PageLogEntry

    from tests.factories import ResultsFactory

    staff = ResultsFactory(email="risultati@comune.torino.it")
    call_command(
        "export_results",
        str(site["poll"]["it"].pk),
        "-f",
        "xlsx",
        "-o",
        str(tmp_path / "a.xlsx"),
        "--user",
        staff.email,
    )
    entry = PageLogEntry.objects.get(action="participation.export")
    assert entry.user == staff and entry.page_id == site["poll"]["it"].pk
    assert entry.data["format"] == "xlsx"
    with translation.override("en"):
        assert "XLSX" in entry.message


# --- streaming --------------------------------------------------------------------------------------------


def test_a_big_export_streams_with_bounded_memory(tree, tmp_path, django_user_model):
    poll = tree["poll"]["it"]
    group = poll.ensure_group()
    options = list(poll.options.all())
    many = 5000
    django_user_model.objects.bulk_create(
        [django_user_model(username=f"massa{n}", email=f"massa{n}@example.org", password="!") for n in range(many)],
        batch_size=1000,
    )
    users = django_user_model.objects.filter(username__startswith="massa").values_list("pk", flat=True)
    PollVote.objects.bulk_create(
        [PollVote(group=group, user_id=pk, language="it") for pk in users.iterator()], batch_size=1000
    )
    PollVoteChoice.objects.bulk_create(
        [
            PollVoteChoice(vote_id=pk, option_key=options[pk % 3].translation_key)
            for pk in PollVote.objects.filter(group=group).values_list("pk", flat=True).iterator()
        ],
        batch_size=1000,
    )
    output = tmp_path / "votes.csv"
    page = PollPage.objects.get(pk=poll.pk)
    tracemalloc.start()
    try:
        call_command("export_results", str(page.pk), "-o", str(output), "--table", "votes")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    lines = output.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == many + 1
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_translation_of_the_process_exports_the_same_rows(site):
    english = translate(site["ideas"], "en", title="Ideas", slug="ideas")
    italian = tables_of(site["ideas"])
    assert [row[0] for row in tables_of(english)["ideas"]] == [row[0] for row in italian["ideas"]]
    assert timezone.now() - timedelta(minutes=5) < italian["ideas"][0][8]


def test_the_pabulib_command_still_finds_its_budget_and_shares_the_pseudonyms(site, tmp_path):
    from participation.budgeting import read_pabulib

    output = tmp_path / "axto.pb"
    call_command("export_pabulib", site["budget"]["en"].url, output=str(output))
    voters = {str(vote.voter_id) for vote in read_pabulib(output.read_text(encoding="utf-8")).votes}
    assert voters == {row[0] for row in tables_of(site["budget"]["it"])["ballots"]}
    with pytest.raises(CommandError, match="No budget page"):
        call_command("export_pabulib", str(site["poll"]["it"].pk), output=str(output))


def test_a_streamed_csv_table_is_the_file_byte_for_byte(site, tmp_path):
    from participation.exports import exporter_for, stream_csv_table

    page = site["poll"]["it"]
    call_command(
        "export_results", str(page.pk), "--table", "votes", "--separator", ";", "--output", str(tmp_path / "v.csv")
    )
    [votes] = [table for table in exporter_for(page).tables() if table.name == "votes"]
    streamed = b"".join(stream_csv_table(votes, ";", chunk_rows=2))
    assert streamed.startswith("\ufeff".encode()) and streamed == (tmp_path / "v.csv").read_bytes()
