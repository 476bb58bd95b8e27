"""Template helpers for consultation pages."""

import re

from django import template
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

IFRAME_WITHOUT_TITLE = re.compile(r"<iframe\b(?![^>]*\stitle=)", re.IGNORECASE)


@register.filter
def with_iframe_title(html, title):
    """Give embedded players a title (WCAG 4.1.2: frames need an accessible name) when the provider sent none."""
    if not isinstance(html, SafeString):
        return html
    return mark_safe(IFRAME_WITHOUT_TITLE.sub(f'<iframe title="{escape(title)}"', html))  # noqa: S308 - trusted embed html


# Languages whose month names are written in lower case (Django's Italian catalogue capitalises them).
LOWER_CASE_MONTHS = {"it"}


@register.filter
def long_date(value):
    """ "16 October 2026" / "16 ottobre 2026": a day in words, as the active language writes it."""
    if not value:
        return ""
    text = date_format(value, "j F Y")
    return text.lower() if (get_language() or "").split("-")[0] in LOWER_CASE_MONTHS else text
