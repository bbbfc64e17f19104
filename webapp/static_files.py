"""Static files under fingerprinted names, cached by browsers for a year.

`url_for("static", filename="css/app.css")` gives `/static/css/app.<hash>.css`, the hash taken
from the file's content when the app starts: a changed file gets a new address, so an address can
be cached for good (`immutable`: a reload does not even revalidate it). The plain name still
answers, revalidated every time (`no-cache`), for addresses written outside our templates, and so
does a fingerprint of an older copy (a page cached during a deploy), with the current file.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask, send_from_directory

YEAR = 365 * 24 * 3600
FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)$")


def fingerprinted_name(filename: str, content: bytes) -> str:
    path = Path(filename)
    digest = hashlib.sha256(content).hexdigest()[:12]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}")) if path.suffix else filename


def manifest(folder: Path) -> dict[str, str]:
    """Each file's name under the folder -> its fingerprinted name."""
    return {
        path.relative_to(folder).as_posix(): fingerprinted_name(path.relative_to(folder).as_posix(), path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def init_app(app: Flask) -> None:
    names = manifest(Path(app.static_folder))
    current = set(names.values())

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = names.get(values["filename"], values["filename"])

    def static(filename: str):
        match = FINGERPRINTED.match(filename)
        if match is None:
            response = app.send_static_file(filename)
            response.headers["Cache-Control"] = "no-cache"
            return response
        response = app.send_static_file(match["stem"] + match["suffix"])
        if filename in current:
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response

    app.view_functions["static"] = static

    @app.route("/favicon.ico")
    def favicon():
        response = send_from_directory(app.static_folder, "img/favicon.ico", mimetype="image/vnd.microsoft.icon")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response
