"""Hostile input on neighbourhood reports (issue 13's fuzz suite, for the reports page type): any text, any
coordinates, any category, street and question values, forged ids, any query string. Never a 500, never
stored markup shown as markup, never half a report."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from hypothesis import event, given
from hypothesis import strategies as st

from participation.models import Report, ReportFollower, ReportingPage
from participation.reports import categories_in
from tests.factories import ReportFactory, ReportingPageFactory, UserFactory, report_category
from tests.strategies import hostile_field, hostile_number, hostile_text
from tests.test_hostile_input import FUZZ, assert_no_injected_markup, squeeze
from tests.test_ideas_hostile import COORDINATES

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def reporting(module_tree, django_db_blocker):
    with django_db_blocker.unblock():
        report_category("Buche", "Potholes", "potholes", questions=[("Pericoloso?", "yes_no", (), True)])
        report_category("Rifiuti", "Waste", "waste", questions=[("Tipo", "choice", ("Sacchi", "Mobili"), False)])
        page = ReportingPageFactory(parent=module_tree["consultation"]["it"])
        return {"page": page.pk, "report": ReportFactory(page=page).pk}


@pytest.fixture
def signed_in(db, reporting):
    client = Client()
    client.force_login(UserFactory(username="fuzzer"))
    return client


@FUZZ
@given(
    title=hostile_text(max_size=140),
    description=hostile_text(),
    latitude=hostile_field(COORDINATES),
    longitude=hostile_field(COORDINATES),
    house_number=hostile_text(max_size=60),
    choice=st.data(),
)
def test_any_report_form_is_a_whole_report_or_nothing(
    signed_in, reporting, title, description, latitude, longitude, house_number, choice
):
    from django.core.cache import cache

    cache.clear()  # rate-limit counters
    page = ReportingPage.objects.get(pk=reporting["page"])
    categories = categories_in("it")
    codes = [code for category in categories for code, *_rest in category.question_list]
    pool = [str(category.pk) for category in categories] + ["", "0", "-1", "99999999999999999999", "<script>"]
    data = {
        "title": title,
        "description": description,
        "latitude": latitude,
        "longitude": longitude,
        "house_number": house_number,
        "category": choice.draw(hostile_field(st.sampled_from(pool))),
        "street": choice.draw(hostile_field(st.sampled_from(["", "0", "5", "127", "128", "-1", "x", "1e9"]))),
        "private": choice.draw(st.sampled_from(["", "on", "<b>"])),
    }
    for code in codes:
        data[f"q_{code}"] = choice.draw(hostile_field(st.sampled_from(["yes", "no", "0", "1", "7", "", "<i>x</i>"])))
    before = Report.objects.count()
    response = signed_in.post(page.url + "new/", data)
    assert response.status_code < 500
    assert_no_injected_markup(BeautifulSoup(response.content.decode(), "html.parser"))
    if response.status_code == 303:
        summary = signed_in.get(response["Location"])
        assert summary.status_code == 200
        assert_no_injected_markup(summary.content.decode())
        sent = signed_in.post(page.url + "new/check/")
        assert sent.status_code == 303
        event("stored")
        report = Report.objects.latest("pk")
        assert Report.objects.count() == before + 1
        assert page.contains(report.latitude, report.longitude)
        shown = signed_in.get(f"{page.url}{report.pk}/")
        assert_no_injected_markup(shown.content.decode())
        heading = BeautifulSoup(shown.content.decode(), "html.parser").h1
        assert squeeze(heading.get_text()) == squeeze(report.title)
    else:
        event(f"refused {response.status_code}")
        assert Report.objects.count() == before


@FUZZ
@given(report_id=hostile_number(), action=st.sampled_from(["", "stop", "<b>"]), query=hostile_text())
def test_any_report_address_or_query_answers_without_an_error(signed_in, reporting, report_id, action, query):
    page = ReportingPage.objects.get(pk=reporting["page"])
    before = ReportFollower.objects.count()
    for url in (f"{page.url}{report_id}/", f"{page.url}{report_id}/fixed/", f"{page.url}{report_id}/emails/"):
        assert signed_in.get(url).status_code < 500
    for url in (f"{page.url}{report_id}/follow/", f"{page.url}{report_id}/fixed/", f"{page.url}{report_id}/emails/"):
        assert (
            signed_in.post(url, {"follow": action, "fixed": action, "comment": query, "notify": action}).status_code
            < 500
        )
    assert ReportFollower.objects.count() <= before + 1
    for params in (
        {"category": query, "status": query, "page": query},
        {"district": query, "since": query},
        {"since": "2026-02-31"},
    ):
        assert signed_in.get(page.url, params).status_code < 500
        assert Client().get(page.url + "reports.geojson", params).status_code < 500
    assert signed_in.get(f"{page.url}received/{query[:20]}/").status_code < 500
    assert signed_in.get(f"{page.url}new/photo/2/").status_code == 404


def test_control_characters_in_answers_and_messages_are_dropped_not_a_500(signed_in, reporting):
    """PostgreSQL refuses NUL in text: what citizens and staff write is cleaned before it is stored."""
    from participation.models import ReportStatus, ReportUpdate
    from participation.reports import add_note, change_status

    page = ReportingPage.objects.get(pk=reporting["page"])
    report = Report.objects.get(pk=reporting["report"])
    change_status(report=report, status=ReportStatus.RESOLVED, message="Riparata\x00.")
    add_note(report=report, message="Nota\x00", user=None)
    client = Client()
    client.force_login(report.user)
    response = client.post(f"{page.url}{report.pk}/fixed/", {"fixed": "no", "comment": "Ancora\x00 rotta"})
    assert response.status_code == 302
    messages = set(ReportUpdate.objects.filter(report=report).values_list("message", flat=True))
    assert messages == {"Riparata.", "Nota", "Ancora rotta"}
