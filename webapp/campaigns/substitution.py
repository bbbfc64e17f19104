"""A campaign's subject and bodies made once, then filled in per recipient without a template
render or an HTML clean per message (webapp/campaigns/compose.py uses it when it can).

Most campaigns personalize with simple placeholders only: `{{ contact.first_name }}`,
`{{ contact.first_name | default("there") }}`, `{{ unsubscribe_url }}`. Such a template is read
into its pieces (fixed text and placeholders); anything else (a condition, a loop, another filter)
is not simple, and every message is rendered in full as before.

The HTML body is rendered once with a marker in place of each recipient's value, and cleaned
once (webapp/mail/sandbox.py). A recipient's message is that cleaned body with each marker
replaced by the value, escaped as the cleaner writes text. That is only the same as rendering
and cleaning the message itself when every placeholder sits where text is written as plain text
(not in an attribute, not in a style block): before using the prepared body, it is checked
against full renders of sample recipients, including one with every character HTML escapes and
one without any value; it is used only when all come out byte for byte the same. A recipient
whose value holds a character the samples did not cover (a control character, a non-breaking
space) or only white space is rendered in full.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from jinja2 import nodes

from webapp.mail import sandbox

_MISSING = object()
# How the cleaner writes text: these characters escaped, every other printable one as it is.
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_SAMPLE_VALUES = ("", "Ana", "Ana & Bo <Co> \"Da\" 'Ed' Ünal Łódź 李")
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9:/._~%=?+-]+")


@dataclass(frozen=True)
class Placeholder:
    """`{{ group.key }}` (or `{{ key }}` with no group), with the `default(...)` text if any."""

    group: str | None
    key: str
    default: str | None = None

    def value(self, values: dict) -> object:
        """What the template would print: the value, the default for a missing one, "" without
        a default; _MISSING when the template would fail (a group that is not there)."""
        if self.group is None:
            found = values.get(self.key, _MISSING)
        else:
            group = values.get(self.group, _MISSING)
            if not isinstance(group, dict):
                return _MISSING
            found = group.get(self.key, _MISSING)
        if found is _MISSING:
            return self.default if self.default is not None else ""
        return found

    @property
    def per_recipient(self) -> bool:
        return self.group == "contact" or (self.group is None and self.key == "unsubscribe_url")


Pieces = list  # [str | Placeholder, ...]


def pieces(field: str, source: str) -> Pieces | None:
    """The template as fixed text and placeholders; None when it uses more than placeholders."""
    try:
        tree = sandbox.parse_lenient(field, source)
    except Exception:
        return None
    out: Pieces = []
    for node in tree.body:
        if not isinstance(node, nodes.Output):
            return None
        for part in node.nodes:
            if isinstance(part, nodes.TemplateData):
                out.append(part.data)
                continue
            placeholder = _placeholder(part)
            if placeholder is None:
                return None
            out.append(placeholder)
    return out


def _placeholder(node: nodes.Node) -> Placeholder | None:
    default = None
    if isinstance(node, nodes.Filter):
        simple_call = not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None and len(node.args) == 1
        if node.name != "default" or not simple_call:
            return None
        argument = node.args[0]
        if not (isinstance(argument, nodes.Const) and isinstance(argument.value, str)):
            return None
        default, node = argument.value, node.node
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return Placeholder(None, node.name, default)
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        key = node.attr
    elif (
        isinstance(node, nodes.Getitem)
        and isinstance(node.node, nodes.Name)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        key = node.arg.value
    else:
        return None
    if hasattr(dict, key):  # `contact.items` is the dict's method to the sandbox, not a key
        return None
    return Placeholder(node.node.name, key, default)


def fill(template: Pieces, values: dict) -> str | None:
    """A text template filled in (no escaping), or None when it would fail."""
    out = []
    for piece in template:
        if isinstance(piece, str):
            out.append(piece)
            continue
        value = piece.value(values)
        if value is _MISSING:
            return None
        out.append(str(value))
    return "".join(out)


@dataclass
class CleanBody:
    """The HTML body rendered and cleaned once: fixed text between the recipient's values, each
    written as the cleaner writes text."""

    texts: list[str]  # len(slots) + 1 pieces of cleaned HTML
    slots: list[Placeholder]  # the per-recipient placeholder at each gap

    @classmethod
    def prepare(
        cls, source: str, values: dict, clean: Callable[[str], str], render: Callable[[dict], str]
    ) -> CleanBody | None:
        """From the HTML template `source`; `values` holds the campaign's fixed values (the
        organization's), `render(values)` is the full render and clean of one message, the
        reference every sample must match. None when the template is not simple or a sample
        differs."""
        template = pieces("html_body", source)
        if template is None:
            return None
        marker = f"rcv{secrets.token_hex(6)}q"
        if marker in source:
            return None
        html, slots = [], []
        for piece in template:
            if isinstance(piece, str):
                html.append(piece)
            elif piece.per_recipient:
                html.append(f"{marker}{len(slots)}z")
                slots.append(piece)
            else:
                value = piece.value(values)
                if value is _MISSING:
                    return None
                html.append(sandbox.escape(value))
        parts = re.split(re.escape(marker) + r"(\d+)z", clean("".join(html)))
        order = [int(n) for n in parts[1::2]]
        if order != list(range(len(slots))):
            return None  # a value the cleaner dropped or moved
        body = cls(texts=parts[0::2], slots=slots)
        for sample in _SAMPLE_VALUES:
            person = {"first_name": sample, "name": sample, "email": sample, "company": sample}
            trial = {
                **values,
                "contact": {key: value for key, value in person.items() if value},
                "unsubscribe_url": values.get("unsubscribe_url", ""),
            }
            if body.fill(trial) != render(trial):
                return None
        return body

    def fill(self, values: dict) -> str | None:
        """The cleaned body for these values; None when one of them is not plain enough to be
        written without the cleaner (the message is rendered in full)."""
        out = [self.texts[0]]
        for slot, text in zip(self.slots, self.texts[1:], strict=True):
            value = slot.value(values)
            if value is _MISSING:
                return None
            value = str(value)
            if slot.group is None:  # the unsubscribe link: our own URL
                if value and not _URL_CHARACTERS.fullmatch(value):
                    return None
            elif value and (not value.isprintable() or value.isspace()):
                return None
            out.append(value.translate(_TEXT_ESCAPES))
            out.append(text)
        return "".join(out)
