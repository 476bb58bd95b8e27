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


class StandardStreamBlock(BaseStreamBlock):
    """A standard page's body: the shared blocks, and the personal data list for the privacy notice."""

    personal_data_list = PersonalDataListBlock()
