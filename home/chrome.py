"""The site chrome (brand link, main menu, footer links, contact address, each language's home), cached.

It is the same for every page of a site in one language, so it is built once per (site, language)
and kept in the shared cache until something it shows changes: a page published, unpublished,
moved or deleted, the footer links setting or a site saved. Invalidation bumps one version number
that every key includes, so all servers see the change at once (Redis) and nothing stale is read.
"""

import uuid

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

VERSION_KEY = "chrome:version"
TIMEOUT = 24 * 60 * 60


def _version():
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(VERSION_KEY, version, None)
        version = cache.get(VERSION_KEY, version)
    return version


def invalidate(**kwargs):
    """Forget every cached chrome (all sites, all languages)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def _link(page, request):
    return {"title": page.title, "url": page.get_url(request)}


def _build(request, site, language):
    from home.models import SiteLinks

    home = site.root_page.localized if site else None
    menu = []
    if home is not None:
        menu = [dict(_link(item, request), path=item.path) for item in home.get_children().live().public().in_menu()]
    homes = {}
    if site is not None:
        homes = {
            page.locale.language_code: page.get_url(request)
            for page in site.root_page.get_translations(inclusive=True).live().select_related("locale")
        }
    links = SiteLinks.objects.filter(site=site).first() if site else None  # for_site() would create one
    return {
        "home": _link(home, request) if home is not None else None,
        "menu": menu,
        "links": {role: _link(page, request) for role, page in links.localized_links().items()} if links else {},
        "contact_email": links.contact_email if links else "",
        "homes": homes,
    }


def chrome(request):
    """The chrome for this request's site and language: from the cache, built at most once per request."""
    if hasattr(request, "_site_chrome"):
        return request._site_chrome
    site = Site.find_for_request(request)
    language = get_language()
    key = f"chrome:{_version()}:{site.pk if site else 0}:{language}"
    data = cache.get(key)
    if data is None:
        data = _build(request, site, language)
        cache.set(key, data, TIMEOUT)
    request._site_chrome = data
    return data


def connect():
    """Wire invalidation to what changes the chrome (called from the app's ready())."""
    from home.models import SiteLinks

    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(invalidate, dispatch_uid=f"chrome-{signal!r}")
    post_delete.connect(_on_page_or_site, dispatch_uid="chrome-delete")
    post_save.connect(_on_page_or_site, dispatch_uid="chrome-save")
    post_save.connect(invalidate, sender=SiteLinks, dispatch_uid="chrome-sitelinks")


def _on_page_or_site(sender, instance, **kwargs):
    # Any page saved (titles, slugs, menu flags, live status) or deleted, any site changed.
    if isinstance(instance, Page | Site):
        invalidate()
