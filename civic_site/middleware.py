"""Security headers Django does not set by itself: a Content-Security-Policy per area, Permissions-Policy.

The policies live in settings (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_ADMIN,
PERMISSIONS_POLICY); these classes only choose and write them.
"""

from csp.middleware import CSPMiddleware
from csp.utils import default_config
from django.conf import settings


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with CONTENT_SECURITY_POLICY_ADMIN replacing the site's policy under its
    URL_PREFIXES (Wagtail's admin still needs inline scripts and styles; the public site must not) and
    on Wagtail's page previews.

    A preview is rendered by running the middleware on a second, made-up request for the page's
    public URL (``Page.make_preview_request``, which marks it ``is_preview``); the header set there
    is kept by the admin request around it. Without this the preview would carry the public
    ``frame-ancestors 'none'`` and the admin's preview panel could not show it.

    A view's own ``@csp``/``@csp_replace``/``@csp_update`` still wins, as in django-csp.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        admin = getattr(settings, "CONTENT_SECURITY_POLICY_ADMIN", None)
        if admin and not report_only and parts.config is None and self.is_admin(request, admin):
            parts.config = default_config(admin["DIRECTIVES"])
        return parts

    @staticmethod
    def is_admin(request, admin):
        return getattr(request, "is_preview", False) or request.path_info.startswith(tuple(admin["URL_PREFIXES"]))


class PermissionsPolicyMiddleware:
    """Writes the Permissions-Policy header from settings.PERMISSIONS_POLICY, e.g.
    ``{"geolocation": ["self"], "camera": []}`` -> ``geolocation=(self), camera=()``."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


def permissions_policy(features):
    """The header's value: `self` and `*` as they are, origins quoted (the header is a structured field)."""

    def allowlist(origins):
        return " ".join(origin if origin in ("self", "*") else f'"{origin}"' for origin in origins)

    return ", ".join(f"{feature}=({allowlist(origins)})" for feature, origins in features.items())
