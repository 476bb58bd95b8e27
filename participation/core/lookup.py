"""Find a page from what a person types in a command: its id, its address (/it/... or /en/...) or its full URL."""

from urllib.parse import urlsplit

from wagtail.models import Page


def find_page(value, page_type=None):
    """The specific live-or-draft page with id ``value``, or the live page whose URL path is ``value`` (any
    translation; a full URL's path counts). None when there is none, or when it is not a ``page_type``."""
    value = value.strip()
    if value.isdecimal():
        page = Page.objects.filter(pk=int(value)).first()
    else:
        path = urlsplit(value).path if "://" in value else value
        path = "/" + path.strip("/") + "/"
        slug = path.strip("/").rsplit("/", 1)[-1]
        candidates = Page.objects.live().filter(slug=slug).specific() if slug else []
        page = next((page for page in candidates if page.url == path), None)
    page = page.specific if page is not None else None
    if page_type is not None and not isinstance(page, page_type):
        return None
    return page
