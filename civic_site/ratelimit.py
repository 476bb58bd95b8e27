"""allauth's 429 (sign-up, login, password reset…) with the page in the visitor's language and ``Retry-After``.

allauth answers a refused request with ``<ROOT_URLCONF>.handler429(request)`` when there is one
(its own hook: ``allauth.core.internal.ratelimit.respond_429``), but its own handler sends no
``Retry-After``. allauth keeps, per bucket, the times of the hits in its sliding window; this reads
the buckets of the refused action (the URL says which) and answers when the first one frees a
place. Limits themselves stay allauth's: ``ACCOUNT_RATE_LIMITS`` in settings/base.py.
"""

import math
import time

from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render

from participation.core.ratelimit import RateLimited, retry_after_header

APP = "allauth.account"
# allauth's URL names → the rate-limit action its view consumes.
ACTIONS = {
    "account_login": "login",
    "account_signup": "signup",
    "account_reset_password": "reset_password",
    "account_reset_password_from_key": "reset_password_from_key",
    "account_change_password": "change_password",
    "account_set_password": "change_password",
    "account_email": "manage_email",
    "account_reauthenticate": "reauthenticate",
}


def _key(request, action):
    """The "key" allauth counts an action by, where the request carries it (the email typed in)."""
    if action == "reset_password":
        return request.POST.get("email", "").strip().lower() or None
    return None


def retry_after(request):
    """Seconds until allauth would accept this request again: when the first full bucket of its action frees
    a place; the longest period of the action where the buckets cannot be read (60 s if nothing is known)."""
    match = getattr(request, "resolver_match", None)
    action = ACTIONS.get(match.url_name if match else None)
    rates = allauth_ratelimit.get_rates(app=APP, action=action) if action else []
    user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
    now = time.time()
    waits = []
    for rate in rates:
        try:
            cache_key = allauth_ratelimit.get_cache_key(
                request, app=APP, action=action, rate=rate, key=_key(request, action), user=user
            )
        except ImproperlyConfigured:  # a bucket this request cannot name (no key, no user)
            continue
        hits = [hit for hit in cache.get(cache_key, []) if hit > now - rate.duration]  # newest first
        if len(hits) >= rate.amount:
            waits.append(hits[rate.amount - 1] + rate.duration - now)
    if not waits:
        waits = [max((rate.duration for rate in rates), default=60)]
    return max(1, math.ceil(max(waits)))


def too_many_requests(request):
    """allauth's handler429: templates/429.html, status 429, ``Retry-After``."""
    limited = RateLimited("account", retry_after(request))
    response = render(request, "429.html", {"wait": limited.wait()})
    return retry_after_header(response, limited)
