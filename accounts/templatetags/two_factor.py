from django import template

from accounts.mfa import continue_url, has_authenticator_app

register = template.Library()


@register.simple_tag(takes_context=True)
def two_factor_continue_url(context):
    """The admin page a staff member was sent away from to set up two-factor, once it is set up; else ""."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated or not has_authenticator_app(request.user):
        return ""
    return continue_url(request)
