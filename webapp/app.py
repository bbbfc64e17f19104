"""The Flask app factory: settings, extensions, blueprints and commands, put together."""

from __future__ import annotations

import importlib
import inspect
import logging
from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

import config
import webapp.catalog.hooks  # noqa: F401  (answers the events domain's questions: webapp/signals.py)
import webapp.events.hooks  # noqa: F401  (the accounts domain's announcements: webapp/signals.py)
import webapp.orders.hooks  # noqa: F401  (answers the events and catalog domains' questions)
import webapp.workflows.hooks  # noqa: F401  (answers the segments domain's questions)
from webapp import backup, demo, errors, guards, migrate, observability, security, sessions, static_files, templating
from webapp import db as database
from webapp.accounts import access
from webapp.extensions import LANGUAGES, babel, cache, compress, csrf, login_manager

DOMAINS = (
    "accounts",
    "events",
    "catalog",
    "documents",
    "orders",
    "projects",
    "payments",
    "tickets",
    "mail",
    "contacts",
    "checkin",
    "segments",
    "workflows",
    "campaigns",
    "audiences",
    "widgets",
    "registrants",
    "console",
    "api",
    "ops",
)


class Rollcall(Flask):
    def ensure_sync(self, func):
        """Flask asks this of every hook and view on every request, through
        inspect.iscoroutinefunction; a plain function or method is answered from its code's flags."""
        code = getattr(getattr(func, "__func__", func), "__code__", None)
        if code is not None and not code.co_flags & inspect.CO_COROUTINE:
            return func
        return super().ensure_sync(func)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. `test_config` may carry "ENVIRON" (a dict used instead of os.environ) and
    any Flask setting to override."""
    test_config = dict(test_config or {})
    settings = config.ensure_secret_key(config.load(test_config.pop("ENVIRON", None)))

    app = Rollcall(
        "webapp",
        template_folder=str(config.BASE_DIR / "templates"),
        static_folder=str(config.BASE_DIR / "static"),
        instance_path=str(settings.instance_dir),
    )
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        REMEMBER_COOKIE_SECURE=settings.base_url.startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the session
        BABEL_TRANSLATION_DIRECTORIES=str(config.BASE_DIR / "webapp" / "translations"),
        PREFERRED_URL_SCHEME="https" if settings.base_url.startswith("https://") else "http",
    )
    app.config.update(_cache_settings(settings))
    app.session_interface = sessions.CookieSessions()
    app.config.update(
        # The pages and their files; API answers (JSON) are left as they are, for any client.
        COMPRESS_MIMETYPES=["text/html", "text/css", "text/plain", "text/calendar",
                            "application/javascript", "text/javascript", "image/svg+xml"],
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_BR_LEVEL=4,
        COMPRESS_LEVEL=6,
        COMPRESS_EVALUATE_CONDITIONAL_REQUEST=False,  # conditional answers are the views' (the landing page checks its ETag)
    )  # fmt: skip
    app.config.update(test_config)
    if settings.trusted_proxies:
        # Behind reverse proxies every request comes from the proxy's address: take the client's
        # (and the scheme) from the X-Forwarded-* headers the trusted hops set, and no further.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    settings.instance_dir.mkdir(parents=True, exist_ok=True)

    observability.configure_logging(settings.log_format)
    # Huey's consumer gives its own logger a handler: its lines must not also reach ours (each
    # would be printed twice).
    if logging.getLogger("huey").handlers:
        logging.getLogger("huey").propagate = False
    # WeasyPrint reports every stylesheet it parses, starting when it is imported (below).
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    guards.init_app(app)  # first: no other start-of-request step reads a refused request
    observability.init_app(app)  # the request id and the latency of every request let through
    database.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    cache.init_app(app)
    compress.init_app(app)
    static_files.init_app(app)

    security.init_app(app)
    access.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _cache_settings(settings: config.Settings) -> dict:
    """The page cache is shared by every process: Redis when the app's Redis is configured
    (HUEY_URL=redis://...), else a file store in the instance folder (one node)."""
    if settings.huey_url.startswith("redis"):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.huey_url, "CACHE_KEY_PREFIX": "rollcall:"}
    return {
        "CACHE_TYPE": "FileSystemCache",
        "CACHE_DIR": str(settings.instance_dir / "page-cache"),
        "CACHE_THRESHOLD": 5000,
    }


def _select_locale() -> str:
    """A page's own language first (an event's page, an order's), then the signed-in user's
    choice for the console and the door, then the language picked on a public page, then the
    browser's."""
    if not has_request_context():  # a lazy text read at import or in a task: English, as `_` does
        return "en"
    chosen = g.get("locale")
    if chosen in LANGUAGES:
        return chosen
    if current_user and current_user.is_authenticated and getattr(current_user, "language", None) in LANGUAGES:
        return current_user.language
    if session.get("locale") in LANGUAGES:
        return session["locale"]
    return request.accept_languages.best_match(LANGUAGES) or "en"


def _register_blueprints(app: Flask) -> None:
    """Every `webapp/<domain>/views*.py` module exposes a blueprint `bp`."""
    root = Path(__file__).resolve().parent
    for domain in DOMAINS:
        for path in sorted((root / domain).glob("views*.py")):
            module = importlib.import_module(f"webapp.{domain}.{path.stem}")
            app.register_blueprint(module.bp)


def _register_cli(app: Flask) -> None:
    migrate.register_cli(app)
    backup.register_cli(app)
    demo.register_cli(app)
    for domain in DOMAINS:
        name = f"webapp.{domain}.cli"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(app)
