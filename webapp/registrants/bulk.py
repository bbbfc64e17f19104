"""Bulk actions on registrants: resend tickets, add a label, move to a participant group, cancel,
approve, decline.

Each registrant (or order, for approval) is handled in a savepoint of its own through the owning
domain's service, so one that cannot be changed is reported and the others still go through. A
small selection runs in the request; the whole filtered set runs as a job with a progress bar.

A job records, in the very transaction that handles a registrant, that it did so (its counters
and, as its checkpoint, the last registrant it handled; ids are handled in increasing order). A job whose worker died therefore
resumes after the last registrant it handled, and never handles one twice: a ticket is not
resent, whatever the action (cancel, approve and decline would skip a second time anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from webapp import work
from webapp.accounts.models import User
from webapp.catalog.models import ParticipantGroup
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.db import db
from webapp.events.models import Event
from webapp.i18n import _, message_of, stored_from
from webapp.mail import notify
from webapp.orders import contact_sync, groups
from webapp.orders import service as orders
from webapp.orders.models import Order, Registrant
from webapp.registrants.listing import RegistrantFilters, matching_ids
from webapp.work import jobs
from webapp.work.models import Job

log = logging.getLogger("rollcall.console")

ACTIONS = {
    "resend": "Resend tickets",
    "label": "Add label",
    "move": "Move to group",
    "approve": "Approve",
    "decline": "Decline",
    "cancel": "Cancel registration",
}
KIND = "bulk"  # the job that runs an action over many registrants
INLINE_LIMIT = 200  # more selected rows than this run as a job
CHUNK = 200
MAX_REPORTED = 200


class BulkError(ValueError):
    """The action cannot start (unknown action, label missing); the message is for the operator."""


@dataclass
class BulkResult:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict] = field(default_factory=list)  # [{"registrant": id, "name": ..., "error": ...}]

    def add(self, other: BulkResult) -> None:
        self.done += other.done
        self.skipped += other.skipped
        self.failed += other.failed
        self.errors.extend(other.errors[: max(0, MAX_REPORTED - len(self.errors))])


def check(action: str, label: str | None) -> None:
    if action not in ACTIONS:
        raise BulkError(_("Choose an action."))
    if action == "label" and not (label or "").strip():
        raise BulkError(_("Type the label to add."))
    if action == "label" and len(label.strip()) > 80:
        raise BulkError(_("A label has at most 80 characters."))
    if action == "move" and not ((label or "").strip().isdigit() and len(label.strip()) <= 12):
        raise BulkError(_("Choose the group to move them to."))


def apply(
    org_id: int, event: Event, action: str, registrant_ids: Iterable[int], *, actor: User | None, label: str = ""
) -> BulkResult:
    """Run `action` on these registrants of `event` (ids of other events or organizations are ignored)."""
    check(action, label)
    ids = sorted(set(registrant_ids))
    result = BulkResult()
    for start in range(0, len(ids), CHUNK):
        result.add(_apply_chunk(org_id, event, action, ids[start : start + CHUNK], actor=actor, label=label))
    return result


# Called inside the transaction that handled a registrant (or after it rolled back, for "failed"):
# (registrant id, "done" | "skipped" | "failed", the error reported for it or None).
Recorder = Callable[[int, str, dict | None], None]


def _apply_chunk(
    org_id: int, event: Event, action: str, ids: list[int], *, actor, label: str, record: Recorder | None = None
) -> BulkResult:
    registrants = list(
        Registrant.select(Registrant, Order)
        .join(Order)
        .where((Registrant.organization == org_id) & (Registrant.event == event.id) & Registrant.id.in_(ids))
        .order_by(Registrant.id)
    )
    result = BulkResult()
    seen_orders: set[int] = set()
    for registrant in registrants:
        if action in ("approve", "decline"):
            if registrant.order_id in seen_orders:
                continue
            seen_orders.add(registrant.order_id)
        step = _STEPS[action]
        try:
            with db.atomic():
                changed = step(registrant, actor=actor, label=label.strip())
                if record:
                    record(registrant.id, "done" if changed else "skipped", None)
        except jobs.JobLost:
            raise
        except Exception as exc:  # reported per row: one refusal must not stop the others
            log.info("bulk %s refused for registrant %s: %s", action, registrant.id, exc)
            message = message_of(exc)
            error = {
                "registrant": registrant.id,
                "name": registrant.name,
                "error": message,
                "error_i18n": stored_from(message).to_json(),
            }
            result.failed += 1
            if len(result.errors) < MAX_REPORTED:
                result.errors.append(error)
            if record:
                record(registrant.id, "failed", error)
            continue
        if changed:
            result.done += 1
        else:
            result.skipped += 1
    return result


def _resend(registrant: Registrant, *, actor, label) -> bool:

    if registrant.canceled or registrant.order.status != "paid":
        return False
    notify.resend_ticket(registrant, actor=actor)
    return True


def _label(registrant: Registrant, *, actor, label) -> bool:

    if registrant.contact_id is None:
        contact_sync.sync_registrant(registrant.id)
        registrant = Registrant.get_by_id(registrant.id)
    if registrant.contact_id is None:
        raise ValueError("this registrant has no contact yet")
    return contacts.add_label(Contact.get_by_id(registrant.contact_id), label, actor=actor)


def _cancel(registrant: Registrant, *, actor, label) -> bool:

    if registrant.canceled:
        return False
    orders.cancel_registrant(registrant, actor=actor)
    return True


def _approve(registrant: Registrant, *, actor, label) -> bool:

    if registrant.order.approval != "pending":
        return False
    orders.approve_order(registrant.order, actor=actor)
    return True


def _decline(registrant: Registrant, *, actor, label) -> bool:

    if registrant.order.approval != "pending":
        return False
    orders.decline_order(registrant.order, actor=actor)
    return True


def _move(registrant: Registrant, *, actor, label) -> bool:
    """`label` carries the target group's id (the bulk form's group menu)."""
    target = ParticipantGroup.get_or_none(
        (ParticipantGroup.id == int(label)) & (ParticipantGroup.event == registrant.event_id)
    )
    if target is None:
        raise groups.MoveError("Choose a group of this event.")
    return groups.move(registrant.event, [registrant.id], target, actor=actor) > 0


_STEPS: dict[str, Callable[..., bool]] = {
    "resend": _resend,
    "label": _label,
    "cancel": _cancel,
    "move": _move,
    "approve": _approve,
    "decline": _decline,
}


def start_job(
    org_id: int,
    event: Event,
    action: str,
    filters: RegistrantFilters,
    *,
    actor: User | None,
    label: str = "",
    ids: list[int] | None = None,
) -> Job:
    """A job that runs `action` on `ids`, or on every registrant the filters match when it starts."""
    check(action, label)
    params = {"action": action, "label": label.strip(), "filters": filters.to_dict()}
    if ids is not None:
        params["ids"] = sorted(set(ids))
    return jobs.create(org_id, KIND, params, event_id=event.id, user_id=actor.id if actor else None)


@jobs.body(KIND)
def _run(job: Job, time_slice: jobs.Slice) -> object:
    """Work through the matching registrants chunk by chunk, counting progress as each one is
    handled; after the slice, pause at the last registrant handled (work.AGAIN). A resumed job
    starts after the last registrant it handled."""
    event = Event.get_by_id(job.event_id)
    actor = User.get_or_none(User.id == job.user_id) if job.user_id else None
    params = job.params
    ids = params.get("ids")
    if ids is None:  # the registrants the filters match now (those handled before a resume: ids up to the last)
        ids = matching_ids(job.organization_id, event, RegistrantFilters.from_dict(params.get("filters", {})))
    last_done = job.checkpoint.get("last_done_id")
    if last_done is not None:
        ids = [i for i in ids if i > last_done]
    before = job.processed if last_done is not None else 0
    jobs.checkpoint(job, total=before + len(ids))
    errors = list(job.row_errors) if last_done is not None else []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        record = _recorder(job, {rid: before + start + i + 1 for i, rid in enumerate(chunk)}, errors)
        _apply_chunk(
            job.organization_id, event, params["action"], chunk, actor=actor, label=params.get("label", ""),
            record=record,
        )  # fmt: skip
        # Ids of the chunk that were not there (another event's, deleted) count as handled too.
        jobs.checkpoint(job, processed=before + start + len(chunk), checkpoint={"last_done_id": chunk[-1]})
        if time_slice.over() and start + len(chunk) < len(ids):
            return work.AGAIN
    jobs.finish(job, processed=before + len(ids))
    return None


_COUNTERS = {"done": Job.updated_rows, "skipped": Job.skipped_rows, "failed": Job.failed_rows}


def _recorder(job: Job, position: dict[int, int], errors: list[dict]) -> Recorder:
    """Write, with the registrant's own transaction, that the job handled it."""

    def record(registrant_id: int, outcome: str, error: dict | None) -> None:
        counter = _COUNTERS[outcome]
        values = {
            "processed": position[registrant_id],
            "checkpoint": {"last_done_id": registrant_id},
            counter.name: counter + 1,
        }
        if error is not None and len(errors) < MAX_REPORTED:
            errors.append(error)
            values["row_errors"] = errors
        jobs.checkpoint(job, **values)

    return record
