"""Production: refuses to start without SECRET_KEY and ALLOWED_HOSTS, or on SQLite or without Redis
unless SINGLE_SERVER=true (civic_site/checks.py); HTTPS only."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_list, tasks_setting


def required(name):
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable for production.")
    return value


DEBUG = False
SECRET_KEY = required("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or required("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS") or [f"https://{host}" for host in ALLOWED_HOSTS]
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", f"https://{ALLOWED_HOSTS[0]}")

# HTTPS behind the load balancer
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "true").lower() == "true"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

ALLOW_DEMO_CONTENT = False

# Background tasks wait in the database for `manage.py db_worker` (README, "Background tasks");
# TASKS_BACKEND=immediate runs them inside the request instead (a small site without a worker).
TASKS = tasks_setting("database")

# Several app servers or workers need PostgreSQL and Redis (REDIS_URL): the system checks in
# civic_site/checks.py refuse SQLite and a per-process cache unless SINGLE_SERVER=true.
SINGLE_SERVER = os.environ.get("SINGLE_SERVER", "").strip().lower() == "true"
# Uploaded files (MEDIA_ROOT): gunicorn serves them itself on a single box; with several servers a
# front server or object storage does (README, Production), and SERVE_MEDIA=false leaves them to it.
SERVE_MEDIA = os.environ.get("SERVE_MEDIA", "true" if SINGLE_SERVER else "false").strip().lower() == "true"

LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "INFO")  # noqa: F405
