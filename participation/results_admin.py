"""The staff's Results view in the Wagtail admin, and its permission-checked downloads.

For any page with an exporter (participation.exports: polls, budgets, idea maps, reporting pages, whole
processes): the headline figures, a participation-over-time chart drawn on the server as SVG (no JavaScript,
no inline styles: the admin's Content-Security-Policy allows neither) with a table alternative, a preview of
each exported table, and the downloads (CSV, a ZIP of CSV files, XLSX, JSON, GeoJSON). Only users holding
``participation.view_results`` (the Results group, superusers) see any of it; every download is written to
Wagtail's audit log, as the ``export_results`` command's exports are.

A page whose tables hold more than RESULTS_BACKGROUND_ROWS rows is exported in the background instead
(participation/export_tasks.py): its whole-page downloads become "Prepare the file" forms (POST), which record
a :class:`ResultsExport`, enqueue the task and lead to a status page showing progress, then a download link.
Any holder of the permission may follow and download any background export (the permission covers every
page's results, and each one is anonymised); each request and each download is in the audit log.
"""

import datetime
from decimal import Decimal
from itertools import islice
from tempfile import NamedTemporaryFile

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button
from wagtail.log_actions import log
from wagtail.models import Page

from .export_tasks import prune, run_export
from .exports import (
    FORMATS,
    LOG_ACTION,
    ExportError,
    daily_activity,
    expected_rows,
    export,
    export_tables,
    exporter_class,
    exporter_for,
    extension,
    local,
    registered_models,
    stream_csv_table,
)
from .models import ResultsExport

PERMISSION = "participation.view_results"
PREVIEW_ROWS = 100
RECENT_EXPORTS = 10  # the member's background exports of a page listed in its Results view
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "geojson": "application/geo+json",
}
SEPARATORS = {",": ",", ";": ";", "comma": ",", "semicolon": ";"}


def may_view(user):
    return user.has_perm(PERMISSION)


def has_results(page):
    """Whether ``page`` (any Page, specific or not) has a Results view: its type has an exporter. No query."""
    model = page.specific_class
    return model is not None and exporter_class(model) is not None


def results_and_exporter(request, page_id):
    """(the specific page, its exporter) or 403 without the permission, 404 for a page without results."""
    if not may_view(request.user):
        raise PermissionDenied
    generic = get_object_or_404(Page.objects.select_related("locale"), pk=page_id)
    page = generic.specific
    page.locale = generic.locale  # read by the exporters (the page's language, its rules page): no query more
    try:
        return page, exporter_for(page)
    except ExportError:
        raise Http404("This page has no results.") from None


# --- what the view shows ---------------------------------------------------------------------------------------


def display_number(value):
    """A figure as the admin's language writes it: grouped thousands, cents only when there are some."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Decimal):
        places = 0 if value == value.to_integral_value() else 2
        return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    if isinstance(value, float):
        return formats.number_format(value, decimal_pos=1, use_l10n=True, force_grouping=True)
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def display_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return formats.date_format(local(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, (bool, int, float, Decimal)):
        return display_number(value)
    return str(value)


def preview(table):
    """A table's first rows, as text, and how many more it holds (counted with one query when the table
    can, else by reading the rest)."""
    rows = iter(table.rows)
    try:
        shown = [[display_cell(value) for value in row] for row in islice(rows, PREVIEW_ROWS)]
        if table.count is not None:
            more = max(table.count() - len(shown), 0)
        else:
            more = sum(1 for _row in rows)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()  # a generator reading a database cursor: let it go now
    return {"name": table.name, "columns": [column.name for column in table.columns], "rows": shown, "more": more}


def is_number(value):
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def shown_tallies(exporter):
    """The page type's tallies as the template shows them: every cell as text in the admin's language,
    the row's header cell marked, numbers marked to align right (a class: the admin's CSP forbids inline
    styles)."""

    def cells(tally, row):
        return [
            {"text": display_cell(value), "header": index == tally.header, "number": is_number(value)}
            for index, value in enumerate(row)
        ]

    return [
        {
            "name": tally.name,
            "caption": tally.caption,
            "page": tally.page,
            "columns": [
                {"label": column.name, "number": column.type in (int, float, Decimal)} for column in tally.columns
            ],
            "rows": [cells(tally, row) for row in tally.rows],
            "total": cells(tally, tally.total) if tally.total is not None else None,
            "note": str(tally.note) if tally.note else "",
        }
        for tally in exporter.tallies()
    ]


CHART_WIDTH, CHART_HEIGHT = 720, 240
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 56, 16, 16, 40


def coordinate(number):
    """An SVG coordinate: always a dot for decimals, whatever the admin's language."""
    return f"{number:.2f}"


def chart(days):
    """The geometry of the participation-over-time bar chart: one bar per day from the first action to the
    last (days without any are gaps), its height the day's total. None when nothing happened yet."""
    if not days:
        return None
    first, last = days[0][0], days[-1][0]
    span = (last - first).days + 1
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    peak = max(total for _day, _counts, total in days) or 1
    step = plot_width / span
    bottom = CHART_TOP + plot_height
    bars = []
    width = min(max(step * 0.8, 0.5), 40)  # a few days: bars, not slabs
    for day, _counts, total in days:
        height = plot_height * total / peak
        bars.append(
            {
                "x": coordinate(CHART_LEFT + (day - first).days * step + (step - width) / 2),
                "y": coordinate(bottom - height),
                "width": coordinate(width),
                "height": coordinate(height),
                "label": f"{formats.date_format(day, 'SHORT_DATE_FORMAT')}: {display_number(total)}",
            }
        )
    ticks = sorted({0, peak // 2, peak}) if peak > 1 else [0, peak]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "bars": bars,
        "axis": {
            "left": CHART_LEFT,
            "right": CHART_WIDTH - CHART_RIGHT,
            "top": CHART_TOP,
            "bottom": bottom,
            "label_x": CHART_LEFT - 6,
            "date_y": bottom + 20,
        },
        "ticks": [
            {"y": coordinate(bottom - plot_height * tick / peak), "label": display_number(tick)} for tick in ticks
        ],
        "first": formats.date_format(first, "SHORT_DATE_FORMAT"),
        "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
        "same_day": first == last,
    }


def download_links(page, exporter, tables):
    """The whole-page downloads: format, separator, label, and the URL of the direct download and of the form
    that prepares the file in the background."""
    several = len(tables) > 1
    links = [
        (
            "csv",
            ",",
            _("CSV (a ZIP of %(count)s files, one per table)") % {"count": len(tables)} if several else "CSV",
        ),
        ("csv", ";", _("CSV separated by semicolons, for Excel in Italian") + (" (ZIP)" if several else "")),
        ("xlsx", ",", "XLSX (Excel)"),
        ("json", ",", "JSON"),
    ]
    if exporter.has_features:
        links.append(("geojson", ",", _("GeoJSON (the map's points)")))
    return [
        {
            "url": reverse("participation_results_download", args=[page.pk, fmt])
            + ("?separator=semicolon" if separator == ";" else ""),
            "prepare_url": reverse("participation_results_prepare", args=[page.pk, fmt]),
            "separator": "semicolon" if separator == ";" else "comma",
            "label": label,
        }
        for fmt, separator, label in links
    ]


def results_view(request, page_id):
    page, exporter = results_and_exporter(request, page_id)
    figures = [{"label": label, "value": display_number(number)} for label, number in exporter.figures()]
    labels, days = daily_activity(exporter)
    tables = exporter.tables()
    previews = []
    for table in tables:
        shown = preview(table)
        query = urlencode({"table": table.name})
        shown["csv_url"] = reverse("participation_results_download", args=[page.pk, "csv"]) + f"?{query}"
        previews.append(shown)
    rows = sum(len(shown["rows"]) + shown["more"] for shown in previews)
    recent = ResultsExport.objects.filter(page=page, requested_by=request.user)[:RECENT_EXPORTS]
    return TemplateResponse(
        request,
        "participation/admin/results.html",
        {
            "page": page,
            "figures": figures,
            "tallies": shown_tallies(exporter),
            "activity_labels": labels,
            "activity": [
                {
                    "day": formats.date_format(day, "SHORT_DATE_FORMAT"),
                    "counts": [display_number(count) for count in counts],
                    "total": display_number(total),
                }
                for day, counts, total in days
            ],
            "chart": chart(days),
            "tables": previews,
            "preview_rows": PREVIEW_ROWS,
            "downloads": download_links(page, exporter, tables),
            "background": rows > settings.RESULTS_BACKGROUND_ROWS,
            "rows": display_number(rows),
            "recent_exports": [describe(record) for record in recent],
            "edit_url": reverse("wagtailadmin_pages:edit", args=[page.pk]),
            "index_url": reverse("participation_results_index"),
        },
    )


# --- downloads ---------------------------------------------------------------------------------------------------


def file_name(page, extension, table=None):
    """A name safe in any browser and file system: the page's slug, the table, today's date."""
    parts = [slugify(page.slug) or f"page-{page.pk}"]
    if table:
        parts.append(slugify(table))
    parts.append(timezone.localdate().isoformat())
    return "-".join(parts) + "." + extension


def private(response, name):
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def record(request, page, fmt, tables, separator, via="admin", **more):
    log(
        instance=page,
        action=LOG_ACTION,
        user=request.user,
        data={"format": fmt, "tables": tables, "page_id": page.pk, "separator": separator, "via": via, **more},
    )


def download_view(request, page_id, fmt):
    """One export of the page, as a file: ``?table=NAME`` for one table (a CSV table streams),
    ``?separator=semicolon`` for CSV that Excel opens in Italian."""
    page, exporter = results_and_exporter(request, page_id)
    if fmt not in CONTENT_TYPES or fmt == "zip":
        raise Http404("No such format.")
    separator = SEPARATORS.get(request.GET.get("separator", ","))
    if separator is None:
        return HttpResponseBadRequest("The separator must be a comma or a semicolon.")
    name = request.GET.get("table") or None
    if fmt == "geojson" and not exporter.has_features:
        raise Http404("This page has no map.")

    if fmt == "csv" and name:
        found = [table for table in exporter.tables() if table.name == name]
        if not found:
            raise Http404("No such table.")
        record(request, page, fmt, [name], separator)
        response = StreamingHttpResponse(stream_csv_table(found[0], separator), content_type=CONTENT_TYPES["csv"])
        return private(response, file_name(page, "csv", name))

    try:
        suffix = extension(page, fmt, [name] if name else None)
    except ExportError:
        raise Http404("No such table.") from None
    handle = NamedTemporaryFile(suffix=f".{suffix}")  # deleted when the response closes it
    try:
        done = export(page, fmt, handle.name, separator=separator, only=[name] if name else None)
    except ExportError:
        handle.close()
        raise Http404("No such table.") from None
    except BaseException:
        handle.close()
        raise
    record(request, page, fmt, done.tables, separator)
    handle.seek(0)
    response = FileResponse(handle, content_type=CONTENT_TYPES[suffix])
    return private(response, file_name(page, suffix, name))


# --- exports prepared in the background ------------------------------------------------------------------------


def progress_text(export):
    """How far an export has got, in words: "12,000 of 100,000 rows" (or "12,000 rows written" when the total is
    not known in advance, as for GeoJSON)."""
    done = display_number(export.rows_done)
    if export.rows_expected is None:
        return ngettext("%(done)s row written", "%(done)s rows written", export.rows_done) % {"done": done}
    return ngettext("%(done)s of %(expected)s row", "%(done)s of %(expected)s rows", export.rows_expected) % {
        "done": done,
        "expected": display_number(export.rows_expected),
    }


def export_label(export):
    """What was asked for: "XLSX", "CSV (;)", "CSV: votes"."""
    label = export.format.upper()
    if export.format == "csv" and export.separator == ";":
        label += " (;)"
    if export.table:
        label += f": {export.table}"
    return label


def describe(export):
    """An export as the templates and the JSON status show it."""
    ready = export.status == ResultsExport.DONE
    return {
        "id": export.pk,
        "label": export_label(export),
        "created": formats.date_format(local(export.created_at), "SHORT_DATETIME_FORMAT"),
        "status": export.status,
        "state": export.get_status_display(),
        "progress": progress_text(export),
        "finished": export.finished,
        "failed": export.status == ResultsExport.FAILED,
        "url": reverse("participation_results_export", args=[export.pk]),
        "download_url": reverse("participation_results_export_download", args=[export.pk]) if ready else None,
    }


def export_of(request, export_id):
    """The export ``export_id``, for any holder of the permission (403 otherwise, 404 if it is gone)."""
    if not may_view(request.user):
        raise PermissionDenied
    return get_object_or_404(ResultsExport.objects.select_related("page"), pk=export_id)


def table_names(exporter, fmt, only):
    return [] if fmt == "geojson" else [table.name for table in export_tables(exporter, only)]


@require_POST
def prepare_view(request, page_id, fmt):
    """Record an export of the page, enqueue it, and lead to its status page. POST only (with the CSRF token):
    it starts work and writes to the audit log. Old exports are deleted on the way."""
    page, exporter = results_and_exporter(request, page_id)
    if fmt not in FORMATS or (fmt == "geojson" and not exporter.has_features):
        raise Http404("No such format.")
    separator = SEPARATORS.get(request.POST.get("separator", ","))
    if separator is None:
        return HttpResponseBadRequest("The separator must be a comma or a semicolon.")
    name = request.POST.get("table", "")
    only = [name] if name else None
    try:
        expected, tables = expected_rows(page, fmt, only), table_names(exporter, fmt, only)
    except ExportError:
        raise Http404("No such table.") from None
    prune()
    export = ResultsExport.objects.create(
        page=page,
        requested_by=request.user,
        format=fmt,
        separator=separator,
        table=name,
        language=translation.get_language() or "",
        rows_expected=expected,
    )
    record(request, page, fmt, tables, separator, via="background", step="requested", export_id=export.pk)
    result = run_export.enqueue(export.pk)  # the immediate backend (development) runs it here and now
    ResultsExport.objects.filter(pk=export.pk).update(task_id=str(result.id))
    return redirect("participation_results_export", export.pk)


def export_view(request, export_id):
    """The export's state and progress (updated by static/js/results-export.js, or by the Refresh link without
    JavaScript), and its download link once ready."""
    export = export_of(request, export_id)
    return TemplateResponse(
        request,
        "participation/admin/results_export.html",
        {
            "page": export.page,
            "export": describe(export),
            "status_url": reverse("participation_results_export_status", args=[export.pk]),
            "results_url": reverse("participation_results", args=[export.page_id]),
        },
    )


def export_status_view(request, export_id):
    """The export's state as JSON, for the status page's script."""
    response = JsonResponse(describe(export_of(request, export_id)))
    response["Cache-Control"] = "private, no-store"
    return response


def export_download_view(request, export_id):
    """A finished export's file (404 until then, or once pruned), as an attachment; each download is logged."""
    export = export_of(request, export_id)
    path = export.path
    if path is None or not path.is_file():
        raise Http404("This export has no file.")
    only = [export.table] if export.table else None
    suffix = path.suffix.lstrip(".")
    try:
        tables = table_names(exporter_for(export.page), export.format, only)
    except ExportError:
        tables = [export.table] if export.table else []
    record(
        request,
        export.page,
        export.format,
        tables,
        export.separator,
        via="background",
        step="downloaded",
        export_id=export.pk,
    )
    response = FileResponse(path.open("rb"), content_type=CONTENT_TYPES[suffix])
    return private(response, file_name(export.page, suffix, export.table or None))


# --- the Results menu: processes and their pages ---------------------------------------------------------------


def index_view(request):
    """Every page with results, one per translation group (in the admin's language when it has one), the
    participation pages under their process."""
    if not may_view(request.user):
        raise PermissionDenied
    language = translation.get_language()
    pages = Page.objects.type(*registered_models()).select_related("locale").order_by("path")
    chosen = {}
    for page in pages:
        current = chosen.get(page.translation_key)
        if current is None or (page.locale.language_code == language and current.locale.language_code != language):
            chosen[page.translation_key] = page
    from consultations.models import ConsultationPage

    # A page belongs to the process above it in its own language's tree; processes are matched across
    # languages by their translation key (an Italian-only poll sits under the English process).
    process_paths = {
        page.path: page.translation_key for page in pages if issubclass(page.specific_class, ConsultationPage)
    }

    def process_of(page):
        return next(
            (key for path, key in process_paths.items() if page.path != path and page.path.startswith(path)), None
        )

    entries = {}
    for page in sorted(chosen.values(), key=lambda page: page.path):
        entries[page.translation_key] = {
            "page": page,
            "url": reverse("participation_results", args=[page.pk]),
            "children": [],
            "process": process_of(page),
            "is_process": page.path in process_paths,
        }
    processes, others = [], []
    for entry in entries.values():
        if entry["is_process"]:
            processes.append(entry)
        elif entry["process"] in entries:
            entries[entry["process"]]["children"].append(entry)
        else:
            others.append(entry)
    return TemplateResponse(
        request, "participation/admin/results_index.html", {"processes": processes, "others": others}
    )


class ResultsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_view(request.user)


def menu_item():
    return ResultsMenuItem(
        gettext_lazy("Results"), reverse("participation_results_index"), name="results", icon_name="table", order=260
    )


def results_buttons(page, user, priority):
    if has_results(page) and may_view(user):
        yield Button(
            gettext_lazy("Results"),
            reverse("participation_results", args=[page.pk]),
            icon_name="table",
            priority=priority,
        )
