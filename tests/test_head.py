"""`/` by Accept-Language and the language cookie; canonical and hreflang links on the request's host; a
meta description on every page (issue 20)."""

import pytest
from bs4 import BeautifulSoup

from civic_site.templatetags.seo_tags import site_description

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("accept", "cookie", "expected"),
    [
        ("en-GB,en;q=0.9", None, "/en/"),
        ("en", None, "/en/"),
        ("it-IT,it;q=0.9,en;q=0.8", None, "/it/"),
        ("de-DE,de;q=0.9,en;q=0.5", None, "/en/"),  # English is the first of ours the browser accepts
        ("de-DE,fr;q=0.5", None, "/it/"),
        ("*", None, "/it/"),
        ("", None, "/it/"),
        ("en-GB,en;q=0.9", "it", "/it/"),  # the visitor chose Italian with the switcher
        ("it", "en", "/en/"),
        ("en", "xx", "/en/"),  # an unknown cookie value: the browser's preference
    ],
)
def test_root_redirect_honours_the_choice_then_accept_language(client, accept, cookie, expected):
    from django.conf import settings

    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    response = client.get("/", headers={"Accept-Language": accept} if accept else {})
    assert response.status_code == 302
    assert response["Location"] == expected
    vary = {value.strip().lower() for value in response["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary
    assert "private" in response["Cache-Control"]


def head(response):
    html = BeautifulSoup(response.content, "html.parser")
    canonical = html.select("link[rel=canonical]")
    assert len(canonical) == 1
    description = html.select("meta[name=description]")
    assert len(description) == 1 and description[0]["content"].strip()
    alternates = {link["hreflang"]: link["href"] for link in html.select("link[rel=alternate][hreflang]")}
    return canonical[0]["href"], alternates, description[0]["content"]


def page_urls(site_tree):
    from participation.models import PollPage

    urls = []
    for code in ("it", "en"):
        urls += [site_tree["home"][code].url, site_tree["index"][code].url, site_tree["consultations"][code][0].url]
        urls += [page.url for page in site_tree["standard"][code][:1]]
        urls.append(PollPage.objects.live().filter(locale__language_code=code).first().url)
    urls += ["/it/argomenti/", "/en/topics/", "/it/dati/", "/en/data/", "/it/search/?q=parco", "/en/search/"]
    return urls


@pytest.mark.parametrize("host", ["testserver", "127.0.0.1:8000"])
def test_every_page_type_has_absolute_links_on_the_request_host_and_a_description(client, site_tree, host):
    for url in page_urls(site_tree):
        response = client.get(url, HTTP_HOST=host)
        assert response.status_code == 200, url
        canonical, alternates, _description = head(response)
        assert canonical == f"http://{host}{url.split('?')[0]}", url
        assert set(alternates) == {"it", "en", "x-default"}, (url, alternates)
        assert all(href.startswith(f"http://{host}/") for href in alternates.values()), alternates
        assert alternates["x-default"] == alternates["it"]
        code = url.split("/")[1]
        assert alternates[code] == canonical, url
        assert "localhost" not in response.content.decode().split("</head>")[0]


def test_the_anonymous_page_cache_keeps_one_copy_per_host(client, site_tree):
    url = site_tree["index"]["it"].url
    first = head(client.get(url, HTTP_HOST="testserver"))[0]
    second = head(client.get(url, HTTP_HOST="127.0.0.1:8000"))[0]
    assert first.startswith("http://testserver/") and second.startswith("http://127.0.0.1:8000/")


def test_description_comes_from_search_description_then_summary_then_the_site(client, site_tree):
    from django.utils import translation

    parco = site_tree["consultations"]["it"][0]
    assert head(client.get(parco.url))[2] == parco.search_description or parco.summary[:160]
    parco.search_description = "Descrizione per i motori di ricerca."
    parco.save_revision().publish()
    assert head(client.get(parco.url))[2] == "Descrizione per i motori di ricerca."
    with translation.override("en"):
        english_default = site_description()
    assert head(client.get("/en/accounts/login/"))[2] == english_default
