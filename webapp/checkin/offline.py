"""The offline door: what a door device keeps of a check-in list so it can answer scans while the
venue's network is down, the changes that keep that copy current, and the replay of the scans it
made offline.

A device never receives a ticket secret. It gets, per ticket, a keyed hash of the secret (HMAC-SHA256
under a key of the list's own, derived from SECRET_KEY and handed only to signed-in door staff and
API keys with the check-in scope), the holder's name, the product and the ticket's state; with the
list's rules and, when the event signs its tickets, the public key that checks a signed secret.

Replay goes through the same redeem as any scan (service.redeem), in the order the device made the
scans, each with the device's nonce: uploading a batch twice answers the first answers again and
writes nothing. A scan the device admitted that the server refuses (most often
`already_checked_in`: the ticket was admitted at another device too) becomes an AdmissionReview
for a supervisor; it is never dropped silently.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import peewee as pw

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog.models import Product
from webapp.checkin import service
from webapp.checkin.answer_words import ANSWER_WORDS
from webapp.checkin.models import AdmissionReview, Attendance, CheckinList
from webapp.db import utcnow, write_transaction
from webapp.events.models import Event
from webapp.i18n import _, stored_text, stored_word
from webapp.orders import signed_secrets
from webapp.orders.models import Order, Registrant
from webapp.orders.ticket_secrets import normalize_scanned
from webapp.sealed import derived_key

KEY_PURPOSE = b"rollcall.door.list-key.v1:"
HASH_BYTES = 16  # 128 bits of the HMAC: a lookup key, unguessable without the list's key
# A change committed a little after the moment its row says (the row's time is taken before the
# commit) is still picked up: the cursor handed out is this much before the read.
CURSOR_SLACK = dt.timedelta(seconds=5)
BATCH_MAX = 500
DEVICE_MAX = 64
VERDICTS = ("ok", "error")  # what the device answered offline


class OfflineError(ValueError):
    """The upload cannot be replayed as sent (a scan without secret or nonce...)."""


def list_key(checkin_list: CheckinList) -> bytes:
    return derived_key(KEY_PURPOSE + str(checkin_list.id).encode())


def secret_hash(key: bytes, secret: str) -> str:
    """The keyed hash a device looks a scanned secret up by (base64url, no padding); the device
    computes the same with WebCrypto over the normalized scan."""
    digest = hmac.new(key, normalize_scanned(secret).encode(), hashlib.sha256).digest()[:HASH_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _rules(checkin_list: CheckinList) -> dict:
    return {
        "id": checkin_list.id,
        "name": checkin_list.name,
        "all_products": checkin_list.all_products,
        "product_ids": list(checkin_list.product_ids or []),
        "starts_at": checkin_list.starts_at,
        "ends_at": checkin_list.ends_at,
        "multi_entry": checkin_list.multi_entry,
        "allow_exit": checkin_list.allow_exit,
    }


def _state(order_status: str, approval: str | None, canceled: bool) -> str:
    """The order's verdict (service._order_failure's order) or `valid`."""
    if order_status in ("pending", "expired"):
        return "unpaid"
    if order_status in ("canceled", "refunded") or canceled:
        return "canceled"
    if approval in ("pending", "declined"):
        return "unapproved"
    return "valid"


def _tickets(checkin_list: CheckinList, registrants: pw.Select) -> list[dict]:
    key = list_key(checkin_list)
    rows = list(
        registrants.select(
            Registrant.id,
            Registrant.ticket_secret,
            Registrant.name,
            Registrant.product,
            Registrant.canceled,
            Registrant.blocked,
            Order.status,
            Order.approval,
        )  # fmt: skip
        .join(Order)
        .tuples()
    )
    ids = [row[0] for row in rows]
    attendance = {}
    for start in range(0, len(ids), 900):  # SQLite's limit on bound parameters
        chunk = ids[start : start + 900]
        attendance.update(
            {
                a.registrant_id: a
                for a in Attendance.select(
                    Attendance.registrant, Attendance.entries, Attendance.inside, Attendance.last_entry_at,
                    Attendance.last_gate,
                ).where((Attendance.checkin_list == checkin_list.id) & Attendance.registrant.in_(chunk))
            }
        )  # fmt: skip
    tickets = []
    for rid, secret, name, product_id, canceled, blocked, status, approval in rows:
        seen = attendance.get(rid)
        tickets.append(
            {
                "id": rid, "hash": secret_hash(key, secret), "name": name, "product_id": product_id,
                "state": _state(status, approval, canceled), "blocked": blocked,
                "entries": seen.entries if seen else 0, "inside": bool(seen and seen.inside),
                "last_entry_at": seen.last_entry_at if seen else None, "last_gate": seen.last_gate if seen else "",
            }
        )  # fmt: skip
    return tickets


def snapshot(event: Event, checkin_list: CheckinList) -> dict:
    """Everything a device needs to answer scans of this list offline, and the cursor to ask for
    changes from."""
    cursor = utcnow() - CURSOR_SLACK
    products = Product.select(Product.id, Product.name, Product.admits_entry).where(Product.event == event.id)
    return {
        "list": _rules(checkin_list),
        "event_id": event.id,
        "key": base64.urlsafe_b64encode(list_key(checkin_list)).rstrip(b"=").decode(),
        "signing_key": signed_secrets.public_key(event) if event.signed_tickets else None,
        "products": [{"id": p.id, "name": p.name, "admits_entry": p.admits_entry} for p in products],
        "tickets": _tickets(checkin_list, Registrant.select().where(Registrant.event == event.id)),
        "cursor": cursor,
    }


def changes(event: Event, checkin_list: CheckinList, since: dt.datetime) -> dict:
    """Tickets new or changed since `since` (their registrant, their order, or their attendance on
    this list), and the next cursor."""
    cursor = utcnow() - CURSOR_SLACK
    changed_registrants = Registrant.select(Registrant.id).where(
        (Registrant.event == event.id) & (Registrant.updated_at > since)
    )
    changed_orders = (
        Registrant.select(Registrant.id).join(Order).where((Order.event == event.id) & (Order.updated_at > since))
    )
    admitted = Attendance.select(Attendance.registrant).where(
        (Attendance.checkin_list == checkin_list.id) & (Attendance.updated_at > since)
    )
    ids = {r for (r,) in changed_registrants.tuples()} | {r for (r,) in changed_orders.tuples()}
    ids |= {r for (r,) in admitted.tuples()}
    tickets = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 900):
        chunk = ordered[start : start + 900]
        tickets += _tickets(
            checkin_list, Registrant.select().where((Registrant.event == event.id) & Registrant.id.in_(chunk))
        )
    return {"tickets": tickets, "list": _rules(checkin_list), "cursor": cursor}


def replay(event: Event, checkin_list: CheckinList, scans: list[dict], *, device: str, user: User | None) -> list[dict]:
    """Redeem each scan a device made offline, in the order it made them; answer per scan."""
    if len(scans) > BATCH_MAX:
        raise OfflineError(f"at most {BATCH_MAX} scans per upload")
    device = (device or "").strip()[:DEVICE_MAX]
    answers = []
    for scan in scans:
        offline = {
            "device": device,
            "device_time": scan["device_time"].isoformat(),
            "verdict": scan["verdict"],
        }
        answer = service.redeem(
            event, scan["secret"], checkin_list=checkin_list, gate=scan.get("gate") or "", user=user,
            nonce=scan["nonce"], kind="entry", offline=offline,
        )  # fmt: skip
        review = None
        if scan["verdict"] == "ok" and not answer.ok:
            review = _record_review(event, checkin_list, answer, device, scan["device_time"])
        answers.append({"answer": answer, "review_id": review})
    return answers


def _record_review(event, checkin_list, answer: service.Answer, device: str, device_time: dt.datetime) -> int:
    """The review entry of a refused offline admission; one per replayed scan (a second upload of
    the same scan finds it there)."""
    previous = answer.previous or {}
    AdmissionReview.insert(
        organization=event.organization_id, event=event.id, checkin_list=checkin_list.id,
        registrant=answer.registrant.id if answer.registrant else None, checkin=answer.checkin.id,
        reason=answer.reason or "", device=device, device_time=device_time, previous_at=previous.get("at"),
        previous_gate=previous.get("gate") or "", created_at=utcnow(),
    ).on_conflict_ignore().execute()  # fmt: skip
    return AdmissionReview.get(AdmissionReview.checkin == answer.checkin.id).id


# --- the supervisor's review list -----------------------------------------------------------------


def reviews(event: Event, *, open_only: bool = True) -> list[AdmissionReview]:
    query = (
        AdmissionReview.select(AdmissionReview, Registrant, CheckinList)
        .join(Registrant, pw.JOIN.LEFT_OUTER)
        .switch(AdmissionReview)
        .join(CheckinList)
        .where(AdmissionReview.event == event.id)
        .order_by(AdmissionReview.created_at.desc(), AdmissionReview.id.desc())
    )
    if open_only:
        query = query.where(AdmissionReview.resolved_at.is_null())
    return list(query.limit(500))


def resolve(review: AdmissionReview, *, user: User | None, note: str) -> AdmissionReview:
    """Mark a review done with what the supervisor found or did (audited)."""
    note = " ".join((note or "").split())[:300]
    if not note:
        raise OfflineError(_("Say what was found or done."))
    with write_transaction():
        changed = (
            AdmissionReview.update(resolved_at=utcnow(), resolved_by=user, resolution=note)
            .where((AdmissionReview.id == review.id) & AdmissionReview.resolved_at.is_null())
            .execute()
        )
        if not changed:
            raise OfflineError(_("This entry was already resolved."))
        audit.record(
            review.organization_id,
            "checkin.review_resolved",
            user=user,
            target=review.registrant if review.registrant_id else None,
            summary=stored_text(
                "Offline admission refused as %(reason)s on %(device)s resolved: %(note)s",
                reason=stored_word(ANSWER_WORDS, review.reason),
                device=review.device or stored_text("a device"),
                note=note,
            ),
        )
    return AdmissionReview.get_by_id(review.id)
