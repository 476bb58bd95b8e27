from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from . import backends

        backends.connect()  # cached permissions are dropped when users, groups or permissions change

        from . import personal_data

        personal_data.register_all()  # what accounts holds about a person (accounts.registry)
