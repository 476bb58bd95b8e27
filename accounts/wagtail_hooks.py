from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from . import census, census_admin
from .deletion import LOG_ACTION


@hooks.register("register_log_actions")
def register_account_actions(actions):
    actions.register_action(LOG_ACTION, _("Delete account"), _("A citizen's account deleted (data anonymised)"))
    actions.register_action(
        census.IMPORT_LOG_ACTION, _("Import residents"), _("The register of residents replaced by a new file")
    )
    actions.register_action(
        census.VERIFY_LOG_ACTION, _("Verify resident"), _("An account verified as a resident at a city desk")
    )
    actions.register_action(
        census.UNVERIFY_LOG_ACTION, _("Remove verification"), _("An account's resident verification removed")
    )


@hooks.register("register_admin_urls")
def register_residents_urls():
    """The Registry's pages (accounts/census_admin.py): the register of residents and the desk."""
    return [
        path("residents/", census_admin.register_view, name="accounts_residents"),
        path("residents/desk/", census_admin.desk_view, name="accounts_residents_desk"),
        path("residents/desk/<int:user_id>/", census_admin.desk_verify_view, name="accounts_residents_verify"),
        path(
            "residents/desk/<int:user_id>/remove/",
            census_admin.desk_unverify_view,
            name="accounts_residents_unverify",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_residents_menu_item():
    return census_admin.menu_item()
