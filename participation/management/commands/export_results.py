"""Write a participation page's (or a whole process's) results and anonymised data as CSV, XLSX, JSON or GeoJSON."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from participation.core.lookup import find_page
from participation.exports import FORMATS, LOG_ACTION, ExportError, export


class Command(BaseCommand):
    help = (
        "Export a participation page's results (poll, budget, idea map, reporting page) or a whole process's "
        "(each child page's tables, named <child slug>_<table>). No names, emails or IP addresses: voters are "
        "keyed pseudonyms. csv: UTF-8 with a BOM; one table gives a CSV file, several a ZIP holding one "
        "<table>.csv each (--table picks tables). xlsx: one sheet per table. json: {table: [rows]}. "
        "geojson: the map's points (idea maps, reporting pages, processes holding them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("page", help="The page: its id or its address in any language (/it/... or /en/...).")
        parser.add_argument("--format", "-f", choices=FORMATS, default="csv", dest="fmt")
        parser.add_argument("--output", "-o", required=True, help="The file to write (a .zip for multi-table CSV).")
        parser.add_argument(
            "--separator",
            choices=[",", ";"],
            default=",",
            help="CSV separator; ';' also writes decimals with a comma, for Excel in Italian.",
        )
        parser.add_argument("--table", action="append", dest="tables", help="Only this table (repeatable).")
        parser.add_argument("--user", help="The email of the staff member exporting: recorded in the audit log.")

    def handle(self, *args, page, fmt, output, separator, tables=None, user=None, **options):
        found = find_page(page)
        if found is None:
            raise CommandError(f"No page at {page!r}: give its id or its address, e.g. /it/partecipa/...")
        actor = None
        if user:
            actor = get_user_model().objects.filter(email__iexact=user).first()
            if actor is None:
                raise CommandError(f"No user with the email {user!r}.")
        try:
            done = export(found, fmt, output, separator=separator, only=tables)
        except ExportError as error:
            raise CommandError(str(error)) from None
        if actor is not None:
            from wagtail.log_actions import log

            log(
                instance=found,
                action=LOG_ACTION,
                user=actor,
                data={"format": fmt, "tables": done.tables, "page_id": found.pk},
            )
        names = ", ".join(done.tables) or "features"
        self.stderr.write(f"Written {output} ({fmt}: {names})")
