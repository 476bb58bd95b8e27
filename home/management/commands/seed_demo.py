"""Build the Turin demo site, in Italian and English, from files in home/demo/.

Idempotent: every object is looked up first and only created when missing, so a second
run changes nothing (no new pages, revisions, images or users). The staff groups are not
made here: a data migration (accounts/migrations/0003_roles.py) defines them on every database.
"""

import json
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site as DjangoSite
from django.core.files.images import ImageFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Page, Site

from consultations.demo import ensure_consultation_details
from consultations.models import ConsultationIndexPage, ConsultationPage
from home.models import HomePage, HomePageFeaturedPage, SiteLinks, StandardPage
from participation.demo import ensure_comments, ensure_poll

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
LANGUAGES = ("it", "en")

ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.org"  # everyone logs in with their email, staff included
DEMO_PASSWORD = "partecipa-torino-2026"  # noqa: S105 - demo accounts only; refused in production
CITIZENS = [
    ("giulia.rossi@example.org", "Giulia R."),
    ("marco.bianchi@example.org", "Marco B."),
]


class Command(BaseCommand):
    help = "Create the Turin demo site (both languages) and demo accounts. Safe to run twice."

    def handle(self, *args, **options):
        if not getattr(settings, "ALLOW_DEMO_CONTENT", False):
            raise CommandError("Demo content is disabled in these settings (ALLOW_DEMO_CONTENT is False).")
        self.created = 0
        content = json.loads((DEMO_DIR / "content.json").read_text(encoding="utf-8"))
        with transaction.atomic():
            self.locales = {code: Locale.objects.get_or_create(language_code=code)[0] for code in LANGUAGES}
            root = self.ensure_root()
            self.collection = Collection.get_first_root_node() or Collection.add_root(name="Root")
            self.images = self.ensure_images(content["images"])
            homes = self.ensure_translated_children({code: root for code in LANGUAGES}, HomePage, [content["home"]])[0]
            self.ensure_site(homes["it"])
            index = self.ensure_translated_children(homes, ConsultationIndexPage, [content["consultation_index"]])[0]
            consultations = self.ensure_translated_children(index, ConsultationPage, content["consultations"])
            standard = self.ensure_translated_children(homes, StandardPage, content["standard_pages"])
            self.ensure_featured(homes, consultations)
            self.ensure_users()
            self.created += ensure_consultation_details(consultations)
            poll, made = ensure_poll(consultations[0], {name: entry["image"] for name, entry in self.images.items()})
            self.created += made
            self.ensure_comment_site()
            for page_group in (consultations[0], poll):
                self.created += ensure_comments(page_group)
            self.ensure_site_links(homes["it"], standard, content["standard_pages"], consultations)
        if self.created:
            call_command("update_index", verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"Demo content ready ({self.created} objects created)."))
        self.stdout.write(f"Admin login: {ADMIN_EMAIL} / {DEMO_PASSWORD} at /admin/")
        self.stdout.write(f"Citizens: {', '.join(email for email, _name in CITIZENS)} / {DEMO_PASSWORD}")

    # --- tree -------------------------------------------------------------------------------

    def ensure_root(self):
        root = Page.get_first_root_node()
        if root is None:
            root = Page.add_root(instance=Page(title="Root", locale=self.locales["it"]))
            self.created += 1
        # Wagtail's "Welcome to your new Wagtail site!" page is a plain Page under the root.
        for welcome in root.get_children().filter(content_type__model="page", content_type__app_label="wagtailcore"):
            Site.objects.filter(root_page=welcome).delete()
            welcome.delete()
        return root

    def publish(self, parent, page):
        parent.add_child(instance=page)
        page.save_revision().publish()
        self.created += 1
        return page

    def page_fields(self, model, data, common):
        fields = {"title": data["title"], "slug": data["slug"]}
        for name in ("hero_title", "intro", "summary", "show_in_menus"):
            if name in data:
                fields[name] = data[name]
        if "body" in data:
            fields["body"] = data["body"]
        image_name = common.get("image")
        if image_name:
            fields["image"] = self.images[image_name]["image"]
            fields["image_alt"] = self.images[image_name]["title"][data.get("_lang", "it")]
        return fields

    def ensure_translated_children(self, parents, model, items):
        """For each item, its Italian page under parents['it'] and English one under parents['en']."""
        pages = []
        for item in items:
            translated = {}
            translation_key = None
            for code in LANGUAGES:
                parent = parents[code]
                page = model.objects.child_of(parent).filter(slug=item[code]["slug"]).first()
                if page is None:
                    page = model(
                        locale=self.locales[code], **self.page_fields(model, {**item[code], "_lang": code}, item)
                    )
                    if translation_key:
                        page.translation_key = translation_key
                    page = self.publish(parent, page)
                translation_key = page.translation_key
                translated[code] = page
            pages.append(translated)
        return pages

    def ensure_featured(self, homes, consultations):
        for code, home in homes.items():
            if home.featured_pages.exists():
                continue
            for order, pages in enumerate(consultations):
                HomePageFeaturedPage.objects.create(home_page=home, page=pages[code], sort_order=order)
                self.created += 1
            # Keep the latest revision in step with the live page, so editing starts from what is shown.
            home.save_revision().publish()

    def ensure_comment_site(self):
        """django.contrib.sites' record, which comments point at (permalinks use its domain)."""
        site, made = DjangoSite.objects.get_or_create(
            pk=settings.SITE_ID, defaults={"domain": "127.0.0.1:8000", "name": settings.WAGTAIL_SITE_NAME}
        )
        if not made and site.domain == "example.com":
            site.domain, site.name = "127.0.0.1:8000", settings.WAGTAIL_SITE_NAME
            site.save()
            made = True
        self.created += made

    def ensure_site(self, home):
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(
                hostname="localhost",
                port=80,
                root_page=home,
                is_default_site=True,
                site_name=settings.WAGTAIL_SITE_NAME,
            )
            self.created += 1
        elif site.root_page_id != home.pk:
            site.root_page = home
            site.site_name = settings.WAGTAIL_SITE_NAME
            site.save()
            self.created += 1

    def ensure_site_links(self, home, standard, standard_items, consultations):
        site = Site.objects.get(root_page=home)
        links, made = SiteLinks.objects.get_or_create(site=site)
        if not made and links.privacy_page_id:
            return
        roles = {item["role"]: pages["it"] for item, pages in zip(standard_items, standard, strict=True)}
        links.privacy_page = roles.get("privacy")
        links.legal_page = roles.get("legal")
        links.accessibility_page = roles.get("accessibility")
        links.report_page = consultations[-1]["it"]
        links.contact_email = "partecipa@comune.torino.it"
        links.save()
        self.created += 1

    # --- media ------------------------------------------------------------------------------

    def ensure_images(self, items):
        Image = get_image_model()
        images = {}
        for item in items:
            image = Image.objects.filter(title=item["title"]["it"]).first()
            if image is None:
                path = DEMO_DIR / "images" / item["file"]
                with path.open("rb") as handle:
                    image = Image(
                        title=item["title"]["it"],
                        description=item["title"]["it"],
                        collection=self.collection,
                        file=ImageFile(handle, name=item["file"]),
                    )
                    image.save()
                self.created += 1
            images[item["file"]] = {"image": image, "title": item["title"]}
        return images

    # --- people -----------------------------------------------------------------------------

    def ensure_users(self):
        User = get_user_model()
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            User.objects.create_superuser(
                ADMIN_USERNAME, ADMIN_EMAIL, DEMO_PASSWORD, display_name="Redazione Torino Partecipa"
            )
            EmailAddress.objects.create(
                user=User.objects.get(username=ADMIN_USERNAME), email=ADMIN_EMAIL, verified=True, primary=True
            )
            self.created += 1
        for email, name in CITIZENS:
            if User.objects.filter(email__iexact=email).exists():
                continue
            user = User.objects.create_user(email.split("@")[0], email, DEMO_PASSWORD, display_name=name)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            self.created += 1
