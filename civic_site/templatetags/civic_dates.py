"""Dates in the visitor's language, as people write them: "lunedì 4 gennaio 2027, 17:00" / "4 January 2027, 17:00".

The formats are civic_site/formats/<language>/formats.py; these filters add what a format cannot say:
Italian month and weekday names in lower case (Django's Italian catalogue capitalises them).
"""

from django import template
from django.utils.formats import date_format
from django.utils.translation import get_language

register = template.Library()

# Languages that write month and weekday names in lower case.
LOWER_CASE_NAMES = {"it"}


def _as_written(text):
    return text.lower() if (get_language() or "").split("-")[0] in LOWER_CASE_NAMES else text


@register.filter
def long_date(value):
    """A day: "4 gennaio 2027" / "4 January 2027"."""
    if not value:
        return ""
    return _as_written(date_format(value, "DATE_FORMAT"))


@register.filter(expects_localtime=True)
def long_datetime(value):
    """A moment, in Europe/Rome time: "lunedì 4 gennaio 2027, 17:00" / "4 January 2027, 17:00"."""
    if not value:
        return ""
    return _as_written(date_format(value, "DATETIME_FORMAT"))
