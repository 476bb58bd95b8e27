"""Verified residents: one real person, one account (issue "One real person, one vote").

A person is known by their codice fiscale, which is never stored: :func:`identity_hash` keys an HMAC-SHA256 of
its normalised form (upper case, omocodia undone, so the omocode variants of one code are one person) with
``RESIDENT_IDENTITY_KEY``. :func:`verify` links that identity to an account; the unique ``identity`` column of
:class:`~accounts.models.ResidentVerification` keeps it to one account even under concurrent verifications.
Pages that require verified residents ask :func:`verification_of` (participation.core.eligibility).
"""

import hashlib
import hmac
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

# Positions of the digits an omocode may replace with a letter (0-based): year, day, and the place's number.
OMOCODE_POSITIONS = (6, 7, 9, 10, 12, 13, 14)
OMOCODE_LETTERS = "LMNPQRSTUV"  # 0..9
CODE_FORMAT = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")
# The check character's values for characters at odd (1st, 3rd...) and even positions (DM 23/12/1976).
ODD_VALUES = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21]
        + [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23],
        strict=True,
    )
)


class InvalidCode(ValueError):
    """Not a codice fiscale (format or check character)."""


class IdentityTaken(Exception):
    """The person is already verified on another account (which is never named)."""


class AlreadyVerified(Exception):
    """The account is already verified as a different person."""


EVEN_VALUES = {char: int(char) if char.isdigit() else ord(char) - ord("A") for char in ODD_VALUES}


def check_character(first15):
    # Two sums over slices, with the values looked up: it runs twice per row of a 900,000-row import.
    total = sum(ODD_VALUES[c] for c in first15[0::2]) + sum(EVEN_VALUES[c] for c in first15[1::2])
    return chr(ord("A") + total % 26)


def normalise(code):
    """The canonical form of a codice fiscale: spaces dropped, upper case, omocodia letters back to digits, with
    its check character recomputed. Raises InvalidCode for a bad format or check character. Fast (no
    place-name lookup): it runs per row of a 100,000-row import; the citizen's form also calls
    :func:`is_valid_code`, which checks the birth date and place as well."""
    code = re.sub(r"\s+", "", str(code or "")).upper()
    if not CODE_FORMAT.match(code) or check_character(code[:15]) != code[15]:
        raise InvalidCode(code)
    chars = list(code[:15])
    for position in OMOCODE_POSITIONS:
        if chars[position] in OMOCODE_LETTERS:
            chars[position] = str(OMOCODE_LETTERS.index(chars[position]))
    base = "".join(chars)
    return code if base == code[:15] else base + check_character(base)


def is_valid_code(code):
    """Whether ``code`` is a codice fiscale that could have been issued: format, check character, omocodia, a
    real birth date and place (python-codicefiscale)."""
    from codicefiscale import codicefiscale

    try:
        normalise(code)
    except InvalidCode:
        return False
    return codicefiscale.is_valid(re.sub(r"\s+", "", code).upper())


def identity_key():
    """The HMAC key: RESIDENT_IDENTITY_KEY, else (development) one derived from SECRET_KEY. Changing it makes
    every stored identity and imported resident unmatchable: production sets it once (civic_site.checks)."""
    key = getattr(settings, "RESIDENT_IDENTITY_KEY", "")
    if key:
        return key.encode()
    return hashlib.sha256(b"civic_site.resident-identity:" + settings.SECRET_KEY.encode()).digest()


def identity_hash(code):
    """The keyed hash (64 hex characters) that stands for the person with codice fiscale ``code``."""
    return hmac.new(identity_key(), normalise(code).encode(), hashlib.sha256).hexdigest()


def birth_date_from_code(code, birth_year):
    """The birth date a codice fiscale encodes (day, month; the year from ``birth_year``, which the code gives only
    as two digits), or None if they disagree or do not make a date."""
    import datetime

    base = normalise(code)
    months = "ABCDEHLMPRST"
    try:
        day = int(base[9:11]) % 40
        month = months.index(base[8]) + 1
        if birth_year is None or int(birth_year) % 100 != int(base[6:8]):
            return None
        return datetime.date(int(birth_year), month, day)
    except (ValueError, TypeError):
        return None


def verification_of(user):
    """The account's :class:`ResidentVerification`, or None; looked up once per user object."""
    from .models import ResidentVerification

    if not getattr(user, "is_authenticated", False):
        return None
    if "_resident_verification" not in user.__dict__:
        user.__dict__["_resident_verification"] = ResidentVerification.objects.filter(user=user).first()
    return user.__dict__["_resident_verification"]


def is_verified(user):
    return verification_of(user) is not None


def verify(user, *, identity, method, birth_date=None, postcode="", verified_by=None):
    """Mark ``user`` as the person ``identity`` (see :func:`identity_hash`), verified by ``method``.

    Verifying again as the same person refreshes the date and fills what was unknown (a birth date, a postcode).
    Raises :class:`IdentityTaken` if another account holds this person, :class:`AlreadyVerified` if this account
    is another person. Counted votes change after the commit (votes of unverified accounts are left out of pages
    that require verified residents).
    """
    from .models import ResidentVerification

    now = timezone.now()
    try:
        with transaction.atomic():
            existing = ResidentVerification.objects.select_for_update().filter(user=user).first()
            if existing is not None:
                if existing.identity != identity:
                    raise AlreadyVerified()
                existing.verified_at = now
                existing.birth_date = existing.birth_date or birth_date
                existing.postcode = existing.postcode or (postcode or "")
                existing.save(update_fields=["verified_at", "birth_date", "postcode"])
                verification = existing
            else:
                verification = ResidentVerification.objects.create(
                    user=user,
                    identity=identity,
                    method=method,
                    verified_at=now,
                    verified_by=verified_by,
                    birth_date=birth_date,
                    postcode=postcode or "",
                )
    except IntegrityError:
        # The unique identity (or a concurrent verification of this account) won: who holds it decides.
        holder = ResidentVerification.objects.filter(identity=identity).values_list("user_id", flat=True).first()
        if holder is not None and holder != user.pk:
            raise IdentityTaken() from None
        raise AlreadyVerified() from None
    user.__dict__["_resident_verification"] = verification
    transaction.on_commit(lambda: verification_changed(user.pk))
    return verification


def unverify(user):
    """Remove ``user``'s verification (staff correcting a mistake; deleting the account does it by cascade)."""
    from .models import ResidentVerification

    deleted, _rows = ResidentVerification.objects.filter(user=user).delete()
    user.__dict__.pop("_resident_verification", None)
    if deleted:
        transaction.on_commit(lambda: verification_changed(user.pk))
    return bool(deleted)


# Receivers of "this account's verification changed" (participation drops its cached tallies and pages).
_listeners = []


def on_verification_changed(function):
    _listeners.append(function)
    return function


def verification_changed(user_id):
    for listener in _listeners:
        listener(user_id)
