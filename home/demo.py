"""Demo content of the home app for seed_demo: the tree's root, images, both home pages, the footer's
standard pages and FAQ page, featured processes, the site links setting and the main menu (content in
home/demo_content/).

Also the helper every app's demo uses to build a page in both languages (``DemoTree``). Idempotent:
every object is looked up first and only created when missing.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.files.images import ImageFile
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Page, Site

from .models import FaqPage, HomePage, HomePageFeaturedPage, MenuItem, SiteLinks, StandardPage

DEMO_DIR = Path(__file__).resolve().parent / "demo_content"
LANGUAGES = ("it", "en")


def load_content():
    return json.loads((DEMO_DIR / "content.json").read_text(encoding="utf-8"))


class DemoTree:
    """Builds demo pages in both languages and counts what it created (0 on a second run)."""

    def __init__(self):
        self.created = 0
        self.locales = {code: Locale.objects.get_or_create(language_code=code)[0] for code in LANGUAGES}
        self.root = self.ensure_root()
        self.collection = Collection.get_first_root_node() or Collection.add_root(name="Root")
        self.images = {}

    # --- tree ---------------------------------------------------------------------------------

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

    # --- media --------------------------------------------------------------------------------

    def ensure_images(self, items):
        Image = get_image_model()
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
            self.images[item["file"]] = {"image": image, "title": item["title"]}
        return self.images


def ensure_homes(tree, content):
    """Both home pages under the root, the Italian one the default Site's root. Returns {"it": …, "en": …}."""
    homes = tree.ensure_translated_children({code: tree.root for code in LANGUAGES}, HomePage, [content["home"]])[0]
    ensure_site(tree, homes["it"])
    return homes


def ensure_site(tree, home):
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name=settings.WAGTAIL_SITE_NAME,
        )
        tree.created += 1
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = settings.WAGTAIL_SITE_NAME
        site.save()
        tree.created += 1


def ensure_standard_pages(tree, homes, content):
    return tree.ensure_translated_children(homes, StandardPage, content["standard_pages"])


def ensure_faq_page(tree, homes, content):
    """“Domande frequenti” / “Frequently asked questions” under both homes. Returns {"it": …, "en": …}."""
    return tree.ensure_translated_children(homes, FaqPage, [content["faq"]])[0]


def ensure_menu(tree, content, targets):
    """The main menu in both languages (English items are translations of the Italian ones), once.

    ``targets`` maps the content's page names ("index", "faq", "reporting") to {"it": page, "en": page}."""
    keys = []
    for code in LANGUAGES:
        locale = tree.locales[code]
        if MenuItem.objects.filter(locale=locale).exists():
            continue
        for order, entry in enumerate(content["menu"]):
            item = MenuItem(locale=locale, sort_order=order, label=entry[code], url_name=entry.get("url_name", ""))
            if "page" in entry:
                item.page = targets[entry["page"]][code]
            if code != LANGUAGES[0] and len(keys) > order:
                item.translation_key = keys[order]
            item.full_clean()
            item.save()
            tree.created += 1
        keys = list(
            MenuItem.objects.filter(locale=tree.locales[LANGUAGES[0]])
            .order_by("sort_order")
            .values_list("translation_key", flat=True)
        )


def ensure_featured(tree, homes, featured):
    """Put ``featured`` (a list of {"it": page, "en": page}) on both home pages, once."""
    for code, home in homes.items():
        if home.featured_pages.exists():
            continue
        for order, pages in enumerate(featured):
            HomePageFeaturedPage.objects.create(home_page=home, page=pages[code], sort_order=order)
            tree.created += 1
        # Keep the latest revision in step with the live page, so editing starts from what is shown.
        home.save_revision().publish()


def ensure_site_links(tree, home, standard, content, report_page, faq_page):
    site = Site.objects.get(root_page=home)
    links, made = SiteLinks.objects.get_or_create(site=site)
    if not made and links.privacy_page_id:
        # A site seeded before the reporting or the FAQ page existed.
        changed = [
            role
            for role, page in (("report_page", report_page), ("faq_page", faq_page))
            if getattr(links, f"{role}_id") != page.pk
        ]
        if changed:
            links.report_page, links.faq_page = report_page, faq_page
            links.save(update_fields=changed)
            tree.created += 1
        return
    roles = {item["role"]: pages["it"] for item, pages in zip(content["standard_pages"], standard, strict=True)}
    links.privacy_page = roles.get("privacy")
    links.legal_page = roles.get("legal")
    links.accessibility_page = roles.get("accessibility")
    links.report_page = report_page
    links.faq_page = faq_page
    links.contact_email = "partecipa@comune.torino.it"
    links.save()
    tree.created += 1
