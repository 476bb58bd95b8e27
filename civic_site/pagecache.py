"""Whole pages for anonymous visitors, kept in the shared cache and dropped the moment what they show changes.

On launch day most visitors are anonymous and read the same few pages; rendering each one costs
dozens of milliseconds and a dozen queries. A page is stored after it was rendered for an anonymous
visitor and served from the cache to the next ones, until something it shows changes.

What a stored page depends on is said with **tags**, each with a version number in the cache:

- ``content``: every page depends on it: the pages themselves (published, unpublished, moved,
  deleted, saved), the site, its links setting, images. Any such change drops every stored page.
- ``group:<translation_key>``: what citizens did on one translation group (comments, reactions,
  votes, moderation, the thread's open/closed state): the pages showing that group's data depend on
  it, and each write bumps it after its transaction commits (:func:`changed`).

The tag versions are read *before* the page is rendered and stored with it; a hit compares them
with the current ones (one ``get_many``). So a change committed while a page was being rendered
makes that copy stale at once instead of keeping an old tally under a new version. With Redis
(``REDIS_URL``) every server sees the same versions: a vote on one server drops the page on all.

What shows through time rather than through a write (a process's status changes at midnight, a
poll opens at 09:00) is handled by expiry: a copy never outlives the next local midnight nor the
next moment registered by :func:`register_schedule` (poll windows...), and never ``TIMEOUT``.

Only these responses are stored: a GET of a Wagtail page (or a view that calls :func:`cacheable`),
by a visitor with no session and no pending messages, answered 200, with no cookie set and no CSRF
token used (a page holding a form for this visitor is per-visitor). Everyone else gets a fresh render.
"""

import functools
import hashlib
import os
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

CONTENT = "content"
KEY_PREFIX = "pagecache"
# Response headers kept with a stored page; the middlewares outside the cache add the rest again.
KEPT_HEADERS = (
    "Content-Type",
    "Content-Language",
    "Vary",
    "X-Frame-Options",
    "Link",
    # Open data feeds (an idea map's ideas.geojson): validators and their own caching rules.
    "ETag",
    "Cache-Control",
    "Access-Control-Allow-Origin",
)

_schedules = []


def _config():
    config = {"ENABLED": True, "TIMEOUT": 600, "MAX_QUERY_STRING": 200}
    config.update(getattr(settings, "PAGE_CACHE", {}))
    return config


def group_tag(key):
    """The tag of one translation group's participation data (``page.translation_key``)."""
    return f"group:{key}"


# --- versions -----------------------------------------------------------------------------------


def _tag_key(tag):
    return f"{KEY_PREFIX}:tag:{tag}"


def versions(tags):
    """{tag: current version} for ``tags``, creating the missing ones (one round trip when all exist)."""
    keys = {_tag_key(tag): tag for tag in tags}
    found = cache.get_many(list(keys))
    for key in keys:
        if key not in found:
            cache.add(key, uuid.uuid4().hex, None)
            found[key] = cache.get(key)
    return {tag: found[key] for key, tag in keys.items()}


def content_version():
    """The current version of the ``content`` tag: what the site chrome, routes and restrictions are keyed to."""
    return versions([CONTENT])[CONTENT]


def until_content_changes(name, parts, compute, timeout=24 * 60 * 60):
    """``compute()`` kept in the cache until the content changes (or the release: what is kept may be model
    instances, pickled): for what a page reads of other pages (its translations, ancestors, children), the
    same for every visitor. ``parts`` tell one use from another (the page's id...). Not for previews:
    the page being previewed is not the stored one."""
    return until_changed(name, (), parts, compute, timeout)


def until_changed(name, tags, parts, compute, timeout=24 * 60 * 60):
    """:func:`until_content_changes`, also until any of ``tags`` changes (a group's participation, every
    report...): what the public feeds keep."""
    stamp = versions([CONTENT, *tags]).values()
    key = ":".join(str(part) for part in (KEY_PREFIX, name, release(), *stamp, *parts))
    return cache.get_or_set(key, compute, timeout)


def saved_with_page(name, page, chosen, load=list):
    """Rows saved with ``page`` (its phases, a pact's signatories, a map's categories...): ``load(chosen)``
    kept by :func:`until_content_changes` when they are the stored rows (a queryset of a saved page); a
    preview's, in memory, as they are."""
    from django.db.models import QuerySet

    if isinstance(chosen, QuerySet) and page.pk:
        return until_content_changes(name, [page.pk], lambda: load(chosen))
    return list(chosen)


def bump(*tags):
    """Drop every stored page depending on any of ``tags``, now."""
    cache.set_many({_tag_key(tag): uuid.uuid4().hex for tag in tags}, None)


def changed(*tags):
    """Drop the pages depending on ``tags``: now, and again once the current transaction commits.

    Now, so that nothing rendered from here on in this transaction is stored under the old version;
    again after the commit, because a page another request renders in between still reads the old
    data and would be stored under the new version. Outside a transaction the second bump runs at once.
    """
    bump(*tags)
    transaction.on_commit(lambda: bump(*tags))


def content_changed(**kwargs):
    """Signal receiver: pages, sites or settings changed; every stored page goes."""
    changed(CONTENT)


def _on_saved_or_deleted(sender, instance, **kwargs):
    if isinstance(instance, _content_models()):
        changed(CONTENT)


@functools.cache
def _content_models():
    """What every page may show: pages, sites, locales, view restrictions, images and documents, site links,
    the main menu, the topics vocabulary and the processes' phases (their dates give every status)."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Locale, Page, PageViewRestriction, Site

    from consultations.models import ConsultationPhase, Topic
    from home.models import MenuItem, SiteLinks

    return (
        Page,
        Site,
        Locale,
        PageViewRestriction,
        SiteLinks,
        MenuItem,
        Topic,
        ConsultationPhase,
        get_image_model(),
        get_document_model(),
    )


def connect():
    """Wire the ``content`` tag to what changes pages (called from civic_site's ready())."""
    from django.db.models.signals import post_delete, post_save
    from wagtail.signals import page_published, page_unpublished, post_page_move

    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(content_changed, dispatch_uid=f"pagecache-{signal!r}")
    post_save.connect(_on_saved_or_deleted, dispatch_uid="pagecache-save")
    post_delete.connect(_on_saved_or_deleted, dispatch_uid="pagecache-delete")


# --- schedule -----------------------------------------------------------------------------------


def register_schedule(next_change):
    """Register ``next_change(now) -> datetime | None``: the next moment something shown changes by
    itself (a poll opening or closing). Stored pages expire then at the latest."""
    if next_change not in _schedules:
        _schedules.append(next_change)


def next_local_midnight(now):
    """Statuses and dates are computed on the day in Europe/Rome: they may change at midnight."""
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time.min), local.tzinfo)


def expires_at(now, content_version):
    """The moment every page stored now must be gone: the earliest registered change, else midnight.

    Computed once per content version (editors changing a poll's dates publish the page, which
    bumps it) and kept until it passes.
    """
    key = f"{KEY_PREFIX}:expires:{content_version}"
    cached = cache.get(key)
    if cached is not None and cached > now:
        return cached
    moments = [next_local_midnight(now)]
    for next_change in _schedules:
        moment = next_change(now)
        if moment is not None and moment > now:
            moments.append(moment)
    moment = min(moments)
    cache.set(key, moment, max(1, int((moment - now).total_seconds())))
    return moment


# --- the release ---------------------------------------------------------------------------------


RELEASE_SUFFIXES = (".py", ".html", ".txt", ".mo", ".json")


def _release():
    """A hash of our code, templates, translations and static manifest, by content (the same on every
    server of one deployment): a new release never serves the previous one's pages."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    roots = [base / "templates", base / "locale"]
    roots += [
        Path(app.path)
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(base) and "site-packages" not in Path(app.path).parts
    ]
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json" if settings.STATIC_ROOT else None
    files = [manifest] if manifest is not None and manifest.is_file() else []
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "node_modules"))
            files += [Path(folder) / name for name in sorted(names) if name.endswith(RELEASE_SUFFIXES)]
    for path in files:
        digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


RELEASE = None


def release():
    global RELEASE
    if RELEASE is None:
        RELEASE = _release()
    return RELEASE


# --- requests -------------------------------------------------------------------------------------


def _page_key(request):
    # Scheme and host in the key: a page holds absolute URLs (canonical, hreflang) built from the request.
    url = f"{request.scheme}://{request.get_host()}{request.path}?{request.META.get('QUERY_STRING', '')}"
    return f"{KEY_PREFIX}:page:{release()}:{hashlib.sha256(url.encode()).hexdigest()}"


def may_use(request):
    """Whether this request may be answered from, or stored in, the cache: an anonymous GET or HEAD with
    no session and no messages waiting, of a short enough URL."""
    config = _config()
    return (
        config["ENABLED"]
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and len(request.META.get("QUERY_STRING", "")) <= config["MAX_QUERY_STRING"]
        and not getattr(request, "is_preview", False)
    )


def cacheable(request, tags=()):
    """Mark this request's response as storable for anonymous visitors, depending on ``content`` and
    ``tags``. Reads the tags' versions now, before anything is rendered."""
    if not may_use(request):
        return
    tags = {CONTENT, *tags}
    request._page_cache = versions(tags)


def not_stored(request):
    """A view under a cacheable page that keeps its own cached copy (a feed) opts out of the page cache."""
    request._page_cache = None


def depends_on(request, *tags):
    """A view under a cacheable page (a sub-route) showing more than the page's own groups adds their tags."""
    stored = getattr(request, "_page_cache", None)
    if stored is not None:
        stored.update(versions(set(tags) - set(stored)))


def etag_matches(request, etag):
    """Whether the client already holds ``etag`` (its If-None-Match lists it): a 304 will do."""
    return etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]


def lookup(request):
    """The stored response for this request, or None."""
    if not may_use(request):
        return None
    entry = cache.get(_page_key(request))
    if entry is None:
        return None
    stored_versions, status, headers, content = entry
    if versions(stored_versions) != stored_versions:
        return None
    etag = dict(headers).get("ETag")
    if etag and etag_matches(request, etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response["X-Page-Cache"] = "hit"
    return response


def store(request, response):
    """Keep the response if it is the same for every anonymous visitor (see the module's docstring)."""
    stored_versions = getattr(request, "_page_cache", None)
    if stored_versions is None or request.method != "GET":
        return response
    user = getattr(request, "user", None)
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        or (user is not None and user.is_authenticated)
        or "private" in response.get("Cache-Control", "")
        or "no-store" in response.get("Cache-Control", "")
    ):
        response["X-Page-Cache"] = "skip"
        return response
    now = timezone.now()
    timeout = min(_config()["TIMEOUT"], int((expires_at(now, stored_versions[CONTENT]) - now).total_seconds()))
    if timeout <= 0:
        return response
    headers = [(name, response[name]) for name in KEPT_HEADERS if name in response]
    cache.set(_page_key(request), (stored_versions, response.status_code, headers, response.content), timeout)
    response["X-Page-Cache"] = "miss"
    return response


class AnonymousPageCacheMiddleware:
    """Serves and stores whole pages for anonymous visitors (see the module's docstring).

    Sits after the session and locale middlewares and before CSRF: a hit skips everything inside,
    the outer middlewares (security headers, CSP, compression) still run on it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = lookup(request)
        if response is not None:
            return response
        return store(request, self.get_response(request))
