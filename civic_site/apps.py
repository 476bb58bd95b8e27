from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CivicSiteConfig(AppConfig):
    """The project package as an app: the one place that may know every app (seed_demo, date formats and
    filters), and where the system checks (civic_site/checks.py) are registered."""

    name = "civic_site"
    verbose_name = _("Torino Partecipa")

    def ready(self):
        from . import checks, pagecache  # noqa: F401 - importing checks registers them

        pagecache.connect()
