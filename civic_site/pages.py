"""What every page type of the site shares: no queries for view restrictions while the site has none.

Wagtail checks each page's and its ancestors' view restrictions on every request (two queries),
and ``.public()`` loads every restriction for each listing (one more), although a participation site
rarely has any private page. Whether any exists is kept in the cache under the page cache's
``content`` version, which adding or removing a restriction bumps (civic_site/pagecache.py).
"""

from wagtail.models import PageViewRestriction

from . import pagecache


def view_restrictions_exist():
    return pagecache.until_content_changes("restrictions", [], PageViewRestriction.objects.exists)


def public(queryset):
    """``queryset.public()``, skipped (no query) while no page has a view restriction."""
    return queryset.public() if view_restrictions_exist() else queryset


class SitePageMixin:
    """For every page type: Wagtail's view restriction check costs nothing while there are none, and
    the ancestors (breadcrumbs, the link up) are loaded once per page object."""

    # What routing (civic_site/routing.py) loads with the page in its one query: a type with a hero
    # image adds "image", so the hero costs one query (its renditions) rather than two.
    serve_select_related = ("locale",)

    @property
    def ancestor_list(self):
        """The page's ancestors from the tree's root down: kept in the cache until the content changes
        (a move, a new title), so no query."""
        ancestors = self.__dict__.get("_ancestor_list")
        if ancestors is None and not self.pk:  # previewing a new page: not stored
            ancestors = self.__dict__["_ancestor_list"] = list(self.get_ancestors())
        elif ancestors is None:
            ancestors = pagecache.until_content_changes("ancestors", [self.path], lambda: list(self.get_ancestors()))
            self.__dict__["_ancestor_list"] = ancestors
        return ancestors

    def get_view_restrictions(self):
        if not view_restrictions_exist():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()
