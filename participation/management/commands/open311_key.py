"""Keys of the Open311 clients that may send reports (POST /open311/v2/requests.json).

    python manage.py open311_key "App Torino Segnala"       # a new key, printed once
    python manage.py open311_key --revoke "App Torino Segnala"
    python manage.py open311_key --list

Only the key's SHA-256 and its first 8 characters are stored: a lost key cannot be shown again; revoke
it and make a new one.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from participation.models import Open311Key
from participation.open311 import new_key


class Command(BaseCommand):
    help = "Create an Open311 key for a client (printed once; only its hash is stored), revoke one, or list them."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="The client's name, e.g. the app that will send reports.")
        parser.add_argument("--revoke", metavar="NAME", help="Deactivate the key of this client.")
        parser.add_argument(
            "--list", action="store_true", dest="list_keys", help="List the keys (never the keys themselves)."
        )

    def handle(self, *args, name=None, revoke=None, list_keys=False, **options):
        if list_keys:
            for key in Open311Key.objects.order_by("name"):
                state = "active" if key.is_active else "revoked"
                used = f"last used {key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
                self.stdout.write(f"{key.name}\t{key.prefix}…\t{state}\t{used}")
            return
        if revoke:
            if name:
                raise CommandError("Give either a name to create a key or --revoke NAME, not both.")
            if not Open311Key.objects.filter(name=revoke).update(is_active=False):
                raise CommandError(f"No Open311 key named {revoke!r}.")
            self.stdout.write(f"Revoked the Open311 key of {revoke!r}.")
            return
        name = (name or "").strip()
        if not name:
            raise CommandError("Give the client's name (or --revoke NAME, or --list).")
        if len(name) > Open311Key._meta.get_field("name").max_length:
            raise CommandError("The name is too long (at most 120 characters).")
        try:
            with transaction.atomic():
                _key, plaintext = new_key(name)
        except IntegrityError:
            raise CommandError(f"A key named {name!r} exists already: revoke it or choose another name.") from None
        self.stdout.write(f"Open311 key for {name!r}. It is shown only now: hand it over safely.")
        self.stdout.write(plaintext)
