"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2/): the City's report categories as services,
the public reports as service requests, and new reports from trusted clients that hold a key.

Served at ``/open311/v2/`` (civic_site/urls.py), outside the language prefixes, in JSON and XML:

- ``GET discovery.{json,xml}``
- ``GET services.{json,xml}``: the categories, in the language of ``?locale=`` or Accept-Language
  ("it" or "en"; Italian by default)
- ``GET services/<service_code>.{json,xml}``: a category's extra questions as attributes
- ``GET requests.{json,xml}``: public reports, newest first, at most MAX_REQUESTS; filters
  ``service_request_id`` (comma separated references: overrides the others), ``service_code``,
  ``status`` (open, closed), ``start_date`` and ``end_date`` (ISO 8601; the last 90 days when neither)
- ``GET requests/<service_request_id>.{json,xml}``
- ``POST requests.{json,xml}``: a new report, form-encoded, with an ``api_key`` (an Open311Key,
  made with ``python manage.py open311_key NAME``; only its SHA-256 is stored)

What the public page of a report hides is never here either: hidden text (its notice instead),
hidden photos, internal notes, the reporter's name and contact. Errors are the spec's error list,
with the matching HTTP status.
"""

import hashlib
import hmac
import json
import math
import re
import secrets
import xml.etree.ElementTree as ET
from datetime import datetime, time, timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch
from django.http import HttpResponse
from django.urls import re_path, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.csrf import csrf_exempt

from civic_site import pagecache

from .core import ratelimit
from .ideas import CONTROL, feed_entry, feed_response
from .models.reports import (
    DESCRIPTION_MAX_LENGTH,
    OPEN_STATUSES,
    TITLE_MAX_LENGTH,
    Open311Key,
    QuestionKind,
    Report,
    ReportingPage,
    ReportPhoto,
    ReportSource,
    ReportUpdate,
)
from .reports import REPORTS_TAG, ReportRejected, categories_in, nearest_district, streets, submit_report

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-06T00:00:00Z"  # when this endpoint last changed what it answers (discovery)
MAX_REQUESTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
# The requests list's filters (any other parameter changes nothing), and how long a list is kept: a minute
# when it is "the last 90 days", a day when its dates are given (new reports drop it at once either way).
LIST_FILTERS = ("service_request_id", "service_code", "status", "start_date", "end_date")
LIST_TIMEOUT = 60
FEED_TIMEOUT = 24 * 60 * 60
TEXT_ANSWER_MAX_LENGTH = 200
# The photo size the report's public page shows: its rendition, when it was made, is the media_url.
MEDIA_RENDITION = "max-800x600|format-webp"
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Elements of XML lists: <services><service>…, <attributes><attribute>…
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
# Characters XML 1.0 cannot hold, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Open311Error(Exception):
    """A request refused: answered as the spec's error list with ``code`` as the HTTP status."""

    def __init__(self, code, description, retry_after=None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


# --- keys -------------------------------------------------------------------------------------------


def hash_key(text):
    return hashlib.sha256(text.encode()).hexdigest()


def new_key(name):
    """A new active key for the client ``name``: (Open311Key, the key in clear, to hand over once)."""
    plaintext = secrets.token_urlsafe(32)
    key = Open311Key.objects.create(name=name, key_hash=hash_key(plaintext), prefix=plaintext[:8])
    return key, plaintext


def check_key(text, touch=True):
    """The active Open311Key whose key is ``text``, else None; ``touch`` records it was used now."""
    if not text or len(text) > 200 or CONTROL.search(text):  # no key holds one (and PostgreSQL refuses NUL)
        return None
    digest = hash_key(text)
    found = None
    # Looked up by the prefix (not by the hash), then compared in constant time.
    for candidate in Open311Key.objects.filter(prefix=text[:8], is_active=True):
        if hmac.compare_digest(candidate.key_hash, digest):
            found = candidate
    if found is not None and touch:
        found.last_used_at = timezone.now()
        Open311Key.objects.filter(pk=found.pk).update(last_used_at=found.last_used_at)
    return found


def _text(value):
    """``value`` without control characters and surrounding blanks ("" for None)."""
    return CONTROL.sub("", value or "").strip()


# --- formats ----------------------------------------------------------------------------------------


def _xml_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _xml_element(tag, value):
    element = ET.Element(tag)
    if isinstance(value, dict):
        for name, child in value.items():
            element.append(_xml_element(name, child))
    elif isinstance(value, list | tuple):
        for child in value:
            element.append(_xml_element(XML_ITEMS[tag], child))
    else:
        element.text = _xml_text(value)
    return element


def serialize(fmt, root, data):
    """``data`` as JSON bytes, or as XML under ``root`` (lists' items named by XML_ITEMS)."""
    if fmt == "xml":
        return ET.tostring(_xml_element(root, data), encoding="utf-8", xml_declaration=True)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def render(fmt, root, data, status=200):
    response = HttpResponse(serialize(fmt, root, data), status=status, content_type=CONTENT_TYPES[fmt])
    response["Cache-Control"] = "no-store"
    return response


def error_response(fmt, error):
    response = render(fmt, "errors", [{"code": error.code, "description": error.description}], status=error.code)
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    return response


def _language(request):
    """The language to answer in, "it" or "en": ``?locale=`` (en, en_US, it-IT…), else the first of
    Accept-Language we have, else Italian."""
    known = {code for code, _name in settings.LANGUAGES}
    wanted = request.GET.get("locale") or (request.POST.get("locale") if request.method == "POST" else "") or ""
    code = wanted.replace("_", "-").split("-")[0].lower()
    if code in known:
        return code
    for tag, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        code = tag.split("-")[0].lower()
        if code in known:
            return code
    return "it"


def endpoint(methods=("GET",)):
    """A GeoReport view: the method checked, ``jurisdiction_id`` checked, Open311Error answered in the
    request's format; GETs readable from any origin. The view gets the language as ``language``."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, fmt, **kwargs):
            if request.method == "HEAD":
                request.method = "GET"
            try:
                if request.method not in methods:
                    response = error_response(fmt, Open311Error(405, f"Method {request.method} not allowed."))
                    response["Allow"] = ", ".join(methods)
                    return response
                jurisdiction = request.GET.get("jurisdiction_id") or (
                    request.POST.get("jurisdiction_id") if request.method == "POST" else None
                )
                if jurisdiction and jurisdiction != getattr(settings, "OPEN311_JURISDICTION", "torino.it"):
                    raise Open311Error(404, "jurisdiction_id not found.")
                language = _language(request)
                with translation.override(language):
                    response = view(request, fmt, language=language, **kwargs)
                response["Content-Language"] = language
            except Open311Error as error:
                response = error_response(fmt, error)
            if request.method == "GET":
                response["Access-Control-Allow-Origin"] = "*"
            return response

        return wrapper

    return decorate


# --- services ---------------------------------------------------------------------------------------


@endpoint()
def discovery(request, fmt, language):
    base = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"})).rsplit("/", 1)[0]
    contact = getattr(settings, "OPEN311_CONTACT", "") or _site_contact()
    return render(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": contact,
            "key_service": f"Keys to send requests are issued by the City on request: {contact}" if contact else "",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


def _site_contact():
    from home.models import SiteLinks

    rows = SiteLinks.objects.filter(site__is_default_site=True).values_list("contact_email", flat=True)
    return rows.first() or ""


@endpoint()
def service_list(request, fmt, language):
    services = [
        {
            "service_code": category.service_code,
            "service_name": category.name,
            "description": category.description,
            "metadata": bool(category.question_list),
            "type": "realtime",
            "keywords": "",
            "group": category.office.name_in(language),
        }
        for category in categories_in(language)
    ]
    return render(fmt, "services", services)


def _category(code, language):
    for category in categories_in(language):
        if category.service_code == code:
            return category
    return None


def _values(kind, choices):
    if kind == QuestionKind.YES_NO:
        return [{"key": "yes", "name": _("Yes")}, {"key": "no", "name": _("No")}]
    if kind == QuestionKind.CHOICE:
        return [{"key": str(index), "name": choice} for index, choice in enumerate(choices)]
    return []


@endpoint()
def service_definition(request, fmt, language, code):
    category = _category(code, language)
    if category is None:
        raise Open311Error(404, f"service_code {code} not found.")
    attributes = [
        {
            "variable": True,
            "code": question_code,
            "datatype": "string" if kind == QuestionKind.TEXT else "singlevaluelist",
            "required": required,
            "datatype_description": "",
            "order": order,
            "description": label,
            "values": _values(kind, choices),
        }
        for order, (question_code, label, kind, choices, required) in enumerate(category.question_list, start=1)
    ]
    return render(fmt, "service_definition", {"service_code": category.service_code, "attributes": attributes})


# --- reading requests -------------------------------------------------------------------------------


def _split(value):
    return [part for part in (_text(piece) for piece in (value or "").split(",")) if part]


def _moment(params, name):
    """``params[name]`` (ISO 8601, a date or a date and time) as an aware datetime; None if absent."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
        if moment is None and re.search(r"\d \d{2}(:?\d{2})?$", raw):  # "+01:00" sent unencoded: a space
            cut = raw.rfind(" ")
            moment = parse_datetime(f"{raw[:cut]}+{raw[cut + 1 :]}")
        if moment is None:
            day = parse_date(raw)
            if day is not None:
                moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, f"{name} is not an ISO 8601 date and time, e.g. 2026-01-31T00:00:00Z.")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _reports():
    """Public reports with what a request shows, their public updates and visible photos: a fixed number
    of queries however many there are."""
    from wagtail.images import get_image_model

    rendition_model = get_image_model().get_rendition_model()
    photos = (
        ReportPhoto.objects.filter(is_hidden=False)
        .select_related("image")
        .prefetch_related(
            Prefetch(
                "image__renditions",
                queryset=rendition_model.objects.filter(filter_spec=MEDIA_RENDITION),
                to_attr="open311_renditions",
            )
        )
        .order_by("sort_order", "pk")
    )
    updates = ReportUpdate.objects.filter(kind=ReportUpdate.PUBLIC).exclude(message="").order_by("-created_at", "-pk")
    return (
        Report.objects.public()
        .select_related("office")
        .only(
            "reference",
            "category_key",
            "status",
            "description",
            "text_hidden",
            "address",
            "latitude",
            "longitude",
            "created_at",
            "updated_at",
            "office__name",
            "office__name_en",
        )
        .prefetch_related(
            Prefetch("updates", queryset=updates.only("report_id", "message", "created_at"), to_attr="public_updates"),
            Prefetch("photos", queryset=photos, to_attr="visible_photos"),
        )
        .order_by("-created_at", "-pk")
    )


def _iso(moment):
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def _media_url(request, report):
    for photo in report.visible_photos:
        image = photo.image
        renditions = getattr(image, "open311_renditions", [])
        url = renditions[0].url if renditions else image.file.url
        return request.build_absolute_uri(url)
    return ""


def _as_request(request, report, categories, language):
    category = categories.get(report.category_key)
    notes = report.public_updates
    return {
        "service_request_id": report.reference,
        "status": "open" if report.status in OPEN_STATUSES else "closed",
        "status_notes": notes[0].message if notes else "",
        "service_name": category.name if category else "",
        "service_code": category.service_code if category else "",
        "description": _("Text hidden by the moderators") if report.text_hidden else report.description,
        "agency_responsible": report.office.name_in(language),
        "service_notice": "",
        "requested_datetime": _iso(report.created_at),
        "updated_datetime": _iso(report.updated_at),
        "expected_datetime": "",
        "address": report.address,
        "address_id": "",
        "zipcode": "",
        "lat": report.latitude,
        "long": report.longitude,
        "media_url": _media_url(request, report),
    }


def _list_requests(request, fmt, language):
    """The list from the cache, under the content's version and every reporting page's reports' (a new
    report, a status, a note, a hidden text or photo bumps it), with an ETag: a client holding the list it
    got last is answered 304. Only the filters make the key (other parameters cannot multiply entries);
    the host does too (media_url is absolute). Without dates the list is the last 90 days, which move on:
    it is kept a minute, as long as clients may keep it (Cache-Control)."""
    params = {name: request.GET.get(name, "") for name in LIST_FILTERS}
    asked = json.dumps([fmt, language, request.scheme, request.get_host(), params])
    moving = not (params["service_request_id"] or params["start_date"] or params["end_date"])
    entry = pagecache.until_changed(
        "open311-requests",
        [REPORTS_TAG],
        [hashlib.sha256(asked.encode()).hexdigest()],
        lambda: feed_entry(serialize(fmt, "service_requests", _requests(request, language))),
        LIST_TIMEOUT if moving else FEED_TIMEOUT,
    )
    return feed_response(request, *entry, CONTENT_TYPES[fmt], vary="Accept-Encoding, Accept-Language")


def _requests(request, language):
    """The requests the list's filters choose, as dicts; Open311Error for a filter that makes no sense."""
    params = request.GET
    categories = {category.translation_key: category for category in categories_in(language)}
    reports = _reports()
    references = _split(params.get("service_request_id"))
    if references:  # the spec: it overrides every other filter
        reports = reports.filter(reference__in=references[:MAX_REQUESTS])
    else:
        codes = _split(params.get("service_code"))
        if codes:
            reports = reports.filter(
                category_key__in=[key for key, category in categories.items() if category.service_code in codes]
            )
        statuses = set(_split(params.get("status")))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open, closed or both (comma separated).")
        if statuses == {"open"}:
            reports = reports.filter(status__in=OPEN_STATUSES)
        elif statuses == {"closed"}:
            reports = reports.exclude(status__in=OPEN_STATUSES)
        start, end = _moment(params, "start_date"), _moment(params, "end_date")
        if start is not None and end is not None and start > end:
            raise Open311Error(400, "start_date is after end_date.")
        if start is None:  # the spec's default: the most recent 90 days (before end_date, if given)
            start = (end or timezone.now()) - DEFAULT_WINDOW
        reports = reports.filter(created_at__gte=start)
        if end is not None:
            reports = reports.filter(created_at__lte=end)
    return [_as_request(request, report, categories, language) for report in reports[:MAX_REQUESTS]]


@endpoint()
def service_request(request, fmt, language, request_id):
    report = _reports().filter(reference=request_id).first()
    if report is None:
        raise Open311Error(404, f"service_request_id {request_id} not found.")
    categories = {category.translation_key: category for category in categories_in(language)}
    return render(fmt, "service_requests", [_as_request(request, report, categories, language)])


# --- new requests -----------------------------------------------------------------------------------


def _required(post, name):
    value = (post.get(name) or "").strip()
    if not value:
        raise Open311Error(400, f"{name} is required.")
    return value


def _coordinate(post, name, limit):
    try:
        value = float(post.get(name, ""))
    except ValueError:
        raise Open311Error(400, f"{name} is not a number.") from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise Open311Error(400, f"{name} is out of range.")
    return value


def _street(address):
    """The listed street named by ``address`` ("Via Garibaldi" or "via garibaldi, 12"), else None."""
    by_name = {street["name"].casefold(): street for street in streets()}
    text = " ".join(address.split()).casefold()
    return by_name.get(text) or by_name.get(text.split(",")[0].strip())


def _place(post, page):
    """(lat, lng, address, district) from lat and long, or from address_string naming a listed street."""
    address = _text(post.get("address_string"))[:200]
    if (post.get("lat") or "").strip() or (post.get("long") or "").strip():
        lat, lng = _coordinate(post, "lat", 90), _coordinate(post, "long", 180)
        street = None
    elif address:
        street = _street(address)
        if street is None:
            raise Open311Error(400, "address_string is not a street of Turin we know: send lat and long.")
        lat, lng = street["lat"], street["lng"]
    else:
        raise Open311Error(400, "lat and long, or address_string, are required.")
    if not page.contains(lat, lng):
        raise Open311Error(400, "The location is outside the City of Turin: reports are accepted only inside it.")
    district = street["district"] if street is not None else nearest_district(lat, lng)
    return lat, lng, address, district


def _answers(post, category):
    answers = {}
    for code, _label, kind, choices, required in category.question_list:
        name = f"attribute[{code}]"
        value = (post.get(name) or "").strip()
        if not value:
            if required:
                raise Open311Error(400, f"{name} is required.")
            continue
        if kind == QuestionKind.YES_NO:
            value = value.lower()
            if value not in ("yes", "no"):
                raise Open311Error(400, f"{name} must be yes or no.")
        elif kind == QuestionKind.CHOICE:
            if value not in {str(index) for index in range(len(choices))}:
                raise Open311Error(400, f"{name} must be one of the keys in the service definition.")
        else:
            value = _text(" ".join(value.split()))
            if len(value) > TEXT_ANSWER_MAX_LENGTH:
                raise Open311Error(400, f"{name} is longer than {TEXT_ANSWER_MAX_LENGTH} characters.")
        answers[code] = value
    return answers


def _contact(post):
    email = (post.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, "email is not a valid email address.") from None
    name = " ".join(" ".join((post.get("first_name") or "", post.get("last_name") or "")).split())
    return {"name": _text(name), "email": email}


def _reporting_page():
    pages = ReportingPage.objects.live()
    return pages.filter(locale__language_code="it").first() or pages.order_by("pk").first()


def _authenticate(request):
    key = check_key(request.POST.get("api_key", ""))
    if key is None:
        # Wrong keys count against the client address's report limit: guessing and misconfigured
        # clients slow down; a valid key (issued by the City, revocable) is trusted, as a city app
        # sends every citizen's report from one address.
        try:
            ratelimit.enforce(
                "problem",
                ReportRejected,
                gettext_lazy("Too many attempts in a short time. Please try again in %(wait)s."),
                ip=ratelimit.client_ip(request),
            )
        except ReportRejected as rejection:
            raise Open311Error(429, str(rejection), retry_after=rejection.limited.retry_after) from None
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.")
    return key


def _create_request(request, fmt, language):
    post = request.POST
    _authenticate(request)
    code = _required(post, "service_code")
    category = _category(code, language)
    if category is None:
        raise Open311Error(400, f"service_code {code} not found.")
    description = _text(post.get("description"))
    if not description:
        raise Open311Error(400, "description is required.")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise Open311Error(400, f"description is longer than {DESCRIPTION_MAX_LENGTH} characters.")
    page = _reporting_page()
    if page is None:
        raise Open311Error(503, "Reports are not accepted at the moment.")
    lat, lng, address, district = _place(post, page)
    data = {
        "category_key": category.translation_key,
        "position": (lat, lng),
        "title": description.splitlines()[0].strip()[:TITLE_MAX_LENGTH],
        "description": description,
        "answers": _answers(post, category),
        "address": address,
        "district": district,
        "private": True,  # an Open311 reporter's name is never shown
    }
    try:
        report = submit_report(
            page=page,
            user=None,
            data=data,
            source=ReportSource.OPEN311,
            contact=_contact(post),
            language=language,
            ip_address=ratelimit.client_ip(request),
        )
    except ReportRejected as rejection:
        raise Open311Error(400, str(rejection)) from None
    created = [{"service_request_id": report.reference, "service_notice": "", "account_id": ""}]
    return render(fmt, "service_requests", created, status=201)


@csrf_exempt  # authenticated by its api_key, not by a session: no CSRF token to check
@endpoint(methods=("GET", "POST"))
def service_requests(request, fmt, language):
    if request.method == "POST":
        return _create_request(request, fmt, language)
    return _list_requests(request, fmt, language)


app_name = "open311"
FORMAT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^discovery" + FORMAT, discovery, name="discovery"),
    re_path(r"^services" + FORMAT, service_list, name="services"),
    re_path(r"^services/(?P<code>[A-Za-z0-9_-]{1,40})" + FORMAT, service_definition, name="service"),
    re_path(r"^requests" + FORMAT, service_requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[A-Za-z0-9_-]{1,40})" + FORMAT, service_request, name="request"),
]
