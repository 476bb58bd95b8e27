"""A reporting page's exports: its public reports (no subject, text, contact or reporter) and their points."""

import datetime
from statistics import median

from django.utils.translation import gettext_lazy as _

from .exports import CHUNK, Exporter, Table, columns, point, register
from .models import Report, ReportingPage

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
            (_("Reports"), reports.count()),
            (_("Open reports"), reports.open().count()),
            (_("Resolved reports"), reports.filter(status=ReportStatus.RESOLVED).count()),
            (_("Median days to the first answer"), round(median(waits), 1) if waits else None),
        ]

    def own_actions(self):
        return [(_("Reports"), self.reports(), "created_at")]

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
            self.reports().count,
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
