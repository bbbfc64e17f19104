"""Answers to an event's registration questions, through the catalog's question forms: the
per-order questions are named `q<id>`, attendee i's `a<i>-q<id>`."""

from __future__ import annotations

from wtforms import Form

from webapp.catalog import questions as question_forms
from webapp.catalog.models import Question
from webapp.db import Prepared, Slot
from webapp.events.models import Event
from webapp.i18n import joined

QUESTIONS_OF_EVENT = Prepared(
    lambda: Question.select().where(Question.event == Slot("event")).order_by(Question.position, Question.id)
)


def questions_for(event: Event) -> tuple[list[Question], list[Question]]:
    """(asked once per order, asked per attendee), in display order."""
    rows = QUESTIONS_OF_EVENT.rows(event=event.id)
    return [q for q in rows if not q.per_attendee], [q for q in rows if q.per_attendee]


def bind(questions: list[Question], formdata=None, *, prefix: str = "", locale: str | None = None, data=None) -> Form:
    """The questions as a form bound to `formdata` (a submitted form) or to stored `data`."""
    cls = question_forms.form_class(questions, locale=locale, base=Form, prefix=prefix)
    return cls(formdata=formdata, data=data)


def read_answers(questions: list[Question], formdata, prefix: str, locale: str | None = None) -> tuple[dict, dict]:
    """(answers, errors) from a submitted form; errors keyed by form field name."""
    if not questions:
        return {}, {}
    form = bind(questions, formdata, prefix=prefix, locale=locale)
    if not form.validate():
        return {}, {name: joined(f.errors) for name, f in form._fields.items() if f.errors}
    return question_forms.answers_from_form(form, questions, prefix=prefix), {}


def edit_form(questions: list[Question], answers: dict, formdata=None, locale: str | None = None) -> Form:
    data = question_forms.form_data(questions, answers or {})
    return bind(questions, formdata, locale=locale, data=data)
