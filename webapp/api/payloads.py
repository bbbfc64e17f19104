"""What a webhook carries: the same shapes the API answers with (webapp.api.v1 declarations)."""

from __future__ import annotations

from webapp.api.models import WEBHOOK_TOPICS
from webapp.api.schema import DateTime, Int, Obj, Out, Str
from webapp.api.v1.checkins import CheckinOut
from webapp.api.v1.contacts import ContactOut
from webapp.api.v1.orders import OrderOut, RegistrantOut
from webapp.checkin.models import Checkin
from webapp.contacts.models import FUNNEL_STAGES, Contact
from webapp.orders.models import Order
from webapp.workflows.models import WorkflowRun

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
WorkflowStepOut = Out(
    "WorkflowStep",
    {
        "id": Int(description="The workflow's id."),
        "name": Str(description="The workflow's name."),
        "run_id": Int(description="The contact's run of the workflow."),
        "run_number": Int(description="1 for the contact's first run; more when the workflow allows re-entry."),
        "step": Int(description="The webhook step's position in the workflow, from 1."),
        "step_name": Str(description="The name the operator gave the webhook step."),
    },
)
_RegistrantOrNull = Obj("WebhookRegistrant", RegistrantOut.fields, required=tuple(RegistrantOut.fields), null=True)
WEBHOOK_DATA = {
    "registration.created": Out("RegistrationCreatedData", {"order": OrderOut}),
    "order.paid": Out("OrderPaidData", {"order": OrderOut}),
    "checkin.created": Out("CheckinCreatedData", {"checkin": CheckinOut, "registrant": _RegistrantOrNull}),
    "contact.updated": Out("ContactUpdatedData", {"contact": ContactOut}),
    "contact.stage_changed": Out("ContactStageChangedData", {"contact": ContactOut, "change": StageChangeOut}),
    "workflow.step": Out("WorkflowStepData", {"contact": ContactOut, "workflow": WorkflowStepOut}),
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
    if topic == "workflow.step":
        return _workflow_step(object_id, (change or {}).get("step", 0))
    raise ValueError(f"unknown webhook topic {topic!r}")


def _workflow_step(run_id: int, index: int) -> tuple[int, dict] | None:
    run = WorkflowRun.get_or_none(WorkflowRun.id == run_id)
    if run is None:
        return None
    workflow = run.workflow
    steps = workflow.steps or []
    step = steps[index] if 0 <= index < len(steps) else {}
    data = {
        "contact": ContactOut.dump(run.contact),
        "workflow": WorkflowStepOut.dump(
            {
                "id": workflow.id,
                "name": workflow.name,
                "run_id": run.id,
                "run_number": run.number,
                "step": index + 1,
                "step_name": step.get("name", ""),
            }
        ),
    }
    return run.organization_id, data
