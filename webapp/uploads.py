"""What an uploaded file is, judged by its content (never by its name or the browser's word): the
one place the upload checks of covers, logos and documents (of events and projects) share."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError

LOGO_MOST_SIDE = 4000  # pixels, wide or high: an organization's logo and a badge's
_OFFICE = "application/vnd.openxmlformats-officedocument."
# The documents taken: extension -> (content type, how the content must read).
DOCUMENT_TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "png": ("image/png", "PNG"),
    "jpg": ("image/jpeg", "JPEG"),
    "jpeg": ("image/jpeg", "JPEG"),
    "webp": ("image/webp", "WEBP"),
    "gif": ("image/gif", "GIF"),
    "docx": (_OFFICE + "wordprocessingml.document", "word/"),
    "xlsx": (_OFFICE + "spreadsheetml.sheet", "xl/"),
    "pptx": (_OFFICE + "presentationml.presentation", "ppt/"),
    "txt": ("text/plain; charset=utf-8", "text"),
    "csv": ("text/csv; charset=utf-8", "text"),
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


class ImageRefused(ValueError):
    """An image upload refused by `checked_image`: `too_large` when a side exceeds the limit (or it
    is a decompression bomb), otherwise it does not read as an image."""

    def __init__(self, *, too_large: bool = False):
        super().__init__("too large" if too_large else "unreadable")
        self.too_large = too_large


def checked_image(data: bytes, *, most_side: int) -> str:
    """The format of the image in `data`, for an image kept as it was uploaded and drawn again on
    every page, email or PDF that shows it (a logo): ImageRefused for a file that is no image, and
    for one wider or taller than `most_side` pixels, read from its header before any decoding.
    (Its pixel data is not decoded here: WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the
    whole process, so a decode cannot tell a file cut short; it shows partly grey, as in a browser.)"""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            image.verify()
    except Image.DecompressionBombError:
        raise ImageRefused(too_large=True) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):  # ValueError: a chunk's name not text
        raise ImageRefused() from None
    if width > most_side or height > most_side:
        raise ImageRefused(too_large=True)
    return kind


def shown_name(filename: str | None, default: str) -> str:
    """The name an uploaded file is shown and recorded by: the last part of the browser's name,
    without control characters (a NUL cannot be stored on PostgreSQL) or lone surrogates, at most
    200 characters; `default` when nothing is left."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    # Not printable: control and format characters, lone surrogates, spaces other than " "
    name = "".join(ch if ch.isprintable() else " " if ch.isspace() else "" for ch in name)
    return name.strip()[:200] or default


def is_text(data: bytes) -> bool:
    """UTF-8 text without control characters other than tabs and line ends (notes, CSV)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text)


def _office_part(data: bytes, folder: str) -> bool:
    """An Office Open XML file: a ZIP holding its content types and the folder of its kind."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)


def document_matches(extension: str, data: bytes) -> bool:
    """Whether `data` is what a document with this extension (a key of DOCUMENT_TYPES) must be: a
    PDF by its header, an image the decoder accepts in that format, an Office file by its parts,
    or plain UTF-8 text."""
    expected = DOCUMENT_TYPES[extension][1]
    if expected == "pdf":
        return data.startswith(b"%PDF-")
    if expected == "text":
        return is_text(data)
    if expected.endswith("/"):
        return _office_part(data, expected)
    return image_kind(data) == expected
