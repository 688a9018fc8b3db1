"""Django settings of the FIP service, driven by environment variables.

=========================== =============================================================
``FIP_SERVICE_DATA``        data folder (default ``./fip-service-data``): the SQLite file
                            ``fip-service.sqlite3`` lives there when no database URL is set
``FIP_DATABASE_URL``        ``postgresql://user:password@host:port/name`` for PostgreSQL
``FIP_SERVICE_SECRET_KEY``  Django's secret key (``fip serve`` keeps one in the data folder)
``FIP_PSEUDONYM_KEY``       key of the CPR pseudonyms (:mod:`fip.store.pseudonymise`)
``FIP_ALLOWED_HOSTS``       comma-separated host names (default ``127.0.0.1,localhost``)
``FIP_SECURE_COOKIES``      ``1`` behind HTTPS: session and CSRF cookies marked Secure
``FIP_CASEWORKER_SCOPE``    ``own`` (default: a caseworker sees their own citizens) or
                            ``municipality`` (all citizens of their municipality)
``FIP_TRANSLATIONS``        folder of translation files of the citizen form
                            (:mod:`fip.translation`; default: none, only Danish and English)
``FIP_API_RATE_LIMIT``      API requests per token and window (default 120;
                            :mod:`fip.service.ratelimit`)
``FIP_API_RATE_WINDOW``     the window in seconds (default 60)
``FIP_DEBUG``               ``1`` for Django's debug pages (never in production)
=========================== =============================================================

Importing this module writes nothing; without a secret key it uses a random one (sessions
then end when the process stops).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from fip.errors import FipError

HERE = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("FIP_SERVICE_DATA", "fip-service-data")).resolve()


def database_from_url(url: str) -> dict:
    """Django ``DATABASES['default']`` from a ``postgresql://`` or ``sqlite:///path`` URL.

    Examples
    --------
    >>> d = database_from_url("postgresql://fip:s3cret@127.0.0.1:5432/fip")
    >>> d["ENGINE"], d["NAME"], d["USER"], d["PORT"]
    ('django.db.backends.postgresql', 'fip', 'fip', '5432')
    >>> database_from_url("sqlite:////tmp/x.sqlite3")["NAME"]
    '/tmp/x.sqlite3'
    """
    parts = urlparse(url)
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
        }
    if parts.scheme == "sqlite":
        # sqlite:///relative.db, sqlite:////absolute/path.db
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path[1:])}
    # the URL may hold a password: name the scheme only
    raise FipError(f"FIP_DATABASE_URL: expected postgresql://user:password@host:port/name or "
                   f"sqlite:///path; got a URL of scheme {parts.scheme!r}")


SECRET_KEY = os.environ.get("FIP_SERVICE_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = os.environ.get("FIP_DEBUG") == "1"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("FIP_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CASEWORKER_SCOPE = os.environ.get("FIP_CASEWORKER_SCOPE", "own")
FIP_TRANSLATIONS = os.environ.get("FIP_TRANSLATIONS") or None
if CASEWORKER_SCOPE not in ("own", "municipality"):
    raise FipError(f"FIP_CASEWORKER_SCOPE must be 'own' or 'municipality'; got {CASEWORKER_SCOPE!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "fip.service.apps.FipServiceConfig",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "fip.service.middleware.ContentSecurityPolicy",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "fip.service.urls"
WSGI_APPLICATION = "fip.service.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.template.context_processors.i18n",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "fip.service.access.role_context",
    ]},
}]

if os.environ.get("FIP_DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["FIP_DATABASE_URL"])}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "fip-service.sqlite3"),
                             "OPTIONS": {"timeout": 20}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
#: The citizen page's chance and star per version of the citizen's data (fip.service.citizen_cache):
#: under ``fip serve`` (a data folder given) files in ``DATA_DIR/cache`` (owner-only), shared by the
#: worker processes; otherwise in memory.
if os.environ.get("FIP_SERVICE_DATA"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(DATA_DIR / "cache"), "OPTIONS": {"MAX_ENTRIES": 20_000}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fip"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
#: Failed logins per user name (or per client address) within LOGIN_FAILURE_WINDOW seconds
#: after which further attempts are refused until the window has passed.
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW = 15 * 60



def _positive(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise FipError(f"{name}: expected a whole number of at least 1; got {raw!r}")
    return int(raw)


#: API rate limit per token: at most API_RATE_LIMIT requests in any API_RATE_WINDOW seconds
#: (a sliding window, logged in the database, so shared by every server process).
API_RATE_LIMIT = _positive("FIP_API_RATE_LIMIT", 120)
API_RATE_WINDOW = _positive("FIP_API_RATE_WINDOW", 60)

LANGUAGE_CODE = "da"
LANGUAGES = [("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [HERE / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Copenhagen"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = os.environ.get("FIP_SECURE_COOKIES") == "1"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
#: Uploads: at most this many bytes in memory per request body (Django refuses larger ones).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Request paths hold internal row numbers only, never a CPR number or person id; Django's
# request logger is kept at WARNING so nothing else of a request reaches the log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": "WARNING"},
                "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
