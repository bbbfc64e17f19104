"""Every model of the app, in table-creation order (what migrations and schema checks walk)."""

from __future__ import annotations

import importlib

import peewee

from webapp.db import BaseModel

MODEL_MODULES = (
    "webapp.work.models",
    "webapp.accounts.models",
    "webapp.accounts.audit",
    "webapp.events.models",
    "webapp.catalog.models",
    "webapp.documents.models",
    "webapp.contacts.models",
    "webapp.contacts.ingest_models",
    "webapp.contacts.newsletter_models",
    "webapp.orders.models",
    "webapp.projects.models",
    "webapp.payments.models",
    "webapp.tickets.models",
    "webapp.mail.models",
    "webapp.checkin.models",
    "webapp.segments.models",
    "webapp.workflows.models",
    "webapp.campaigns.models",
    "webapp.campaigns.templates_model",
    "webapp.campaigns.bounce_models",
    "webapp.audiences.models",
    "webapp.widgets.models",
    "webapp.api.models",
)


def all_models() -> list[type[BaseModel]]:
    models = []
    for name in MODEL_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # the domain has no tables (yet)
                continue
            raise
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == name
                and value not in models
            ):
                models.append(value)
    return peewee.sort_models(models)
