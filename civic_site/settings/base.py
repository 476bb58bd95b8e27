"""Settings shared by every environment. Secure by default; dev.py loosens, production.py demands."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent

DEBUG = False
ALLOWED_HOSTS: list[str] = []


def env_list(name, default=""):
    """A comma-separated environment variable as a list, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def when_set(name, build):
    """Optional services switch on only when their variable is set: return build(value) or None."""
    value = os.environ.get(name, "").strip()
    return build(value) if value else None


INSTALLED_APPS = [
    "civic_site",  # wires every app: seed_demo, date formats and filters, system checks
    "accounts",
    "home",
    "consultations",
    "search",
    "feedback",  # "How clear is this page?" under every page (C.SI.2.5), its answers and report
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    # Translation (NOT wagtail.locales: same app label as wagtail_localize.locales)
    "wagtail_localize",
    "wagtail_localize.locales",
    "wagtailgeowidget",
    "modelcluster",
    "taggit",
    "django_filters",
    "csp",
    # Background work through Django's tasks interface (django-tasks, which Wagtail uses too); the
    # database backend's app (its table of queued tasks, the db_worker command) for production.
    "django_tasks",
    "django_tasks_db",
    # Citizens' comments (django-comments-xtd on django-contrib-comments)
    "django_comments_xtd",
    "django_comments",
    # After the comment apps: its ready() replaces one of their signal handlers.
    "participation",
    # Citizens' accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",  # two-factor: required for Moderators, Results and administrators (accounts/mfa.py)
    # SPID and CIE logins through an OpenID Connect gateway (accounts/identity_providers.py)
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (strict on the site, looser under /admin/) and Permissions-Policy
    "civic_site.middleware.ContentSecurityPolicyMiddleware",
    "civic_site.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML compressed (static files are pre-compressed by whitenoise, which answers before this);
    # Django's gzip pads responses against BREACH and CSRF tokens are masked per request.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Whole pages for anonymous visitors from the shared cache (civic_site/pagecache.py): a hit skips
    # everything below; what is above still runs on it (security headers, CSP, compression).
    "civic_site.pagecache.AnonymousPageCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication and messages: staff who must use two-factor set it up before the admin.
    "accounts.mfa.StaffTwoFactorMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Where a URL leads, from the cache: one query instead of two per level of the tree.
    "civic_site.routing.CachedRoutingMiddleware",
]

ROOT_URLCONF = "civic_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "civic_site.wsgi.application"

# Database: SQLite file by default, PostgreSQL (or any dj-database-url URL) from DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    INSTALLED_APPS.append("django.contrib.postgres")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers on SQLite: WAL lets readers go on while one connection writes; IMMEDIATE
    # takes the write lock when a transaction starts, so a transaction never has to upgrade a read
    # lock (SQLite refuses that at once with "database is locked", whatever the timeout); the
    # timeout (seconds) is how long a writer waits for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and sessions: Redis when REDIS_URL is set, local memory otherwise (one server process only:
# SINGLE_SERVER, civic_site/checks.py). Room for the stored pages and sessions of a city-sized site.
CACHES = {
    "default": when_set(
        "REDIS_URL",
        lambda url: {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
    )
    or {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}
}
# Sessions are read from the cache (a logged-in page asks the database one query less) and written to
# both: the database keeps them when the cache drops one. The cache is Redis, shared by every server,
# or one process's own memory, which SINGLE_SERVER allows only with one process.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Whole pages for anonymous visitors (civic_site/pagecache.py): dropped at once when what they show
# changes (publishing, moderation, votes, comments...), and after TIMEOUT seconds at the latest.
PAGE_CACHE = {
    "ENABLED": os.environ.get("PAGE_CACHE", "true").strip().lower() != "false",
    "TIMEOUT": int(os.environ.get("PAGE_CACHE_TIMEOUT", "600")),
    # Longer query strings (made-up search terms, junk parameters) are rendered, never stored.
    "MAX_QUERY_STRING": 200,
}
# One server process serves the site (development, tests): nothing needs to be shared between
# processes. production.py reads it from the environment; see civic_site/checks.py.
SINGLE_SERVER = True

# Users: one model for editors and citizens.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Django's ModelBackend, with each user's permissions kept in the shared cache (accounts/backends.py)
    "accounts.backends.CachedPermissionsBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# django-allauth: citizens sign up with email + password and must verify the address.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.CitizenSignupForm"
ACCOUNT_ADAPTER = "accounts.adapter.CitizenAccountAdapter"
ACCOUNT_USER_DISPLAY = "accounts.models.user_display"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Torino Partecipa] "
# allauth's rate limits, all spelled out so that a change of allauth's defaults cannot loosen
# them unnoticed. Counters live in the cache (Redis in production: shared by every worker).
# "ip" counts per client address, "key" per account (the email typed in), "user" per signed-in user.
# login_failed: 10 failures a minute from one address, across all accounts; 5 failures in 5 minutes
# on one account, from any address, after which even the right password is refused until the
# oldest failure is 5 minutes old. Someone else's guesses can so lock a citizen out for at most
# 5 minutes at a time (failures refused meanwhile are not counted), and a password reset
# clears the account's counter at once.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/h/ip",  # sign-up attempts from one address (allauth's default, 20 a minute, is far looser)
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
# Behind a load balancer every request comes from its address: the client's is read from X-Forwarded-For,
# but only when the request came from one of these proxies (addresses or CIDR networks, comma-separated in
# TRUSTED_PROXIES; none by default). civic_site/client_ip.py reads it for everything that needs the client's
# address: allauth's limits too (accounts/adapter.py), or per-IP limits would count the whole city as one client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")


def check_trusted_proxies(entries):
    import ipaddress

    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network.") from None
    if os.environ.get("TRUSTED_PROXY_COUNT", "").strip() not in ("", "0"):
        raise ImproperlyConfigured(
            "TRUSTED_PROXY_COUNT is replaced by TRUSTED_PROXIES: list the load balancers' addresses or networks."
        )


check_trusted_proxies(TRUSTED_PROXIES)
# SPID and CIE (accounts/identity_providers.py, README "SPID and CIE"): through an OpenID Connect gateway that
# speaks plain OIDC for the national federation (Piedmont's regional identity gateway, a SPID/CIE proxy), with
# allauth's generic provider. spid-cie-oidc itself needs Django < 5. Each provider is on only when its
# <NAME>_OIDC_SERVER_URL is set; without it its button is hidden and its login URL answers 404.
IDENTITY_PROVIDERS = {"spid": "SPID", "cie": "CIE"}  # allauth provider_id: name (also the verification method)
# The claims each login needs: the codice fiscale, and what a page's rules may ask (age). Asked for with the
# standard OIDC "claims" parameter too, for gateways that release only what is named.
IDENTITY_CLAIMS = ["fiscal_number", "given_name", "family_name", "birthdate"]


def oidc_identity_apps(environ):
    """allauth's openid_connect apps for the identity providers configured in ``environ``: PKCE on, the claims
    asked for, the userinfo read. A server URL without a client id is a mistake, not a hidden button."""
    import json

    claims = json.dumps(
        {where: dict.fromkeys(IDENTITY_CLAIMS, {"essential": True}) for where in ("id_token", "userinfo")}
    )
    apps = []
    for provider_id, name in IDENTITY_PROVIDERS.items():
        prefix = provider_id.upper() + "_OIDC_"
        server_url = environ.get(prefix + "SERVER_URL", "").strip()
        if not server_url:
            continue
        client_id = environ.get(prefix + "CLIENT_ID", "").strip()
        if not client_id:
            raise ImproperlyConfigured(f"{prefix}SERVER_URL is set: set {prefix}CLIENT_ID (and {prefix}CLIENT_SECRET).")
        apps.append(
            {
                "provider_id": provider_id,
                "name": name,
                "client_id": client_id,
                "secret": environ.get(prefix + "CLIENT_SECRET", "").strip(),
                "settings": {
                    "server_url": server_url,
                    "oauth_pkce_enabled": True,
                    "fetch_userinfo": True,
                    "scope": environ.get(prefix + "SCOPE", "openid profile").split(),
                    "auth_params": {"claims": claims},
                },
            }
        )
    return apps


SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": oidc_identity_apps(os.environ)}}
SOCIALACCOUNT_ADAPTER = "accounts.adapter.CitizenSocialAccountAdapter"
# A SPID or CIE login makes its account at once (no sign-up form to fill in with a made-up username). An email
# the gateway gives is kept only if no other account has it (else the account is made without one) and is not
# taken as verified; logging in with SPID or CIE never waits for an email to be confirmed: the identity is the proof.
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_QUERY_EMAIL = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False  # the gateway's tokens are used once, at login, and never kept
# Two-factor authentication (allauth.mfa): an authenticator app (TOTP) and recovery codes. Required
# before the admin for the roles in TWO_FACTOR_REQUIRED_GROUPS and superusers, optional
# for everyone else from their profile. Security keys (WebAuthn) are not offered.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Torino Partecipa"
# Offices: reporters' contacts; Registry: verifies residents (accounts/census_admin.py)
TWO_FACTOR_REQUIRED_GROUPS = ["Moderators", "Results", "Offices", "Registry"]
# The official accessibility statement, published on AgID's form site (https://form.agid.gov.it/view/…): the
# footer's "Dichiarazione di accessibilità" links there (Modello Comuni C.SI.3.2). Unset, it links to the site's
# own statement page (the site links setting), which summarises the official one and links to it.
ACCESSIBILITY_STATEMENT_URL = os.environ.get("ACCESSIBILITY_STATEMENT_URL", "").strip()

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Torino Partecipa <noreply@partecipa.torino.it>")

# Languages: Italian is the default locale, English the second.
LANGUAGE_CODE = "it"
LANGUAGES = [("it", "Italiano"), ("en", "English")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
# A translation is reviewed before it goes live: new translations start as drafts.
WAGTAILLOCALIZE_SYNC_LIVE_STATUS_ON_TRANSLATE = False
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as people write them: British English, Italian (civic_site/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["civic_site.formats"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

# Static and media files
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
# Django serves MEDIA_ROOT itself (civic_site.views.media) only where nothing in front does: see production.py.
SERVE_MEDIA = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email: an SMTP server when EMAIL_HOST is set, the console otherwise.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "true").lower() == "true"

# Security defaults (production.py adds HTTPS-only settings)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # Wagtail admin JS reads it
X_FRAME_OPTIONS = "DENY"  # Wagtail marks its own preview views SAMEORIGIN
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Wagtail
WAGTAIL_SITE_NAME = "Torino Partecipa"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "ods", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_ALLOW_UNICODE_SLUGS = False
# Editors' own review comments; never "comments" (clashes with citizens' comments).
WAGTAILADMIN_COMMENTS_ENABLED = True
# One login for everyone: allauth's. Wagtail's admin login and password reset are replaced in
# civic_site/urls.py (they had no rate limits and let unverified accounts in).
WAGTAILADMIN_LOGIN_URL = "admin_login"
WAGTAIL_FRONTEND_LOGIN_URL = LOGIN_URL
WAGTAIL_PASSWORD_RESET_ENABLED = False
# Passwords change on allauth's rate-limited page too (/<lang>/accounts/password/change/), not in the
# admin's account settings, which have no limit on guesses of the current password.
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
# No Gravatar in the admin: it would send a hash of each editor's email to a third party (and the
# admin's Content-Security-Policy allows images from our own origin only); Wagtail shows its default avatar.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Nor does the admin dashboard ask releases.wagtail.org for a newer Wagtail: versions are pinned in
# requirements.txt and upgraded by developers, and the admin's policy allows no third-party connections.
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Maps: wagtailgeowidget's Leaflet panel in the admin (Leaflet itself from static/vendor/leaflet).
# Map tiles are the only third-party requests (OpenStreetMap); say so in the privacy notice.
GEO_WIDGET_DEFAULT_LOCATION = {"lat": 45.0703, "lng": 7.6869}  # Turin
GEO_WIDGET_ZOOM = 12
GEO_WIDGET_LEAFLET_TILE_LAYER = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS = {
    "attribution": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    "maxZoom": 19,
}


def origin_of(url_template):
    """`scheme://host` of a URL template such as a tile layer's (a `{s}.` subdomain placeholder becomes `*.`)."""
    parts = urlsplit(url_template.replace("{s}.", "*."))
    return f"{parts.scheme}://{parts.netloc}"


# The one place the tile host comes from: the Content-Security-Policy below allows it in img-src.
MAP_TILE_ORIGIN = origin_of(GEO_WIDGET_LEAFLET_TILE_LAYER)
# Players a VideoBlock may embed (the block's help text names YouTube and Vimeo).
VIDEO_EMBED_ORIGINS = ["https://www.youtube.com", "https://www.youtube-nocookie.com", "https://player.vimeo.com"]

# Content-Security-Policy (django-csp 4; civic_site/middleware.py). The public site runs no inline
# script or style: every script and stylesheet is a file of ours. Our Bootstrap Italia build
# (static/js/bootstrap-italia-site.min.js, frontend/README.md) leaves out video.js, whose <style>
# elements the full bundle inserted, so no style needs a hash (tests/test_frontend.py checks the build
# inserts none). data: images and the data: font are inside Bootstrap Italia's CSS (icons, video.js's icon font).
_SELF, _NONE = "'self'", "'none'"
IDENTITY_GATEWAY_ORIGINS = sorted(
    {origin_of(app["settings"]["server_url"]) for app in SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]}
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:", MAP_TILE_ORIGIN],
        "font-src": [_SELF, "data:"],
        "connect-src": [_SELF],
        "media-src": [_SELF],
        "frame-src": VIDEO_EMBED_ORIGINS,
        "object-src": [_NONE],
        "base-uri": [_SELF],
        # The SPID and CIE buttons post to our login URL, which redirects to the gateway: browsers check a
        # form's redirects against form-action too.
        "form-action": [_SELF, *IDENTITY_GATEWAY_ORIGINS],
        "frame-ancestors": [_NONE],
    },
}
# Wagtail's admin (and its page previews) still writes inline scripts (date pickers, inline panels)
# and style attributes: under these prefixes this policy replaces the one above. It still keeps
# everything on our own origin, plus the map tiles for the location panel.
CONTENT_SECURITY_POLICY_ADMIN = {
    "URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "script-src": [_SELF, "'unsafe-inline'"],
        "style-src": [_SELF, "'unsafe-inline'"],
        "img-src": [_SELF, "data:", "blob:", MAP_TILE_ORIGIN],
        # Wagtail shows page previews in a frame of its own.
        "frame-src": [_SELF, *VIDEO_EMBED_ORIGINS],
        "frame-ancestors": [_SELF],
    },
}
# Permissions-Policy: what the site's pages (and frames in them) may ask the browser for. An empty
# list denies the feature; "self" lets our own pages use it (maps may locate the citizen later).
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    "camera": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}

# Citizens' comments: django-comments-xtd's model and threading, our own posting views
# (verified citizens only, rate-limited, language recorded) in participation/comments.py.
SITE_ID = 1
COMMENTS_APP = "django_comments_xtd"
COMMENTS_XTD_MODEL = "participation.models.ParticipationComment"
COMMENT_MAX_LENGTH = 3000
COMMENTS_XTD_MAX_THREAD_LEVEL = 2  # a comment, its replies, and replies to those
COMMENTS_XTD_CONFIRM_EMAIL = False  # only signed-in citizens with a verified email post
COMMENTS_XTD_THREADED_EMAILS = False
COMMENTS_XTD_APP_MODEL_OPTIONS = {
    "default": {"who_can_post": "users", "allow_flagging": True, "allow_feedback": True, "show_feedback": True},
}
# Threads (a comment and its replies) per page of discussion, newest first.
COMMENTS_THREADS_PER_PAGE = 20

# Rate limits on what citizens write, one entry per action, in allauth's format
# ("amount/period/per", several separated by commas; period s, m, h or d; per "user" or "ip").
# Counted per signed-in citizen and per client address (civic_site/client_ip.py: X-Forwarded-For from
# TRUSTED_PROXIES only, as for allauth) in the shared cache, in fixed windows aligned on the clock; a refused
# request gets a 429 with Retry-After and the message in the citizen's language.
# participation/core/ratelimit.py reads it; every new kind of participation adds its action here
# ("" for none). The per-IP limits are looser: a school, an office or a mobile network shares one address.
PARTICIPATION_RATE_LIMITS = {
    "comment": "5/10m/user,20/10m/ip",
    "reaction": "60/10m/user,200/10m/ip",
    "report": "10/10m/user,30/10m/ip",
    "vote": "30/10m/user,200/10m/ip",
    "idea": "5/1h/user,30/1h/ip",
    "support": "60/10m/user,200/10m/ip",
    # Putting projects in a budget basket and taking them out (casting the ballot counts as "vote").
    "basket": "120/10m/user,400/10m/ip",
    # Neighbourhood reports sent (a "me too" counts as "support"; Open311 clients have their own keys).
    "problem": "5/1h/user,30/1h/ip",
    # Answers to "How clear is the information on this page?" (feedback/): anonymous, so per address only.
    "feedback": "10/1h/ip",
    # The census check of "Verify your account" (participation/verification.py): every attempt counts, so nobody
    # can try codici fiscali against the register of residents.
    "verify": "5/1h/user,20/1h/ip",
    # Joining a collaboration pact and signing up for its activities (participation/pacts.py).
    "signup": "20/1h/user,60/1h/ip",
    # Activities proposed for a collaboration pact (participation/pact_proposals.py).
    "proposal": "5/1d/user,20/1d/ip",
}

# Neighbourhood reports: photos of a report not yet sent wait here, outside MEDIA_ROOT (never public);
# the reporter is asked "is it fixed?" this many weeks after "resolved" (send_report_questionnaires).
REPORT_DRAFTS_ROOT = Path(os.environ.get("REPORT_DRAFTS_ROOT", BASE_DIR / "var" / "report-drafts"))
REPORT_QUESTIONNAIRE_WEEKS = int(os.environ.get("REPORT_QUESTIONNAIRE_WEEKS", "4"))

# Background work (big exports; Wagtail's own tasks): "immediate" runs each task inside the request that
# asks for it (development: `make run` needs no worker), "database" queues it for `manage.py db_worker`
# (production.py's default; README, "Background tasks"). TASKS_BACKEND switches.
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}


def tasks_setting(default):
    """TASKS for the backend named by TASKS_BACKEND (``default`` when unset)."""
    name = os.environ.get("TASKS_BACKEND", "").strip().lower() or default
    if name not in TASK_BACKENDS:
        raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {name!r}.")
    return {"default": {"BACKEND": TASK_BACKENDS[name]}}


TASKS = tasks_setting("immediate")

# Results exports prepared in the background (participation/export_tasks.py): exports of more rows than
# RESULTS_BACKGROUND_ROWS are written here, outside MEDIA_ROOT (never public: served only through the
# permission-checked admin view), and deleted after RESULTS_EXPORTS_DAYS days.
RESULTS_EXPORTS_ROOT = Path(os.environ.get("RESULTS_EXPORTS_ROOT", BASE_DIR / "var" / "results-exports"))
RESULTS_EXPORTS_DAYS = int(os.environ.get("RESULTS_EXPORTS_DAYS", "7"))
RESULTS_BACKGROUND_ROWS = int(os.environ.get("RESULTS_BACKGROUND_ROWS", "20000"))

# "Download my data" (accounts/data_export.py): each citizen's ZIP is written here, outside MEDIA_ROOT (never
# public: served only to its owner, signed in), and deleted after PERSONAL_EXPORTS_DAYS days; a citizen may
# ask for one every PERSONAL_EXPORTS_INTERVAL seconds.
PERSONAL_EXPORTS_ROOT = Path(os.environ.get("PERSONAL_EXPORTS_ROOT", BASE_DIR / "var" / "personal-exports"))
PERSONAL_EXPORTS_DAYS = int(os.environ.get("PERSONAL_EXPORTS_DAYS", "7"))
PERSONAL_EXPORTS_INTERVAL = 3600
# IP addresses stored for abuse handling (comments...) are cleared this many days after they were stored
# (`manage.py purge_ip_addresses`, daily; the privacy page says 12 months).
IP_RETENTION_DAYS = int(os.environ.get("IP_RETENTION_DAYS", "365"))

# Verified residents (accounts/residents.py): the secret key of the keyed hash that stands for a person's
# codice fiscale (in resident verifications and the imported register of residents). Set once and keep it:
# changing it makes every verification and imported resident unmatchable. Without it, development derives
# one from SECRET_KEY; production refuses to start with imported residents and no key (civic_site/checks.py).
RESIDENT_IDENTITY_KEY = os.environ.get("RESIDENT_IDENTITY_KEY", "").strip()

# Demo content may be created (seed_demo); production.py turns this off.
ALLOW_DEMO_CONTENT = True

SITE_DISPLAY_NAME = _("Torino Partecipa")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Open data (participation/open_data.py): each closed process's results as a ZIP, built once and kept here
# (not public media: served by the view, which checks the process is published), and who publishes them in
# the DCAT-AP_IT catalogue (the City's code in the Italian public administration index, IPA).
OPEN_DATA_ROOT = Path(os.environ.get("OPEN_DATA_ROOT", BASE_DIR / "var" / "open-data"))
OPEN_DATA_FORMAT_VERSION = "1"  # bump when the files' layout changes: every kept ZIP is rebuilt
OPEN_DATA_PUBLISHER = {"name": "Comune di Torino", "ipa": "c_l219"}
