"""The one scheduled command (cron, hourly): notices of followed processes (a phase opens or closes, a vote
opens or closes tomorrow, results are published), sent once each; reminders of collaboration pacts' activities
the day before (participation/pacts.py); the weekly digest on its weekday; retries
of notices a failing mail server left unsent; then "is it fixed?" for reports (send_report_questionnaires) and
the site's housekeeping: IP addresses older than their retention cleared (purge_ip_addresses, as the privacy
page promises), expired "download my data" files and staff exports deleted (prune_data_exports,
prune_results_exports). Each of those is idempotent and cheap, and still works on its own.
Emails are sent by the ``send_notification`` task (participation/notifications.py)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from participation import notifications, pacts

HOUSEKEEPING = ("send_report_questionnaires", "purge_ip_addresses", "prune_data_exports", "prune_results_exports")


class Command(BaseCommand):
    help = "Send the notices of followed processes, the weekly digest and the reports' questionnaires."

    def add_arguments(self, parser):
        parser.add_argument("--digest", action="store_true", help="Send the weekly digest now, whatever the day.")

    def handle(self, *args, **options):
        recorded = notifications.send_due()
        reminded = pacts.send_reminders()  # collaboration pacts' activities of tomorrow
        retried = notifications.retry_unsent()
        digests = notifications.send_digests(force=options["digest"])
        pruned = notifications.prune()
        if options["verbosity"]:
            self.stdout.write(
                f"{recorded} notice(s), {digests} digest(s), {retried} retried, {pruned} old notice(s) pruned, "
                f"{reminded} activity reminder(s)."
            )
        for name in HOUSEKEEPING:
            call_command(name, verbosity=options["verbosity"], stdout=self.stdout._out)
