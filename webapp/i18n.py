"""The translation helpers, for every module: `_` and `ngettext` give the message in the request's
language when there is a request to take it from (a service also runs in tasks and tests, where
the English text is used as is); `_l` is the lazy form for texts defined at import time (form
labels), translated when shown."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext as _ngettext

__all__ = ["_", "_l", "ngettext"]


def _(message: str, /, **params) -> str:
    # Positional-only: a message may take a parameter called "message" (the scanner's texts do).
    if has_request_context():
        return gettext(message, **params)
    return message % params if params else message


def ngettext(singular: str, plural: str, num: int, /, **params) -> str:
    """`_` with a singular and a plural; `%(num)d` is the number."""
    if has_request_context():
        return _ngettext(singular, plural, num, **params)
    return (singular if num == 1 else plural) % {"num": num, **params}
