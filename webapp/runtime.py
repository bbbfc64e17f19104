"""The settings in force: the app's inside a request or app context, else (a Huey worker, a
script) loaded once from the environment."""

from __future__ import annotations

import functools

from flask import current_app, has_app_context

import config


def settings() -> config.Settings:

    if has_app_context():
        return current_app.config["SETTINGS"]
    return _loaded()


@functools.lru_cache(maxsize=1)
def _loaded() -> config.Settings:
    return config.ensure_secret_key(config.load())
