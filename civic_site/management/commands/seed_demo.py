"""Build the Turin demo site, in Italian and English, from each app's demo module.

Lives in civic_site, the one package that may know every app (DESIGN.md): it calls home, consultations,
accounts and participation's ``demo.py`` in order. Four processes: three open (Parco Dora, AxTO, reports) and
one over with its results published (the Borgo Vittoria garden's name), whose page shows its open data.

Idempotent: every object is looked up first and only created when missing, so a second run changes nothing
(no new pages, revisions, images or users). The staff groups are not made here: a data migration
(accounts/migrations/0003_roles.py) defines them on every database.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.demo import (
    ADMIN_EMAIL,
    CITIZENS,
    DEMO_PASSWORD,
    ensure_register,
    ensure_users,
    unverified_citizen_details,
)
from consultations.demo import ensure_consultation_details, ensure_consultation_pages
from home.demo import (
    DemoTree,
    ensure_faq_page,
    ensure_featured,
    ensure_homes,
    ensure_menu,
    ensure_site_links,
    ensure_standard_pages,
    load_content,
)
from participation.demo import (
    ensure_ballots,
    ensure_budgets,
    ensure_closed_poll,
    ensure_comment_site,
    ensure_comments,
    ensure_idea_map,
    ensure_poll,
)
from participation.demo_reports import ensure_neighbourhood_reports
from participation.pact_demo import ensure_pact


class Command(BaseCommand):
    help = "Create the Turin demo site (both languages) and demo accounts. Safe to run twice."

    def handle(self, *args, **options):
        if not getattr(settings, "ALLOW_DEMO_CONTENT", False):
            raise CommandError("Demo content is disabled in these settings (ALLOW_DEMO_CONTENT is False).")
        content = load_content()
        with transaction.atomic():
            tree = DemoTree()
            images = tree.ensure_images(content["images"])
            homes = ensure_homes(tree, content)
            index, consultations = ensure_consultation_pages(tree, homes)
            standard = ensure_standard_pages(tree, homes, content)
            faq = ensure_faq_page(tree, homes, content)
            # The open processes; the one that is over (consultations[3]) is listed, not featured.
            ensure_featured(tree, homes, consultations[:3])
            created = ensure_users()
            created += ensure_register()
            created += ensure_consultation_details(consultations)
            poll, made = ensure_poll(consultations[0], {name: entry["image"] for name, entry in images.items()})
            created += made
            created += ensure_ballots(poll)
            ideas, made = ensure_idea_map(consultations[0], {name: entry["image"] for name, entry in images.items()})
            created += made
            # The pillars area's collaboration pact, over the idea map's area.
            _pact, made = ensure_pact(consultations[0], ideas, {name: entry["image"] for name, entry in images.items()})
            created += made
            _budgets, made = ensure_budgets(consultations[1])
            created += made
            reporting, made = ensure_neighbourhood_reports(consultations[2])
            created += made
            created += ensure_comment_site()
            for page_group in (consultations[0], poll):
                created += ensure_comments(page_group)
            _closed_poll, made = ensure_closed_poll(consultations[3])  # the garden's name: over, results out
            created += made
            ensure_site_links(tree, homes["it"], standard, content, report_page=reporting["it"], faq_page=faq["it"])
            ensure_menu(tree, content, {"index": index, "faq": faq, "reporting": reporting})
            created += tree.created  # pages, images, featured pages, site, site links and menu
        if created:
            call_command("update_index", verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"Demo content ready ({created} objects created)."))
        self.stdout.write(f"Admin login: {ADMIN_EMAIL} / {DEMO_PASSWORD} at /admin/")
        self.stdout.write(
            "  administrators use two-factor: the first visit to /admin/ asks to scan a QR code with an "
            "authenticator app (any TOTP app), then its 6-digit code at every login"
        )
        self.stdout.write(f"Citizens: {', '.join(email for email, _name in CITIZENS)} / {DEMO_PASSWORD}")
        email, code, postcode = unverified_citizen_details()
        self.stdout.write(
            f"  all but {email} are verified residents (the AxTO budget vote is for verified residents aged 16 or "
            f"over); to verify {email}, go to /it/accounts/verify/ with codice fiscale {code} and postcode {postcode} "
            "(a fake person in the demo's register of residents)"
        )
