"""The published JSON Schemas of neighbourhood reports (participation/schemas/): reports.geojson in both
languages and empty, and every Open311 GeoReport v2 JSON answer (discovery, services, service definitions,
requests, one request, a new request's 201, errors), each validated against its schema with format
checking. Every object in the schemas is closed (additionalProperties false, every property required),
so a field gained or lost fails here."""

import json
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import wagtail_factories
from django.test import Client
from referencing import Registry, Resource

from participation.models import ReportPhoto, ReportStatus
from participation.open311 import MEDIA_RENDITION, new_key
from participation.reports import categories_in, change_status, set_following, set_hidden
from tests.factories import ReportFactory, ReportingPageFactory, UserFactory
from tests.test_open311 import BASE, build_reporting, valid_post

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parent.parent / "participation/schemas"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def load(name):
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def format_checker():
    """Draft 2020-12's format checker, with date-time and uri checked too: jsonschema checks those only
    with optional packages (rfc3339-validator, rfc3987) this project does not install."""
    checker = jsonschema.FormatChecker(formats=jsonschema.Draft202012Validator.FORMAT_CHECKER.checkers)

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value):
        if not isinstance(value, str):
            return True
        if not RFC3339.match(value):
            return False
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # a real day and time, else ValueError
        return True

    @checker.checks("uri")
    def is_uri(value):
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc) and not re.search(r"\s", value)

    return checker


def validator_for(schema, definition=None):
    """A validator of ``schema``, or of its ``$defs[definition]`` (through a $ref, as a client would)."""
    if definition is None:
        return jsonschema.Draft202012Validator(schema, format_checker=format_checker())
    assert definition in schema["$defs"]
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    return jsonschema.Draft202012Validator(
        {"$ref": f"{schema['$id']}#/$defs/{definition}"}, registry=registry, format_checker=format_checker()
    )


def closed_objects(schema, path="#"):
    """(path, schema) of every object schema (one that lists properties) in ``schema`` and its subschemas."""
    if not isinstance(schema, dict):
        return
    if "properties" in schema:
        yield path, schema
    for keyword in ("properties", "$defs"):
        for name, child in schema.get(keyword, {}).items():
            yield from closed_objects(child, f"{path}/{keyword}/{name}")
    if "items" in schema:
        yield from closed_objects(schema["items"], f"{path}/items")
    for keyword in ("prefixItems", "anyOf", "oneOf", "allOf"):
        for index, child in enumerate(schema.get(keyword, [])):
            yield from closed_objects(child, f"{path}/{keyword}/{index}")


@pytest.fixture
def reporting(tree):
    return build_reporting(tree["consultation"])


@pytest.fixture
def reports(reporting):
    """One report of each kind the public sees: plain, text hidden, answered in public, a duplicate, with
    photos (one hidden), in another category, without a district, followed ("me too")."""
    page = reporting["it"]
    plain = ReportFactory(page=page, address="Piazza Castello, 1")
    hidden = ReportFactory(page=page, title="Insulto volgare", description="Testo offensivo")
    set_hidden(report=hidden, text_hidden=True)
    answered = ReportFactory(page=page)
    change_status(report=answered, status=ReportStatus.IN_PROGRESS, message="Intervento programmato.")
    duplicate = ReportFactory(page=page)
    change_status(report=duplicate, status=ReportStatus.DUPLICATE, message="Già segnalata.", duplicate_of=plain)
    photographed = ReportFactory(page=page, title='Buca "profonda" <b>')
    ReportPhoto.objects.create(
        report=photographed, image=wagtail_factories.ImageFactory(), sort_order=0, is_hidden=True
    )
    ReportPhoto.objects.create(report=photographed, image=wagtail_factories.ImageFactory(), sort_order=1)
    lighting = next(c for c in categories_in("it") if c.service_code == "lighting")
    resolved = ReportFactory(page=page, category=lighting, district=None)
    change_status(report=resolved, status=ReportStatus.RESOLVED, message="Lampada sostituita.")
    set_following(report=plain, user=UserFactory(), follow=True)
    return {
        "plain": plain,
        "hidden": hidden,
        "answered": answered,
        "duplicate": duplicate,
        "photographed": photographed,
        "resolved": resolved,
    }


# --- the schemas themselves ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["reports.geojson.schema.json", "open311.schema.json"])
def test_the_schemas_are_valid_and_every_object_is_closed(name):
    schema = load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://torinopartecipa.example/schemas/{name}"
    assert schema["title"] and schema["description"]
    found = list(closed_objects(schema))
    assert found
    for path, node in found:
        assert node.get("additionalProperties") is False, path
        assert sorted(node.get("required", [])) == sorted(node["properties"]), path


def test_the_format_checker_checks_dates_and_uris():
    checker = format_checker()
    for good in ("2026-03-01T10:00:00+01:00", "2026-03-01T09:00:00.123456+00:00", "2026-12-06T00:00:00Z"):
        assert checker.conforms(good, "date-time"), good
    for bad in ("2026-02-31T10:00:00+01:00", "2026-03-01 10:00:00", "2026-03-01T10:00:00", "ieri"):
        assert not checker.conforms(bad, "date-time"), bad
    assert checker.conforms("http://testserver/media/a.webp", "uri")
    assert not checker.conforms("/media/a.webp", "uri") and not checker.conforms("http://a b", "uri")
    assert not checker.conforms("not-a-uuid", "uuid") and not checker.conforms("nobody", "email")


def test_a_changed_answer_fails():
    """The schemas refuse a feature or request that gains or loses a field."""
    feed = validator_for(load("reports.geojson.schema.json"))
    open311 = load("open311.schema.json")
    requests = validator_for(open311, "service_requests")
    errors = validator_for(open311, "errors")
    feature = {
        "type": "Feature",
        "id": 1,
        "geometry": {"type": "Point", "coordinates": [7.6857, 45.0711]},
        "properties": {
            "reference": "TO-2026-000001",
            "title": "Buca",
            "category": "Buche",
            "category_key": "0b8a6f52-2a3e-4c11-9d1e-2f6f7d1f4a10",
            "service_code": "potholes",
            "colour": "blue",
            "status": "new",
            "status_label": "Nuova",
            "summary": "Buche · Nuova",
            "me_too": 0,
            "district": 1,
            "reported_at": "2026-03-01T09:00:00.123456+00:00",
            "url": "/it/partecipa/parco-dora/segnalazioni-1/1/",
        },
    }
    feed.validate({"type": "FeatureCollection", "features": [feature]})
    gained = {**feature, "properties": {**feature["properties"], "email": "a@example.org"}}
    lost = {**feature, "properties": {k: v for k, v in feature["properties"].items() if k != "district"}}
    for changed in (gained, lost):
        assert not feed.is_valid({"type": "FeatureCollection", "features": [changed]})
    assert not requests.is_valid([{"service_request_id": "TO-2026-000001"}])
    assert not errors.is_valid([{"code": 400, "description": "x", "extra": 1}]) and not errors.is_valid([])


# --- reports.geojson -----------------------------------------------------------------------------


def test_every_feed_validates_against_the_published_schema(reporting, reports):
    validator = validator_for(load("reports.geojson.schema.json"))
    for code, page in reporting.items():
        response = Client().get(page.url + "reports.geojson")
        assert response.status_code == 200
        feed = json.loads(response.content)
        validator.validate(feed)
        assert len(feed["features"]) == len(reports)
        by_reference = {feature["properties"]["reference"]: feature["properties"] for feature in feed["features"]}
        assert by_reference[reports["resolved"].reference]["district"] is None
        assert by_reference[reports["plain"].reference]["me_too"] == 1
        assert all(properties["url"].startswith(f"/{code}/") for properties in by_reference.values())
        assert "Insulto" not in response.content.decode()
    empty = ReportingPageFactory(parent=reporting["it"].get_parent())
    response = Client().get(empty.url + "reports.geojson")
    assert response.status_code == 200
    validator.validate(json.loads(response.content))
    assert json.loads(response.content)["features"] == []


# --- Open311 -------------------------------------------------------------------------------------


def answer(client, path, params=None, status=200, method="get"):
    """The JSON answer to ``method`` ``BASE<path>.json`` with ``params``, checking its status."""
    response = getattr(client, method)(f"{BASE}{path}.json", params or {})
    assert response.status_code == status, (path, params, response.content)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def test_every_open311_answer_validates_against_the_published_schema(reporting, reports, client, settings):
    schema = load("open311.schema.json")
    validators = {name: validator_for(schema, name) for name in schema["$defs"]}
    anything = validator_for(schema)

    def check(definition, data):
        validators[definition].validate(data)
        anything.validate(data)
        return data

    assert check("discovery", answer(client, "discovery"))["contact"] == ""
    settings.OPEN311_CONTACT = "segnalazioni@example.org"
    discovery = check("discovery", answer(client, "discovery"))
    assert discovery["contact"] == "segnalazioni@example.org" and discovery["key_service"]
    for locale in ("it", "en"):
        services = check("service_list", answer(client, "services", {"locale": locale}))
        assert [service["service_code"] for service in services] == ["potholes", "lighting"]
        for service in services:
            definition = check(
                "service_definition", answer(client, f"services/{service['service_code']}", {"locale": locale})
            )
            assert bool(definition["attributes"]) == service["metadata"]
    listed = check("service_requests", answer(client, "requests"))
    assert {item["service_request_id"] for item in listed} == {report.reference for report in reports.values()}
    [photographed] = [item for item in listed if item["service_request_id"] == reports["photographed"].reference]
    assert photographed["media_url"].startswith("http://testserver/")
    ReportPhoto.objects.filter(report=reports["photographed"], is_hidden=False).get().image.get_rendition(
        MEDIA_RENDITION
    )
    for params in (
        {"locale": "en"},
        {"status": "open"},
        {"status": "closed"},
        {"status": "open,closed", "service_code": "lighting"},
        {"service_code": "nothing"},
        {"service_request_id": f"{reports['plain'].reference},{reports['hidden'].reference}"},
        {"start_date": "2020-01-01T00:00:00Z", "end_date": "2099-01-01T00:00:00+01:00"},
        {"start_date": "2020-01-01"},
    ):
        check("service_requests", answer(client, "requests", params))
    for report in reports.values():
        for locale in ("it", "en"):
            [one] = check("service_requests", answer(client, f"requests/{report.reference}", {"locale": locale}))
            assert one["service_request_id"] == report.reference
    # A client files a report: the 201 answer, then the report as a request and in the feed.
    key = new_key("App Torino Segnala")[1]
    created = check("created_requests", answer(client, "requests", valid_post(key), 201, "post"))
    [filed] = check("service_requests", answer(client, f"requests/{created[0]['service_request_id']}"))
    assert filed["service_code"] == "potholes" and filed["status"] == "open"
    feed = json.loads(Client().get(reporting["it"].url + "reports.geojson").content)
    validator_for(load("reports.geojson.schema.json")).validate(feed)
    assert created[0]["service_request_id"] in {feature["properties"]["reference"] for feature in feed["features"]}


def test_every_open311_error_validates_against_the_published_schema(reporting, reports, client, settings):
    validator = validator_for(load("open311.schema.json"), "errors")
    key = new_key("App Torino Segnala")[1]
    refused = [
        (400, "get", "requests", {"status": "pending"}),
        (400, "get", "requests", {"start_date": "ieri"}),
        (400, "get", "requests", {"start_date": "2026-02-01", "end_date": "2026-01-01"}),
        (400, "post", "requests", valid_post(key, service_code="nothing")),
        (400, "post", "requests", valid_post(key, lat="nan")),
        (400, "post", "requests", valid_post(key, description="x" * 2001)),
        (403, "post", "requests", valid_post("not-a-key")),
        (403, "post", "requests", valid_post(None)),
        (404, "get", "services/nothing", {}),
        (404, "get", "requests/TO-2026-999999", {}),
        (404, "get", "services", {"jurisdiction_id": "milano.it"}),
        (404, "post", "requests", valid_post(key, jurisdiction_id="roma.it")),
        (405, "post", "services", {}),
        (405, "delete", "discovery", {}),
    ]
    for status, method, path, params in refused:
        if method == "delete":
            response = client.delete(f"{BASE}{path}.json")
            assert response.status_code == status
            errors = json.loads(response.content)
        else:
            errors = answer(client, path, params, status, method)
        validator.validate(errors)
        assert [error["code"] for error in errors] == [status], (path, params)
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "problem": "1/1h/ip"}
    answer(client, "requests", valid_post("wrong-key"), 403, "post")
    limited = answer(client, "requests", valid_post("wrong-key"), 429, "post")
    validator.validate(limited)
