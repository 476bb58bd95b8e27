"""A whole process: the union of its participation pages' exports, each table named "<child slug>_<table>"."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from civic_site.pages import public
from consultations.models import ConsultationPage

from .exports import Exporter, Tally, columns, counted_actions, exporter_class, participant_count, register, summed


@register(ConsultationPage)
class ConsultationExporter(Exporter):
    def children(self):
        """The exporters of the process's child pages that have one, in the tree's order (read once)."""
        if getattr(self, "_children", None) is not None:
            return self._children
        from wagtail.models import Locale

        found = []
        children = self.page.get_children()
        if self.public:
            # The open data: the pages citizens can see, once they have closed (a poll's results stay
            # private until then; a page without a voting window, such as a reporting page, is always in).
            children = public(children.live())
        pages = list(children.specific().order_by("path"))
        locales = Locale.objects.in_bulk({page.locale_id for page in pages})  # one query, not one per child
        for child in pages:
            exporter = exporter_class(type(child))
            if exporter is not None and not (self.public and not getattr(child, "has_closed", True)):
                child.locale = locales[child.locale_id]
                found.append(exporter(child, public=self.public))
        self._children = found
        return found

    def method(self):
        return _("The results of each page of the process, in the files named after the page.")

    def notes(self):
        notes = {
            f"{child.page.slug}_{table}": columns
            for child in self.children()
            for table, columns in child.notes().items()
        }
        notes.update(super().notes())
        return notes

    def extra_files(self):
        return [file for child in self.children() for file in child.extra_files()]

    @property
    def has_features(self):
        return any(child.has_features for child in self.children())

    def figures(self):
        """Each child page's figures, listed under its title ("Title: Voters"), then the process's own comments."""
        listed = [
            (format_lazy("{page}: {label}", page=child.page.title, label=label), number)
            for child in self.children()
            for label, number in child.figures()
        ]
        own = [(_("Comments on the process page"), number) for _label, number in super().figures()]
        return [*listed, *own]

    def tallies(self):
        """Each child page's tallies under its title, then the process's totals."""
        listed = [tally.under(child.page) for child in self.children() for tally in child.tallies()]
        return [*listed, self.totals()]

    def totals(self):
        """What citizens did across the process, by kind (each child's votes, ballots, ideas, supports,
        reports and comments, as its headline figures count them, the process page's comments too), and how
        many different citizens did any of it. A query per kind of action, one for the citizens."""
        own = [(_("Comments"), self.count(self.comment_queryset()))] if self.comments else []
        rows = summed([*(pair for child in self.children() for pair in counted_actions(child)), *own])
        return Tally(
            "totals",
            _("The whole process"),
            columns((_("What citizens did"), str), (_("Total"), int)),
            rows,
            total=(_("Citizens who took part (each counted once)"), participant_count(self)),
        )

    def actions(self):
        """Every child page's actions, summed by kind (votes, ballots, ideas...), and the comments."""
        return [action for child in self.children() for action in child.actions()] + super().actions()

    def tables(self):
        tables = [table.renamed(child.page.slug) for child in self.children() for table in child.tables()]
        return [*tables, *super().tables()]  # the process's own comment thread, as "comments"

    def features(self):
        """Every child map's features, each with the child's slug as the "page" property."""
        for child in self.children():
            if child.has_features:
                for feature in child.features():
                    feature["properties"]["page"] = child.page.slug
                    yield feature
