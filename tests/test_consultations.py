"""Consultation pages: status from phases, timeline, the filtered index, the admin map widget.

Built with tests/factories.py (three processes like the demo's, once per module); the demo's own
details (consultations/demo.py) are checked in test_seed.py.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import wagtail_factories
from bs4 import BeautifulSoup
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext_lazy
from wagtail.models import Locale

from consultations.models import ConsultationPage, ConsultationPhase, Status, status_for
from consultations.topics import VOCABULARY
from tests.conftest import fresh, kept_for_module
from tests.factories import (
    ConsultationIndexPageFactory,
    ConsultationPageFactory,
    PollPageFactory,
    build_site,
    phase,
    topic,
    translate,
    translated_pair,
)

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def translated(message, language):
    with translation.override(language):
        return str(message)


# Three processes like the demo's (Parco Dora, AxTO, reports): all open today, with topics and areas.
PROCESSES = [
    {
        "it": {"title": "Parco Dora: co-progettiamo l'area", "slug": "parco-dora"},
        "en": {"title": "Parco Dora: let's design the area together"},
        "topics": ["Spazio verde", "Urbanizzazione"],
        "organiser": ("Città di Torino – Divisione Urbanistica", "City of Turin – Urban Planning Division"),
        "location": "SRID=4326;POINT(7.6695 45.0875)",
        "zoom": 15,
        "phases": [
            ("Informazione", "Information", -40, -21, False),
            ("Raccolta di idee", "Ideas", -20, 20, False),
            ("Scelta della disposizione", "Choice of layout", 21, 45, False),
            ("Risultati", "Results", 46, 75, True),
        ],
    },
    {
        "it": {"title": "AxTO: scegli i progetti culturali", "slug": "axto"},
        "en": {"title": "AxTO: choose the cultural projects"},
        "topics": ["Patrimonio culturale", "Urbanizzazione"],
        "organiser": ("Città di Torino – Area Periferie e AxTO", "City of Turin – AxTO Department"),
        "location": "SRID=4326;POINT(7.6869 45.0703)",
        "zoom": 12,
        "phases": [
            ("Presentazione dei progetti", "Project presentation", -30, -8, False),
            ("Voto", "Vote", -7, 21, False),
            ("Risultati", "Results", 22, 60, True),
        ],
    },
    {
        "it": {"title": "Segnala nel tuo quartiere", "slug": "segnala"},
        "en": {"title": "Report in your neighbourhood", "slug": "report"},
        "topics": ["Urbanizzazione"],
        "organiser": ("Città di Torino – Servizio Circoscrizioni", "City of Turin – District Councils Service"),
        "location": "SRID=4326;POINT(7.6858 45.0705)",
        "zoom": 12,
        "phases": [("Sempre aperto", "Always open", -365, 5 * 365, False)],
    },
]


@pytest.fixture(scope="module")
def module_site(django_db_setup, django_db_blocker):
    with kept_for_module(django_db_blocker):
        home = build_site()
        index = translated_pair(
            ConsultationIndexPageFactory(parent=home["it"], slug="partecipa"), title="Take part", slug="take-part"
        )
        image = wagtail_factories.ImageFactory(title="Parco Dora")
        processes = []
        for spec in PROCESSES:
            italian = ConsultationPageFactory(
                parent=index["it"],
                title=spec["it"]["title"],
                slug=spec["it"]["slug"],
                organiser=spec["organiser"][0],
                location=spec["location"],
                zoom=spec["zoom"],
                image=image if not processes else None,
                phases=[phase(it, start, end, is_results) for it, _en, start, end, is_results in spec["phases"]],
                topics=spec["topics"],
            )
            english = translate(
                italian,
                title=spec["en"]["title"],
                slug=spec["en"].get("slug", italian.slug),
                organiser=spec["organiser"][1],
                phases=[en for _it, en, *_rest in spec["phases"]],
            )
            processes.append({"it": ConsultationPage.objects.get(pk=italian.pk), "en": english})
        poll = PollPageFactory(parent=processes[0]["it"], slug="disposizione")
        translate(poll, title="Park layout", options=["Meadow", "Gardens", "Square"])
        yield {"home": home, "index": index, "processes": processes}


@pytest.fixture
def site_pages(db, module_site):
    return fresh({"home": module_site["home"], "index": module_site["index"]})


@pytest.fixture
def index(site_pages):
    """The process index in both languages."""
    return site_pages["index"]


@pytest.fixture
def consultations(db, module_site):
    """The three processes [Parco Dora, AxTO, reports], each {"it": page, "en": translation}."""
    return [fresh({"pair": pair})["pair"] for pair in module_site["processes"]]


def make_process(index, title, phases=(), topics=(), image=None):
    """A published process under ``index``; phases are (start, end, is_results) tuples."""
    return ConsultationPageFactory(
        parent=index,
        title=title,
        slug=title.lower().replace(" ", "-"),
        summary=f"{title}.",
        image=image,
        organiser="Città di Torino",
        phases=[
            phase(f"Fase {order + 1}", start, end, is_results) for order, (start, end, is_results) in enumerate(phases)
        ],
        topics=list(topics),
    )


# --- status ---------------------------------------------------------------------------------

START, END = date(2026, 3, 1), date(2026, 3, 10)
RESULTS = date(2026, 3, 20)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (START - DAY, "upcoming"),
        (START, "open"),
        (END, "open"),  # the whole end day is still open
        (END + DAY, "closed"),  # results phase not started yet
        (RESULTS - DAY, "closed"),
        (RESULTS, "results"),
        (RESULTS + 100 * DAY, "results"),
    ],
)
def test_status_at_phase_boundaries(index, today, expected):
    index = index["it"]
    page = make_process(
        index,
        "Confini",
        [(START, date(2026, 3, 5), False), (date(2026, 3, 6), END, False), (RESULTS, date(2026, 4, 30), True)],
    )
    assert status_for(START, END, RESULTS, today) == expected
    assert page.get_status(today) == expected
    # The database computes the same status for listings.
    assert ConsultationPage.objects.filter(pk=page.pk).with_status(today).get().computed_status == expected


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        ([], "open"),  # no phases: open
        ([(START, END, False)], "closed"),  # after the window, no results phase
        ([(START - 30 * DAY, START - DAY, True)], "results"),  # only a results phase, started
        ([(END, END + DAY, True)], "open"),  # only a results phase, not started yet
    ],
)
def test_status_without_a_full_set_of_phases(index, phases, expected):
    page = make_process(index["it"], "Senza fasi", phases)
    today = END + 5 * DAY if phases and not phases[0][2] else START
    assert page.get_status(today) == expected
    assert ConsultationPage.objects.filter(pk=page.pk).with_status(today).get().computed_status == expected


def test_status_properties_use_today_in_rome(index, monkeypatch):
    page = make_process(index["it"], "Mezzanotte", [(START, END, False)])
    # 23:30 UTC on the last day is already the next day in Rome: the process has closed.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    assert timezone.localdate() == END + DAY
    assert page.status == "closed"
    assert page.is_open is False
    assert page.current_phase is None

    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 10, 22, 30, tzinfo=UTC))
    assert page.status == Status.OPEN == "open"
    assert page.is_open is True
    assert page.current_phase.name == "Fase 1"
    assert translated(page.status_label, "en") == "Open"


def test_current_phase_is_the_phase_containing_today(index, monkeypatch):
    page = make_process(index["it"], "Corrente", [(START, END, False), (END + DAY, END + 10 * DAY, False)])
    assert page.get_current_phase(START - DAY) is None
    assert page.get_current_phase(END).name == "Fase 1"
    assert page.get_current_phase(END + DAY).name == "Fase 2"
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: END + 3 * DAY)
    assert page.current_phase.name == "Fase 2"
    assert page.status == "open"


# --- phases ---------------------------------------------------------------------------------


def test_phase_ending_before_it_starts_is_rejected(consultations):
    page = consultations[0]["it"]
    phase = ConsultationPhase(page=page, name="Al contrario", start=END, end=START)
    with pytest.raises(ValidationError) as error:
        phase.full_clean()
    assert "end" in error.value.message_dict
    # A one-day phase is fine.
    ConsultationPhase(page=page, name="Un giorno", start=START, end=START, locale=page.locale).full_clean()
    # And the database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationPhase.objects.create(page=page, name="Al contrario", start=END, end=START)


def test_admin_form_rejects_a_phase_ending_before_it_starts(client, consultations, admin_user):
    page = consultations[2]["it"]
    client.force_login(admin_user)
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]),
        {
            "title": page.title,
            "slug": page.slug,
            "summary": page.summary,
            "image": page.image_id or "",
            "image_alt": page.image_alt,
            "organiser": page.organiser,
            "contact_email": page.contact_email,
            "topics": [chosen.pk for chosen in page.topics.all()],
            "location": page.location,
            "zoom": page.zoom,
            "data_licence": page.data_licence,
            "phases-TOTAL_FORMS": "1",
            "phases-INITIAL_FORMS": "0",
            "phases-MIN_NUM_FORMS": "0",
            "phases-MAX_NUM_FORMS": "1000",
            "phases-0-name": "Al contrario",
            "phases-0-start": "2026-03-10",
            "phases-0-end": "2026-03-01",
            "phases-0-description": "",
            "phases-0-ORDER": "1",
            "phases-0-DELETE": "",
            "phases-0-id": "",
            "body-count": "0",
            "action-publish": "action-publish",
        },
    )
    assert response.status_code == 200  # the form comes back with the error
    phase_errors = response.context["form"].formsets["phases"].errors
    assert any("end" in errors for errors in phase_errors), phase_errors
    assert not page.phases.filter(name="Al contrario").exists()


# --- the consultation page ------------------------------------------------------------------


@pytest.mark.parametrize(("code", "current_phase"), [("it", "Raccolta di idee"), ("en", "Ideas")])
def test_page_shows_timeline_with_current_phase_and_status(client, consultations, code, current_phase):
    page = consultations[0][code]
    response = client.get(page.url)
    assert response.status_code == 200
    html = soup(response)
    assert html.html["lang"] == code
    assert len(html.find_all("h1")) == 1

    steps = html.select("ol.consultation-timeline > li")
    assert len(steps) == 4
    current = html.select("ol.consultation-timeline > li[aria-current=step]")
    assert len(current) == 1
    assert current_phase in current[0].get_text()
    # The current phase says so in words, not only in colour.
    assert translated(pgettext_lazy("phase", "current"), code) in current[0].get_text()

    badge = html.select_one(".consultation-status")
    assert translated(Status.OPEN.label, code) in badge.get_text()
    text = html.get_text()
    assert page.organiser in text
    assert html.select_one(f"a[href='mailto:{page.contact_email}']")
    # Topics link to the index filtered by that topic.
    topic_links = [a["href"] for a in html.select(".consultation-topics a")]
    assert topic_links and all(href.startswith(page.get_parent().url + "?topic=") for href in topic_links)


def test_page_lists_its_participation_pages(client, consultations):
    from wagtail.models import Page

    page = consultations[0]["it"]
    children = list(page.get_children().live().public())
    assert children, "the demo has a poll under Parco Dora"
    html = soup(client.get(page.url))
    hrefs = {a["href"] for a in html.select(".consultation-participation a")}
    assert {Page.objects.get(pk=child.pk).url for child in children} <= hrefs


def test_page_shows_the_status_of_a_closed_process(client, index):
    today = timezone.localdate()
    page = make_process(index["en"], "Finished", [(today - 20 * DAY, today - 10 * DAY, False)])
    html = soup(client.get(page.url))
    assert "Closed" in html.select_one(".consultation-status").get_text()
    assert not html.select("ol.consultation-timeline > li[aria-current]")


# --- the index ------------------------------------------------------------------------------


@pytest.fixture
def mixed_processes(index, consultations):
    """The three processes (all open) plus one upcoming, one with results and one closed, in Italian."""
    today = timezone.localdate()
    index = index["it"]
    return {
        "upcoming": make_process(
            index, "In arrivo", [(today + 5 * DAY, today + 30 * DAY, False)], topics=["Patrimonio culturale"]
        ),
        "results": make_process(
            index, "Con risultati", [(today - 40 * DAY, today - 10 * DAY, False), (today - 9 * DAY, today, True)]
        ),
        "closed": make_process(index, "Chiusa", [(today - 40 * DAY, today - 1 * DAY, False)]),
    }


def card_titles(response):
    return [a.get_text(strip=True) for a in soup(response).select(".card-title a")]


def test_index_lists_open_processes_first(client, index, consultations, mixed_processes):
    titles = card_titles(client.get(index["it"].url))
    open_titles = [pair["it"].title for pair in consultations]
    assert len(open_titles) == 3
    assert set(titles[:3]) == set(open_titles)
    assert titles[3:] == ["In arrivo", "Con risultati", "Chiusa"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("upcoming", ["In arrivo"]), ("results", ["Con risultati"]), ("closed", ["Chiusa"])],
)
def test_index_filters_by_status(client, index, mixed_processes, status, expected):
    response = client.get(index["it"].url, {"status": status})
    assert card_titles(response) == expected
    html = soup(response)
    assert html.select_one("select#id_status option[selected]")["value"] == status


def test_index_filters_by_topic_and_status_together(client, index, consultations, mixed_processes):
    url = index["it"].url
    parco, axto = consultations[0]["it"], consultations[1]["it"]
    assert card_titles(client.get(url, {"topic": "spazio-verde"})) == [parco.title]
    assert set(card_titles(client.get(url, {"topic": "patrimonio-culturale"}))) == {axto.title, "In arrivo"}
    assert card_titles(client.get(url, {"topic": "patrimonio-culturale", "status": "open"})) == [axto.title]
    # Unknown values are ignored rather than failing.
    assert len(card_titles(client.get(url, {"topic": "nope", "status": "nope"}))) == 6


def test_index_in_english_lists_english_pages_and_topics(client, index, consultations):
    html = soup(client.get(index["en"].url))
    assert set(card_titles_from(html)) == {pair["en"].title for pair in consultations}
    topics = [option["value"] for option in html.select("select#id_topic option") if option["value"]]
    assert set(topics) == {"green-spaces", "cultural-heritage", "urban-development"}
    assert "spazio-verde" not in topics


def card_titles_from(html):
    return [a.get_text(strip=True) for a in html.select(".card-title a")]


def test_index_filter_form_is_accessible(client, index, consultations):
    html = soup(client.get(index["it"].url))
    form = html.select_one("form.consultation-filters")
    assert form["method"] == "get"
    for select in form.select("select"):
        assert form.select_one(f"label[for={select['id']}]").get_text(strip=True)
    assert form.select_one("button[type=submit]")


def test_index_cards_show_status_and_dates(client, index, consultations):
    html = soup(client.get(index["en"].url))
    cards = html.select("main .card")  # the page clarity question below the main content is a card too
    assert len(cards) == 3
    for card in cards:
        assert card.select_one(".consultation-status").get_text(strip=True).endswith("Open")
        assert len(card.select(".consultation-card-dates time")) == 2


def test_index_paginates_twelve_per_page_keeping_filters(client, index, consultations):
    index = index["it"]
    today = timezone.localdate()
    for number in range(14):
        make_process(index, f"Futuro {number:02d}", [(today + DAY, today + 10 * DAY, False)])
    first = client.get(index.url, {"status": "upcoming"})
    assert len(card_titles(first)) == 12
    next_link = soup(first).select_one(".pagination a")
    assert next_link["href"] == "?status=upcoming&page=2"
    second = client.get(index.url, {"status": "upcoming", "page": 2})
    assert len(card_titles(second)) == 2
    assert not set(card_titles(first)) & set(card_titles(second))
    assert client.get(index.url, {"page": 99}).status_code == 200


def test_index_query_count_is_the_same_with_3_and_20_processes(
    client, index, consultations, django_assert_max_num_queries
):
    index = index["it"]
    image = consultations[0]["it"].image
    assert image is not None
    today = timezone.localdate()
    client.get(index.url)  # warm caches (site, locales)

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(index.url, params)
        assert response.status_code == 200
        return len(queries.captured_queries)

    before = {key: count(params) for key, params in {"all": {}, "filtered": {"topic": "urbanizzazione"}}.items()}
    for number in range(17):
        make_process(
            index,
            f"Processo {number:02d}",
            [(today - 10 * DAY, today + number * DAY, False), (today + 30 * DAY, today + 40 * DAY, True)],
            topics=["Urbanizzazione", VOCABULARY[number][0]],
            image=image,
        )
    assert index.get_children().live().count() == 20
    client.get(index.url)  # new pages rebuild the cached site chrome once (home/chrome.py)
    after = {key: count(params) for key, params in {"all": {}, "filtered": {"topic": "urbanizzazione"}}.items()}
    assert after == before
    with django_assert_max_num_queries(30):
        assert client.get(index.url, {"page": 2}).status_code == 200


# --- admin ----------------------------------------------------------------------------------


def test_admin_edit_view_renders_with_our_leaflet(client, consultations, admin_user):
    client.force_login(admin_user)
    page = consultations[0]["it"]
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "unpkg.com" not in content
    assert "/static/vendor/leaflet/leaflet.js" in content
    assert "/static/vendor/leaflet/leaflet.css" in content
    assert 'data-controller="leaflet-field"' in content
    assert "7.6695" in content  # the stored point is the map's starting location


def test_admin_creates_and_previews_a_new_process(client, index, admin_user):
    client.force_login(admin_user)
    index = index["it"]
    assert (
        client.get(reverse("wagtailadmin_pages:add", args=["consultations", "consultationpage", index.pk])).status_code
        == 200
    )
    data = {
        "title": "Nuovo processo",
        "slug": "nuovo-processo",
        "summary": "In anteprima.",
        "topics": [str(topic("Spazio verde").pk), str(topic("Zone pedonali").pk)],
        "location": "SRID=4326;POINT(7.6869 45.0703)",
        "zoom": "12",
        "data_licence": "cc-by-4.0",
        "phases-TOTAL_FORMS": "1",
        "phases-INITIAL_FORMS": "0",
        "phases-MIN_NUM_FORMS": "0",
        "phases-MAX_NUM_FORMS": "1000",
        "phases-0-name": "Fase in anteprima",
        "phases-0-start": "2020-01-01",
        "phases-0-end": "2040-12-31",
        "phases-0-ORDER": "1",
        "body-count": "0",
    }
    preview = reverse("wagtailadmin_pages:preview_on_add", args=["consultations", "consultationpage", index.pk])
    assert client.post(preview, data).json()["is_valid"]
    response = client.get(preview)  # an unsaved page: no comment thread, but phases and topics show
    assert response.status_code == 200
    assert "Fase in anteprima" in response.content.decode()
    assert "Zone pedonali" in response.content.decode()

    response = client.post(
        reverse("wagtailadmin_pages:add", args=["consultations", "consultationpage", index.pk]),
        {**data, "action-publish": "action-publish"},
    )
    assert response.status_code == 302
    page = ConsultationPage.objects.get(slug="nuovo-processo")
    assert page.live and page.point == {"lat": 45.0703, "lng": 7.6869}
    assert [(phase.name, phase.locale_id) for phase in page.phases.all()] == [("Fase in anteprima", page.locale_id)]


def test_vendored_leaflet_files_are_served_by_us():
    for path in ("leaflet.js", "leaflet.css", "images/marker-icon.png", "images/layers.png", "LICENSE", "README.md"):
        assert finders.find(f"vendor/leaflet/{path}"), path


def test_admin_widget_media_points_at_static_files_we_serve():
    from django.apps import apps

    from consultations.panels import LocalLeafletField

    media = LocalLeafletField().media
    paths = [*media._js, *(path for paths in media._css.values() for path in paths)]
    assert all(not path.startswith(("http:", "https:", "//")) for path in paths), paths
    assert apps.is_installed("wagtailgeowidget")
    assert all(finders.find(path) for path in paths), paths


# --- translation ----------------------------------------------------------------------------


def test_wagtail_localize_translates_phases_as_copies_sharing_translation_key(client, index, admin_user):
    page = make_process(index["it"], "Da tradurre", [(START, END, False), (END + DAY, END + 9 * DAY, True)])
    page.location, page.zoom = "SRID=4326;POINT(7.6869 45.0703)", 12
    page.save_revision().publish()
    english = Locale.objects.get(language_code="en")
    client.force_login(admin_user)
    response = client.post(
        reverse("wagtail_localize:submit_page_translation", args=[page.pk]), {"locales": [english.pk]}
    )
    assert response.status_code == 302

    translation_page = ConsultationPage.objects.get(translation_key=page.translation_key, locale=english)
    assert translation_page.get_parent().pk == index["en"].pk
    source, copies = list(page.phases.all()), list(translation_page.phases.all())
    assert [phase.translation_key for phase in copies] == [phase.translation_key for phase in source]
    assert {phase.locale_id for phase in copies} == {english.pk}
    assert [(phase.start, phase.end, phase.is_results) for phase in copies] == [
        (phase.start, phase.end, phase.is_results) for phase in source
    ]
    # The map point is synchronised, not offered to translators as text.
    assert (translation_page.location, translation_page.zoom) == (page.location, page.zoom)
