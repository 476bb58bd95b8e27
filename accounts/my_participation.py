"""My participation (``/<lang>/accounts/participation/``): what the signed-in citizen did on the site, of every
kind the apps register with :mod:`accounts.registry`, newest first, twenty a page, optionally of one kind.

The page knows no kind of participation: it shows each :class:`~accounts.registry.Item` as the registry gives
it, and offers "Edit" and "Delete" where an item allows them through the URLs its app names
``<holding key>_edit`` and ``<holding key>_delete`` (taking the item's ``object_id``); a kind without them
simply shows no such link. One query per kind however much the citizen did (registry.page_of_items).
"""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from . import registry

PER_PAGE = 20
# A page number beyond this is read as this one: each kind reads up to (page × PER_PAGE) of the citizen's rows.
MAX_PAGE = 10_000


def listed_kinds():
    """[(key, label)] of the holdings that list items, in their registered order: the kind filter's choices."""
    return [(holding.key, holding.label) for holding in registry.holdings() if holding.items is not None]


def page_number(value):
    """The ``page`` query parameter as a number from 1 to MAX_PAGE; anything else is page 1."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def action_url(kind, action, object_id):
    """The URL of ``action`` ("edit", "delete") on one item of ``kind``, or "" when its app offers none."""
    if object_id is None:
        return ""
    try:
        return reverse(f"{kind}_{action}", args=[object_id])
    except NoReverseMatch:
        return ""


class Row:
    """An item as the page shows it: the item, and the URLs of what the citizen may do with it."""

    def __init__(self, item):
        self.item = item
        self.edit_url = action_url(item.kind, "edit", item.object_id) if item.can_edit else ""
        self.delete_url = action_url(item.kind, "delete", item.object_id) if item.can_delete else ""


@never_cache
@login_required
def my_participation(request):
    kinds = listed_kinds()
    kind = request.GET.get("kind", "")
    if kind not in dict(kinds):
        kind = ""  # an unknown kind is ignored: everything is shown
    number = page_number(request.GET.get("page", 1))
    page = registry.page_of_items(request.user, number, per_page=PER_PAGE, kinds={kind} if kind else None)
    query = urlencode({"kind": kind}) if kind else ""
    return TemplateResponse(
        request,
        "accounts/participation.html",
        {
            "rows": [Row(item) for item in page.items],
            "page_obj": page,
            "kinds": kinds,
            "kind": kind,
            "kind_label": dict(kinds).get(kind, ""),
            "query_string": query,
            "beyond_the_last": not page.items and page.number > 1,
            "first_page_url": f"?{query}" if query else "?",
            "account_section": "participation",
        },
    )
