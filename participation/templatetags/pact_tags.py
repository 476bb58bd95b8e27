"""The pact page's proposals and log, loaded by their own includes (the pact page only passes ``page``)."""

from django import template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from civic_site import pagecache
from participation.comments import has_verified_email
from participation.core.invalidation import cached_for_group

register = template.Library()


def _depends(context, page):
    """The including page, stored for anonymous visitors, is dropped when the pact's participation changes."""
    request = context.get("request")
    if request is not None:
        pagecache.depends_on(request, pagecache.group_tag(page.translation_key))


@register.simple_tag(takes_context=True)
def pact_proposals(context, page):
    """{"pending", "accepted", "declined", "open", "propose_url", "verified"}: one query while the pact's participation
    has not changed (cached_for_group), and one more for a citizen."""
    from participation.models import PactStatus
    from participation.pact_proposals import proposal_url, public_proposals

    _depends(context, page)
    request = context.get("request")
    user = getattr(request, "user", None)
    data = dict(cached_for_group(page.group_key, "pact-proposals", lambda: public_proposals(page), variant=page.pk))
    data["open"] = page.current_status != PactStatus.EXPIRED
    data["propose_url"] = proposal_url(page)
    data["verified"] = bool(user is not None and user.is_authenticated and has_verified_email(user))
    return data


@register.simple_tag(takes_context=True)
def pact_log_section(context, page):
    """The pact's log section as HTML, rendered once per language while the pact's participation, the content
    and the release stay the same: its reports (twenty on a busy pact) cost a quarter of the page's render, and
    nothing in it is the visitor's own."""
    variant = ":".join(
        str(part) for part in (page.pk, translation.get_language(), pagecache.release(), pagecache.content_version())
    )

    def render():
        return render_to_string(
            "participation/includes/pact_log_section.html", {"page": page, "pact_log": pact_log(context, page)}
        )

    _depends(context, page)
    return mark_safe(cached_for_group(page.group_key, "pact-log-html", render, variant=variant))  # noqa: S308 - a template's output


@register.simple_tag(takes_context=True)
def pact_log(context, page):
    """{"totals", "reports", "years"}: five queries (totals, years, reports, their photos and images), then none
    while the pact's participation has not changed (cached_for_group)."""
    from participation.pact_reports import log, totals, year_url, years_with_data

    _depends(context, page)
    key = page.group_key
    return cached_for_group(
        key,
        "pact-log",
        lambda: {
            "totals": totals(key),
            "reports": log(key),
            "years": [(year, year_url(page, year)) for year in years_with_data(key)],
        },
        variant=page.pk,
    )
