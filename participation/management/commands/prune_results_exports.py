"""Daily (cron): delete the results exports prepared in the background once they are RESULTS_EXPORTS_DAYS old."""

from django.core.management.base import BaseCommand

from participation.export_tasks import prune


class Command(BaseCommand):
    help = "Delete results exports prepared in the background (records and files) older than some days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="Age in days (default: RESULTS_EXPORTS_DAYS, 7).")

    def handle(self, *args, days=None, **options):
        deleted = prune(days)
        if options["verbosity"]:
            self.stdout.write(f"Deleted {deleted} old export file(s).")
