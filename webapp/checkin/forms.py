"""Forms of the door and of the check-in console."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, DateTimeLocalField, EmailField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.catalog.questions import QuestionsMeta  # WTForms' messages through our catalog
from webapp.i18n import _l


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WalkInForm(FlaskForm):
    """Door staff's form, in the door page's language (WTForms' own messages too)."""

    Meta = QuestionsMeta

    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[DataRequired(), Email(message=_l("Invalid email address.")), Length(max=254)],
    )
    product = SelectField(_l("Ticket type"), coerce=int, validators=[DataRequired()])
    paid = BooleanField(_l("Paid at the door"), description=_l("Needed for a ticket with a price (supervisors only)."))
    send_ticket = BooleanField(_l("Email the ticket"), default=True)


class CheckinListForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    all_products = BooleanField(_l("All ticket types"), default=True)
    product_ids = MultiCheckboxField(_l("Only these ticket types"), coerce=int)
    group_ids = MultiCheckboxField(
        _l("Only these participant groups"), coerce=int, description=_l("None ticked: every group.")
    )
    starts_at = DateTimeLocalField(
        _l("Opens"), format="%Y-%m-%dT%H:%M", validators=[Optional()], description=_l("In the event's time zone.")
    )
    ends_at = DateTimeLocalField(_l("Closes"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    multi_entry = BooleanField(_l("Multiple entries"), description=_l("A ticket may enter any number of times."))
    allow_exit = BooleanField(
        _l("Exit scans"), description=_l("Scan people out; a single-entry ticket may come back in.")
    )


class DoorQuestionsForm(FlaskForm):
    question_ids = MultiCheckboxField(_l("Answers shown at the door"), coerce=int)


class BadgeSettingsForm(FlaskForm):
    size = SelectField(_l("Size"), choices=[("90x55", _l("90 × 55 mm (name badge)")), ("a6", _l("A6 (105 × 148 mm)"))])
    fields = MultiCheckboxField(_l("Shown on the badge"), coerce=str)
    show_logo = BooleanField(_l("Logo"))
    show_qr = BooleanField(_l("Ticket QR code"))
    accent_color = StringField(
        _l("Accent colour"),
        filters=[_strip],
        validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("A colour such as #1d4ed8."))],
    )
    logo = FileField(
        _l("Badge logo"),
        validators=[FileAllowed(["png", "jpg", "jpeg"], "A PNG or JPEG image.")],
        description=_l("PNG or JPEG; without one the organization's logo is used."),
    )


class BulkBadgesForm(FlaskForm):
    product_ids = MultiCheckboxField(_l("Ticket types"), coerce=int, description=_l("None ticked: every ticket type."))
    attended_only = BooleanField(_l("Only people who checked in"))


class ReviewResolveForm(FlaskForm):
    Meta = QuestionsMeta

    note = StringField(_l("What was found or done"), validators=[DataRequired(), Length(max=300)], filters=[_strip])


class SignedTicketsForm(FlaskForm):
    signed_tickets = BooleanField(_l("Sign new tickets so door devices can check them offline"))
