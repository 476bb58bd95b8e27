"""Write a participatory budget's projects and anonymised ballots as a Pabulib .pb file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from participation.budgets import pabulib_text
from participation.core.lookup import find_page
from participation.models import BudgetPage


def find_budget(value):
    """A BudgetPage from its id or its URL path (any translation: /it/... or /en/...)."""
    page = find_page(value, BudgetPage)
    if page is None:
        raise CommandError(f"No budget page at {value!r}: give its id or its address, e.g. /it/partecipa/axto/...")
    return page


class Command(BaseCommand):
    help = "Export a budget vote (projects and anonymised ballots) as a Pabulib .pb file (https://pabulib.org/format)."

    def add_arguments(self, parser):
        parser.add_argument("page", help="The budget page: its id or its address (any language).")
        parser.add_argument("--output", "-o", help="The file to write (default: the standard output).")

    def handle(self, *args, page, output=None, **options):
        text = pabulib_text(find_budget(page))
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Written {output}")
        else:
            self.stdout.write(text, ending="")
