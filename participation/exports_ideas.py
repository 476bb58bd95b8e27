"""An idea map's exports: every idea (with its coordinates) and the published ideas as GeoJSON features."""

import datetime

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from .core.eligibility import excluded
from .exports import CHUNK, Exporter, Table, Tally, columns, point, register
from .models import Idea, IdeaMapPage, IdeaStatus, IdeaSupport

TOP_IDEAS = 10  # the most supported ideas the Results view lists


@register(IdeaMapPage)
class IdeaMapExporter(Exporter):
    has_features = True
    column_notes = {
        "ideas": {
            "id": _("The idea's number, as in its page address and in the GeoJSON file."),
            "title": _("Its title; empty for an idea not published (waiting for moderation, hidden or merged)."),
            "category": _("Its category."),
            "status": _(
                "The City's answer: submitted, assessing (under assessment), feasible, not_feasible, planned "
                "(already planned) or included (in the design)."
            ),
            "supporters": _("How many citizens supported it."),
            "comments": _("Its visible comments."),
            "lat": _("Latitude of its place (WGS 84)."),
            "lon": _("Longitude of its place (WGS 84)."),
            "created": _("When it was proposed (Europe/Rome)."),
            "published": _("Whether it is shown on the map."),
            "merged_into": _("The idea it was merged into, when moderators joined two alike."),
        },
    }

    def method(self):
        return _(
            "Registered citizens placed ideas on the map and supported other citizens' ideas (one support per "
            "citizen and idea); moderators published them. The City's answer is each idea's status. The "
            "GeoJSON file holds the published ideas as points."
        )

    def categories(self):
        return {category.translation_key: category.name for category in self.page.category_list}

    def comment_filter(self):
        ideas = Idea.objects.filter(group=self.page.group_key).values("key")
        return Q(group=self.page.translation_key) | Q(group__in=ideas)

    def ideas(self):
        return Idea.objects.filter(group=self.page.group_key)

    def supports(self):
        return IdeaSupport.objects.filter(idea__group=self.page.group_key)

    def own_figures(self):
        """Ideas (every one, as in the ideas table: hidden and merged ones too), supports (those counted under
        the map's rule on who may take part, and those it leaves out); the comments
        (the map's and its ideas' threads) come from the base class."""
        return [(_("Ideas"), self.count(self.ideas())), *self.counted_figures(_("Supports"), self.supports())]

    def own_actions(self):
        return [(_("Ideas"), self.ideas(), "created_at"), (_("Supports"), self.supports(), "created_at")]

    def published(self):
        return Idea.objects.published().filter(group=self.page.group_key)

    def own_tallies(self):
        """The published ideas, as the public map counts them (hidden, unapproved and merged ideas left out:
        a merged idea's supporters moved to the one it joined): by category, by status, and the most
        supported. Three queries whatever the number of ideas."""
        return [self.by_category(), self.by_status(), self.most_supported()]

    def by_category(self):
        """ideas, supports and visible comments (in the ideas' own threads) per category, in the editors'
        order; a category since deleted shows as such."""
        counted = {
            row["category_key"]: row
            for row in self.published()
            .with_comment_count()
            .order_by()
            .values("category_key")
            .annotate(ideas=Count("pk"), supports=Sum("support_count"), comments=Sum("comment_count"))
        }
        names = self.categories()
        keys = list(names) + [key for key in counted if key not in names]
        rows = []
        for key in keys:
            found = counted.get(key, {})
            rows.append(
                (
                    names.get(key, _("(deleted category)")),
                    found.get("ideas", 0),
                    found.get("supports") or 0,
                    found.get("comments") or 0,
                )
            )
        return Tally(
            "by_category",
            _("Published ideas by category"),
            columns((_("Category"), str), (_("Ideas"), int), (_("Supports"), int), (_("Comments"), int)),
            rows,
            total=(_("Total"), *(sum(row[index] for row in rows) for index in (1, 2, 3))),
            # Under the resident rule: supports of the published ideas that the counts leave out.
            note=excluded(self.page, IdeaSupport.objects.filter(idea__in=self.published().values("pk"))),
        )

    def by_status(self):
        counted = dict(self.published().order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
        rows = [(label, counted.get(value, 0)) for value, label in IdeaStatus.choices]
        return Tally(
            "by_status",
            _("Published ideas by status"),
            columns((_("Status"), str), (_("Ideas"), int)),
            rows,
            total=(_("Total"), sum(number for _label, number in rows)),
        )

    def most_supported(self):
        """The TOP_IDEAS published ideas with the most supporters, in the public list's order."""
        names, labels = self.categories(), dict(IdeaStatus.choices)
        found = self.published().order_by("-support_count", "-created_at", "-pk")[:TOP_IDEAS]
        rows = [
            (title, names.get(category, _("(deleted category)")), labels.get(status, status), supports)
            for title, category, status, supports in found.values_list(
                "title", "category_key", "status", "support_count"
            )
        ]
        return Tally(
            "most_supported",
            _("The most supported ideas"),
            columns((_("Idea"), str), (_("Category"), str), (_("Status"), str), (_("Supports"), int)),
            rows,
        )

    def own_tables(self):
        """ideas: id, title (empty unless published: hidden, unapproved or merged ideas keep it private),
        category, status, supporters, comments (visible ones), lat, lon, created, published, merged_into."""
        categories = self.categories()

        def rows():
            found = (
                Idea.objects.filter(group=self.page.group_key)
                .with_comment_count()
                .order_by("pk")
                .values_list(
                    "pk",
                    "title",
                    "category_key",
                    "status",
                    "support_count",
                    "comment_count",
                    "latitude",
                    "longitude",
                    "created_at",
                    "is_approved",
                    "is_hidden",
                    "merged_into_id",
                )
            )
            for (
                pk,
                title,
                category,
                status,
                supporters,
                comments,
                lat,
                lon,
                created,
                approved,
                hidden,
                merged,
            ) in found.iterator(chunk_size=CHUNK):
                published = approved and not hidden and merged is None
                if self.public and not published:
                    continue  # the open data holds what the map shows
                yield (
                    pk,
                    title if published else "",
                    categories.get(category, ""),
                    status,
                    supporters,
                    comments,
                    lat,
                    lon,
                    created,
                    published,
                    merged,
                )

        table = Table(
            "ideas",
            columns(
                ("id", int),
                ("title", str),
                ("category", str),
                ("status", str),
                ("supporters", int),
                ("comments", int),
                ("lat", float),
                ("lon", float),
                ("created", datetime.datetime),
                ("published", bool),
                ("merged_into", int),
            ),
            rows(),
            (lambda: self.count(Idea.objects.published().filter(group=self.page.group_key)))
            if self.public
            else (lambda: self.count(self.ideas())),
        )
        return [table]

    def features(self):
        """The published ideas as Points, with title, category, status, supporters, comments, created."""
        categories = self.categories()
        labels = dict(IdeaStatus.choices)
        found = (
            Idea.objects.published()
            .filter(group=self.page.group_key)
            .with_comment_count()
            .order_by("pk")
            .values_list(
                "pk", "title", "category_key", "status", "support_count", "comment_count", "latitude", "longitude"
            )
        )
        for pk, title, category, status, supporters, comments, lat, lon in found.iterator(chunk_size=CHUNK):
            yield point(
                pk,
                lat,
                lon,
                {
                    "title": title,
                    "category": categories.get(category, ""),
                    "status": status,
                    "status_label": str(labels.get(status, status)),
                    "supporters": supporters,
                    "comments": comments,
                },
            )
