"""The staff inbox of neighbourhood reports in the Wagtail admin: the listing and its filters, a report's
page and its actions (public status change signed by the office, internal notes, hidden text and photos),
the audit log, the bulk status change, per-office staff who see only their offices' reports, the dashboard
panel, the statistics, the categories, offices and Open311 keys, and flat query counts."""

import hashlib
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Collection, ModelLogEntry
from wagtail.users.models import UserProfile

from participation.models import (
    Report,
    ReportFollower,
    ReportingPage,
    ReportOffice,
    ReportPhoto,
    ReportStatus,
    ReportUpdate,
)
from participation.models.reports import Open311Key, ReportCategory
from participation.report_admin import category_statistics, duration_text
from participation.reports import category_map
from tests.factories import (
    AdminFactory,
    EditorFactory,
    ModeratorFactory,
    ReportFactory,
    ReportingPageFactory,
    UserFactory,
    activate_two_factor,
    district,
    report_category,
    report_office,
    translate,
)

pytestmark = pytest.mark.django_db


# --- data -----------------------------------------------------------------------------------------


@pytest.fixture
def reporting(tree):
    """{"it": page, "en": page} under the tree's process; two categories answered by two offices."""
    report_category("Buche", "Potholes", "potholes")
    report_category(
        "Illuminazione", "Street lighting", "lighting", office=report_office("Servizio Illuminazione"), order=1
    )
    district(1, "Centro - Crocetta")
    district(2, "Santa Rita - Mirafiori Nord")
    italian = ReportingPageFactory(parent=tree["consultation"]["it"])
    english = translate(italian, "en", title="Reports", slug="reports")
    return {"it": ReportingPage.objects.get(pk=italian.pk), "en": ReportingPage.objects.get(pk=english.pk)}


def potholes():
    return ReportCategory.objects.get(service_code="potholes", locale__language_code="it")


def lighting():
    return ReportCategory.objects.get(service_code="lighting", locale__language_code="it")


def in_english(user):
    """The admin in English, so the assertions read the source strings."""
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    return user


@pytest.fixture
def moderator(db):
    return in_english(ModeratorFactory(username="moderatrice", first_name="Paola", last_name="Verdi"))


def office_member(office, username="tecnico"):
    user = in_english(UserFactory(username=username, first_name="Luca", last_name="Neri"))
    user.groups.add(Group.objects.get(name="Offices"))
    activate_two_factor(user)  # Offices see reporters' contacts: two-factor before the admin
    office.members.add(user)
    return user


def html(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def text(response):
    return html(response).get_text(" ", strip=True)


LIST = reverse("wagtailsnippets_participation_report:list")


def edit_url(report):
    return reverse("wagtailsnippets_participation_report:edit", args=[report.pk])


def history_url(report):
    return reverse("wagtailsnippets_participation_report:history", args=[report.pk])


def bulk_url(*reports):
    ids = "&".join(f"id={report.pk}" for report in reports)
    return reverse("wagtail_bulk_action", args=("participation", "report", "change_status")) + f"?{ids}"


def listed(response):
    """The references in the listing's rows."""
    found = (link.get_text(strip=True) for link in html(response).select("table.listing tbody td.title a"))
    return {reference for reference in found if reference.startswith("TO-")}


def row_of(response, report):
    """The listing row of ``report``, as text."""
    for row in html(response).select("table.listing tbody tr"):
        if any(link.get_text(strip=True) == report.reference for link in row.select("td.title a")):
            return row.get_text(" ", strip=True)
    raise AssertionError(f"{report.reference} is not listed")


def denied(response):
    """Wagtail's admin refuses by sending back to the dashboard with a message (or a plain 403)."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def references(*reports):
    return {report.reference for report in reports}


def add_photo(report, hidden=False):
    image = get_image_model().objects.create(
        title="Buca", file=get_test_image_file(), collection=Collection.get_first_root_node()
    )
    return ReportPhoto.objects.create(report=report, image=image, is_hidden=hidden)


def public_page(reporting, report, code="it"):
    return Client().get(f"{reporting[code].url}{report.pk}/").content.decode()


# --- the listing ----------------------------------------------------------------------------------


def test_a_moderator_lists_every_report_with_its_facts_and_filters(client, reporting, moderator):
    page = reporting["it"]
    hole = ReportFactory(page=page, title="Buca in via Roma", address="Via Roma 12")
    lamp = ReportFactory(page=page, category=lighting(), title="Lampione spento", district=2)
    old = ReportFactory(page=page, title="Buca antica", created_at=timezone.now() - timedelta(days=40))
    Report.objects.filter(pk=lamp.pk).update(status=ReportStatus.RESOLVED, text_hidden=True)
    add_photo(hole)
    client.force_login(moderator)

    response = client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == references(hole, lamp, old)
    row = row_of(response, hole)
    assert "Buca in via Roma" in row and "Potholes" in row and "Roads maintenance" in row
    assert "New" in row and "Centro - Crocetta" in row
    lamp_row = row_of(response, lamp)
    assert "Street lighting" in lamp_row and "Resolved" in lamp_row and "(text hidden)" in lamp_row
    filters = html(response)
    for name in ("status", "category", "district", "office", "age", "has_photos", "text_hidden"):
        assert filters.select(f"[name={name}]"), name

    def only(**query):
        return listed(client.get(LIST, query))

    assert only(status="open") == references(hole, old)
    assert only(status="resolved") == references(lamp)
    assert only(category=str(lighting().translation_key)) == references(lamp)
    assert only(office=str(lighting().office_id)) == references(lamp)
    assert only(district="2") == references(lamp)
    assert only(age="30") == references(old)
    assert only(has_photos="true") == references(hole)
    assert only(has_photos="false") == references(lamp, old)
    assert only(text_hidden="true") == references(lamp)
    assert only(q="via Roma 12") == references(hole)
    assert only(q=lamp.reference) == references(lamp)
    assert only(q="antica") == references(old)
    # The listing links to the statistics.
    assert html(response).find("a", href=reverse("report_statistics"))


def test_staff_never_add_or_delete_reports(client, reporting, moderator):
    report = ReportFactory(page=reporting["it"])
    client.force_login(moderator)
    assert client.get(reverse("wagtailsnippets_participation_report:add")).status_code in (302, 403)
    assert client.post(reverse("wagtailsnippets_participation_report:delete", args=[report.pk])).status_code in (
        302,
        403,
    )
    assert Report.objects.filter(pk=report.pk).exists()


# --- a report's page and its actions --------------------------------------------------------------


def test_a_moderator_answers_in_public_signed_by_the_office(
    client, reporting, moderator, django_capture_on_commit_callbacks
):
    page = reporting["it"]
    reporter = UserFactory(email="segnalatrice@example.org")
    report = ReportFactory(page=page, user=reporter, title="Buca davanti alla scuola")
    ReportFollower.objects.create(report=report, user=reporter, is_reporter=True, language="it")
    client.force_login(moderator)

    response = client.get(edit_url(report))
    assert response.status_code == 200
    body = text(response)
    assert report.reference in body and "Buca davanti alla scuola" in body and "Potholes" in body
    assert "segnalatrice@example.org" in body  # staff see how to reach the reporter
    assert html(response).select_one("form input[name=action][value=status]")

    # The message is required; so is the original of a duplicate.
    refused = client.post(edit_url(report), {"action": "status", "status": "acknowledged", "message": ""})
    assert refused.status_code == 400
    refused = client.post(
        edit_url(report),
        {"action": "status", "status": "duplicate", "message": "Già segnalata.", "office": report.office_id},
    )
    assert refused.status_code == 400 and "Give the reference" in text(refused)
    refused = client.post(
        edit_url(report),
        {
            "action": "status",
            "status": "duplicate",
            "message": "Già segnalata.",
            "office": report.office_id,
            "duplicate_of": "TO-1999-000001",
        },
    )
    assert refused.status_code == 400 and "No report has this reference" in text(refused)
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW and not report.updates.exists()

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit_url(report),
            {
                "action": "status",
                "status": "acknowledged",
                "message": "Sopralluogo fissato per lunedì.",
                "office": report.office_id,
            },
        )
    assert response.status_code == 302 and response["Location"] == edit_url(report)
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED and report.first_response_at is not None
    [message] = [m for m in mail.outbox if m.to == ["segnalatrice@example.org"]]
    assert "Sopralluogo fissato per lunedì." in message.body
    assert "Paola" not in message.body and "moderatrice" not in message.body

    public = public_page(reporting, report)
    assert "Sopralluogo fissato per lunedì." in public and "Servizio Manutenzione Strade" in public
    assert "Paola" not in public and "Verdi" not in public and "moderatrice" not in public

    entry = ModelLogEntry.objects.get(action="participation.report.status", object_id=str(report.pk))
    assert entry.user == moderator
    assert entry.data["status"] == "acknowledged" and entry.data["previous_status"] == "new"
    history = text(client.get(history_url(report)))
    assert "Status: Acknowledged" in history

    # Handing it over to another office, with a duplicate named by its reference.
    original = ReportFactory(page=page)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit_url(report),
            {
                "action": "status",
                "status": "duplicate",
                "message": "Già segnalata.",
                "office": lighting().office_id,
                "duplicate_of": original.reference.lower(),
            },
        )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.DUPLICATE and report.duplicate_of == original
    assert report.office == lighting().office
    timeline = text(client.get(edit_url(report)))
    assert "Servizio Illuminazione" in timeline and "Sopralluogo fissato per lunedì." in timeline


def test_internal_notes_stay_in_the_admin(client, reporting, moderator):
    report = ReportFactory(page=reporting["it"])
    client.force_login(moderator)
    assert client.post(edit_url(report), {"action": "note", "note": "  "}).status_code == 400
    response = client.post(edit_url(report), {"action": "note", "note": "Chiamare il sig. Rossi, 011 123456."})
    assert response.status_code == 302
    note = ReportUpdate.objects.get(report=report)
    assert note.kind == ReportUpdate.NOTE and note.author == moderator
    page = html(client.get(edit_url(report)))
    item = page.select_one("[data-update-kind=note]")
    assert "Chiamare il sig. Rossi" in item.get_text() and "Internal" in item.get_text()
    assert "Chiamare il sig. Rossi" not in public_page(reporting, report)
    assert "Rossi" not in public_page(reporting, report, "en")
    assert ModelLogEntry.objects.filter(action="participation.report.note", object_id=str(report.pk)).exists()


def test_hiding_and_showing_the_text_and_each_photo(client, reporting, moderator):
    report = ReportFactory(page=reporting["it"], title="Parole offensive qui")
    first, second = add_photo(report), add_photo(report)
    client.force_login(moderator)

    assert client.post(edit_url(report), {"action": "text", "hidden": "1"}).status_code == 302
    report.refresh_from_db()
    assert report.text_hidden
    assert "Parole offensive qui" not in public_page(reporting, report)
    assert "Parole offensive qui" in text(client.get(edit_url(report)))  # staff still read it

    assert client.post(edit_url(report), {"action": "photo", "photo": second.pk, "hidden": "1"}).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_hidden and not first.is_hidden
    page = html(client.get(edit_url(report)))
    assert "hidden from the public" in page.select_one(f"[data-photo='{second.pk}']").get_text()
    assert page.select_one(f"[data-photo='{first.pk}'] button").get_text(strip=True) == "Hide photo 1"

    client.post(edit_url(report), {"action": "photo", "photo": second.pk, "hidden": "0"})
    client.post(edit_url(report), {"action": "text", "hidden": "0"})
    second.refresh_from_db()
    report.refresh_from_db()
    assert not second.is_hidden and not report.text_hidden
    assert "Parole offensive qui" in public_page(reporting, report)
    other = ReportFactory(page=reporting["it"])
    stranger = add_photo(other)
    assert client.post(edit_url(report), {"action": "photo", "photo": stranger.pk, "hidden": "1"}).status_code == 302
    stranger.refresh_from_db()
    assert not stranger.is_hidden
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(report.pk)).order_by("pk").values_list("action", flat=True)
    )
    assert actions == [f"participation.report.{kind}" for kind in ("text", "photo", "photo", "text")]
    history = text(client.get(history_url(report)))
    assert "Text hidden from the public" in history and "Photo public again" in history


def test_bulk_status_change_with_one_public_message(client, reporting, moderator, django_capture_on_commit_callbacks):
    page = reporting["it"]
    reports = [ReportFactory(page=page), ReportFactory(page=page, category=lighting())]
    for report in reports:
        ReportFollower.objects.create(report=report, user=report.user, is_reporter=True, language="it")
    client.force_login(moderator)
    confirm = html(client.get(bulk_url(*reports)))
    assert confirm.select_one("select[name=status]") and confirm.select_one("textarea[name=message]")
    assert not confirm.select("select[name=status] option[value=duplicate]")
    assert client.post(bulk_url(*reports), {"status": "in_progress", "message": ""}).status_code == 200
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(bulk_url(*reports), {"status": "in_progress", "message": "Lavori iniziati."})
    assert response.status_code == 302
    for report in reports:
        report.refresh_from_db()
        assert report.status == ReportStatus.IN_PROGRESS
        update = report.updates.get()
        assert update.message == "Lavori iniziati." and update.office_name == report.office.name
    assert {m.to[0] for m in mail.outbox} == {report.user.email for report in reports}
    assert ModelLogEntry.objects.filter(action="participation.report.status").count() == 2


# --- per-office staff -----------------------------------------------------------------------------


def test_office_staff_see_and_answer_only_their_offices_reports(client, reporting):
    page = reporting["it"]
    light_office = ReportOffice.objects.get(name="Servizio Illuminazione")
    member = office_member(light_office)
    mine = ReportFactory(page=page, category=lighting())
    theirs = ReportFactory(page=page)
    client.force_login(member)

    response = client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == references(mine)
    assert listed(client.get(LIST, {"q": theirs.reference})) == set()
    office_options = {o.get_text(strip=True) for o in html(response).select("select[name=office] option") if o["value"]}
    assert office_options == {"Servizio Illuminazione"}

    assert client.get(edit_url(mine)).status_code == 200
    for url in (edit_url(theirs), history_url(theirs)):
        assert denied(client.get(url)), url
    assert denied(client.post(edit_url(theirs), {"action": "note", "note": "Non mia"}))
    assert not theirs.updates.exists()
    chooser = reverse("wagtailsnippetchoosers_participation_report:choose_results")
    chosen = client.get(chooser).content.decode()
    assert mine.reference in chosen and theirs.reference not in chosen
    chosen_url = reverse("wagtailsnippetchoosers_participation_report:chosen", args=[theirs.pk])
    not_found = client.get(chosen_url)  # a 404 (which the site's LocaleMiddleware turns into a redirect)
    assert not_found.status_code == 404 or not_found["Location"] == f"/it{chosen_url}"

    # The bulk action leaves out another office's reports.
    confirm = text(client.get(bulk_url(mine, theirs)))
    assert "assigned to another office" in confirm
    client.post(bulk_url(mine, theirs), {"status": "acknowledged", "message": "Presa in carico."})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == ReportStatus.ACKNOWLEDGED and theirs.status == ReportStatus.NEW

    # Handing a report to another office takes it out of their inbox.
    response = client.post(
        edit_url(mine),
        {"action": "status", "status": "acknowledged", "message": "Non è nostra.", "office": theirs.office_id},
    )
    assert response.status_code == 302 and response["Location"] == LIST
    assert denied(client.get(edit_url(mine)))

    # The dashboard and the statistics count their reports only.
    ReportFactory(page=page, category=lighting())
    panel = html(client.get(reverse("wagtailadmin_home"))).select_one("#open-reports-heading").find_parent("section")
    assert [int(cell.get_text()) for cell in panel.select("[data-status-count]")] == [1, 0, 0]
    stats = html(client.get(reverse("report_statistics")))
    assert stats.select_one("#report-times tfoot td").get_text() == "1"


@pytest.mark.parametrize("who", ["editor", "citizen", "results"])
def test_editors_and_citizens_never_reach_the_inbox(client, reporting, who):
    from tests.factories import ResultsFactory

    report = ReportFactory(page=reporting["it"])
    user = {"editor": EditorFactory, "citizen": UserFactory, "results": ResultsFactory}[who]()
    client.force_login(user)
    for url in (LIST, edit_url(report), history_url(report), reverse("report_statistics"), bulk_url(report)):
        response = client.get(url)
        if who == "citizen":
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url
        else:
            assert denied(response), (who, url)
    response = client.post(edit_url(report), {"action": "text", "hidden": "1"})
    assert response.status_code in (302, 403)
    report.refresh_from_db()
    assert not report.text_hidden
    home = client.get(reverse("wagtailadmin_home"))
    assert b"open-reports-heading" not in home.content


# --- dashboard and statistics ---------------------------------------------------------------------


def test_the_dashboard_counts_open_reports_by_status_and_category(client, reporting, moderator):
    page = reporting["it"]
    ReportFactory(page=page)
    ReportFactory(page=page)
    lamp = ReportFactory(page=page, category=lighting())
    done = ReportFactory(page=page)
    Report.objects.filter(pk=lamp.pk).update(status=ReportStatus.IN_PROGRESS)
    Report.objects.filter(pk=done.pk).update(status=ReportStatus.CLOSED)
    client.force_login(moderator)
    panel = html(client.get(reverse("wagtailadmin_home"))).select_one("#open-reports-heading").find_parent("section")
    assert "3 reports wait" in panel.get_text(" ", strip=True)
    statuses = {
        row.th.get_text(strip=True): (int(row.td.get_text()), row.a["href"])
        for row in panel.select("tr")
        if row.select_one("[data-status-count]")
    }
    assert statuses == {
        "New": (2, f"{LIST}?status=new"),
        "Acknowledged": (0, f"{LIST}?status=acknowledged"),
        "In progress": (1, f"{LIST}?status=in_progress"),
    }
    categories = {
        row.th.get_text(strip=True): (int(row.td.get_text()), row.a["href"])
        for row in panel.select("tr")
        if row.select_one("[data-category-count]")
    }
    assert categories == {
        "Potholes": (2, f"{LIST}?category={potholes().translation_key}&status=open"),
        "Street lighting": (1, f"{LIST}?category={lighting().translation_key}&status=open"),
    }
    assert listed(client.get(categories["Potholes"][1])) == set(
        Report.objects.filter(category_key=potholes().translation_key, status="new").values_list("reference", flat=True)
    )


def test_statistics_give_medians_and_the_reporters_answers(client, reporting, moderator):
    page = reporting["it"]
    start = timezone.now() - timedelta(days=30)
    for hours, resolved_days, fixed in ((2, 1, True), (4, 3, False), (9, 5, None)):
        report = ReportFactory(page=page, created_at=start)
        Report.objects.filter(pk=report.pk).update(
            status=ReportStatus.RESOLVED,
            first_response_at=start + timedelta(hours=hours),
            resolved_at=start + timedelta(days=resolved_days),
            fixed=fixed,
            questionnaire_sent_at=start + timedelta(days=20),
        )
    ReportFactory(page=page, created_at=start)  # open, never answered
    ReportFactory(page=page, category=lighting())
    client.force_login(moderator)
    response = client.get(reverse("report_statistics"))
    assert response.status_code == 200
    page_html = html(response)
    times = page_html.select_one("#report-times")
    assert times.caption and all(th.get("scope") in ("col", "row") for th in times.select("th"))
    rows = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")]
        for row in times.select("tbody tr")
    }
    assert rows["Potholes"] == ["4", "1", "4.0 hours", "3.0 days"]
    assert rows["Street lighting"] == ["1", "1", "—", "—"]
    total = [td.get_text(strip=True) for td in times.select("tfoot td")]
    assert total == ["5", "2", "4.0 hours", "3.0 days"]
    answers = page_html.select_one("#report-questionnaire")
    assert answers.caption
    answer_rows = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")]
        for row in answers.select("tbody tr")
    }
    assert answer_rows["Potholes"] == ["1", "1", "1"]
    assert answer_rows["Street lighting"] == ["0", "0", "0"]


@translation.override("en")
def test_durations_read_in_minutes_hours_or_days():
    assert duration_text(None) == "—"
    assert duration_text(30 * 60) == "30 minutes"
    assert duration_text(36 * 3600) == "36.0 hours"
    assert duration_text(72 * 3600) == "3.0 days"


@translation.override("en")
def test_statistics_of_no_reports(reporting):
    rows = category_statistics(Report.objects.none(), category_map("en"))
    assert [row["name"] for row in rows] == ["Potholes", "Street lighting", "All categories"]
    assert all(row["reports"] == 0 and row["answer_median"] is None for row in rows)


# --- query counts ---------------------------------------------------------------------------------


def test_the_listing_and_a_report_take_a_fixed_number_of_queries(
    client, reporting, moderator, django_assert_max_num_queries
):
    page = reporting["it"]
    for _ in range(3):
        add_photo(ReportFactory(page=page))
    client.force_login(moderator)
    client.get(LIST)  # warm the per-process caches (content types, site, permissions...)

    def measure():
        with django_assert_max_num_queries(25):  # 15 today, whatever the number of reports
            response = client.get(LIST)
        assert response.status_code == 200
        with django_assert_max_num_queries(25):
            assert client.get(LIST, {"status": "open", "has_photos": "true"}).status_code == 200
        with django_assert_max_num_queries(35):  # 25 with its photos' first renditions, then 18
            assert client.get(edit_url(Report.objects.first())).status_code == 200
        return len(listed(response))

    assert measure() == 3
    for _ in range(37):
        ReportFactory(page=page, category=lighting())
    assert measure() == 40


# --- categories, offices, Open311 keys ------------------------------------------------------------


def test_editors_keep_categories_and_offices(client, reporting):
    editor = in_english(EditorFactory())
    client.force_login(editor)
    categories = client.get(reverse("wagtailsnippets_participation_reportcategory:list"))
    assert categories.status_code == 200 and "Buche" in categories.content.decode()
    offices = client.get(reverse("wagtailsnippets_participation_reportoffice:list"))
    assert offices.status_code == 200 and "Servizio Illuminazione" in offices.content.decode()
    office = ReportOffice.objects.get(name="Servizio Illuminazione")
    member = office_member(ReportOffice.objects.get(name="Servizio Manutenzione Strade"))
    citizen = UserFactory(username="cittadina-qualunque")
    edit = client.get(reverse("wagtailsnippets_participation_reportoffice:edit", args=[office.pk]))
    assert edit.status_code == 200
    choices = {option.get_text(strip=True) for option in html(edit).select("select[name=members] option")}
    assert member.username in choices and citizen.username not in choices  # staff, not every citizen
    response = client.post(
        reverse("wagtailsnippets_participation_reportoffice:edit", args=[office.pk]),
        {"name": office.name, "name_en": "Street lighting", "email": office.email, "members": [member.pk]},
    )
    assert response.status_code == 302
    assert list(office.members.all()) == [member]
    response = client.get(reverse("wagtailsnippets_participation_open311key:list"))
    assert response.status_code in (302, 403)


def test_open311_keys_are_shown_once_and_stored_hashed(client, reporting, moderator):
    client.force_login(moderator)
    add = reverse("wagtailsnippets_participation_open311key:add")
    assert client.get(add).status_code in (302, 403)
    admin = in_english(AdminFactory())
    client.force_login(admin)
    response = client.post(add, {"name": "Comune app", "is_active": "on"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = html(response).select_one("#open311-key")["value"]
    stored = Open311Key.objects.get(name="Comune app")
    assert len(key) >= 40 and stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.prefix == key[:8]
    listing = client.get(reverse("wagtailsnippets_participation_open311key:list")).content.decode()
    assert stored.prefix in listing and key not in listing
    edit = client.get(reverse("wagtailsnippets_participation_open311key:edit", args=[stored.pk])).content.decode()
    assert key not in edit and stored.key_hash not in edit
