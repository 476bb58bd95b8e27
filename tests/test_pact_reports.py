"""After a pact's activities: the coordinator's report (photos stored without EXIF, each with its description),
the log and totals on the pact's page, the yearly report page, and the activities' CSV in the Results tools."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from participation.models import Activity, ActivityReport, ActivitySignup
from tests.factories import ResultsFactory, UserFactory
from tests.test_ideas import jpeg_with_gps
from tests.test_pact_proposals import include, pacts_fixture, refused  # noqa: F401 (the pacts fixture)

pytestmark = pytest.mark.django_db


def activity(pact, days, *, hours=2, status=Activity.SCHEDULED, capacity=None, title="Cura delle aiuole"):
    starts = timezone.now() + timedelta(days=days)
    return Activity.objects.create(
        group=pact["it"].ensure_group(),
        title=title,
        description="Diserbo.",
        language="it",
        place_name="Aiuole dei pilastri",
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        capacity=capacity,
        status=status,
    )


def report_url(pact, held):
    return reverse("pact_activity_report", args=[pact["it"].pk, held.pk])


def photo(name="aiuole.jpg"):
    return SimpleUploadedFile(name, jpeg_with_gps(), content_type="image/jpeg")


def report_data(**more):
    return {"text": "Sei aiuole liberate dalle erbacce.", "participants": "9", "hours": "27", **more}


# --- the coordinator's report -----------------------------------------------------------------------


def test_a_coordinator_reports_a_past_activity_with_photos_stored_without_exif(client, pacts):
    pact, coordinator = pacts["a"]["page"], pacts["a"]["coordinator"]
    held = activity(pact, -3)
    client.force_login(coordinator)
    assert client.get(report_url(pact, held)).status_code == 200
    response = client.post(report_url(pact, held), report_data(photo_1=photo(), alt_1="Volontari al lavoro"))
    assert response.status_code == 302, response.content.decode()[:1500]
    report = ActivityReport.objects.get(activity=held)
    assert (report.participants, report.hours, report.written_by) == (9, Decimal("27"), coordinator)
    (stored,) = report.photos.all()
    assert stored.alt_text == "Volontari al lavoro"
    with stored.image.file.open("rb") as handle:
        content = handle.read()
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG" and not image.getexif()
    assert b"CameraMaker" not in content and b"GPS" not in content
    log = include("pact_log", pact["en"])
    figure = log.find(id=f"report-{held.pk}")
    assert "Sei aiuole liberate" in figure.text
    assert figure.find("img")["alt"] == "Volontari al lavoro"


def test_a_photo_needs_its_description_and_must_be_an_image(client, pacts):
    pact = pacts["a"]["page"]
    held = activity(pact, -3)
    client.force_login(pacts["a"]["coordinator"])
    response = client.post(report_url(pact, held), report_data(photo_1=photo()))
    # The admin speaks the default language, Italian.
    assert response.status_code == 400 and "Descrivi che cosa mostra la foto." in response.content.decode()
    bad = SimpleUploadedFile("x.jpg", b"<script>", content_type="image/jpeg")
    response = client.post(report_url(pact, held), report_data(photo_1=bad, alt_1="x"))
    assert response.status_code == 400 and not ActivityReport.objects.exists()


def test_only_held_activities_of_their_own_pact_are_reported(client, pacts):
    a, b = pacts["a"], pacts["b"]
    client.force_login(a["coordinator"])
    future = activity(a["page"], 3)
    response = client.post(report_url(a["page"], future), report_data())
    assert response.status_code == 302 and not ActivityReport.objects.exists()
    other = activity(b["page"], -3)
    assert refused(client.post(report_url(b["page"], other), report_data()))
    # Pact A's address with pact B's activity: not found.
    mixed = reverse("pact_activity_report", args=[a["page"]["it"].pk, other.pk])
    assert client.get(mixed, follow=True).status_code == 404
    assert not ActivityReport.objects.exists()
    citizen = UserFactory(username="curioso", email="curioso@example.org")
    client.force_login(citizen)
    assert refused(client.get(report_url(b["page"], other)))


# --- totals, log, yearly report ---------------------------------------------------------------------------


def reported(held, participants, hours):
    return ActivityReport.objects.create(activity=held, text="Fatto.", participants=participants, hours=hours)


def test_totals_count_held_activities_and_sum_hours_and_participants(pacts):
    pact = pacts["a"]["page"]
    reported(activity(pact, -20), 9, Decimal("27"))
    reported(activity(pact, -10), 12, Decimal("24.5"))
    activity(pact, -5)  # held, not reported yet
    activity(pact, -4, status=Activity.CANCELLED)
    activity(pact, 5)
    reported(activity(pacts["b"]["page"], -3), 100, Decimal("100"))  # another pact
    log = include("pact_log", pact["it"])
    figures = [dd.text.strip() for dd in log.find("dl").find_all("dd")]
    assert figures[0] == "3" and figures[1] in ("51,5", "51.5") and figures[2] == "21"
    with CaptureQueriesContext(connection) as queries:
        include("pact_log", pact["it"])
    assert len(queries) <= 6


def test_the_yearly_report_counts_by_month_and_links_other_years(client, pacts):
    pact = pacts["a"]["page"]
    held = activity(pact, -2)
    reported(held, 7, Decimal("14"))
    year = timezone.localtime(held.starts_at).year
    response = client.get(pact["en"].url + f"report/{year}/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    rows = soup.find("tbody").find_all("tr")
    assert len(rows) == 12
    month = rows[timezone.localtime(held.starts_at).month - 1]
    assert [cell.text for cell in month.find_all("td")] == ["1", "7", "14"]
    assert soup.find("tfoot").find_all("td")[1].text == "7"
    assert client.get(pact["en"].url + "report/1999/").status_code == 404


# --- the Results tools -------------------------------------------------------------------------------------


def test_the_results_group_downloads_the_activities_as_csv_and_others_cannot(client, pacts):
    pact = pacts["a"]["page"]
    full = activity(pact, 4, capacity=2, title="Laboratorio per bambini")
    for number in range(3):
        ActivitySignup.objects.create(
            activity=full,
            user=UserFactory(username=f"volontario{number}", email=f"v{number}@example.org"),
            status=ActivitySignup.CONFIRMED if number < 2 else ActivitySignup.WAITING,
        )
    reported(activity(pact, -3), 9, Decimal("27.5"))
    url = reverse("participation_results_download", args=[pact["it"].pk, "csv"])
    client.force_login(ResultsFactory())
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.getvalue()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["title"] for row in rows] == ["Cura delle aiuole", "Laboratorio per bambini"]
    assert (rows[0]["participants"], rows[0]["hours"], rows[0]["held"]) == ("9", "27.5", "true")
    assert (rows[1]["places"], rows[1]["confirmed"], rows[1]["waiting"], rows[1]["participants"]) == ("2", "2", "1", "")
    assert "volontario" not in body.decode()
    client.force_login(pacts["a"]["coordinator"])
    assert refused(client.get(url))
