"""Django settings for Careweave, configured by environment variables.

DATABASE_URL   database (default: SQLite file careweave.sqlite3 in the working directory)
SECRET_KEY     required when CAREWEAVE_DEBUG is off
ALLOWED_HOSTS  comma-separated (default: 127.0.0.1,localhost)
CAREWEAVE_DEBUG  "1" for development pages and tracebacks (default off)
CAREWEAVE_INSECURE_HTTP "1" to serve over plain http on loopback (demo, bench)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole number from the environment; a bad value is a clear message, not a crash."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}, "
                                   f"not {value!r}.")
    return number


def env_choice(name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first by default); anything else is a clear message."""
    value = os.environ.get(name, "").strip().lower() or choices[0]
    if value not in choices:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


DEBUG = env_flag("CAREWEAVE_DEBUG")
TESTING = env_flag("CAREWEAVE_TEST")
INSECURE_HTTP = env_flag("CAREWEAVE_INSECURE_HTTP", default=DEBUG or TESTING)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING or INSECURE_HTTP:
        SECRET_KEY = "careweave-insecure-development-key-do-not-use-in-production-0123456789"
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set SECRET_KEY (or CAREWEAVE_DEBUG=1 for development).")

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]
if TESTING:
    ALLOWED_HOSTS += ["testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "careweave.core",
    "careweave.orgs",
    "careweave.people",
    "careweave.access",
    "careweave.audit",
    "careweave.plans",
    "careweave.insights",
    "careweave.notes",
    "careweave.medicines",
    "careweave.assessments",
    "careweave.web",
    "careweave.api",
    "careweave.demo",
    "careweave.seed",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "careweave.core.middleware.RequestIdMiddleware",
    "careweave.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "careweave.api.middleware.BodyLimitMiddleware",
    "careweave.api.middleware.BearerFastLane",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "careweave.orgs.middleware.ActorMiddleware",
    "careweave.web.middleware.BodyLimitMiddleware",
    "careweave.access.middleware.AccessDeniedMiddleware",
]

ROOT_URLCONF = "careweave.urls"
WSGI_APPLICATION = "careweave.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "careweave.core.context_processors.careweave",
            ],
        },
    }
]

try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL", f"sqlite:///{Path.cwd() / 'careweave.sqlite3'}"),
            conn_max_age=env_int("CAREWEAVE_CONN_MAX_AGE", 60),
        )
    }
except ValueError:  # an unknown scheme or a malformed URL (never echoed: it may hold a password)
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "DATABASE_URL is not a database URL this service knows. Use "
        "sqlite:///path/to/file.sqlite3 or postgres://user:password@host:port/name.") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
        "CAREWEAVE_TEST_SQLITE", ""
    ) or None

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short interactive queries: PostgreSQL's JIT compiler costs 50-60 ms on a query it
    # guesses is expensive (the caseload's visibility checks) and saves nothing.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = (options.get("options", "") + " -c jit=off").strip()
    # Server-side parameters, so that psycopg prepares a statement it has run a few times
    # on a connection: the hot reads are the same few statements every time, and planning
    # them cost more than running them (bench/README.md). Off with CAREWEAVE_DB_PREPARE=0.
    if env_flag("CAREWEAVE_DB_PREPARE", default=True):
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 3)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = ["careweave.core.auth.StaffBackend"]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Fast hashing for the test suite only; production always uses Argon2 first.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "people:caseload"
LOGOUT_REDIRECT_URL = "web:login"

# Sessions: short idle timeout, renewed on each request.
SESSION_COOKIE_AGE = env_int("CAREWEAVE_SESSION_SECONDS", 30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE = not INSECURE_HTTP
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env_flag("CAREWEAVE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
FORMAT_MODULE_PATH = ["careweave.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("CAREWEAVE_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("CAREWEAVE_STATIC_ROOT", Path.cwd() / "staticfiles"))
STATICFILES_DIRS: list[Path] = [Path(__file__).resolve().parent / "static"]
WHITENOISE_USE_FINDERS = True

# Request bodies: one larger than this is refused with 413 before anything reads it (the
# API answers problem+json, pages a plain error page). Django's own limit on what it reads
# into memory is the same, so nothing larger is ever parsed.
MAX_BODY_BYTES = env_int("CAREWEAVE_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
# Uploaded attachments (stored by content hash, served only through gated views: no MEDIA_URL).
MEDIA_ROOT = Path(os.environ.get("CAREWEAVE_MEDIA_ROOT", Path.cwd() / "media"))
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# E-mail (staff invitations). The demo and development print messages on the console;
# anything else sends them through the SMTP server configured here.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG or INSECURE_HTTP
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
try:
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
except ValueError:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("EMAIL_PORT must be a port number.") from None
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_flag("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Careweave <careweave@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CAREWEAVE_LOG_LEVEL", "WARNING")},
}

# Careweave
CAREWEAVE = {
    # Break-glass access lasts this long unless the clinician ends it earlier.
    "BREAK_GLASS_HOURS": env_int("CAREWEAVE_BREAK_GLASS_HOURS", 4, minimum=1),
    # Emergency access to the same person: at most this many starts (renewals included) by
    # one user in 24 hours.
    "BREAK_GLASS_MAX_PER_DAY": env_int("CAREWEAVE_BREAK_GLASS_MAX_PER_DAY", 3, minimum=1),
    # Refused identifier lookups (create or change hitting a record the user may not see):
    # at most this many per user per hour, then the user must wait.
    "LOOKUP_REFUSALS_PER_HOUR": env_int("CAREWEAVE_LOOKUP_REFUSALS_PER_HOUR", 10, minimum=1),
    # Login lockout: this many failures within the window lock the account for the window.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
    # Audit can be turned off only for the benchmark's audit-overhead comparison.
    "AUDIT_ENABLED": not env_flag("CAREWEAVE_BENCH_AUDIT_OFF"),
    # Reads commit their audit row without waiting for the disk (docs/adr/0011); 1 to wait.
    "AUDIT_READS_DURABLE": env_flag("CAREWEAVE_AUDIT_READS_DURABLE"),
    # Audit events are sealed into their hash chain shortly after commit by `careweave audit
    # seal --follow` (CAREWEAVE_AUDIT_SEAL=after_commit, the default), or in the request
    # itself (=request), as before docs/adr/0012.
    "AUDIT_SEAL_IN_REQUEST": env_choice("CAREWEAVE_AUDIT_SEAL",
                                        ("after_commit", "request")) == "request",
    # An event still unsealed after this many seconds makes /healthz "degraded" and
    # `careweave audit verify` fail.
    "AUDIT_SEAL_MAX_DELAY": env_int("CAREWEAVE_AUDIT_SEAL_MAX_DELAY", 60, minimum=1),
    # An API token's lookup is kept this many seconds per worker on PostgreSQL, cleared at
    # once by NOTIFY on any change of tokens, memberships, users or organisations
    # (careweave/access/tokencache.py); 0 turns it off. Off in the test suite, whose
    # transactions never commit (so never notify); its own tests turn it on.
    "TOKEN_CACHE_SECONDS": env_int("CAREWEAVE_TOKEN_CACHE_SECONDS", 0 if TESTING else 10,
                                   minimum=0),
    # Hot reads send their statements in psycopg's pipeline mode on PostgreSQL
    # (careweave.core.db.pipelined): fewer round trips, the same statements.
    "DB_PIPELINE": env_flag("CAREWEAVE_DB_PIPELINE", default=True),
    # Bearer-token API requests skip the pages' middleware (careweave.api.middleware).
    "API_FAST_LANE": env_flag("CAREWEAVE_API_FAST_LANE", default=True),
    "PAGE_SIZE": 25,
    "MAX_BODY_BYTES": MAX_BODY_BYTES,
    # A staff invitation link works once, for this many days.
    "INVITATION_DAYS": env_int("CAREWEAVE_INVITATION_DAYS", 7, minimum=1),
    # Case-note attachments: the largest file accepted (bytes). A multipart upload may be
    # this much larger than MAX_BODY_BYTES (careweave.core.middleware.body_limit).
    "ATTACHMENT_MAX_BYTES": env_int("CAREWEAVE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024,
                                    minimum=1024),
}
# The virus-scan hook for attachments: a dotted path to a callable (careweave/notes/storage.py
# says what it gets and returns). The default accepts every file.
CAREWEAVE_ATTACHMENT_SCANNER = os.environ.get("CAREWEAVE_ATTACHMENT_SCANNER",
                                              "careweave.notes.storage.no_scan")
