"""The tag rule form (console → Contacts → Tag rules)."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from webapp.contacts.ingest_models import EVENT_TYPES


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TagRuleForm(FlaskForm):
    event_type = SelectField("When an event of type", choices=[(t, t) for t in EVENT_TYPES])
    property_name = StringField("with property (optional)", filters=[_strip], validators=[Optional(), Length(max=100)])
    property_value = StringField(
        "equal to",
        filters=[_strip],
        validators=[Optional(), Length(max=200)],
        description="Compared as text: true/false, numbers as written.",
    )
    action = SelectField("then", choices=[("add", "add label"), ("remove", "remove label")])
    label = StringField("Label", filters=[_strip], validators=[DataRequired(), Length(max=80)])
