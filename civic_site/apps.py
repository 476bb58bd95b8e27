from django.apps import AppConfig


class CivicSiteConfig(AppConfig):
    """The project package as an app, so that its system checks (civic_site/checks.py) are registered."""

    name = "civic_site"
    verbose_name = "Torino Partecipa"

    def ready(self):
        from . import checks  # noqa: F401 - registers the checks
