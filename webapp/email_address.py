"""What counts as an email address: one rule for the forms, the importers and the API."""

from __future__ import annotations

import re

from wtforms.validators import ValidationError

MAX_LENGTH = 254
INVALID_MESSAGE = "Enter an email address such as ana@example.org."
_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_valid_email(value: object) -> bool:
    """One @, a dot inside the domain, no spaces or control characters, at most 254 characters.
    Deliberately loose beyond that: the only real test of an address is a message delivered to it."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH or not _SHAPE.fullmatch(value):
        return False
    domain = value.rpartition("@")[2]
    return not (_CONTROL.search(value) or domain.startswith(".") or domain.endswith(".") or ".." in domain)


class EmailAddress:
    """The WTForms validator for the same rule (the field's value is checked trimmed)."""

    def __init__(self, message: str | None = None):
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and not is_valid_email(field.data.strip()):
            raise ValidationError(self.message or INVALID_MESSAGE)
