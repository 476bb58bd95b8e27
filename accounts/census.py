"""The census check (issue "One real person, one vote", part 2): the city's register of residents, imported as a
CSV file, and a citizen's codice fiscale and postcode checked against it.

The file is read as a stream, one row at a time, and stored in batches of :data:`BATCH_SIZE` rows, so memory
stays the same for 1,000 residents or 900,000. Each row keeps only the keyed hash of the normalised codice
fiscale (``residents.identity_hash``), the postcode and the birth year: the code itself is never stored, logged
or repeated in a message (refused rows are reported by line number and reason).

An import replaces the register in one transaction (the city's register is the truth: people who moved away
stop matching, and verifications already made stay), so a file that fails half-way changes nothing; readers
keep seeing the previous register until the commit.
"""

import csv
import datetime
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

from . import residents
from .models import CensusImport, CensusResident

# The audit log's actions (registered in accounts/wagtail_hooks.py): counts and accounts, never a code.
IMPORT_LOG_ACTION = "accounts.import_residents"
VERIFY_LOG_ACTION = "accounts.verify_resident"
UNVERIFY_LOG_ACTION = "accounts.unverify_resident"
BATCH_SIZE = 2000
LISTED_REFUSALS = 100  # refused lines listed one by one; the rest only counted
COLUMNS = {
    "code": ("codice_fiscale", "codicefiscale", "codice fiscale", "cf", "fiscal_code", "tax_code"),
    "postcode": ("cap", "postcode", "postal_code", "zip"),
    "birth_date": ("data_nascita", "data_di_nascita", "data di nascita", "birth_date", "date_of_birth"),
}
REASONS = {
    "code": _("not a valid codice fiscale"),
    "postcode": _("not a postcode (five digits)"),
    "birth_date": _("not a birth date (YYYY-MM-DD or DD/MM/YYYY)"),
    "duplicate": _("the same person as an earlier line"),
}
POSTCODE = re.compile(r"^\d{5}$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
ITALIAN_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
FIRST_YEAR = 1890


class CensusFileError(Exception):
    """The file cannot be imported at all (no header, missing columns, not UTF-8): nothing was changed."""


class NotInRegister(Exception):
    """The census check found no resident with this codice fiscale and postcode (which of the two is never said)."""


@dataclass
class ImportReport:
    """What an import did: rows read, stored and refused (by reason, the first lines listed)."""

    read: int = 0
    stored: int = 0
    refused: Counter = field(default_factory=Counter)
    refusals: list = field(default_factory=list)  # (line number, reason key), at most LISTED_REFUSALS
    record: CensusImport | None = None

    @property
    def refused_total(self):
        return sum(self.refused.values())

    def refuse(self, line, reason):
        self.refused[reason] += 1
        if len(self.refusals) < LISTED_REFUSALS:
            self.refusals.append((line, reason))

    def refused_by_reason(self):
        """[(reason in words, count)] in a fixed order."""
        return [(REASONS[key], self.refused[key]) for key in REASONS if self.refused[key]]

    def listed(self):
        """[(line, reason in words)] of the first refused lines."""
        return [(line, REASONS[reason]) for line, reason in sorted(self.refusals)]


# --- reading the file ------------------------------------------------------------------------------------------


def parse_birth_year(text, today):
    """The year of a birth date written YYYY-MM-DD or DD/MM/YYYY (a real date, from FIRST_YEAR to ``today``); None
    if it is not one."""
    text = text.strip()
    match = ISO_DATE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = ITALIAN_DATE.match(text)
        if not match:
            return None
        day, month, year = (int(part) for part in match.groups())
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        return None
    return year if FIRST_YEAR <= year and date <= today else None


def column_positions(header):
    """{"code": index, "postcode": index, "birth_date": index} from the header row; CensusFileError naming the
    missing columns."""
    names = [name.strip().lower() for name in header]
    positions, missing = {}, []
    for key, accepted in COLUMNS.items():
        found = next((index for index, name in enumerate(names) if name in accepted), None)
        if found is None:
            missing.append(accepted[0])
        positions[key] = found
    if missing:
        raise CensusFileError(
            _("The first line must name the columns; missing: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    return positions


def rows(text_file):
    """(line number, code, postcode, birth date text) for each non-empty row of the CSV text stream, after its
    header; the delimiter (``;`` or ``,``) is the one the header uses more."""
    header_line = text_file.readline()
    if not header_line.strip():
        raise CensusFileError(_("The file is empty."))
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    positions = column_positions(next(csv.reader([header_line], delimiter=delimiter)))
    last = max(positions.values())
    reader = csv.reader(text_file, delimiter=delimiter)
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        row += [""] * (last + 1 - len(row))
        yield (
            reader.line_num + 1,  # the header was line 1
            row[positions["code"]],
            row[positions["postcode"]].strip(),
            row[positions["birth_date"]],
        )


def residents_of(text_file, report):
    """(line, identity, postcode, birth year) of each acceptable row; the others are counted in ``report``."""
    today = timezone.localdate()
    for line, code, postcode, birth_date in rows(text_file):
        report.read += 1
        try:
            identity = residents.identity_hash(code)  # normalise(): fast, no place-name lookup
        except residents.InvalidCode:
            report.refuse(line, "code")
            continue
        if not POSTCODE.match(postcode):
            report.refuse(line, "postcode")
            continue
        year = parse_birth_year(birth_date, today)
        if year is None:
            report.refuse(line, "birth_date")
            continue
        yield line, identity, postcode, year


# --- storing it ------------------------------------------------------------------------------------------------


def _lock_register():
    """One import at a time: on PostgreSQL other writers of the register wait (readers do not); SQLite has a
    single writer anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(CensusResident._meta.db_table)} IN EXCLUSIVE MODE")


def _empty_register():
    """Delete every resident in one statement (QuerySet.delete() could load them all to send signals)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(CensusResident._meta.db_table)}")  # noqa: S608 - our table name


def _insert_sql():
    table = CensusResident._meta
    columns = ", ".join(connection.ops.quote_name(table.get_field(name).column) for name in INSERTED)
    return f"INSERT INTO {connection.ops.quote_name(table.db_table)} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608


INSERTED = ("identity", "postcode", "birth_year", "batch")


def _store(batch, record, report):
    """Insert a batch of (line, identity, postcode, year): a person already stored (earlier in the batch or in an
    earlier one) is refused as a duplicate, by line number. Plain executemany() rather than bulk_create(): model
    instances made half the time of a 900,000-row import."""
    first = {}
    for line, identity, postcode, year in batch:
        if identity in first:
            report.refuse(line, "duplicate")
        else:
            first[identity] = (line, postcode, year)
    for identity in CensusResident.objects.filter(identity__in=list(first)).values_list("identity", flat=True):
        report.refuse(first.pop(identity)[0], "duplicate")
    if first:
        with connection.cursor() as cursor:
            cursor.executemany(
                _insert_sql(),
                [(identity, postcode, year, record.pk) for identity, (_line, postcode, year) in first.items()],
            )
    report.stored += len(first)


def import_residents(binary_file, *, imported_by=None, source="command"):
    """Replace the register of residents with the CSV in ``binary_file`` (UTF-8, with or without a BOM), read as
    a stream. Returns an :class:`ImportReport`; raises CensusFileError (and changes nothing) when the file
    cannot be read as a whole."""
    report = ImportReport()
    text_file = io.TextIOWrapper(binary_file, encoding="utf-8-sig", newline="")
    try:
        with transaction.atomic():
            _lock_register()
            _empty_register()
            record = CensusImport.objects.create(imported_by=imported_by, source=source)
            batch = []
            for resident in residents_of(text_file, report):
                batch.append(resident)
                if len(batch) >= BATCH_SIZE:
                    _store(batch, record, report)
                    batch = []
            _store(batch, record, report)
            record.finished_at = timezone.now()
            record.rows_read, record.rows_stored, record.rows_refused = (
                report.read,
                report.stored,
                report.refused_total,
            )
            record.save(update_fields=["finished_at", "rows_read", "rows_stored", "rows_refused"])
    except UnicodeDecodeError:
        # Never the error's own text: it quotes the bytes it could not read.
        raise CensusFileError(_("The file is not UTF-8 text: save it as “CSV UTF-8”.")) from None
    except csv.Error:
        # An unclosed quote, a NUL byte, a field too long: the error's text is safe, but the reason is enough.
        raise CensusFileError(_("The file is not valid CSV: nothing was imported.")) from None
    finally:
        text_file.detach()  # the caller closes its own file
    report.record = record
    log(
        instance=record,
        action=IMPORT_LOG_ACTION,
        user=imported_by,
        data={"via": source, "read": report.read, "stored": report.stored, "refused": dict(report.refused)},
    )
    return report


def current_import():
    """The import in force (the latest), or None."""
    return CensusImport.objects.filter(finished_at__isnull=False).first()


def register_size():
    return CensusResident.objects.count()


# --- the census check ------------------------------------------------------------------------------------------


def check_census(user, code, postcode):
    """Verify ``user`` as the resident with codice fiscale ``code`` (already checked with
    ``residents.is_valid_code``) living at ``postcode``. Raises NotInRegister when no resident has both, and
    residents.IdentityTaken / AlreadyVerified as ``residents.verify`` does."""
    identity = residents.identity_hash(code)
    resident = CensusResident.objects.filter(identity=identity, postcode=postcode.strip()).first()
    if resident is None:
        raise NotInRegister()
    return residents.verify(
        user,
        identity=identity,
        method="census",
        birth_date=residents.birth_date_from_code(code, resident.birth_year),
        postcode=resident.postcode,
    )


def resident_for(code):
    """The register's row for codice fiscale ``code`` (a valid one), or None: the desk pre-fills from it."""
    return CensusResident.objects.filter(identity=residents.identity_hash(code)).first()
