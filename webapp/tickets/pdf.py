"""The one WeasyPrint renderer every PDF goes through (tickets, badges).

Most of a small document's cost is set-up that does not change between documents: loading and
subsetting fonts, parsing the base stylesheet. So each thread keeps one FontConfiguration and the
prepared base CSS for its life, and the shipped font (Liberation Sans, static/fonts/) is compact.

Nothing is fetched from the network: the URL fetcher serves `data:` URLs and files under our
static/ and instance/ directories, and refuses everything else (other files, http, ftp...). A
refused resource is left out of the document and logged; the document still renders.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

import config
from webapp.runtime import settings

log = logging.getLogger("rollcall.pdf")
# WeasyPrint reports every rendering step at INFO: noise in the logs, and time spent per document.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

STATIC_DIR = config.BASE_DIR / "static"
FONT_FAMILY = "Rollcall Sans"

BASE_CSS = f"""
@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: 400;
  src: url("fonts/LiberationSans-Regular.ttf"); }}
@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: 700;
  src: url("fonts/LiberationSans-Bold.ttf"); }}
html {{ font-family: "{FONT_FAMILY}", sans-serif; font-size: 10pt; color: #111827; }}
"""


class RefusedURL(ValueError):
    """The renderer may not read this URL."""


class LocalOnlyFetcher(URLFetcher):
    """Serves data: URLs and files inside the allowed directories; refuses the rest."""

    def __init__(self, allowed_roots: list[Path]):
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.allowed_roots = [root.resolve() for root in allowed_roots]

    def fetch(self, url, headers=None):
        scheme = url.partition(":")[0].lower()
        if scheme == "file":
            self.check_path(url)
        elif scheme != "data":
            log.warning("PDF renderer refused %s", url[:200])
            raise RefusedURL(f"the PDF renderer does not fetch {scheme}: URLs")
        return super().fetch(url, headers)

    def check_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL("the PDF renderer does not read remote files")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.allowed_roots):
            log.warning("PDF renderer refused %s", path)
            raise RefusedURL(f"the PDF renderer does not read {path}")
        return path


class _Renderer(threading.local):
    """Per thread (WeasyPrint objects are not meant to be shared between threads): the font
    configuration and the prepared stylesheet, built on first use and kept."""

    def __init__(self):
        self.key: tuple | None = None
        self.extra: dict[str, CSS] = {}

    def prepare(self) -> None:
        roots = [STATIC_DIR, settings().instance_dir]
        key = tuple(str(root) for root in roots)
        if self.key == key:
            return
        self.fetcher = LocalOnlyFetcher(roots)
        self.font_config = FontConfiguration()
        self.base_css = CSS(
            string=BASE_CSS,
            base_url=STATIC_DIR.as_uri() + "/",
            url_fetcher=self.fetcher,
            font_config=self.font_config,
        )
        self.extra = {}
        self.key = key

    def stylesheet(self, css: str) -> CSS:
        """A document family's own stylesheet, parsed once and kept (a handful per process)."""
        sheet = self.extra.get(css)
        if sheet is None:
            if len(self.extra) >= 32:
                self.extra.clear()
            sheet = self.extra[css] = CSS(
                string=css,
                base_url=STATIC_DIR.as_uri() + "/",
                url_fetcher=self.fetcher,
                font_config=self.font_config,
            )
        return sheet


_renderer = _Renderer()


def fetcher() -> LocalOnlyFetcher:
    _renderer.prepare()
    return _renderer.fetcher


def render_pdf(html: str, *, base_url: str | None = None, css: str | None = None) -> bytes:
    """The PDF for an HTML document. Relative URLs resolve against `base_url` (default: static/),
    which must lie inside the allowed directories like every file the document uses.

    `css` is a stylesheet shared by many documents (a ticket layout, a badge layout): it is parsed
    once per thread and reused, where a <style> in the HTML would be parsed for every document."""
    _renderer.prepare()
    document = HTML(
        string=html,
        base_url=base_url or STATIC_DIR.as_uri() + "/",
        url_fetcher=_renderer.fetcher,
    )
    stylesheets = [_renderer.base_css] + ([_renderer.stylesheet(css)] if css else [])
    return document.write_pdf(stylesheets=stylesheets, font_config=_renderer.font_config)
