from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.translation import get_supported_language_variant
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """For the load balancer: 200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def root_redirect(request):
    """`/` goes to the Italian site, or to the language the visitor chose earlier with the switcher."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    try:
        language = get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
    except LookupError:
        language = settings.LANGUAGE_CODE
    return HttpResponseRedirect(f"/{language}/")
