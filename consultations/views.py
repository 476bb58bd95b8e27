"""The topics page (criterion C.SI.1.5): ``/it/argomenti/``, ``/en/topics/``: the vocabulary's topics that
processes use, each with its processes, then the rest of the vocabulary."""

from django.shortcuts import render
from django.utils.functional import lazy
from django.utils.translation import get_language
from wagtail.models import Locale

from civic_site import pagecache
from civic_site.pages import public

from .models import ConsultationIndexPage, ConsultationPage, Topic, topics_in

# The page's address in each language, without a gettext entry (a URL must not change when a translation does).
SEGMENTS = {"it": "argomenti/", "en": "topics/"}


def _segment():
    return SEGMENTS.get((get_language() or "it").split("-")[0], "topics/")


ROUTE = lazy(_segment, str)()  # civic_site/urls.py: path(ROUTE, topics_view, name="topics")


def topics_view(request):
    """Every topic in the request's language; those used by live processes first, with their processes."""
    pagecache.cacheable(request)  # the same for every anonymous visitor; topics and pages bump ``content``
    locale = Locale.objects.filter(language_code=request.LANGUAGE_CODE).first()
    topics = list(Topic.objects.filter(locale=locale).order_by("name")) if locale else []
    processes = []
    index = None
    if locale is not None:
        index = ConsultationIndexPage.objects.live().filter(locale=locale).order_by("path").first()
        processes = list(
            public(ConsultationPage.objects.live().filter(locale=locale))
            .defer_streamfields()
            .prefetch_related(topics_in(locale.pk))
            .order_by("title")
        )
    by_slug = {}
    for process in processes:
        for topic in process.listing_topics:
            by_slug.setdefault(topic.slug, []).append(process)
    used = [{"topic": topic, "processes": by_slug[topic.slug]} for topic in topics if topic.slug in by_slug]
    others = [topic for topic in topics if topic.slug not in by_slug]
    return render(
        request,
        "consultations/topics.html",
        {"used": used, "others": others, "index_url": index.get_url(request) if index else None},
    )
