"""Blocks for a consultation's body: the shared base blocks plus documents and videos."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock

from home.blocks import BaseStreamBlock


class DocumentLinkBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(
        label=_("Title"),
        required=False,
        max_length=200,
        help_text=_("Shown instead of the document's own title; write it in this page's language."),
    )

    class Meta:
        icon = "doc-full"
        label = _("Document")


class DocumentListBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    documents = blocks.ListBlock(DocumentLinkBlock(), label=_("Documents"), min_num=1)

    class Meta:
        icon = "doc-full-inverse"
        template = "blocks/document_list_block.html"
        label = _("Document list")
        description = _("Downloadable documents (PDF, spreadsheets…) with a title, their format and size.")
        # No preview_value: a preview would need documents that exist in this site's library.


class VideoBlock(blocks.StructBlock):
    video = EmbedBlock(
        label=_("Video address"),
        help_text=_("The address of the video's page, e.g. on YouTube or Vimeo."),
        max_width=1000,
    )
    title = blocks.CharBlock(
        label=_("Title"),
        max_length=200,
        help_text=_("What the video is about; also tells screen-reader users what the player contains."),
    )
    transcript = blocks.TextBlock(
        label=_("Transcript"),
        required=False,
        help_text=_("A text version of what is said and shown, for people who cannot watch or hear the video."),
    )

    class Meta:
        icon = "media"
        template = "blocks/video_block.html"
        label = _("Video")
        description = _("An embedded video (YouTube, Vimeo…) with a title and an optional transcript.")
        # No preview_value: previewing an embed fetches it from the video site.


class ConsultationStreamBlock(BaseStreamBlock):
    documents = DocumentListBlock()
    video = VideoBlock()
