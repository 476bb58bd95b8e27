"""Deleting a citizen's account: every app's anonymise (accounts.registry) first, then the account, in one
transaction, recorded in Wagtail's audit log without any personal data."""

from django.db import transaction
from wagtail.log_actions import log

from . import registry

LOG_ACTION = "accounts.delete"


def delete_account(user):
    """Forget ``user``: names, emails, IP addresses and logins go; comments stay as a former participant's,
    votes, ballots and supports stay detached, so every tally is unchanged."""
    pk = user.pk
    with transaction.atomic():
        registry.anonymise(user)
        log(instance=user, action=LOG_ACTION, title=f"#{pk}", data={"user_id": pk})
        user.delete()
