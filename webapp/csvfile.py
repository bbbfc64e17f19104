"""Reading an uploaded CSV file, the same way for every importer (registrants, contacts,
invitations): size and row limits, the text encoding, the delimiter, binary files refused.

Encodings: UTF-16 with its BOM, UTF-8 with or without the BOM Excel writes, and otherwise
Windows-1252, which is what Excel's plain "CSV" writes on Windows. A file none of them reads is
refused with a message. A NUL byte near the start means a binary file (a spreadsheet, a zip) and
is refused; one deeper in the file stays in its cell, for the importer's row check to report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from webapp.i18n import _

BINARY_SNIFF = 4096
SNIFF_SAMPLE = 20_000
DELIMITERS = ",;\t|"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class CSVFileError(ValueError):
    """The file cannot be read as CSV; the message says why and what to do."""


@dataclass
class CSVFile:
    text: str  # decoded, with "\n" line ends
    encoding: str
    delimiter: str
    headers: list[str]  # the first line's cells, stripped ([] when the file has no header line)
    row_count: int  # data rows, blank ones left out


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of the encoding it was read with."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise CSVFileError(
        _(
            "The file is not text we can read. In Excel choose “Save as → CSV UTF-8”; in LibreOffice pick "
            "“Unicode (UTF-8)” as the character set, then upload it again."
        )
    )


def sniff_delimiter(text: str) -> str:
    sample = text[:SNIFF_SAMPLE]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(DELIMITERS, key=first.count) if first else ","


def rows(text: str, delimiter: str, *, header: bool = True) -> Iterator[tuple[int, list[str]]]:
    """(line number as a spreadsheet shows it, cells) of the data rows; blank rows are left out."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    if header:
        next(reader, None)
    for number, cells in enumerate(reader, start=2 if header else 1):
        if any(c.strip() for c in cells):
            yield number, cells


def read(
    data: bytes, *, max_bytes: int, max_rows: int, max_columns: int = 0, header: bool = True, what: str = "rows"
) -> CSVFile:
    """Check and decode an upload. `what` names the rows in messages ("participants", "contacts")."""
    if len(data) > max_bytes:
        raise CSVFileError(
            _(
                "The file is too large (%(size)s MB); the limit is %(limit)s MB. Split it into smaller files.",
                size=f"{len(data) / 1024 / 1024:.1f}",
                limit=f"{max_bytes / 1024 / 1024:g}",
            )
        )
    if not data.strip():
        raise CSVFileError(_("The file is empty."))
    if b"\x00" in data[:BINARY_SNIFF] and not data.startswith(UTF16_BOMS):
        raise CSVFileError(
            _("This is not a CSV file (it looks like a spreadsheet or another binary file). Export it as CSV first.")
        )
    text, encoding = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter = sniff_delimiter(text)
    try:
        headers = _headers(text, delimiter, max_columns) if header else []
        count = 0
        for count, _row in enumerate(rows(text, delimiter, header=header), start=1):
            if count > max_rows:
                raise CSVFileError(
                    _(
                        "The file has more than %(max)s rows. Split it into files of at most %(max)s rows.",
                        max=f"{max_rows:,}",
                    )
                )
    except csv.Error as exc:
        raise CSVFileError(_("The file is not valid CSV: %(error)s.", error=exc)) from None
    if count == 0:
        if not header:
            raise CSVFileError(_("The file is empty."))
        if what == "participants":
            raise CSVFileError(_("The file has a header line but no participants below it."))
        if what == "contacts":
            raise CSVFileError(_("The file has a header line but no contacts below it."))
        raise CSVFileError(_("The file has a header line but no rows below it."))
    return CSVFile(text=text, encoding=encoding, delimiter=delimiter, headers=headers, row_count=count)


def _headers(text: str, delimiter: str, max_columns: int) -> list[str]:
    first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    headers = [h.strip() for h in first]
    if not any(headers):
        raise CSVFileError(_("The first line must name the columns (for example: name, email)."))
    if max_columns and len(headers) > max_columns:
        raise CSVFileError(
            _("The file has %(count)s columns; at most %(max)s are supported.", count=len(headers), max=max_columns)
        )
    return headers
