from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Page clarity feedback (Designers Italia "Modello Comuni", criterion C.SI.2.5): the question under every
    content page, its anonymous answers, and their report for editors in the admin.

    It knows Wagtail's pages only (any page type, through ``wagtailcore.Page`` and its ``translation_key``),
    and no participation model: the rate limit is ``participation.core.ratelimit``'s, the one way the site
    counts what citizens send."""

    name = "feedback"
    verbose_name = _("Page feedback")
    default_auto_field = "django.db.models.BigAutoField"
