"""Registration questions as form fields, and answers as text.

Answers are stored as JSON keyed by the question id (a string): text kinds as a string, choice as
the option as the operator wrote it in the main language, multichoice as a list of those,
checkbox as true/false, number as a number, date as "YYYY-MM-DD", phone as typed (cleaned),
country as an ISO 3166 alpha-2 code. Labels and options are shown in the visitor's language.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date
from flask_babel import get_translations, ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from webapp.catalog.models import Question
from webapp.events.text import localized
from webapp.i18n import _, _l


def _wtforms_messages():  # never called: marks WTForms' own messages for extraction
    """WTForms has no Indonesian catalog: the messages a registration form can show are
    translated in ours and looked up through QuestionsMeta."""
    _("This field is required.")
    _("Not a valid date value.")
    _("Not a valid decimal value.")
    _("Not a valid choice.")
    _("Number must be between %(min)s and %(max)s.")
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1)
    ngettext(
        "'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field.", 1
    )


NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,24}$")


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def field_name(question: Question, prefix: str = "") -> str:
    return f"{prefix}q{question.id}"


@functools.lru_cache(maxsize=8)
def countries(locale: str = "en") -> tuple[tuple[str, str], ...]:
    """(ISO code, name in `locale`) sorted by name."""
    try:
        territories = Locale.parse(locale).territories
    except (ValueError, TypeError):
        territories = Locale("en").territories
    pairs = [(code, name) for code, name in territories.items() if len(code) == 2 and code.isalpha()]
    return tuple(sorted((p for p in pairs if p[0] not in NOT_COUNTRIES), key=lambda p: p[1].casefold()))


def _check_phone(form, field):
    if field.data and not (PHONE_RE.match(field.data) and 6 <= sum(c.isdigit() for c in field.data) <= 15):
        raise ValidationError(_("Enter a phone number such as +62 812 3456 7890."))


def _requirement(question: Question):
    if not question.required:
        return Optional()
    if question.kind in ("checkbox", "multichoice"):
        return DataRequired(message=_l("This field is required."))
    return InputRequired(message=_l("This field is required."))


def make_field(question: Question, locale: str | None = None):
    """The unbound WTForms field asking `question` in `locale`."""
    label = localized(question, "label", locale)
    description = localized(question, "help_text", locale)
    validators = [_requirement(question)]
    kind = question.kind
    kw = {"label": label, "description": description, "validators": validators}
    if kind == "text":
        validators.append(Length(max=300))
        return StringField(**kw)
    if kind == "textarea":
        validators.append(Length(max=5000))
        return TextAreaField(**kw)
    if kind in ("choice", "multichoice"):
        labels = localized(question, "options", locale)
        choices = list(zip(question.options, labels, strict=False))
        if kind == "multichoice":
            return CheckboxListField(choices=choices, **kw)
        return SelectField(choices=[("", _("Choose…"))] + choices, **kw)
    if kind == "checkbox":
        return BooleanField(**kw)
    if kind == "number":
        validators.append(NumberRange(min=-1_000_000_000, max=1_000_000_000))
        return DecimalField(places=None, **kw)
    if kind == "date":
        return DateField(**kw)
    if kind == "phone":
        validators.append(_check_phone)
        return TelField(render_kw={"autocomplete": "tel"}, **kw)
    if kind == "country":
        choices = [("", _("Choose…"))] + list(countries(str(locale or "en")))
        return SelectField(choices=choices, render_kw={"autocomplete": "country"}, **kw)
    raise ValueError(f"unknown question kind {kind!r}")


def build_fields(questions: list[Question], *, locale: str | None = None, prefix: str = "") -> dict[str, Any]:
    """{field name: unbound field} for these questions, in their order."""
    return {field_name(q, prefix): make_field(q, locale) for q in questions}


class _BabelTranslations:
    """WTForms' messages through the app's catalog, in the request's language (unformatted:
    WTForms fills in the values itself)."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


class QuestionsMeta:
    def get_translations(self, form):
        return _BabelTranslations()


def form_class(questions: list[Question], *, locale: str | None = None, base=FlaskForm, prefix: str = ""):
    """A form class with one field per question (use base=wtforms.Form for a per-attendee
    sub-form inside FormField/FieldList). Its messages follow the request's language."""
    namespace = {"Meta": QuestionsMeta, **build_fields(questions, locale=locale, prefix=prefix)}
    return type("QuestionsForm", (base,), namespace)


def clean_answer(question: Question, value: Any) -> Any:
    """A field's data as it is stored (JSON-friendly), None for no answer."""
    if value is None or value == "" or value == []:
        return False if question.kind == "checkbox" else None
    if question.kind == "checkbox":
        return bool(value)
    if question.kind == "number":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if question.kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if question.kind == "multichoice":
        return [v for v in question.options if v in value]
    if isinstance(value, str):
        return " ".join(value.split()) if question.kind != "textarea" else value.strip()
    return value


def answers_from_form(form, questions: list[Question], *, prefix: str = "") -> dict[str, Any]:
    """{str(question id): answer} from a validated form (unanswered optional questions left out)."""
    answers = {}
    for question in questions:
        value = clean_answer(question, form[field_name(question, prefix)].data)
        if value is not None:
            answers[str(question.id)] = value
    return answers


def form_data(questions: list[Question], answers: dict, *, prefix: str = "") -> dict[str, Any]:
    """Stored answers as initial form data (to edit them): pass as `data=` to the form."""
    data = {}
    for question in questions:
        value = (answers or {}).get(str(question.id))
        if value is None:
            continue
        if question.kind == "date":
            try:
                value = dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                continue
        elif question.kind == "number":
            value = Decimal(str(value))
        data[field_name(question, prefix)] = value
    return data


def format_answer(question: Question, value: Any, locale: str | None = None) -> str:
    """An answer as a person reads it, in `locale` (option labels, country names, dates)."""
    locale = str(locale or "en")
    if value is None or value == "" or value == []:
        return ""
    kind = question.kind
    if kind == "checkbox":
        return _("Yes") if value else _("No")
    if kind in ("choice", "multichoice"):
        labels = dict(zip(question.options, localized(question, "options", locale), strict=False))
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, v) for v in values)
    if kind == "country":
        return dict(countries(locale)).get(value, value)
    if kind == "date":
        try:
            return format_date(dt.date.fromisoformat(value), "medium", locale=locale)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def contact_data(questions: list[Question], answers: dict) -> dict[str, Any]:
    """What the answers say about the person, for the contact book:
    {"phone": ..., "company": ..., "custom": {key: text}} (only the keys that were answered)."""
    data: dict[str, Any] = {}
    for question in questions:
        mapped = question.contact_field
        value = (answers or {}).get(str(question.id))
        if not mapped or value is None or value == "" or value == []:
            continue
        text = value if isinstance(value, str) else format_answer(question, value, "en")
        if mapped.startswith("custom:"):
            data.setdefault("custom", {})[mapped.split(":", 1)[1]] = text
        else:
            data[mapped] = text
    return data
