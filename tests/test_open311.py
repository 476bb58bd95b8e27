"""Open311 GeoReport v2 (participation/open311.py): every endpoint in JSON and XML, the filters, the
spec's errors, keys (only their hash stored), reports filed by a client showing on the reporting page,
hidden text and internal notes never out, flat query counts; and real GeoReport v2 client libraries
(georeport, which only reads; the POST as the specification's form) against a live server."""

import gzip
import hashlib
import io
import json
import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import wagtail_factories
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from participation.models import Open311Key, Report, ReportingPage, ReportPhoto, ReportStatus, ReportUpdate
from participation.models.reports import ReportSource
from participation.open311 import MEDIA_RENDITION, check_key, new_key
from participation.reports import add_note, change_status, set_hidden, streets
from tests.factories import (
    PIAZZA_CASTELLO,
    ReportFactory,
    ReportingPageFactory,
    build_tree,
    district,
    report_category,
    report_office,
    translate,
)

BASE = "/open311/v2/"
OUTSIDE_TURIN = (44.9990, 7.6830)  # Moncalieri
DANGER = ("È pericoloso?", "yes_no", (), True)
SIZE = ("Quanto è grande?", "choice", ("Piccola", "Grande"), False)
NOTES = ("Altro da aggiungere", "text", (), False)
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def build_reporting(parent):
    """Two categories (potholes asks three questions), a district, a reporting page in it and en."""
    report_category("Buche", "Potholes", "potholes", questions=[DANGER, SIZE, NOTES])
    report_category(
        "Illuminazione",
        "Street lighting",
        "lighting",
        office=report_office("Servizio Illuminazione", "luce@example.org", "Street lighting office"),
        order=1,
    )
    district(1, "Centro - Crocetta")
    italian = ReportingPageFactory(parent=parent["it"])
    english = translate(italian, "en", title="Reports", slug="reports")
    return {"it": ReportingPage.objects.get(pk=italian.pk), "en": ReportingPage.objects.get(pk=english.pk)}


@pytest.fixture
def reporting(db):
    """Built for each test (not the module-wide ``tree``): that one stays in a transaction open for the
    whole module, which the live server test's threads could not see through."""
    return build_reporting(build_tree(poll=False)["consultation"])


@pytest.fixture
def api_key(db):
    return new_key("App Torino Segnala")[1]


def questions():
    """{label: code} of the potholes' questions."""
    from participation.reports import categories_in

    category = next(c for c in categories_in("it") if c.service_code == "potholes")
    return {label: code for code, label, _kind, _choices, _required in category.question_list}


def get(client, path, fmt="json", **params):
    response = client.get(f"{BASE}{path}.{fmt}", params)
    return response, parse(response, fmt)


def parse(response, fmt):
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return xml_root(response.content)


def xml_root(content):
    return ET.fromstring(content)  # noqa: S314 - the site's own answer, parsed to check it is well-formed


def errors_of(response, fmt):
    """[(code, description)] of a GeoReport error list, checking it answers with the same status."""
    data = parse(response, fmt)
    if fmt == "json":
        found = [(item["code"], item["description"]) for item in data]
    else:
        assert data.tag == "errors"
        found = [(int(e.findtext("code")), e.findtext("description")) for e in data.findall("error")]
    assert found and all(code == response.status_code for code, _description in found)
    return found


def xml_requests(root):
    assert root.tag == "service_requests"
    return [{child.tag: child.text or "" for child in item} for item in root.findall("request")]


def post(client, fmt="json", **data):
    return client.post(f"{BASE}requests.{fmt}", data)


def valid_post(key, **overrides):
    data = {
        "api_key": key,
        "service_code": "potholes",
        "lat": str(PIAZZA_CASTELLO[0]),
        "long": str(PIAZZA_CASTELLO[1]),
        "description": "Buca profonda davanti a Palazzo Madama\nSul lato dei binari del tram.",
        f"attribute[{questions()['È pericoloso?']}]": "yes",
        f"attribute[{questions()['Quanto è grande?']}]": "1",
        "email": "segnalatore@example.org",
        "first_name": "Anna",
        "last_name": "Verdi",
        "phone": "011 555 1234",
        "jurisdiction_id": "torino.it",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


# --- discovery and services -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery(reporting, client, fmt):
    response, data = get(client, "discovery", fmt)
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    if fmt == "json":
        [endpoint] = data["endpoints"]
        assert data["changeset"] and "contact" in data
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]
    else:
        assert data.tag == "discovery" and data.findtext("changeset")
        endpoint = data.find("endpoints/endpoint")
        assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint.findtext("url") == "http://testserver/open311/v2"
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_in_both_languages(reporting, client, fmt):
    def services(**params):
        response, data = get(client, "services", fmt, **params.pop("query", {}))
        assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
        if fmt == "json":
            return data
        assert data.tag == "services"
        return [{child.tag: child.text or "" for child in item} for item in data.findall("service")]

    italian = services()
    assert [s["service_code"] for s in italian] == ["potholes", "lighting"]
    assert [s["service_name"] for s in italian] == ["Buche", "Illuminazione"]
    assert [s["group"] for s in italian] == ["Servizio Manutenzione Strade", "Servizio Illuminazione"]
    true, false = (True, False) if fmt == "json" else ("true", "false")
    assert [s["metadata"] for s in italian] == [true, false]
    assert all(s["type"] == "realtime" and s["keywords"] == "" and "description" in s for s in italian)
    english = services(query={"locale": "en"})
    assert [s["service_name"] for s in english] == ["Potholes", "Street lighting"]
    assert client.get(f"{BASE}services.{fmt}", {"locale": "en"})["Content-Language"] == "en"
    assert [s["group"] for s in english] == ["Roads maintenance", "Street lighting office"]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.8"
    assert [s["service_name"] for s in services()] == ["Potholes", "Street lighting"]
    assert [s["service_name"] for s in services(query={"locale": "it_IT"})] == ["Buche", "Illuminazione"]


def test_service_definition_json(reporting, client):
    codes = questions()
    response, data = get(client, "services/potholes")
    assert response.status_code == 200
    assert data["service_code"] == "potholes"
    danger, size, notes = data["attributes"]
    assert danger == {
        "variable": True,
        "code": codes["È pericoloso?"],
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "È pericoloso?",
        "values": [{"key": "yes", "name": "Sì"}, {"key": "no", "name": "No"}],
    }
    assert size["datatype"] == "singlevaluelist" and size["required"] is False and size["order"] == 2
    assert size["values"] == [{"key": "0", "name": "Piccola"}, {"key": "1", "name": "Grande"}]
    assert notes["datatype"] == "string" and notes["values"] == [] and notes["code"] == codes["Altro da aggiungere"]
    _response, english = get(client, "services/potholes", locale="en")
    assert english["attributes"][0]["values"] == [{"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"}]
    _response, lighting = get(client, "services/lighting")
    assert lighting == {"service_code": "lighting", "attributes": []}


def test_service_definition_xml(reporting, client):
    response, root = get(client, "services/potholes", "xml")
    assert response.status_code == 200 and root.tag == "service_definition"
    assert root.findtext("service_code") == "potholes"
    danger, size, notes = root.findall("attributes/attribute")
    assert danger.findtext("variable") == "true" and danger.findtext("required") == "true"
    assert danger.findtext("datatype") == "singlevaluelist" and danger.findtext("order") == "1"
    assert danger.findtext("description") == "È pericoloso?" and danger.findtext("code") == questions()["È pericoloso?"]
    assert [(v.findtext("key"), v.findtext("name")) for v in danger.findall("values/value")] == [
        ("yes", "Sì"),
        ("no", "No"),
    ]
    assert [(v.findtext("key"), v.findtext("name")) for v in size.findall("values/value")] == [
        ("0", "Piccola"),
        ("1", "Grande"),
    ]
    assert notes.findtext("datatype") == "string" and notes.findall("values/value") == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_and_jurisdiction_are_404_errors(reporting, client, fmt):
    response = client.get(f"{BASE}services/nothing.{fmt}")
    assert response.status_code == 404
    [(_code, description)] = errors_of(response, fmt)
    assert "nothing" in description
    assert get(client, "services", fmt, jurisdiction_id="torino.it")[0].status_code == 200
    response = client.get(f"{BASE}services.{fmt}", {"jurisdiction_id": "milano.it"})
    assert response.status_code == 404 and errors_of(response, fmt)
    response = client.get(f"{BASE}requests.{fmt}", {"jurisdiction_id": "milano.it"})
    assert response.status_code == 404 and errors_of(response, fmt)


# --- requests ---------------------------------------------------------------------------------------


def test_requests_json(reporting, client):
    page = reporting["it"]
    pothole = ReportFactory(page=page, address="Piazza Castello, 1", description="Buca grande.")
    light = ReportFactory(page=page, category=next(iter(_lighting())), description="Lampione spento.")
    change_status(report=light, status=ReportStatus.RESOLVED, message="Lampada sostituita.")
    add_note(report=light, message="Nota interna: chiamare il fornitore", user=None)
    response, data = get(client, "requests")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=60" and response["ETag"]
    assert [item["service_request_id"] for item in data] == [light.reference, pothole.reference]  # newest first
    newest, oldest = data
    assert list(newest) == REQUEST_FIELDS
    assert newest["status"] == "closed" and newest["status_notes"] == "Lampada sostituita."
    assert newest["service_code"] == "lighting" and newest["service_name"] == "Illuminazione"
    assert newest["agency_responsible"] == "Servizio Illuminazione"
    assert oldest["status"] == "open" and oldest["status_notes"] == ""
    assert oldest["description"] == "Buca grande." and oldest["address"] == "Piazza Castello, 1"
    assert (oldest["lat"], oldest["long"]) == PIAZZA_CASTELLO
    assert oldest["service_notice"] == oldest["expected_datetime"] == oldest["zipcode"] == oldest["media_url"] == ""
    pothole.refresh_from_db()
    assert oldest["requested_datetime"] == timezone.localtime(pothole.created_at).isoformat(timespec="seconds")
    assert oldest["requested_datetime"][-6:] in ("+01:00", "+02:00")  # Turin's offset
    assert "Nota interna" not in response.content.decode()
    _response, english = get(client, "requests", locale="en")
    assert english[0]["service_name"] == "Street lighting" and english[0]["agency_responsible"] == (
        "Street lighting office"
    )


def test_the_requests_list_is_kept_with_an_etag_until_the_reports_change(
    reporting, client, api_key, django_assert_num_queries
):
    """Clients poll the list: it is made once, sent again from the cache (gzipped if they take it), and a
    client holding it is answered 304, until a report, its status, its text, its photos, a category or an
    office changes; then it is made again at once."""
    page = reporting["it"]
    report = ReportFactory(page=page, description="Buca grande.")
    url = f"{BASE}requests.json"
    first = client.get(url)
    etag = first["ETag"]
    with django_assert_num_queries(0):
        again = client.get(url, {"api_key": "x", "jurisdiction_id": "torino.it"})  # not filters: the same list
    assert again.status_code == 200 and again.content == first.content and again["ETag"] == etag
    held = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert held.status_code == 304 and held.content == b"" and held["ETag"] == etag
    assert held["Access-Control-Allow-Origin"] == "*" and "Accept-Language" in held["Vary"]
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip" and gzip.decompress(zipped.content) == first.content
    assert zipped["ETag"] != etag
    assert client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=zipped["ETag"]).status_code == 304
    english = client.get(url, {"locale": "en"}, HTTP_IF_NONE_MATCH=etag)  # each language is its own list
    assert english.status_code == 200 and json.loads(english.content)[0]["service_name"] == "Potholes"
    xml = client.get(f"{BASE}requests.xml", HTTP_IF_NONE_MATCH=etag)
    assert xml.status_code == 200 and xml_requests(xml_root(xml.content))[0]["service_request_id"]

    def changed():
        """The list after a change: made again (200, a new ETag) for the client holding the last one."""
        nonlocal etag
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200 and response["ETag"] != etag
        etag = response["ETag"]
        return {item["service_request_id"]: item for item in json.loads(response.content)}

    change_status(report=report, status=ReportStatus.ACKNOWLEDGED, message="Presa in carico.")
    assert changed()[report.reference]["status_notes"] == "Presa in carico."
    set_hidden(report=report, text_hidden=True)
    assert changed()[report.reference]["description"] == "Testo nascosto dai moderatori"
    photo = ReportPhoto.objects.create(report=report, image=wagtail_factories.ImageFactory(), sort_order=0)
    set_hidden(report=report, photo_ids_hidden=[])
    assert changed()[report.reference]["media_url"].endswith(photo.image.file.url)
    set_hidden(report=report, photo_ids_hidden=[photo.pk])
    assert changed()[report.reference]["media_url"] == ""
    filed = post(client, **valid_post(api_key))
    assert filed.status_code == 201
    [created] = json.loads(filed.content)
    assert created["service_request_id"] in changed()
    category = _lighting()[0]
    ReportFactory(page=page, category=category)  # made without the site's services: the list does not know yet
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    category.name = "Lampioni"
    category.save()  # an editor renames a category: the content changed
    assert [item["service_name"] for item in changed().values()].count("Lampioni") == 1
    office = category.office
    office.name = "Ufficio Luce"
    office.save()
    assert "Ufficio Luce" in [item["agency_responsible"] for item in changed().values()]


def test_the_last_90_days_move_on_while_a_dated_list_is_kept(reporting, client, monkeypatch):
    """A list without dates is "the last 90 days": kept a minute (what clients may keep it), so a report
    leaves it within a minute of turning 90 days old; a list with dates does not depend on the clock."""
    page = reporting["it"]
    now = timezone.now()
    edge = ReportFactory(page=page, created_at=now - timedelta(days=90) + timedelta(seconds=30))
    dated = {"start_date": (now - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")}

    def refs(**params):
        return [item["service_request_id"] for item in get(client, "requests", **params)[1]]

    assert refs() == [edge.reference] and refs(**dated) == [edge.reference]
    later = time.time() + 61
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: later)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now + timedelta(seconds=61))
    assert refs() == []
    assert refs(**dated) == [edge.reference]


def _lighting():
    from participation.reports import categories_in

    return [c for c in categories_in("it") if c.service_code == "lighting"]


def test_requests_xml_and_one_request(reporting, client):
    page = reporting["it"]
    first = ReportFactory(page=page, description="Buca <grande> & profonda")
    second = ReportFactory(page=page)
    response, root = get(client, "requests", "xml")
    assert response.status_code == 200
    found = xml_requests(root)
    assert [item["service_request_id"] for item in found] == [second.reference, first.reference]
    assert list(found[1]) == REQUEST_FIELDS and found[1]["description"] == "Buca <grande> & profonda"
    assert found[1]["status"] == "open" and float(found[1]["lat"]) == PIAZZA_CASTELLO[0]
    for fmt in ("json", "xml"):
        response, data = get(client, f"requests/{first.reference}", fmt)
        assert response.status_code == 200
        items = data if fmt == "json" else xml_requests(data)
        assert [item["service_request_id"] for item in items] == [first.reference]
        missing = client.get(f"{BASE}requests/TO-2026-999999.{fmt}")
        assert missing.status_code == 404
        [(_code, description)] = errors_of(missing, fmt)
        assert "TO-2026-999999" in description


def test_requests_filters(reporting, client, monkeypatch):
    page = reporting["it"]
    now = timezone.now()
    old = ReportFactory(page=page, created_at=now - timedelta(days=120))
    pothole = ReportFactory(page=page, created_at=now - timedelta(days=10))
    light = ReportFactory(page=page, category=_lighting()[0], created_at=now - timedelta(days=5))
    closed = ReportFactory(page=page, created_at=now - timedelta(days=1))
    change_status(report=closed, status=ReportStatus.CLOSED, message="Chiusa.")

    def refs(**params):
        response, data = get(client, "requests", **params)
        assert response.status_code == 200, response.content
        return [item["service_request_id"] for item in data]

    assert refs() == [closed.reference, light.reference, pothole.reference]  # the last 90 days
    assert refs(service_request_id=f"{old.reference},{light.reference}") == [light.reference, old.reference]
    assert refs(service_request_id=old.reference, status="closed") == [old.reference]  # it overrides the rest
    assert refs(service_code="lighting") == [light.reference]
    assert refs(service_code="lighting,potholes") == [closed.reference, light.reference, pothole.reference]
    assert refs(service_code="nothing") == []
    assert refs(status="open") == [light.reference, pothole.reference]
    assert refs(status="closed") == [closed.reference]
    assert refs(status="open,closed") == [closed.reference, light.reference, pothole.reference]
    start = (now - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert refs(start_date=start) == [closed.reference, light.reference, pothole.reference, old.reference]
    assert refs(start_date=start, end_date=end) == [pothole.reference, old.reference]
    assert refs(end_date=end) == [pothole.reference]  # the 90 days before end_date
    offset = timezone.localtime(now - timedelta(days=7)).isoformat(timespec="seconds")
    assert refs(start_date=offset) == [closed.reference, light.reference]
    unencoded = client.get(f"{BASE}requests.json?start_date={offset}")  # "+01:00" arrives as " 01:00"
    assert [item["service_request_id"] for item in json.loads(unencoded.content)] == [
        closed.reference,
        light.reference,
    ]
    assert refs(start_date=(now - timedelta(days=2)).date().isoformat()) == [closed.reference]
    monkeypatch.setattr("participation.open311.MAX_REQUESTS", 2)
    cache.clear()  # the lists kept so far were cut at the old limit (in production a release changes it)
    assert refs() == [closed.reference, light.reference]
    for params in ({"status": "pending"}, {"start_date": "ieri"}, {"start_date": end, "end_date": start}):
        for fmt in ("json", "xml"):
            response = client.get(f"{BASE}requests.{fmt}", params)
            assert response.status_code == 400 and errors_of(response, fmt), params


def test_media_url_is_the_first_visible_photo(reporting, client):
    page = reporting["it"]
    report = ReportFactory(page=page)
    hidden = wagtail_factories.ImageFactory(title="nascosta")
    shown = wagtail_factories.ImageFactory(title="visibile")
    hidden_photo = ReportPhoto.objects.create(report=report, image=hidden, sort_order=0, is_hidden=True)
    ReportPhoto.objects.create(report=report, image=shown, sort_order=1)
    [item] = get(client, "requests")[1]
    assert item["media_url"] == f"http://testserver{shown.file.url}"  # no rendition made yet: the original
    rendition = shown.get_rendition(MEDIA_RENDITION)
    set_hidden(report=report, photo_ids_hidden=[hidden_photo.pk])  # any change to the reports makes the list again
    [item] = get(client, "requests")[1]
    assert item["media_url"] == f"http://testserver{rendition.url}"
    assert hidden.file.url not in get(client, "requests", "xml")[0].content.decode()


def test_hidden_text_and_notes_never_leave(reporting, client, api_key):
    page = reporting["it"]
    report = ReportFactory(page=page, title="Insulto volgare", description="Testo offensivo")
    set_hidden(report=report, text_hidden=True)
    add_note(report=report, message="Nota riservata per l'ufficio", user=None)
    for language in ("it", "en"):
        with translation.override(language):
            notice = gettext("Text hidden by the moderators")
        for fmt in ("json", "xml"):
            for path in ("requests", f"requests/{report.reference}"):
                response = client.get(f"{BASE}{path}.{fmt}", {"locale": language})
                body = response.content.decode()
                assert response.status_code == 200
                assert "Insulto" not in body and "offensivo" not in body and "Nota riservata" not in body
                assert notice in body


# --- filing a request -------------------------------------------------------------------------------


def test_a_client_files_a_report_that_shows_on_the_reporting_page(reporting, client, api_key):
    page = reporting["it"]
    csrf_client = Client(enforce_csrf_checks=True)  # authenticated by its key: no CSRF token needed
    response = post(csrf_client, **valid_post(api_key))
    assert response.status_code == 201, response.content
    [created] = json.loads(response.content)
    report = Report.objects.get()
    assert created == {"service_request_id": report.reference, "service_notice": "", "account_id": ""}
    assert report.source == ReportSource.OPEN311 and report.user is None and report.group_id == page.group_key
    assert report.title == "Buca profonda davanti a Palazzo Madama"
    assert report.description.endswith("Sul lato dei binari del tram.")
    assert report.answers == {questions()["È pericoloso?"]: "yes", questions()["Quanto è grande?"]: "1"}
    assert (report.latitude, report.longitude) == PIAZZA_CASTELLO and report.district == 1
    assert (report.contact_name, report.contact_email) == ("Anna Verdi", "segnalatore@example.org")
    assert report.language == "it" and report.status == ReportStatus.NEW
    assert Open311Key.objects.get().last_used_at is not None
    listing = client.get(page.url).content.decode()
    assert "Buca profonda davanti a Palazzo Madama" in listing and report.reference in listing
    assert "segnalatore@example.org" not in listing and "Verdi" not in listing
    [item] = get(client, f"requests/{report.reference}")[1]
    assert item["service_code"] == "potholes" and item["status"] == "open"
    assert "segnalatore" not in json.dumps(item) and "Verdi" not in json.dumps(item)
    # XML, in English, placed by a street of the list.
    street = next(s for s in streets() if s["name"] == "Via Garibaldi")
    response = post(
        csrf_client,
        "xml",
        **valid_post(api_key, lat=None, long=None, address_string="  via GARIBALDI, 12 ", locale="en"),
    )
    assert response.status_code == 201, response.content
    root = xml_root(response.content)
    assert root.tag == "service_requests"
    reference = root.findtext("request/service_request_id")
    second = Report.objects.get(reference=reference)
    assert (second.latitude, second.longitude) == (street["lat"], street["lng"])
    assert second.address == "via GARIBALDI, 12" and second.district == street["district"]
    assert second.language == "en"
    assert root.findtext("request/service_notice") == "" and root.find("request/account_id") is not None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_refused_requests_are_spec_errors_and_store_nothing(reporting, client, api_key, fmt):
    danger = f"attribute[{questions()['È pericoloso?']}]"
    size = f"attribute[{questions()['Quanto è grande?']}]"
    cases = [
        (403, {"api_key": None}),
        (403, {"api_key": "not-a-key"}),
        (403, {"api_key": api_key[:-1] + ("A" if api_key[-1] != "A" else "B")}),
        (400, {"service_code": None}),
        (400, {"service_code": "nothing"}),
        (400, {"description": None}),
        (400, {"description": "   \x01 "}),
        (400, {"description": "x" * 2001}),
        (400, {"lat": None, "long": None}),
        (400, {"long": None}),
        (400, {"lat": "nan"}),
        (400, {"lat": "abc"}),
        (400, {"lat": str(OUTSIDE_TURIN[0]), "long": str(OUTSIDE_TURIN[1])}),
        (400, {"lat": None, "long": None, "address_string": "Via dei Sogni, 3"}),
        (400, {danger: None}),
        (400, {danger: "forse"}),
        (400, {size: "7"}),
        (400, {"email": "not an address"}),
        (404, {"jurisdiction_id": "roma.it"}),
    ]
    for status, overrides in cases:
        response = post(client, fmt, **valid_post(api_key, **overrides))
        assert response.status_code == status, (overrides, response.content)
        assert errors_of(response, fmt)
    assert Report.objects.count() == 0
    call_command("open311_key", "--revoke", "App Torino Segnala", stdout=io.StringIO())
    response = post(client, fmt, **valid_post(api_key))
    assert response.status_code == 403 and errors_of(response, fmt)
    assert Report.objects.count() == 0


def test_wrong_keys_are_rate_limited_per_address(reporting, client, api_key, settings):
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "problem": "2/1h/ip"}
    statuses = [post(client, **valid_post("wrong-key")).status_code for _ in range(3)]
    assert statuses == [403, 403, 429]
    limited = post(client, "xml", **valid_post("wrong-key"))
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0 and errors_of(limited, "xml")
    for _ in range(3):  # a valid key is trusted: a city app sends every citizen's report from one address
        assert post(client, **valid_post(api_key)).status_code == 201


def test_get_only_endpoints_refuse_other_methods(reporting, client):
    response = client.post(f"{BASE}services.json")
    assert response.status_code == 405 and response["Allow"] == "GET" and errors_of(response, "json")
    assert client.delete(f"{BASE}requests.xml").status_code == 405
    assert client.get(f"{BASE}services.csv").status_code == 404


# --- keys -------------------------------------------------------------------------------------------


def test_the_key_command_prints_a_key_once_and_stores_only_its_hash(db):
    out = io.StringIO()
    call_command("open311_key", "App Torino Segnala", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert len(key) >= 40
    stored = Open311Key.objects.get()
    assert stored.name == "App Torino Segnala" and stored.is_active
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest() and stored.prefix == key[:8]
    assert key not in {str(value) for value in Open311Key.objects.values().get().values()}
    assert check_key(key) == stored and check_key(key + "x") is None and check_key("") is None
    with pytest.raises(CommandError):
        call_command("open311_key", "App Torino Segnala", stdout=io.StringIO())
    listing = io.StringIO()
    call_command("open311_key", "--list", stdout=listing)
    assert "App Torino Segnala" in listing.getvalue() and key not in listing.getvalue()
    call_command("open311_key", "--revoke", "App Torino Segnala", stdout=io.StringIO())
    assert check_key(key) is None and not Open311Key.objects.get().is_active
    with pytest.raises(CommandError):
        call_command("open311_key", "--revoke", "Nessuno", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("open311_key", stdout=io.StringIO())


# --- query counts -----------------------------------------------------------------------------------


def test_query_counts_stay_flat_as_reports_grow(reporting, client, django_assert_max_num_queries):
    page = reporting["it"]

    def add(count):
        for _ in range(count):
            report = ReportFactory(page=page)
            change_status(report=report, status=ReportStatus.ACKNOWLEDGED, message="Presa in carico.")
            add_note(report=report, message="Nota.", user=None)
            image = wagtail_factories.ImageFactory()
            ReportPhoto.objects.create(report=report, image=image, sort_order=0)
            image.get_rendition(MEDIA_RENDITION)

    def measure(expected):
        for fmt in ("json", "xml"):
            with django_assert_max_num_queries(5):  # categories, reports, updates, photos, renditions
                response, data = get(client, "requests", fmt)
            assert response.status_code == 200
            items = data if fmt == "json" else xml_requests(data)
            assert len(items) == expected and all(item["media_url"] for item in items)
            assert all(item["status_notes"] == "Presa in carico." for item in items)
        for path in ("services", "services/potholes", "discovery"):
            with django_assert_max_num_queries(1):
                assert client.get(f"{BASE}{path}.json").status_code == 200

    add(2)
    measure(2)
    add(20)
    measure(22)
    reference = Report.objects.order_by("pk").first().reference
    with django_assert_max_num_queries(5):
        assert client.get(f"{BASE}requests/{reference}.json").status_code == 200


# --- real clients against a live server ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_georeport_clients_against_a_live_server(live_server):
    """georeport (the PyPI GeoReport v2 wrapper: reads only) lists the services, reads the definition
    and the requests in JSON and XML; a request is filed with a key as the specification's form-encoded POST."""
    import requests
    from georeport import GeoReport

    reporting = build_reporting(build_tree(poll=False)["consultation"])
    codes = questions()
    existing = ReportFactory(page=reporting["it"], description="Buca già segnalata.")
    _key, plaintext = new_key("Test client")
    root = f"{live_server.url}/open311/v2"

    reader = GeoReport(root, jurisdiction="torino.it")
    services = reader.get_service_list()
    assert [s["service_code"] for s in services] == ["potholes", "lighting"]
    definition = reader.get_service_definition("potholes")
    assert [a["code"] for a in definition["attributes"]] == list(codes.values())
    [request] = reader.get_service_requests()
    assert request["service_request_id"] == existing.reference and request["description"] == "Buca già segnalata."
    assert reader.get_service_request(existing.reference)["status"] == "open"

    xml_reader = GeoReport(root, jurisdiction="torino.it", output_format="xml")
    assert [s["service_name"] for s in xml_reader.get_service_list()] == ["Buche", "Illuminazione"]
    xml_definition = xml_reader.get_service_definition("potholes")
    assert xml_definition["attributes"]["attribute"][0]["values"]["value"][0] == {"key": "yes", "name": "Sì"}
    assert xml_reader.get_service_request(existing.reference)["lat"] == str(PIAZZA_CASTELLO[0])

    # georeport cannot file a request: the POST is the specification's form-encoded request, sent as
    # any client sends it (requests, which georeport itself uses), with a key.
    sent = requests.post(
        f"{root}/requests.json",
        data={
            "jurisdiction_id": "torino.it",
            "api_key": plaintext,
            "service_code": "potholes",
            "lat": PIAZZA_CASTELLO[0] + 0.001,
            "long": PIAZZA_CASTELLO[1],
            "description": "Tombino sollevato in via Roma",
            f"attribute[{codes['È pericoloso?']}]": "no",
            f"attribute[{codes['Quanto è grande?']}]": "0",
            "email": "app@example.org",
            "first_name": "Luca",
            "last_name": "Neri",
        },
        timeout=30,
    )
    assert sent.status_code == 201, sent.text
    [created] = sent.json()
    reference = created["service_request_id"]
    report = Report.objects.get(reference=reference)
    assert report.source == ReportSource.OPEN311 and report.answers == {
        codes["È pericoloso?"]: "no",
        codes["Quanto è grande?"]: "0",
    }
    assert reader.get_service_request(reference)["description"] == "Tombino sollevato in via Roma"
    assert [r["service_request_id"] for r in reader.get_service_requests(status="open")] == [
        reference,
        existing.reference,
    ]
    assert reader.get_service_requests(service_request_id=reference)[0]["service_code"] == "potholes"
    refused = requests.post(
        f"{root}/requests.json",
        data={"api_key": "wrong", "service_code": "potholes", "lat": 45.07, "long": 7.68, "description": "x"},
        timeout=30,
    )
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    assert Report.objects.count() == 2
    assert ReportUpdate.objects.count() == 0


def test_control_characters_anywhere_are_no_error(reporting, client, api_key):
    """PostgreSQL refuses NUL in text and in queries: no parameter carrying one reaches it."""
    for params in ({"service_request_id": "TO-2026-\x00"}, {"service_code": "\x00"}, {"status": "open\x00"}):
        assert client.get(f"{BASE}requests.json", params).status_code < 500
    assert post(client, **{**valid_post(api_key), "api_key": "\x00" * 12}).status_code == 403
    nul = valid_post(
        api_key,
        description="Buca\x00 profonda",
        first_name="An\x00na",
        service_code="pot\x00holes",
    )
    assert post(client, **nul).status_code == 400  # no such service code
    response = post(
        client, **{**nul, "service_code": "potholes", "lat": "", "long": "", "address_string": "Via\x00 Roma"}
    )
    assert response.status_code < 500
    response = post(client, **{**nul, "service_code": "potholes"})
    assert response.status_code == 201, response.content
    report = Report.objects.get(reference=json.loads(response.content)[0]["service_request_id"])
    assert report.description == "Buca profonda" and report.contact_name == "Anna Verdi"
