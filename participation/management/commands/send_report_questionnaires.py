"""Daily (cron): ask the reporters of reports resolved REPORT_QUESTIONNAIRE_WEEKS ago "is it fixed?", and drop
the photos of report drafts nobody sent."""

from django.core.management.base import BaseCommand

from participation.reports import delete_old_drafts, send_questionnaires


class Command(BaseCommand):
    help = "Email 'is it fixed?' to reporters of reports resolved some weeks ago; drop old draft photos."

    def handle(self, *args, **options):
        asked = send_questionnaires()
        dropped = delete_old_drafts()
        if options["verbosity"]:
            self.stdout.write(f"Asked {asked} reporter(s); dropped {dropped} old draft photo(s).")
