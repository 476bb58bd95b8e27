"""What the site holds about a person, registered by each app: one place for "my participation", "download my
data" and "delete my account".

Each app registers, from its ``AppConfig.ready()``, a :class:`Holding` per kind of thing it keeps about a
citizen (comments, poll votes, ballots, ideas...): which user foreign keys it covers, what the privacy page
says is stored and why, and three functions: **items** (what the citizen did, newest first, for "my
participation"), **export** (everything about them, JSON-ready, for "download my data") and **anonymise**
(run before the account is deleted: nothing that names them stays, and tallies stay exact). ``accounts``
imports no other app: a new kind of participation plugs in by registering.

Every user foreign key of every model is either covered by a holding or declared :func:`not_personal` with
the reason (staff-only records, Wagtail's editing history...): tests/test_registry.py fails otherwise.
"""

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from django.utils.functional import Promise


@dataclass(frozen=True)
class Item:
    """One thing a citizen did, as "my participation" lists it."""

    kind: str  # the holding's key
    kind_label: str
    title: str  # what it is about: the comment's text, the poll's title...
    date: datetime
    where: str = ""  # the page (and process) it happened on
    status: str = ""  # e.g. an idea's or a report's status, "hidden by the moderators"
    url: str = ""
    object_id: int | None = None  # for actions on it (edit or delete a comment)
    can_edit: bool = False
    can_delete: bool = False


@dataclass(frozen=True)
class Holding:
    key: str
    label: Promise | str  # "Comments", lazily translated
    fields: tuple  # (("app_label.Model", "user field"), ...): the user foreign keys it answers for
    stored: Promise | str = ""  # for the privacy page: what is kept, why, and for how long
    # items(user, limit) -> the citizen's newest ``limit`` Items (all when None), newest first
    items: Callable | None = None
    export: Callable | None = None  # export(user) -> list of JSON-ready dicts
    anonymise: Callable | None = None  # anonymise(user): before the account goes
    order: int = 100  # where it comes on the privacy page and in the export
    # for "delete my account": what becomes of it (e.g. "your comments stay, signed 'former participant'")
    when_deleted: Promise | str = ""


_holdings: dict[str, Holding] = {}
_not_personal: dict[tuple, str] = {}


def register(holding: Holding):
    """Add (or replace, on a reload) a holding. Called from AppConfig.ready()."""
    _holdings[holding.key] = holding
    return holding


def not_personal(label: str, field_name: str, reason: str):
    """Declare that ``label``'s user foreign key ``field_name`` holds nothing a citizen's data rights cover
    (a staff member's editing history, a moderator's name on a decision...), and why."""
    _not_personal[(label, field_name)] = reason


def holdings() -> list[Holding]:
    return sorted(_holdings.values(), key=lambda holding: (holding.order, holding.key))


def holding(key: str) -> Holding:
    return _holdings[key]


def covered_fields() -> dict[tuple, str]:
    """{(model label, field name): the holding's key or "not personal: <reason>"} for every declared field."""
    covered = {(label, name): f"not personal: {reason}" for (label, name), reason in _not_personal.items()}
    for registered in _holdings.values():
        for label, name in registered.fields:
            covered[(label, name)] = registered.key
    return covered


# --- what the accounts pages ask ---------------------------------------------------------------------------


def items(user, *, start=0, stop=None, kinds=None) -> list[Item]:
    """The citizen's items of every holding (or of ``kinds``), newest first, from ``start`` to ``stop``.
    Each holding gives at most ``stop`` of its newest: one query per holding, whatever the citizen has done
    (a later page reads more rows, still one query each)."""
    streams = [
        iter(registered.items(user, stop))
        for registered in holdings()
        if registered.items is not None and (kinds is None or registered.key in kinds)
    ]
    merged = heapq.merge(*streams, key=lambda item: item.date, reverse=True)
    return list(islice(merged, start, stop))


def export(user) -> dict:
    """Everything about the citizen, by holding: {key: {"label": ..., "records": [...]}} (JSON-ready)."""
    return {
        registered.key: {"label": str(registered.label), "records": list(registered.export(user))}
        for registered in holdings()
        if registered.export is not None
    }


def anonymise(user):
    """Run every holding's anonymise: afterwards nothing the site keeps names ``user`` but the user row,
    which the caller then deletes."""
    for registered in holdings():
        if registered.anonymise is not None:
            registered.anonymise(user)


@dataclass
class Page:
    """A page of "my participation": its items, and whether there is a next one."""

    items: list = field(default_factory=list)
    number: int = 1
    has_next: bool = False

    paginator = None  # no total is counted: the shared pagination include then says "Page N"

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_other_pages(self):
        return self.has_previous or self.has_next

    @property
    def next_page_number(self):
        return self.number + 1

    @property
    def previous_page_number(self):
        return self.number - 1


def page_of_items(user, number, per_page=20, kinds=None) -> Page:
    """Page ``number`` (from 1) of the citizen's items; reads one more to know whether a next page exists."""
    number = max(int(number), 1)
    start = (number - 1) * per_page
    found = items(user, start=start, stop=start + per_page + 1, kinds=kinds)
    return Page(found[:per_page], number, len(found) > per_page)
