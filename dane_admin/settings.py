"""Django settings, read from the environment (every variable is listed in deploy/env.example).

With no ``DATABASE_URL`` and no ``CELERY_BROKER_URL`` the service runs on its embedded
default: a SQLite file under ``var/`` and tasks executed in-process.
"""

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django_guid.integrations import CeleryIntegration
from kombu import Queue

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("DANE_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# HTTPS: secure by default outside DEBUG (cookies only over HTTPS, HSTS, http redirected).
# Behind a TLS-terminating proxy, SECURE_PROXY_SSL_HEADER names its header, e.g.
# "HTTP_X_FORWARDED_PROTO,https". deploy/run and the test stack serve plain http on loopback
# and say so by setting the insecure values explicitly.
SECURE_BY_DEFAULT = not DEBUG
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_BY_DEFAULT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_BY_DEFAULT)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_BY_DEFAULT)
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if SECURE_BY_DEFAULT else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_BY_DEFAULT
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        'SECURE_PROXY_SSL_HEADER is "HEADER,value", e.g. HTTP_X_FORWARDED_PROTO,https.'
    )
SECURE_PROXY_SSL_HEADER = (
    (_proxy_ssl_header[0], _proxy_ssl_header[1]) if _proxy_ssl_header else None
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",  # failed sign-ins throttled (per user name and address)
    "csp",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_guid",
    "dane_admin",  # its management command run_embedded_beat
    "domains",
    "dnsops",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",  # a request id in every log line and task
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files without a separate server
    "dane_admin.middleware.RefuseNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # Accept-Language, then the user's choice
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # answers a locked-out sign-in
    "dane_admin.database_unavailable.DatabaseUnavailableMiddleware",  # 503, not 500
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses while a sign-in is locked out
    "django.contrib.auth.backends.ModelBackend",
]

# Database sessions that refuse keys Django never issues (a NUL byte must not reach a query).
SESSION_ENGINE = "dane_admin.sessions"

ROOT_URLCONF = "dane_admin.urls"
WSGI_APPLICATION = "dane_admin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "domains.ui.context.ui",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'dane-admin.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: the web server and run_embedded_beat write from two processes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
else:  # PostgreSQL: a database host that drops packets fails fast instead of hanging
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
    # Django's backend, with a health check that sends nothing while the connection's socket
    # is quiet (dane_admin/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "dane_admin.db.postgresql"
    # Connections are kept between requests and tasks (opening one costs a backend process);
    # each is checked before reuse (locally; SELECT 1 when the server wrote to it), so one
    # left broken by a database restart is replaced. DATABASE_POOL=<size> uses psycopg 3's
    # pool instead (per process, opened lazily, so never shared across a fork;
    # bench/serving.py compares them: docs/architecture.md, "Serving").
    pool_size = env.int("DATABASE_POOL", default=0)
    if pool_size:
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": pool_size,
            "timeout": 10,
            "max_idle": 60,
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(
            "DATABASE_CONN_HEALTH_CHECKS", default=True
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hant", "繁體中文")]
LOCALE_PATHS = [BASE_DIR / "domains" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# whitenoise serves them: from the apps' folders under DEBUG, from STATIC_ROOT (filled by
# `manage.py collectstatic`, as deploy/run does) otherwise.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # also without collectstatic (tests, a fresh checkout)
WHITENOISE_AUTOREFRESH = DEBUG

# The web UI: session sign-in, its cookies (Secure: see above), throttled failures, mail for
# password resets.
LOGIN_URL = "ui:login"
LOGIN_REDIRECT_URL = "ui:home"
LOGOUT_REDIRECT_URL = "ui:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "ui/auth/locked.html"
AXES_VERBOSE = False
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="dane-admin@localhost")
# The SMTP backend's server (password-reset mail, notification digests).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)

# Content-Security-Policy: scripts and styles from our own static files only (no inline
# scripts). The browsable API docs (Swagger UI) start with an inline script: left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# The cache holds the API's rate-limit counters; point CACHE_URL at Redis to share them
# between web server processes (e.g. redis://127.0.0.1:6379/1).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Request bodies: the API takes small JSON documents only.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "domains.authentication.TenantApiKeyAuthentication",
        "domains.authentication.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["domains.permissions.IsTenantPrincipal"],
    "DEFAULT_PARSER_CLASSES": ["dane_admin.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "dane_admin.api.schema.ApiAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "dane_admin.api.pagination.BoundedLimitOffsetPagination",
    "DEFAULT_THROTTLE_CLASSES": ["dane_admin.api.throttling.TenantWorkThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "status-refresh": env.str("DANE_RATE_STATUS_REFRESH", default="60/min"),
        "inbound-probe": env.str("DANE_RATE_INBOUND_PROBE", default="12/min"),
        "dane-validation": env.str("DANE_RATE_DANE_VALIDATION", default="60/min"),
    },
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "dane_admin.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
API_KEY_CUSTOM_HEADER = "HTTP_AUTHORIZATION"
# How long a web process trusts an API key it verified without looking it up again
# (domains/api_keys.py): a key revoked in another process works there at most this long; the
# revoking process and the expiry date take effect at once. 0: look every key up each request.
DANE_API_KEY_CACHE_SECONDS = env.float("DANE_API_KEY_CACHE_SECONDS", default=5.0)

SPECTACULAR_SETTINGS = {
    "TITLE": "DANE Admin API",
    "DESCRIPTION": "Inbound SMTP DANE with DNSSEC for a mail-hosting provider's tenants.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EventTypeEnum": "domains.notifications.models.EventType",
        "WebhookEventTypeEnum": "domains.notifications.models.SUBSCRIBABLE_EVENT_TYPES",
    },
}

# Celery: with no broker configured, tasks run in-process (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 5, "socket_connect_timeout": 5}
CELERY_TASK_IGNORE_RESULT = True
# Status checks have a queue of their own, so a burst of commands (a wake-up message each)
# never holds a sweep back; notifications (webhook POSTs, digest mail) have theirs, so a slow
# receiver never holds a check back. A worker started without -Q consumes every queue; run one
# with -Q notifications apart in production.
CELERY_TASK_QUEUES = (Queue("celery"), Queue("checks"), Queue("notifications"))
CELERY_TASK_ROUTES = {
    "domains.tasks.sweep_due_checks": {"queue": "checks"},
    "domains.tasks.check_domains": {"queue": "checks"},
    # One chunk of a check batch at a time (domains.check_batches): it never starves the sweep.
    "domains.tasks.run_check_batch": {"queue": "checks"},
    "domains.tasks.resume_check_batches": {"queue": "checks"},
    "domains.notifications.tasks.deliver_webhooks": {"queue": "notifications"},
    "domains.notifications.tasks.send_digests": {"queue": "notifications"},
}
# Seconds between two rounds of the served-certificate probe (domains.rollover).
DANE_INBOUND_PROBE_INTERVAL = env.float("DANE_INBOUND_PROBE_INTERVAL", default=300.0)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # The sweep: operations whose message was lost or whose worker died are picked up here.
    "process-due-operations": {"task": "domains.tasks.process_operations", "schedule": 5.0},
    "repair-drift": {"task": "dnsops.tasks.repair_all_drift", "schedule": 600.0},
    # The builtin driver signs for 11-14 days; this keeps 5 days ahead (others: a no-op).
    "refresh-signatures": {"task": "dnsops.tasks.refresh_signatures", "schedule": 6 * 3600.0},
    # Status checks of domains in pending_mx / enabled whose next_check_at has come.
    "check-due-domains": {"task": "domains.tasks.sweep_due_checks", "schedule": 15.0},
    # Check batches whose chain of chunks was lost (domains.check_batches).
    "resume-check-batches": {"task": "domains.tasks.resume_check_batches", "schedule": 60.0},
    # What every inbound address serves; partitions' TLSA observations; retired keys' purge.
    "probe-inbound-servers": {
        "task": "domains.tasks.probe_inbound_servers",
        "schedule": DANE_INBOUND_PROBE_INTERVAL,
    },
    # TLS-RPT reports and aggregates past TLSRPT_RETENTION_DAYS.
    "purge-tls-reports": {"task": "domains.tasks.purge_tls_reports", "schedule": 3600.0},
    # Webhook deliveries whose wake-up was lost, and the retries that came due.
    "deliver-webhooks": {"task": "domains.notifications.tasks.deliver_webhooks", "schedule": 10.0},
    # E-mail digests: immediate ones within a minute, daily ones once a day per member.
    "send-digests": {"task": "domains.notifications.tasks.send_digests", "schedule": 60.0},
    # TLS-RPT reports stored by the intake whose wake-up was lost or whose worker died.
    "process-tls-reports": {"task": "domains.tasks.process_tls_reports", "schedule": 30.0},
}

# Provider settings (SPEC §2).
DANE_MX_SUFFIX = env.str("DANE_MX_SUFFIX", default="mx.provider.test").strip(".").lower()
DANE_PARTITIONS = env.list("DANE_PARTITIONS", default=["o-v1"])
DANE_LEGACY_MX_SUFFIXES = env.list(
    "DANE_LEGACY_MX_SUFFIXES",
    default=["mail.protection.provider.test", "mail.eo.provider.test"],
)
DANE_INITIAL_DOMAIN_SUFFIX = (
    env.str("DANE_INITIAL_DOMAIN_SUFFIX", default="onprovider.test").strip(".").lower()
)
# The provider's inbound SMTP servers (the MX hosts' A/AAAA records, what ?probe=true connects
# to). None by default: no default may make the service connect anywhere unconfigured.
DANE_INBOUND_ADDRESSES = env.list("DANE_INBOUND_ADDRESSES", default=[])
DANE_INBOUND_CERTS = env.list("DANE_INBOUND_CERTS", default=[])
DANE_DNS_BACKEND = env.str("DANE_DNS_BACKEND", default="builtin")
# The servers a change must be visible on; the builtin driver's default is none (it writes
# zone files; list the servers that load them to wait for those).
DANE_DNS_SERVERS = env.list(
    "DANE_DNS_SERVERS", default=[] if DANE_DNS_BACKEND == "builtin" else ["127.0.0.1:5300"]
)
# builtin driver: the zones' DNSSEC signing keys (kept secret) and the signed zone files it writes.
DANE_BUILTIN_KEY_DIR = Path(env.str("DANE_BUILTIN_KEY_DIR", default=str(VAR_DIR / "dnssec-keys")))
DANE_BUILTIN_ZONE_DIR = Path(env.str("DANE_BUILTIN_ZONE_DIR", default=str(VAR_DIR / "zones")))
# A change of a builtin zone is appended to the journal <zone>.ixfr beside the zone file
# (folded into the file when it reaches this size or a quarter of the file's); 0: no journal,
# each change rewrites the file (the default when DANE_DNS_SERVERS load the files whole).
DANE_BUILTIN_JOURNAL_MAX_BYTES = env.int(
    "DANE_BUILTIN_JOURNAL_MAX_BYTES", default=0 if DANE_DNS_SERVERS else 8 * 1024 * 1024
)
DANE_TSIG_KEY_FILE = env.str("DANE_TSIG_KEY_FILE", default="")
DANE_RESOLVER = env.str("DANE_RESOLVER", default="127.0.0.1:5301")
# TLS-RPT (RFC 8460): the service's public base URL (the host of the rua=https://<host>/tlsrpt/
# <token>/ URI tenants publish), the limits on one report (upload, decompressed, JSON depth,
# a mailed message), the reports one token may send a minute, and how long reports are kept.
DANE_PUBLIC_URL = env.str("DANE_PUBLIC_URL", default="https://dane-admin.provider.test")
TLSRPT_MAX_UPLOAD_BYTES = env.int("TLSRPT_MAX_UPLOAD_BYTES", default=1024 * 1024)
TLSRPT_MAX_REPORT_BYTES = env.int("TLSRPT_MAX_REPORT_BYTES", default=5 * 1024 * 1024)
TLSRPT_MAX_JSON_DEPTH = env.int("TLSRPT_MAX_JSON_DEPTH", default=16)
TLSRPT_MAX_MAIL_BYTES = env.int("TLSRPT_MAX_MAIL_BYTES", default=2 * 1024 * 1024)
TLSRPT_RATE_PER_TOKEN = env.str("TLSRPT_RATE_PER_TOKEN", default="120/min")
TLSRPT_RETENTION_DAYS = env.int("TLSRPT_RETENTION_DAYS", default=400)
DANE_DNS_TIMEOUT = env.float("DANE_DNS_TIMEOUT", default=3.0)
# Status checks (Get-DnssecStatusForVerifiedDomain): the MTA-STS policy fetch, time limits,
# the schedule (backoff from DANE_CHECK_INTERVAL up to DANE_CHECK_MAX_INTERVAL while nothing
# changes) and the number of domains one sweep task checks concurrently.
DANE_MTA_STS_PORT = env.int("DANE_MTA_STS_PORT", default=443)
DANE_MTA_STS_CA_BUNDLE = env.str("DANE_MTA_STS_CA_BUNDLE", default="") or None
DANE_MTA_STS_TIMEOUT = env.float("DANE_MTA_STS_TIMEOUT", default=10.0)
# Whether the policy fetch may connect to loopback/private addresses a customer's DNS names
# (off in production: a tenant must not probe the provider's network; on for tests).
DANE_MTA_STS_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "DANE_MTA_STS_ALLOW_PRIVATE_ADDRESSES", default=DEBUG
)
# The MX TTL at a domain's own name servers (the wizard's step 1, the status report): they
# are asked on this port, and only on public addresses unless the next setting allows others
# (off in production, like the policy fetch; the test network's servers are on loopback).
DANE_AUTHORITATIVE_PORT = env.int("DANE_AUTHORITATIVE_PORT", default=53)
DANE_AUTHORITATIVE_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "DANE_AUTHORITATIVE_ALLOW_PRIVATE_ADDRESSES", default=DEBUG
)
DANE_CHECK_TIMEOUT = env.float("DANE_CHECK_TIMEOUT", default=20.0)
DANE_CHECK_INTERVAL = env.float("DANE_CHECK_INTERVAL", default=300.0)
DANE_CHECK_MAX_INTERVAL = env.float("DANE_CHECK_MAX_INTERVAL", default=21600.0)
DANE_CHECK_BATCH_SIZE = env.int("DANE_CHECK_BATCH_SIZE", default=500)
# Check batches (POST /api/v1/check-batches/) a tenant may have unfinished at once; one more
# is a 429 TooManyCheckBatches (domains.check_batches).
DANE_CHECK_BATCHES_PER_TENANT = env.int("DANE_CHECK_BATCHES_PER_TENANT", default=3)
# A name the validating resolver must resolve (or deny): when a status check gets no answer
# for a domain, this one tells our resolver's failure from the customer's (empty: the
# provider's DNSSEC MX suffix).
DANE_RESOLVER_PROBE_NAME = env.str("DANE_RESOLVER_PROBE_NAME", default="")
# A worker's claim on the domains of the chunk it checks, renewed while it works: a dead
# worker's domains are due again this long after it stopped.
DANE_CHECK_LEASE_SECONDS = env.float("DANE_CHECK_LEASE_SECONDS", default=30.0)
DANE_CHECK_MAX_IN_FLIGHT = env.int("DANE_CHECK_MAX_IN_FLIGHT", default=128)
DANE_VISIBILITY_TIMEOUT = env.float("DANE_VISIBILITY_TIMEOUT", default=30.0)
DANE_OPERATION_MAX_ATTEMPTS = env.int("DANE_OPERATION_MAX_ATTEMPTS", default=6)
DANE_OPERATION_RETRY_BASE_SECONDS = env.float("DANE_OPERATION_RETRY_BASE_SECONDS", default=10.0)
# A claimed operation is taken over after this (dead worker); renewed every third of it.
DANE_OPERATION_LEASE_SECONDS = env.float("DANE_OPERATION_LEASE_SECONDS", default=30.0)
# Commands within this many seconds share one worker wake-up, sent by the first and run when
# the window ends (domains.transitions.wake_worker); 0: one wake-up per command.
DANE_OPERATION_WAKE_UP_WINDOW = env.float("DANE_OPERATION_WAKE_UP_WINDOW", default=0.2)
# How long an Idempotency-Key names the operation it created (docs/api-errors.md); then it is new.
DANE_IDEMPOTENCY_KEY_TTL_SECONDS = env.int("DANE_IDEMPOTENCY_KEY_TTL_SECONDS", default=86400)
DANE_PARTITION_CAPACITY = env.int("DANE_PARTITION_CAPACITY", default=10_000)
DANE_RECORD_TTL = env.int("DANE_RECORD_TTL", default=3600)
# On when the same DNS servers host DANE_MX_SUFFIX: new partitions get NS + DS there.
DANE_MX_PARENT_MANAGED = env.bool("DANE_MX_PARENT_MANAGED", default=False)
DANE_ZONE_NAMESERVERS = env.list("DANE_ZONE_NAMESERVERS", default=["ns.test"])
DANE_ZONE_HOSTMASTER = env.str("DANE_ZONE_HOSTMASTER", default="hostmaster.test")
# powerdns driver: PowerDNS Authoritative's HTTP API (the key file holds only the API key).
DANE_POWERDNS_API_URL = env.str(
    "DANE_POWERDNS_API_URL", default="http://127.0.0.1:8053/api/v1/servers/localhost"
)
DANE_POWERDNS_API_KEY_FILE = env.str("DANE_POWERDNS_API_KEY_FILE", default="")
DANE_POWERDNS_DNS = env.str("DANE_POWERDNS_DNS", default="127.0.0.1:5355")
# rfc2136 driver on Knot: partition zones are created through knotc's control socket.
DANE_KNOT_CONTROL_SOCKET = env.str("DANE_KNOT_CONTROL_SOCKET", default="")
DANE_KNOT_DNSSEC_POLICY = env.str("DANE_KNOT_DNSSEC_POLICY", default="ecdsa-csk")
DANE_KNOT_ACL = env.list("DANE_KNOT_ACL", default=["update"])

# Outbound DANE validation (the connectivity analyzer). Choosing the port and reaching
# loopback/private addresses are for tests and operators: off in production by default.
DANE_VALIDATION_ALLOW_PORT = env.bool("DANE_VALIDATION_ALLOW_PORT", default=DEBUG)
DANE_VALIDATION_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "DANE_VALIDATION_ALLOW_PRIVATE_ADDRESSES", default=DEBUG
)
DANE_VALIDATION_TIMEOUT = env.float("DANE_VALIDATION_TIMEOUT", default=30.0)
DANE_VALIDATION_EHLO_NAME = env.str("DANE_VALIDATION_EHLO_NAME", default=DANE_MX_SUFFIX)
# Notifications (docs/notifications.md): webhook POSTs time out after NOTIFY_WEBHOOK_TIMEOUT
# seconds, NOTIFY_WEBHOOK_CONCURRENCY at a time, NOTIFY_WEBHOOK_BATCH claimed per round; a
# failed delivery is retried after BASE seconds doubled each time up to MAX, for WINDOW
# seconds, then failed. Webhook URLs must be https and resolve to public addresses outside
# DEBUG (http and loopback receivers are for tests and development).
NOTIFY_WEBHOOK_TIMEOUT = env.float("NOTIFY_WEBHOOK_TIMEOUT", default=5.0)
NOTIFY_WEBHOOK_CONCURRENCY = env.int("NOTIFY_WEBHOOK_CONCURRENCY", default=20)
NOTIFY_WEBHOOK_BATCH = env.int("NOTIFY_WEBHOOK_BATCH", default=200)
NOTIFY_WEBHOOK_RETRY_BASE_SECONDS = env.float("NOTIFY_WEBHOOK_RETRY_BASE_SECONDS", default=10.0)
NOTIFY_WEBHOOK_RETRY_MAX_SECONDS = env.float("NOTIFY_WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
NOTIFY_WEBHOOK_RETRY_WINDOW_SECONDS = env.float(
    "NOTIFY_WEBHOOK_RETRY_WINDOW_SECONDS", default=86400.0
)
NOTIFY_WEBHOOK_ALLOW_HTTP = env.bool("NOTIFY_WEBHOOK_ALLOW_HTTP", default=DEBUG)
NOTIFY_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "NOTIFY_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=DEBUG
)
NOTIFY_WEBHOOK_CA_BUNDLE = env.str("NOTIFY_WEBHOOK_CA_BUNDLE", default="") or None

# Get-SmtpDaneInboundStatus ?probe=true: the SMTP port of the provider's inbound servers.
DANE_INBOUND_SMTP_PORT = env.int("DANE_INBOUND_SMTP_PORT", default=25)
# Inbound key rollover (domains.rollover): promotion waits 2 x DANE_RECORD_TTL + this margin
# after the new TLSA set is on every authoritative server (RFC 7671 §8.1-8.2).
DANE_ROLLOVER_MARGIN_SECONDS = env.int("DANE_ROLLOVER_MARGIN_SECONDS", default=300)
# The served-certificate probe (beat, every DANE_INBOUND_PROBE_INTERVAL s): every
# DANE_INBOUND_ADDRESSES address on DANE_INBOUND_SMTP_PORT, each session within the timeout; a
# served certificate within the warning days of its not_after is a finding (EK003).
DANE_INBOUND_PROBE_TIMEOUT = env.float("DANE_INBOUND_PROBE_TIMEOUT", default=10.0)
DANE_INBOUND_EXPIRY_WARNING_DAYS = env.int("DANE_INBOUND_EXPIRY_WARNING_DAYS", default=21)

# Operators: the fleet overview lists domains in pending_mx for longer than this many days.
DANE_STUCK_PENDING_MX_DAYS = env.int("DANE_STUCK_PENDING_MX_DAYS", default=7)
# /metrics (Prometheus text format) answers only "Authorization: Bearer <this>"; empty: off
# (404). The web servers and workers of one installation share PROMETHEUS_MULTIPROC_DIR
# (read by prometheus-client itself; docs/metrics.md).
DANE_METRICS_TOKEN = env.str("DANE_METRICS_TOKEN", default="")

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "text" (one readable line each) or "json" (one object per line, for log collectors; the
# real stack's format). By default: text when standard error is a terminal, JSON otherwise.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if sys.stderr.isatty() else "json")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
# Every request gets an id (a caller's valid X-Request-ID is kept), answered in X-Request-ID,
# written as correlation_id on each log line of the request and carried into the Celery
# tasks it starts (celery_parent_id / celery_current_id on the worker's lines).
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=True)],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "correlation_id": {"()": "django_guid.log_filters.CorrelationId"},
        "celery_tracing": {"()": "django_guid.integrations.celery.log_filters.CeleryTracing"},
        # A periodic task that found nothing to do is a DEBUG line, not one every 5 s.
        "idle_periodic_tasks": {
            "()": "dane_admin.logfilters.IdlePeriodicTasks",
            "task_names": sorted({entry["task"] for entry in CELERY_BEAT_SCHEDULE.values()}),
        },
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(correlation_id)s %(message)s",
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["idle_periodic_tasks", "correlation_id", "celery_tracing"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django_guid": {"level": "WARNING"}},  # not a line per request about its id
}
