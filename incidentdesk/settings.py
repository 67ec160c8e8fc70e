"""Settings, read from the environment (see .env.example for every variable).

Embedded defaults make a first look work with nothing running: SQLite in
var/, and Celery tasks run in process when no REDIS_URL is set.
"""

from datetime import timedelta
from pathlib import Path

import environ

from incidentdesk.envsecret import env_secret

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise environ.ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set when DJANGO_DEBUG is off"
        )
    SECRET_KEY = "insecure-development-key-only-for-DJANGO_DEBUG=1"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DESK_BASE_URL = env.str("DESK_BASE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "guardian",
    "incidentdesk",
    "collectors",
    "approvals",
    "axes",
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

ROOT_URLCONF = "incidentdesk.urls"
WSGI_APPLICATION = "incidentdesk.wsgi.application"

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
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'incidentdesk.sqlite3'}"
    )
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Webhooks, clicks and in-process tasks write concurrently: wait for the lock rather than fail.
    # IMMEDIATE takes the write lock when a transaction begins; a deferred one that reads first
    # and then writes fails at once with "database is locked" instead of waiting.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in before the password is checked
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
# Sign-in throttling: this many failures lock out that account from that address, or that address
# for every account, for the cool-off; a success clears the count. `manage.py axes_reset` unlocks.
# Seals each kept walk of the audit chain, so rewriting the chain and its walks needs this key.
AUDIT_ANCHOR_KEY = env_secret("AUDIT_ANCHOR_KEY") or ""
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "incidentdesk.views.lockout.locked_out"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "runs:history"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# Security: production values unless DJANGO_DEBUG is on; `check --deploy` passes with them.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Celery: Redis in production; in process when no REDIS_URL is set.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A dead broker must not hold a webhook reply: publish fails fast and the sweeper catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 0,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
# Celery's Django fixup closes every database connection around every task unless this is
# set: a new PostgreSQL backend per task. incidentdesk/celery.py handles connections per task
# as Django does per request instead, so the fixup's own close is pushed out of the way.
CELERY_DB_REUSE_MAX = 1_000_000
SWEEP_INTERVAL_SECONDS = env.int("SWEEP_INTERVAL_SECONDS", default=10)
# The whole audit chain is walked this often; pages check only the entries added since.
AUDIT_CHECK_INTERVAL_SECONDS = env.int("AUDIT_CHECK_INTERVAL_SECONDS", default=3600)
CELERY_BEAT_SCHEDULE = {
    "sweep-unprocessed": {
        "task": "incidentdesk.sweep",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "sweep-proposals": {
        "task": "approvals.sweep",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "audit-check": {
        "task": "incidentdesk.audit_check",
        "schedule": float(AUDIT_CHECK_INTERVAL_SECONDS),
    },
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Intake
HOOK_MAX_BODY_BYTES = env.int("HOOK_MAX_BODY_BYTES", default=512 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(HOOK_MAX_BODY_BYTES, 2_621_440)
HOOK_SLACK_MAX_SKEW_SECONDS = env.int("HOOK_SLACK_MAX_SKEW_SECONDS", default=300)


def _hours_above_zero(name: str, default: float) -> float:
    hours = env.float(name, default=default)
    if not hours > 0:
        raise environ.ImproperlyConfigured(f"{name} must be a number of hours above 0, not {hours}")
    return hours


# A signed delivery made longer ago than this is a replay and refused (422): PagerDuty retries
# for up to 48 h, GitHub.com redelivers by hand for 3 days (GitHub Enterprise Server: 7); a day
# more for clock skew and queues. Only these two sign a time of their own into the body.
HOOK_REPLAY_HORIZON_HOURS = {
    "pagerduty": _hours_above_zero("HOOK_REPLAY_HORIZON_HOURS_PAGERDUTY", 72.0),
    "github": _hours_above_zero("HOOK_REPLAY_HORIZON_HOURS_GITHUB", 96.0),
}
# Another trigger for a service joins its open run when the run was last touched this recently.
RUN_JOIN_WINDOW_MINUTES = env.int("RUN_JOIN_WINDOW_MINUTES", default=60)
# Slack channels whose messages open runs (ids or names, e.g. C0INC,#incidents); empty: every
# channel the Slack app is a member of.
SLACK_WATCHED_CHANNELS = env.list("SLACK_WATCHED_CHANNELS", default=[])
# Triggers still waiting this long are handed to a new grouping task by the sweeper: a live one
# takes the oldest first and renews its request every batch, so none is making progress on them.
SWEEP_STALE_SECONDS = env.int("SWEEP_STALE_SECONDS", default=30)

# Collection
COLLECT_SOURCE_DEADLINE_SECONDS = env.float("COLLECT_SOURCE_DEADLINE_SECONDS", default=5.0)
COLLECT_RUN_DEADLINE_SECONDS = env.float("COLLECT_RUN_DEADLINE_SECONDS", default=30.0)
COLLECT_DEPENDENCY_DEPTH = env.int("COLLECT_DEPENDENCY_DEPTH", default=3)
# "module:factory" answering every source instead of the vendors (benchmarks, staging); empty in production.
COLLECTORS_BACKEND = env.str("COLLECTORS_BACKEND", default="")

# Actions: unset, an executor without credentials records the exact request instead of sending it;
# on, every executor only records; off, executors send and refuse to run without credentials.
ACTIONS_DRY_RUN = env.bool("ACTIONS_DRY_RUN", default=None)
ACTIONS_DEADLINE_SECONDS = env.float("ACTIONS_DEADLINE_SECONDS", default=30.0)

# Language-model assistant: off unless LLM_BASE_URL names an OpenAI-compatible endpoint (".../v1").
# It only adds a checked `assistant` section to packets; every other packet field stays the analysis's.
LLM_BASE_URL = env.str("LLM_BASE_URL", default="").rstrip("/")
LLM_MODEL = env.str("LLM_MODEL", default="")
LLM_API_KEY = env_secret("LLM_API_KEY") or ""
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=10.0)
LLM_TOKEN_BUDGET_PER_RUN = env.int("LLM_TOKEN_BUDGET_PER_RUN", default=20000)
if LLM_BASE_URL and not LLM_BASE_URL.startswith(("http://", "https://")):
    raise environ.ImproperlyConfigured("LLM_BASE_URL must be an http:// or https:// URL")
if LLM_BASE_URL and not LLM_MODEL:
    raise environ.ImproperlyConfigured("LLM_MODEL must be set when LLM_BASE_URL is")
if LLM_TIMEOUT_SECONDS <= 0 or LLM_TOKEN_BUDGET_PER_RUN < 0:
    raise environ.ImproperlyConfigured(
        "LLM_TIMEOUT_SECONDS must be positive and LLM_TOKEN_BUDGET_PER_RUN not negative"
    )

# Policy
DESK_POLICY_FILE = env.path("DESK_POLICY_FILE", default=BASE_DIR / "incidentdesk" / "policy" / "policy.yaml")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
