"""One form with every operator text of an event in one other language."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from webapp.catalog.models import Product, Question
from webapp.events.models import Event
from webapp.i18n import _l


class TranslationForm(FlaskForm):
    def texts(self) -> dict:
        data = self.data
        return {
            "event": {k: data[f"event_{k}"] for k in ("name", "summary", "description_md")},
            "products": {
                pid: {"name": data[f"p{pid}_name"], "description": data[f"p{pid}_description"]}
                for pid in self._product_ids
            },
            "questions": {
                qid: {
                    "label": data[f"q{qid}_label"],
                    "help_text": data[f"q{qid}_help_text"],
                    "options": (data[f"q{qid}_options"] or "").splitlines(),
                }
                for qid in self._question_ids
            },
        }


def translation_form(
    event: Event, products: list[Product], questions: list[Question], locale: str, formdata=None
) -> TranslationForm:
    fields = {
        "event_name": StringField(_l("Name"), validators=[Length(max=200)], description=event.name),
        "event_summary": TextAreaField(_l("Summary"), validators=[Length(max=500)], description=event.summary),
        "event_description_md": TextAreaField(_l("Description (Markdown)")),
    }
    initial = {f"event_{k}": v for k, v in (event.translations or {}).get(locale, {}).items()}
    for p in products:
        fields[f"p{p.id}_name"] = StringField(_l("Name"), validators=[Length(max=200)], description=p.name)
        fields[f"p{p.id}_description"] = TextAreaField(_l("Description"), validators=[Length(max=2000)])
        initial.update({f"p{p.id}_{k}": v for k, v in (p.translations or {}).get(locale, {}).items()})
    for q in questions:
        fields[f"q{q.id}_label"] = StringField(_l("Question"), validators=[Length(max=300)], description=q.label)
        fields[f"q{q.id}_help_text"] = StringField(_l("Help text"), validators=[Length(max=500)])
        fields[f"q{q.id}_options"] = TextAreaField(
            _l("Options, one per line in the same order"), description=" / ".join(q.options)
        )
        for key, value in (q.translations or {}).get(locale, {}).items():
            initial[f"q{q.id}_{key}"] = "\n".join(value) if isinstance(value, list) else value
    form_cls = type("EventTranslationForm", (TranslationForm,), fields)
    form = form_cls(formdata=formdata, data=initial)
    form._product_ids = [p.id for p in products]
    form._question_ids = [q.id for q in questions]
    return form
