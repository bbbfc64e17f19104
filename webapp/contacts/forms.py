"""Forms of the Contact Book console."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from webapp.contacts.models import CONTACT_STATUSES, FUNNEL_STAGES
from webapp.contacts.rules import CUSTOM_KEY_LIMIT, stage_label
from webapp.guards import MAX_ROW_ID
from webapp.i18n import _l

STAGE_CHOICES = [(s, stage_label(s)) for s in FUNNEL_STAGES]
STATUS_CHOICES = [(s, s.capitalize()) for s in CONTACT_STATUSES]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def parse_custom(text: str) -> dict[str, str]:
    """ "key: value" lines -> {key: value}; ValueError names the first bad line."""
    out: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key = " ".join(key.split())
        if not sep or not key:
            raise ValueError(f"Line {number}: write it as “field: value”.")
        if len(key) > CUSTOM_KEY_LIMIT:
            raise ValueError(f"Line {number}: a field name has at most {CUSTOM_KEY_LIMIT} characters.")
        out[key] = value.strip()
    return out


def format_custom(custom: dict) -> str:
    return "\n".join(f"{k}: {v}" for k, v in sorted((custom or {}).items()))


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[Length(max=200)])
    phone = StringField(_l("Phone"), filters=[_strip], validators=[Length(max=40)])
    company = StringField(_l("Company"), filters=[_strip], validators=[Length(max=200)])
    custom = TextAreaField(
        _l("Custom fields"), description=_l("One per line, as “field: value”. An empty value removes the field.")
    )

    def validate_custom(self, field):
        try:
            self.custom_values = parse_custom(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class AddLabelForm(FlaskForm):
    name = StringField(_l("Label"), filters=[_strip], validators=[DataRequired(), Length(max=80)])


class StageForm(FlaskForm):
    stage = SelectField(_l("Funnel stage"), choices=STAGE_CHOICES)


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)


class LabelForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=80)])
    color = StringField(
        _l("Colour"),
        default="#64748b",
        validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Use #rrggbb."))],
    )
    stage = SelectField(
        _l("Sets funnel stage"),
        choices=[("", _l("No stage rule"))] + STAGE_CHOICES,
        default="",
        description=_l("When this label is added to a contact, the contact moves to this stage."),
    )


class EventLabelForm(FlaskForm):
    name = StringField(_l("Label"), filters=[_strip], validators=[DataRequired(), Length(max=80)])


class AutoLabelForm(FlaskForm):
    """One moment of the funnel's default rules: the label it adds, and whether it does."""

    # 0: none; the choices are the organization's labels, checked by funnel.update
    label = SelectField(_l("Label"), coerce=int, validate_choice=False, validators=[NumberRange(min=0, max=MAX_ROW_ID)])
    active = BooleanField(_l("On"))


class InactivityForm(FlaskForm):
    inactivity_days = IntegerField(
        _l("Move to “Lost” after this many days without activity"),
        validators=[Optional(), NumberRange(min=1, max=3650)],
        description=_l("Leave empty to turn the rule off. Checked once a day."),
    )


class ImportUploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired("Choose a CSV file.")])


class ImportMappingForm(FlaskForm):
    labels = StringField(
        _l("Add these labels to every imported contact"),
        default="",  # a submission without the field adds no labels
        filters=[_strip],
        validators=[Length(max=400)],
        description=_l("Optional; separate several with commas."),
    )
