"""A reporting page's exports: its public reports (no subject, text, contact or reporter) and their points."""

import datetime
from statistics import fmean, median

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exports import CHUNK, Exporter, Table, Tally, columns, point, register
from .models import Report, ReportingPage, ReportStatus
from .models.reports import OPEN_STATUSES

STALE_DAYS = 30  # an open report older than this is counted apart in the Results view
# The statuses that end a report with the City's work done: resolved, or closed (after a resolution or not).
# A duplicate is counted with its original, and a report outside the City's remit was never worked on.
FINISHED = (ReportStatus.RESOLVED, ReportStatus.CLOSED)

FIELDS = (
    "reference",
    "category_key",
    "status",
    "district",
    "follower_count",
    "created_at",
    "first_response_at",
    "resolved_at",
    "latitude",
    "longitude",
)


@register(ReportingPage)
class ReportingExporter(Exporter):
    has_features = True
    column_notes = {
        "reports": {
            "reference": _("The report's reference (TO-year-number), as on its page."),
            "category": _("Its category."),
            "status": _(
                "Where it stands: new, acknowledged, in_progress, resolved, closed, duplicate or not_responsible "
                "(not the City's responsibility)."
            ),
            "district": _("The number of the district (Circoscrizione) it is in."),
            "me_too": _("How many citizens follow it (its reporter and those who said “me too”)."),
            "created": _("When it was sent (Europe/Rome)."),
            "first_answer": _("When the City first answered it publicly."),
            "resolved": _("When it was resolved."),
            "lat": _("Latitude of the problem (WGS 84)."),
            "lon": _("Longitude of the problem (WGS 84)."),
        },
    }

    def method(self):
        return _(
            "Citizens reported problems in public spaces; the City's offices answered and resolved them. The "
            "subject, the description, the photos and the reporter are never published, and neither are "
            "reports the moderators hid."
        )

    def categories(self):
        from .reports import category_map

        return {key: category.name for key, category in category_map(self.language).items()}

    def reports(self):
        return Report.objects.public().filter(group=self.page.group_key)

    def own_figures(self):
        """Reports (public ones, as exported), open, resolved, and the median days from a report to its
        first public answer (None before any answer)."""
        from .models import ReportStatus

        reports = self.reports()
        waits = [
            (answered - created).total_seconds() / 86400
            for created, answered in reports.filter(first_response_at__isnull=False)
            .values_list("created_at", "first_response_at")
            .iterator(chunk_size=CHUNK)
        ]
        return [
            (_("Reports"), self.count(reports)),
            (_("Open reports"), reports.open().count()),
            (_("Resolved reports"), reports.filter(status=ReportStatus.RESOLVED).count()),
            (_("Median days to the first answer"), round(median(waits), 1) if waits else None),
        ]

    def own_actions(self):
        return [(_("Reports"), self.reports(), "created_at")]

    def own_tallies(self):
        """The public reports (those with a reference: the list and the map show every one of them, hidden
        text or not) by category and status, and per category how long they took to resolve. Two queries
        whatever the number of reports."""
        names = self.categories()
        counted, stale = {}, {}
        cutoff = timezone.now() - datetime.timedelta(days=STALE_DAYS)
        rows = (
            self.reports()
            .order_by()
            .values("category_key", "status")
            .annotate(n=Count("pk"), stale=Count("pk", filter=Q(status__in=OPEN_STATUSES, created_at__lt=cutoff)))
        )
        for row in rows:
            counted[(row["category_key"], row["status"])] = row["n"]
            stale[row["category_key"]] = stale.get(row["category_key"], 0) + row["stale"]
        keys = list(names) + sorted({key for key, _status in counted if key not in names}, key=str)
        return [self.by_category_and_status(names, keys, counted), self.resolution_times(names, keys, stale)]

    def by_category_and_status(self, names, keys, counted):
        statuses = ReportStatus.choices
        rows = []
        for key in keys:
            numbers = [counted.get((key, value), 0) for value, _label in statuses]
            rows.append((names.get(key, _("(deleted category)")), *numbers, sum(numbers)))
        sums = [sum(row[index] for row in rows) for index in range(1, len(statuses) + 2)]
        return Tally(
            "by_category_and_status",
            _("Reports by category and status"),
            columns((_("Category"), str), *((label, int) for _value, label in statuses), (_("Total"), int)),
            rows,
            total=(_("All categories"), *sums),
        )

    def resolution_times(self, names, keys, stale):
        """Per category: the reports resolved or closed, the median and mean days from the report to the
        status change that ended it (``resolved_at``, kept when a resolved report is then closed, else the
        closing's ``status_changed_at``: both written by participation.reports.change_status as it records
        the ReportUpdate), and the reports still open after STALE_DAYS days. Durations are read as
        (category, created, ended) values in one query and summarised here: SQLite has no median."""
        days = {key: [] for key in keys}
        found = (
            self.reports()
            .filter(status__in=FINISHED)
            .order_by()
            .values_list("category_key", "created_at", Coalesce("resolved_at", "status_changed_at"))
        )
        for key, created, ended in found.iterator(chunk_size=CHUNK):
            days.setdefault(key, []).append((ended - created).total_seconds() / 86400)

        def summary(durations):
            if not durations:
                return len(durations), None, None
            return len(durations), round(median(durations), 1), round(fmean(durations), 1)

        rows = [(names.get(key, _("(deleted category)")), *summary(days[key]), stale.get(key, 0)) for key in days]
        every = [duration for durations in days.values() for duration in durations]
        return Tally(
            "resolution_times",
            _("Time to resolve, by category"),
            columns(
                (_("Category"), str),
                (_("Resolved or closed"), int),
                (_("Median days"), float),
                (_("Mean days"), float),
                (_("Open for more than 30 days"), int),  # STALE_DAYS: change both together
            ),
            rows,
            total=(_("All categories"), *summary(every), sum(stale.values())),
        )

    def found(self):
        return (
            Report.objects.public()
            .filter(group=self.page.group_key)
            .order_by("created_at", "pk")
            .values_list(*FIELDS)
            .iterator(chunk_size=CHUNK)
        )

    def own_tables(self):
        """reports: reference, category, status, district, me_too, created, first_answer, resolved, lat, lon.
        Never the subject or description (citizens write them, moderators may hide them), the contact or
        the reporter."""
        categories = self.categories()

        def rows_with_points():
            for reference, category, status, district, me_too, created, first, resolved, lat, lon in self.found():
                yield (
                    reference,
                    categories.get(category, ""),
                    status,
                    district,
                    me_too,
                    created,
                    first,
                    resolved,
                    lat,
                    lon,
                )

        table = Table(
            "reports",
            columns(
                ("reference", str),
                ("category", str),
                ("status", str),
                ("district", int),
                ("me_too", int),
                ("created", datetime.datetime),
                ("first_answer", datetime.datetime),
                ("resolved", datetime.datetime),
                ("lat", float),
                ("lon", float),
            ),
            rows_with_points(),
            lambda: self.count(self.reports()),
        )
        return [table]

    def features(self):
        categories = self.categories()
        for reference, category, status, district, me_too, created, first, resolved, lat, lon in self.found():
            yield point(
                reference,
                lat,
                lon,
                {
                    "category": categories.get(category, ""),
                    "status": status,
                    "district": district,
                    "me_too": me_too,
                    "created": created,
                    "first_answer": first,
                    "resolved": resolved,
                },
            )
