"""The shared renderer reads only data: URLs and our own files."""

from __future__ import annotations

import pytest

from tests.factories.tickets import pdf_font_names, pdf_text
from webapp.runtime import settings
from webapp.tickets.pdf import STATIC_DIR, RefusedURL, fetcher, render_pdf


def test_renders_with_the_shipped_font(app):
    pdf = render_pdf("<p style='font-weight:700'>Selamat datang, Ana</p>")
    assert pdf.startswith(b"%PDF")
    assert "Selamat datang, Ana" in pdf_text(pdf)
    fonts = pdf_font_names(pdf)
    assert fonts and all("Rollcall-Sans" in name for name in fonts)  # ours (subset), not a system font


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.org/logo.png", "ftp://example.org/x"],
)
def test_refuses_other_files_and_network(app, url):
    with pytest.raises(RefusedURL):
        fetcher().fetch(url)


def test_refuses_paths_escaping_static(app):
    with pytest.raises(RefusedURL):
        fetcher().fetch((STATIC_DIR / ".." / "config.py").resolve().as_uri())
    with pytest.raises(RefusedURL):
        fetcher().fetch(STATIC_DIR.as_uri() + "/../config.py")


def test_reads_static_instance_and_data_urls(app):
    font = (STATIC_DIR / "fonts" / "LiberationSans-Regular.ttf").as_uri()
    assert fetcher().fetch(font).read(4) == b"\x00\x01\x00\x00"
    upload = settings().instance_dir / "uploads" / "note.txt"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text("ok")
    assert fetcher().fetch(upload.as_uri()).read() == b"ok"
    assert fetcher().fetch("data:text/plain,hello").read() == b"hello"


def test_a_refused_image_leaves_the_document_intact(app):
    pdf = render_pdf('<p>Ticket</p><img src="file:///etc/hostname"><img src="http://127.0.0.1:9/x.png">')
    assert "Ticket" in pdf_text(pdf)
