"""A collaboration pact's exports: its activities, one row each, with their sign-ups and what their reports say.

What the staff's Results tools download as the pact's yearly report (filter the rows by date in a spreadsheet):
no citizen appears, only counts. The pact has no comment thread of its own, so the export is one CSV table.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exports import CHUNK, Exporter, Table, columns, register
from .models import Activity, ActivityProposal, ActivitySignup, PactPage
from .pact_reports import held_q, totals


@register(PactPage)
class PactExporter(Exporter):
    comments = False
    column_notes = {
        "activities": {
            "id": _("The activity's number."),
            "date": _("When it starts (Europe/Rome)."),
            "title": _("Its title, in the language it was written in."),
            "place": _("Where in the pact's area."),
            "places": _("How many could sign up; empty for no limit."),
            "confirmed": _("Citizens with a confirmed place."),
            "waiting": _("Citizens on the waiting list."),
            "status": _("scheduled or cancelled."),
            "held": _("Whether it has taken place (over and not cancelled)."),
            "participants": _("How many took part, as its coordinator reported; empty without a report."),
            "hours": _("Volunteer hours, as its coordinator reported; empty without a report."),
        }
    }

    def method(self):
        return _(
            "The pact's coordinators publish activities; citizens sign up within the places, then wait. After an "
            "activity its coordinator reports the participants and the volunteer hours."
        )

    def activities(self):
        return Activity.objects.filter(group=self.page.group_key)

    def own_figures(self):
        found = totals(self.page.group_key)
        return [
            (_("Activities held"), found["held"]),
            (_("Participants"), found["participants"]),
            (_("Volunteer hours"), found["hours"]),
        ]

    def own_actions(self):
        return [
            (_("Sign-ups"), ActivitySignup.objects.filter(activity__group=self.page.group_key), "signed_up_at"),
            (_("Proposals"), ActivityProposal.objects.filter(group=self.page.group_key), "created_at"),
        ]

    def own_tables(self):
        return [self.activities_table()]

    def activities_table(self):
        found = (
            self.activities()
            .annotate(
                confirmed=Count("signups", filter=Q(signups__status=ActivitySignup.CONFIRMED)),
                waiting=Count("signups", filter=Q(signups__status=ActivitySignup.WAITING)),
                was_held=Count("pk", filter=held_q(timezone.now())),
            )
            .order_by("starts_at", "pk")
            .values_list(
                "pk",
                "starts_at",
                "title",
                "place_name",
                "capacity",
                "confirmed",
                "waiting",
                "status",
                "was_held",
                "report__participants",
                "report__hours",
            )
        )

        def rows():
            for pk, starts, title, place, capacity, confirmed, waiting, status, held, people, hours in found.iterator(
                chunk_size=CHUNK
            ):
                yield (pk, starts, title, place, capacity, confirmed, waiting, status, bool(held), people, hours)

        return Table(
            "activities",
            columns(
                ("id", int),
                ("date", datetime.datetime),
                ("title", str),
                ("place", str),
                ("places", int),
                ("confirmed", int),
                ("waiting", int),
                ("status", str),
                ("held", bool),
                ("participants", int),
                ("hours", Decimal),
            ),
            rows(),
            lambda: self.count(self.activities()),
        )
