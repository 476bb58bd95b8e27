"""Test settings: fast and self-contained."""

import os
import tempfile
import warnings
from pathlib import Path

from .base import *  # noqa: F403

# Static files come from the finders here; there is no collected STATIC_ROOT to warn about.
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at")

SECRET_KEY = "test-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = BASE_DIR / "media" / "test"  # noqa: F405
WAGTAILADMIN_BASE_URL = "http://testserver"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A test database in a file (one per test run), not Django's shared in-memory one: with that,
    # the live server's threads would all share the test's single connection, and concurrent
    # requests would never meet SQLite's real locking (tests/test_concurrency.py needs it).
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"civic-site-test-{os.getpid()}.sqlite3"),
    }
REPORT_DRAFTS_ROOT = Path(tempfile.gettempdir()) / f"civic-site-report-drafts-{os.getpid()}"
OPEN_DATA_ROOT = Path(tempfile.gettempdir()) / f"civic-site-open-data-{os.getpid()}"
RESULTS_EXPORTS_ROOT = Path(tempfile.gettempdir()) / f"civic-site-results-exports-{os.getpid()}"
PERSONAL_EXPORTS_ROOT = Path(tempfile.gettempdir()) / f"civic-site-personal-exports-{os.getpid()}"
