"""Replace the register of residents with a CSV file from the city's registry (accounts/census.py): columns
codice_fiscale, cap, data_nascita (or codice_fiscale, postcode, birth_date), separated by ``;`` or ``,``.
Prints the rows read, stored and refused, by line number and reason; never a codice fiscale."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from accounts.census import CensusFileError, import_residents


class Command(BaseCommand):
    help = "Replace the register of residents with a CSV file (codice_fiscale, cap, data_nascita)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8), or - for standard input.")

    def handle(self, *args, **options):
        # The command speaks English, like the others; the refusals' reasons come from the translated catalogue.
        with translation.override("en"):
            self.import_file(options["file"])

    def import_file(self, file):
        try:
            if file == "-":
                import sys

                report = import_residents(sys.stdin.buffer)
            else:
                with open(file, "rb") as handle:
                    report = import_residents(handle)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        except CensusFileError as error:
            raise CommandError(f"Nothing was imported. {error}") from None
        self.stdout.write(f"Rows read: {report.read}; stored: {report.stored}; refused: {report.refused_total}.")
        for reason, count in report.refused_by_reason():
            self.stdout.write(f"  {reason}: {count}")
        for line, reason in report.listed():
            self.stdout.write(f"  line {line}: {reason}")
        if report.refused_total > len(report.refusals):
            self.stdout.write(f"  ... and {report.refused_total - len(report.refusals)} more refused lines.")
