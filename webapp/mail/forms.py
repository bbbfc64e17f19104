"""Console forms: sending domains, an event's email settings and templates, automations."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from webapp.i18n import _l

TRIGGER_CHOICES = {  # models.AUTOMATION_TRIGGERS, as the form offers them
    "registered": _l("After registering"),
    "paid": _l("After payment"),
    "checked_in": _l("After check-in"),
    "before_start": _l("Before the event starts"),
}


class DomainForm(FlaskForm):
    domain = StringField(
        _l("Domain"),
        validators=[DataRequired(message=_l("Enter a domain name such as example.org")), Length(max=253)],
        description=_l("The part after the @ of the address you send from, e.g. example.org."),
    )


class EventMailSettingsForm(FlaskForm):
    sender_name = StringField(
        _l("Sender name"), validators=[Length(max=200)], description=_l("Defaults to the organization's name.")
    )
    sender_email = EmailField(
        _l("Sender email"),
        validators=[Optional(), Email(message=_l("Enter an email address.")), Length(max=254)],
        description=_l(
            "Used as From once its domain is verified under Sending domains; until then emails come "
            "from this instance's address with this one as Reply-To."
        ),
    )
    reply_to = EmailField(
        _l("Reply-To"), validators=[Optional(), Email(message=_l("Enter an email address.")), Length(max=254)]
    )
    send_payment_email = BooleanField(
        _l("Send the buyer an order confirmation (a payment receipt, or a notice of a free order placed for others)")
    )
    send_checkin_email = BooleanField(_l("Send a confirmation to attendees when they are checked in"))


class TemplateForm(FlaskForm):
    subject = StringField(_l("Subject"))  # lengths are checked by content.validate, beside each field
    html_body = TextAreaField(_l("HTML body"))
    text_body = TextAreaField(
        _l("Plain-text body"), description=_l("What mail apps show when they do not display HTML.")
    )


class AutomationForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Give the automation a name.")), Length(max=120)]
    )
    trigger = SelectField(_l("When"), choices=list(TRIGGER_CHOICES.items()))
    delay_amount = IntegerField(
        _l("Delay"), default=0, validators=[NumberRange(min=0, max=8760, message=_l("Enter a number from 0 to 8760."))]
    )
    delay_unit = SelectField(
        _l("Unit"), choices=[("minutes", _l("minutes")), ("hours", _l("hours")), ("days", _l("days"))], default="hours"
    )
    active = BooleanField(_l("Active"), default=True)

    UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}

    @property
    def delay_minutes(self) -> int:
        return (self.delay_amount.data or 0) * self.UNITS[self.delay_unit.data]

    def show_delay(self, minutes: int) -> None:
        for unit in ("days", "hours", "minutes"):
            if minutes % self.UNITS[unit] == 0:
                self.delay_amount.data, self.delay_unit.data = minutes // self.UNITS[unit], unit
                return
