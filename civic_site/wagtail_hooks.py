"""Wagtail hooks of the project package."""

from wagtail import hooks

from . import pagecache


@hooks.register("before_serve_page")
def cache_for_anonymous_visitors(page, request, serve_args, serve_kwargs):
    """Every page may be stored for anonymous visitors (civic_site/pagecache.py), depending on the site's
    content and on what citizens did on its own translation group (its comments, votes...). A page type
    showing other groups' data says so with a ``page_cache_tags()`` method."""
    tags = page.page_cache_tags() if hasattr(page, "page_cache_tags") else [pagecache.group_tag(page.translation_key)]
    pagecache.cacheable(request, tags)
