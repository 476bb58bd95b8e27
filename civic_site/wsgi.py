"""WSGI entry point: gunicorn civic_site.wsgi (production settings unless told otherwise)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic_site.settings.production")

application = get_wsgi_application()
