"""Site chrome shared by every template: language switcher, main menu, footer links."""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language
from wagtail.models import Page, Site

from home.models import SiteLinks

register = template.Library()


def _localized_home(request):
    """The home page in the request's language, looked up once per request (header, menu, footer)."""
    if not hasattr(request, "_localized_home"):
        site = Site.find_for_request(request)
        request._localized_home = site.root_page.localized if site else None
    return request._localized_home


@register.inclusion_tag("includes/language_switcher.html", takes_context=True)
def language_switcher(context):
    """Links to this same page in every language: the page's translation, else that language's home."""
    request = context["request"]
    page = context.get("page") if isinstance(context.get("page"), Page) else None
    current = get_language()
    targets = {}
    if page is not None:
        homes = {}
        site = Site.find_for_request(request)
        if site:
            homes = {
                p.locale.language_code: p
                for p in site.root_page.get_translations(inclusive=True).live().select_related("locale")
            }
        translations = {
            p.locale.language_code: p for p in page.get_translations(inclusive=True).live().select_related("locale")
        }
        for code, _name in settings.LANGUAGES:
            target = translations.get(code) or homes.get(code)
            targets[code] = target.get_url(request) if target else f"/{code}/"
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
def localized_home(context):
    """The home page in the active language (for the brand link and the menu)."""
    return _localized_home(context["request"])


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    request = context["request"]
    home = _localized_home(request)
    items = home.get_children().live().public().in_menu() if home else Page.objects.none()
    current = context.get("page")
    current_path = current.path if isinstance(current, Page) else ""
    return {
        "items": [
            {"page": item, "url": item.get_url(request), "active": current_path.startswith(item.path)} for item in items
        ],
    }


@register.simple_tag(takes_context=True)
def site_links(context):
    """{role: page} of the footer's required links, in the active language."""
    request = context["request"]
    return SiteLinks.for_request(request).localized_links()


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
