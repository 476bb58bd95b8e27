from django import template

from civic_site.cookies import technical_cookies as cookie_list

register = template.Library()


@register.inclusion_tag("includes/cookie_table.html")
def technical_cookies():
    """The table of the site's cookies (civic_site/cookies.py), for the privacy page."""
    return {"cookies": cookie_list()}
