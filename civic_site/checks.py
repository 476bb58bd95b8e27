"""System checks of how the site is deployed.

Several app servers (or several gunicorn workers) need a database and a cache that they all share:
on SQLite or on a per-process cache, every rate limit is counted per process (with four workers,
35 of 40 comments got through a limit of 5). Production settings therefore refuse both, unless
SINGLE_SERVER=true says on purpose that one server process serves the site.
"""

from django.conf import settings
from django.core.checks import Error, Warning, register, run_checks
from django.core.exceptions import ImproperlyConfigured

TAG = "civic_site"
SHARED_CACHES = {
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
}


@register(TAG)
def check_shared_services(app_configs=None, **kwargs):
    if settings.SINGLE_SERVER:
        return []
    errors = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(
            Error(
                "The database is SQLite: it takes one writer at a time, and app servers on other machines "
                "cannot reach it.",
                hint="Set DATABASE_URL to a PostgreSQL database, or set SINGLE_SERVER=true if one server "
                "process really serves the site.",
                id="civic_site.E001",
            )
        )
    if settings.CACHES["default"]["BACKEND"] not in SHARED_CACHES:
        errors.append(
            Error(
                "No shared cache: each server process would count rate limits (comments, votes, reactions) "
                "on its own, letting through several times the limit.",
                hint="Set REDIS_URL, or set SINGLE_SERVER=true and run one server process "
                "(gunicorn --workers 1 --threads 8).",
                id="civic_site.E002",
            )
        )
    return errors


@register(TAG)
def check_rate_limits(app_configs=None, **kwargs):
    """PARTICIPATION_RATE_LIMITS is read at the first comment or vote: a typo there stops the start, not a citizen."""
    from participation.core import ratelimit

    errors = []
    for action in sorted(set(ratelimit.ACTIONS) | set(getattr(settings, "PARTICIPATION_RATE_LIMITS", {}))):
        try:
            ratelimit.rates_for(action)
        except ImproperlyConfigured as error:
            errors.append(
                Error(
                    str(error),
                    hint='Write each limit as amount/period/per, e.g. "5/10m/user,20/10m/ip" (see the README).',
                    id="civic_site.E003",
                )
            )
    return errors


@register(TAG)
def check_map_tiles_allowed(app_configs=None, **kwargs):
    """The map tiles' host comes from GEO_WIDGET_LEAFLET_TILE_LAYER; a settings file that changes the tile
    layer after base.py computed the Content-Security-Policy would leave the maps blank."""
    from civic_site.settings.base import origin_of

    origin = origin_of(settings.GEO_WIDGET_LEAFLET_TILE_LAYER)
    policies = {
        "CONTENT_SECURITY_POLICY": settings.CONTENT_SECURITY_POLICY,
        "CONTENT_SECURITY_POLICY_ADMIN": settings.CONTENT_SECURITY_POLICY_ADMIN,
    }
    return [
        Warning(
            f"{name} does not allow the map tiles' host {origin} in img-src: the maps would stay blank.",
            hint="Set MAP_TILE_ORIGIN = origin_of(GEO_WIDGET_LEAFLET_TILE_LAYER) and build the policies after it.",
            id="civic_site.W001",
        )
        for name, policy in policies.items()
        if origin not in policy["DIRECTIVES"].get("img-src", [])
    ]


@register(TAG)
def check_resident_identity_key(app_configs=None, **kwargs):
    """Without RESIDENT_IDENTITY_KEY the keyed hashes of the codici fiscali come from SECRET_KEY: rotating it
    would make every imported resident and every verification unmatchable (the same person could then verify a
    second account). Production refuses that once the register or a verification holds any rows."""
    if settings.DEBUG or getattr(settings, "RESIDENT_IDENTITY_KEY", ""):
        return []
    if not identities_stored():
        return []
    return [
        Error(
            "RESIDENT_IDENTITY_KEY is not set, and the database holds imported residents or verified accounts.",
            hint='Set RESIDENT_IDENTITY_KEY to a long random secret (e.g. python -c "import secrets; '
            'print(secrets.token_urlsafe(48))"), kept apart from SECRET_KEY and never changed; then import the '
            "register of residents again (manage.py import_residents) and ask verified residents to verify again.",
            id="civic_site.E004",
        )
    ]


def identities_stored():
    """Whether the register of residents or the verifications hold any row. False before `migrate` has made the
    tables, or when the database cannot be reached (collectstatic at build time): the check must not crash."""
    from django.db import DatabaseError, connection

    from accounts.models import CensusResident, ResidentVerification

    try:
        tables = set(connection.introspection.table_names())
        return any(
            model._meta.db_table in tables and model.objects.exists()
            for model in (CensusResident, ResidentVerification)
        )
    except DatabaseError:
        return False


def refuse_to_start():
    """For servers that run no system checks (gunicorn): raise on the errors `manage.py check` reports."""
    errors = [message for message in run_checks(tags=[TAG]) if message.is_serious()]
    if errors:
        raise ImproperlyConfigured("\n".join(str(message) for message in errors))
