"""Settings: every value comes from the environment; secrets have no defaults (fail closed)."""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta
from pathlib import Path
from typing import cast

import dj_database_url

from referral_hub.caching import cache_settings
from referral_hub.env import (
    ConfigError,
    env_bool,
    env_header_pair,
    env_int,
    env_list,
    env_required,
    env_str,
    load_env_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent
load_env_file(os.environ.get("ENV_FILE"))

SECRET_KEY = env_required("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 32:
    raise ConfigError("DJANGO_SECRET_KEY must be at least 32 characters of random data.")
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc assets, pinned, served from here
    "core",
    "accounts",
    "agencies",
    "audit",
    "crypto",
    "clients",
    "consent",
    "referrals",
    "reports",  # aggregate outcome reports (above referrals)
    "webhooks",
    "api",
    "referral_hub",  # on top: cross-app commands, the scheduled-job registry, demo data
]

MIDDLEWARE = [
    "referral_hub.middleware.RequestContextMiddleware",
    "referral_hub.middleware.ApiProblemMiddleware",
    "referral_hub.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "referral_hub.middleware.SecurityHeadersMiddleware",
    # Unwrapped data keys live for one request only (each client's DEK unwrapped at most once).
    "crypto.scope.KeyScopeMiddleware",
]

ROOT_URLCONF = "referral_hub.urls"
WSGI_APPLICATION = "referral_hub.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

# --- Database -------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{BASE_DIR / '.dev' / 'db.sqlite3'}"
_db = dj_database_url.parse(
    env_str("DATABASE_URL") or _default_sqlite,
    conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    # A `SELECT 1` before each request's first query replaces a dead connection (cost: docs).
    conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
    disable_server_side_cursors=env_bool("DB_TRANSACTION_POOLER", False),  # operations.md
)
# The password may come apart from the URL (DATABASE_PASSWORD_FILE: a compose/k8s secret).
if _db_password := env_str("DATABASE_PASSWORD"):
    _db["PASSWORD"] = _db_password
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    _db["TEST"] = {"NAME": str(BASE_DIR / ".dev" / f"test-{os.getpid()}.sqlite3")}
# "audit" is a second connection to the same database: denied and failed attempts are written
# through it so that they survive the rollback of the request that was refused.
_audit_db = {**_db, "TEST": {**_db.get("TEST", {}), "MIRROR": None}}
DATABASES = {"default": _db, "audit": _audit_db}
DATABASE_IS_POSTGRES = _db["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache: throttle and lockout state shared by every process (referral_hub/caching.py) --------
REDIS_URL = env_str("REDIS_URL")
CACHES = cache_settings(
    redis_url=REDIS_URL,
    debug=DEBUG,
    database_url=env_str("DATABASE_URL"),
    key_prefix=env_str("CACHE_KEY_PREFIX", "rh") or "rh",
)
LIMITS_CACHE = "default"

# --- Passwords: Argon2id first; older hashes still verify and are upgraded at sign-in --------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["username"]},
    },
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".dev" / "static"

# --- Request limits and security headers ----------------------------------------------------
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 256 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Trusted only when set (a proxy in front overwrites it): unset, a client's own header is ignored.
SECURE_PROXY_SSL_HEADER = env_header_pair("SECURE_PROXY_SSL_HEADER")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

# --- Accounts: MFA, sign-in limits, proxies (docs/operations.md "Accounts and sign-in") --------
# Every role that can see survivor data or the trail; an agency's admin may opt out (audited).
ROLES_WITH_MFA_DEFAULT = "caseworker,supervisor,compliance_officer,agency_admin"
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", ROLES_WITH_MFA_DEFAULT)
MFA_ENROLMENT_SECONDS = env_int("MFA_ENROLMENT_SECONDS", 300)  # enrolment step and pending seed
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)  # free failures per (account, address)
LOGIN_BACKOFF_BASE_SECONDS = env_int("LOGIN_BACKOFF_BASE_SECONDS", 30)
LOGIN_BACKOFF_CAP_SECONDS = env_int("LOGIN_BACKOFF_CAP_SECONDS", 3600)
LOGIN_FAILURE_IP_LIMIT = env_int("LOGIN_FAILURE_IP_LIMIT", 20)  # per address, all accounts
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
# Proxies in front that append to X-Forwarded-For; 0: the header is never read.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
PASSWORD_TOKEN_HOURS = env_int("PASSWORD_TOKEN_HOURS", 72)  # invitation and reset tokens
INTEGRATION_SECRET_GRACE_HOURS = env_int("INTEGRATION_SECRET_GRACE_HOURS", 24)

# --- Application settings -------------------------------------------------------------------
IDEMPOTENCY_TTL_HOURS = env_int("IDEMPOTENCY_TTL_HOURS", 24)
CONSENT_MAX_DAYS = env_int("CONSENT_MAX_DAYS", 365)
# Priority sets the response deadline and the reminder cadence (referrals/deadlines.py,
# docs/operations.md "Deadlines and reminders"). Routine keeps the original two settings.
REFERRAL_RESPONSE_DAYS = env_int("REFERRAL_RESPONSE_DAYS", 10)  # routine
REFERRAL_RESPONSE_HOURS_URGENT = env_int("REFERRAL_RESPONSE_HOURS_URGENT", 72)
REFERRAL_RESPONSE_HOURS_ASAP = env_int("REFERRAL_RESPONSE_HOURS_ASAP", 24)
REFERRAL_RESPONSE_HOURS_STAT = env_int("REFERRAL_RESPONSE_HOURS_STAT", 4)
# The first `referral.response_due_soon` goes out this long before the deadline (at most half
# the priority's window), then again every REFERRAL_REMIND_EVERY_HOURS_<PRIORITY>.
REFERRAL_REMINDER_HOURS = env_int("REFERRAL_REMINDER_HOURS", 48)
REFERRAL_REMIND_EVERY_HOURS_ROUTINE = env_int("REFERRAL_REMIND_EVERY_HOURS_ROUTINE", 24)
REFERRAL_REMIND_EVERY_HOURS_URGENT = env_int("REFERRAL_REMIND_EVERY_HOURS_URGENT", 12)
REFERRAL_REMIND_EVERY_HOURS_ASAP = env_int("REFERRAL_REMIND_EVERY_HOURS_ASAP", 4)
REFERRAL_REMIND_EVERY_HOURS_STAT = env_int("REFERRAL_REMIND_EVERY_HOURS_STAT", 1)
# The directory: when an entry or its capacity counts as stale (agencies/selectors.py).
DIRECTORY_ASSURED_STALE_DAYS = env_int("DIRECTORY_ASSURED_STALE_DAYS", 180)
DIRECTORY_CAPACITY_STALE_DAYS = env_int("DIRECTORY_CAPACITY_STALE_DAYS", 7)
# Reports counting referrals that involve a victim service provider hide counts below this
# (reports/suppression.py; docs/compliance-guide.md "Outcome reports").
REPORT_SMALL_CELL_THRESHOLD = env_int("REPORT_SMALL_CELL_THRESHOLD", 11)
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# Webhook delivery (docs/operations.md "Webhook worker").
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 72)
WEBHOOK_BACKOFF_BASE_SECONDS = env_int("WEBHOOK_BACKOFF_BASE_SECONDS", 30)
WEBHOOK_BACKOFF_CAP_SECONDS = env_int("WEBHOOK_BACKOFF_CAP_SECONDS", 6 * 3600)
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 60)
WEBHOOK_BATCH_SIZE = env_int("WEBHOOK_BATCH_SIZE", 20)
WEBHOOK_POLL_SECONDS = env_int("WEBHOOK_POLL_SECONDS", 2)
# After SIGTERM the worker finishes the current attempt (at most ~2 x the timeout) and exits;
# past this deadline it exits at once (unsent claims come back when their lease expires).
WORKER_STOP_GRACE_SECONDS = env_int("WORKER_STOP_GRACE_SECONDS", 2 * WEBHOOK_TIMEOUT_SECONDS + 2)
WEBHOOK_SECRET_GRACE_HOURS = env_int("WEBHOOK_SECRET_GRACE_HOURS", 24)
WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 30)
WEBHOOK_CA_FILE = env_str("WEBHOOK_CA_FILE")  # trust store override (None: the system store)
# Scheduled jobs in the worker loop: seconds between runs (0 disables a job).
JOB_REFERRAL_EXPIRE_SECONDS = env_int("JOB_REFERRAL_EXPIRE_SECONDS", 300)
JOB_REFERRAL_REMIND_SECONDS = env_int("JOB_REFERRAL_REMIND_SECONDS", 900)
JOB_CONSENT_EXPIRE_SECONDS = env_int("JOB_CONSENT_EXPIRE_SECONDS", 300)
JOB_AUDIT_CHECKPOINT_SECONDS = env_int("JOB_AUDIT_CHECKPOINT_SECONDS", 3600)
JOB_WEBHOOK_PRUNE_SECONDS = env_int("JOB_WEBHOOK_PRUNE_SECONDS", 3600)
JOB_IDEMPOTENCY_PURGE_SECONDS = env_int("JOB_IDEMPOTENCY_PURGE_SECONDS", 3600)

# --- Keys (no defaults: `make bootstrap` generates dev-only ones into .dev/) ---------------------
AUDIT_PSEUDONYM_KEY = env_required("AUDIT_PSEUDONYM_KEY")
# base64 Ed25519 private key (32 bytes); not needed when the key lives in the token (below).
AUDIT_SIGNING_KEY = (
    env_str("AUDIT_SIGNING_KEY", "")
    if env_str("AUDIT_SIGNING_KEY_LABEL")
    else env_required("AUDIT_SIGNING_KEY")
)
# Per-event MAC key (audit/mac.py; derived from AUDIT_PSEUDONYM_KEY when unset) and rotations.
AUDIT_MAC_KEY, AUDIT_MAC_RETIRED_KEYS = env_str("AUDIT_MAC_KEY"), env_str("AUDIT_MAC_RETIRED_KEYS")
AUDIT_SIGNING_RETIRED_PUBLIC_KEYS = env_str("AUDIT_SIGNING_RETIRED_PUBLIC_KEYS")
AUDIT_INDEPENDENT_ALIAS = env_str("AUDIT_INDEPENDENT_ALIAS", "audit")
AUDIT_CHECKPOINT_DIR = env_str("AUDIT_CHECKPOINT_DIR", str(BASE_DIR / ".dev" / "checkpoints"))
FIELD_KEYS = os.environ.get("FIELD_KEYS")  # the key ring itself; FIELD_KEYS_FILE is a path
FIELD_KEYS_FILE = env_str("FIELD_KEYS_FILE")
FIELD_PRIMARY_KEY_ID = env_str("FIELD_PRIMARY_KEY_ID")
# `local` (the ring above), `pkcs11` (KEKs inside an HSM; docs/operations.md "Keys in an HSM"),
# or a dotted path. With `pkcs11` the ring is optional: decrypt-only keys while migrating.
FIELD_KEY_PROVIDER = env_str("FIELD_KEY_PROVIDER", "local") or "local"
PKCS11_MODULE = env_str("PKCS11_MODULE")  # the vendor's PKCS#11 library (.so)
PKCS11_TOKEN_LABEL = env_str("PKCS11_TOKEN_LABEL")
PKCS11_SLOT = env_int("PKCS11_SLOT", -1) if env_str("PKCS11_SLOT") else None
PKCS11_PIN = env_str("PKCS11_PIN")  # the user PIN; prefer PKCS11_PIN_FILE
# The CKA_LABEL of an Ed25519 key pair in the token: checkpoints and exports are signed there.
AUDIT_SIGNING_KEY_LABEL = env_str("AUDIT_SIGNING_KEY_LABEL")
if FIELD_KEY_PROVIDER == "local" and not (FIELD_KEYS or FIELD_KEYS_FILE):
    raise ConfigError(
        "No field-encryption keys: set FIELD_KEYS or FIELD_KEYS_FILE "
        "(for local development run `make bootstrap`), or FIELD_KEY_PROVIDER=pkcs11."
    )
if (FIELD_KEY_PROVIDER == "pkcs11" or AUDIT_SIGNING_KEY_LABEL) and not PKCS11_MODULE:
    raise ConfigError("The PKCS#11 token needs PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_PIN.")

# --- JWT ------------------------------------------------------------------------------------
JWT_SIGNING_KEY = env_required("JWT_SIGNING_KEY")
if len(JWT_SIGNING_KEY) < 43:
    raise ConfigError("JWT_SIGNING_KEY must hold at least 256 bits of random data (43+ chars).")
JWT_ISSUER = env_str("JWT_ISSUER", "referral-hub")
JWT_AUDIENCE = env_str("JWT_AUDIENCE", "referral-hub-api")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=min(env_int("JWT_ACCESS_SECONDS", 300), 300)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env_int("JWT_REFRESH_HOURS", 12)),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "VERIFYING_KEY": "",
    "AUDIENCE": JWT_AUDIENCE,
    "ISSUER": JWT_ISSUER,
    "LEEWAY": 0,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "TOKEN_TYPE_CLAIM": "token_type",
    "JTI_CLAIM": "jti",
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- DRF and OpenAPI ------------------------------------------------------------------------
THROTTLE_ACTOR_RATE = env_str("THROTTLE_ACTOR_RATE", "1200/min")
THROTTLE_ANON_RATE = env_str("THROTTLE_ANON_RATE", "120/min")
# Bits kept of the duplicate-search blind index (clients/search.py; changing it means
# recomputing every client's index, see docs/security.md).
CLIENT_SEARCH_INDEX_BITS = env_int("CLIENT_SEARCH_INDEX_BITS", 20)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.TokenAuthentication"],
    # Deny by default: every view must name what it allows.
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.DenyAll"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ActorRateThrottle"],
    # Read on every request by api.throttling.ActorRateThrottle (from THROTTLE_*_RATE below).
    "DEFAULT_THROTTLE_RATES": {},
    "EXCEPTION_HANDLER": "api.errors.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
CONTRACT_HOOK = "api.schema.postprocess_contract"  # Problem, error responses, examples, links
SPECTACULAR_SETTINGS = {
    "TITLE": "referral-hub API",
    "DESCRIPTION": (
        "Consent-gated referral exchange between legal, social-services and housing agencies."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI and ReDoc from drf-spectacular-sidecar (pinned), never a CDN.
    **dict.fromkeys(("SWAGGER_UI_DIST", "SWAGGER_UI_FAVICON_HREF", "REDOC_DIST"), "SIDECAR"),
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", CONTRACT_HOOK],
    # Choice sets shared by several serializers get one stable component name each.
    "ENUM_NAME_OVERRIDES": {
        "ReferralStatusEnum": "referrals.models.ReferralStatus",
        "ConsentStatusEnum": "consent.models.ConsentStatus",
        "DeliveryStatusEnum": "webhooks.models.DeliveryStatus",
        "CapacityStatusEnum": "agencies.models.CapacityStatus",
        "ServiceTypeEnum": "agencies.taxonomy.ServiceType",
        "AgencyKindEnum": "agencies.models.AgencyKind",
        "AuditOutcomeEnum": "audit.models.Outcome",
        "ReferralPartyEnum": "referrals.states.READER_PARTIES",
        "TransitionPartyEnum": "referrals.states.PARTIES",
    },
}

# --- Logging: JSON lines, never request bodies ----------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "referral_hub.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "referral_hub.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Console (issue 16): the people's web UI at /app/ (docs/console.md) -----------------------
_top = INSTALLED_APPS.index("referral_hub")
INSTALLED_APPS[_top:_top] = ["django.contrib.sessions", "csp", "django_htmx", "console"]
# Outermost of the header-writers: django-csp is the site's one CSP mechanism; it never replaces
# a header already set, so API responses keep their stricter `default-src 'none'`.
_COMMON, _HEADERS = "django.middleware.common.CommonMiddleware", "referral_hub.middleware"
for _before, _added in (  # each inserted just before the first
    (_COMMON, "csp.middleware.CSPMiddleware"),
    (_COMMON, "django.contrib.sessions.middleware.SessionMiddleware"),
    (f"{_HEADERS}.SecurityHeadersMiddleware", "django.middleware.csrf.CsrfViewMiddleware"),
    (f"{_HEADERS}.SecurityHeadersMiddleware", "django_htmx.middleware.HtmxMiddleware"),
):
    MIDDLEWARE.insert(MIDDLEWARE.index(_before), _added)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
MIDDLEWARE.append("console.middleware.ConsoleSessionMiddleware")
cast(dict[str, list[str]], TEMPLATES[0]["OPTIONS"])["context_processors"] += [
    "django.template.context_processors.csrf",
    "console.context.console",
]
# Receipts and category explanations in the client's language; the console itself is English.
# No LocaleMiddleware: API responses (and DRF's own messages) are never translated.
USE_I18N = True
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "console" / "locale"]
WHITENOISE_USE_FINDERS = True  # served from the apps' static/ folders: no collectstatic step
WHITENOISE_AUTOREFRESH = DEBUG
# WhiteNoise warns while collectstatic's target does not exist (the finders serve alone).
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Sessions: one token family each (accounts/browser.py), so deactivation, role changes and
# "sign out everywhere" end them on the next request. The cookies travel only under /app/.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "rh_console"
SESSION_COOKIE_PATH = "/app/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = env_int("CONSOLE_SESSION_MAX_SECONDS", 8 * 3600)  # absolute limit
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Secure cookies unless DEBUG: the embedded `make run` default serves plain http on 127.0.0.1.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_PATH = "/app/"
CSRF_FAILURE_VIEW = "console.views.errors.csrf_failure"
CONSOLE_IDLE_SECONDS = env_int("CONSOLE_IDLE_SECONDS", 15 * 60)
CONSOLE_IDLE_WARNING_SECONDS = env_int("CONSOLE_IDLE_WARNING_SECONDS", 2 * 60)
CONSOLE_PAGE_SIZE = env_int("CONSOLE_PAGE_SIZE", 25)
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs", "/api/redoc"],  # their own CSP: middleware DOCS_CSP
    "DIRECTIVES": {
        **{d: ["'self'"] for d in ("default-src", "script-src", "style-src", "font-src")},
        **{d: ["'self'"] for d in ("connect-src", "form-action")},
        "img-src": ["'self'", "data:"],
        **{d: ["'none'"] for d in ("frame-ancestors", "base-uri", "object-src")},
    },
}
