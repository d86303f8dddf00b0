"""Settings for bulletin, read from environment variables.

Without any variables set the project runs in development mode: DEBUG on, a local SQLite
database, files under ./var/, e-mail printed to the console. Production is whatever sets
BULLETIN_SECRET_KEY: from then on DEBUG is off unless asked for, and the deployment
checks (`manage.py check --deploy`) pass. The README lists every variable.
"""

import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django_prose_editor.config import html_tags, process_figure, process_table
from js_asset import static_lazy

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


SECRET_KEY = env("BULLETIN_SECRET_KEY")
DEBUG = env_bool("BULLETIN_DEBUG", default=not SECRET_KEY)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("BULLETIN_SECRET_KEY must be set when BULLETIN_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("BULLETIN_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("BULLETIN_CSRF_TRUSTED_ORIGINS", [])

DATA_DIR = Path(env("BULLETIN_DATA_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "issues.desk.apps.DeskAdminConfig",  # django.contrib.admin, its index the editors’ desk
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_prose_editor",
    "csp",
    "django_tasks",
    "issues.apps.TaskResultsConfig",  # django-tasks-db: the database task queue
    "issues.apps.LoginAttemptsConfig",  # django-axes: login throttling (settings below)
    # Ground floor first, then what builds on it (see README, "Layout").
    "issues",
    "articles",
    "issues.typesetting",
    "issues.subscriptions",
    "issues.bundles",
    "articles.submissions",
    "articles.honoraria",
    "issues.proofs",
    "issues.circulation",
    "issues.desk",
]

MIDDLEWARE = [
    "issues.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # An ETag on every page (computed from the body as finally sent, cached pages too: a content change
    # changes it) and 304 without a body for a matching If-None-Match; nginx compresses after it.
    "django.middleware.http.ConditionalGetMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "issues.middleware.RevalidateMiddleware",  # Cache-Control: no-cache (private when signed in)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out sign-in into the 429 page
]

ROOT_URLCONF = "bulletin.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "issues.context_processors.periodical",
            ],
        },
    },
]

WSGI_APPLICATION = "bulletin.wsgi.application"

if not env("DATABASE_URL"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not its folder.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("BULLETIN_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several web processes and the task worker share one file: readers keep reading while one
    # writer writes (WAL), a write transaction takes the lock when it starts, not half-way
    # (IMMEDIATE, so it can wait instead of failing), and a writer waits for the lock up to
    # BULLETIN_SQLITE_TIMEOUT seconds instead of answering "database is locked" at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        timeout=int(env("BULLETIN_SQLITE_TIMEOUT", "20")),
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("BULLETIN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("BULLETIN_STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]

# Public uploads (covers, article images) live under MEDIA_ROOT; files that only
# authorised people may download (issue PDFs, manuscripts) live under PROTECTED_ROOT,
# which has no URL at all.
MEDIA_URL = env("BULLETIN_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env("BULLETIN_MEDIA_ROOT", str(DATA_DIR / "media")))
PROTECTED_ROOT = Path(env("BULLETIN_PROTECTED_ROOT", str(DATA_DIR / "protected")))

# The CMYK output intent of print PDFs (PDF/X-4); Debian's libgs-common installs this one.
PRINT_ICC_PROFILE = Path(env("BULLETIN_PRINT_ICC_PROFILE", "/usr/share/color/icc/ghostscript/default_cmyk.icc"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Whole public pages are cached (issues/caching.py); keys carry a content version kept in
# the database, so a per-process memory cache never serves a page older than the last edit.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "TIMEOUT": 300,
        "OPTIONS": {"MAX_ENTRIES": int(env("BULLETIN_PAGE_CACHE_ENTRIES", "5000"))},
    }
}

# Behind a reverse proxy, the header carrying the reader's address (e.g. X-Real-IP); institutional
# access and rate limits go by it. Empty: the connection's address (REMOTE_ADDR) as it is. The
# header counts only on connections from TRUSTED_PROXIES (CIDRs; by default this host, where
# nginx runs): from anywhere else it is a forgery and the connection's address is kept.
CLIENT_IP_HEADER = env("BULLETIN_CLIENT_IP_HEADER")
try:
    TRUSTED_PROXIES = [
        ipaddress.ip_network(cidr) for cidr in env_list("BULLETIN_TRUSTED_PROXIES", ["127.0.0.1/32", "::1/128"])
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"BULLETIN_TRUSTED_PROXIES must be comma-separated CIDRs: {error}") from None

# Readers' accounts and subscriptions.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "subscriptions:account"
LOGOUT_REDIRECT_URL = "home"
SUBSCRIPTION_AUTO_APPROVE = env_bool("BULLETIN_SUBSCRIPTION_AUTO_APPROVE", False)
SUBSCRIPTION_DAYS = int(env("BULLETIN_SUBSCRIPTION_DAYS", "365"))
# Print "仅供 <name>（<organisation>）使用" at the foot of each page of a subscriber's PDF.
PDF_STAMPING = env_bool("BULLETIN_PDF_STAMPING", False)
# nginx's `internal` location that maps to PROTECTED_ROOT (e.g. /_protected/); empty: Django streams files.
PROTECTED_ACCEL_PREFIX = env("BULLETIN_PROTECTED_ACCEL_PREFIX")
NOTICE_BATCH_SIZE = int(env("BULLETIN_NOTICE_BATCH_SIZE", "100"))
# send_review_reminders mails an outside expert this many days before the review is due (and once overdue).
REVIEW_REMINDER_DAYS = int(env("BULLETIN_REVIEW_REMINDER_DAYS", "3"))


# Brute-force limits. django-axes counts wrong passwords on both sign-in pages (/accounts/login/,
# /admin/login/), per account and per network address (REMOTE_ADDR as issues.middleware leaves it):
# after LOGIN_FAILURE_LIMIT of them even the right password is refused for LOGIN_LOCKOUT_MINUTES.
# Password-reset and confirmation e-mails go at most ACCOUNT_MAIL_LIMIT times an hour to one
# address and ACCOUNT_MAIL_IP_LIMIT times from one network address.
def env_positive_int(name, default):
    value = env(name, str(default))
    if not value.isdigit() or int(value) < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


LOGIN_FAILURE_LIMIT = env_positive_int("BULLETIN_LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_positive_int("BULLETIN_LOGIN_LOCKOUT_MINUTES", 15)
ACCOUNT_MAIL_LIMIT = env_positive_int("BULLETIN_ACCOUNT_MAIL_LIMIT", 3)
ACCOUNT_MAIL_IP_LIMIT = env_positive_int("BULLETIN_ACCOUNT_MAIL_IP_LIMIT", 20)
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "issues.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "issues.throttle.login_lockout_response"
# Tries during a lockout are refused without being written down: no row grows under a flood, and
# the lockout ends LOGIN_LOCKOUT_MINUTES after the failure that started it, as the page says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# End of brute-force limits.

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# The article body editor (django-prose-editor): our extensions in static/editor/bulletin-editor.js —
# Chinese menus, a table menu that toggles the header row, and images uploaded from the editor
# (articles/images.py). The processors say what HTML each one makes, as upstream's do for theirs.
DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {
        "js": [static_lazy("editor/bulletin-editor.js")],
        "extensions": {
            "BulletinMenu": html_tags([]),
            "BulletinTable": process_table,
            "BodyImage": process_figure,
        },
    }
]
# The largest image an editor may upload into an article body (below nginx's 11 MB body limit, so
# the editor shows our message rather than nginx's page).
BODY_IMAGE_MAX_BYTES = env_positive_int("BULLETIN_BODY_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
# End of the article body editor.

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = env(
    "BULLETIN_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("BULLETIN_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("BULLETIN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("BULLETIN_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("BULLETIN_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("BULLETIN_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("BULLETIN_EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("BULLETIN_DEFAULT_FROM_EMAIL", "bulletin@localhost")
# The site's public address, for links in e-mails sent outside a request.
SITE_URL = env("BULLETIN_SITE_URL", "http://127.0.0.1:8000")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Admin", address) for address in env_list("BULLETIN_ADMINS", [])]

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("BULLETIN_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("BULLETIN_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BULLETIN_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("BULLETIN_HSTS_PRELOAD", False)
    # Joining the browsers' HSTS preload list is a decision about the whole domain that is
    # hard to undo, so it is the operator's (BULLETIN_HSTS_PRELOAD), not a default.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Browser defences: a Content-Security-Policy (django-csp) and a Permissions-Policy
# (django-permissions-policy). Pages run only the site's own scripts and styles, show only its own
# images, and may not be framed or post elsewhere. The public site has no inline script or style;
# a nonce is added only where a page asks for one (the admin's article page, articles/admin.py).
# An absolute BULLETIN_MEDIA_URL (another host serving uploads) is allowed for images.
_media_origin = re.match(r"https?://[^/]+", MEDIA_URL)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, *([_media_origin.group(0)] if _media_origin else [])],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Nothing on the site uses these browser features; a script that got in could not either.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "bluetooth", "browsing-topics", "camera", "display-capture",
        "geolocation", "gyroscope", "hid", "magnetometer", "microphone", "midi", "payment",
        "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
}  # fmt: skip

# Background jobs (typesetting). "immediate" runs a job as soon as it is enqueued, in the
# same process; "database" queues it for `manage.py db_worker`, as production should.
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
_task_backend = env("BULLETIN_TASKS_BACKEND", "immediate")
if _task_backend not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"BULLETIN_TASKS_BACKEND must be one of {sorted(TASK_BACKENDS)}, not {_task_backend!r}")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[_task_backend]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("BULLETIN_LOG_LEVEL", "WARNING")},
}
