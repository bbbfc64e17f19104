"""Redeem a ticket at the door: one transaction per scan, a fixed answer vocabulary, every attempt
logged.

Checks run in the order DESIGN.md fixes: invalid, wrong_event, unpaid, canceled, unapproved,
already_checked_in, product, not_yet / expired, blocked. The admission itself is a conditional
UPDATE of the (list, registrant) Attendance row: whichever transaction changes the row first wins,
the other sees zero rows changed and answers `already_checked_in`. A client nonce per scan is unique
per list, so a retried request gets the first answer back instead of a second entry: the log
INSERT of the retry conflicts on that unique index, everything it did rolls back, and the first
answer is read back (only then: a fresh nonce costs no lookup).

The statements of a scan are prepared once (queries.py). On PostgreSQL a plain entry is admitted
by one statement that claims, logs, marks attended and announces together (`admit_at_once`), and
needs no transaction around it: a scan there is two statements, the holder read and the admission.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee as pw

from webapp import signals, work
from webapp.accounts import audit
from webapp.accounts.models import Membership, User
from webapp.catalog.models import ParticipantGroup, Product
from webapp.checkin import queries
from webapp.checkin.answer_words import ANSWER_WORDS
from webapp.checkin.lists import default_list
from webapp.checkin.models import Attendance, Checkin, CheckinList
from webapp.db import db, is_postgres, utcnow, write_transaction, writer_turn
from webapp.events.models import Event
from webapp.i18n import _, render_stored, stored_text, stored_word
from webapp.orders.models import Order, Registrant
from webapp.orders.ticket_secrets import normalize_scanned

KINDS = ("entry", "exit")
# What the log keeps of a scan (its columns' sizes): the API declares these limits and refuses
# longer values. A nonce is never cut: two long nonces sharing a prefix would replay each other.
GATE_MAX = Checkin.gate.max_length
NONCE_MAX = Checkin.nonce.max_length
FORCE_REASON_MAX = Checkin.force_reason.max_length
SECRET_MAX = Registrant.ticket_secret.max_length  # longer scanned text is no ticket: `invalid`
# A supervisor may override these; `invalid` and `wrong_event` have nobody to admit.
FORCEABLE = ("unpaid", "canceled", "unapproved", "already_checked_in", "product", "not_yet", "expired", "blocked")
SUPERVISOR_ROLE = "manager"


class CheckinError(ValueError):
    """The request cannot be answered with the vocabulary (a bad list, an exit on a list without
    exits, a force without a reason...)."""


class NotAllowed(CheckinError):
    """The user's role does not allow this (force, undo of another's check-in)."""


@dataclass
class Answer:
    result: str  # "ok" or "error"
    reason: str | None = None  # one of CHECKIN_REASONS when result is "error"
    registrant: Registrant | None = None  # None for invalid and wrong_event: nothing leaks
    checkin: Checkin | None = None  # the logged attempt
    previous: dict | None = None  # already_checked_in: {"at": datetime, "gate": str}
    needs_attention: list[str] = field(default_factory=list)  # what a person must look at
    kind: str = "entry"
    replayed: bool = False  # the same nonce was seen before: this is the first answer again

    @property
    def ok(self) -> bool:
        return self.result == "ok"


def is_supervisor(user: User | None, org_id: int) -> bool:
    """API keys (user None) act for the organization; people need the manager role or above."""
    if user is None:
        return True
    membership = Membership.get_or_none((Membership.user == user.id) & (Membership.organization == org_id))
    return membership is not None and membership.at_least(SUPERVISOR_ROLE)


def event_for_scan(event_id: int, org_id: int, secret: str) -> Event | None:
    """The organization's event with its default list (`default_list`, None before the first
    scan creates it), and the holder of the scanned `secret` read in the same statement for
    `redeem` to use: a scan is then decided in two statements, this one and the admission."""
    scanned = _plausible(normalize_scanned(secret or ""))
    event = queries.EVENT_WITH_HOLDER.first(id=event_id, org=org_id, secret=scanned)
    if event is not None:
        event.scanned_secret = scanned
    return event


def _plausible(secret: str) -> str | None:
    """The scanned text when it could be a ticket's secret; longer text (or none) is no ticket."""
    return secret if 0 < len(secret) <= SECRET_MAX else None


def redeem(
    event: Event,
    secret: str,
    *,
    checkin_list: CheckinList | None = None,
    gate: str = "",
    user: User | None = None,
    nonce: str | None = None,
    kind: str = "entry",
    force_reason: str | None = None,
    offline: dict | None = None,
) -> Answer:
    """Scan `secret` at `gate` of `checkin_list` (the event's default list when None). `offline`:
    what a door device recorded of a scan it made without the server (device, device time, its own
    verdict), kept in the log row of the replay (checkin/offline.py)."""
    if kind not in KINDS:
        raise CheckinError(f"kind must be one of {', '.join(KINDS)}")
    checkin_list = checkin_list or default_list(event)
    if checkin_list.event_id != event.id:
        raise CheckinError(_("That check-in list belongs to another event."))
    if kind == "exit" and not checkin_list.allow_exit:
        raise CheckinError(_("This check-in list does not take exit scans."))
    nonce = (nonce or "").strip() or None
    if nonce and len(nonce) > NONCE_MAX:
        raise CheckinError(f"nonce may be at most {NONCE_MAX} characters")
    if force_reason is not None:
        force_reason = force_reason.strip()[:FORCE_REASON_MAX]
        if not force_reason:
            raise CheckinError(_("A forced check-in needs a reason."))
        if kind != "entry":
            raise CheckinError(_("Only entries can be forced."))
        if not is_supervisor(user, event.organization_id):
            raise NotAllowed(_("Only a door supervisor (manager or above) may force a check-in."))
    gate = (gate or "").strip()[:GATE_MAX]

    scan = _Scan(event, checkin_list, normalize_scanned(secret or ""), gate, user, nonce, kind, force_reason)
    if offline:  # the replay's log row keeps what the device recorded: the separate statements
        scan.offline, scan.admitted_at_once = offline, False
    try:
        if scan.statement_by_statement():
            return scan.run()
        with writer_turn(), write_transaction():
            return scan.run()
    except pw.IntegrityError:
        # This nonce is in the log already (a retry, or a concurrent twin that committed first):
        # everything this attempt wrote rolled back; answer what the first one answered.
        if nonce and (first := _replay(checkin_list, nonce)):
            return first
        raise


class _Scan:
    """One redeem attempt inside its transaction."""

    def __init__(self, event, checkin_list, secret, gate, user, nonce, kind, force_reason):
        self.event, self.list, self.secret, self.gate = event, checkin_list, secret, gate
        self.user, self.nonce, self.kind, self.force_reason = user, nonce, kind, force_reason
        self.offline: dict | None = None
        self.now = _now()
        # PostgreSQL admits a plain entry in one statement (admit_at_once); a forced entry writes
        # an audit row too, and bulk work (priority below URGENT) announces at its own priority.
        self.admitted_at_once = (
            is_postgres() and kind == "entry" and not force_reason and work.current_priority() == work.URGENT
        )

    def statement_by_statement(self) -> bool:
        """PostgreSQL, outside any transaction, a plain entry scan: each statement may commit on
        its own, because each write is a whole answer (the admission is one statement, a refusal
        one log row) and the reads before it decide nothing the admission does not check again.
        This saves the BEGIN and COMMIT round trips. Exits and forced entries write several rows
        and keep their transaction; so does a scan inside a caller's transaction (a failed
        statement would end that transaction)."""
        return self.admitted_at_once and not db.in_transaction()

    def holder(self) -> Registrant | None:
        """The ticket holder of the scanned secret: as read with the event when the caller read
        it for this very secret (`event_for_scan`), else read now."""
        secret = _plausible(self.secret)
        if secret is None:
            return None
        if getattr(self.event, "scanned_secret", None) == secret:
            return self.event.scanned
        return queries.HOLDER_BY_SECRET.first(secret=secret)

    def run(self) -> Answer:
        registrant = self.holder()
        if registrant is None or registrant.organization_id != self.event.organization_id:
            # Another organization's ticket is unknown here: not even its existence leaks.
            return self.refuse("invalid", None, data={"scanned": self.secret[:8]})
        if registrant.event_id != self.event.id:
            return self.refuse("wrong_event", None)
        if self.kind == "exit":
            return self.exit(registrant)

        failure = _order_failure(registrant)
        if failure is None and (later := _ticket_failure(self.list, registrant, self.now)):
            # already_checked_in comes before the ticket's own rules: look at the attendance first.
            failure = "already_checked_in" if self.already_in(registrant) else later
        if failure and not (self.force_reason and failure in FORCEABLE):
            return self.refuse(failure, registrant)
        if self.force_reason and failure is None and self.already_in(registrant):
            failure = "already_checked_in"  # recorded as what the supervisor overrode
        if self.admitted_at_once:
            return self.admit_at_once(registrant) or self.refuse("already_checked_in", registrant)
        if not self.claim(registrant):
            return self.refuse("already_checked_in", registrant)
        return self.admit(registrant, overridden=failure)

    def attendance(self, registrant: Registrant) -> Attendance | None:
        return queries.ATTENDANCE.first(list=self.list.id, registrant=registrant.id)

    def already_in(self, registrant: Registrant) -> bool:
        attendance = self.attendance(registrant)
        return attendance is not None and attendance.entries > 0 and self._entry_refused(attendance)

    def _entry_refused(self, attendance: Attendance) -> bool:
        if self.list.multi_entry:
            return False
        return attendance.inside or not self.list.allow_exit

    def claim(self, registrant: Registrant) -> bool:
        """The database decides, in one statement: the row is inserted, or updated when the list's
        rule allows another entry; a concurrent second entry changes nothing and loses."""
        if self.list.multi_entry or self.force_reason:
            entry = queries.ANY_ENTRY
        elif self.list.allow_exit:
            entry = queries.ENTRY_WHEN_OUTSIDE  # back in after an exit scan
        else:
            entry = queries.FIRST_ENTRY
        written = entry.execute(
            org=self.event.organization_id, list=self.list.id, registrant=registrant.id, now=self.now, gate=self.gate
        ).fetchall()
        return len(written) == 1

    def admit_at_once(self, registrant: Registrant) -> Answer | None:
        """PostgreSQL: claim, log, mark attended and announce in one statement (queries._admission);
        None when the claim lost."""
        if self.list.multi_entry:
            admission = queries.ADMIT_ANY_ENTRY
        elif self.list.allow_exit:
            admission = queries.ADMIT_WHEN_OUTSIDE
        else:
            admission = queries.ADMIT_FIRST_ENTRY
        head, tail = _signal_payload_around_id()
        row = admission.execute(
            org=self.event.organization_id, event=self.event.id, list=self.list.id, registrant=registrant.id,
            now=self.now, gate=self.gate, user=self.user.id if self.user else None, nonce=self.nonce,
            kind=signals.SIGNAL, payload_head=head, payload_tail=tail, priority=work.URGENT, queued=utcnow(),
        ).fetchone()  # fmt: skip
        if row is None:
            return None
        work.recorded_by_statement(work.URGENT)
        checkin_id, marked = row
        if marked:
            registrant.checked_in_at = self.now
        checkin = Checkin(
            id=checkin_id, organization=self.event.organization_id, event=self.event, checkin_list=self.list,
            registrant=registrant, kind="entry", result="ok", reason=None, gate=self.gate, user=self.user,
            nonce=self.nonce, forced=False, force_reason=None, data={}, created_at=self.now,
        )  # fmt: skip
        return Answer("ok", registrant=registrant, checkin=checkin, needs_attention=attention(registrant, "ok"))

    def admit(self, registrant: Registrant, overridden: str | None) -> Answer:
        data = {"overridden": overridden} if overridden else {}
        checkin = self.log("ok", None, registrant, data)
        if registrant.checked_in_at is None:  # the first entry: attended
            queries.MARK_ATTENDED.execute(id=registrant.id, at=self.now)
            registrant.checked_in_at = self.now
        if self.force_reason:
            audit.record(
                self.event.organization_id,
                "checkin.force",
                user=self.user,
                target=registrant,
                summary=stored_text(
                    "Forced check-in of %(registrant)s over %(answer)s: %(reason)s",
                    registrant=registrant.name,
                    answer=stored_word(ANSWER_WORDS, overridden),
                    reason=self.force_reason,
                )
                if overridden
                else stored_text(
                    "Forced check-in of %(registrant)s: %(reason)s",
                    registrant=registrant.name,
                    reason=self.force_reason,
                ),
            )
        signals.emit(signals.checked_in, checkin_id=checkin.id)
        return Answer("ok", registrant=registrant, checkin=checkin, needs_attention=attention(registrant, "ok"))

    def exit(self, registrant: Registrant) -> Answer:
        Attendance.insert(
            organization=self.event.organization_id, checkin_list=self.list, registrant=registrant, updated_at=self.now
        ).on_conflict_ignore().execute()
        Attendance.update(inside=False, updated_at=self.now).where(
            (Attendance.checkin_list == self.list) & (Attendance.registrant == registrant)
        ).execute()
        checkin = self.log("ok", None, registrant, {})
        return Answer("ok", registrant=registrant, checkin=checkin, kind="exit")

    def refuse(self, reason: str, registrant: Registrant | None, *, data=None) -> Answer:
        data = dict(data or {})
        previous = _previous(self.attendance(registrant)) if reason == "already_checked_in" else None
        if previous:
            data["previous"] = {"at": previous["at"].isoformat() if previous["at"] else None, "gate": previous["gate"]}
        checkin = self.log("error", reason, registrant, data)
        return Answer(
            "error",
            reason=reason,
            registrant=registrant,
            checkin=checkin,
            previous=previous,
            needs_attention=attention(registrant, reason) if registrant else [],
            kind=self.kind,
        )

    def log(self, result: str, reason: str | None, registrant: Registrant | None, data: dict) -> Checkin:
        """The attempt's row in the log (raises IntegrityError when its nonce is there already)."""
        forced = bool(self.force_reason) and result == "ok"
        force_reason = self.force_reason if result == "ok" else None
        if self.offline:
            data = {**data, "offline": self.offline}
        ((checkin_id,),) = queries.LOG_SCAN.execute(
            org=self.event.organization_id,
            event=self.event.id,
            list=self.list.id,
            registrant=registrant.id if registrant else None,
            kind=self.kind,
            result=result,
            reason=reason,
            gate=self.gate,
            user=self.user.id if self.user else None,
            nonce=self.nonce,
            forced=forced,
            force_reason=force_reason,
            data=data,
            created_at=self.now,
        ).fetchall()
        return Checkin(
            id=checkin_id,
            organization=self.event.organization_id,
            event=self.event,
            checkin_list=self.list,
            registrant=registrant,
            kind=self.kind,
            result=result,
            reason=reason,
            gate=self.gate,
            user=self.user,
            nonce=self.nonce,
            forced=forced,
            force_reason=force_reason,
            data=data,
            created_at=self.now,
        )


def _signal_payload_around_id() -> tuple[str, str]:
    """The checked-in signal's payload as stored, as the text before and after the check-in's
    id, which the admission statement puts between them."""
    return signals.stored_payload_around_id(signals.checked_in, "checkin_id")


def _now() -> dt.datetime:
    # Seconds are not enough to order scans at a busy door.
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _order_failure(registrant: Registrant) -> str | None:
    """The order's verdict, the first rules in DESIGN.md's order."""
    order = registrant.order
    if order.status in ("pending", "expired"):
        return "unpaid"
    if order.status in ("canceled", "refunded") or registrant.canceled:
        return "canceled"
    if order.approval in ("pending", "declined"):
        return "unapproved"
    return None


def _group_of(registrant: Registrant) -> int | None:
    """The registrant's participant group id (none set: the event's default group)."""
    if registrant.group_id is not None:
        return registrant.group_id
    default = ParticipantGroup.get_or_none(
        (ParticipantGroup.event == registrant.event_id) & ParticipantGroup.is_default
    )
    return default.id if default else None


def _ticket_failure(checkin_list: CheckinList, registrant: Registrant, now: dt.datetime) -> str | None:
    """The list's rules for this ticket, after already_checked_in in DESIGN.md's order."""
    if not registrant.product.admits_entry:
        return "product"
    if not checkin_list.all_products and registrant.product_id not in (checkin_list.product_ids or []):
        return "product"
    if checkin_list.group_ids and _group_of(registrant) not in checkin_list.group_ids:
        return "product"  # a list limited to participant groups: not valid on this list
    if checkin_list.starts_at and now < checkin_list.starts_at:
        return "not_yet"
    if checkin_list.ends_at and now > checkin_list.ends_at:
        return "expired"
    if registrant.blocked:
        return "blocked"
    return None


def _previous(attendance: Attendance | None) -> dict | None:
    if attendance is None:
        return None
    return {"at": attendance.last_entry_at, "gate": attendance.last_gate}


def attention(registrant: Registrant, outcome: str) -> list[str]:
    """What a person at the door must look at (shown amber): things a human can resolve."""
    notes = []
    if outcome == "unpaid":
        notes.append(_("Not paid yet: a supervisor can take payment at the door."))
    elif outcome == "unapproved":
        notes.append(_("Approval pending: a supervisor decides."))
    elif outcome == "product" and not registrant.product.admits_entry:
        notes.append(_("Add-on only: this is not an entry ticket."))
    if outcome == "ok" and registrant.order.flag:
        notes.append(render_stored(registrant.order.flag_i18n, registrant.order.flag))
    return notes


def _replay(checkin_list: CheckinList, nonce: str) -> Answer | None:
    checkin = queries.SCAN_BY_NONCE.first(list=checkin_list.id, nonce=nonce)
    if checkin is None:
        return None
    registrant = queries.HOLDER_BY_ID.first(id=checkin.registrant_id) if checkin.registrant_id else None
    previous = None
    if checkin.data.get("previous"):
        stored = checkin.data["previous"]
        previous = {"at": dt.datetime.fromisoformat(stored["at"]) if stored["at"] else None, "gate": stored["gate"]}
    outcome = checkin.result if checkin.result == "ok" else checkin.reason
    return Answer(
        checkin.result,
        reason=checkin.reason,
        registrant=registrant,
        checkin=checkin,
        previous=previous,
        needs_attention=attention(registrant, outcome) if registrant and checkin.kind == "entry" else [],
        kind=checkin.kind,
        replayed=True,
    )


# --- undo -----------------------------------------------------------------------------------------


def undo(checkin: Checkin, *, user: User | None) -> Checkin:
    """Take back a successful entry: the registrant counts as not admitted on that list again (and
    not attended when no other entry remains). Door staff may undo their own check-ins only."""
    if checkin.result != "ok" or checkin.kind != "entry":
        raise CheckinError(_("Only a successful entry can be undone."))
    if not is_supervisor(user, checkin.organization_id) and checkin.user_id != (user.id if user else None):
        raise NotAllowed(_("Only a door supervisor (manager or above) may undo another person's check-in."))
    now = _now()
    with write_transaction():
        changed = (
            Checkin.update(undone_at=now, undone_by=user)
            .where((Checkin.id == checkin.id) & Checkin.undone_at.is_null())
            .execute()
        )
        if not changed:
            raise CheckinError(_("This check-in was already undone."))
        _recount(checkin.checkin_list_id, checkin.registrant_id, now)
        registrant = Registrant.get_by_id(checkin.registrant_id)
        audit.record(
            checkin.organization_id,
            "checkin.undo",
            user=user,
            target=registrant,
            summary=stored_text(
                "Check-in of %(registrant)s at %(created_at)s undone",
                registrant=registrant.name,
                created_at=format(checkin.created_at, "%Y-%m-%d %H:%M"),
            ),
        )
    checkin.undone_at, checkin.undone_by = now, user
    return checkin


def _recount(list_id: int, registrant_id: int, now: dt.datetime) -> None:
    """Rebuild the attendance row and the attended mark from the log of what still stands."""
    standing = Checkin.select().where(
        (Checkin.registrant == registrant_id) & (Checkin.result == "ok") & Checkin.undone_at.is_null()
    )
    on_list = standing.where(Checkin.checkin_list == list_id)
    entries = list(on_list.where(Checkin.kind == "entry").order_by(Checkin.created_at.desc(), Checkin.id.desc()))
    last_exit = on_list.where(Checkin.kind == "exit").order_by(Checkin.created_at.desc()).first()
    last = entries[0] if entries else None
    inside = bool(last) and (last_exit is None or last_exit.created_at < last.created_at)
    Attendance.update(
        entries=len(entries),
        inside=inside,
        last_entry_at=last.created_at if last else None,
        last_gate=last.gate if last else "",
        updated_at=now,
    ).where((Attendance.checkin_list == list_id) & (Attendance.registrant == registrant_id)).execute()
    first_entry = standing.where(Checkin.kind == "entry").order_by(Checkin.created_at).first()
    Registrant.update(checked_in_at=first_entry.created_at if first_entry else None).where(
        Registrant.id == registrant_id
    ).execute()


# --- numbers --------------------------------------------------------------------------------------


def expected_registrants(checkin_list: CheckinList) -> pw.Select:
    """Who may enter on this list: admitted (paid, approved, not canceled) holders of its tickets."""
    query = (
        Registrant.select(Registrant.id)
        .join(Order)
        .switch(Registrant)
        .join(Product)
        .where(
            (Registrant.event == checkin_list.event_id)
            & (Registrant.canceled == False)  # noqa: E712
            & (Order.status == "paid")
            & Order.approval.not_in(("pending", "declined"))
            & (Product.admits_entry == True)  # noqa: E712
        )
    )
    if not checkin_list.all_products:
        query = query.where(Registrant.product.in_(checkin_list.product_ids or [0]))
    if checkin_list.group_ids:
        default = ParticipantGroup.get_or_none(
            (ParticipantGroup.event == checkin_list.event_id) & ParticipantGroup.is_default
        )
        in_groups = Registrant.group.in_(checkin_list.group_ids)
        if default is not None and default.id in checkin_list.group_ids:
            in_groups |= Registrant.group.is_null()
        query = query.where(in_groups)
    return query


def stats(event: Event, checkin_list: CheckinList | None = None) -> dict:
    """The door's live numbers for one list (default list when None): expected, checked in,
    inside now (lists with exits), and entries per gate."""
    checkin_list = checkin_list or default_list(event)
    with db.atomic():
        expected = expected_registrants(checkin_list).count()
        attendances = Attendance.select().where((Attendance.checkin_list == checkin_list) & (Attendance.entries > 0))
        checked_in = attendances.count()
        inside = attendances.where(Attendance.inside == True).count()  # noqa: E712
        gates = (
            Checkin.select(Checkin.gate, pw.fn.COUNT(Checkin.id).alias("n"))
            .where(
                (Checkin.checkin_list == checkin_list)
                & (Checkin.result == "ok")
                & (Checkin.kind == "entry")
                & Checkin.undone_at.is_null()
            )
            .group_by(Checkin.gate)
            .order_by(Checkin.gate)
            .tuples()
        )
        per_gate = [{"gate": gate or "", "entries": n} for gate, n in gates]
    return {
        "list": {"id": checkin_list.id, "name": checkin_list.name},
        "expected": expected,
        "checked_in": checked_in,
        "inside": inside if checkin_list.allow_exit else None,
        "gates": per_gate,
    }
