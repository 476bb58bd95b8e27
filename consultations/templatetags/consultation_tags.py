"""Template helpers for consultation pages."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

IFRAME_WITHOUT_TITLE = re.compile(r"<iframe\b(?![^>]*\stitle=)", re.IGNORECASE)


@register.filter
def with_iframe_title(html, title):
    """Give embedded players a title (WCAG 4.1.2: frames need an accessible name) when the provider sent none."""
    if not isinstance(html, SafeString):
        return html
    return mark_safe(IFRAME_WITHOUT_TITLE.sub(f'<iframe title="{escape(title)}"', html))  # noqa: S308 - trusted embed html
