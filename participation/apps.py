from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participation")

    def ready(self):
        # django-comments-xtd hides or re-publishes every reply whenever a comment is saved.
        # Moderators hide one comment at a time (its replies stay, under a placeholder), so the
        # cascade is switched off for our comment model.
        from django_comments_xtd.models import publish_or_unpublish_on_pre_save

        pre_save.disconnect(publish_or_unpublish_on_pre_save, sender="participation.ParticipationComment")

        from .core import invalidation

        invalidation.connect()

        from . import comments

        comments.connect()  # a citizen's verified address, remembered in the cache, is forgotten when it changes

        from .core import eligibility

        eligibility.connect()  # counts follow accounts' verification and the pages' rule on who may take part

        from . import personal_data

        personal_data.register_all()  # what participation holds about a citizen (accounts.registry)

        from . import pact_admin, pacts  # noqa: F401 - pact_admin registers the activities' admin (its hook)

        pacts.connect()  # activities saved in the admin drop the pact's cached pages
        pacts.register_personal_data()  # pact volunteers and activity sign-ups (accounts.registry)
