import pytest
import wagtail_factories
from bs4 import BeautifulSoup

from consultations.models import ConsultationPage
from tests.conftest import fresh
from tests.factories import ConsultationPageFactory, build_site_links, feature, translated_pair

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site")]

# The two processes added to the factories' tree: (Italian title, slug), (English title, slug).
MORE_PROCESSES = [
    (("AxTO: scegli i progetti culturali", "axto"), ("AxTO: choose the cultural projects", "axto")),
    (("Segnala nel tuo quartiere", "segnala"), ("Report in your neighbourhood", "report")),
]


@pytest.fixture(scope="module")
def module_site(module_tree, django_db_blocker):
    """The factories' tree with three processes featured on the home pages, footer pages and site links."""
    with django_db_blocker.unblock():
        consultation = module_tree["consultation"]
        image = wagtail_factories.ImageFactory(title="Parco Dora")
        ConsultationPage.objects.filter(pk__in=[page.pk for page in consultation.values()]).update(image=image)
        consultations = [consultation]
        for (it_title, it_slug), (en_title, en_slug) in MORE_PROCESSES:
            italian = ConsultationPageFactory(parent=module_tree["index"]["it"], title=it_title, slug=it_slug)
            consultations.append(translated_pair(italian, title=en_title, slug=en_slug))
        feature(module_tree["home"], consultations)
        standard = build_site_links(module_tree["home"], report_page=consultations[-1]["it"])
    return {**module_tree, "consultations": consultations, "standard": standard}


@pytest.fixture
def site(db, module_site):
    """{"home", "index", "poll": {code: page}, "consultations": [{code: page}] * 3, "standard": {role: {code: page}}}"""
    pages = fresh({kind: module_site[kind] for kind in ("home", "index", "consultation", "poll")})
    pages["consultations"] = [fresh({"pair": pair})["pair"] for pair in module_site["consultations"]]
    pages["standard"] = fresh(module_site["standard"])
    return pages


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_root_redirects_to_italian(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/it/"


def test_root_follows_language_chosen_earlier(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.get("/")["Location"] == "/en/"


@pytest.mark.parametrize(
    ("url", "lang", "text"),
    [("/it/", "it", "Partecipa"), ("/en/", "en", "Take part")],
)
def test_home_renders_in_each_language(client, url, lang, text):
    response = client.get(url)
    assert response.status_code == 200
    html = soup(response)
    assert html.html["lang"] == lang
    assert len(html.find_all("h1")) == 1
    assert html.select_one(".skiplinks a[href='#main']")
    assert html.find("main", id="main")
    assert text in response.content.decode()


def test_home_links_the_three_participation_areas(client, site):
    for code in ("it", "en"):
        html = soup(client.get(f"/{code}/"))
        hrefs = {a["href"] for a in html.select("main a")}
        for pair in site["consultations"]:
            assert pair[code].url in hrefs, (code, pair[code].title)
    assert len(site["consultations"]) == 3


def test_static_assets_are_served_locally(client):
    html = soup(client.get("/it/"))
    sources = [tag.get("href") or tag.get("src") for tag in html.select("link[rel=stylesheet], script[src]")]
    assert any("vendor/bootstrap-italia/css/bootstrap-italia.min.css" in s for s in sources)
    assert any("js/bootstrap-italia-site.min.js" in s for s in sources)  # our build: tests/test_frontend.py
    assert all(s.startswith("/static/") for s in sources), sources


def test_every_page_renders_in_both_languages(client):
    from wagtail.models import Page

    pages = Page.objects.live().filter(depth__gt=1).specific()
    assert pages.count() >= 2 * 8
    for page in pages:
        response = client.get(page.url)
        assert response.status_code == 200, page.url
        assert soup(response).html["lang"] == page.locale.language_code


def test_language_switcher_points_at_the_same_page(client, site):
    parco_it, parco_en = site["consultation"]["it"], site["consultation"]["en"]
    assert parco_it.translation_key == parco_en.translation_key
    html = soup(client.get(parco_it.url))
    switcher = html.select_one("nav.language-switcher")
    english = switcher.select_one("a[hreflang=en]")
    assert english["href"] == parco_en.url
    assert switcher.select_one("a[hreflang=it]")["aria-current"] == "true"

    html = soup(client.get(parco_en.url))
    assert html.select_one("nav.language-switcher a[hreflang=it]")["href"] == parco_it.url


def test_language_switcher_on_a_non_page_view_keeps_the_query(client):
    html = soup(client.get("/it/search/?q=parco"))
    assert html.select_one("nav.language-switcher a[hreflang=en]")["href"] == "/en/search/?q=parco"


def test_footer_links_required_pages_in_the_current_language(client, site):
    for code in ("it", "en"):
        html = soup(client.get(f"/{code}/"))
        footer_hrefs = {a["href"] for a in html.select("footer a")}
        assert len(site["standard"]) == 3
        for pages in site["standard"].values():
            assert pages[code].url in footer_hrefs, (code, pages[code].title)
        assert site["consultations"][-1][code].url in footer_hrefs  # "Segnala disservizio"


def test_unknown_page_is_a_404_in_the_site_layout(client):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert soup(response).html["lang"] == "en"


@pytest.mark.parametrize(("url", "lang", "heading"), [("/en/", "en", "Something went wrong"), ("/it/", "it", "errore")])
def test_a_server_error_speaks_the_language_of_the_url_first(monkeypatch, url, lang, heading):
    from django.test import Client

    from home.models import HomePage

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(HomePage, "get_context", broken)
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 500
    page = soup(response)
    assert page.html["lang"] == lang and heading in page.h1.get_text()
    assert {"it", "en"} - {lang} == {page.h2["lang"]}  # the other language follows, marked as such


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_healthz_reports_a_database_failure(client, monkeypatch):
    from django.db import DatabaseError, connection

    def broken_cursor(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    assert client.get("/healthz").status_code == 503


def test_home_query_count_is_bounded(client, django_assert_max_num_queries):
    client.get("/it/")  # warm caches (site, locales)
    with django_assert_max_num_queries(30):
        assert client.get("/it/").status_code == 200


def test_consultation_index_query_count_does_not_grow_with_processes(client, site):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from consultations.models import ConsultationPage

    index = site["index"]["it"]
    client.get(index.url)
    with CaptureQueriesContext(connection) as before:
        client.get(index.url)
    image = site["consultation"]["it"].image
    assert image is not None
    for number in range(5):
        index.add_child(
            instance=ConsultationPage(title=f"Processo {number}", slug=f"processo-{number}", summary="x", image=image)
        )
    client.get(index.url)  # new pages rebuild the cached site chrome once (home/chrome.py)
    with CaptureQueriesContext(connection) as after:
        response = client.get(index.url)
    assert response.status_code == 200
    assert "Processo 4" in response.content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)
