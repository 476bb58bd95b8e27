"""The ``<head>``'s links and description: canonical and ``hreflang`` URLs on the request's own scheme and
host, and a meta description on every page.

Absolute URLs come from ``request.build_absolute_uri`` (the scheme and host the visitor used, which
``ALLOWED_HOSTS`` vouches for), not from the Wagtail Site record (``http://localhost`` in the demo). The
anonymous page cache keys its copies by scheme and host (civic_site/pagecache.py), so a copy holding one
host's URLs is never served on another.
"""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from wagtail.models import Page

register = template.Library()

DESCRIPTION_LENGTH = 160


def site_description():
    """The site's description, in the active language: for pages that have none of their own."""
    return _(
        "Torino Partecipa, the City of Turin's participation site: take part in the City's processes, "
        "propose ideas, vote and report problems in your neighbourhood."
    )


def page_description(page):
    """The page's ``search_description``, else its summary or introduction, else the site's description."""
    for name in ("search_description", "summary", "intro"):
        value = getattr(page, name, "") if page is not None else ""
        if isinstance(value, str) and value.strip():
            text = " ".join(strip_tags(value).split())
            return Truncator(text).chars(DESCRIPTION_LENGTH)
    return site_description()


@register.simple_tag(takes_context=True)
def meta_description(context):
    page = context.get("page")
    return page_description(page if isinstance(page, Page) else None)


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """This address on the request's scheme and host, without the query string."""
    request = context.get("request")
    return request.build_absolute_uri(request.path) if request is not None else ""


@register.inclusion_tag("includes/head_links.html", takes_context=True)
def head_links(context):
    """The ``hreflang`` alternates, absolute, x-default being the default language's version.

    On a Wagtail page, its live translations (one query, shared with the language switcher); on another
    view, the same view in each language (``translate_url``)."""
    from home.templatetags.site_tags import live_translations

    request = context.get("request")
    if request is None:
        return {}
    absolute = request.build_absolute_uri
    page = context.get("page")
    alternates = {}
    if isinstance(page, Page) and page.pk:
        for translation in live_translations(page):
            url = translation.get_url(request)
            if url:
                alternates[translation.locale.language_code] = absolute(url)
    elif not isinstance(page, Page):
        for code, _name in settings.LANGUAGES:
            url = translate_url(request.path, code)
            if url != request.path or code == getattr(request, "LANGUAGE_CODE", None):
                alternates[code] = absolute(url)
    languages = [code for code, _name in settings.LANGUAGES if code in alternates]
    return {
        "alternates": [(code, alternates[code]) for code in languages] if len(languages) > 1 else [],
        "x_default": alternates.get(settings.LANGUAGE_CODE) if len(languages) > 1 else None,
    }
