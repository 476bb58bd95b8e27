"""Demo accounts for seed_demo: the administrator and two citizens with verified email addresses.

Idempotent: an account is created only when its username or email is not there yet.
"""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.org"  # everyone logs in with their email, staff included
DEMO_PASSWORD = "partecipa-torino-2026"  # noqa: S105 - demo accounts only; refused in production
CITIZENS = [
    ("giulia.rossi@example.org", "Giulia R."),
    ("marco.bianchi@example.org", "Marco B."),
]


def ensure_users():
    """Returns the number of accounts created."""
    User = get_user_model()
    created = 0
    if not User.objects.filter(username=ADMIN_USERNAME).exists():
        admin = User.objects.create_superuser(
            ADMIN_USERNAME, ADMIN_EMAIL, DEMO_PASSWORD, display_name="Redazione Torino Partecipa"
        )
        EmailAddress.objects.create(user=admin, email=ADMIN_EMAIL, verified=True, primary=True)
        created += 1
    for email, name in CITIZENS:
        if User.objects.filter(email__iexact=email).exists():
            continue
        user = User.objects.create_user(email.split("@")[0], email, DEMO_PASSWORD, display_name=name)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        created += 1
    return created
