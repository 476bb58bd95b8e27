from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from home.blocks import BaseStreamBlock
from home.models import IMAGE_ALT_HELP, IMAGE_HELP


class ConsultationIndexPage(Page):
    """“Partecipa”: lists the city's participatory processes."""

    intro = models.TextField(_("introduction"), max_length=500, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["consultations.ConsultationPage"]

    class Meta:
        verbose_name = _("consultation index page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["consultations"] = (
            ConsultationPage.objects.child_of(self)
            .live()
            .public()
            .select_related("image")
            .prefetch_related("image__renditions")
            .defer_streamfields()
        )
        return context


class ConsultationPage(Page):
    """One participatory process (Parco Dora, AxTO, neighbourhood reports): its participation pages sit below it."""

    summary = models.TextField(
        _("summary"), max_length=300, help_text=_("One or two sentences, shown on cards and in search results.")
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("hero image"),
        help_text=IMAGE_HELP,
    )
    image_alt = models.CharField(_("image alternative text"), max_length=250, blank=True, help_text=IMAGE_ALT_HELP)
    body = StreamField(BaseStreamBlock(), blank=True, verbose_name=_("body"))

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("image"),
        FieldPanel("image_alt"),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]

    parent_page_types = ["consultations.ConsultationIndexPage"]
    # Participation page types (map, poll, budget, reports) are added here by later work.
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("consultation page")
