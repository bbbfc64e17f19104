"""The translation helpers, for every module: `_` and `ngettext` give the message in the request's
language when there is a request to take it from (a service also runs in tasks and tests, where
the English text is used as is); `_l` is the lazy form for texts defined at import time (form
labels), translated when shown.

Texts that are stored and read later by someone else (audit entries, timeline entries, job and
import errors) are written with `stored_text`: the English message and its parameters, kept as
`{"msgid": ..., "params": {...}}` next to the English text and shown in the reader's language
by `render_stored` (the `in_reader_language` template filter). Names, emails and other data stay
parameters and are never translated; a parameter that is itself a `stored_text` (a word such as
"on"/"off" or "up"/"down") is stored as its own message and translated too."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import has_request_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext as _ngettext

__all__ = [
    "StoredText",
    "_",
    "_l",
    "ngettext",
    "message_of",
    "render_stored",
    "stored_columns",
    "stored_from",
    "stored_label",
    "stored_word",
    "stored_text",
    "verbatim",
]


class _English(str):
    """The English text `_` gives outside a request (a task, a job), remembering its message, so
    a text that ends up stored is shown later in the reader's language (`stored_from`)."""

    stored: StoredText


def _(message: str, /, **params) -> str:
    # Positional-only: a message may take a parameter called "message" (the scanner's texts do).
    if has_request_context():
        return gettext(message, **params)
    english = _English(_fill(message, params))
    english.stored = stored_text(message, **params)
    return english


def stored_from(text: str) -> StoredText:
    """What to store for a text that reached a task as a string (an exception's message): its
    message when `_` gave it outside a request, else the text itself, shown as is."""
    return text.stored if isinstance(text, _English) else verbatim(text)


def message_of(exc: BaseException) -> str:
    """An exception's message, keeping what `_` gave (str(exc) makes a plain copy)."""
    first = exc.args[0] if len(exc.args) == 1 else None
    return first if isinstance(first, str) else str(exc)


def joined(messages) -> str:
    """Messages as one text, e.g. a form field's errors for a flash; lazy ones (a validator's
    `_l` message) are rendered in the reader's language."""
    return " ".join(str(message) for message in messages)


def ngettext(singular: str, plural: str, num: int, /, **params) -> str:
    """`_` with a singular and a plural; `%(num)d` is the number."""
    if has_request_context():
        return _ngettext(singular, plural, num, **params)
    return (singular if num == 1 else plural) % {"num": num, **params}


@dataclass(frozen=True)
class StoredText:
    """A message kept to be shown later: its English msgid and its parameters."""

    msgid: str
    params: dict = field(default_factory=dict)

    @property
    def english(self) -> str:
        return _fill(self.msgid, {k: v.english if isinstance(v, StoredText) else v for k, v in self.params.items()})

    def to_json(self) -> dict:
        params = {k: v.to_json() if isinstance(v, StoredText) else v for k, v in self.params.items()}
        return {"msgid": self.msgid, "params": params} if params else {"msgid": self.msgid}

    def __str__(self) -> str:
        return self.english


def stored_text(message: str, /, **params) -> StoredText:
    """A message to store (pybabel extracts it): `%(name)s` parameters, data kept as data."""
    return StoredText(message, {k: _storable(v) for k, v in params.items()})


_VERBATIM = "%(text)s"


def verbatim(text) -> StoredText:
    """Data stored as the whole text (a name, a code, an operator's own words): shown as is."""
    return StoredText(_VERBATIM, {"text": _storable(text)})


def stored_word(words: dict[str, StoredText], code: str) -> StoredText:
    """The word a table of stored words gives a code (an answer, a source, a slot), to store and
    show in the reader's language; a code the table does not know is kept as it is."""
    return words.get(code) or verbatim(code)


def stored_label(msgid: str) -> StoredText:
    """A word stored as a code and translated when shown (a stage, a status): its English msgid is
    marked where the word is defined (a labels table, a template), not here."""
    return StoredText(msgid)


def stored_columns(name: str, text: StoredText | None, max_length: int) -> dict:
    """The two columns a stored text fills: `name` (English, for the API, exports and search) and
    `<name>_i18n` (the message, for people). A plain string is refused, so an English-only text
    cannot be stored where people read it."""
    if text is None:
        return {name: "", f"{name}_i18n": None}
    if not isinstance(text, StoredText):
        raise TypeError(f"{name} must be a stored_text(...) or verbatim(...), not {type(text).__name__}")
    return {name: text.english[:max_length], f"{name}_i18n": text.to_json()}


def render_stored(value, fallback: str = "") -> str:
    """A stored message in the reader's language. `fallback` is the English text stored beside
    it: shown for rows written before messages were stored, for a value that cannot be read, and
    when the message no longer says what the English text says (the text changed without it)."""
    if isinstance(value, StoredText):
        value = value.to_json()
    if not isinstance(value, dict):
        return fallback
    try:
        english = _render(value, translate=False)
        if fallback and not english.startswith(fallback):
            return fallback
        return _render(value, translate=has_request_context())
    except (KeyError, ValueError, TypeError, AttributeError):
        return fallback


def _render(value: dict, *, translate: bool) -> str:
    msgid, params = value["msgid"], value.get("params") or {}
    if not isinstance(msgid, str) or not isinstance(params, dict):
        raise TypeError("not a stored message")
    shown = {k: _render(v, translate=translate) if isinstance(v, dict) else v for k, v in params.items()}
    if not translate or not msgid:  # gettext("") is the catalog's header
        return _fill(msgid, shown)
    try:
        return _fill(gettext(msgid), shown)
    except (KeyError, ValueError, TypeError):  # a translation that does not fit its parameters
        return _fill(msgid, shown)


def _fill(message: str, params: dict) -> str:
    return message % params if params else message


def _storable(value):
    if value is None or isinstance(value, (StoredText, str, bool, int, float)):
        return value
    return str(value)
