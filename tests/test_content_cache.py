"""What a page reads of the other pages (its translations, ancestors, a process's phases, topics and
participation pages) is kept in the cache until the content changes (``pagecache.until_content_changes``):
a logged-in citizen's process page costs the page, the session and the citizen's own state, and every change
an editor publishes still shows at once. The anonymous page cache is switched off here, so each request renders."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page

from consultations.models import ConsultationPhase
from tests.factories import (
    IdeaFactory,
    IdeaMapPageFactory,
    PollPageFactory,
    ReportFactory,
    ReportingPageFactory,
    StandardPageFactory,
    district,
    report_category,
    translate,
)


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}


@pytest.fixture
def signed_in(client, citizen):
    client.force_login(citizen)
    return client


def text(client, page):
    response = client.get(page if isinstance(page, str) else page.url)
    assert response.status_code == 200
    return response.content.decode()


def queries(client, url):
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured]


def test_a_logged_in_process_page_asks_only_for_the_page_and_the_citizen(signed_in, tree):
    """The page (routing), the session and the user, following the process, the thread's setting and the
    citizen's own: nothing about the process's phases, topics, ancestors, translations or children."""
    asked = queries(signed_in, tree["consultation"]["it"].url)
    assert len(asked) <= 8, "\n".join(asked)
    assert not any("consultations_consultationphase" in sql or "consultations_topic" in sql for sql in asked)
    assert sum('JOIN "wagtailcore_page"' in sql or 'FROM "wagtailcore_page"' in sql for sql in asked) == 1, "\n".join(
        asked
    )


def test_an_anonymous_render_of_a_process_page_is_one_page_query(tree):
    asked = queries(Client(), tree["consultation"]["en"].url)
    assert len(asked) <= 3, "\n".join(asked)


def test_a_published_phase_change_shows_at_once(signed_in, tree):
    consultation = tree["consultation"]["it"]
    assert "Fase del futuro" not in text(signed_in, consultation)
    phase = consultation.phases.first()
    consultation.phases.add(
        ConsultationPhase(name="Fase del futuro", start=phase.end, end=phase.end, locale=consultation.locale)
    )
    consultation.save_revision().publish()
    assert "Fase del futuro" in text(signed_in, Page.objects.get(pk=consultation.pk))


def test_a_phase_saved_outside_a_publication_shows_at_once(signed_in, tree):
    consultation = tree["consultation"]["it"]
    text(signed_in, consultation)
    phase = ConsultationPhase.objects.filter(page=consultation).first()
    phase.name = "Ascolto rinominato"
    phase.save()
    assert "Ascolto rinominato" in text(signed_in, consultation)


def test_a_new_participation_page_and_an_unpublished_one_show_at_once(signed_in, tree):
    consultation = tree["consultation"]["it"]
    assert "Dove mettiamo le panchine?" not in text(signed_in, consultation)
    poll = PollPageFactory(parent=consultation, title="Dove mettiamo le panchine?", slug="panchine")
    assert "Dove mettiamo le panchine?" in text(signed_in, consultation)
    poll.unpublish()
    assert "Dove mettiamo le panchine?" not in text(signed_in, consultation)


def test_a_renamed_ancestor_shows_at_once_in_the_breadcrumbs(signed_in, tree):
    consultation, index = tree["consultation"]["it"], tree["index"]["it"]
    page = StandardPageFactory(parent=consultation, title="Regolamento", slug="regolamento")
    assert "Parco Dora rinominato" not in text(signed_in, page)
    consultation.title = "Parco Dora rinominato"
    consultation.save_revision().publish()
    assert "Parco Dora rinominato" in text(signed_in, page)
    assert index.title in text(signed_in, page)


def test_a_new_translation_shows_at_once_in_the_language_links(signed_in, tree):
    page = StandardPageFactory(parent=tree["home"]["it"], title="Regolamento", slug="regolamento")
    assert '<link rel="alternate" hreflang="en"' not in text(signed_in, page)
    translate(page, title="Rules", slug="rules")
    html = text(signed_in, page)
    assert '<link rel="alternate" hreflang="en" href="http://testserver/en/rules/">' in html


def test_a_preview_shows_the_edited_phases_not_the_stored_ones(signed_in, tree):
    """The preview renders the page being edited: its phases are in memory, never read from the cache."""
    consultation = tree["consultation"]["it"]
    text(signed_in, consultation)  # the stored phases are now in the cache
    page = Page.objects.get(pk=consultation.pk).specific
    first = page.phases.first()
    page.phases.add(ConsultationPhase(name="Fase in anteprima", start=first.start, end=first.end))
    rendered = page.make_preview_request().content.decode()
    assert "Fase in anteprima" in rendered
    assert "Fase in anteprima" not in text(signed_in, consultation)


# --- a citizen's verified address, remembered -------------------------------------------------------------------


def test_a_citizen_s_verified_address_is_asked_for_once_then_remembered(signed_in, tree):
    asked = queries(signed_in, tree["consultation"]["it"].url)
    assert not any("account_emailaddress" in sql for sql in asked), "\n".join(asked)


def test_an_address_unverified_or_removed_closes_the_comment_form_at_once(signed_in, citizen, tree):
    consultation = tree["consultation"]["it"]
    assert 'class="comment-form"' in text(signed_in, consultation)
    address = EmailAddress.objects.get(user=citizen)
    address.verified = False
    address.save()
    assert 'class="comment-form"' not in text(signed_in, consultation)
    address.verified = True
    address.save()
    assert 'class="comment-form"' in text(signed_in, consultation)
    EmailAddress.objects.filter(user=citizen).delete()
    assert 'class="comment-form"' not in text(signed_in, consultation)


# --- the reporting vocabularies ---------------------------------------------------------------------------------


@pytest.fixture
def reported(tree):
    """A report of potholes in Circoscrizione 7 on a reporting page (Italian and English)."""
    category = report_category("Buche", "Potholes", "potholes")
    reporting = ReportingPageFactory(parent=tree["consultation"]["it"])
    translate(reporting, title="Reports", slug="reports")
    report = ReportFactory(page=reporting, category=category, district=district(7).number)
    return {"category": category, "url": f"{reporting.url}{report.pk}/"}


def test_a_report_page_reads_categories_and_districts_from_the_cache(signed_in, reported):
    asked = queries(signed_in, reported["url"])
    assert not any("participation_reportcategory" in sql or "participation_district" in sql for sql in asked)


def test_a_renamed_category_or_district_shows_at_once(signed_in, reported):
    assert "Buche" in text(signed_in, reported["url"])
    category = reported["category"]
    category.name = "Buche e avvallamenti"
    category.save()
    assert "Buche e avvallamenti" in text(signed_in, reported["url"])
    seven = district(7)
    seven.name = "Circoscrizione 7 (Aurora)"
    seven.save()
    assert "Circoscrizione 7 (Aurora)" in text(signed_in, reported["url"])


def test_an_idea_page_reads_its_map_s_categories_and_places_from_the_cache(signed_in, tree):
    idea_map = IdeaMapPageFactory(parent=tree["consultation"]["it"])
    place = idea_map.places.first()
    idea = IdeaFactory(page=idea_map, place_key=place.translation_key)
    url = f"{idea_map.url}{idea.pk}/"
    asked = queries(signed_in, url)
    assert not any("participation_ideacategory" in sql or "participation_ideaplace" in sql for sql in asked), asked
    assert "Verde" in text(signed_in, url) and place.name in text(signed_in, url)
    category = idea_map.categories.get(translation_key=idea.category_key)
    category.name = "Verde e alberi"
    category.save()
    place.name = "Ingresso di via Livorno, angolo Dora"
    place.save()
    page = text(signed_in, url)
    assert "Verde e alberi" in page and "Ingresso di via Livorno, angolo Dora" in page


def test_an_english_idea_page_reads_the_rules_of_its_italian_map_from_the_cache(signed_in, tree):
    idea_map = IdeaMapPageFactory(parent=tree["consultation"]["it"])
    english = translate(idea_map, title="Ideas", slug="ideas")
    idea = IdeaFactory(page=idea_map)
    asked = queries(signed_in, f"{english.url}{idea.pk}/")
    pages = sum('JOIN "wagtailcore_page"' in sql or 'FROM "wagtailcore_page"' in sql for sql in asked)
    assert pages == 1, "\n".join(asked)  # the routing's
    idea_map.closes_at = timezone.now() - timedelta(minutes=1)
    idea_map.save()  # as its publication does
    assert "Supports closed on" in text(signed_in, f"{english.url}{idea.pk}/")


# --- a poll's options, a pact's signatories ---------------------------------------------------------------------


def test_a_poll_page_reads_its_options_from_the_cache_and_shows_a_renamed_one_at_once(signed_in, tree):
    poll = tree["poll"]["en"]
    asked = queries(signed_in, poll.url)
    assert not any('FROM "participation_polloption"' in sql for sql in asked), "\n".join(asked)
    option = poll.specific.options.first()
    option.label = "A meadow with benches"
    option.save()
    assert "A meadow with benches" in text(signed_in, poll)


def test_a_preview_shows_the_thread_open_or_closed_by_the_edited_phases(signed_in, tree):
    """Comments are open while the process is: a preview moving its phases into the past shows them closed,
    although the live page's open thread is in the cache."""
    consultation = tree["consultation"]["it"]
    assert 'class="comment-form"' in text(signed_in, consultation)
    page = Page.objects.get(pk=consultation.pk).specific
    past = timezone.localdate() - timedelta(days=40)
    phases = list(page.phases.all())
    for phase in phases:
        phase.start, phase.end = past, past + timedelta(days=5)
    page.phases = phases  # in memory, as the editor's form leaves them
    rendered = page.make_preview_request().content.decode()
    assert "Comments on this page are closed" in rendered or "commenti su questa pagina sono chiusi" in rendered
    assert 'class="comment-form"' in text(signed_in, consultation)
