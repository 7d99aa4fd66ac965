"""MS5.0 Floor Dashboard settings: one env-driven module (docs/configuration.md lists every variable)."""

from __future__ import annotations

import zoneinfo
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from ms5.env import env_bool, env_int, env_list, env_secret, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MS5_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Production mode turns off every local convenience: a secret must be given, DEBUG is off, cookies are secure.
PRODUCTION = env_bool("MS5_PRODUCTION", False)
DEBUG = env_bool("MS5_DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("MS5_DEBUG=true is not allowed together with MS5_PRODUCTION=true.")

SECRET_KEY = env_secret("MS5_SECRET_KEY", required=PRODUCTION, fallback_file=VAR_DIR / "secret_key")

ALLOWED_HOSTS = env_list("MS5_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("MS5_ALLOWED_HOSTS must list the host names the plant uses in production mode.")
CSRF_TRUSTED_ORIGINS = env_list("MS5_CSRF_TRUSTED_ORIGINS", [])

# The plant's default time zone. Everything is stored in UTC; each Site carries its own zone for shift maths.
TIME_ZONE = env_str("MS5_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"MS5_TIME_ZONE={TIME_ZONE!r} is not a known IANA time zone.") from None
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "guardian",
    "axes",
    "django_celery_beat",
    "apps.accounts",
    "apps.lines",
    "apps.oee",
    "apps.downtime",
    "apps.andon",
    "apps.jobs",
    "apps.checklists",
    "apps.reports",
    "plc_worker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ms5.urls"
WSGI_APPLICATION = "ms5.wsgi.application"
ASGI_APPLICATION = "ms5.asgi.application"

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
                "apps.accounts.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "sqlite:///var/ms5.sqlite3")
DATABASES = {"default": parse_database_url("DATABASE_URL", DATABASE_URL, base_dir=BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must be first: it refuses locked-out credentials
    "django.contrib.auth.backends.ModelBackend",
    "apps.accounts.backends.BadgePinBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# django-axes: lockout after repeated failures, per username (badge number for kiosk sign-in) and IP.
AXES_FAILURE_LIMIT = env_int("MS5_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("MS5_LOCKOUT_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "apps.accounts.backends.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "apps.accounts.views.lockout_response"
AXES_VERBOSE = False

# Sessions: kiosk tablets get long sessions (set at kiosk sign-in); desktop sessions default to 12 hours.
SESSION_COOKIE_AGE = env_int("MS5_SESSION_HOURS", 12, minimum=1) * 3600
KIOSK_SESSION_AGE = env_int("MS5_KIOSK_SESSION_DAYS", 30, minimum=1) * 86400
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# whitenoise serves static files from the app directories too, so the embedded default needs no collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MS5_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# E-mail: console in local runs so password-reset links appear in the terminal; SMTP when MS5_EMAIL_HOST is set.
EMAIL_HOST = env_str("MS5_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("MS5_EMAIL_PORT", 25, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env_str("MS5_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = env_str("MS5_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("MS5_EMAIL_TLS", False)
    EMAIL_TIMEOUT = env_int("MS5_EMAIL_TIMEOUT", 10, minimum=1)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("MS5_EMAIL_FROM", "ms5@localhost")

# Redis is optional. When set, it carries the channel layer and the Celery broker; otherwise the embedded
# default runs without any server (see docs/architecture.md, "Two topologies").
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} must start with redis://, rediss:// or unix://.")

CHANNELS_BACKEND = env_str(
    "MS5_CHANNELS_BACKEND",
    # Embedded default: in-memory groups in the web process, forwarded over loopback from the PLC worker and
    # Celery (ms5/layers.py); with REDIS_URL, the pub/sub layer every process shares.
    "channels_redis.pubsub.RedisPubSubChannelLayer" if REDIS_URL else "ms5.layers.LoopbackChannelLayer",
)
if "redis" in CHANNELS_BACKEND.lower():
    if not REDIS_URL:
        raise ImproperlyConfigured(f"MS5_CHANNELS_BACKEND={CHANNELS_BACKEND} needs REDIS_URL to be set.")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": CHANNELS_BACKEND,
            "CONFIG": {
                # redis-py 8 defaults (100 connections, 5 s socket timeout) lose sockets under load: shared/RUNTIME.md.
                "hosts": [{"address": REDIS_URL, "max_connections": 2000, "socket_timeout": 15}],
                "prefix": "ms5",
                **({} if "pubsub" in CHANNELS_BACKEND else {"capacity": 500, "expiry": 15}),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": CHANNELS_BACKEND}}

# Celery: Redis when configured, otherwise a broker kept in files under var/ (no server to install).
CELERY_BROKER_URL = env_str("MS5_CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "celery-broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control in the working directory
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("MS5_CELERY_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 5  # beat may otherwise oversleep a due 15 s task (celery #7290)

# PLC worker
PLC_WORKER_LEASE_SECONDS = env_int("MS5_PLC_LEASE_SECONDS", 10, minimum=2)
PLC_WORKER_BUFFER_SCANS = env_int("MS5_PLC_BUFFER_SCANS", 10_000, minimum=10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("MS5_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}

# --- Andon (apps/andon; docs/andon.md) ---
# Queue the beat schedules and tasks go to; tests give each run its own so parallel runs never steal tasks.
CELERY_TASK_DEFAULT_QUEUE = env_str("MS5_CELERY_QUEUE", "celery")
# /healthz requires a fresh beat heartbeat only where beat is expected to run (scale-out, run_plant).
BEAT_EXPECTED = env_bool("MS5_BEAT_EXPECTED", False)
BEAT_HEARTBEAT_MAX_AGE_S = env_int("MS5_BEAT_HEARTBEAT_MAX_AGE_S", 90, minimum=20)
ANDON_SMS_GATEWAY_URL = env_str("MS5_SMS_GATEWAY_URL", "")  # empty = SMS channel off (recorded as skipped)
ANDON_SMS_GATEWAY_TOKEN = env_str("MS5_SMS_GATEWAY_TOKEN", "")
ANDON_HTTP_TIMEOUT_S = env_int("MS5_ANDON_HTTP_TIMEOUT_S", 5, minimum=1, maximum=60)
ANDON_PUBLIC_URL = env_str("MS5_PUBLIC_URL", "http://localhost:8000")  # links in e-mail, SMS and push
ANDON_VAPID_CONTACT = env_str("MS5_VAPID_CONTACT", "mailto:ms5@localhost")

# --- Reports (apps/reports; docs/reports.md) ---
# Generated report files older than this are deleted by the daily reports.purge_expired task (the rows stay).
REPORTS_RETENTION_DAYS = env_int("MS5_REPORTS_RETENTION_DAYS", 90, minimum=1)
