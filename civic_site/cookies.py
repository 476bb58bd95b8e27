"""The cookies the site sets: all technical, all first-party, none needing consent (criterion C.SI.3.1).

The one list: the privacy page can show it (``{% load cookie_tags %}{% technical_cookies %}``), the README
repeats it, and the browser test tests/browser/test_cookies.py fails on any cookie not in it or from another
domain.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    duration: str


def technical_cookies():
    """Every cookie the site may set, with what it is for and how long it lasts (names from the settings)."""
    return [
        Cookie(
            settings.SESSION_COOKIE_NAME,
            _("Keeps you signed in, and holds a form's progress between steps (e.g. the report form)."),
            _("Two weeks, or until you sign out"),
        ),
        Cookie(
            settings.CSRF_COOKIE_NAME,
            _("Protects the site's forms from being sent by other websites on your behalf."),
            _("One year"),
        ),
        Cookie(
            settings.LANGUAGE_COOKIE_NAME,
            _("Remembers the language you chose with the language switcher."),
            _("Until you close the browser"),
        ),
        Cookie(
            "messages",
            _("Carries a confirmation message (e.g. “Your comment was published”) to the next page you see."),
            _("Until the message is shown"),
        ),
    ]


def names():
    return {cookie.name for cookie in technical_cookies()}
