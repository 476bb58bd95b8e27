from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from wagtail.models import Page

from civic_site import pagecache
from feedback.models import NEGATIVE_ANSWERS, POSITIVE_ANSWERS, SCORES

register = template.Library()

WIDGET_TEMPLATE = "feedback/includes/widget.html"
# The widget is rendered once per language and release with this in place of the page's id.
PAGE_SLOT = "feedback-page-slot-5d1c"
_rendered = {}


@register.simple_tag(takes_context=True)
def feedback_widget(context):
    """The clarity question under a Wagtail page (any type, any language); nothing elsewhere.

    The same markup for every visitor of every page but the page's id (it is cached whole): no CSRF
    token, nothing per visitor. So it is rendered once per language (and release) in each process, and
    the page's id put in; a full render costs about as much as the rest of a simple page. In DEBUG
    every use renders it, so that an edited template shows at once.
    """
    page = context.get("page")
    if not isinstance(page, Page) or not page.pk or not page.live or page.depth <= 1:
        return ""
    key = (pagecache.release(), translation.get_language())
    html = None if settings.DEBUG else _rendered.get(key)
    if html is None:
        html = _rendered[key] = render_to_string(
            WIDGET_TEMPLATE,
            {
                "show": True,
                "page_id": PAGE_SLOT,
                "action": reverse("feedback:submit"),
                "scores": SCORES,
                "positive_answers": POSITIVE_ANSWERS,
                "negative_answers": NEGATIVE_ANSWERS,
            },
        )
    return mark_safe(html.replace(PAGE_SLOT, str(int(page.pk))))  # noqa: S308 - rendered (escaped) by the template
