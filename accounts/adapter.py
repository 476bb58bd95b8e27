from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.utils.translation import get_language

from civic_site.client_ip import client_ip


class CitizenAccountAdapter(DefaultAccountAdapter):
    """Keeps citizens in their language: emails and redirects follow the active locale."""

    def get_login_redirect_url(self, request):
        return f"/{get_language() or 'it'}/"

    def get_logout_redirect_url(self, request):
        return f"/{get_language() or 'it'}/"

    def get_email_verification_redirect_url(self, email_address):
        return f"/{get_language() or 'it'}/"

    def get_client_ip(self, request):
        """The client's address for allauth's rate limits, read like everywhere else (civic_site.client_ip:
        X-Forwarded-For only from TRUSTED_PROXIES). allauth refuses a request without one, as its own does."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip
