"""Demo accounts for seed_demo: the administrator and three citizens with verified email addresses, two of them
verified residents.

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
    ("luca.verdi@example.org", "Luca V."),
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
    # Giulia and Marco are verified residents (the register's people 1 and 2); Luca (3) can verify himself.
    verified = [User.objects.get(email__iexact=email) for email, _name in CITIZENS if email != UNVERIFIED_CITIZEN[0]]
    created += ensure_demo_verified(verified, first_number=1)
    return created


# --- verified residents (accounts/residents.py) -------------------------------------------------------------
# Fake people: codici fiscali with valid check characters, born in Turin (L219), in Turin's postcodes. None is
# a real person's code except by chance; they exist only in the demo's register of residents.
TURIN_POSTCODES = ["10121", "10131", "10138", "10143", "10144", "10145", "10149", "10151", "10152", "10153", "10154"]
CONSONANTS = "BCDFGHLMNPRSTVZ"
VOWELS = "AEIOU"
MONTHS = "ABCDEHLMPRST"
# A demo citizen who is NOT verified yet but is in the register: to try the census check by hand.
UNVERIFIED_CITIZEN = CITIZENS[2]
DEMO_RESIDENTS = 300


def fake_resident(number):
    """The demo register's ``number``-th person: (codice fiscale, postcode, birth date); always the same."""
    import random
    from datetime import date

    from .residents import check_character

    draw = random.Random(f"resident-{number}")

    def letters():
        return "".join(draw.choice(CONSONANTS) for _ in range(2)) + draw.choice(VOWELS)

    born = date(draw.randint(1940, 2008), draw.randint(1, 12), draw.randint(1, 28))
    day = born.day + (40 if draw.random() < 0.5 else 0)
    first15 = f"{letters()}{letters()}{born.year % 100:02d}{MONTHS[born.month - 1]}{day:02d}L219"
    return first15 + check_character(first15), draw.choice(TURIN_POSTCODES), born


def ensure_demo_verified(users, first_number=1):
    """Verify ``users`` as the demo register's people from ``first_number`` on (method: the census check),
    unless already verified. Returns how many were verified."""
    from django.utils import timezone

    from .models import ResidentVerification
    from .residents import identity_hash

    have = set(ResidentVerification.objects.filter(user__in=users).values_list("user_id", flat=True))
    made = []
    for number, user in enumerate(users, start=first_number):
        if user.pk in have:
            continue
        code, postcode, born = fake_resident(number)
        made.append(
            ResidentVerification(
                user=user,
                identity=identity_hash(code),
                method=ResidentVerification.CENSUS,
                verified_at=timezone.now(),
                birth_date=born,
                postcode=postcode,
            )
        )
    ResidentVerification.objects.bulk_create(made, ignore_conflicts=True)
    return len(made)


def ensure_register():
    """The demo's fake register of residents (accounts/census.py), imported as a city would, once. Returns how
    many residents were imported (0 when the register already holds them)."""
    import io

    from . import census

    if census.register_size() >= DEMO_RESIDENTS:
        return 0
    lines = ["codice_fiscale;cap;data_nascita"]
    for number in range(1, DEMO_RESIDENTS + 1):
        code, postcode, born = fake_resident(number)
        lines.append(f"{code};{postcode};{born.isoformat()}")
    report = census.import_residents(io.BytesIO("\n".join(lines).encode()), source="demo")
    return report.stored


def unverified_citizen_details():
    """(email, codice fiscale, postcode) of the demo citizen who can try the census check by hand."""
    code, postcode, _born = fake_resident(CITIZENS.index(UNVERIFIED_CITIZEN) + 1)
    return UNVERIFIED_CITIZEN[0], code, postcode
