"""Exports of participation results: tables (and map features) per page type, written as CSV, XLSX, JSON or GeoJSON.

Each page type registers an :class:`Exporter` subclass with :func:`register` in its own module,
``participation/exports_<type>.py`` (found by :func:`load_exporters`) or any installed app's ``exports``
module: a new page type adds its exports without changing this file. An exporter gives named
:class:`Table` objects (typed columns, rows as a lazy iterator) and, for map-based types, GeoJSON features.

Nothing here ever writes a name, an email address or an IP address: voters appear only as
:func:`pseudonym` (a keyed HMAC of the user id, stable across exports of this site, useless without
SECRET_KEY). Everything streams: rows come from ``.iterator(chunk_size=…)`` and go straight to the file.
"""

import contextlib
import csv
import datetime
import io
import json
import pkgutil
import re
import zipfile
from dataclasses import dataclass, field, replace
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

ROME = ZoneInfo("Europe/Rome")
CHUNK = 2000
PROGRESS_EVERY = 2000  # rows between two progress reports of an export (each one a small database write)
HIDDEN_TEXT = "Text hidden by the moderators"
FORMATS = ("csv", "xlsx", "json", "geojson")
LOG_ACTION = "participation.export"  # Wagtail's audit log: every export by a named staff member (command or admin)


class ExportError(Exception):
    """An export that cannot be made (no exporter for the page type, no features for GeoJSON...)."""


# --- tables -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: type  # str, int, float, Decimal, datetime.datetime or bool


@dataclass
class Table:
    """A named table: typed columns and ``rows``, an iterable of tuples read once, lazily."""

    name: str
    columns: list
    rows: object  # an iterator (or any iterable) of tuples, one value per column
    count: object = None  # optional: a callable giving the number of rows without reading them (one query)

    def renamed(self, prefix):
        return Table(f"{prefix}_{self.name}", self.columns, self.rows, self.count)


def columns(*specs):
    """[Column] from ("name", type) pairs."""
    return [Column(name, kind) for name, kind in specs]


# --- tallies: what the Results view summarises ------------------------------------------------------------


@dataclass
class Tally:
    """A small summary table for the staff's Results view (a poll's votes per option, ideas by status...):
    a handful of rows counted with a fixed number of aggregate queries, never read row by row from the
    citizens' data. ``columns`` are :class:`Column` whose names are headers (lazily translated); the column
    ``header`` names each row; ``total`` is an optional last row (sums, or the figure the rows add up to)."""

    name: str  # an identifier, unique among the page's tallies (an HTML id, a test's handle)
    caption: str
    columns: list
    rows: list
    total: tuple = None
    header: int = 0
    page: str = None  # in a process: the title of the page the tally belongs to
    note: object = None  # a sentence under the table (votes the page's rule left out: core.eligibility.Excluded)

    def under(self, page):
        """This tally as one of a process's: named after ``page``'s slug, listed under its title."""
        return replace(self, name=f"{page.slug}_{self.name}", page=page.title)


# --- pseudonyms ---------------------------------------------------------------------------------------


def pseudonym(user_id, *, fallback):
    """The pseudonym of the citizen ``user_id`` (the one Pabulib exports use, see
    :func:`participation.budgets.voter_pseudonym`); ``fallback`` names the row when there is no citizen
    (a paper ballot, a deleted account), e.g. ``"paper:12"``."""
    from participation.budgets import hmac_pseudonym

    return hmac_pseudonym(f"user:{user_id}" if user_id else fallback)


# --- the registry -------------------------------------------------------------------------------------

_registry = {}
_loaded = False


def register(page_model):
    """Class decorator: ``@register(PollPage) class PollExporter(Exporter): ...``."""

    def decorate(exporter):
        _registry[page_model] = exporter
        return exporter

    return decorate


def load_exporters():
    """Import every ``participation/exports_*.py`` and every app's ``exports`` module (once)."""
    global _loaded
    if _loaded:
        return
    import participation

    for module in pkgutil.iter_modules(participation.__path__):
        if module.name.startswith("exports_"):
            __import__(f"participation.{module.name}")
    autodiscover_modules("exports")
    _loaded = True


def exporter_class(model):
    load_exporters()
    for klass in model.__mro__:
        if klass in _registry:
            return _registry[klass]
    return None


def registered_models():
    """The page models that have an exporter (their subclasses have one too)."""
    load_exporters()
    return list(_registry)


def exporter_for(page, *, public=False):
    """The exporter of ``page`` (any translation); ExportError if its type has none. ``public``: for the
    published open data (only what the public pages show; see :class:`Exporter`)."""
    page = page.specific
    exporter = exporter_class(type(page))
    if exporter is None:
        raise ExportError(f"Pages of type {type(page).__name__} have no results to export.")
    return exporter(page, public=public)


class Exporter:
    """The exports of one page. Subclasses give :meth:`own_tables` and, if they have a map, :meth:`features`;
    for the admin's Results view, :meth:`own_figures` (headline figures), :meth:`own_tallies` (the page
    type's own summary tables) and :meth:`own_actions` (what the participation-over-time chart counts)."""

    has_features = False
    comments = True  # whether the page has a comment thread to export
    # What the open data's README says of each table's columns: {table: {column: lazily translated text}}.
    column_notes = {}

    def __init__(self, page, *, public=False):
        self.page = page
        # Public: the published open data of a closed process (participation.open_data), which holds only
        # what the public pages show (an idea map's published ideas...); staff exports hold every row.
        self.public = public

    def method(self):
        """How the page's results are counted, for the open data's README (lazily translated text)."""
        return ""

    def notes(self):
        """{table name: {column: meaning}} of :meth:`tables`, for the open data's README."""
        notes = dict(self.column_notes)
        if self.comments:
            notes["comments"] = COMMENT_NOTES
        return notes

    def extra_files(self):
        """[(file name, bytes)]: files of the page's own format in the open data (a budget's Pabulib file)."""
        return []

    @property
    def language(self):
        return self.page.locale.language_code

    def own_tables(self):
        return []

    def tables(self):
        """[Table]: a short list whose rows are read lazily."""
        tables = list(self.own_tables())
        if self.comments:
            tables.append(
                comments_table(self.page.title, self.comment_filter(), lambda: self.count(self.comment_queryset()))
            )
        return tables

    def comment_filter(self):
        """A Q selecting the comments that belong to this page (its own thread; an idea map adds its ideas')."""
        from django.db.models import Q

        return Q(group=self.page.translation_key)

    def comment_queryset(self):
        """This page's comments (hidden ones included, as in the comments table)."""
        from participation.models import ParticipationComment

        return ParticipationComment.objects.filter(self.comment_filter())

    def count(self, queryset):
        """``queryset.count()``, asked once per exporter: the headline figures, the tables' row counts and a
        process's totals count the same votes, ideas or comments."""
        counts = self.__dict__.setdefault("_counts", {})
        key = (queryset.model, str(queryset.order_by().query))
        if key not in counts:
            counts[key] = queryset.count()
        return counts[key]

    def counted_figures(self, label, queryset, user_field="user"):
        """``[(label, how many rows of queryset count)]`` under the page's rule on who may take part, as the
        tallies count them; when that rule is "verified residents", also how many it leaves out."""
        from .core.eligibility import counted_votes_q

        total = self.count(queryset)
        if not self.page.rules.requires_residents:
            return [(label, total)]
        counted = self.count(queryset.filter(counted_votes_q(self.page, user_field)))
        return [(label, counted), (_("Not counted (who may take part)"), total - counted)]

    def own_figures(self):
        return []

    def figures(self):
        """Headline figures: [(label, number)], labels lazily translated; a number may be None (no data
        yet, e.g. a median of nothing). One query or so each: never a query per row."""
        figures = list(self.own_figures())
        if self.comments:
            figures.append((_("Comments"), self.count(self.comment_queryset())))
        return figures

    def own_tallies(self):
        return []

    def tallies(self):
        """[Tally]: the page type's summaries (a poll's options, a budget's ranking...), each from one or two
        aggregate queries whatever the number of votes, ideas or reports."""
        return list(self.own_tallies())

    def own_actions(self):
        return []

    def actions(self):
        """What citizens did, for the participation-over-time chart: [(label, queryset, datetime field)]."""
        actions = list(self.own_actions())
        if self.comments:
            actions.append((_("Comments"), self.comment_queryset(), "submit_date"))
        return actions

    def features(self):
        """GeoJSON Feature dicts (RFC 7946: [lon, lat]), lazily."""
        raise ExportError(f"{type(self.page).__name__} has no map features: choose csv, xlsx or json.")


COMMENT_NOTES = {
    "id": _("The comment's number."),
    "page": _("The page it was written on."),
    "idea": _("The idea it discusses, when it is in an idea's thread."),
    "thread": _("The first comment of its conversation."),
    "parent": _("The comment it answers; empty for a new conversation."),
    "date": _("When it was posted (Europe/Rome)."),
    "language": _("The language of the page it was posted on."),
    "hidden": _("Whether moderators hid it or its author withdrew it. Authors and texts are never in this file."),
}


def comments_table(page_title, where, count=None):
    """comments: id, page, idea (for a comment in an idea's thread), thread, parent, date, language,
    hidden. Never the author, the text, an email or an IP address. ``where``: a Q on the comments;
    ``count``: a callable counting them (default: a query)."""
    from django.db.models import OuterRef, Subquery

    from participation.models import Idea, ParticipationComment

    def rows():
        found = (
            ParticipationComment.objects.filter(where)
            .annotate(idea_id=Subquery(Idea.objects.filter(key=OuterRef("group_id")).values("pk")[:1]))
            .order_by("submit_date", "pk")
            .values_list(
                "pk", "idea_id", "thread_id", "parent_id", "submit_date", "language", "is_public", "is_removed"
            )
        )
        for pk, idea, thread, parent, date, language, public, removed in found.iterator(chunk_size=CHUNK):
            yield (
                pk,
                page_title,
                idea,
                thread,
                parent if parent != pk else None,
                date,
                language,
                not public or removed,
            )

    return Table(
        "comments",
        columns(
            ("id", int),
            ("page", str),
            ("idea", int),
            ("thread", int),
            ("parent", int),
            ("date", datetime.datetime),
            ("language", str),
            ("hidden", bool),
        ),
        rows(),
        count or ParticipationComment.objects.filter(where).count,
    )


def summed(pairs):
    """[(label, number)] with the numbers of the same label (in the active language) added up, in the
    order each label first appears."""
    labels, sums = [], {}
    for label, number in pairs:
        if str(label) not in sums:
            labels.append(label)
            sums[str(label)] = 0
        sums[str(label)] += number
    return [(label, sums[str(label)]) for label in labels]


def counted_actions(exporter):
    """[(label, number)]: each kind of action of the page (votes, ballots, ideas, supports, reports,
    comments) counted, those of the same kind summed. One query per kind, none for a count the exporter
    already made (:meth:`Exporter.count`)."""
    return summed((label, exporter.count(queryset)) for label, queryset, _field in exporter.actions())


def participant_count(exporter):
    """How many different citizens did any of the page's actions (a citizen who voted and commented
    counts once): one query, a UNION of the user ids of every action's rows. Actions whose rows have no
    ``user`` are left out; so are rows without one (paper ballots, deleted accounts)."""
    chosen = [
        queryset.order_by().filter(user__isnull=False).values_list("user_id")
        for _label, queryset, _field in exporter.actions()
        if any(field.name == "user" for field in queryset.model._meta.get_fields())
    ]
    if not chosen:
        return 0
    return chosen[0].union(*chosen[1:]).count()


def daily_activity(exporter):
    """The page's actions counted by day (Europe/Rome): ([label], [(date, [count per label], total)]), only
    the days with some activity, oldest first. One query per kind of action, whatever the number of rows."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    labels, per_day = [], {}
    actions = exporter.actions()
    for label, queryset, field_name in actions:
        if str(label) not in map(str, labels):  # a process: its polls' votes, its pages' comments... summed by kind
            labels.append(label)
        index = [str(known) for known in labels].index(str(label))
        counted = (
            queryset.order_by()
            .annotate(day=TruncDate(field_name, tzinfo=ROME))
            .values("day")
            .annotate(n=Count("pk"))
            .values_list("day", "n")
        )
        for day, number in counted:
            if day is None:
                continue
            per_day.setdefault(day, [0] * len(actions))[index] += number
    return labels, [(day, counts[: len(labels)], sum(counts)) for day, counts in sorted(per_day.items())]


# --- writers ------------------------------------------------------------------------------------------


def local(moment):
    """A naive datetime in Europe/Rome (what Excel and Italian readers expect)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(ROME).replace(tzinfo=None)


def csv_value(value, decimal_comma):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return local(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (Decimal, float)):
        text = str(value)
        return text.replace(".", ",") if decimal_comma else text
    return str(value)


def write_csv_table(table, stream, separator=","):
    """One table as CSV text (to a text ``stream`` opened with encoding="utf-8-sig", newline="")."""
    writer = csv.writer(stream, delimiter=separator)
    writer.writerow([column.name for column in table.columns])
    decimal_comma = separator == ";"
    for row in table.rows:
        writer.writerow([csv_value(value, decimal_comma) for value in row])


class _Line:
    """A file-like target for csv.writer that keeps the last line written."""

    def write(self, text):
        self.text = text


def stream_csv_table(table, separator=",", chunk_rows=500):
    """One table as CSV bytes (UTF-8 with a BOM), yielded a few hundred rows at a time: what a streaming
    download sends, the first bytes at once, memory flat however many rows."""
    line = _Line()
    writer = csv.writer(line, delimiter=separator)
    decimal_comma = separator == ";"
    writer.writerow([column.name for column in table.columns])
    buffer = ["\ufeff", line.text]
    for row in table.rows:
        writer.writerow([csv_value(value, decimal_comma) for value in row])
        buffer.append(line.text)
        if len(buffer) >= chunk_rows:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def write_csv(tables, path, separator=","):
    """One table: a CSV file at ``path``; several: a ZIP at ``path`` with one ``<table>.csv`` each.
    UTF-8 with a BOM, so Excel reads accents; ``;`` also writes decimals with a comma (Italian Excel)."""
    if separator not in (",", ";"):
        raise ExportError("The CSV separator must be , or ;")
    if len(tables) == 1:
        with open(path, "w", encoding="utf-8-sig", newline="") as stream:
            write_csv_table(tables[0], stream, separator)
        return
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            write_csv_member(archive, f"{table.name}.csv", table, separator)


def write_csv_member(archive, name, table, separator=","):
    """One table as the CSV file ``name`` of an open ZipFile, streamed into it."""
    with zip_text_member(archive, name, encoding="utf-8-sig") as stream:
        write_csv_table(table, stream, separator)


@contextlib.contextmanager
def zip_text_member(archive, name, encoding="utf-8"):
    """A text stream writing the member ``name`` of an open ZipFile, streamed (ZIP64 for big files)."""
    with archive.open(name, "w", force_zip64=True) as raw:
        stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            yield stream
        finally:
            stream.flush()
            stream.detach()


def sheet_titles(names):
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    used, titles = set(), []
    for name in names:
        base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
        title, number = base, 2
        while title.lower() in used:
            suffix = f"~{number}"
            title, number = base[: 31 - len(suffix)] + suffix, number + 1
        used.add(title.lower())
        titles.append(title)
    return titles


def write_xlsx(tables, path):
    """One sheet per table (openpyxl write-only: rows go to disk as they come), a frozen bold header,
    numbers as numbers and datetimes as dates (naive, Europe/Rome) with a date format."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table, title in zip(tables, sheet_titles([table.name for table in tables]), strict=True):
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=column.name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            values = []
            for value in row:
                if isinstance(value, datetime.datetime):
                    cell = WriteOnlyCell(sheet, value=local(value))
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                    values.append(cell)
                else:
                    values.append(value)
            sheet.append(values)
    book.save(path)


def json_value(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(ROME).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_json(tables, path):
    """{"<table>": [{column: value}, ...], ...}, written row by row; datetimes in ISO 8601 (Europe/Rome)."""
    with open(path, "w", encoding="utf-8") as out:
        out.write("{")
        for index, table in enumerate(tables):
            out.write(("," if index else "") + "\n" + json.dumps(table.name) + ": [")
            names = [column.name for column in table.columns]
            for number, row in enumerate(table.rows):
                record = {name: json_value(value) for name, value in zip(names, row, strict=True)}
                out.write(("," if number else "") + "\n  " + json.dumps(record, ensure_ascii=False))
            out.write("\n]")
        out.write("\n}\n")


def write_geojson(features, path):
    """An RFC 7946 FeatureCollection, feature by feature."""
    with open(path, "w", encoding="utf-8") as out:
        write_geojson_stream(features, out)


def write_geojson_stream(features, out):
    """An RFC 7946 FeatureCollection written to the text stream ``out``, feature by feature."""
    out.write('{"type": "FeatureCollection", "features": [')
    for number, feature in enumerate(features):
        text = json.dumps(feature, ensure_ascii=False, default=json_value, separators=(",", ":"))
        out.write(("," if number else "") + "\n" + text)
    out.write("\n]}\n")


def point(identifier, lat, lon, properties):
    return {
        "type": "Feature",
        "id": identifier,
        "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
        "properties": properties,
    }


@dataclass
class Export:
    """What :func:`export` wrote."""

    format: str
    tables: list = field(default_factory=list)
    rows: int = 0  # rows (or features) written: counted only when :func:`export` is given ``progress``


class Progress:
    """Counts the rows an export writes, across all its tables, and calls ``report(rows so far)`` every
    :data:`PROGRESS_EVERY` rows: a background export shows how far it has got. The rows pass unchanged."""

    def __init__(self, report):
        self.report = report
        self.done = 0

    def counted(self, rows):
        for row in rows:
            yield row
            self.done += 1
            if self.done % PROGRESS_EVERY == 0:
                self.report(self.done)

    def table(self, table):
        return Table(table.name, table.columns, self.counted(table.rows), table.count)


def export_tables(exporter, only=None):
    """The exporter's tables, or those named in ``only`` (ExportError for a name it has not)."""
    tables = exporter.tables()
    if only:
        missing = set(only) - {table.name for table in tables}
        if missing:
            raise ExportError(
                f"No table {', '.join(sorted(missing))}: choose among {', '.join(t.name for t in tables)}."
            )
        tables = [table for table in tables if table.name in only]
    return tables


def export(page, fmt, path, *, separator=",", only=None, progress=None):
    """Write ``page``'s results in ``fmt`` (csv, xlsx, json, geojson) to ``path``; ``only``: table names
    to keep; ``progress``: called with the number of rows written so far, every :data:`PROGRESS_EVERY`
    rows and once at the end (the file is the same with or without it). Returns the :class:`Export`."""
    exporter = exporter_for(page)
    counter = Progress(progress) if progress else None
    if fmt == "geojson":
        if not exporter.has_features:
            raise ExportError(f"{type(exporter.page).__name__} has no map features: choose csv, xlsx or json.")
        features = exporter.features()
        write_geojson(counter.counted(features) if counter else features, path)
        return finished(Export(fmt), counter)
    tables = export_tables(exporter, only)
    written = [counter.table(table) for table in tables] if counter else tables
    if fmt == "csv":
        if len(tables) > 1 and not str(path).lower().endswith(".zip"):
            raise ExportError(
                f"{len(tables)} tables ({', '.join(t.name for t in tables)}) make a ZIP of CSV files: give an "
                "output ending in .zip, or choose one table with --table."
            )
        write_csv(written, path, separator)
    elif fmt == "xlsx":
        write_xlsx(written, path)
    elif fmt == "json":
        write_json(written, path)
    else:
        raise ExportError(f"Unknown format {fmt!r}: choose among {', '.join(FORMATS)}.")
    return finished(Export(fmt, [table.name for table in tables]), counter)


def finished(done, counter):
    """``done`` with its row count, reported one last time (the rows after the last multiple of
    PROGRESS_EVERY)."""
    if counter is not None:
        done.rows = counter.done
        counter.report(counter.done)
    return done


def extension(page, fmt, only=None):
    """The file extension of an export: a ZIP for several CSV tables, else the format's."""
    if fmt != "csv":
        return fmt
    return "csv" if len(export_tables(exporter_for(page), only)) == 1 else "zip"


def expected_rows(page, fmt, only=None):
    """How many rows an export will write: each table's ``count()`` (one query each), the few rows of a
    table without one (a tally, a list of projects) by reading them. None for GeoJSON (features are not
    counted in advance)."""
    if fmt == "geojson":
        return None
    total = 0
    for table in export_tables(exporter_for(page), only):
        total += table.count() if table.count is not None else sum(1 for _row in table.rows)
    return total
