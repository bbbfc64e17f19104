"""Registrants: list (filters incl. checked-in), add manually (with or without the ticket email),
update, cancel, resend the ticket, and CSV import as a job (the console's import job)."""

from __future__ import annotations

import peewee as pw
from flask import g

from webapp.api.framework import DEFAULT_LIMIT, MAX_LIMIT, ApiError, invalid, list_of, operation
from webapp.api.schema import AnyValue, Array, Bool, DateTime, Email, Int, Line, Map, Obj, Out, Str
from webapp.api.v1.common import actor_label, field_error, state_conflict
from webapp.api.v1.events import get_event
from webapp.api.v1.orders import Answers, OrderOut, RegistrantOut
from webapp.catalog.models import ParticipantGroup, Product
from webapp.db import utcnow, write_transaction
from webapp.events.models import Event
from webapp.i18n import _
from webapp.mail import notify
from webapp.orders import service as orders
from webapp.orders import states
from webapp.orders.groups import in_group
from webapp.orders.models import ORDER_STATUSES, Invitation, Order, Registrant
from webapp.registrants import imports
from webapp.work.models import Job

TAG = "Registrants"
ID = Int(minimum=1, maximum=2**31 - 1)

Person = Obj(
    "Person",
    {"name": Line(min_length=1, max_length=200), "email": Email(), "answers": Answers},
    required=("name", "email"),
)
AddRegistrants = Obj(
    "AddRegistrants",
    {
        "product_id": ID,
        "people": Array(Person, min_items=1, max_items=500),
        "paid": Bool(default=True, description="False: the order stays pending (holding seats) until paid."),
        "send_ticket": Bool(default=True, description="Email the tickets (paid orders)."),
    },
    required=("product_id", "people"),
    description="One order for these people, seats checked.",
)
RegistrantUpdate = Obj(
    "RegistrantUpdate",
    {"name": Line(min_length=1, max_length=200), "email": Email(), "answers": Answers, "product_id": ID},
    description="Only the fields sent change; `product_id` moves the attendee to another ticket type.",
)
ImportRequest = Obj(
    "RegistrantImport",
    {
        "csv": Str(
            min_length=1, max_length=10 * 1024 * 1024, strip=False, description="The file's text, with a header row."
        ),
        "filename": Str(max_length=200),
        "product_id": ID,
        "mapping": Map(
            Str(max_length=200),
            max_properties=200,
            description="name, email or q:<question id> → header (default: guessed from the headers).",
        ),
        "duplicates": Str(enum=("skip", "update"), default="skip"),
        "paid": Bool(default=True),
        "send_ticket": Bool(default=False),
    },
    required=("csv", "product_id"),
)
ImportJob = Out(
    "ImportJob",
    {
        "id": Int(),
        "event_id": Int(source=lambda j: j.event_id),
        "state": Str(description="queued, running, done or failed"),
        "total": Int(),
        "processed": Int(),
        "created_rows": Int(),
        "updated_rows": Int(),
        "skipped_rows": Int(),
        "failed_rows": Int(),
        "row_errors": Array(
            Out(
                "ImportRowError", {"row": Int(null=True), "email": Str(null=True), "errors": Array(Str())}, source=None
            ),
            source=lambda j: [
                {"row": e.get("row"), "email": e.get("email"), "errors": list(e.get("errors") or [])}
                for e in (j.row_errors or [])
            ],
        ),
        "error": Str(null=True),
        "created_at": DateTime(),
        "started_at": DateTime(null=True),
        "finished_at": DateTime(null=True),
    },
)


def _registrant(registrant_id: int) -> Registrant:
    return Registrant.get_for_org(g.api_org_id, registrant_id)


def _product(event, product_id: int, field: str = "product_id") -> Product:
    product = Product.get_or_none((Product.id == product_id) & (Product.event == event.id))
    if product is None:
        raise invalid("Unknown product.", **{field: "Not a product of this event."})
    return product


ParticipantOut = Out(
    "Participant",
    {
        "kind": Str(
            enum=("registrant", "invitation"),
            description="invitation: an open personal invitation (no registration yet); its registration fields are null.",
        ),
        "id": Int(description="The registrant's id (the invitation's for an invitation)."),
        "event_id": Int(),
        "order_id": Int(null=True),
        "order_code": Str(null=True),
        "order_status": Str(null=True, enum=ORDER_STATUSES),
        "product_id": Int(null=True),
        "product_name": Str(null=True),
        "contact_id": Int(null=True),
        "group_id": Int(null=True, description="null: the event's default group."),
        "state": Str(enum=states.STATES, description="The participant state (docs/participant-groups.md)."),
        "name": Str(),
        "email": Str(),
        "answers": Map(AnyValue(null=True), max_properties=None, description="Question id → answer."),
        "ticket_secret": Str(null=True, description="The QR content of the ticket."),
        "invitation_code": Str(null=True, description="The invitation's code (invitations only)."),
        "canceled": Bool(),
        "blocked": Bool(),
        "checked_in": Bool(),
        "checked_in_at": DateTime(null=True),
        "created_at": DateTime(),
        "updated_at": DateTime(),
    },
)
# The list's filters that only a registration can match: with one of them, no invitation is listed.
REGISTRATION_ONLY = ("checked_in", "canceled", "product_id", "order_status", "updated_since")


def _registrant_row(r: Registrant, now) -> dict:
    return {
        "kind": "registrant", "id": r.id, "event_id": r.event_id, "order_id": r.order_id,
        "order_code": r.order.code, "order_status": r.order.status, "product_id": r.product_id,
        "product_name": r.product.name, "contact_id": r.contact_id, "group_id": r.group_id,
        "state": states.of_registrant(r, r.order, r.event, now), "name": r.name, "email": r.email,
        "answers": r.answers or {}, "ticket_secret": r.ticket_secret, "invitation_code": None,
        "canceled": r.canceled, "blocked": r.blocked, "checked_in": r.checked_in_at is not None,
        "checked_in_at": r.checked_in_at, "created_at": r.created_at, "updated_at": r.updated_at,
    }  # fmt: skip


def _invitation_row(i: Invitation) -> dict:
    return {
        "kind": "invitation", "id": i.id, "event_id": i.event_id, "order_id": None, "order_code": None,
        "order_status": None, "product_id": None, "product_name": None, "contact_id": None,
        "group_id": i.group_id, "state": states.of_invitation(i), "name": i.name, "email": i.email, "answers": {},
        "ticket_secret": None, "invitation_code": i.code, "canceled": False, "blocked": False, "checked_in": False,
        "checked_in_at": None, "created_at": i.created_at,
        "updated_at": i.declined_at or i.sent_at or i.created_at,
    }  # fmt: skip


@operation(
    "GET",
    "/events/<int:event_id>/registrants",
    tag=TAG,
    scope="registrants",
    summary="List registrants (and open invitations)",
    response=list_of(ParticipantOut),
    query={
        "checked_in": Bool(),
        "canceled": Bool(),
        "product_id": ID,
        "order_status": Str(enum=ORDER_STATUSES),
        "email": Email(),
        "search": Str(min_length=1, max_length=200, description="Part of the name or email."),
        "updated_since": DateTime(),
        "group_id": ID,
        "state": Str(enum=states.STATES, description="A participant state."),
        "include_invitations": Bool(
            default=False,
            description="true: the open personal invitations (state invited or declined) follow the registrants. "
            "They are listed whenever `state` is invited or declined, so that the list matches the groups' counts.",
        ),
        "limit": Int(minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT, description="Items per page."),
        "cursor": Str(max_length=19, pattern=r"^i?[0-9]+$", description="next_cursor of the previous page."),
    },
)
def list_registrants(event_id, query):
    """Newest first: the registrants, then (when asked for, or when `state` is invited or
    declined) the event's open personal invitations as items of kind `invitation`."""
    event = get_event(event_id)
    group = None
    if "group_id" in query:
        group = ParticipantGroup.get_or_none(
            (ParticipantGroup.id == query["group_id"]) & (ParticipantGroup.event == event.id)
        )
        if group is None:
            raise invalid("Unknown group.", group_id="Not a participant group of this event.")
    limit, cursor = query["limit"], query.get("cursor") or ""
    in_invitations = cursor.startswith("i")
    rows: list = []
    if not in_invitations:
        select = _registrants(event, group, query)
        if cursor:
            select = select.where(Registrant.id < int(cursor))
        rows = list(select.order_by(Registrant.id.desc()).limit(limit + 1))
    invited = _invitations(event, group, query)
    if invited is not None and len(rows) <= limit:
        if in_invitations:
            invited = invited.where(Invitation.id < int(cursor[1:]))
        rows += list(invited.order_by(Invitation.id.desc()).limit(limit + 1 - len(rows)))
    more = len(rows) > limit
    rows = rows[:limit]
    now = utcnow()
    data = [_registrant_row(r, now) if isinstance(r, Registrant) else _invitation_row(r) for r in rows]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = str(last.id) if isinstance(last, Registrant) else f"i{last.id}"
    return {"data": data, "next_cursor": next_cursor}


def _registrants(event, group, query) -> pw.ModelSelect:
    select = (
        Registrant.select(Registrant, Order, Event, Product)
        .join(Order)
        .switch(Registrant)
        .join(Event)
        .switch(Registrant)
        .join(Product)
        .where((Registrant.organization == g.api_org_id) & (Registrant.event == event.id))
    )
    if group is not None:
        select = select.where(in_group(group))
    if "state" in query:
        state = query["state"]
        select = select.where(pw.SQL("1 = 0") if state == "invited" else states.condition(state, event))
    if "checked_in" in query:
        select = select.where(Registrant.checked_in_at.is_null(not query["checked_in"]))
    if "canceled" in query:
        select = select.where(Registrant.canceled == query["canceled"])
    if "product_id" in query:
        select = select.where(Registrant.product == query["product_id"])
    if "order_status" in query:
        select = select.where(Order.status == query["order_status"])
    if "email" in query:
        select = select.where(Registrant.email == query["email"])
    if "search" in query:
        needle = f"%{query['search'].lower()}%"
        select = select.where(pw.fn.LOWER(Registrant.name).contains(query["search"].lower()) | Registrant.email**needle)
    if "updated_since" in query:
        select = select.where(Registrant.updated_at >= query["updated_since"])
    return select


def _invitations(event, group, query) -> pw.ModelSelect | None:
    """The open personal invitations the query asks for (None: none are listed)."""
    state = query.get("state")
    wanted = query.get("include_invitations") or state in ("invited", "declined")
    if not wanted or state not in (None, "invited", "declined") or any(k in query for k in REGISTRATION_ONLY):
        return None
    select = states.open_invitations(event).where(Invitation.organization == g.api_org_id)
    if state:
        select = select.where(Invitation.declined_at.is_null(state == "invited"))
    if group is not None:
        own = Invitation.group == group.id
        select = select.where(own | Invitation.group.is_null() if group.is_default else own)
    if "email" in query:
        select = select.where(Invitation.email == query["email"])
    if "search" in query:
        needle = f"%{query['search'].lower()}%"
        select = select.where(pw.fn.LOWER(Invitation.name).contains(query["search"].lower()) | Invitation.email**needle)
    return select


@operation(
    "POST",
    "/events/<int:event_id>/registrants",
    tag=TAG,
    scope="registrants",
    summary="Add registrants manually",
    body=AddRegistrants,
    response=OrderOut,
    status=201,
)
def add_registrants(event_id, body):
    """One order for the people (capacity checked); answers `409` when there are not enough seats."""
    event = get_event(event_id)
    product = _product(event, body["product_id"])
    people = [{"name": p["name"], "email": p["email"], "answers": p.get("answers") or {}} for p in body["people"]]
    try:
        order = orders.add_participants(
            event, product, people, source="api", paid=body.get("paid", True),
            send_ticket=body.get("send_ticket", True), actor=None, actor_label=actor_label(),
        )  # fmt: skip
    except orders.OrderError as exc:
        if "seats" in str(exc):
            raise state_conflict(exc) from None
        raise field_error(exc, default_field="people") from None
    return Order.get_by_id(order.id)


@operation(
    "PATCH",
    "/registrants/<int:registrant_id>",
    tag=TAG,
    scope="registrants",
    summary="Update a registrant",
    body=RegistrantUpdate,
    response=RegistrantOut,
)
def update_registrant(registrant_id, body):
    registrant = _registrant(registrant_id)
    try:
        with write_transaction():
            if any(key in body for key in ("name", "email", "answers")):
                answers = {**(registrant.answers or {}), **body["answers"]} if "answers" in body else registrant.answers
                orders.update_registrant(
                    registrant, name=body.get("name", registrant.name), email=body.get("email", registrant.email),
                    answers=answers, actor=None, actor_label=actor_label(),
                )  # fmt: skip
            if "product_id" in body:
                product = _product(registrant.event, body["product_id"])
                orders.change_product(registrant, product, actor=None, actor_label=actor_label())
    except orders.OrderError as exc:
        raise invalid(str(exc), **{_field_of(str(exc)): str(exc)}) from None
    return Registrant.get_by_id(registrant.id)


def _field_of(message: str) -> str:
    lowered = message.lower()
    if "email" in lowered:
        return "email"
    if "name" in lowered:
        return "name"
    return "product_id"


@operation(
    "POST",
    "/registrants/<int:registrant_id>/cancel",
    tag=TAG,
    scope="registrants",
    summary="Cancel a registrant",
    response=RegistrantOut,
)
def cancel_registrant(registrant_id):
    """The ticket becomes void and the seat is freed. 409 when already canceled."""
    registrant = _registrant(registrant_id)
    try:
        orders.cancel_registrant(registrant, actor=None, actor_label=actor_label())
    except orders.OrderError as exc:
        raise state_conflict(exc) from None
    return Registrant.get_by_id(registrant.id)


@operation(
    "POST",
    "/registrants/<int:registrant_id>/resend-ticket",
    tag=TAG,
    scope="registrants",
    summary="Email the ticket again",
    response=RegistrantOut,
)
def resend_ticket(registrant_id):
    """409 when the registrant holds no valid ticket (unpaid, canceled, not approved)."""

    registrant = _registrant(registrant_id)
    try:
        notify.resend_ticket(registrant, actor=None, actor_label=actor_label())
    except notify.NotAdmitted as exc:
        raise state_conflict(exc) from None
    return registrant


@operation(
    "POST",
    "/events/<int:event_id>/registrants/imports",
    tag=TAG,
    scope="registrants",
    summary="Import registrants from CSV (a job)",
    body=ImportRequest,
    response=ImportJob,
    status=202,
    max_body=12 * 1024 * 1024,
)
def import_registrants(event_id, body):
    """The console's import: rows are checked and added in the background; follow the job at
    /imports/{job_id}. Bad rows are counted and described, never silently dropped."""

    event = get_event(event_id)
    product = _product(event, body["product_id"])
    try:
        parsed = imports.read_upload(body["csv"].encode("utf-8"))
    except imports.ImportFileError as exc:
        raise invalid(str(exc), csv=str(exc)) from None
    mapping = _mapping(
        parsed.headers, body.get("mapping"), imports.guess_mapping(parsed.headers, imports.targets(event))
    )
    with write_transaction():
        job = imports.create_job(g.api_org_id, event, None, parsed, body.get("filename") or "api.csv")
        try:
            imports.start(
                job, mapping=mapping, product=product, duplicates=body.get("duplicates", "skip"),
                send_ticket=body.get("send_ticket", False), paid=body.get("paid", True),
            )  # fmt: skip
        except (imports.ImportFileError, imports.MappingError) as exc:
            raise invalid(str(exc), mapping=str(exc)) from None
    return _job(job.id)


def _mapping(headers: list[str], given: dict | None, guessed: dict[str, int]) -> dict[str, int]:
    if not given:
        mapping = guessed
    else:
        mapping = {}
        for target, header in given.items():
            if header not in headers:
                raise invalid("Unknown column.", **{f"mapping.{target}": f"No column named {header!r}."})
            mapping[target] = headers.index(header)
    missing = [t for t in ("name", "email") if t not in mapping]
    if missing:
        raise invalid("Map the name and email columns.", **{f"mapping.{t}": "Which column holds it?" for t in missing})
    return mapping


def _job(job_id: int):

    job = Job.get_or_none((Job.id == job_id) & (Job.organization_id == g.api_org_id) & (Job.kind == imports.KIND))
    if job is None:
        raise ApiError(404, "not_found", _("Not found."))
    return job


@operation(
    "GET", "/imports/<int:job_id>", tag=TAG, scope="registrants", summary="Follow an import job", response=ImportJob
)
def read_import(job_id):
    return _job(job_id)
