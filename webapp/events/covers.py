"""Cover images: checked by content (not by name), re-encoded, kept in storage under uploads/covers/
(webapp/storage.py)."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from webapp.i18n import _
from webapp.storage import storage

MAX_COVER_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAX_WIDTH = 2400  # plenty for any screen; keeps the landing page fast
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "png"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class CoverError(ValueError):
    """The upload is not an acceptable image; the message is fit for the form field."""


def cover_key(name: str) -> str:
    """The storage key of a cover (its name is ours: random, checked by the caller)."""
    return f"uploads/covers/{Path(name).name}"


def store_cover(data: bytes) -> str:
    """Check and re-encode an uploaded image; returns the stored file name (random, so a new
    upload gets a new URL and the old one can be cached forever)."""
    if len(data) > MAX_COVER_BYTES:
        raise CoverError(_("The image is larger than %(mb)s MB.", mb=MAX_COVER_BYTES // (1024 * 1024)))
    if not data:
        raise CoverError(_("The file is empty."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise CoverError(_("This file is not an image. Upload a JPEG, PNG or WebP picture.")) from None
    if fmt not in FORMATS:
        raise CoverError(_("Upload a JPEG, PNG or WebP picture."))
    if width * height > MAX_PIXELS:
        raise CoverError(_("The image has too many pixels; use one under 40 megapixels."))
    if width < 200 or height < 100:
        raise CoverError(_("The image is too small; use one at least 200 × 100 pixels."))
    extension = FORMATS[fmt]
    encoded = _reencode(data, extension)
    name = f"{secrets.token_urlsafe(16)}.{extension}"
    storage().write(cover_key(name), encoded)
    return name


def _reencode(data: bytes, extension: str) -> bytes:
    # Re-encoding drops metadata (camera GPS positions) and anything smuggled after the pixels.
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)
            image = ImageOps.exif_transpose(image)
            if image.width > MAX_WIDTH:
                image.thumbnail((MAX_WIDTH, MAX_WIDTH * 4), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if extension == "jpg":
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True, progressive=True)
            elif extension == "webp":
                image.save(out, "WEBP", quality=85)
            else:
                if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    image = image.convert("RGBA")
                image.save(out, "PNG", optimize=True)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        raise CoverError(_("This image could not be read. Upload a JPEG, PNG or WebP picture.")) from None


def remove_cover(name: str | None) -> None:
    if not name:
        return
    storage().delete(cover_key(name))


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
