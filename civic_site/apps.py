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
        build_routable_resolvers()


def build_routable_resolvers():
    """Build every routable page type's URL resolver now, once, in one thread. Wagtail builds it at a type's
    first request and stores it on the class while reading the class's attributes, so two threads of one
    gunicorn worker (gthread) routing to the same new type at once failed with "dictionary changed size during
    iteration" (seen in tests/test_two_servers.py on the poll's vote)."""
    from wagtail.contrib.routable_page.models import RoutablePageMixin
    from wagtail.models import get_page_models

    for model in get_page_models():
        if issubclass(model, RoutablePageMixin):
            model.get_resolver()
