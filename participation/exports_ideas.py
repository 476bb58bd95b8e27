"""An idea map's exports: every idea (with its coordinates) and the published ideas as GeoJSON features."""

import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .exports import CHUNK, Exporter, Table, columns, point, register
from .models import Idea, IdeaMapPage, IdeaStatus, IdeaSupport


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
        """Ideas (every one, as in the ideas table: hidden and merged ones too), supports; the comments
        (the map's and its ideas' threads) come from the base class."""
        return [(_("Ideas"), self.ideas().count()), (_("Supports"), self.supports().count())]

    def own_actions(self):
        return [(_("Ideas"), self.ideas(), "created_at"), (_("Supports"), self.supports(), "created_at")]

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
            (lambda: Idea.objects.published().filter(group=self.page.group_key).count())
            if self.public
            else self.ideas().count,
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
