import logging
import unicodedata
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db import DatabaseError, transaction
from django.template.response import TemplateResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from wagtail.models import Locale, Page

from civic_site import pagecache
from civic_site.pages import public

MAX_QUERY_LENGTH = 200
RESULTS_PER_PAGE = 10

logger = logging.getLogger(__name__)


def clean_query(raw):
    """The query as searched: control characters (NUL above all, which no database accepts) become spaces."""
    text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in raw)
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def search(request):
    """Site search over live, public pages in the visitor's language. Never a 500 on odd input."""
    pagecache.cacheable(request)  # results are live, public pages: the same for every anonymous visitor
    query = clean_query(request.GET.get("q", ""))
    error = None
    results = Page.objects.none()
    paginator = Paginator(results, RESULTS_PER_PAGE)
    page_obj = paginator.get_page(1)
    if query:
        locale = Locale.objects.filter(language_code=get_language()).first()
        results = public(Page.objects.live()).filter(locale=locale).specific().search(query)
        try:
            # The backend runs the query here (count, then the page's slice). A savepoint keeps the
            # request's transaction usable if the database refuses the query.
            with transaction.atomic():
                paginator = Paginator(results, RESULTS_PER_PAGE)
                page_obj = paginator.get_page(request.GET.get("page"))
                page_obj.object_list = list(page_obj.object_list)
        except DatabaseError:
            # SQLite's full-text syntax (FTS5) refuses some queries with quotes or operators; the
            # database backend passes them on. Log it, answer with no results and a message.
            logger.warning("Search query refused by the search backend: %r", query, exc_info=True)
            error = _("Your search could not be carried out. Try other words, without quotation marks or symbols.")
            paginator = Paginator(Page.objects.none(), RESULTS_PER_PAGE)
            page_obj = paginator.get_page(1)
    return TemplateResponse(
        request,
        "search/search.html",
        {
            "search_query": query,
            "search_error": error,
            "page_obj": page_obj,
            "search_results": page_obj.object_list,
            "query_string": urlencode({"q": query}),
        },
    )
