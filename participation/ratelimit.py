"""A small fixed-window rate limiter on the shared cache (atomic INCR on Redis)."""

from django.core.cache import cache


def allow(key, limit, period):
    """Count one hit on `key`; False once more than `limit` hits fall in the `period`-second window."""
    cache_key = f"ratelimit:{key}"
    cache.add(cache_key, 0, timeout=period)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period)
        hits = 1
    return hits <= limit
