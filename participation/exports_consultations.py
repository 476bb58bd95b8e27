"""A whole process: the union of its participation pages' exports, each table named "<child slug>_<table>"."""

from consultations.models import ConsultationPage

from .exports import Exporter, exporter_class, register


@register(ConsultationPage)
class ConsultationExporter(Exporter):
    def children(self):
        """The exporters of the process's child pages that have one, in the tree's order."""
        found = []
        for child in self.page.get_children().specific().order_by("path"):
            exporter = exporter_class(type(child))
            if exporter is not None:
                found.append(exporter(child))
        return found

    @property
    def has_features(self):
        return any(child.has_features for child in self.children())

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
