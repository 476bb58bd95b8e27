"""The staff's Results view in the Wagtail admin, and its permission-checked downloads.

For any page with an exporter (participation.exports: polls, budgets, idea maps, reporting pages, whole
processes): the headline figures, a participation-over-time chart drawn on the server as SVG (no JavaScript,
no inline styles: the admin's Content-Security-Policy allows neither) with a table alternative, a preview of
each exported table, and the downloads (CSV, a ZIP of CSV files, XLSX, JSON, GeoJSON). Only users holding
``participation.view_results`` (the Results group, superusers) see any of it; every download is written to
Wagtail's audit log, as the ``export_results`` command's exports are.
"""

import datetime
from decimal import Decimal
from itertools import islice
from tempfile import NamedTemporaryFile

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button
from wagtail.log_actions import log
from wagtail.models import Page

from .exports import (
    LOG_ACTION,
    ExportError,
    daily_activity,
    export,
    exporter_class,
    exporter_for,
    local,
    registered_models,
    stream_csv_table,
)

PERMISSION = "participation.view_results"
PREVIEW_ROWS = 100
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
    page = get_object_or_404(Page, pk=page_id).specific
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
    url = reverse("participation_results_download", args=[page.pk, "csv"])
    several = len(tables) > 1
    links = [
        {
            "url": url,
            "label": _("CSV (a ZIP of %(count)s files, one per table)") % {"count": len(tables)} if several else "CSV",
        },
        {
            "url": f"{url}?separator=semicolon",
            "label": _("CSV separated by semicolons, for Excel in Italian") + (" (ZIP)" if several else ""),
        },
        {"url": reverse("participation_results_download", args=[page.pk, "xlsx"]), "label": "XLSX (Excel)"},
        {"url": reverse("participation_results_download", args=[page.pk, "json"]), "label": "JSON"},
    ]
    if exporter.has_features:
        links.append(
            {
                "url": reverse("participation_results_download", args=[page.pk, "geojson"]),
                "label": _("GeoJSON (the map's points)"),
            }
        )
    return links


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


def record(request, page, fmt, tables, separator):
    log(
        instance=page,
        action=LOG_ACTION,
        user=request.user,
        data={"format": fmt, "tables": tables, "page_id": page.pk, "separator": separator, "via": "admin"},
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

    if fmt == "csv" and not name:
        several = len(exporter.tables()) > 1
        extension = "zip" if several else "csv"
    else:
        extension = fmt
    handle = NamedTemporaryFile(suffix=f".{extension}")  # deleted when the response closes it
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
    response = FileResponse(handle, content_type=CONTENT_TYPES[extension])
    return private(response, file_name(page, extension, name))


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
