"""Wagtail's routing, remembered: one query to find a page instead of eight to ten.

Wagtail finds the page for a URL by looking up the site, the active locale, the root page's
translation and its specific row, then walking down the tree one slug at a time, two queries per
level: nine queries for a poll four levels down, on every request. Where a URL leads changes only
when pages or sites change, which bumps the page cache's ``content`` version
(civic_site/pagecache.py). So the site and, per (site, language, path), the page reached and how
many path components it consumed are kept in the shared cache under that version; a request then
loads that one page (with its locale) and lets it route the rest (a routable page's sub-URLs, a
live check) as Wagtail would. What Wagtail does after routing (view restrictions, hooks, serve)
is unchanged.
"""

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import Http404
from django.utils.translation import get_language
from wagtail import views as wagtail_views
from wagtail.models import Page, Site

from . import pagecache

TIMEOUT = 24 * 60 * 60


def site_for(request, version):
    """The request's Wagtail site, from the cache (kept on the request as Wagtail itself keeps it)."""
    if hasattr(request, "_wagtail_site"):
        return request._wagtail_site
    key = f"routing:site:{version}:{hashlib.sha256(request.get_host().encode()).hexdigest()}"
    site = cache.get(key)
    if site is not None:
        request._wagtail_site = site
        return site
    site = Site.find_for_request(request)
    if site is not None:
        cache.set(key, site, TIMEOUT)
    return site


def route(request, path):
    """Set Wagtail's per-request route (``request._wagtail_route_for_request``) from the cache, or
    route as Wagtail does and remember where it led."""
    version = pagecache.content_version()
    site = site_for(request, version)
    if site is None:
        return
    components = [component for component in path.split("/") if component]
    url = f"{site.pk}:{get_language()}:{'/'.join(components)}"
    key = f"routing:route:{version}:{hashlib.sha256(url.encode()).hexdigest()}"
    entry = cache.get(key)
    if entry is not None:
        page_pk, content_type_id, consumed = entry
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        related = getattr(model, "serve_select_related", ("locale",))
        page = model.objects.select_related(*related).filter(pk=page_pk).first() if model else None
        if page is not None:
            try:
                request._wagtail_route_for_request = page.route(request, components[consumed:])
            except Http404:
                request._wagtail_route_for_request = None
            return
    result = Page.route_for_request(request, path)
    if result is not None:
        page = result[0]
        consumed = page.depth - site.root_page.depth  # a root's translations are its siblings
        if 0 <= consumed <= len(components):
            cache.set(key, (page.pk, page.content_type_id, consumed), TIMEOUT)


class CachedRoutingMiddleware:
    """Routes requests for Wagtail pages through :func:`route` before Wagtail's ``serve`` view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if view_func is not wagtail_views.serve or hasattr(request, "_wagtail_route_for_request"):
            return None
        path = view_args[0] if view_args else view_kwargs.get("path", "")
        try:
            route(request, path)
        except DisallowedHost:
            pass  # Wagtail's own routing answers it as it always does
        return None
