"""Daily (cron): delete the citizens' "download my data" files (and requests) once they are PERSONAL_EXPORTS_DAYS
old. Each new request prunes too; this catches a site where nobody asks for a while."""

from django.core.management.base import BaseCommand

from accounts.data_export import prune


class Command(BaseCommand):
    help = 'Delete "download my data" files and requests older than PERSONAL_EXPORTS_DAYS days.'

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="Age in days (default: PERSONAL_EXPORTS_DAYS, 7).")

    def handle(self, *args, days=None, **options):
        deleted = prune(days)
        if options["verbosity"]:
            self.stdout.write(f"Deleted {deleted} old data file(s).")
