"""Invitations to invite-only events: personal links sent by email, or shared codes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from webapp import csvfile, signals
from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog.models import ParticipantGroup, Product
from webapp.db import db, utcnow
from webapp.email_address import is_valid_email
from webapp.events.models import Event
from webapp.guards import person_name_problem
from webapp.i18n import _, stored_text, verbatim
from webapp.orders.codes import new_invitation_code
from webapp.orders.models import Invitation

MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024


class InvitationError(ValueError):
    pass


@dataclass
class ImportResult:
    created: list[Invitation] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # already invited


def _check_products(event: Event, product_ids: list[int]) -> list[int]:
    ids = [int(p) for p in product_ids or []]
    found = {p.id for p in Product.select(Product.id).where((Product.event == event.id) & Product.id.in_(ids))}
    if set(ids) - found:
        raise InvitationError(_("Choose products of this event."))
    return ids


def _check_group(event: Event, group_id: int | None) -> int | None:
    if not group_id:
        return None
    group = ParticipantGroup.get_or_none((ParticipantGroup.id == group_id) & (ParticipantGroup.event == event.id))
    if group is None:
        raise InvitationError(_("Choose a participant group of this event."))
    return group.id


def _new_code() -> str:
    while True:
        code = new_invitation_code()
        if not Invitation.select().where(Invitation.code == code).exists():
            return code


def create(
    event: Event, *, email: str = "", name: str = "", product_ids: list[int] | None = None,
    max_uses: int = 1, send: bool = True, actor: User | None, group_id: int | None = None,
    actor_label: str | None = None,
) -> Invitation:  # fmt: skip
    """A personal invitation (with an email: sent at once when `send`) or a shared code. Whoever
    registers with it joins the participant group `group_id` (None: the default group)."""
    email, name = (email or "").strip().lower(), (name or "").strip()
    if email and not is_valid_email(email):
        raise InvitationError(_("Enter an email address such as ana@example.org."))
    if problem := person_name_problem(name):
        raise InvitationError(problem)
    if not email and max_uses < 1:
        raise InvitationError(_("A shared code needs at least one use."))
    if max_uses < 1 or max_uses > 100000:
        raise InvitationError(_("Uses must be between 1 and 100000."))
    ids = _check_products(event, product_ids or [])
    group = _check_group(event, group_id)
    with db.atomic():
        invitation = Invitation.create(
            organization=event.organization_id, event=event, code=_new_code(), email=email,
            name=name, product_ids=ids, max_uses=max_uses, group=group,
        )  # fmt: skip
        audit.record(
            event.organization_id, "invitation.create", user=actor, actor=actor_label, target=invitation,
            summary=stored_text("Invited %(email)s", email=email) if email else stored_text("Invited code %(code)s", code=invitation.code),
        )  # fmt: skip
        if send and email:
            send_invitation(invitation)
    return invitation


def send_invitation(invitation: Invitation) -> None:
    if not invitation.email:
        raise InvitationError(_("A shared code has no email address to send to."))
    if invitation.revoked_at:
        raise InvitationError(_("This invitation was revoked."))
    signals.emit(signals.invitation_sent, invitation_id=invitation.id)
    Invitation.update(sent_at=utcnow()).where(Invitation.id == invitation.id).execute()


def resend(invitation: Invitation, *, actor: User | None, actor_label: str | None = None) -> None:
    """Send a personal invitation again (audited); not once it is revoked or used up."""
    if invitation.email and invitation.times_used >= invitation.max_uses:
        raise InvitationError(_("This invitation was used: its registration is on the list."))
    with db.atomic():
        send_invitation(invitation)
        audit.record(
            invitation.organization_id, "invitation.resend", user=actor, actor=actor_label, target=invitation,
            summary=stored_text("Sent again to %(email)s", email=invitation.email),
        )  # fmt: skip


def revoke(invitation: Invitation, *, actor: User | None, actor_label: str | None = None) -> None:
    """Cancel the invitation: its link and code stop working. Revoking twice changes nothing
    more (InvitationError)."""
    with db.atomic():
        changed = (
            Invitation.update(revoked_at=utcnow())
            .where((Invitation.id == invitation.id) & Invitation.revoked_at.is_null())
            .execute()
        )
        if not changed:
            raise InvitationError(_("This invitation was revoked."))
        audit.record(
            invitation.organization_id, "invitation.revoke", user=actor, actor=actor_label, target=invitation,
            summary=verbatim(invitation.code),
        )  # fmt: skip


STATUSES = ("invited", "declined", "used", "revoked")


def status(invitation: Invitation) -> str:
    """Where an invitation stands: revoked, used (up), declined (by the invitee), else invited."""
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.times_used >= invitation.max_uses:
        return "used"
    return "declined" if invitation.declined_at is not None else "invited"


def status_condition(name: str):
    """The invitations in status `name` (a WHERE condition on Invitation), as `status` decides."""
    live = Invitation.revoked_at.is_null() & (Invitation.times_used < Invitation.max_uses)
    return {
        "revoked": Invitation.revoked_at.is_null(False),
        "used": Invitation.revoked_at.is_null() & (Invitation.times_used >= Invitation.max_uses),
        "declined": live & Invitation.declined_at.is_null(False),
        "invited": live & Invitation.declined_at.is_null(),
    }[name]


def can_decline(invitation: Invitation) -> bool:
    return bool(invitation.email) and not invitation.revoked_at and invitation.times_used < invitation.max_uses


def decline(invitation: Invitation) -> bool:
    """The invitee says they will not come (from the invitation link). False when the invitation
    was used up, revoked, or is a shared code; saying no twice changes nothing."""
    if not can_decline(invitation):
        return False
    with db.atomic():
        changed = (
            Invitation.update(declined_at=utcnow())
            .where((Invitation.id == invitation.id) & Invitation.declined_at.is_null())
            .execute()
        )
        if changed:
            audit.record(
                invitation.organization_id, "invitation.decline", actor=f"invitee {invitation.email}",
                target=invitation, summary=stored_text("%(email)s declined the invitation", email=invitation.email),
            )  # fmt: skip
    return True


def import_csv(
    event: Event, data: bytes, *, product_ids: list[int] | None = None, actor: User | None,
    group_id: int | None = None,
) -> ImportResult:  # fmt: skip
    """Rows of email[,name] (a header row naming `email` is recognised). Each good row becomes a
    personal invitation and is sent; each bad row is reported with its line number."""
    result = ImportResult()
    try:
        parsed = csvfile.read(data, max_bytes=MAX_BYTES, max_rows=MAX_ROWS, header=False)
    except csvfile.CSVFileError as exc:
        raise InvitationError(str(exc)) from None
    rows = list(csv.reader(io.StringIO(parsed.text, newline=""), delimiter=parsed.delimiter))
    email_col, name_col, start = 0, 1, 0
    if rows and any("email" in (c or "").strip().lower() for c in rows[0]):
        header = [(c or "").strip().lower() for c in rows[0]]
        email_col = next(i for i, c in enumerate(header) if "email" in c)
        name_col = next((i for i, c in enumerate(header) if "name" in c), -1)
        start = 1
    ids = _check_products(event, product_ids or [])
    group = _check_group(event, group_id)
    seen = {
        i.email
        for i in Invitation.select(Invitation.email).where(
            (Invitation.event == event.id) & (Invitation.email != "") & Invitation.revoked_at.is_null()
        )
    }
    with db.atomic():
        for line, row in enumerate(rows[start:], start=start + 1):
            if not any((c or "").strip() for c in row):
                continue
            email = row[email_col].strip().lower() if len(row) > email_col else ""
            name = row[name_col].strip() if 0 <= name_col < len(row) else ""
            if not is_valid_email(email):
                problem = _("%(email)s is not an email address", email=email) if email else _("the email is empty")
                result.errors.append((line, problem))
                continue
            if problem := person_name_problem(name):
                result.errors.append((line, problem))
                continue
            if email in seen:
                result.skipped.append((line, _("%(email)s is already invited", email=email)))
                continue
            seen.add(email)
            invitation = Invitation.create(
                organization=event.organization_id, event=event, code=_new_code(), email=email,
                name=name, product_ids=ids, max_uses=1, group=group,
            )  # fmt: skip
            send_invitation(invitation)
            result.created.append(invitation)
        audit.record(
            event.organization_id, "invitation.import", user=actor, target=event,
            summary=stored_text("Imported %(count)s invitation(s), %(count2)s error(s)", count=len(result.created), count2=len(result.errors)),
        )  # fmt: skip
    return result
