"""Django settings, configured from environment variables (documented in README.md).

With no DATABASE_URL an embedded PostgreSQL is started under `.zzyra/`; with no
CELERY_BROKER_URL node runs are dispatched in-process by the same engine code.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("ZZYRA_STATE_DIR", BASE_DIR / ".zzyra"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "zzyra-insecure-development-key")
if (
    not DEBUG
    and SECRET_KEY.startswith("zzyra-insecure")
    and env_bool("ZZYRA_REQUIRE_SECRET_KEY", False)
):
    raise RuntimeError("DJANGO_SECRET_KEY must be set in production")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_celery_beat",
    "database",
    "audit",
    "workflows",
    "executions",
    "pauses",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # One transaction per request, acting as its user for row-level security.
    "database.middleware.ActingUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zzyra.urls"
WSGI_APPLICATION = "zzyra.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    DATABASE_URL = os.environ["DATABASE_URL"]
else:
    from zzyra.embedded import embedded_database_url

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pgserver warns about XDG_RUNTIME_DIR on servers
        DATABASE_URL = embedded_database_url(STATE_DIR / "pgdata")

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
# Parameters bound server-side, and a query run a few times on a connection becomes a prepared
# statement: planning (row-level security included) had been some 70 % of PostgreSQL's time on
# the engine's hot path. "off" never prepares, for a transaction-mode pooler.
_prepare_threshold = os.environ.get("DATABASE_PREPARE_THRESHOLD", "5")
DATABASES["default"].setdefault("OPTIONS", {}).update(
    server_side_binding=True,
    prepare_threshold=None if _prepare_threshold == "off" else int(_prepare_threshold),
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's auth and sessions, adapted to row-level security on their tables (database/).
AUTHENTICATION_BACKENDS = ["database.backends.ModelBackend"]
SESSION_ENGINE = "database.sessions"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = STATE_DIR / "static"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "database.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}

# --- Engine ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# "celery" publishes node runs to RabbitMQ; "inprocess" runs them on threads of this process.
ZZYRA_DISPATCHER = os.environ.get(
    "ZZYRA_DISPATCHER", "celery" if CELERY_BROKER_URL else "inprocess"
)
ZZYRA_INPROCESS_THREADS = env_int("ZZYRA_INPROCESS_THREADS", 8)
# "classic" durable queues for one broker; "quorum" for a RabbitMQ cluster.
ZZYRA_QUEUE_TYPE = os.environ.get("ZZYRA_QUEUE_TYPE", "classic")
# A ready node due this long ago that nobody claimed is published again by the relay.
ZZYRA_RELAY_GRACE_SECONDS = env_int("ZZYRA_RELAY_GRACE_SECONDS", 5)
ZZYRA_RELAY_INTERVAL_SECONDS = env_int("ZZYRA_RELAY_INTERVAL_SECONDS", 2)
# ... and not again for this long (a backlog is not flooded with copies).
ZZYRA_REPUBLISH_AFTER_SECONDS = env_int("ZZYRA_REPUBLISH_AFTER_SECONDS", 30)
# A running node whose heartbeat is older than its stale limit is taken back by the sweeper.
ZZYRA_STALE_SECONDS = env_int("ZZYRA_STALE_SECONDS", 300)
# Per node type overrides, as JSON: {"http": 120}.
ZZYRA_STALE_SECONDS_BY_TYPE: dict[str, int] = json.loads(
    os.environ.get("ZZYRA_STALE_SECONDS_BY_TYPE") or "{}"
)
# Each worker process refreshes the heartbeats of all its running nodes in one UPDATE.
ZZYRA_HEARTBEAT_INTERVAL_SECONDS = env_int("ZZYRA_HEARTBEAT_INTERVAL_SECONDS", 10)
# How often running nodes look for a cancellation of their execution (one query per process).
ZZYRA_CANCEL_POLL_SECONDS = float(os.environ.get("ZZYRA_CANCEL_POLL_SECONDS", "1"))
ZZYRA_SWEEP_INTERVAL_SECONDS = env_int("ZZYRA_SWEEP_INTERVAL_SECONDS", 30)
# Finished executions older than this lose their payloads (inputs, outputs); the record stays.
ZZYRA_PAYLOAD_RETENTION_DAYS = env_int("ZZYRA_PAYLOAD_RETENTION_DAYS", 90)

# Pauses: the scan resumes due timers and expiries this often (beat job), so a delay fires
# within about two intervals of its due time.
ZZYRA_PAUSE_SCAN_INTERVAL_SECONDS = env_int("ZZYRA_PAUSE_SCAN_INTERVAL_SECONDS", 1)
# Timers due sooner than this also get a broker countdown; longer waits rely on the scan only
# (a message held for hours by a worker would hit RabbitMQ's consumer timeout).
ZZYRA_PAUSE_COUNTDOWN_MAX_SECONDS = env_int("ZZYRA_PAUSE_COUNTDOWN_MAX_SECONDS", 60)
# An event posted before any wait on its key is kept this long for the first wait to consume.
ZZYRA_EVENT_RETENTION_SECONDS = env_int("ZZYRA_EVENT_RETENTION_SECONDS", 7 * 24 * 3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ZZYRA_LOG_LEVEL", "WARNING")},
    "loggers": {
        "zzyra": {"level": os.environ.get("ZZYRA_LOG_LEVEL", "INFO"), "propagate": True},
    },
}

# --- Database guarantees (docs/database.md) ---------------------------------------------------
# Log partitions (one per month) are created this many months ahead by a nightly beat job.
ZZYRA_LOG_PARTITIONS_AHEAD = env_int("ZZYRA_LOG_PARTITIONS_AHEAD", 3)
# Whole monthly log partitions older than this are dropped by a nightly beat job.
ZZYRA_LOG_RETENTION_DAYS = env_int("ZZYRA_LOG_RETENTION_DAYS", 90)
# The nightly audit export goes to the "audit" storage: a local folder by default, or any
# Django storage backend (django-storages' S3Storage for an S3-compatible bucket) with its
# options as JSON in ZZYRA_AUDIT_STORAGE_OPTIONS.
ZZYRA_AUDIT_EXPORT_DIR = Path(os.environ.get("ZZYRA_AUDIT_EXPORT_DIR", STATE_DIR / "audit-export"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "audit": {
        "BACKEND": os.environ.get(
            "ZZYRA_AUDIT_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": json.loads(os.environ.get("ZZYRA_AUDIT_STORAGE_OPTIONS") or "{}")
        or {"location": str(ZZYRA_AUDIT_EXPORT_DIR)},
    },
}
