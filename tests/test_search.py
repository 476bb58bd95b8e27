import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# --- hostile and odd queries: never a 500 ----------------------------------------------------

# What broke it: NUL bytes (both databases) and SQLite FTS5 query syntax (quotes, operators, columns).
ODD_QUERIES = [
    "\x00",
    "parco\x00dora",
    '"',
    'parco "dora',
    "AND",
    "parco OR",
    "NOT dora",
    "*",
    "(",
    ")",
    "a:b",
    "^x",
    "-",
    "NEAR(a b",
    "'",
]


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_queries_answer_200(client, language, query):
    response = client.get(f"/{language}/search/", {"q": query})
    assert response.status_code == 200


@pytest.mark.parametrize("language", ["it", "en"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=40))
def test_any_query_answers_200(client, language, query):
    response = client.get(f"/{language}/search/", {"q": query})
    assert response.status_code == 200
    assert f'lang="{language}"' in response.content.decode()


def test_a_query_the_backend_refuses_shows_a_message_not_an_error(client, monkeypatch, caplog):
    from django.db import OperationalError
    from modelsearch.backends.base import BaseSearchResults

    def refuse(self, *args, **kwargs):
        raise OperationalError('fts5: syntax error near ""')

    monkeypatch.setattr(BaseSearchResults, "count", refuse)
    response = client.get("/it/search/", {"q": "parco"})
    assert response.status_code == 200
    alert = BeautifulSoup(response.content.decode(), "html.parser").select_one("#search-error")
    assert "Prova con altre parole" in alert.get_text()
    assert "parco" in caplog.text


def test_nul_bytes_are_dropped_from_the_query(client, tree):
    response = client.get("/en/search/", {"q": "Parco\x00Dora"})
    assert response.status_code == 200
    assert tree["consultation"]["en"].url in result_links(response)
