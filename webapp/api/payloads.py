"""What a webhook carries: the same shapes the API answers with (webapp.api.v1 declarations)."""

from __future__ import annotations

from webapp.api.models import WEBHOOK_TOPICS
from webapp.api.schema import DateTime, Obj, Out, Str
from webapp.api.v1.checkins import CheckinOut
from webapp.api.v1.contacts import ContactOut
from webapp.api.v1.orders import OrderOut, RegistrantOut
from webapp.checkin.models import Checkin
from webapp.contacts.models import FUNNEL_STAGES, Contact
from webapp.orders.models import Order

StageChangeOut = Out(
    "ContactStageChange",
    {
        "from": Str(enum=FUNNEL_STAGES),
        "to": Str(enum=FUNNEL_STAGES),
        "source": Str(
            description="Why: person (console), api, import, rule:<label name> (a label's stage rule, "
            "e.g. rule:paid), rule:inactivity."
        ),
        "changed_at": Str(description="When, ISO 8601 in UTC."),
    },
)
_RegistrantOrNull = Obj("WebhookRegistrant", RegistrantOut.fields, required=tuple(RegistrantOut.fields), null=True)
WEBHOOK_DATA = {
    "registration.created": Out("RegistrationCreatedData", {"order": OrderOut}),
    "order.paid": Out("OrderPaidData", {"order": OrderOut}),
    "checkin.created": Out("CheckinCreatedData", {"checkin": CheckinOut, "registrant": _RegistrantOrNull}),
    "contact.updated": Out("ContactUpdatedData", {"contact": ContactOut}),
    "contact.stage_changed": Out("ContactStageChangedData", {"contact": ContactOut, "change": StageChangeOut}),
}
assert tuple(WEBHOOK_DATA) == WEBHOOK_TOPICS


def message_schema(topic: str) -> Obj:
    """What a webhook POST of this topic carries (documented in the OpenAPI document's webhooks)."""
    name = "Webhook_" + topic.replace(".", "_")
    return Out(
        name,
        {
            "id": Str(description="The message id: the same on every retry of one message."),
            "type": Str(enum=(topic,)),
            "created_at": DateTime(),
            "data": WEBHOOK_DATA[topic],
        },
    )


def payload_for(topic: str, object_id: int, change: dict | None = None) -> tuple[int, dict] | None:
    """(organization id, data) for the topic's object; None when it no longer exists. A stage
    change carries the `change` (from, to, source, changed_at) beside the contact as it is now."""

    if topic in ("registration.created", "order.paid"):
        order = Order.get_or_none(Order.id == object_id)
        return None if order is None else (order.organization_id, {"order": OrderOut.dump(order)})
    if topic == "checkin.created":
        checkin = Checkin.get_or_none(Checkin.id == object_id)
        if checkin is None:
            return None
        data = {"checkin": CheckinOut.dump(checkin)}
        data["registrant"] = RegistrantOut.dump(checkin.registrant) if checkin.registrant_id else None
        return checkin.organization_id, data
    if topic in ("contact.updated", "contact.stage_changed"):
        contact = Contact.get_or_none(Contact.id == object_id)
        if contact is None:
            return None
        data = {"contact": ContactOut.dump(contact)}
        if topic == "contact.stage_changed":
            data["change"] = StageChangeOut.dump(change or {})
        return contact.organization_id, data
    raise ValueError(f"unknown webhook topic {topic!r}")
