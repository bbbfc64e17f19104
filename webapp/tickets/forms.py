"""Console forms: an event's ticket layout, the organization's wallet pass keys."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from webapp.i18n import _l
from webapp.tickets.models import PAGE_SIZES


class TicketSettingsForm(FlaskForm):
    page_size = SelectField(
        _l("Page size"),
        choices=[
            (s, {"A6": "A6 — one ticket per small page (phones, folded prints)", "A4": "A4 — one ticket per sheet"}[s])
            for s in PAGE_SIZES
        ],
    )
    show_price = BooleanField(_l("Print the price on the ticket"))
    note = TextAreaField(
        _l("Note printed on every ticket"),
        validators=[Length(max=300)],
        description=_l("For example: “Bring an ID card. Doors open at 08:30.”"),
    )


class AppleWalletForm(FlaskForm):
    pass_type_id = StringField(
        _l("Pass type identifier"),
        validators=[InputRequired(), Length(max=255)],
        description=_l("As registered with Apple, e.g. pass.com.example.tickets"),
    )
    team_id = StringField(_l("Team identifier"), validators=[InputRequired(), Length(max=32)])
    certificate = FileField(_l("Pass certificate with its private key (.p12 or PEM)"))
    password = PasswordField(_l("Password of the .p12 file or the key"), validators=[Length(max=200)])
    wwdr = FileField(_l("Apple WWDR intermediate certificate (.cer or PEM)"))


class GoogleWalletForm(FlaskForm):
    issuer_id = StringField(_l("Issuer ID"), validators=[InputRequired(), Length(max=32)])
    key_file = FileField(_l("Service account key (JSON)"))
