from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .deletion import LOG_ACTION


@hooks.register("register_log_actions")
def register_account_actions(actions):
    actions.register_action(LOG_ACTION, _("Delete account"), _("A citizen's account deleted (data anonymised)"))
