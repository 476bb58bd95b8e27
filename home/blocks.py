"""Blocks shared by every page body. Each sets icon, template, preview and description."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul"]


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        template = "blocks/heading_block.html"
        label = _("Section heading")
        description = _("A section heading (h2) that also appears in the page outline.")
        preview_value = "Come partecipare"
        max_length = 120


class ParagraphBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        super().__init__(features=RICH_TEXT_FEATURES, **kwargs)

    class Meta:
        icon = "pilcrow"
        template = "blocks/paragraph_block.html"
        label = _("Paragraph")
        description = _("Formatted text: bold, italic, links and lists.")
        preview_value = "<p>Il Comune raccoglie le proposte dei cittadini fino alla fine della fase.</p>"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "blocks/image_block.html"
        label = _("Image")
        description = _("An image with alternative text and an optional caption.")


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quote"), max_length=600)
    attribution = blocks.CharBlock(label=_("Attribution"), required=False, max_length=120)

    class Meta:
        icon = "openquote"
        template = "blocks/quote_block.html"
        label = _("Quote")
        description = _("A quotation with the name of who said it.")
        preview_value = {"text": "Il parco lo progettiamo insieme.", "attribution": "Città di Torino"}


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=120)
    description = blocks.TextBlock(label=_("Description"), required=False, max_length=400)
    page = blocks.PageChooserBlock(label=_("Link to a page"), required=False)
    url = blocks.URLBlock(label=_("or to an external address"), required=False)
    button_label = blocks.CharBlock(label=_("Button label"), required=False, max_length=60)

    class Meta:
        icon = "pick"
        template = "blocks/call_to_action_block.html"
        label = _("Call to action")
        description = _("A highlighted box inviting people to take part.")
        preview_value = {"text": "Partecipa anche tu", "description": "Registrati e proponi la tua idea."}


class BaseStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    image = CaptionedImageBlock()
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()


class PersonalDataListBlock(blocks.StaticBlock):
    """What the site stores about a person, kind by kind, from accounts.registry (each app registers what it
    holds): the privacy page lists exactly that, in the visitor's language, and cannot drift from the code."""

    def get_context(self, value, parent_context=None):
        from accounts import registry

        context = super().get_context(value, parent_context=parent_context)
        context["holdings"] = registry.holdings()
        return context

    class Meta:
        icon = "list-ul"
        template = "blocks/personal_data_list_block.html"
        label = _("What we store about you")
        description = _(
            "The list of the personal data the site stores and why, written by the site itself from what each "
            "part of it keeps. For the privacy notice."
        )
        admin_text = _("The list of the personal data the site stores, kept up to date by the site.")


# The Modello Comuni's prescribed wording (C.SI.3.4), which the national validator compares word for word in
# the element marked data-element="legal-notes-body", under the heading "Licenza dei contenuti".
LICENCE_HEADING_IT = "Licenza dei contenuti"
LICENCE_TEXT_IT = (
    "In applicazione del principio open by default ai sensi dell’articolo 52 del decreto legislativo 7 marzo "
    "2005, n. 82 (CAD) e salvo dove diversamente specificato (compresi i contenuti incorporati di terzi), i dati, "
    "i documenti e le informazioni pubblicati sul sito sono rilasciati con {link}. Gli utenti sono quindi liberi "
    "di condividere (riprodurre, distribuire, comunicare al pubblico, esporre in pubblico), rappresentare, "
    "eseguire e recitare questo materiale con qualsiasi mezzo e formato e modificare (trasformare il materiale e "
    "utilizzarlo per opere derivate) per qualsiasi fine, anche commerciale con il solo onere di attribuzione, "
    "senza apporre restrizioni aggiuntive."
)
LICENCE_LINK_IT = ("https://creativecommons.org/licenses/by/4.0/legalcode.it", "licenza CC-BY 4.0")
LICENCE_HEADING_EN = "Content licence"
LICENCE_TEXT_EN = (
    "In accordance with the open by default principle of article 52 of Legislative Decree no. 82 of 7 March 2005 "
    "(the Digital Administration Code, CAD), and unless otherwise stated (including third-party content embedded "
    "in it), the data, documents and information published on this site are released under the {link}. Users "
    "are therefore free to share (reproduce, distribute, communicate to the public, display in public), "
    "perform and recite this material in any medium or format and to adapt it (transform the material and use "
    "it for derivative works) for any purpose, even commercially, with the sole obligation of attribution and "
    "without adding further restrictions."
)
LICENCE_LINK_EN = ("https://creativecommons.org/licenses/by/4.0/legalcode.en", "CC BY 4.0 licence")


class LegalNotesLicenceBlock(blocks.StaticBlock):
    """The legal notes' "Licenza dei contenuti" section, in the wording the Modello Comuni prescribes (C.SI.3.4),
    with the data-element attributes the national validator reads. Its text is fixed, not editable: the check
    compares it word for word. In English on English pages (the validator reads the Italian ones)."""

    def get_context(self, value, parent_context=None):
        from django.utils.html import format_html
        from django.utils.translation import get_language

        context = super().get_context(value, parent_context=parent_context)
        page = (parent_context or {}).get("page")
        language = getattr(getattr(page, "locale", None), "language_code", None) or get_language()
        english = language == "en"
        heading, text, (href, label) = (
            (LICENCE_HEADING_EN, LICENCE_TEXT_EN, LICENCE_LINK_EN)
            if english
            else (LICENCE_HEADING_IT, LICENCE_TEXT_IT, LICENCE_LINK_IT)
        )
        link = format_html('<a href="{}" rel="license">{}</a>', href, label)
        context["heading"] = heading
        context["body"] = format_html(text.replace("{link}", "{}"), link)
        return context

    class Meta:
        icon = "doc-full"
        template = "blocks/legal_notes_licence_block.html"
        label = _("Content licence (CC BY 4.0)")
        description = _(
            "The “Licenza dei contenuti” section with the wording the national model prescribes for the CC BY 4.0 "
            "licence, marked for the national validator. For the legal notes."
        )
        admin_text = _("The “Licenza dei contenuti” section, in the prescribed wording (CC BY 4.0).")


class CookieTableBlock(blocks.StaticBlock):
    """The site's cookies (civic_site/cookies.py: technical ones only), as a table: the privacy page lists
    exactly the cookies the browser test allows (tests/browser/test_cookies.py), in the visitor's language."""

    class Meta:
        icon = "list-ul"
        template = "blocks/cookie_table_block.html"
        label = _("The site's cookies")
        admin_text = _("The table of the cookies the site sets, kept up to date by the site.")


class StandardStreamBlock(BaseStreamBlock):
    """A standard page's body: the shared blocks, the personal data list for the privacy notice and the content
    licence for the legal notes."""

    personal_data_list = PersonalDataListBlock()
    cookie_table = CookieTableBlock()
    legal_notes_licence = LegalNotesLicenceBlock()


class QuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=200)
    answer = blocks.RichTextBlock(label=_("Answer"), features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "help"
        label = _("Question and answer")


class FaqSectionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Section heading"), max_length=120)
    questions = blocks.ListBlock(QuestionBlock(), label=_("Questions"), min_num=1)

    class Meta:
        icon = "list-ul"
        template = "blocks/faq_section_block.html"
        label = _("FAQ section")
        description = _("A group of questions under a heading, shown as an accordion.")


class FaqStreamBlock(blocks.StreamBlock):
    section = FaqSectionBlock()
    paragraph = ParagraphBlock()
