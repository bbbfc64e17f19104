"""Contacts: upsert by email, read with labels, stage and timeline, list with filters, labels and
funnel stage (CONTACTS' services do the rules: merging, label → stage, audit)."""

from __future__ import annotations

import peewee as pw
from flask import g

from webapp.api.framework import Reply, invalid, operation
from webapp.api.schema import AnyValue, Array, Bool, DateTime, Email, Int, JsonObject, Line, Map, Obj, Out, Str
from webapp.api.v1.common import MAX_ID, actor_label, field_error
from webapp.contacts import service as contacts
from webapp.contacts import subscriptions
from webapp.contacts.models import CONTACT_STATUSES, FUNNEL_STAGES, Activity, Contact, ContactLabel, Label
from webapp.db import write_transaction
from webapp.extensions import LANGUAGES
from webapp.segments import query as segment_query
from webapp.segments.models import Segment

TIMELINE_LENGTH = 50


def _label_names(contact: Contact) -> list[str]:
    return [label.name for label in contacts.labels_of(contact)]


_contact_fields = {
    "id": Int(),
    "email": Str(),
    "name": Str(),
    "phone": Str(),
    "company": Str(),
    "user_id": Str(null=True),
    "custom": JsonObject(),
    "status": Str(enum=CONTACT_STATUSES),
    "stage": Str(enum=FUNNEL_STAGES),
    "stage_source": Str(description="Why it has this stage: person, api, rule:<label>, rule:paid, ..."),
    "labels": Array(Str(), source=_label_names),
    "created_at": DateTime(),
    "updated_at": DateTime(),
    "last_activity_at": DateTime(null=True),
}
ContactOut = Out("Contact", _contact_fields)
ActivityOut = Out(
    "Activity",
    {
        "id": Int(),
        "kind": Str(description="registered, paid, checked_in, label_added, signup, purchase, ..."),
        "occurred_at": DateTime(),
        "summary": Str(),
        "event_id": Int(null=True, source=lambda a: a.event_id),
        "registrant_id": Int(null=True),
        "data": JsonObject(),
    },
)
ContactDetail = Out(
    "ContactDetail",
    {
        **_contact_fields,
        "timeline": Array(
            ActivityOut,
            source=lambda c: list(
                Activity.select()
                .where(Activity.contact == c.id)
                .order_by(Activity.occurred_at.desc(), Activity.id.desc())
                .limit(TIMELINE_LENGTH)
            ),
            description=f"The latest {TIMELINE_LENGTH} timeline entries, newest first.",
        ),
    },
)
ContactUpsert = Obj(
    "ContactUpsert",
    {
        "email": Email(),
        "name": Line(max_length=200),
        "phone": Str(max_length=40),
        "company": Str(max_length=200),
        "user_id": Str(max_length=128),
        "custom": Map(AnyValue(), max_properties=100, description="Your own fields; merged into the stored ones."),
        "subscribe": Bool(
            description="The person subscribed (e.g. on your signup form): double opt-in. A new contact, or "
            "one not active, becomes pending and gets an email to confirm; confirmed, it is active. An "
            "active contact stays active. Pending contacts get no announcements."
        ),
        "locale": Str(enum=LANGUAGES, description="The language of the confirmation email (default en)."),
    },
    required=("email",),
    description="Merges into the contact with this email (nothing is erased), or creates it.",
)
LabelChange = Obj(
    "LabelChange",
    {
        "add": Array(Str(min_length=1, max_length=80), max_items=50),
        "remove": Array(Str(min_length=1, max_length=80), max_items=50),
    },
    description="Labels to add (created when new) and to remove. A label with a stage rule moves the contact.",
)
StageChange = Obj("StageChange", {"stage": Str(enum=FUNNEL_STAGES)}, required=("stage",))


def _contact(contact_id: int) -> Contact:
    return Contact.get_for_org(g.api_org_id, contact_id)


@operation(
    "GET",
    "/contacts",
    tag="Contacts",
    scope="contacts",
    summary="List contacts",
    page=ContactOut,
    query={
        "email": Email(),
        "user_id": Str(min_length=1, max_length=128),
        "label": Str(min_length=1, max_length=80),
        "stage": Str(enum=FUNNEL_STAGES),
        "status": Str(enum=CONTACT_STATUSES),
        "updated_since": DateTime(),
        "segment_id": Int(minimum=1, maximum=MAX_ID, description="Only the contacts this segment holds now."),
    },
)
def list_contacts(query):
    select = Contact.for_org(g.api_org_id)
    if "segment_id" in query:
        segment = Segment.for_org(g.api_org_id).where(Segment.id == query["segment_id"]).first()
        if segment is None:
            raise invalid("No such segment in your organization.", segment_id="No such segment.")
        select = select.where(segment_query.condition(g.api_org_id, segment.tree))
    if "email" in query:
        select = select.where(Contact.email == contacts.normalize_email(query["email"]))
    if "user_id" in query:
        select = select.where(Contact.user_id == query["user_id"])
    if "stage" in query:
        select = select.where(Contact.stage == query["stage"])
    if "status" in query:
        select = select.where(Contact.status == query["status"])
    if "updated_since" in query:
        select = select.where(Contact.updated_at >= query["updated_since"])
    if "label" in query:
        labelled = (
            ContactLabel.select(ContactLabel.contact)
            .join(Label)
            .where((Label.organization == g.api_org_id) & (pw.fn.LOWER(Label.name) == query["label"].lower()))
        )
        select = select.where(Contact.id.in_(labelled))
    return select


@operation(
    "GET",
    "/contacts/<int:contact_id>",
    tag="Contacts",
    scope="contacts",
    summary="Get a contact with labels, stage and timeline",
    response=ContactDetail,
)
def read_contact(contact_id):
    return _contact(contact_id)


@operation(
    "POST",
    "/contacts",
    tag="Contacts",
    scope="contacts",
    summary="Create or update a contact by email",
    body=ContactUpsert,
    response=ContactDetail,
    status=201,
    also=(200,),
)
def upsert_contact(body):
    """201 when the contact is new, 200 when it existed (the values sent were merged in)."""
    existed = Contact.for_org(g.api_org_id).where(Contact.email == body["email"]).exists()
    try:
        with write_transaction():
            contact = contacts.upsert_contact(
                g.api_org_id,
                body["email"],
                name=body.get("name"),
                phone=body.get("phone"),
                company=body.get("company"),
                custom=body.get("custom"),
                user_id=body.get("user_id"),
                source="api",
            )
            if body.get("subscribe"):
                locale = body.get("locale", "en")
                subscriptions.request(contact, new=not existed, locale=locale, actor_label=actor_label())
    except contacts.ContactError as exc:
        raise field_error(exc) from None
    return Reply(Contact.get_by_id(contact.id), 200 if existed else 201)


@operation(
    "POST",
    "/contacts/<int:contact_id>/labels",
    tag="Contacts",
    scope="contacts",
    summary="Add or remove labels",
    body=LabelChange,
    response=ContactDetail,
)
def change_labels(contact_id, body):
    contact = _contact(contact_id)
    try:
        with write_transaction():
            _apply_labels(contact, body)
    except contacts.ContactError as exc:
        raise field_error(exc, {"name": "add"}) from None
    return Contact.get_by_id(contact.id)


def _apply_labels(contact: Contact, body: dict) -> None:
    for name in body.get("add", []):
        contacts.add_label(contact, name, actor_label=actor_label())
    for name in body.get("remove", []):
        contacts.remove_label(contact, name, actor_label=actor_label())


@operation(
    "POST",
    "/contacts/<int:contact_id>/stage",
    tag="Contacts",
    scope="contacts",
    summary="Set the funnel stage",
    body=StageChange,
    response=ContactDetail,
)
def set_contact_stage(contact_id, body):
    contact = _contact(contact_id)
    contacts.set_stage(contact, body["stage"], source="api", actor_label=actor_label())
    return Contact.get_by_id(contact.id)
