"""Rollcall: the Flask app factory."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from flask import Flask, g, request, session

import config
from webapp import db as database
from webapp import guards
from webapp.extensions import babel, csrf, login_manager

DOMAINS = (
    "accounts",
    "events",
    "catalog",
    "orders",
    "payments",
    "tickets",
    "mail",
    "contacts",
    "checkin",
    "console",
    "api",
)
LANGUAGES = ("en", "id")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. `test_config` may carry "ENVIRON" (a dict used instead of os.environ) and
    any Flask setting to override."""
    test_config = dict(test_config or {})
    settings = config.load(test_config.pop("ENVIRON", None))

    app = Flask(
        __name__,
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
    app.config.update(test_config)
    settings.instance_dir.mkdir(parents=True, exist_ok=True)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # WeasyPrint reports every stylesheet it parses, starting when it is imported (below).
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    guards.init_app(app)  # first: no other start-of-request step reads a refused request
    database.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    from webapp import errors, security, signals, templating

    security.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    signals.connect_receivers()
    _register_blueprints(app)
    _register_cli(app)
    return app


def _select_locale() -> str:
    chosen = g.get("locale")
    if chosen in LANGUAGES:
        return chosen
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
    from webapp import demo

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
