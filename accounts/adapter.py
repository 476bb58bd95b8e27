from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import get_language


class CitizenAccountAdapter(DefaultAccountAdapter):
    """Keeps citizens in their language: emails and redirects follow the active locale."""

    def get_login_redirect_url(self, request):
        return f"/{get_language() or 'it'}/"

    def get_logout_redirect_url(self, request):
        return f"/{get_language() or 'it'}/"

    def get_email_verification_redirect_url(self, email_address):
        return f"/{get_language() or 'it'}/"
