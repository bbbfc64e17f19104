"""The mail a contact was sent: every outbox message to them (transactional, automation and
campaign), with its state and how it was engaged with (opens and clicks, people and machines apart)."""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee as pw

from webapp.mail.models import MailEngagement, Outbox

PAGE_SIZE = 50


@dataclass
class Engagement:
    opens: int = 0
    clicks: int = 0
    machine: int = 0  # hits that looked automated (privacy proxies, link scanners)
    last_at: object = None
    urls: list[str] = field(default_factory=list)


def messages_to(org_id: int, contact_id: int, email: str, before: int | None = None) -> tuple[list[Outbox], int | None]:
    """The organization's messages to the contact (by its id, or to its address for mail that
    predates the contact or names no contact), newest first, PAGE_SIZE at a time; (rows, the id to
    continue from)."""
    query = Outbox.select().where(
        (Outbox.organization == org_id) & ((Outbox.contact_id == contact_id) | (Outbox.to_email == email))
    )
    if before:
        query = query.where(Outbox.id < before)
    rows = list(query.order_by(Outbox.id.desc()).limit(PAGE_SIZE + 1))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1].id if more and rows else None)


def engagement_of(org_id: int, outbox_ids: list[int]) -> dict[int, Engagement]:
    """{outbox id: its opens and clicks}, for the messages shown, in one query."""
    out: dict[int, Engagement] = {}
    if not outbox_ids:
        return out
    rows = (
        MailEngagement.select(
            MailEngagement.outbox,
            MailEngagement.kind,
            MailEngagement.machine,
            MailEngagement.url,
            pw.fn.COUNT(MailEngagement.id).alias("hits"),
            # read back as a datetime on SQLite too (an aggregate has no column type)
            pw.fn.MAX(MailEngagement.occurred_at)
            .python_value(MailEngagement.occurred_at.python_value)
            .alias("last_at"),
        )
        .where((MailEngagement.organization == org_id) & MailEngagement.outbox.in_(outbox_ids))
        .group_by(MailEngagement.outbox, MailEngagement.kind, MailEngagement.machine, MailEngagement.url)
    )
    for row in rows:
        item = out.setdefault(row.outbox_id, Engagement())
        if row.machine:
            item.machine += row.hits
        elif row.kind == "open":
            item.opens += row.hits
        else:
            item.clicks += row.hits
            if row.url and row.url not in item.urls:
                item.urls.append(row.url)
        if item.last_at is None or (row.last_at and row.last_at > item.last_at):
            item.last_at = row.last_at
    return out
