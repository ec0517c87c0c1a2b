"""Settings, read from the environment (and, in a checkout, from `.env`).

Defaults make `make run` work with no configuration: SQLite, media on local disk,
Redis on localhost, and the sandbox as the Recraft API. Secrets have no defaults:
`make` writes a `.env` with freshly generated ones on first use.

Production is the default: with `DJANGO_DEBUG` off, HTTPS redirects, HSTS, Secure
cookies and a strict Content-Security-Policy are on unless a documented variable
turns one off (README, "Running it for a team").
"""

import os
from datetime import timedelta
from pathlib import Path

import environ

from recraft_studio.recraft import catalog

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# `DJANGO_ENV_FILE` names the file of variables to read; empty reads none. The image
# sets it empty, so a `.env` that slipped into a build could never be read.
ENV_FILE = os.environ.get("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    env.read_env(ENV_FILE, overwrite=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "recraft_studio.core",
    "recraft_studio.accounts",
    "recraft_studio.workspaces",
    "recraft_studio.brand",
    "recraft_studio.assets",
    "recraft_studio.jobs",
    "recraft_studio.audit",
]

MIDDLEWARE = [
    # First: answers /healthz and /readyz before host checks and HTTPS redirects, so
    # a container's health check works whatever the public host name is.
    "recraft_studio.core.middleware.HealthMiddleware",
    "recraft_studio.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "recraft_studio.urls"
WSGI_APPLICATION = "recraft_studio.wsgi.application"

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
                "recraft_studio.core.context_processors.studio",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file in `make run`: wait for locks, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection kept for a minute saves every request and task the connection
    # set-up (a few ms of a gallery page's budget); health checks drop one that died.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out account or address before any password
# is checked; ModelBackend then signs people in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- sign-in throttling (django-axes) --------------------------------------------------
# After SIGNIN_FAILURE_LIMIT failures, the account is locked (whatever the address),
# and so is the address (whatever the account), for SIGNIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "recraft_studio.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "recraft_studio.accounts.network.client_ip"
AXES_USERNAME_CALLABLE = "recraft_studio.accounts.network.attempted_username"
# Proxies in front of the web process that append to X-Forwarded-For (0: none, so
# the socket's address is the client's and the header, which anyone can send, is
# ignored).
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
AXES_VERBOSE = False

# --- sessions ---------------------------------------------------------------------------
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=7 * 24 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=False)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "var" / "static")
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "var" / "media")

# --- storage: local files by default, S3 (MinIO, SeaweedFS, AWS) when a bucket is set ---
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("S3_REGION", default="us-east-1"),
            # Objects are private: the studio serves them after checking membership.
            "default_acl": None,
            "querystring_auth": True,
            # Keys are content-addressed: writing a key again writes the same bytes.
            "file_overwrite": True,
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path"),
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "allow_overwrite": True},
    }
STORAGES = {
    "default": _default_storage,
    # Production sets whitenoise.storage.CompressedManifestStaticFilesStorage (it
    # needs `collectstatic`); development and tests serve the files as they are.
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND", default="django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploads above this stay on disk while a request is handled, not in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
# Form fields (files aside) together; every text field has a bound of its own well
# below this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A request body larger than this is refused (413) before it is read: the largest
# upload the studio reads (50 MB, to offer scaling it down) and the form around it.
MAX_REQUEST_BYTES = 51 * 1024 * 1024

# --- Redis and Celery ---------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task that is not acknowledged within this time is handed to another worker; it
# must outlast the longest task, or a slow job would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 30 * 60}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="studio")
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-uploads": {
        "task": "recraft_studio.assets.tasks.pending_uploads_sweep",
        "schedule": 60 * 60.0,
    },
    "check-balances": {
        "task": "recraft_studio.jobs.tasks.balances_check",
        "schedule": env.float("RECRAFT_BALANCE_CHECK_EVERY_SECONDS", default=10 * 60.0),
    },
    # The library: images deleted TRASH_DAYS ago leave the trash and the storage;
    # exports past their link's expiry leave the storage.
    "purge-trash": {
        "task": "recraft_studio.assets.tasks.trash_purge_expired",
        "schedule": 60 * 60.0,
    },
    "sweep-expired-exports": {
        "task": "recraft_studio.assets.tasks.exports_sweep",
        "schedule": 60 * 60.0,
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "studio",
    }
}

# --- the Recraft API -------------------------------------------------------------------
# Without a token the studio talks to the local sandbox, and every page says so.
RECRAFT_API_TOKEN = env.str("RECRAFT_API_TOKEN", default="")
RECRAFT_SANDBOX = not RECRAFT_API_TOKEN
SANDBOX_PORT = env.int("SANDBOX_PORT", default=8765)
SANDBOX_TOKEN = env.str("SANDBOX_TOKEN", default="sandbox-token")
RECRAFT_API_BASE = env.str("RECRAFT_API_BASE", default="") or (
    f"http://127.0.0.1:{SANDBOX_PORT}/v1" if RECRAFT_SANDBOX else catalog.API_BASE
)
RECRAFT_RATE_LIMIT_PER_MINUTE = env.int(
    "RECRAFT_RATE_LIMIT_PER_MINUTE", default=catalog.RATE_LIMIT_PER_MINUTE
)
# A permit counts until this long after the window from the moment its call leaves:
# the API dates a call when it arrives. 0.25 s held 0 HTTP 429s on loopback (see
# docs/performance.md); with the API across the internet, use its one-way latency.
RECRAFT_RATE_MARGIN_SECONDS = env.float("RECRAFT_RATE_MARGIN_SECONDS", default=0.25)
# Images an account may start at once before pacing (limit/60 a second) applies; 0 for
# the default (a fifth of the limit, at least 12).
RECRAFT_RATE_BURST = env.int("RECRAFT_RATE_BURST", default=0)
RECRAFT_TIMEOUT_SECONDS = env.float("RECRAFT_TIMEOUT_SECONDS", default=120.0)
# Outputs are fetched only from the API's own hosts (and the API base's host); more
# can be allowed here. Never followed: redirects. Never kept: more than this many bytes.
RECRAFT_DOWNLOAD_HOSTS = env.list("RECRAFT_DOWNLOAD_HOSTS", default=[])
RECRAFT_DOWNLOAD_MAX_BYTES = env.int("RECRAFT_DOWNLOAD_MAX_BYTES", default=100 * 1024 * 1024)

# --- the job queue (jobs.scheduler, jobs.pipeline) ---------------------------------------
# A running job's worker renews its lease every third of this; a job whose lease
# lapsed (its worker died) is handed out again by the scheduler.
JOBS_LEASE_SECONDS = env.float("JOBS_LEASE_SECONDS", default=30.0)
# How long a job handed to the workers may wait to be picked up before it goes back.
JOBS_DISPATCH_LEASE_SECONDS = env.float("JOBS_DISPATCH_LEASE_SECONDS", default=60.0)
# Jobs of one account handed out and not yet picked up, at most: the rest wait in
# the fair line, where a newcomer can still go before them.
JOBS_DISPATCH_AHEAD = env.int("JOBS_DISPATCH_AHEAD", default=8)
JOBS_SCHEDULER_LEASE_SECONDS = env.float("JOBS_SCHEDULER_LEASE_SECONDS", default=5.0)
# Outputs of one job fetched and stored at once.
JOBS_OUTPUT_THREADS = env.int("JOBS_OUTPUT_THREADS", default=6)
JOBS_STORE_BACKOFF_CAP_SECONDS = env.float("JOBS_STORE_BACKOFF_CAP_SECONDS", default=300.0)
# Storing gives up this long before the API stops keeping a job's images (~24 h).
JOBS_STORE_MARGIN_SECONDS = env.float("JOBS_STORE_MARGIN_SECONDS", default=60 * 60.0)
# Named points where the chaos tests hold a worker to kill it (jobs.checkpoints).
JOBS_CHAOS_HOOKS = env.bool("JOBS_CHAOS_HOOKS", default=False)

# --- the library -------------------------------------------------------------------------
# Deleted images stay restorable in the trash this many days, then are purged.
TRASH_DAYS = env.int("TRASH_DAYS", default=30)
# An export's download link works this many days; then the zip is deleted.
EXPORT_LINK_DAYS = env.int("EXPORT_LINK_DAYS", default=7)
# The most images one export may hold (a clear error above it, before any work).
EXPORT_MAX_ASSETS = env.int("EXPORT_MAX_ASSETS", default=5000)

# Fernet keys (comma separated, newest first) that encrypt workspace API tokens at rest.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# The studio's address as people reach it ("https://studio.example.com"), for links in
# emails sent with no request at hand (budget warnings); empty: the links are paths.
STUDIO_URL = env.str("STUDIO_URL", default="").rstrip("/")

# --- email --------------------------------------------------------------------------------
# EMAIL_URL: smtp://user:password@host:587 (smtp+tls://, smtp+ssl:// likewise). Without
# it, development prints mail to the console; production has no mail at all, and the
# pages that would send some (invitations) say so instead of printing links to logs.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url_config(EMAIL_URL))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "recraft_studio.core.mail.NoMailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="studio@localhost")
EMAIL_TIMEOUT = 20

# --- HTTPS and headers ------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# Behind a proxy that terminates TLS: the header it sets on HTTPS requests, e.g.
# "X-Forwarded-Proto: https". Only set it when the proxy always sets or strips it.
_proxy_ssl_header = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default="")
if _proxy_ssl_header:
    _name, _, _value = _proxy_ssl_header.partition(":")
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _name.strip().upper().replace("-", "_"),
        _value.strip() or "https",
    )
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): our own scripts and styles only; no inline
# script anywhere. Inline style *attributes* stay allowed for colour swatches (they
# cannot run script). DJANGO_CSP_REPORT_ONLY sends the policy as report-only.
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if env.str("DJANGO_CSP_REPORT_URI", default=""):
    _CSP["DIRECTIVES"]["report-uri"] = [env.str("DJANGO_CSP_REPORT_URI")]
if env.bool("DJANGO_CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

# --- logs ---------------------------------------------------------------------------------
# One JSON object per line in production (LOG_FORMAT=json), for a log collector to
# parse; plain lines in development.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "botocore": {"level": "WARNING"}},
}
# Celery workers log through the handler above too, so their lines are JSON as well.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
