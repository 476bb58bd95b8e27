"""The site's URLs plus what only the benchmark needs: the bare reference view, and /media/ as a front
server would serve it (production's gunicorn does not; only Lighthouse fetches images)."""

from django.conf import settings
from django.urls import path, re_path
from django.views.static import serve

from civic_site.urls import handler429  # noqa: F401 - handler429 is read here
from civic_site.urls import urlpatterns as site_urlpatterns

from .views import bare

urlpatterns = [
    path("_bench/bare/", bare, name="bench_bare"),
    *site_urlpatterns,
    # Last: if the site ever serves /media/ itself, its own route answers first.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
