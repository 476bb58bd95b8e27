from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class TranslationGroup(models.Model):
    """The Italian, English... versions of one participation page, as one thing that never changes.

    Votes, comments and everything citizens create point here, at the pages' shared
    ``translation_key``, never at one translation's row: adding, removing or re-publishing a
    translation neither splits a tally nor deletes data. Rows are never deleted (PROTECT).
    """

    translation_key = models.UUIDField(_("translation key"), primary_key=True, editable=False)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("page type")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("translation group")
        verbose_name_plural = _("translation groups")
        # Results and exports belong to a translation group's pages as a whole (the Results group holds it).
        permissions = [("view_results", _("Can see results and download exports"))]

    def __str__(self):
        page = self.page_in()
        return page.title if page else str(self.translation_key)

    def pages(self):
        from wagtail.models import Page

        return Page.objects.filter(translation_key=self.translation_key)

    def page_in(self, language_code=None):
        """The group's page in ``language_code`` (default: the active language), else any of them."""
        from django.utils import translation

        language_code = language_code or translation.get_language()
        pages = list(self.pages().select_related("locale"))
        return next((page for page in pages if page.locale.language_code == language_code), None) or (
            pages[0] if pages else None
        )
