from django import template
from django.urls import reverse
from wagtail.models import Page

from feedback.models import NEGATIVE_ANSWERS, POSITIVE_ANSWERS, SCORES

register = template.Library()


@register.inclusion_tag("feedback/includes/widget.html", takes_context=True)
def feedback_widget(context):
    """The clarity question under a Wagtail page (any type, any language); nothing elsewhere.

    The same markup for every visitor of the page (it is cached whole): no CSRF token, nothing per visitor.
    """
    page = context.get("page")
    if not isinstance(page, Page) or not page.pk or not page.live or page.depth <= 1:
        return {"show": False}
    return {
        "show": True,
        "page_id": page.pk,
        "action": reverse("feedback:submit"),
        "scores": SCORES,
        "positive_answers": POSITIVE_ANSWERS,
        "negative_answers": NEGATIVE_ANSWERS,
    }
