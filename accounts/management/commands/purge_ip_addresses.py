"""Daily (cron): clear the IP addresses stored for abuse handling (comments...) once they are IP_RETENTION_DAYS
old (365: the privacy page's 12 months). What is cleared is what apps register with accounts.ip_addresses."""

from django.core.management.base import BaseCommand, CommandError

from accounts.ip_addresses import purge


class Command(BaseCommand):
    help = "Clear stored IP addresses older than IP_RETENTION_DAYS days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="Age in days (default: IP_RETENTION_DAYS, 365).")

    def handle(self, *args, days=None, **options):
        if days is not None and days < 0:
            raise CommandError("--days cannot be negative.")
        cleared = purge(days)
        if options["verbosity"]:
            for name, count in cleared.items():
                self.stdout.write(f"{name}: cleared {count} IP address(es).")
