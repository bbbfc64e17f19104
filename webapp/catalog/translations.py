"""Every operator text of an event in one other language: the event's, its products' and its
questions'. Saved together, so a translator's page is all or nothing."""

from __future__ import annotations

from webapp.accounts.models import User
from webapp.catalog import service as catalog
from webapp.catalog.models import Product, Question
from webapp.db import db
from webapp.events import service
from webapp.events.models import Event


def translatable_rows(event: Event) -> tuple[list[Product], list[Question]]:
    products = list(Product.select().where(Product.event == event.id).order_by(Product.position, Product.id))
    return products, catalog.event_questions(event)


def save_translations(event: Event, locale: str, texts: dict, *, actor: User | None) -> None:
    """`texts`: {"event": {name, summary, description_md}, "products": {id: {name, description}},
    "questions": {id: {label, help_text, options}}}; blank texts fall back to the main language."""
    products, questions = translatable_rows(event)
    with db.atomic():
        service.update_translation(event, locale, texts.get("event", {}), actor=actor)
        for product in products:
            if product.id in texts.get("products", {}):
                catalog.update_product_translation(product, locale, texts["products"][product.id], actor=actor)
        for question in questions:
            if question.id in texts.get("questions", {}):
                catalog.update_question_translation(question, locale, texts["questions"][question.id], actor=actor)
