"""Neighbourhood reports: the form and its three ways to say where, the boundary, photos without their
metadata, the summary and receipt steps, logged-out drafts, "me too" within 100 m, the City's workflow and
its emails, the "is it fixed?" questionnaire, the list, the feed, hidden text, flat query counts."""

import io
import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from PIL import Image

from participation import geometry
from participation.models import Report, ReportFollower, ReportingPage, ReportStatus, ReportUpdate
from participation.reports import (
    ReportRejected,
    change_status,
    city_boundary_text,
    nearby_reports,
    send_questionnaires,
    set_following,
    set_hidden,
    streets,
)
from tests.factories import (
    PIAZZA_CASTELLO,
    ReportFactory,
    ReportingPageFactory,
    UserFactory,
    district,
    report_category,
    report_office,
    translate,
)

pytestmark = pytest.mark.django_db

OUTSIDE_TURIN = (44.9990, 7.6830)  # Moncalieri
DANGER = ("È pericoloso?", "yes_no", (), True)


@pytest.fixture
def reporting(tree):
    """{"it": page, "en": page} under the tree's process, two categories (the first asks "is it dangerous?")."""
    report_category("Buche", "Potholes", "potholes", questions=[DANGER])
    report_category(
        "Illuminazione", "Street lighting", "lighting", office=report_office("Servizio Illuminazione"), order=1
    )
    district(1, "Centro - Crocetta")
    italian = ReportingPageFactory(parent=tree["consultation"]["it"])
    english = translate(italian, "en", title="Reports", slug="reports")
    return {"it": ReportingPage.objects.get(pk=italian.pk), "en": ReportingPage.objects.get(pk=english.pk)}


def categories_of(page_language="it"):
    from participation.reports import categories_in

    return categories_in(page_language)


def photo_with_gps(kind="JPEG"):
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (45.0, 4.0, 16.0), 3: "E", 4: (7.0, 41.0, 8.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format=kind, exif=exif.tobytes())
    out.seek(0)
    out.name = "holiday.jpg"
    return out


def form_data(**overrides):
    category = categories_of()[0]
    question = category.question_list[0][0]
    data = {
        "category": category.pk,
        "latitude": PIAZZA_CASTELLO[0],
        "longitude": PIAZZA_CASTELLO[1],
        "title": "Buca davanti a Palazzo Madama",
        "description": "Una buca profonda sul lato del tram.",
        f"q_{question}": "yes",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def login(client, user=None):
    user = user or UserFactory()
    client.force_login(user)
    return user


def send(client, page, **overrides):
    """Form → summary → send; returns the receipt response."""
    url = page.url + "new/"
    response = client.post(url, form_data(**overrides))
    assert response.status_code == 303, response.content.decode()[:2000]
    summary = client.get(response["Location"])
    assert summary.status_code == 200
    return client.post(page.url + "new/check/", follow=True)


# --- the city -------------------------------------------------------------------------------------


def test_the_boundary_holds_turin_and_not_its_neighbours():
    polygons = geometry.parse_area(city_boundary_text())
    for lat, lng in [PIAZZA_CASTELLO, (45.0870, 7.6650), (45.1230, 7.7060), (45.0803, 7.7672)]:
        assert geometry.contains(polygons, lng, lat)
    for lat, lng in [OUTSIDE_TURIN, (45.0710, 7.5150), (45.1380, 7.7690), (45.0120, 7.8240)]:
        assert not geometry.contains(polygons, lng, lat)
    assert all(geometry.contains(polygons, street["lng"], street["lat"]) for street in streets())
    assert {street["district"] for street in streets()} == set(range(1, 9))


# --- filing a report ------------------------------------------------------------------------------


def test_a_citizen_files_a_report_through_summary_and_receipt(reporting, client, django_capture_on_commit_callbacks):
    page = reporting["it"]
    user = login(client)
    response = client.post(page.url + "new/", {**form_data(), "photo_1": photo_with_gps()})
    assert response.status_code == 303
    summary = client.get(response["Location"])
    text = BeautifulSoup(summary.content, "html.parser").get_text(" ")
    assert "Buca davanti a Palazzo Madama" in text and "Buche" in text
    assert "È pericoloso?" in text and "Sì" in text
    assert Report.objects.count() == 0  # nothing is stored before the citizen sends it
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        receipt = client.post(page.url + "new/check/", follow=True)
    report = Report.objects.get()
    assert receipt.status_code == 200
    assert report.reference == f"TO-{timezone.now().year}-{report.pk:06d}"
    assert report.reference in receipt.content.decode()
    assert report.user == user and report.district == 1 and report.status == ReportStatus.NEW
    assert report.answers == {categories_of()[0].question_list[0][0]: "yes"}
    [receipt_mail] = [m for m in mail.outbox if m.to == [user.email]]
    assert report.reference in receipt_mail.subject and f"{page.url}{report.pk}/" in receipt_mail.body
    assert [m for m in mail.outbox if m.to == ["strade@example.org"]]
    photo = report.photos.get()
    with photo.image.file.open() as handle:
        stored = Image.open(handle)
        stored.load()
        assert not stored.getexif() and "exif" not in stored.info
    assert ReportFollower.objects.get(report=report, user=user).is_reporter
    # The report's public page.
    page_text = client.get(f"{page.url}{report.pk}/").content.decode()
    assert "Buca davanti a Palazzo Madama" in page_text and report.reference in page_text


def test_a_street_from_the_list_places_the_report_without_a_map(reporting, client):
    login(client)
    index, street = next((i, s) for i, s in enumerate(streets()) if s["name"] == "Via Garibaldi")
    send(client, reporting["it"], latitude=None, longitude=None, street=index, house_number="12")
    report = Report.objects.get()
    assert (report.latitude, report.longitude) == (street["lat"], street["lng"])
    assert report.address == "Via Garibaldi, 12" and report.district == street["district"]


def test_bad_input_comes_back_with_everything_typed_and_no_report(reporting, client):
    page = reporting["it"]
    login(client)
    response = client.post(
        page.url + "new/", form_data(title="", latitude=OUTSIDE_TURIN[0], longitude=OUTSIDE_TURIN[1])
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "fuori dalla Città di Torino" in html or "outside the City of Turin" in html
    assert "Una buca profonda sul lato del tram." in html
    response = client.post(page.url + "new/", {**form_data(), "photo_1": io.BytesIO(b"not an image")})
    assert response.status_code == 400
    missing = client.post(page.url + "new/", form_data(**{f"q_{categories_of()[0].question_list[0][0]}": ""}))
    assert missing.status_code == 400
    assert Report.objects.count() == 0


def test_a_logged_out_visitor_logs_in_and_finds_the_form_as_they_left_it(reporting, client):
    page = reporting["it"]
    response = client.post(page.url + "new/", form_data(title="Lampione spento in via Po"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    login(client)
    form = client.get(page.url + "new/").content.decode()
    assert 'value="Lampione spento in via Po"' in form


def test_open_reports_of_the_category_within_100_metres_are_offered_before_sending(reporting, client):
    page = reporting["it"]
    near = ReportFactory(page=page, latitude=PIAZZA_CASTELLO[0] + 0.0005, longitude=PIAZZA_CASTELLO[1])  # ~56 m
    far = ReportFactory(page=page, latitude=PIAZZA_CASTELLO[0] + 0.0015, longitude=PIAZZA_CASTELLO[1])  # ~167 m
    other_kind = ReportFactory(
        page=page, category=categories_of()[1], latitude=PIAZZA_CASTELLO[0], longitude=PIAZZA_CASTELLO[1]
    )
    found = nearby_reports(page, lat=PIAZZA_CASTELLO[0], lng=PIAZZA_CASTELLO[1], category_key=near.category_key)
    assert found == [near]
    login(client)
    client.post(page.url + "new/", form_data())
    summary = client.get(page.url + "new/check/").content.decode()
    assert near.reference in summary and far.reference not in summary and other_kind.reference not in summary
    # "me too" instead of a second report
    client.post(f"{page.url}{near.pk}/follow/")
    near.refresh_from_db()
    assert near.follower_count == 1


def test_me_too_counts_once_and_can_be_withdrawn(reporting):
    report = ReportFactory(page=reporting["it"])
    citizen = UserFactory()
    assert set_following(report=report, user=citizen, follow=True)
    assert not set_following(report=report, user=citizen, follow=True)
    report.refresh_from_db()
    assert report.follower_count == 1
    assert set_following(report=report, user=citizen, follow=False)
    report.refresh_from_db()
    assert report.follower_count == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFollower.objects.create(report=report, user=report.user, language="it")
        ReportFollower.objects.create(report=report, user=report.user, language="it")


# --- the City's answers ---------------------------------------------------------------------------


def test_each_status_change_is_a_public_update_emailed_in_each_followers_language(
    reporting, client, django_capture_on_commit_callbacks
):
    page = reporting["it"]
    report = ReportFactory(page=page)
    ReportFollower.objects.create(report=report, user=report.user, is_reporter=True, language="it")
    english, quiet = UserFactory(), UserFactory()
    ReportFollower.objects.create(report=report, user=english, language="en")
    ReportFollower.objects.create(report=report, user=quiet, language="it", notify=False)
    mail.outbox.clear()
    staff = UserFactory()
    with pytest.raises(ReportRejected):
        change_status(report=report, status=ReportStatus.ACKNOWLEDGED, message="", user=staff)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(report=report, status=ReportStatus.ACKNOWLEDGED, message="Sopralluogo lunedì.", user=staff)
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED and report.first_response_at
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {report.user.email, english.email}
    assert "Presa in carico" in by_address[report.user.email].subject
    assert "Acknowledged" in by_address[english.email].subject
    html = client.get(f"{page.url}{report.pk}/").content.decode()
    assert "Sopralluogo lunedì." in html and "Servizio Manutenzione Strade" in html
    assert staff.email not in html and staff.username not in html
    english_html = client.get(f"{reporting['en'].url}{report.pk}/").content.decode()
    assert "Roads maintenance" in english_html


def test_a_duplicate_names_its_original_and_moves_its_followers(reporting):
    page = reporting["it"]
    original, duplicate = ReportFactory(page=page), ReportFactory(page=page)
    follower = UserFactory()
    set_following(report=duplicate, user=follower, follow=True)
    with pytest.raises(ReportRejected):
        change_status(report=duplicate, status=ReportStatus.DUPLICATE, message="Già segnalata.")
    change_status(report=duplicate, status=ReportStatus.DUPLICATE, message="Già segnalata.", duplicate_of=original)
    assert ReportFollower.objects.filter(report=original, user=follower).exists()
    original.refresh_from_db()
    assert original.follower_count == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=original.pk).update(status=ReportStatus.DUPLICATE)


def test_internal_notes_never_show_in_public(reporting, client):
    from participation.reports import add_note

    report = ReportFactory(page=reporting["it"])
    add_note(report=report, message="Nota riservata: chiamare il sig. Rossi", user=UserFactory())
    assert ReportUpdate.objects.filter(report=report, kind=ReportUpdate.NOTE).exists()
    assert "Nota riservata" not in client.get(f"{reporting['it'].url}{report.pk}/").content.decode()


# --- "is it fixed?" -------------------------------------------------------------------------------


def test_weeks_after_resolved_the_reporter_is_asked_and_no_reopens(reporting, client, settings):
    page = reporting["it"]
    report = ReportFactory(page=page)
    resolved_at = timezone.now() - timedelta(weeks=settings.REPORT_QUESTIONNAIRE_WEEKS, days=1)
    change_status(report=report, status=ReportStatus.RESOLVED, message="Riparata.", now=resolved_at)
    recent = ReportFactory(page=page)
    change_status(report=recent, status=ReportStatus.RESOLVED, message="Riparata.")
    mail.outbox.clear()
    assert send_questionnaires() == 1
    assert send_questionnaires() == 0
    [asked] = mail.outbox
    assert asked.to == [report.user.email] and f"{page.url}{report.pk}/fixed/" in asked.body
    client.force_login(report.user)
    refused = client.post(f"{page.url}{report.pk}/fixed/", {"fixed": "no", "comment": ""})
    assert refused.status_code == 400
    client.post(f"{page.url}{report.pk}/fixed/", {"fixed": "no", "comment": "La buca è ancora lì."})
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED and report.fixed is False and report.resolved_at is None
    assert "La buca è ancora lì." in client.get(f"{page.url}{report.pk}/").content.decode()
    other = Client()
    other.force_login(UserFactory())
    assert other.get(f"{page.url}{recent.pk}/fixed/").status_code == 404


def test_the_questionnaire_command_runs(reporting):
    report = ReportFactory(page=reporting["it"])
    change_status(
        report=report, status=ReportStatus.RESOLVED, message="Fatto.", now=timezone.now() - timedelta(weeks=5)
    )
    call_command("send_report_questionnaires", verbosity=0)
    report.refresh_from_db()
    assert report.questionnaire_sent_at is not None


# --- the public list, the feed, hidden text --------------------------------------------------------


def test_list_filters_and_feed(reporting, client):
    page = reporting["it"]
    pothole = ReportFactory(page=page, title="Buca in via Roma")
    light = ReportFactory(page=page, category=categories_of()[1], title="Lampione spento")
    change_status(report=light, status=ReportStatus.RESOLVED, message="Sostituita la lampada.")
    html = client.get(page.url).content.decode()
    assert "Buca in via Roma" in html and "Lampione spento" in html
    only_open = client.get(page.url, {"status": "open"}).content.decode()
    assert "Buca in via Roma" in only_open and "Lampione spento" not in only_open
    by_category = client.get(page.url, {"category": str(light.category_key)}).content.decode()
    assert "Lampione spento" in by_category and "Buca in via Roma" not in by_category
    response = client.get(page.url + "reports.geojson")
    assert response["Content-Type"].startswith("application/geo+json") and response["ETag"]
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    [first, second] = collection["features"]
    assert first["properties"]["reference"] == light.reference  # newest first
    assert second["geometry"]["coordinates"] == [pothole.longitude, pothole.latitude]
    assert client.get(page.url + "reports.geojson", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_hidden_text_never_appears_in_public(reporting, client):
    page = reporting["it"]
    report = ReportFactory(page=page, title="Insulto volgare", description="Testo offensivo")
    set_hidden(report=report, text_hidden=True)
    for url in (page.url, f"{page.url}{report.pk}/", page.url + "reports.geojson", reporting["en"].url):
        body = client.get(url).content.decode()
        assert "Insulto volgare" not in body and "Testo offensivo" not in body, url
    assert report.reference in client.get(page.url).content.decode()


def test_pages_in_both_languages(reporting, client):
    report = ReportFactory(page=reporting["it"])
    for code, words in (("it", "Segnala un problema"), ("en", "Report a problem")):
        page = reporting[code]
        assert words in client.get(page.url).content.decode()
        assert client.get(f"{page.url}{report.pk}/").status_code == 200
        assert client.get(page.url + "new/").status_code == 200


def test_query_counts_stay_flat_as_reports_grow(reporting, client, django_assert_max_num_queries, settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    page = reporting["it"]
    reports = [ReportFactory(page=page) for _ in range(3)]

    def measure():
        client.get(page.url)  # the site's chrome is cached after the first request of a language
        with django_assert_max_num_queries(15):
            assert client.get(page.url).status_code == 200
        with django_assert_max_num_queries(15):
            assert client.get(f"{page.url}{reports[0].pk}/").status_code == 200

    measure()
    user = UserFactory()
    Report.objects.bulk_create(
        [
            Report(
                group=page.ensure_group(),
                reference=f"TO-2026-9{n:05d}",
                category_key=reports[0].category_key,
                office=reports[0].office,
                user=user,
                title=f"Segnalazione {n}",
                description="…",
                latitude=PIAZZA_CASTELLO[0],
                longitude=PIAZZA_CASTELLO[1],
                language="it",
            )
            for n in range(60)
        ]
    )
    measure()
    client.force_login(user)
    measure()


def test_the_process_page_counts_the_reports_by_status_and_sees_new_ones(reporting, client):
    process = reporting["it"].get_parent().specific
    ReportFactory(page=reporting["it"])
    text = BeautifulSoup(client.get(process.url).content, "html.parser").get_text(" ")
    assert "Segnalazioni per stato: Nuova 1" in " ".join(text.split())
    report = ReportFactory(page=reporting["it"])
    change_status(report=report, status=ReportStatus.RESOLVED, message="Riparata.")  # drops the cached page
    text = " ".join(BeautifulSoup(client.get(process.url).content, "html.parser").get_text(" ").split())
    assert "Segnalazioni per stato: Nuova 1 · Risolta 1" in text
