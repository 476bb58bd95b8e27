"""A participatory budget's exports: its projects with the count, and its anonymised ballots."""

import datetime
from decimal import Decimal
from itertools import groupby

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .core.eligibility import excluded
from .exports import CHUNK, Exporter, Table, Tally, columns, pseudonym, register
from .models import Ballot, BudgetPage


@register(BudgetPage)
class BudgetExporter(Exporter):
    column_notes = {
        "projects": {
            "position": _("The project's place in the results."),
            "code": _("The project's code, as on its page and in the Pabulib file."),
            "title": _("The project's title."),
            "cost": _("Its cost in euros."),
            "category": _("Its category."),
            "district": _("The number of its district (Circoscrizione)."),
            "district_name": _("The district's name."),
            "votes": _("How many ballots chose it."),
            "funded": _("Whether it is funded under the budget's results method."),
        },
        "ballots": {
            "voter": _(
                "A pseudonym of the voter: the same within this dataset, different in every other, and not "
                "traceable to a person without the City's secret key."
            ),
            "time": _("When the ballot was cast (Europe/Rome)."),
            "channel": _("online, or paper for a ballot cast at a voting point and entered by the City's staff."),
            "projects": _("The codes of the projects chosen, separated by “ | ”."),
        },
    }

    def method(self):
        rules = self.page.rules
        return _(
            "Each citizen cast one ballot, online or on paper at a voting point, choosing projects within the "
            "rules shown on the page. The projects are funded by this method: %(method)s. The Pabulib file "
            "(.pb) holds the same projects and ballots in the format of pabulib.org, for checking the result "
            "with other software."
        ) % {"method": rules.get_results_method_display()}

    def extra_files(self):
        from .budgets import pabulib_text

        return [(f"{self.page.slug}.pb", pabulib_text(self.page).encode())]

    def own_tables(self):
        return [self.projects_table(), self.ballots_table()]

    def cast(self):
        return Ballot.objects.filter(group=self.page.group_key, checked_out_at__isnull=False)

    def results(self):
        """participation.budgets.budget_results in the page's language, counted once for the figures, the
        tallies and the projects table."""
        from .budgets import budget_results

        if getattr(self, "_results", None) is None:
            with translation.override(self.language):
                self._results = budget_results(self.page)
        return self._results

    def own_figures(self):
        """Ballots (online and paper), and the projects funded and their amount under the budget's method:
        the figures of participation.budgets.budget_results, as the public results show them."""
        results = self.results()
        funded = [row for row in results["rows"] if row.funded]
        return [
            (_("Ballots"), results["ballots"]),
            (_("Online ballots"), results["online"]),
            (_("Paper ballots"), results["paper"]),
            (_("Projects funded"), len(funded)),
            (_("Amount funded (€)"), sum((row.page.cost for row in funded), Decimal(0))),
        ]

    def own_actions(self):
        return [(_("Ballots"), self.cast(), "checked_out_at")]

    def own_tallies(self):
        """The ranking under the budget's results method and the funded set, as the public results show them
        (participation.budgets.budget_results): position, project, cost, votes, funded; the last row: the
        amount funded and how many projects."""
        rows = self.results()["rows"]
        funded = [row for row in rows if row.funded]
        return [
            Tally(
                "ranking",
                _("Projects ranked, and those funded"),
                columns(
                    (_("Position"), int),
                    (_("Code"), str),
                    (_("Project"), str),
                    (_("Cost (€)"), Decimal),
                    (_("Votes"), int),
                    (_("Funded"), bool),
                ),
                [(row.position, row.page.code, row.page.title, row.page.cost, row.votes, row.funded) for row in rows],
                total=(None, None, _("Funded"), sum((row.page.cost for row in funded), Decimal(0)), None, len(funded)),
                header=2,
                # Under the resident rule: online ballots not counted (paper ones were checked at the voting point).
                note=excluded(self.page, self.cast().filter(channel=Ballot.ONLINE)),
            )
        ]

    def projects_table(self):
        """projects: position, code, title, cost, category, district (number and name), votes, funded,
        in the order of the budget's results method (participation.budgets.budget_results)."""

        def data():
            # Counted when the table is read, not when it is listed: exporting the ballots alone (the
            # biggest table, streamed) does not wait for the count.
            with translation.override(self.language):
                rows = [
                    (
                        row.position,
                        row.page.code,
                        row.page.title,
                        row.page.cost,
                        row.page.category.name,
                        row.page.district.number,
                        row.page.district.name,
                        row.votes,
                        row.funded,
                    )
                    for row in self.results()["rows"]
                ]
            yield from rows

        return Table(
            "projects",
            columns(
                ("position", int),
                ("code", str),
                ("title", str),
                ("cost", Decimal),
                ("category", str),
                ("district", int),
                ("district_name", str),
                ("votes", int),
                ("funded", bool),
            ),
            data(),
        )

    def ballots_table(self):
        """ballots: one row per cast ballot: voter (pseudonym, the Pabulib export's), time, channel
        (online/paper), projects (codes, sorted, joined by " | ")."""
        from .budgets import budget_projects

        with translation.override(self.language):
            code_of = {key: page.code for key, page in budget_projects(self.page).by_key.items()}

        def rows():
            found = (
                Ballot.objects.filter(group=self.page.group_key, checked_out_at__isnull=False)
                .order_by("checked_out_at", "pk")
                .values_list("pk", "user_id", "checked_out_at", "channel", "projects__project_key")
            )
            for (pk, user_id, when, channel), chosen in groupby(
                found.iterator(chunk_size=CHUNK), key=lambda row: row[:4]
            ):
                codes = sorted(code_of[str(row[4])] for row in chosen if row[4] and str(row[4]) in code_of)
                yield (pseudonym(user_id, fallback=f"paper:{pk}"), when, channel, " | ".join(codes))

        return Table(
            "ballots",
            columns(("voter", str), ("time", datetime.datetime), ("channel", str), ("projects", str)),
            rows(),
            lambda: self.count(self.cast()),
        )
