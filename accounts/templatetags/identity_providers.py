from django import template

from accounts import identity_providers as providers

register = template.Library()


@register.simple_tag
def identity_providers():
    """[{"id", "name", "url"}] of the SPID/CIE gateways configured now (none: the buttons are not shown)."""
    return [
        {"id": provider_id, "name": name, "url": providers.login_url(provider_id)}
        for provider_id, name in providers.configured()
    ]
