"""A poll's exports: its tally and its anonymised votes (see participation.exports)."""

import datetime
from itertools import groupby

from django.utils.translation import gettext_lazy as _

from .core.eligibility import excluded
from .exports import CHUNK, Exporter, Table, Tally, columns, pseudonym, register
from .models import PollPage, PollVote


@register(PollPage)
class PollExporter(Exporter):
    column_notes = {
        "tally": {
            "option": _("The option, as the poll page shows it."),
            "votes": _("How many voters chose it."),
            "first_preferences": _("How many voters ranked it first."),
            "percent": _("Those voters as a percentage of all the poll's voters."),
            "position": _("Its place in the Schulze ranking (options tied share a place)."),
            "winner": _("Whether it won."),
        },
        "votes": {
            "voter": _(
                "A pseudonym of the voter: the same within this dataset, different in every other, and not "
                "traceable to a person without the City's secret key."
            ),
            "time": _("When the voter last changed their vote (Europe/Rome)."),
            "channel": _("How the vote was cast: online."),
            "choices": _("The options chosen, separated by “ | ”; in a ranking, in the voter's order."),
        },
    }

    def method(self):
        if self.page.rules.is_ranked:
            return _(
                "Each voter ranked the options in order of preference. The ranking is computed with the Schulze "
                "method: an option ahead of another for more voters than the other way round, directly or "
                "through a chain of options, is placed above it. Each voter's last ranking counts."
            )
        return _(
            "Each registered citizen with a verified email address had one vote and could change it until the "
            "poll closed: each voter's last choice counts. Percentages are of voters."
        )

    def own_tables(self):
        return [self.tally_table(), self.votes_table()]

    def votes(self):
        return PollVote.objects.filter(group=self.page.group_key)

    def own_figures(self):
        return self.counted_figures(_("Voters"), self.votes())

    def own_actions(self):
        return [(_("Votes"), self.votes(), "created_at")]

    def options(self):
        """The poll's options, read once for the tally, the votes table and the Results view."""
        if getattr(self, "_options", None) is None:
            self._options = list(self.page.options.all())
        return self._options

    def own_tallies(self):
        """Votes per option as the poll's public results count them (participation.polls.tally, or for a
        ranked poll ranked_tally: the Schulze ranking the page shows, first preferences beside it), so the
        admin and the public page give the same numbers; the last row: the voters."""
        from .polls import _positions, ranked_tally, tally

        options = self.options()
        left_out = excluded(self.page, self.votes())  # under the resident rule: votes not counted
        if not self.page.rules.is_ranked:
            rows, voters = tally(self.page, options)
            return [
                Tally(
                    "options",
                    _("Votes per option"),
                    columns((_("Option"), str), (_("Votes"), int), (_("% of voters"), float)),
                    [(row["option"].label, row["count"], float(row["percent"])) for row in rows],
                    total=(_("Voters"), voters, None),
                    note=left_out,
                )
            ]
        rows, voters, result = ranked_tally(self.page, options)
        position = {key: place for place, tier in _positions(result.ranking) for key in tier}
        winners = set(result.winners)
        ordered = sorted(
            enumerate(rows), key=lambda pair: (position.get(pair[1]["option"].translation_key, len(rows) + 1), pair[0])
        )
        return [
            Tally(
                "ranking",
                _("Ranking (Schulze method), with the first preferences"),
                columns(
                    (_("Position"), int),
                    (_("Option"), str),
                    (_("First preferences"), int),
                    (_("% of voters"), float),
                    (_("Winner"), bool),
                ),
                [
                    (
                        position.get(row["option"].translation_key),
                        row["option"].label,
                        row["count"],
                        float(row["percent"]),
                        row["option"].translation_key in winners,
                    )
                    for _index, row in ordered
                ],
                total=(None, _("Voters"), voters, None, None),
                header=1,
                note=left_out,
            )
        ]

    def tally_table(self):
        """tally: option, votes, percent (of voters); ranked polls: first preferences and the Schulze
        position (tied options share one) and winner, as participation.polls computes them."""
        from .polls import _positions, ranked_tally, tally

        options = self.options()
        if not self.page.rules.is_ranked:
            rows, _voters = tally(self.page, options)
            data = [(row["option"].label, row["count"], row["percent"]) for row in rows]
            return Table("tally", columns(("option", str), ("votes", int), ("percent", float)), iter(data))
        rows, _voters, result = ranked_tally(self.page, options)
        position = {key: place for place, tier in _positions(result.ranking) for key in tier}
        winners = set(result.winners)
        data = [
            (
                row["option"].label,
                row["count"],
                row["percent"],
                position.get(row["option"].translation_key),
                row["option"].translation_key in winners,
            )
            for row in rows
        ]
        return Table(
            "tally",
            columns(
                ("option", str), ("first_preferences", int), ("percent", float), ("position", int), ("winner", bool)
            ),
            iter(data),
        )

    def votes_table(self):
        """votes: one row per vote: voter (pseudonym), time (of the current choice), channel, choices
        (option labels joined by " | "; ranked polls: in the order of the ranking)."""
        labels = {option.translation_key: option.label for option in self.options()}

        def rows():
            found = (
                PollVote.objects.filter(group=self.page.group_key)
                .order_by("pk", "choices__rank", "choices__option_key")
                .values_list("pk", "user_id", "updated_at", "choices__option_key")
            )
            for (pk, user_id, when), choices in groupby(found.iterator(chunk_size=CHUNK), key=lambda row: row[:3]):
                chosen = [labels.get(row[3], str(row[3])) for row in choices if row[3] is not None]
                yield (pseudonym(user_id, fallback=f"poll-vote:{pk}"), when, "online", " | ".join(chosen))

        return Table(
            "votes",
            columns(("voter", str), ("time", datetime.datetime), ("channel", str), ("choices", str)),
            rows(),
            lambda: self.count(self.votes()),
        )
