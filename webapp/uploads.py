"""What an uploaded file is, judged by its content (never by its name or the browser's word): the
one place the upload checks of covers, logos and project files share."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

# Documents kept as they are (project files): kind -> (content type, extension).
DOCUMENT_KINDS = {
    "PDF": ("application/pdf", "pdf"),
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
    "TEXT": ("text/plain; charset=utf-8", "txt"),
}


def image_kind(data: bytes) -> str | None:
    """The image format in `data` (PNG, JPEG, WEBP, GIF ...) once the decoder has checked it;
    None for anything that is not a readable image, a decompression bomb included."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return kind


def document_kind(data: bytes) -> str | None:
    """A key of DOCUMENT_KINDS for `data`, or None: a PDF (by its header and trailer), an image
    the decoder accepts, or UTF-8 text without control characters other than tabs and line ends
    (notes, CSV)."""
    if not data:
        return None
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]:
        return "PDF"
    kind = image_kind(data)
    if kind is not None:
        return kind if kind in DOCUMENT_KINDS else None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
        return None
    return "TEXT"
