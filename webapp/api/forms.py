"""Forms of the API console pages: webhook endpoints."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.api.models import WEBHOOK_TOPICS
from webapp.i18n import _l

TOPIC_LABELS = {
    "registration.created": "registration.created — an order and its registrants were created",
    "order.paid": "order.paid — an order was paid (free orders at once)",
    "checkin.created": "checkin.created — a ticket was scanned in",
    "contact.updated": "contact.updated — a contact was created or changed",
    "contact.stage_changed": "contact.stage_changed — a contact moved to another funnel stage (with why)",
    "workflow.step": "workflow.step — a contact reached a webhook step of a workflow",
    "campaign.delivered": "campaign.delivered — a campaign message or single send was handed to the mail server",
    "campaign.opened": "campaign.opened — such a message was opened",
    "campaign.clicked": "campaign.clicked — a link in such a message was clicked",
    "campaign.bounced": "campaign.bounced — such a message bounced",
    "campaign.complained": "campaign.complained — its recipient reported such a message as spam",
    "campaign.unsubscribed": "campaign.unsubscribed — its recipient unsubscribed through such a message",
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class WebhookForm(FlaskForm):
    url = URLField(
        _l("URL"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=500)],
        description=_l("Where Rollcall POSTs the events (https in production)."),
    )
    description = StringField(_l("Description"), filters=[_strip], validators=[Optional(), Length(max=200)])
    topics = SelectMultipleField(
        _l("Events to send"),
        choices=[(t, TOPIC_LABELS[t]) for t in WEBHOOK_TOPICS],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired(message=_l("Choose at least one event."))],
    )
    active = BooleanField(_l("Active"), default=True)
