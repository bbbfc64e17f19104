"""The tag rule form (console → Contacts → Tag rules)."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from webapp.contacts.ingest_models import EVENT_TYPES
from webapp.i18n import _l


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TagRuleForm(FlaskForm):
    event_type = SelectField(_l("When an event of type"), choices=[(t, t) for t in EVENT_TYPES])
    property_name = StringField(
        _l("with property (optional)"), filters=[_strip], validators=[Optional(), Length(max=100)]
    )
    property_value = StringField(
        _l("equal to"),
        filters=[_strip],
        validators=[Optional(), Length(max=200)],
        description=_l("Compared as text: true/false, numbers as written."),
    )
    action = SelectField(_l("then"), choices=[("add", _l("add label")), ("remove", _l("remove label"))])
    label = StringField(_l("Label"), filters=[_strip], validators=[DataRequired(), Length(max=80)])
