from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language

from civic_site.client_ip import client_ip

from . import identity_providers


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


class CitizenSocialAccountAdapter(DefaultSocialAccountAdapter):
    """SPID and CIE logins (accounts/identity_providers.py): each links the person to one account, verified.

    A refusal (no valid codice fiscale, the person verified on another account...) stops the login with the
    citizen's message, before anything is saved."""

    def get_provider(self, request, provider, client_id=None):
        """The identity providers' gateway speaks allauth's generic OpenID Connect, plus a nonce and without
        storing the codice fiscale: see GatewayProvider."""
        found = super().get_provider(request, provider, client_id=client_id)
        if isinstance(found, OpenIDConnectProvider) and identity_providers.is_identity_provider(found.sub_id):
            return identity_providers.GatewayProvider(request, app=found.app)
        return found

    def pre_social_login(self, request, sociallogin):
        if not identity_providers.is_identity_provider(sociallogin.account.provider):
            return
        try:
            identity_providers.link_person(request, sociallogin)
        except identity_providers.IdentityRefused as refused:
            raise ImmediateHttpResponse(self.refusal(request, sociallogin, refused)) from None

    def save_user(self, request, sociallogin, form=None):
        """A first SPID/CIE login makes the account and its verification together, or neither (another account
        may have been verified as the person since pre_social_login looked)."""
        if not identity_providers.is_identity_provider(sociallogin.account.provider):
            return super().save_user(request, sociallogin, form)
        try:
            with transaction.atomic():
                user = super().save_user(request, sociallogin, form)
                identity_providers.verify_new_account(user, sociallogin)
        except identity_providers.IdentityRefused as refused:
            raise ImmediateHttpResponse(self.refusal(request, sociallogin, refused)) from None
        return user

    def refusal(self, request, sociallogin, refused):
        """The citizen's message, and back to where they were: the page they came from when connecting, the
        login page (keeping where they were going) when logging in."""
        messages.error(request, refused.message)
        next_url = sociallogin.get_redirect_url(request) or ""
        if sociallogin.state.get("process") == AuthProcess.CONNECT and request.user.is_authenticated:
            return HttpResponseRedirect(next_url or reverse("accounts_profile"))
        login_url = reverse("account_login")
        return HttpResponseRedirect(f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url)
