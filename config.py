"""Settings from environment variables (and an optional .env file), with safe defaults.

Every setting is parsed and checked here, once, at start-up: a malformed value stops the app with
a message that names the variable, instead of failing later in the middle of a request.

Loading only reads (the environment, .env, the instance's secret key file): importing a module that
loads the settings writes nothing. The app generates its secret key when it starts without one
(`ensure_secret_key`, called by create_app).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dotenv import dotenv_values

# Threads per gunicorn worker (webapp/server.py). A request holds one database connection, so a
# process's PostgreSQL pool needs as many and no more (ROLLCALL_DB_POOL_SIZE overrides it; the
# Huey consumer's two threads fit in it too).
WEB_THREADS = 4

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_INSTANCE_DIR = BASE_DIR / "instance"

# Variables this app reads. Any other ROLLCALL_* variable is a typo and refused at start-up.
KNOWN = {
    "DATABASE_URL",
    "HUEY_URL",
    "SECRET_KEY",
    "BASE_URL",
    "SMTP_URL",
    "MAIL_FROM",
    "INSTANCE_DIR",
    "ROLLCALL_ENV",
    "ROLLCALL_TEST_GATEWAY",
    "ROLLCALL_ORDER_HOLD_MINUTES",
    "ROLLCALL_MAX_UPLOAD_MB",
    "ROLLCALL_DB_POOL_SIZE",
    "ROLLCALL_CAMPAIGN_JOBS",
    "ROLLCALL_WORK_LEASE_SECONDS",
    "ROLLCALL_TRUSTED_PROXIES",
    "BOUNCE_ADDRESS",
    "ROLLCALL_BOUNCE_LISTEN",
    "ROLLCALL_APNS_URL",
    "ROLLCALL_APNS_CA_FILE",
    "LOG_FORMAT",
    "METRICS_TOKEN",
    "PROMETHEUS_MULTIPROC_DIR",
    "STORAGE_BACKEND",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_PREFIX",
}


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    security: str  # "plain", "starttls" or "ssl"

    def __repr__(self) -> str:  # never print the password
        return f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r})"


@dataclass(frozen=True)
class StorageSettings:
    """Object storage (STORAGE_BACKEND=s3): a bucket on S3 or any S3-compatible server. Without
    keys, boto3 finds credentials its usual way (AWS_* variables, an instance role)."""

    bucket: str
    endpoint_url: str | None
    region: str | None
    access_key_id: str | None
    secret_access_key: str | None = field(repr=False)
    prefix: str = ""


@dataclass(frozen=True)
class Settings:
    database_url: str
    huey_url: str
    # None until the app first starts without SECRET_KEY and generates one (ensure_secret_key).
    secret_key: str | None = field(repr=False)
    base_url: str
    smtp: SmtpSettings | None
    mail_from: str
    instance_dir: Path
    env: str
    test_gateway: bool
    order_hold_minutes: int
    max_upload_bytes: int
    db_pool_size: int
    work_lease_seconds: int
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none, and those
    # headers are ignored: a client could forge them). The client's address (which sign-in
    # limits count) comes from X-Forwarded-For, trusting only that many hops.
    trusted_proxies: int = 0
    # The mailbox DSNs and spam complaints come back to (the envelope sender of every message, as
    # bounces+<token>@domain), received by `python -m webapp.campaigns.bounce_server` listening on
    # bounce_listen (host:port). None: messages go out with their From as the envelope sender.
    bounce_address: str | None = None
    bounce_listen: tuple[str, int] = ("127.0.0.1", 2525)
    # "text" (a line per record) or "json" (an object per line, with the request id).
    log_format: str = "text"
    # The bearer token /metrics asks for (None: /metrics answers 404). Never printed.
    metrics_token: str | None = field(default=None, repr=False)
    # Where files live (webapp/storage.py): "local" (the instance folder) or "s3".
    storage: StorageSettings | None = None
    # Jobs that hand one campaign's messages over side by side, each its own part of the
    # recipients (webapp/campaigns/delivery.py); as many as worker processes can run them.
    campaign_jobs: int = 2
    # Apple's push service, told when a wallet pass changed (webapp/tickets/wallet_push.py), and a
    # CA file trusted for it besides the usual ones (a TLS-inspecting proxy; the tests' own CA).
    apns_url: str = "https://api.push.apple.com"
    apns_ca_file: Path | None = None


def _database_url(value: str, name: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme not in ("sqlite", "postgres", "postgresql"):
        raise ConfigError(f"{name} must start with sqlite:/// or postgresql://, got {scheme or value!r}")
    if scheme == "sqlite" and not value.startswith("sqlite:///"):
        raise ConfigError(f"{name} must look like sqlite:///path/to/file.db")
    return value


def _huey_url(value: str, name: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme not in ("sqlite", "redis", "memory"):
        raise ConfigError(f"{name} must start with sqlite:///, redis:// or memory://, got {value!r}")
    return value


def _base_url(value: str, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an absolute http(s) URL such as https://tickets.example.org")
    return value.rstrip("/")


def parse_smtp_url(value: str, name: str = "SMTP_URL") -> SmtpSettings:
    """smtp://user:pass@host:port, smtps://... for TLS on connect, ?starttls=1 to upgrade."""
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"{name} must look like smtp://user:pass@host:587?starttls=1 or smtps://host:465")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{name} has a port that is not a number") from None
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    if parts.scheme == "smtps" or query.get("ssl") in ("1", "true"):
        security = "ssl"
    elif query.get("starttls") in ("1", "true"):
        security = "starttls"
    else:
        security = "plain"
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if security == "ssl" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        security=security,
    )


def _int(env: dict, name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _bool(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _secret_key(env: dict, instance_dir: Path) -> str | None:
    if env.get("SECRET_KEY"):
        if len(env["SECRET_KEY"]) < 16:
            raise ConfigError("SECRET_KEY must be at least 16 characters long")
        return env["SECRET_KEY"]
    path = instance_dir / "secret_key"
    return path.read_text().strip() if path.exists() else None


def ensure_secret_key(settings: Settings) -> Settings:
    """The settings with a secret key: without SECRET_KEY, the one generated into the instance
    folder the first time the app started (generated now if this is that first time)."""
    if settings.secret_key:
        return settings
    return replace(settings, secret_key=_stored_secret_key(settings.instance_dir))


def _stored_secret_key(instance_dir: Path) -> str:
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def read_dotenv(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def load(environ: dict | None = None) -> Settings:
    """Build the settings from the environment (a .env file fills in what the environment lacks).
    Reads only: a secret key not given nor generated yet is None (see ensure_secret_key)."""
    env = dict(read_dotenv(BASE_DIR / ".env")) if environ is None else {}
    env.update(os.environ if environ is None else environ)

    unknown = sorted(k for k in env if k.startswith("ROLLCALL_") and k not in KNOWN)
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]} (known: {', '.join(sorted(KNOWN))})")

    instance_dir = Path(env.get("INSTANCE_DIR") or DEFAULT_INSTANCE_DIR)
    app_env = env.get("ROLLCALL_ENV", "production")
    if app_env not in ("production", "development", "test"):
        raise ConfigError(f"ROLLCALL_ENV must be production, development or test, got {app_env!r}")

    return Settings(
        database_url=_database_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'rollcall.db'}", "DATABASE_URL"
        ),
        huey_url=_huey_url(env.get("HUEY_URL") or f"sqlite:///{instance_dir / 'huey.db'}", "HUEY_URL"),
        secret_key=_secret_key(env, instance_dir),
        base_url=_base_url(env.get("BASE_URL") or "http://127.0.0.1:5000", "BASE_URL"),
        smtp=parse_smtp_url(env["SMTP_URL"]) if env.get("SMTP_URL") else None,
        mail_from=env.get("MAIL_FROM") or "Rollcall <no-reply@rollcall.localhost>",
        instance_dir=instance_dir,
        env=app_env,
        test_gateway=_bool(env, "ROLLCALL_TEST_GATEWAY", app_env != "production"),
        order_hold_minutes=_int(env, "ROLLCALL_ORDER_HOLD_MINUTES", 30, 1, 7 * 24 * 60),
        max_upload_bytes=_int(env, "ROLLCALL_MAX_UPLOAD_MB", 20, 1, 500) * 1024 * 1024,
        db_pool_size=_int(env, "ROLLCALL_DB_POOL_SIZE", WEB_THREADS, 1, 200),
        work_lease_seconds=work_lease_seconds(env),
        trusted_proxies=_int(env, "ROLLCALL_TRUSTED_PROXIES", 0, 0, 10),
        bounce_address=_bounce_address(env.get("BOUNCE_ADDRESS") or "", "BOUNCE_ADDRESS"),
        bounce_listen=_listen(env.get("ROLLCALL_BOUNCE_LISTEN") or "127.0.0.1:2525", "ROLLCALL_BOUNCE_LISTEN"),
        log_format=_choice(env, "LOG_FORMAT", ("text", "json")),
        metrics_token=_metrics_token(env),
        storage=_storage(env),
        campaign_jobs=_int(env, "ROLLCALL_CAMPAIGN_JOBS", 2, 1, 16),
        apns_url=_https_url(env.get("ROLLCALL_APNS_URL") or "https://api.push.apple.com", "ROLLCALL_APNS_URL"),
        apns_ca_file=_existing_file(env.get("ROLLCALL_APNS_CA_FILE") or "", "ROLLCALL_APNS_CA_FILE"),
    )


def _https_url(value: str, name: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ConfigError(f"{name} must be an https:// address without a path, got {value!r}")
    return f"https://{parts.netloc}"


def _existing_file(value: str, name: str) -> Path | None:
    if not value.strip():
        return None
    path = Path(value.strip())
    if not path.is_file():
        raise ConfigError(f"{name} must name an existing file, got {value!r}")
    return path


def _choice(env: dict, name: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or choices[0]).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {env.get(name)!r}")
    return value


def _metrics_token(env: dict) -> str | None:
    token = env.get("METRICS_TOKEN") or None
    if token is not None and len(token) < 16:
        raise ConfigError("METRICS_TOKEN must be at least 16 characters long")
    return token


def _storage(env: dict) -> StorageSettings | None:
    """None for the instance folder (the default); the bucket's settings for STORAGE_BACKEND=s3."""
    if _choice(env, "STORAGE_BACKEND", ("local", "s3")) == "local":
        return None
    if not env.get("S3_BUCKET"):
        raise ConfigError("S3_BUCKET must be set when STORAGE_BACKEND=s3")
    endpoint = env.get("S3_ENDPOINT_URL") or None
    if endpoint is not None:
        _base_url(endpoint, "S3_ENDPOINT_URL")
    if bool(env.get("S3_ACCESS_KEY_ID")) != bool(env.get("S3_SECRET_ACCESS_KEY")):
        raise ConfigError("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together")
    return StorageSettings(
        bucket=env["S3_BUCKET"],
        endpoint_url=endpoint,
        region=env.get("S3_REGION") or None,
        access_key_id=env.get("S3_ACCESS_KEY_ID") or None,
        secret_access_key=env.get("S3_SECRET_ACCESS_KEY") or None,
        prefix=(env.get("S3_PREFIX") or "").strip("/"),
    )


def _bounce_address(value: str, name: str) -> str | None:
    value = value.strip().lower()
    if not value:
        return None
    local, at, domain = value.partition("@")
    if not at or not local or "+" in local or "." not in domain or any(c in value for c in ' <>,;"\\'):
        raise ConfigError(f"{name} must be a plain address such as bounces@mail.example.org, got {value!r}")
    return value


def _listen(value: str, name: str) -> tuple[str, int]:
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name} must be host:port, such as 127.0.0.1:2525, got {value!r}")
    return host.strip("[]"), int(port)


def work_lease_seconds(env: dict | None = None) -> int:
    """How long a worker may hold a work item before it is taken for dead (webapp.work.engine
    reads it when imported, before any app exists)."""
    if env is None:
        env = {**read_dotenv(BASE_DIR / ".env"), **os.environ}
    return _int(env, "ROLLCALL_WORK_LEASE_SECONDS", 300, 5, 24 * 60 * 60)
