"""IP addresses the site stores (for abuse handling only), registered by the app that stores them, and cleared
IP_RETENTION_DAYS after they were stored (``manage.py purge_ip_addresses``, daily).

An app registers, from its ``AppConfig.ready()`` (beside its accounts.registry holdings), each model field
holding an address and the date field saying when it was stored::

    ip_addresses.register("django_comments.Comment", "ip_address", "submit_date")

tests/test_my_data.py fails when a GenericIPAddressField of any installed model is in no registration, so a
new one cannot be forgotten by the purge. ``accounts`` imports no other app: it purges what is registered.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class StoredAddress:
    model: str  # "app_label.Model", the model whose table has the column
    field: str  # the address
    date_field: str  # when it was stored


_registered: dict[tuple, StoredAddress] = {}


def register(model, field, date_field):
    stored = StoredAddress(model, field, date_field)
    _registered[(model, field)] = stored
    return stored


def registered() -> list[StoredAddress]:
    return sorted(_registered.values(), key=lambda stored: (stored.model, stored.field))


def purge(days=None, now=None) -> dict[str, int]:
    """Clear every registered address stored more than ``days`` (IP_RETENTION_DAYS) ago: {"model.field":
    how many were cleared}. Nothing else of the rows changes."""
    days = settings.IP_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    cleared = {}
    for stored in registered():
        model = apps.get_model(stored.model)
        field = model._meta.get_field(stored.field)
        empty = None if field.null else ""
        rows = model._base_manager.filter(**{f"{stored.date_field}__lt": cutoff}).exclude(
            **{f"{stored.field}__isnull": True}
        )
        if empty is not None:
            rows = rows.exclude(**{stored.field: empty})
        cleared[f"{stored.model}.{stored.field}"] = rows.update(**{stored.field: empty})
    return cleared
