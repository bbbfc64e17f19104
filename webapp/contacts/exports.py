"""CSV export of contacts, streamed in keyset batches, every cell escaped against spreadsheet
formula injection by the rule every export follows (webapp/spreadsheet.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import peewee as pw

from webapp.contacts import queries
from webapp.contacts.models import Contact
from webapp.spreadsheet import safe_cell

COLUMNS = ["email", "name", "phone", "company", "status", "stage", "labels", "created_at", "last_activity_at"]
BATCH = 1000


def escape_cell(value) -> str:
    """The cell's text, as a spreadsheet shows it, never evaluates it."""
    return safe_cell("" if value is None else str(value))


def custom_keys(query: pw.Select) -> list[str]:
    """The custom field names any contact of the query has: one column each."""
    keys: set[str] = set()
    for (custom,) in query.select(Contact.custom).order_by().tuples().iterator():
        keys.update(custom or {})
    return sorted(keys)


def csv_lines(query: pw.Select) -> Iterator[str]:
    """The CSV text of every contact the query selects, a chunk at a time."""
    keys = custom_keys(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(keys))
    yield buffer.getvalue()
    after = None
    while True:
        page = query.where(Contact.id < after) if after else query
        contacts = list(page.order_by(Contact.id.desc()).limit(BATCH))
        if not contacts:
            return
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows(contacts, keys))
        yield buffer.getvalue()
        after = contacts[-1].id


def header(keys: list[str]) -> list[str]:
    return [escape_cell(name) for name in COLUMNS + [f"custom:{k}" for k in keys]]


def rows(contacts: list[Contact], keys: list[str]) -> list[list[str]]:
    """The CSV rows of these contacts (their labels read in one query), every cell escaped."""
    labels = queries.labels_for([c.id for c in contacts])
    out = []
    for c in contacts:
        row = [
            c.email,
            c.name,
            c.phone,
            c.company,
            c.status,
            c.stage,
            "; ".join(label.name for label in labels[c.id]),
            c.created_at.isoformat() if c.created_at else "",
            c.last_activity_at.isoformat() if c.last_activity_at else "",
        ]
        row += [(c.custom or {}).get(k, "") for k in keys]
        out.append([escape_cell(v) for v in row])
    return out
