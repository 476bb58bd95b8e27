"""The site chrome (brand link, main menu, footer links, contact address, each language's home), cached.

It is the same for every page of a site in one language, so it is built once per (site, language)
and kept in the shared cache until something it shows changes: a page published, unpublished,
moved, saved or deleted, the footer links setting or a site saved. Every key includes the version of
the page cache's ``content`` tag (civic_site/pagecache.py), which those changes bump, so all servers
see the change at once (Redis) and nothing stale is read.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language
from wagtail.models import Locale, Page, Site

from civic_site import pagecache

TIMEOUT = 24 * 60 * 60


def _link(page, request):
    return {"title": page.title, "url": page.get_url(request)}


def _role_link(role, page, request):
    """A footer link; "Segnala disservizio" leads straight to a reporting page's form (its ``form_path``)."""
    link = _link(page, request)
    if role == "report_page" and link["url"]:
        link["url"] += getattr(page.specific_class, "form_path", "")
    return link


def _build(request, site, language):
    from home.models import SiteLinks

    home = site.root_page.localized if site else None
    menu = _menu(request, site, home, language)
    homes = {}
    if site is not None:
        homes = {
            page.locale.language_code: page.get_url(request)
            for page in site.root_page.get_translations(inclusive=True).live().select_related("locale")
        }
    links = SiteLinks.objects.filter(site=site).first() if site else None  # for_site() would create one
    role_links = (
        {role: _role_link(role, page, request) for role, page in links.localized_links().items()} if links else {}
    )
    own_statement = role_links.get("accessibility_page")
    # The official statement on AgID's site (form.agid.gov.it), which the criteria want the footer to link to.
    statement_url = getattr(settings, "ACCESSIBILITY_STATEMENT_URL", "") or (own_statement or {}).get("url")
    return {
        "home": _link(home, request) if home is not None else None,
        "menu": menu,
        "links": role_links,
        "accessibility_statement_url": statement_url or "",
        "contact_email": links.contact_email if links else "",
        "homes": homes,
    }


def _menu(request, site, home, language):
    """The main menu: the editors' menu items in this language (else the default language's, their pages in
    this language), each a live page or a named view; without any, the home's children shown in menus."""
    from home.models import MenuItem

    if home is None:
        return []
    items = list(MenuItem.objects.filter(locale__language_code=language).select_related("page"))
    if not items:
        items = list(MenuItem.objects.filter(locale=Locale.get_default()).select_related("page"))
    if not items:
        return [dict(_link(item, request), path=item.path) for item in home.get_children().live().public().in_menu()]
    chosen = [item.page for item in items if item.page_id]
    translated = {
        page.translation_key: page
        for page in Page.objects.live()
        .public()
        .filter(translation_key__in=[page.translation_key for page in chosen], locale__language_code=language)
    }
    menu = []
    for item in items:
        if item.page_id:
            page = translated.get(item.page.translation_key)
            if page is None and item.page.live:
                page = item.page
            if page is None:
                continue
            url = page.get_url(request)
            if url:
                menu.append({"title": item.label or page.title, "url": url, "path": page.path})
        elif item.url_name:
            url = item.view_url()
            if url:
                menu.append({"title": item.label, "url": url, "path": "", "prefix": url})
    return menu


def chrome(request):
    """The chrome for this request's site and language: from the cache, built at most once per request."""
    if hasattr(request, "_site_chrome"):
        return request._site_chrome
    site = Site.find_for_request(request)
    language = get_language()
    key = f"chrome:{pagecache.content_version()}:{site.pk if site else 0}:{language}"
    data = cache.get(key)
    if data is None:
        data = _build(request, site, language)
        cache.set(key, data, TIMEOUT)
    request._site_chrome = data
    return data
