"""Operator-written email templates: rendered in a Jinja sandbox that sees only the documented
placeholders (plain strings in plain dicts), and checked before they are saved.

A template may use `{{ attendee.name }}`, filters (`{{ event.name|upper }}`), `{% if %}` and
`{% for %}`; it may not reach attributes of anything (`{{ ''.__class__ }}`), call functions, or
use a placeholder that is not documented."""

from __future__ import annotations

import functools

import markupsafe
import nh3
from jinja2 import StrictUndefined, Template, TemplateError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from webapp.i18n import _

# The placeholders every email template sees: {group: {name: description}} or {name: description}.
PLACEHOLDERS: dict[str, dict[str, str] | str] = {
    "attendee": {
        "name": "Full name of the registrant",
        "first_name": "First name (the first word of the name)",
        "email": "Email address",
        "ticket_type": "Name of the ticket type",
    },
    "event": {
        "name": "Event name",
        "date": "Start date, e.g. Tuesday, 1 December 2026",
        "time": "Start and end time, e.g. 09:00–17:00",
        "when": "Date and time with the time zone",
        "timezone": "The event's time zone",
        "venue": "Venue name",
        "address": "Venue address",
        "online_url": "Link for online events",
        "url": "The event's page",
    },
    "order": {
        "code": "Order code, e.g. K7QW9P",
        "total": "Amount paid, formatted",
        "free": "“yes” for a free order, empty otherwise (for {% if order.free %})",
        "buyer_name": "Name of the person who ordered",
        "url": "The order page (tickets, payment, cancellation)",
    },
    "organization": {"name": "Organizer name", "email": "Organizer reply-to address"},
    "checkin": {"time": "Time of the check-in (check-in emails)", "gate": "Gate or device name"},
    "ticket_url": "Download link of the attendee's ticket PDF",
    "wallet": {
        "apple_url": "Add-to-Apple-Wallet link of the ticket (empty when the organization has no pass certificate)",
        "google_url": "Add-to-Google-Wallet link of the ticket (empty when the organization has no Google key)",
    },
    "unsubscribe_url": "Unsubscribe link (automations only; added at the bottom when the template leaves it out)",
}

TEMPLATE_FIELDS = ("subject", "html_body", "text_body")

_HTML_ATTRIBUTES = {"style", "class", "align", "valign", "width", "height", "bgcolor", "border", "cellpadding",
                    "cellspacing", "colspan", "rowspan", "title", "lang", "dir"}  # fmt: skip


class _Sandbox(ImmutableSandboxedEnvironment):
    """Attributes are off limits: `attendee.name` works because it falls back to the dict key.
    Multiplying and powers are limited so a template cannot build a gigantic string."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator, left, right):
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
        if operator == "**" or not numbers or max(abs(left), abs(right)) > 1_000_000:
            raise SecurityError("this arithmetic is not allowed in email templates")
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj, attr, value) -> bool:
        return False

    def is_safe_callable(self, obj) -> bool:
        return False


def _environment(autoescape: bool, undefined=StrictUndefined) -> _Sandbox:
    env = _Sandbox(autoescape=autoescape, undefined=undefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.clear()  # no range(), dict(), lipsum(), cycler()...
    return env


_html = _environment(autoescape=True)
_text = _environment(autoescape=False)
# Campaigns: a value a contact lacks (no first name) is left out, so that
# {{ contact.first_name | default("there") }} says "there" instead of failing the message.
_lenient_html = _environment(autoescape=True, undefined=Undefined)
_lenient_text = _environment(autoescape=False, undefined=Undefined)


@functools.lru_cache(maxsize=256)
def lenient_template(field: str, source: str) -> Template:
    """A campaign's template, compiled once for all its messages (checked with `check` first)."""
    return (_lenient_html if field == "html_body" else _lenient_text).from_string(source)


def parse_lenient(field: str, source: str) -> nodes.Template:
    """The syntax tree of a campaign's template, as `lenient_template` compiles it."""
    return (_lenient_html if field == "html_body" else _lenient_text).parse(source)


def escape(value: object) -> str:
    """A value as an HTML template prints it."""
    return str(markupsafe.escape(value))


def _env(field: str) -> _Sandbox:
    return _html if field == "html_body" else _text


def check(field: str, source: str, sample: dict, placeholders: dict | None = None) -> str | None:
    """Why this template cannot be saved, or None. Checks every branch (not only the ones the
    sample data takes), then renders it with sample data. `placeholders`: those it may use
    (default: PLACEHOLDERS, an event's emails)."""
    env = _env(field)
    try:
        tree = env.parse(source)
    except TemplateError as exc:
        return _message(exc)
    problem = _check_tree(tree, PLACEHOLDERS if placeholders is None else placeholders)
    if problem:
        return problem
    try:
        env.from_string(source).render(sample)
    except TemplateError as exc:
        return _message(exc)
    except Exception as exc:  # e.g. a division by zero in an expression
        return _("The template cannot be rendered: %(error)s", error=exc)
    return None


def _message(exc: TemplateError) -> str:
    line = getattr(exc, "lineno", None)
    text = getattr(exc, "message", None) or str(exc)
    if "unsafe" in text or "access to attribute" in text:
        text = _("only the listed placeholders can be used")
    return _("Line %(line)s: %(message)s", line=line, message=text) if line else text


def _check_tree(tree: nodes.Template, placeholders: dict) -> str | None:
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")} | {"loop"}
    for node in tree.find_all((nodes.Call, nodes.Getattr, nodes.Getitem, nodes.Name)):
        if isinstance(node, nodes.Call):
            return _("Line %(line)s: function calls are not allowed", line=node.lineno)
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in placeholders and node.name not in local:
                return _("Line %(line)s: unknown placeholder “%(name)s”", line=node.lineno, name=node.name)
            continue
        key = node.attr if isinstance(node, nodes.Getattr) else _const(node.arg)
        owner = node.node
        if key is None:
            return _("Line %(line)s: only the listed placeholders can be used", line=node.lineno)
        if not (isinstance(owner, nodes.Name) and isinstance(placeholders.get(owner.name), dict)):
            if isinstance(owner, nodes.Name) and owner.name in local:
                continue  # the loop variable of a {% for %}
            return _("Line %(line)s: only the listed placeholders can be used", line=node.lineno)
        if key not in placeholders[owner.name]:
            return _("Line %(line)s: unknown placeholder “%(name)s”", line=node.lineno, name=f"{owner.name}.{key}")
    return None


def _const(node) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


def render(parts: dict[str, str], context: dict) -> dict[str, str]:
    """{subject, html_body, text_body} rendered with the placeholders' values. The HTML keeps
    formatting tags and inline styles only (no scripts, forms or event handlers)."""
    subject = _text.from_string(parts["subject"]).render(context)
    html = _html.from_string(parts["html_body"]).render(context)
    return {
        "subject": " ".join(subject.split()),
        "html_body": clean_html(html),
        "text_body": _text.from_string(parts["text_body"]).render(context).strip() + "\n",
    }


def clean_html(html: str) -> str:
    return nh3.clean(
        html,
        generic_attribute_prefixes=None,
        # Links and images keep their address (http, https, mailto only; see url_schemes).
        attributes={"*": _HTML_ATTRIBUTES, "a": {"href"}, "img": {"src", "alt"}},
        url_schemes={"http", "https", "mailto"},
    )


def sample_values() -> dict:
    """Every placeholder with an example value (what the preview and the save check use)."""
    return {
        "attendee": {"name": "Ana Putri", "first_name": "Ana", "email": "ana@example.org", "ticket_type": "Regular"},
        "event": {
            "name": "Sample Event",
            "date": "Tuesday, 1 December 2026",
            "time": "09:00–17:00",
            "when": "Tuesday, 1 December 2026, 09:00–17:00 WIB",
            "timezone": "Asia/Jakarta (WIB)",
            "venue": "Main Hall",
            "address": "Jl. Sudirman 1, Jakarta",
            "online_url": "",
            "url": "https://example.org/e/sample",
        },
        "order": {
            "code": "K7QW9P",
            "total": "Rp150.000",
            "free": "",
            "buyer_name": "Ana Putri",
            "url": "https://example.org/o/x",
        },
        "organization": {"name": "Sample Organizer", "email": "hello@example.org"},
        "checkin": {"time": "1 Dec 2026, 08:55", "gate": "Main entrance"},
        "ticket_url": "https://example.org/o/x/tickets/1.pdf",
        "wallet": {
            "apple_url": "https://example.org/tickets/x/1.pkpass",
            "google_url": "https://example.org/tickets/x/1/google-wallet",
        },
        "unsubscribe_url": "https://example.org/u/sample",
    }
