"""Mapping a CSV file's columns to a participant (name, email, question answers) and checking
each row with the same rules as the registration form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict
from wtforms import Form

from webapp.catalog import questions as question_forms
from webapp.catalog.models import Question
from webapp.catalog.questions import answers_from_form, field_name
from webapp.contacts.service import normalize_email
from webapp.email_address import is_valid_email
from webapp.events.models import Event
from webapp.i18n import _, joined

# Control characters (NUL above all, which PostgreSQL cannot store) come from damaged files.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NAME_HINTS = ("name", "full name", "fullname", "nama", "nama lengkap", "participant", "attendee")
EMAIL_HINTS = ("email", "e-mail", "email address", "mail", "surel")


class MappingError(ValueError):
    """The column mapping is incomplete; `errors` maps form field names to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class Target:
    key: str  # "name", "email" or "q:<question id>"
    label: str
    required: bool
    question: Question | None = None


# -- mapping ----------------------------------------------------------------------------------------


def targets(event: Event) -> list[Target]:
    """What a column can be imported into: name, email and each registration question."""
    questions = Question.select().where(Question.event == event.id).order_by(Question.position, Question.id)
    out = [Target("name", "Name", True), Target("email", "Email", True)]
    out += [Target(f"q:{q.id}", q.label, q.required, q) for q in questions]
    return out


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def guess_mapping(headers: list[str], event_targets: list[Target]) -> dict[str, int]:
    """{target key: column index} for the columns whose header names a target."""
    normalized = [_norm(h) for h in headers]
    mapping: dict[str, int] = {}
    hints = {"name": NAME_HINTS, "email": EMAIL_HINTS}
    for target in event_targets:
        wanted = {_norm(h) for h in hints.get(target.key, (target.label,))}
        for i, header in enumerate(normalized):
            if header in wanted and i not in mapping.values():
                mapping[target.key] = i
                break
    if "name" not in mapping:  # "First name" + "Last name" is common; take the first as a start
        for i, header in enumerate(normalized):
            if "name" in header and i not in mapping.values():
                mapping["name"] = i
                break
    return mapping


def read_mapping(form, headers: list[str], event_targets: list[Target]) -> dict[str, int]:
    """The mapping chosen in the form (fields `map-<key>` holding a column index, or empty)."""
    mapping, errors = {}, {}
    for target in event_targets:
        raw = (form.get(f"map-{target.key}") or "").strip()
        if raw.isdigit() and int(raw) < len(headers):
            mapping[target.key] = int(raw)
        elif target.key in ("name", "email"):
            errors[f"map-{target.key}"] = (
                _("Choose the column that holds the name.")
                if target.key == "name"
                else _("Choose the column that holds the email.")
            )
    if errors:
        raise MappingError(errors)
    return mapping


# -- validating rows --------------------------------------------------------------------------------


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


TRUTHY = {"1", "y", "yes", "true", "x", "ya", "✓", "on"}


class RowChecker:
    """Validates data rows against the event's questions (the same form rules as registration),
    building the question form class once for the whole file."""

    def __init__(self, event_targets: list[Target], mapping: dict[str, int]):

        self.targets = event_targets
        self.mapping = mapping
        self.questions = [t.question for t in event_targets if t.question is not None and t.key in mapping]
        self.form_cls = question_forms.form_class(self.questions, base=Form) if self.questions else None
        self.labels = {question_forms.field_name(q): q.label for q in self.questions}

    def _formdata(self, cells: list[str]):

        data = MultiDict()
        for question in self.questions:
            raw = _cell(cells, self.mapping[f"q:{question.id}"])
            name = field_name(question)
            if question.kind == "checkbox":
                if raw.lower() in TRUTHY:
                    data.add(name, "y")
            elif question.kind == "multichoice":
                for part in re.split(r"[;,|]", raw):
                    if part.strip():
                        data.add(name, part.strip())
            elif raw:
                data.add(name, raw)
        return data

    def check(self, cells: list[str]) -> tuple[dict, list[str]]:
        """({name, email, answers}, errors) for one data row."""

        errors = []
        name = " ".join(_cell(cells, self.mapping.get("name")).split())
        email = _cell(cells, self.mapping.get("email"))
        if not name:
            errors.append(_("the name is empty"))
        elif len(name) > 200:
            errors.append(_("the name is longer than 200 characters"))
        elif CONTROL.search(name):
            errors.append(_("the name contains an invisible control character"))
        if not email:
            errors.append(_("the email is empty"))
        elif not is_valid_email(email):
            errors.append(_("“%(email)s” is not an email address", email=CONTROL.sub("", email)[:80]))
        else:
            email = normalize_email(email)
        answers = {}
        if self.form_cls is not None:
            form = self.form_cls(formdata=self._formdata(cells))
            if form.validate():
                answers = answers_from_form(form, self.questions)
            else:
                for field_name, field in form._fields.items():
                    if field.errors:
                        label, problems = self.labels.get(field_name, field_name), joined(field.errors)
                        errors.append(_("%(question)s: %(problems)s", question=label, problems=problems))
        return {"name": name, "email": email, "answers": answers}, errors
