"""Local development: debug on, console email, any local host."""

import warnings

from .base import *  # noqa: F403

# Static files come from the finders here; there is no collected STATIC_ROOT to warn about.
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at")

DEBUG = True
SECRET_KEY = "dev-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
