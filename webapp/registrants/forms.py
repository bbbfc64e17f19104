"""Forms of the console pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from webapp.email_address import EmailAddress
from webapp.i18n import _l
from webapp.registrants.imports import DUPLICATE_POLICIES


class UploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired("Choose a CSV file to upload.")],
        description=_l("The first line names the columns. UTF-8 text, comma or semicolon separated, up to 10 MB."),
    )


class ImportOptionsForm(FlaskForm):
    product = SelectField(_l("Ticket type"), coerce=int, validators=[DataRequired(_l("Choose a ticket type."))])
    duplicates = RadioField(
        _l("People already registered (same email)"),
        choices=list(DUPLICATE_POLICIES.items()),
        default="skip",
    )
    paid = BooleanField(_l("They have paid (or the ticket is free)"), default=True)
    send_ticket = BooleanField(_l("Email each new participant their ticket"), default=False)


class PersonForm(FlaskForm):
    """Name and email of one participant; question fields are added per event."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the participant's name.")), Length(max=200)])
    email = StringField(
        _l("Email"), validators=[DataRequired(_l("Enter an email address.")), Length(max=254), EmailAddress()]
    )


class AddParticipantForm(PersonForm):
    product = SelectField(_l("Ticket type"), coerce=int, validators=[DataRequired(_l("Choose a ticket type."))])
    paid = BooleanField(_l("They have paid (or the ticket is free)"), default=True)
    send_ticket = BooleanField(_l("Email the ticket now"), default=True)


class MoveForm(FlaskForm):
    product = SelectField(_l("New ticket type"), coerce=int, validators=[DataRequired(_l("Choose a ticket type."))])
