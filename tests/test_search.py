import pytest
from bs4 import BeautifulSoup

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tree")]


def result_links(response):
    html = BeautifulSoup(response.content.decode(), "html.parser")
    return [a["href"] for a in html.select(".search-results a")]


def test_search_finds_pages_in_the_current_language_only(client, tree):
    parco_it, parco_en = tree["consultation"]["it"], tree["consultation"]["en"]

    italian = result_links(client.get("/it/search/", {"q": "Dora"}))
    assert parco_it.url in italian
    assert all(link.startswith("/it/") for link in italian)

    english = result_links(client.get("/en/search/", {"q": "Dora"}))
    assert parco_en.url in english
    assert all(link.startswith("/en/") for link in english)


def test_unprefixed_search_url_redirects_with_the_query(client):
    response = client.get("/search/?q=parco")
    assert response.status_code == 302
    assert response["Location"] == "/it/search/?q=parco"


def test_empty_and_hostile_queries(client):
    assert client.get("/it/search/").status_code == 200
    response = client.get("/en/search/", {"q": "<script>alert(1)</script>"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert client.get("/it/search/", {"q": "x" * 5000, "page": "abc"}).status_code == 200


def test_no_results_message_in_each_language(client):
    assert "Nessun" in client.get("/it/search/", {"q": "zzzxqq"}).content.decode()
    assert "Nothing matches" in client.get("/en/search/", {"q": "zzzxqq"}).content.decode()
