"""Dates as people write them: Italian names in lower case, British English on the English interface."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.template import Context, Template
from django.utils import translation

from tests.factories import CommentFactory, ConsultationPageFactory, PollPageFactory, phase, translate

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
MONDAY_5PM = datetime(2027, 1, 4, 17, 0, tzinfo=ROME)


def render(template, language, **context):
    with translation.override(language):
        return Template("{% load civic_dates %}" + template).render(Context(context))


@pytest.mark.parametrize(
    ("language", "day", "moment"),
    [
        ("it", "4 gennaio 2027", "lunedì 4 gennaio 2027, 17:00"),
        ("en", "4 January 2027", "4 January 2027, 17:00"),
    ],
)
def test_filters_write_dates_as_people_do(language, day, moment):
    assert render("{{ d|long_date }}", language, d=date(2027, 1, 4)) == day
    assert render("{{ t|long_datetime }}", language, t=MONDAY_5PM) == moment
    # An aware datetime in another zone is shown in Europe/Rome time (16:00 UTC is 17:00 in Rome in winter).
    assert render("{{ t|long_datetime }}", language, t=MONDAY_5PM.astimezone(ZoneInfo("UTC"))) == moment
    assert render("{{ t|long_datetime }}", language, t=None) == ""


def test_english_formats_are_british():
    from django.utils.formats import date_format

    with translation.override("en"):
        assert date_format(date(2027, 1, 4)) == "4 January 2027"
        assert date_format(MONDAY_5PM.replace(tzinfo=None), "DATETIME_FORMAT") == "4 January 2027, 17:00"
        assert date_format(date(2027, 1, 4), "SHORT_DATE_FORMAT") == "04/01/2027"


def text(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_phase_dates_on_the_process_page(client, tree):
    italian = ConsultationPageFactory(
        parent=tree["index"]["it"], slug="date", phases=[phase("Idee", date(2027, 1, 4), date(2027, 1, 20))]
    )
    english = translate(italian, slug="dates", phases=["Ideas"])
    timeline = text(client, italian).select_one("ol.consultation-timeline").get_text(" ", strip=True)
    assert "4 gennaio 2027 – 20 gennaio 2027" in timeline
    assert "Gennaio" not in timeline
    timeline = text(client, english).select_one("ol.consultation-timeline").get_text(" ", strip=True)
    assert "4 January 2027 – 20 January 2027" in timeline
    assert "Jan." not in timeline


@pytest.mark.parametrize(
    ("window", "italian", "english"),
    [
        (
            {"opens_at": datetime(2026, 11, 1, tzinfo=ROME), "closes_at": MONDAY_5PM},
            "Fino a lunedì 4 gennaio 2027, 17:00",
            "Until 4 January 2027, 17:00",
        ),
        ({"opens_at": MONDAY_5PM, "closes_at": datetime(2027, 2, 1, 9, tzinfo=ROME)}, "Apre lunedì 4", "Opens on 4"),
    ],
)
def test_poll_dates_in_both_languages(client, tree, monkeypatch, window, italian, english):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 1, 12, tzinfo=ROME))
    poll = PollPageFactory(parent=tree["consultation"]["it"], slug="quando", **window)
    english_poll = translate(poll, slug="when")
    assert italian in text(client, poll).get_text(" ", strip=True)
    assert english in text(client, english_poll).get_text(" ", strip=True)


def test_closed_poll_date(client, tree):
    poll = PollPageFactory(
        parent=tree["consultation"]["it"],
        slug="chiuso",
        opens_at=datetime(2020, 1, 1, tzinfo=ROME),
        closes_at=MONDAY_5PM.replace(year=2021),
    )
    assert "Chiusa lunedì 4 gennaio 2021, 17:00" in text(client, poll).get_text(" ", strip=True)


def test_comment_times(client, tree):
    comment = CommentFactory(page=tree["consultation"]["it"])
    italian = text(client, tree["consultation"]["it"]).select_one(f"#c{comment.pk} time").get_text()
    english = text(client, tree["consultation"]["en"]).select_one(f"#c{comment.pk} time").get_text()
    assert re.fullmatch(r"[a-zì]+ \d{1,2} [a-z]+ \d{4}, \d{2}:\d{2}", italian), italian
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2}", english), english
