from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.cache import never_cache
from django.views.static import serve


@never_cache
def healthz(request):
    """For the load balancer: 200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def root_redirect(request):
    """`/` goes to the language the visitor chose earlier with the switcher (the language cookie), else to
    the one the browser prefers (``Accept-Language``: English for English-preferring browsers), else Italian.

    The answer depends on both headers: ``Vary: Accept-Language, Cookie`` and never stored by a shared cache.
    """
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    language = None
    if chosen:
        try:
            language = get_supported_language_variant(chosen)
        except LookupError:
            language = None
    if language is None:
        language = preferred_language(request.headers.get("Accept-Language", ""))
    response = HttpResponseRedirect(f"/{language}/")
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    patch_cache_control(response, private=True, max_age=0)
    return response


def preferred_language(accept_language):
    """The first of the site's languages in the browser's order of preference (``q`` weights), else the default.

    Only what the browser asks for counts: ``en-GB`` means English, ``*`` or an unknown language the default.
    """
    for code, _weight in parse_accept_lang_header(accept_language[:500]):
        if code == "*":
            continue
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def media(request, path):
    """Uploaded files (image renditions, originals) on a single-box deployment (``SERVE_MEDIA``).

    Several servers, or a front server in place, serve ``MEDIA_ROOT`` themselves (README, Production)
    and leave this off: then it is a 404. Django's ``serve`` refuses paths outside ``MEDIA_ROOT``
    and answers ``If-Modified-Since`` with 304. Renditions never change under one name, but an
    original may be replaced: a day in browsers' caches.
    """
    if not getattr(settings, "SERVE_MEDIA", False):
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    patch_cache_control(response, public=True, max_age=24 * 60 * 60)
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; sandbox")
    return response


def ideas_feed(request, path, name="ideas"):
    """``<idea map url>ideas.geojson`` (or ``<reporting page url>reports.geojson``) → the page's
    ``ideas.geojson/`` (``reports.geojson/``) route, through Wagtail's serve
    view (and so the cached routing, the page cache and view restrictions) like any page URL."""
    from wagtail import views as wagtail_views

    from .routing import route

    wagtail_path = f"{path}{name}.geojson/"
    if not hasattr(request, "_wagtail_route_for_request"):
        route(request, wagtail_path)
    return wagtail_views.serve(request, wagtail_path)


def calendar_file(request, path, name):
    """``<pact url>calendar.ics`` and ``<pact url>activities/<id>.ics`` → the pact page's ``calendar.ics/`` and
    ``activities/<id>.ics/`` routes, through Wagtail's serve view like :func:`ideas_feed`."""
    from wagtail import views as wagtail_views

    from .routing import route

    wagtail_path = f"{path}{name}.ics/"
    if not hasattr(request, "_wagtail_route_for_request"):
        route(request, wagtail_path)
    return wagtail_views.serve(request, wagtail_path)


def server_error(request, template_name="500.html"):
    """The 500 page in the language of the URL first, then the other: plain text, no context processors, no
    database and no cache (this page shows when those fail)."""
    from django.template import loader

    english = request.path.startswith("/en/") or request.path == "/en"
    html = loader.get_template(template_name).render({"english": english})
    return HttpResponse(html, status=500, content_type="text/html; charset=utf-8")
