"""Single sends: POST /api/v1/transmissions sends one message to one recipient, from a campaign
template (`template_id`), a copy of a campaign's body (`campaign_id`) or a subject and body, with `metadata` that comes back on every
campaign.* webhook about the message (delivered, opened, clicked, bounced, complained,
unsubscribed)."""

from __future__ import annotations

from webapp.api.framework import invalid, operation
from webapp.api.schema import DateTime, Int, JsonObject, Line, Obj, Out, Str
from webapp.api.v1.common import org
from webapp.campaigns import transmissions
from webapp.email_address import is_valid_email
from webapp.mail.models import Outbox

TransmissionIn = Obj(
    "TransmissionCreate",
    {
        "to": Str(max_length=254, description="The recipient's address."),
        "to_name": Line(max_length=200),
        "template_id": Int(minimum=1, description="A campaign template whose subject and body are used."),
        "campaign_id": Int(minimum=1, description="A campaign whose subject, bodies and sender are copied."),
        "subject": Line(max_length=500),
        "html": Str(max_length=500_000),
        "text": Str(max_length=200_000),
        "from_email": Str(max_length=254, description="Used when on a verified sending domain."),
        "from_name": Line(max_length=200),
        "reply_to": Str(max_length=254),
        "metadata": JsonObject(max_bytes=4096, description="Yours: returned on every webhook of this message."),
    },
    required=("to",),
)
TransmissionOut = Out(
    "Transmission",
    {
        "id": Int(),
        "message_id": Str(description="The Message-ID header."),
        "outbox_id": Int(description="The message: `message.id` in its webhooks."),
        "state": Str(description="queued, sending, sent, failed, skipped"),
        "metadata": JsonObject(),
        "created_at": DateTime(),
    },
)


@operation(
    "POST", "/transmissions", tag="Transmissions", scope="campaigns", summary="Send one message to one recipient",
    body=TransmissionIn, response=TransmissionOut, status=202,
)  # fmt: skip
def create_transmission(body):
    for field in ("to", "from_email", "reply_to"):
        if body.get(field) and not is_valid_email(body[field].strip()):
            raise invalid("Some fields are not valid.", **{field: "Enter an email address such as ana@example.org."})
    try:
        sent = transmissions.send(
            org(),
            to=body["to"].strip(),
            to_name=body.get("to_name", ""),
            subject=body.get("subject"),
            html=body.get("html"),
            text=body.get("text"),
            template_id=body.get("template_id"),
            campaign_id=body.get("campaign_id"),
            from_email=(body.get("from_email") or "").strip() or None,
            from_name=body.get("from_name"),
            reply_to=(body.get("reply_to") or "").strip() or None,
            metadata=body.get("metadata"),
        )
    except transmissions.TransmissionError as exc:
        raise invalid("Some fields are not valid.", **exc.fields) from None
    row = Outbox.get_by_id(sent.outbox_id)
    return {
        "id": sent.id,
        "message_id": row.message_id,
        "outbox_id": row.id,
        "state": row.state,
        "metadata": sent.metadata,
        "created_at": sent.created_at,
    }
