"""Rate limits for what citizens write, per user and per client address, counted on the shared cache.

Every flow asks one question before it writes::

    limited = ratelimit.check(request, "comment")            # or check(user=…, ip=…, action="comment")
    if limited:
        ...  # refuse with limited.message(...), answer 429 with ratelimit.retry_after_header(limited)

The limits are one setting, ``PARTICIPATION_RATE_LIMITS``, in allauth's format: ``{"comment":
"5/10m/user,20/10m/ip", ...}``: ``amount/period/per``, the period in ``s``, ``m``, ``h`` or ``d`` (a
number before the unit multiplies it), ``per`` either ``user`` (the signed-in citizen) or ``ip`` (the
client address, read behind the load balancer exactly as allauth's limits read it, by
:func:`civic_site.client_ip.client_ip` with ``TRUSTED_PROXIES``; IPv6 addresses count per /64 like
allauth's). An empty string means no limit; an action missing from the setting is a configuration
error, so a typo never switches a limit off unnoticed.

Windows are fixed and aligned on the clock (a 10-minute window ends at :00, :10, :20…), so every
worker agrees on when one ends and ``Retry-After`` is exact. Each check counts one hit in every
bucket with ``cache.add`` + ``cache.incr``: atomic on Redis and on the local-memory cache, with no
lock and no read-modify-write.
"""

import ipaddress
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civic_site.client_ip import client_ip  # the one reading of the client's address (views call ratelimit.client_ip)

# The actions the code counts: each needs an entry in PARTICIPATION_RATE_LIMITS (a system check says so).
ACTIONS = (
    "comment",
    "reaction",
    "report",
    "vote",
    "idea",
    "support",
    "basket",
    "problem",
    "feedback",
    "verify",
    "signup",
    "proposal",
)
PERIOD_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"^(?P<amount>\d+)/(?P<count>\d*)(?P<unit>[smhd])/(?P<per>user|ip)$")


@dataclass(frozen=True)
class Rate:
    """At most ``amount`` hits per ``period`` seconds per ``per`` ("user" or "ip")."""

    amount: int
    period: int
    per: str

    def __str__(self):
        return f"{self.amount}/{self.period}s/{self.per}"


@dataclass(frozen=True)
class RateLimited:
    """A refusal: which action, and how many seconds until the (last) full window ends."""

    action: str
    retry_after: int

    def wait(self):
        """The wait in words, in the active language: "3 minutes", "45 seconds"."""
        if self.retry_after < 60:
            return ngettext("%(count)d second", "%(count)d seconds", self.retry_after) % {"count": self.retry_after}
        minutes = math.ceil(self.retry_after / 60)
        if minutes < 120:
            return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        hours = math.ceil(minutes / 60)
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}

    def message(self, text=None):
        """What the citizen reads, in the active language: ``text`` (a flow's own sentence with
        ``%(wait)s``, e.g. a gettext_lazy string) or the general one."""
        if text is None:
            text = _("You have done this many times in a short time. Please try again in %(wait)s.")
        return str(text) % {"wait": self.wait()}


def parse_rates(text):
    """``"5/10m/user,20/10m/ip"`` → [Rate(5, 600, "user"), Rate(20, 600, "ip")]; ValueError if malformed."""
    rates = []
    for part in filter(None, (part.strip() for part in (text or "").split(","))):
        match = RATE.match(part)
        if match is None:
            raise ValueError(f"not a rate (amount/period/user|ip, e.g. 5/10m/user): {part!r}")
        period = int(match["count"] or 1) * PERIOD_UNITS[match["unit"]]
        if period <= 0:
            raise ValueError(f"the period must be longer than zero: {part!r}")
        rates.append(Rate(int(match["amount"]), period, match["per"]))
    return rates


def rates_for(action):
    """The rates of ``action`` in ``settings.PARTICIPATION_RATE_LIMITS``."""
    limits = getattr(settings, "PARTICIPATION_RATE_LIMITS", {})
    if action not in limits:
        raise ImproperlyConfigured(f'PARTICIPATION_RATE_LIMITS has no "{action}" (an empty string means no limit)')
    try:
        return parse_rates(limits[action])
    except ValueError as error:
        raise ImproperlyConfigured(f'PARTICIPATION_RATE_LIMITS["{action}"]: {error}') from None


def _bucket_ip(ip):
    """IPv6 addresses are counted per network (allauth's ``ALLAUTH_RATE_LIMIT_IPV6_PREFIX``, /64 by default):
    one home or phone holds a whole /64."""
    from allauth import app_settings as allauth_settings

    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.IPv6Network(f"{address}/{prefix}", strict=False).network_address)
    return str(address)


def _buckets(action, rates, user, ip):
    """(rate, cache key prefix) for each bucket that applies: a user bucket needs a signed-in user, an IP one an IP."""
    for rate in rates:
        if rate.per == "user" and user is not None and user.is_authenticated:
            yield rate, f"ratelimit:{action}:{rate}:user:{user.pk}"
        elif rate.per == "ip" and ip:
            yield rate, f"ratelimit:{action}:{rate}:ip:{_bucket_ip(ip)}"


def _hit(key, timeout):
    """Count one hit on ``key``; the hits so far. add() makes the counter if it is missing, incr() is atomic."""
    for _attempt in range(3):
        cache.add(key, 0, timeout=timeout)
        try:
            return cache.incr(key)
        except ValueError:  # the key expired (or was evicted) between add and incr: add it again
            continue
    return 1  # the cache keeps losing the key: count nothing rather than refuse


def now():
    """The clock the windows are counted on (tests fix it: tests/conftest.py)."""
    return time.time()


def check(request=None, action=None, *, user=None, ip=None):
    """Count one hit of ``action`` for the request's user and client address (or ``user`` and ``ip``).

    Returns None when every bucket is within its limit, else a RateLimited with the seconds until
    the last full window ends. A refused hit is taken back from every bucket: a citizen at their own
    limit does not use up what their household's address has left.
    """
    if action is None:
        raise TypeError("check() needs the action")
    if request is not None:
        user = getattr(request, "user", None) if user is None else user
        ip = client_ip(request) if ip is None else ip
    moment = now()
    retry_after = 0
    counted = []
    for rate, prefix in _buckets(action, rates_for(action), user, ip):
        window = int(moment // rate.period)
        ends_at = (window + 1) * rate.period
        key = f"{prefix}:{window}"
        # The counter outlives its window a little, so it never expires while the window is still open.
        if _hit(key, timeout=math.ceil(ends_at - moment) + 1) > rate.amount:
            retry_after = max(retry_after, math.ceil(ends_at - moment))
        counted.append(key)
    if not retry_after:
        return None
    for key in counted:
        try:
            cache.decr(key)
        except ValueError:  # the window has just ended: nothing to take back
            pass
    return RateLimited(action, max(retry_after, 1))


def reset(action, *, user=None, ip=None):
    """Forget the hits of ``action`` in the current windows (for tests and for data made on a citizen's behalf)."""
    moment = now()
    for rate, prefix in _buckets(action, rates_for(action), user, ip):
        cache.delete(f"{prefix}:{int(moment // rate.period)}")


def retry_after_header(response, limited):
    """Make ``response`` a 429 Too Many Requests saying when to try again; returns it."""
    response.status_code = 429
    response["Retry-After"] = str(limited.retry_after)
    return response


def enforce(action, error, text=None, *, request=None, user=None, ip=None):
    """``check()``, raising ``error`` (a ``core.errors.Rejected`` subclass) with the citizen's message when limited."""
    limited = check(request, action, user=user, ip=ip)
    if limited:
        raise error(limited.message(text), limited=limited)


def respond(response, rejection):
    """Give a view's response to a refused action its status: 429 with ``Retry-After`` for a rate limit, else 400."""
    if getattr(rejection, "limited", None):
        return retry_after_header(response, rejection.limited)
    response.status_code = 400
    return response
