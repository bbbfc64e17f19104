"""The console form that sends a push to an audience."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from webapp.i18n import _l

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class PushForm(FlaskForm):
    audience = SelectField(_l("Send to"), validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=120)])
    body = TextAreaField(
        _l("Message"), validators=[Length(max=400)], description=_l("For example: “Doors open in 30 minutes.”")
    )
    url = StringField(
        _l("Link"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Opened when the notification is tapped: a page of this site (/e/…) or an https:// address."),
    )
    send_at = DateTimeLocalField(
        _l("Send at"),
        format=DATETIME_FORMATS,
        validators=[Optional()],
        description=_l("In your organization's time zone. Leave empty to send now."),
    )
