"""Open data for the public (participation/open_data.py): once a process closes, its page offers a ZIP of its
results (the same figures as its pages, no personal data, pseudonyms of its own, a README naming the licence
the editor chose), and /it/dati/ and /en/data/ list every dataset, with a DCAT-AP_IT catalogue that an RDF
client (rdflib, as CKAN's DCAT harvester uses) reads."""

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone, translation
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from civic_site.pagecache import group_tag
from consultations.models import ConsultationPage, ConsultationPhase
from participation.budgets import hmac_pseudonym, pseudonym_scope
from participation.core.invalidation import group_changed
from participation.models import BudgetPage, IdeaMapPage, PollPage
from tests.test_exports import personal, site  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")


def close(site):  # noqa: F811
    """Move the process's phases and its pages' voting windows into the past: participation is over."""
    now = timezone.now()
    today = timezone.localdate()
    ConsultationPhase.objects.update(start=today - timedelta(days=30), end=today - timedelta(days=2))
    for model in (PollPage, BudgetPage, IdeaMapPage):
        model.objects.update(opens_at=now - timedelta(days=20), closes_at=now - timedelta(days=3))


def zip_url(page, language="it"):
    with translation.override(language):
        return reverse("open_data_zip", args=[page.slug])


def opened(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def csv_rows(archive, name):
    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_the_data_urls_are_translated():
    with translation.override("it"):
        assert reverse("open_data") == "/it/dati/"
        assert reverse("open_data_catalogue") == "/it/dati/catalog.jsonld"
    with translation.override("en"):
        assert reverse("open_data") == "/en/data/"


def test_nothing_is_published_while_a_process_is_open(client, site):  # noqa: F811
    process = site["consultation"]["it"]
    assert client.get(zip_url(process)).status_code == 404
    page = client.get(process.url)
    assert "open-data-heading" not in page.content.decode()
    listing = client.get("/it/dati/").content.decode()
    assert process.title not in listing
    graph = Graph().parse(data=client.get("/it/dati/catalog.jsonld").content, format="json-ld")
    assert not any(str(title) == process.title for title in graph.objects(None, DCTERMS.title))


def test_a_closed_process_offers_a_zip_of_each_pages_results_with_a_readme(client, site):  # noqa: F811
    close(site)
    process = site["consultation"]["it"]
    page = BeautifulSoup(client.get(process.url).content, "html.parser")
    section = page.find("section", attrs={"aria-labelledby": "open-data-heading"})
    assert section is not None
    link = section.find("a", href=zip_url(process))
    assert link is not None and "ZIP" in link.get_text()
    assert section.find("a", rel="license")["href"] == "https://creativecommons.org/licenses/by/4.0/"

    archive = opened(client, zip_url(process))
    names = set(archive.namelist())
    poll, ranked = site["poll"]["it"].slug, site["ranked"].slug
    assert {
        "README.txt",
        f"{poll}_tally.csv",
        f"{poll}_votes.csv",
        f"{poll}_comments.csv",
        f"{ranked}_tally.csv",
        "axto_projects.csv",
        "axto_ballots.csv",
        "axto.pb",
        "idee_ideas.csv",
        "idee.geojson",
        "comments.csv",
    } <= names
    readme = archive.read("README.txt").decode()
    assert "CC BY 4.0" in readme and "https://creativecommons.org/licenses/by/4.0/" in readme
    assert process.title in readme
    for name in names - {"README.txt", "axto.pb", "idee.geojson"}:  # every column of every table explained
        header = csv_rows(archive, name)[0]
        for column in header:
            line = next((line for line in readme.splitlines() if line.strip().startswith(f"- {column}:")), None)
            assert line is not None and len(line.split(":", 1)[1].strip()) > 5, (name, column)
    features = json.loads(archive.read("idee.geojson"))["features"]
    assert [feature["properties"]["title"] for feature in features] == ["Panchine ombreggiate"]


def test_the_english_zip_has_an_english_readme(client, site):  # noqa: F811
    close(site)
    english = site["consultation"]["en"]
    readme = opened(client, zip_url(english, "en")).read("README.txt").decode()
    assert "Licence:" in readme and "Method:" in readme
    italian = opened(client, zip_url(site["consultation"]["it"])).read("README.txt").decode()
    assert "Licenza:" in italian and "Metodo:" in italian


def test_the_figures_in_the_files_are_those_the_pages_show(client, site):  # noqa: F811
    close(site)
    archive = opened(client, zip_url(site["consultation"]["it"]))
    poll = site["poll"]["it"]

    shown = BeautifulSoup(client.get(poll.url).content, "html.parser")
    table = shown.find("caption", string="Voti per opzione").find_parent("table")
    on_page = {row.th.get_text(strip=True): int(row.td.get_text(strip=True)) for row in table.tbody.find_all("tr")}
    in_file = {row[0]: int(row[1]) for row in csv_rows(archive, f"{poll.slug}_tally.csv")[1:]}
    assert on_page == in_file and sum(in_file.values()) == 4
    assert len(csv_rows(archive, f"{poll.slug}_votes.csv")) - 1 == 4

    budget = site["budget"]["it"]
    shown = BeautifulSoup(client.get(budget.url).content, "html.parser")
    results = shown.find("section", id="results").find("table")
    on_page = {
        row.th.get_text(strip=True): int(row.find_all("td")[3].get_text(strip=True))
        for row in results.tbody.find_all("tr")
    }
    in_file = {row[2]: int(row[7]) for row in csv_rows(archive, "axto_projects.csv")[1:]}
    assert on_page == in_file
    assert len(csv_rows(archive, "axto_ballots.csv")) - 1 == 4  # three online, one on paper

    ideas = csv_rows(archive, "idee_ideas.csv")
    assert [row[1] for row in ideas[1:]] == ["Panchine ombreggiate"]  # the hidden idea is not published
    assert int(ideas[1][4]) == 3


def test_the_zip_holds_no_personal_data_and_pseudonyms_of_its_own(client, site):  # noqa: F811
    close(site)
    process = site["consultation"]["it"]
    archive = opened(client, zip_url(process))
    everything = "\n".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    for secret in personal(site["users"]):
        assert secret not in everything
    voter = site["users"][0]
    with pseudonym_scope(f"open-data:{process.translation_key}"):
        scoped = hmac_pseudonym(f"user:{voter.pk}")
    site_wide = hmac_pseudonym(f"user:{voter.pk}")
    poll_voters = {row[0] for row in csv_rows(archive, f"{site['poll']['it'].slug}_votes.csv")[1:]}
    ballot_voters = {row[0] for row in csv_rows(archive, "axto_ballots.csv")[1:]}
    assert scoped in poll_voters and scoped in ballot_voters  # one person throughout the process's files
    assert site_wide not in everything  # but not the pseudonym of the staff's exports (or of another process)
    assert scoped in archive.read("axto.pb").decode()


def test_the_editor_chooses_the_licence(client, site):  # noqa: F811
    close(site)
    process = ConsultationPage.objects.get(pk=site["consultation"]["it"].pk)
    first = client.get(zip_url(process))
    process.data_licence = "cc0-1.0"
    process.save_revision().publish()
    second = client.get(zip_url(process))
    assert first["ETag"] != second["ETag"]
    readme = zipfile.ZipFile(io.BytesIO(b"".join(second.streaming_content))).read("README.txt").decode()
    assert "CC0 1.0" in readme
    graph = Graph().parse(data=client.get("/it/dati/catalog.jsonld").content, format="json-ld")
    licences = set(graph.objects(None, DCTERMS.license))
    assert URIRef("https://w3id.org/italia/controlled-vocabulary/licences/A11_CCO10") in licences


def test_the_zip_is_kept_and_revalidated_by_its_etag(client, site):  # noqa: F811
    close(site)
    process = site["consultation"]["it"]
    first = client.get(zip_url(process))
    assert "public" in first["Cache-Control"]
    again = client.get(zip_url(process), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    group_changed(site["poll"]["it"].translation_key)  # a moderator hides a comment, a paper ballot is added...
    changed = client.get(zip_url(process), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert group_tag(site["poll"]["it"].translation_key)


def test_unknown_or_unpublished_datasets_are_not_found(client, site):  # noqa: F811
    close(site)
    assert client.get("/it/dati/nessun-processo.zip").status_code == 404
    process = site["consultation"]["it"]
    process.unpublish()
    assert client.get(zip_url(process)).status_code == 404


def test_the_data_page_lists_the_datasets_in_each_language(client, site):  # noqa: F811
    close(site)
    for language, process in site["consultation"].items():
        with translation.override(language):
            url = reverse("open_data")
        page = BeautifulSoup(client.get(url).content, "html.parser")
        assert page.html["lang"].startswith(language)
        assert page.find("a", href=process.url) is not None
        assert page.find("a", href=zip_url(process, language)) is not None
        assert page.find("a", rel="license") is not None
        assert page.find("link", type="application/ld+json") is not None
        assert page.find("a", href=f"{site['reporting'].url}reports.geojson") is not None or language == "en"


def test_the_catalogue_is_dcat_ap_it_that_an_rdf_client_reads(client, site):  # noqa: F811
    close(site)
    response = client.get("/it/dati/catalog.jsonld")
    assert response["Content-Type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.content, format="json-ld")
    catalogues = list(graph.subjects(RDF.type, DCATAPIT.Catalog))
    assert len(catalogues) == 1
    datasets = set(graph.objects(catalogues[0], DCAT.dataset))
    assert datasets == set(graph.subjects(RDF.type, DCATAPIT.Dataset))
    process = site["consultation"]["it"]
    dataset = next(d for d in datasets if str(d).startswith(f"http://testserver{process.url}"))
    titles = {str(title): title.language for title in graph.objects(dataset, DCTERMS.title)}
    assert titles == {process.title: "it", site["consultation"]["en"].title: "en"}
    for mandatory in (DCTERMS.identifier, DCTERMS.description, DCTERMS.publisher, DCTERMS.rightsHolder):
        assert graph.value(dataset, mandatory) is not None, mandatory
    assert str(graph.value(dataset, DCTERMS.identifier)) == f"c_l219:{process.translation_key}"
    assert graph.value(dataset, DCAT.theme) == URIRef(
        "http://publications.europa.eu/resource/authority/data-theme/GOVE"
    )
    downloads = []
    for distribution in graph.objects(dataset, DCAT.distribution):
        assert (distribution, RDF.type, DCATAPIT.Distribution) in graph
        licence = graph.value(distribution, DCTERMS.license)
        assert licence == URIRef("https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40")
        assert (licence, RDF.type, DCATAPIT.LicenseDocument) in graph
        assert graph.value(distribution, DCTERMS["format"]) == URIRef(
            "http://publications.europa.eu/resource/authority/file-type/ZIP"
        )
        downloads.append(str(graph.value(distribution, DCAT.downloadURL)))
    assert len(downloads) == 2  # the Italian and the English ZIP
    for url in downloads:  # what a harvester then downloads
        assert opened(client, url.removeprefix("http://testserver")).read("README.txt")
    publisher = graph.value(dataset, DCTERMS.publisher)
    assert str(graph.value(publisher, DCTERMS.identifier)) == "c_l219"
    reports = [d for d in datasets if str(d).startswith(f"http://testserver{site['reporting'].url}")]
    assert len(reports) == 1  # a reporting page is open data from its first report
    periodicity = graph.value(reports[0], DCTERMS.accrualPeriodicity)
    assert str(periodicity).endswith("/frequency/CONT")


def test_the_data_page_and_catalogue_take_a_fixed_number_of_queries(client, site, django_assert_max_num_queries):  # noqa: F811
    close(site)
    client.get("/it/dati/")
    with django_assert_max_num_queries(8):
        assert client.get("/it/dati/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/it/dati/catalog.jsonld").status_code == 200
