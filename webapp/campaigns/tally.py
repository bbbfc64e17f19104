"""A campaign's recipient counters (CampaignTally), changed in the same transaction as the
recipients they count, so the report never scans the recipient table.

Resolving the audience ends with `reset` (the counters counted from the rows, once); after that
every status change goes through here: a batch's changes counted from the rows the statement
changed (`moved`), a single recipient's through `change` (a conditional update on the status it
had, so two racing changes count once). `recount` counts the same figures from the rows: they are
equal, except that a contact deleted later stays counted (its recipient row goes with it).
Counters are changed in one key order, so two delivery jobs of a campaign never wait on each other
in a circle.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import Counter
from collections.abc import Iterator

import peewee as pw

from webapp.campaigns.models import CampaignRecipient, CampaignTally
from webapp.db import Prepared, Slot, db

SOFT, UNSUBSCRIBED, COMPLAINED = "soft", "unsubscribed", "complained"


_batch: contextvars.ContextVar[dict | None] = contextvars.ContextVar("campaign_tally_batch", default=None)


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Changes made inside are written together at the end, each counter once and in key order
    (a transaction that changes several recipients takes the counters' row locks in the same order
    as every other one)."""
    pending: dict = {}
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    for (campaign_id, organization_id), changes in sorted(pending.items()):
        _write(campaign_id, organization_id, changes)


def add(campaign_id: int, organization_id: int, changes: dict[str, int]) -> None:
    pending = _batch.get()
    if pending is None:
        _write(campaign_id, organization_id, changes)
        return
    merged = pending.setdefault((campaign_id, organization_id), Counter())
    for key, n in changes.items():
        merged[key] += n


# One counter changed by n (made if missing), compiled once: a delivery batch changes a few counters
# every few messages.
_ADD = Prepared(
    lambda: CampaignTally.insert(
        organization=Slot("organization"), campaign=Slot("campaign"), key=Slot("key"), value=Slot("n")
    ).on_conflict(
        conflict_target=[CampaignTally.campaign, CampaignTally.key],
        update={CampaignTally.value: CampaignTally.value + Slot("n")},
    )
)


def _write(campaign_id: int, organization_id: int, changes: dict[str, int]) -> None:
    for key in sorted(k for k, n in changes.items() if n):
        _ADD.execute(organization=organization_id, campaign=campaign_id, key=key, n=changes[key])


def moved(campaign_id: int, organization_id: int, old: str, new: str, n: int) -> None:
    """`n` recipients went from status `old` to `new`."""
    if n and old != new:
        add(campaign_id, organization_id, {old: -n, new: n})


def change(recipient: CampaignRecipient, status: str | None = None, *, soft: bool = False, **values) -> str | None:
    """Set one recipient's `status` (and `values`; `soft`: one more soft failure), counted.
    Returns the status it had, None when it has no row any more."""
    R = CampaignRecipient
    for _attempt in range(5):
        row = R.select(R.status, R.soft_failures).where(R.id == recipient.id).tuples().first()
        if row is None:
            return None
        old, soft_failures = row
        update = dict(values)
        if status is not None:
            update[R.status] = status
        if soft:
            update[R.soft_failures] = soft_failures + 1
        done = (
            R.update(update)
            .where((R.id == recipient.id) & (R.status == old) & (R.soft_failures == soft_failures))
            .execute()
        )
        if done:
            changes = Counter()
            if status is not None and status != old:
                changes[old] -= 1
                changes[status] += 1
            if soft and soft_failures == 0:
                changes[SOFT] += 1
            add(recipient.campaign_id, recipient.organization_id, changes)
            return old
    raise RuntimeError(f"campaign recipient {recipient.id} kept changing under us")


def counts(campaign_id: int) -> dict[str, int]:
    T = CampaignTally
    rows = T.select(T.key, T.value).where(T.campaign == campaign_id).tuples()
    return {key: value for key, value in rows if value}


def recount(campaign_id: int) -> dict[str, int]:
    """The counters counted from the recipient rows (what `counts` must equal)."""
    R = CampaignRecipient
    out: Counter = Counter()
    soft = pw.fn.SUM(pw.Case(None, [(R.soft_failures > 0, 1)], 0))
    rows = (
        R.select(
            R.status,
            R.skip_reason,
            pw.fn.COUNT(R.id),
            soft,
            pw.fn.COUNT(R.unsubscribed_at),
            pw.fn.COUNT(R.complained_at),
        )
        .where(R.campaign == campaign_id)
        .group_by(R.status, R.skip_reason)
        .tuples()
    )
    for status, reason, n, soft_n, unsubscribed, complained in rows:
        out[status] += n
        if status == "skipped":
            out[f"skipped:{reason or 'other'}"] += n
        out[SOFT] += int(soft_n or 0)
        out[UNSUBSCRIBED] += int(unsubscribed or 0)
        out[COMPLAINED] += int(complained or 0)
    return {key: value for key, value in out.items() if value}


def reset(campaign_id: int, organization_id: int) -> None:
    """The counters set from the rows (once the audience is resolved)."""
    with db.atomic():
        CampaignTally.delete().where(CampaignTally.campaign == campaign_id).execute()
        add(campaign_id, organization_id, recount(campaign_id))
