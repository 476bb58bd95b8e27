"""Results exports prepared in the background (participation/export_tasks.py, the admin's "Prepare the file"):
the file is the direct export's, with the immediate backend and with the database backend and its worker;
progress reaches the rows expected; a failed export serves nothing; only the Results group asks, follows and
downloads, by POST with the CSRF token; big pages switch to the form, small ones stay direct; every request
and download is in the audit log; old files go."""

import io
import json
import os
import signal
import zipfile
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import TaskResultStatus
from openpyxl import load_workbook
from wagtail.models import PageLogEntry

from civic_site.settings.base import tasks_setting
from participation import export_tasks, exports
from participation.export_tasks import prune, root, run_export
from participation.exports import expected_rows, export, extension
from participation.models import ResultsExport
from tests.factories import EditorFactory, ModeratorFactory, ResultsFactory
from tests.test_exports import site  # noqa: F401 (the fixture: a poll, a budget, an idea map, a reporting page)
from tests.test_results_admin import add_votes, body, check_headers, denied, in_english

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def staff(client):
    user = in_english(ResultsFactory())
    client.force_login(user)
    return user


@pytest.fixture(autouse=True)
def empty_exports_root():
    """Each test starts and ends with an empty private directory."""

    def empty():
        for path in root().iterdir():
            path.unlink()

    empty()
    yield
    empty()


def prepare_url(page, fmt):
    return reverse("participation_results_prepare", args=[page.pk, fmt])


def prepare(client, page, fmt, separator="comma"):
    """Ask for the file as the form does: the response leads to the export's status page."""
    response = client.post(prepare_url(page, fmt), {"separator": separator})
    record = ResultsExport.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == reverse("participation_results_export", args=[record.pk])
    return record


def download(client, record):
    # follow: Django's LocaleMiddleware answers a 404 with a redirect to the language-prefixed address first
    return client.get(reverse("participation_results_export_download", args=[record.pk]), follow=True)


def status_of(client, record):
    response = client.get(reverse("participation_results_export_status", args=[record.pk]))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    return json.loads(response.content)


def assert_same_file(ext, background, direct_path):
    """Byte for byte, except what carries the time of writing: a ZIP's member dates, an XLSX's properties."""
    direct = direct_path.read_bytes()
    if ext == "zip":
        with zipfile.ZipFile(io.BytesIO(background)) as made, zipfile.ZipFile(direct_path) as expected:
            assert made.namelist() == expected.namelist()
            for name in expected.namelist():
                assert made.read(name) == expected.read(name), name
    elif ext == "xlsx":
        made, expected = load_workbook(io.BytesIO(background)), load_workbook(direct_path)
        assert made.sheetnames == expected.sheetnames
        for name in expected.sheetnames:
            assert list(made[name].values) == list(expected[name].values), name
    else:
        assert background == direct


CASES = [
    ("poll", "csv", "comma"),  # several tables: a ZIP
    ("budget", "csv", "semicolon"),
    ("budget", "xlsx", "comma"),
    ("poll", "json", "comma"),
    ("ideas", "geojson", "comma"),
    ("reporting", "geojson", "comma"),
]


def page_of(site, kind):  # noqa: F811
    found = site[kind]
    return found["it"] if isinstance(found, dict) else found


def check_the_file(client, record, page, fmt, separator, tmp_path):
    ext = extension(page, fmt)
    direct = tmp_path / f"direct.{ext}"
    with translation.override("en"):  # the staff member's admin language, in which the file was asked for
        export(page, fmt, direct, separator=";" if separator == "semicolon" else ",")
    response = download(client, record)
    check_headers(response, page, ext)
    assert response["Content-Disposition"].startswith("attachment;")
    assert_same_file(ext, body(response), direct)


@pytest.mark.parametrize(("kind", "fmt", "separator"), CASES)
def test_the_background_export_completes_and_is_the_direct_export(client, staff, site, kind, fmt, separator, tmp_path):  # noqa: F811
    page = page_of(site, kind)
    record = prepare(client, page, fmt, separator)  # the immediate backend (test settings) runs it at once
    record.refresh_from_db()
    assert record.status == ResultsExport.DONE and record.finished_at and not record.error
    assert record.requested_by == staff and record.format == fmt
    assert record.path.parent == root() and record.path.is_file()
    assert run_export.get_backend().__class__.__name__ == "ImmediateBackend"
    check_the_file(client, record, page, fmt, separator, tmp_path)


@pytest.fixture
def worker(monkeypatch):
    """Run the database backend's worker once, over every queued task, in this test's transaction: its
    close_old_connections() would close the test's connection, and its signal handlers are put back."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}

    def run():
        call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0)

    yield run
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.mark.parametrize(("kind", "fmt", "separator"), CASES)
def test_with_the_database_backend_the_worker_prepares_the_same_file(
    client,
    staff,
    site,  # noqa: F811
    worker,
    kind,
    fmt,
    separator,
    tmp_path,
):
    page = page_of(site, kind)
    with override_settings(TASKS=DATABASE_TASKS):
        record = prepare(client, page, fmt, separator)
        record.refresh_from_db()
        assert record.status == ResultsExport.QUEUED and record.task_id
        # Waiting for the worker: the status says so, and there is nothing to download yet.
        status = status_of(client, record)
        assert status["status"] == "queued" and not status["finished"] and status["download_url"] is None
        assert download(client, record).status_code == 404
        page_html = client.get(status["url"]).content.decode()
        assert "Waiting to start" in page_html and 'id="results-export-refresh"' in page_html

        worker()

        assert run_export.get_result(record.task_id).status == TaskResultStatus.SUCCESSFUL
    record.refresh_from_db()
    assert record.status == ResultsExport.DONE
    status = status_of(client, record)
    assert status["finished"] and status["download_url"] == reverse(
        "participation_results_export_download", args=[record.pk]
    )
    check_the_file(client, record, page, fmt, separator, tmp_path)


# --- progress ----------------------------------------------------------------------------------------------------


def test_progress_is_reported_as_rows_are_written_and_reaches_the_rows_expected(
    client,
    staff,
    site,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    poll = site["poll"]["it"]
    add_votes(poll, 9, 0)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    # export() reports every PROGRESS_EVERY rows and at the end, and writes the same file as without.
    reported = []
    done = export(poll, "json", tmp_path / "counted.json", progress=reported.append)
    export(poll, "json", tmp_path / "plain.json")
    assert (tmp_path / "counted.json").read_bytes() == (tmp_path / "plain.json").read_bytes()
    expected = expected_rows(poll, "json")
    assert reported == [*range(2, expected + 1, 2), expected] and done.rows == expected

    # The task writes each report to the record, which the status page reads meanwhile.
    written = []
    real = export_tasks.update
    monkeypatch.setattr(
        export_tasks, "update", lambda pk, **fields: (written.append(fields.get("rows_done")), real(pk, **fields))
    )
    record = prepare(client, poll, "csv")
    record.refresh_from_db()
    assert record.rows_expected == expected and record.rows_done == expected
    assert [rows for rows in written if rows is not None][:3] == [2, 4, 6]
    assert status_of(client, record)["progress"] == f"{expected} of {expected} rows"


def test_the_progress_reads_in_the_admins_language_with_grouped_thousands(client, staff, site):  # noqa: F811
    from participation.results_admin import progress_text

    record = ResultsExport(page=site["poll"]["it"], format="csv", rows_done=12000, rows_expected=100000)
    with translation.override("en"):
        assert progress_text(record) == "12,000 of 100,000 rows"
        record.rows_expected = None
        assert progress_text(record) == "12,000 rows written"


# --- failures ----------------------------------------------------------------------------------------------------


def test_a_failing_export_is_marked_failed_and_serves_no_file(client, staff, site, monkeypatch):  # noqa: F811
    def half_then_fail(page, fmt, path, **options):
        with open(path, "w") as out:
            out.write("half a fi")
        raise RuntimeError("the database went away")

    monkeypatch.setattr(export_tasks, "export", half_then_fail)
    record = prepare(client, site["poll"]["it"], "json")
    record.refresh_from_db()
    assert record.status == ResultsExport.FAILED and "the database went away" in record.error
    assert record.file_name == "" and record.path is None
    assert list(root().iterdir()) == []  # the half-written file is gone
    assert download(client, record).status_code == 404
    status = status_of(client, record)
    assert status["finished"] and status["failed"] and status["download_url"] is None
    soup = BeautifulSoup(client.get(status["url"]).content, "html.parser")
    assert not soup.select_one("#results-export-failed").has_attr("hidden")
    assert soup.select_one("#results-export-download").has_attr("hidden")


def test_a_task_run_twice_or_after_pruning_does_nothing(client, staff, site):  # noqa: F811
    record = prepare(client, site["poll"]["it"], "json")
    assert run_export.call(record.pk) is None  # already done: not written again
    assert run_export.call(record.pk + 1000) is None  # no such export


# --- who may -----------------------------------------------------------------------------------------------------


def export_urls(record):
    return [
        reverse(name, args=[record.pk])
        for name in (
            "participation_results_export",
            "participation_results_export_status",
            "participation_results_export_download",
        )
    ]


def test_anonymous_visitors_are_sent_to_the_login(client, site):  # noqa: F811
    poll = site["poll"]["it"]
    record = ResultsExport.objects.create(page=poll, format="json")
    response = client.post(prepare_url(poll, "json"))
    assert response.status_code == 302 and "login" in response["Location"]
    for url in export_urls(record):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    assert ResultsExport.objects.count() == 1


@pytest.mark.parametrize("factory", [EditorFactory, ModeratorFactory])
def test_other_roles_can_neither_ask_nor_follow_nor_download(client, staff, site, factory):  # noqa: F811
    poll = site["poll"]["it"]
    record = prepare(client, poll, "json")
    client.force_login(factory())
    assert denied(client.post(prepare_url(poll, "json"), {"separator": "comma"}))
    for url in export_urls(record):
        assert denied(client.get(url)), url
    assert ResultsExport.objects.count() == 1
    assert [entry.data["step"] for entry in PageLogEntry.objects.filter(action="participation.export")] == ["requested"]


def test_any_results_member_may_follow_and_download_an_export(client, staff, site):  # noqa: F811
    record = prepare(client, site["poll"]["it"], "json")
    other = ResultsFactory()
    client.force_login(other)
    assert client.get(export_urls(record)[0]).status_code == 200
    assert download(client, record).status_code == 200
    assert PageLogEntry.objects.filter(action="participation.export", user=other).get().data["step"] == "downloaded"


def test_asking_needs_a_post_with_the_csrf_token(staff, site):  # noqa: F811
    poll = site["poll"]["it"]
    careful = Client(enforce_csrf_checks=True)
    careful.force_login(staff)
    assert careful.get(prepare_url(poll, "json")).status_code == 405
    assert careful.post(prepare_url(poll, "json"), {"separator": "comma"}).status_code == 403
    assert not ResultsExport.objects.exists()
    # With the token the form carries, it works.
    assert careful.get(reverse("participation_results", args=[poll.pk])).status_code == 200  # sets the cookie
    token = careful.cookies["csrftoken"].value
    response = careful.post(prepare_url(poll, "json"), {"separator": "comma", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and ResultsExport.objects.count() == 1


def test_a_bad_format_separator_or_table_is_refused(client, staff, site):  # noqa: F811
    poll = site["poll"]["it"]
    assert client.post(prepare_url(poll, "pdf"), follow=True).status_code == 404
    assert client.post(prepare_url(poll, "geojson"), follow=True).status_code == 404  # a poll has no map
    assert client.post(prepare_url(poll, "csv"), {"separator": "tab"}).status_code == 400
    assert client.post(prepare_url(poll, "csv"), {"table": "nothing"}, follow=True).status_code == 404
    assert not ResultsExport.objects.exists()


# --- the Results view --------------------------------------------------------------------------------------------


def test_a_big_page_offers_forms_and_a_small_one_direct_links(client, staff, site):  # noqa: F811
    poll = site["poll"]["it"]
    url = reverse("participation_results", args=[poll.pk])
    small = BeautifulSoup(client.get(url).content, "html.parser")
    assert small.select("#results-downloads a[download]") and not small.select("#results-downloads form")
    assert not small.select_one("#results-background-note")

    with override_settings(RESULTS_BACKGROUND_ROWS=5):
        big = BeautifulSoup(client.get(url).content, "html.parser")
    forms = big.select("#results-downloads form")
    assert forms and not big.select("#results-downloads a")
    assert [form["action"] for form in forms] == [prepare_url(poll, fmt) for fmt in ("csv", "csv", "xlsx", "json")]
    assert all(form["method"] == "post" and form.select_one("input[name=csrfmiddlewaretoken]") for form in forms)
    assert [form.select_one("input[name=separator]")["value"] for form in forms][:2] == ["comma", "semicolon"]
    assert "Prepare the file" in forms[0].button.get_text()
    assert big.select_one("#results-background-note")
    # One table's CSV still streams directly.
    assert big.select("a[href*='?table=votes']")


def test_the_results_view_lists_the_members_own_recent_exports(client, staff, site):  # noqa: F811
    poll = site["poll"]["it"]
    record = prepare(client, poll, "csv", "semicolon")
    url = reverse("participation_results", args=[poll.pk])
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    rows = soup.select("#results-recent-exports tbody tr")
    assert len(rows) == 1
    assert rows[0].th.get_text(strip=True) == "CSV (;)" and "Ready" in rows[0].get_text()
    assert rows[0].select_one(f"a[href='{reverse('participation_results_export_download', args=[record.pk])}']")
    client.force_login(ResultsFactory())
    assert not BeautifulSoup(client.get(url).content, "html.parser").select_one("#results-recent-exports")


def test_the_status_page_has_a_live_region_a_script_file_and_no_inline_script(client, staff, site):  # noqa: F811
    record = prepare(client, site["poll"]["it"], "json")
    soup = BeautifulSoup(client.get(export_urls(record)[0]).content, "html.parser")
    region = soup.select_one("#results-export")
    assert region["role"] == "status" and region["aria-live"] == "polite"
    assert region["data-status-url"] == export_urls(record)[1]
    assert soup.select_one("#results-export-state").get_text() == "Ready"
    link = soup.select_one("#results-export-download a")
    assert link["href"] == export_urls(record)[2]
    assert soup.select_one("script[src$='js/results-export.js']")
    assert not region.select("script, [style]")


# --- audit log and download headers ------------------------------------------------------------------------------


def test_each_request_and_each_download_is_in_the_audit_log(client, staff, site):  # noqa: F811
    budget = site["budget"]["it"]
    record = prepare(client, budget, "xlsx")
    response = download(client, record)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].endswith(f'-{timezone.localdate().isoformat()}.xlsx"')
    body(response)
    entries = list(PageLogEntry.objects.filter(action="participation.export").order_by("pk"))
    assert [(entry.data["step"], entry.data["via"], entry.data["format"]) for entry in entries] == [
        ("requested", "background", "xlsx"),
        ("downloaded", "background", "xlsx"),
    ]
    assert all(entry.user == staff and entry.page_id == budget.pk for entry in entries)
    assert all(entry.data["export_id"] == record.pk for entry in entries)
    assert all(entry.data["tables"] == ["projects", "ballots", "comments"] for entry in entries)
    with translation.override("en"):
        assert "background" in entries[0].message and "XLSX" in entries[1].message


# --- cleaning up -------------------------------------------------------------------------------------------------


def test_old_exports_and_stray_files_are_deleted(client, staff, site):  # noqa: F811
    poll = site["poll"]["it"]
    old = prepare(client, poll, "json")
    ResultsExport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    old_path = root() / f"export-{old.pk}.json"
    stray = root() / "export-999999.partial.zip"
    stray.write_bytes(b"half")
    week_ago = (timezone.now() - timedelta(days=8)).timestamp()
    os.utime(stray, (week_ago, week_ago))
    recent = prepare(client, poll, "json")  # asking prunes
    assert not ResultsExport.objects.filter(pk=old.pk).exists() and not old_path.exists() and not stray.exists()
    recent.refresh_from_db()
    assert recent.path.is_file()

    call_command("prune_results_exports", verbosity=0)
    assert recent.path.is_file()
    call_command("prune_results_exports", days=0, verbosity=0)
    assert not ResultsExport.objects.exists() and list(root().iterdir()) == []
    assert prune() == 0


# --- settings ----------------------------------------------------------------------------------------------------


def test_the_tasks_backend_is_chosen_by_an_environment_variable(monkeypatch):
    monkeypatch.delenv("TASKS_BACKEND", raising=False)
    assert tasks_setting("immediate")["default"]["BACKEND"].endswith("ImmediateBackend")
    assert tasks_setting("database")["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    monkeypatch.setenv("TASKS_BACKEND", "immediate")
    assert tasks_setting("database")["default"]["BACKEND"].endswith("ImmediateBackend")
    monkeypatch.setenv("TASKS_BACKEND", "celery")
    with pytest.raises(ImproperlyConfigured):
        tasks_setting("database")
