"""WSGI entry point: gunicorn civic_site.wsgi (production settings unless told otherwise)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic_site.settings.production")

application = get_wsgi_application()

# gunicorn runs no system checks: refuse to serve on a deployment that `manage.py check` rejects.
from civic_site.checks import refuse_to_start  # noqa: E402 - needs the apps loaded above

refuse_to_start()
