from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts import my_data
from accounts import views as account_views
from accounts.my_participation import my_participation
from consultations import views as consultation_views
from participation import following, open_data, verification
from search import views as search_views

from .views import calendar_file, healthz, ideas_feed, root_redirect
from .views import media as media_view

# allauth's rate limits (sign-up, login, password reset) answer through this: 429 with Retry-After.
handler429 = "civic_site.ratelimit.too_many_requests"
handler500 = "civic_site.views.server_error"

urlpatterns = [
    path("", root_redirect, name="root"),
    path("healthz", healthz, name="healthz"),
    # One login for everyone, allauth's (rate-limited, verified emails only): these come before
    # Wagtail's admin URLs and replace its login and password-reset forms.
    path("admin/login/", account_views.admin_login, name="admin_login"),
    path(
        "admin/password_reset/",
        RedirectView.as_view(pattern_name="account_reset_password"),
        name="admin_password_reset",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/setlang/", set_language, name="set_language"),
    # Open311 GeoReport v2 (participation/open311.py): neighbourhood reports for other apps, no language prefix.
    path("open311/v2/", include("participation.open311")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
else:
    # Uploaded files on a single box (SERVE_MEDIA; see civic_site.views.media): a 404 when it is off.
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", media_view, name="media"))

urlpatterns += i18n_patterns(
    path("search/", search_views.search, name="search"),
    path("accounts/profile/", account_views.profile, name="accounts_profile"),
    path("accounts/participation/", my_participation, name="accounts_participation"),
    # Following processes and notifications (participation/following.py): preferences, follow, unsubscribe.
    path("accounts/notifications/", following.preferences_view, name="notification_preferences"),
    path("notifications/", include(following)),
    # Download my data, delete my account (accounts/my_data.py)
    path("accounts/data/", my_data.data_view, name="accounts_data"),
    path("accounts/data/<str:token>/", my_data.data_download_view, name="accounts_data_download"),
    path("accounts/delete/", my_data.delete_view, name="accounts_delete"),
    path("accounts/delete/done/", my_data.deleted_view, name="accounts_deleted"),
    # Verify your account as a resident: SPID/CIE, the census check, the desk (participation/verification.py).
    path("accounts/verify/", verification.verify_view, name="accounts_verify"),
    path("accounts/", include("allauth.urls")),
    path("comments/", include("participation.urls")),
    # "How clear is the information on this page?" (feedback/views.py): the answers, with or without JavaScript.
    path("page-feedback/", include("feedback.urls")),
    # Wagtail's front-end login (for private pages) is a plain Django LoginView: send it to allauth's.
    path("_util/login/", RedirectView.as_view(pattern_name="account_login", query_string=True)),
    # Open data of an idea map (<map url>ideas.geojson) and of a reporting page (<page url>reports.geojson),
    # served by the page's own route (participation/ideas.py, participation/reports.py).
    re_path(r"^((?:[\w\-]+/)*)(ideas|reports)\.geojson$", ideas_feed, name="ideas_feed"),
    # Calendars of a collaboration pact (<pact url>calendar.ics, <pact url>activities/<id>.ics), served by the
    # page's own routes (participation/pacts.py).
    re_path(r"^((?:[\w\-]+/)*)(calendar|\d{1,18})\.ics$", calendar_file, name="calendar_file"),
    # Open data (participation/open_data.py): /it/dati/, /en/data/, the DCAT-AP_IT catalogue, each closed
    # process's results as a ZIP.
    path(_("data/"), include(open_data.urls())),
    # The topics page (consultations/views.py): /it/argomenti/, /en/topics/ (criterion C.SI.1.5).
    path(consultation_views.ROUTE, consultation_views.topics_view, name="topics"),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)
