from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Consultations")

    def ready(self):
        from civic_site import pagecache

        from .schedule import next_window_change

        # A page stored for anonymous visitors expires when a participation window opens or closes.
        pagecache.register_schedule(next_window_change)
