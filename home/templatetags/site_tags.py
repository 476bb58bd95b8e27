"""Site chrome shared by every template: language switcher, main menu, footer links (cached: home/chrome.py)."""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language
from wagtail.models import Page

from civic_site import pagecache
from home.chrome import chrome

register = template.Library()


def live_translations(page):
    """The page's live translations, itself included, with their locales (the hreflang alternates and the
    language switcher both need them): kept in the cache until the content changes, so no query."""
    translations = page.__dict__.get("_live_translations")
    if translations is None:

        def load():
            return list(page.get_translations(inclusive=True).live().select_related("locale"))

        translations = (
            pagecache.until_content_changes("translations", [page.translation_key], load) if page.pk else load()
        )
        page.__dict__["_live_translations"] = translations
    return translations


@register.simple_tag
def alternates(page):
    """The other languages' live versions of ``page``, for ``<link rel="alternate" hreflang>``."""
    return [translation for translation in live_translations(page) if translation.pk != page.pk]


@register.simple_tag(takes_context=True)
def can_access_admin(context):
    """Whether the signed-in user may open the Wagtail admin."""
    user = context["request"].user
    # has_perm() loads the user's permissions once per request (Wagtail's userbar asks again: no query).
    return user.is_authenticated and user.has_perm("wagtailadmin.access_admin")


@register.inclusion_tag("includes/language_switcher.html", takes_context=True)
def language_switcher(context):
    """Links to this same page in every language: the page's translation, else that language's home."""
    request = context["request"]
    page = context.get("page") if isinstance(context.get("page"), Page) else None
    current = get_language()
    targets = {}
    if page is not None:
        homes = chrome(request)["homes"]
        translations = {p.locale.language_code: p for p in live_translations(page)}
        for code, _name in settings.LANGUAGES:
            target = translations.get(code)
            targets[code] = target.get_url(request) if target else homes.get(code, f"/{code}/")
    else:
        path = request.get_full_path()
        for code, _name in settings.LANGUAGES:
            targets[code] = translate_url(path, code)
    languages = [
        {"code": code, "name": name, "url": targets[code], "current": code == current}
        for code, name in settings.LANGUAGES
    ]
    return {"languages": languages, "current_language": current}


@register.simple_tag(takes_context=True)
def site_chrome(context):
    """{"home": {title, url}, "menu": [{title, url, path}], "links": {role: {title, url}}, "contact_email"}."""
    return chrome(context["request"])


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    current = context.get("page")
    current_path = current.path if isinstance(current, Page) else ""
    request_path = context["request"].path

    def active(item):
        if item.get("prefix"):  # a view, not a page: its URL and the ones under it
            return request_path.startswith(item["prefix"])
        return bool(current_path) and bool(item["path"]) and current_path.startswith(item["path"])

    return {"items": [dict(item, active=active(item)) for item in chrome(context["request"])["menu"]]}


@register.simple_tag
def field_widget(field, help_id, error_id):
    """A form field's widget with its help and error texts linked for screen readers."""
    described_by = []
    if field.errors:
        described_by.append(error_id)
    if field.help_text:
        described_by.append(help_id)
    attrs = {}
    if field.widget_type != "checkbox":
        existing = field.field.widget.attrs.get("class", "")
        attrs["class"] = f"{existing} form-control{' is-invalid' if field.errors else ''}".strip()
    else:
        attrs["class"] = "form-check-input"
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if field.field.required:
        attrs["required"] = True
    return field.as_widget(attrs=attrs)
