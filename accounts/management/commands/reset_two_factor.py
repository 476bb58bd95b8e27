"""Removes a person's two-factor authentication (authenticator app and recovery codes) when they lost it.

    python manage.py reset_two_factor moderatrice@example.org

They log in with their password alone; staff who must use two-factor are then sent to set up a new
authenticator app before the admin. Check who is asking before running it: this is what the second factor
protects.
"""

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Remove the two-factor authentication (authenticator app, recovery codes) of the account with this email."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        users = list(get_user_model().objects.filter(email__iexact=email.strip())[:2])
        if len(users) != 1:
            raise CommandError(f"No account with the email {email}." if not users else f"Several accounts use {email}.")
        user = users[0]
        removed, _ = Authenticator.objects.filter(user=user).delete()
        if removed:
            self.stdout.write(f"Two-factor authentication removed for {user.email}: they log in with the password.")
        else:
            self.stdout.write(f"{user.email} had no two-factor authentication.")
