import json

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import prefetch_related_objects
from django.urls import NoReverseMatch, reverse
from django.utils.html import strip_tags
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, PageChooserPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, TranslatableMixin
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from civic_site.pages import SitePageMixin, public

from .blocks import BaseStreamBlock, FaqStreamBlock, StandardStreamBlock

IMAGE_HELP = _("At least 1600×900 pixels; it is cropped to 16:9.")
IMAGE_ALT_HELP = _(
    "What the image shows, for people who cannot see it, in this page's language. Leave empty if it is decorative."
)


class HomePage(SitePageMixin, Page):
    """The front page of one language (/it/, /en/): what the site is and where to take part."""

    hero_title = models.CharField(_("hero title"), max_length=120, blank=True)
    intro = models.TextField(_("introduction"), max_length=500, blank=True)
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
    serve_select_related = ("locale", "image")
    body = StreamField(BaseStreamBlock(), blank=True, verbose_name=_("body"))

    content_panels = Page.content_panels + [
        FieldPanel("hero_title"),
        FieldPanel("intro"),
        FieldPanel("image"),
        FieldPanel("image_alt"),
        InlinePanel("featured_pages", label=_("Featured participation areas"), max_num=6),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
    ]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["consultations.ConsultationIndexPage", "home.StandardPage", "home.FaqPage"]
    max_count_per_parent = 2  # one per locale

    class Meta:
        verbose_name = _("home page")

    def get_featured_pages(self):
        """The featured pages in this page's language, in the editor's order, in one query."""
        keys = [item.page.translation_key for item in self.featured_pages.select_related("page")]
        pages = list(public(Page.objects.live()).filter(translation_key__in=keys, locale_id=self.locale_id).specific())
        # Their images and renditions in two queries, not two per card.
        with_image = [page for page in pages if hasattr(page, "image_id")]
        prefetch_related_objects(with_image, "image__renditions")
        by_key = {page.translation_key: page for page in pages}
        return [by_key[key] for key in keys if key in by_key]


class HomePageFeaturedPage(Orderable):
    """A participation area the editors put on the home page (shown in the visitor's language)."""

    home_page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_pages")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+", verbose_name=_("page"))

    panels = [PageChooserPanel("page", ["consultations.ConsultationPage", "consultations.ConsultationIndexPage"])]

    class Meta(Orderable.Meta):
        verbose_name = _("featured page")


class StandardPage(SitePageMixin, Page):
    """Plain content pages: privacy notice, legal notes and terms, accessibility statement."""

    intro = models.TextField(_("introduction"), max_length=500, blank=True)
    body = StreamField(StandardStreamBlock(), blank=True, verbose_name=_("body"))

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["home.HomePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("standard page")


class FaqPage(SitePageMixin, Page):
    """“Domande frequenti” (Modello Comuni C.SI.2.3): questions and answers grouped by section, shown as an
    accordion that works without JavaScript (``<details>``) and described to search engines as a schema.org
    ``FAQPage`` (JSON-LD, a data block the Content-Security-Policy does not execute)."""

    intro = models.TextField(_("introduction"), max_length=500, blank=True)
    body = StreamField(FaqStreamBlock(), blank=True, verbose_name=_("questions and answers"))

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["home.HomePage"]
    subpage_types = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("FAQ page")

    def questions(self):
        """[(question, answer HTML)] in the page's order, across its sections."""
        return [
            (item["question"], item["answer"].source)
            for section in self.body
            if section.block_type == "section"
            for item in section.value["questions"]
        ]

    def structured_data(self):
        """The schema.org FAQPage as JSON, safe inside ``<script type="application/ld+json">``."""
        data = {
            "@context": "https://schema.org",
            "@type": "FAQPage",
            "inLanguage": self.locale.language_code,
            "name": self.title,
            "mainEntity": [
                {
                    "@type": "Question",
                    "name": question,
                    "acceptedAnswer": {"@type": "Answer", "text": " ".join(strip_tags(answer).split())},
                }
                for question, answer in self.questions()
            ],
        }
        text = json.dumps(data, ensure_ascii=False)
        # No "</script>" or "<!--" can end or bend the block, whatever the editors write.
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@register_setting(icon="link")
class SiteLinks(BaseSiteSetting):
    """Pages the header and footer link to on every page, as Italian public sites must."""

    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("privacy notice"),
    )
    legal_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("legal notes"),
    )
    accessibility_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("accessibility statement"),
        help_text=_(
            "The site's own summary. The footer links to the official statement on AgID's site when "
            "ACCESSIBILITY_STATEMENT_URL is set, else to this page."
        ),
    )
    report_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("report a problem"),
        help_text=_("Linked as “Segnala disservizio” in the footer."),
    )
    faq_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("frequently asked questions"),
        help_text=_("Linked as “Domande frequenti” in the footer."),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)

    panels = [
        PageChooserPanel("privacy_page"),
        PageChooserPanel("legal_page"),
        PageChooserPanel("accessibility_page"),
        PageChooserPanel("report_page"),
        PageChooserPanel("faq_page", ["home.FaqPage"]),
        FieldPanel("contact_email"),
    ]

    LINK_ROLES = ["privacy_page", "legal_page", "accessibility_page", "report_page", "faq_page"]

    class Meta:
        verbose_name = _("site links")

    def localized_links(self):
        """{role: page} in the active language (the chosen page when untranslated), in two queries."""
        chosen = {role: getattr(self, f"{role}_id") for role in self.LINK_ROLES if getattr(self, f"{role}_id")}
        originals = {page.pk: page for page in Page.objects.live().filter(pk__in=chosen.values())}
        translated = {
            page.translation_key: page
            for page in Page.objects.live().filter(
                translation_key__in=[page.translation_key for page in originals.values()],
                locale__language_code=get_language(),
            )
        }
        return {
            role: translated.get(originals[pk].translation_key, originals[pk])
            for role, pk in chosen.items()
            if pk in originals
        }


# Views (not Wagtail pages) a main menu item may lead to, by URL name: the name and its label in the admin.
MENU_VIEWS = [("open_data", _("Open data (results)"))]


@register_snippet
class MenuItem(TranslatableMixin, Orderable):
    """An item of the main menu (header and mobile menu), in one language: a page, or one of the site's
    views (the open-data page is a Django view, not a page). Translated like pages (wagtail-localize);
    a language with no items of its own shows the default language's, their pages in the visitor's language.
    The menu is part of the cached site chrome (home/chrome.py): it costs no query per page."""

    label = models.CharField(
        _("label"), max_length=40, blank=True, help_text=_("Shown in the menu. Leave empty to use the page's title.")
    )
    page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("page"),
    )
    url_name = models.CharField(
        _("or a page of the site that is not in the page tree"), max_length=40, blank=True, choices=MENU_VIEWS
    )

    panels = [FieldPanel("label"), PageChooserPanel("page"), FieldPanel("url_name")]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("main menu item")
        verbose_name_plural = _("main menu")

    def __str__(self):
        return self.label or (self.page.title if self.page_id else self.get_url_name_display())

    def clean(self):
        super().clean()
        if bool(self.page_id) == bool(self.url_name):
            raise ValidationError(_("Choose either a page of the tree or a page of the site outside it, not both."))
        if self.url_name and not self.label:
            raise ValidationError({"label": _("A label is needed for a page that is not in the page tree.")})

    def view_url(self):
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None
