"""The SQL pieces segment conditions are built from, the same meaning on SQLite and PostgreSQL:
text matching (case-insensitive for ASCII letters), values inside JSON columns (contact custom
fields, answers, tracked event properties) and mail engagement. Values are always parameters.

The rules, which the Python evaluator (webapp.segments.evaluate) follows too:
- text: equals / contains / starts with compare with ASCII letters folded to lower case;
- a JSON value matches a text, date or boolean condition only when it is a JSON string (dates:
  ISO text compared character by character) or boolean, a number condition only when it is a JSON
  number; "is empty" is a missing key, null or "".
"""

from __future__ import annotations

import datetime as dt
import json

import peewee as pw

from webapp.contacts.models import Contact
from webapp.db import is_postgres
from webapp.mail.models import MailEngagement, Outbox

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(text: str) -> str:
    """Lower-case ASCII letters only: what SQLite's lower() does (PostgreSQL's is given the same
    input in tests; see the module docstring)."""
    return text.translate(_ASCII_LOWER)


def day_start(iso_date: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(iso_date), dt.time())


def never_null(expr: pw.Node) -> pw.Node:
    """The condition as true or false: NULL (a missing value) counts as false, so that NOT of it
    holds the contacts it did not hold."""
    return pw.fn.COALESCE(expr, False)


def _position(haystack, needle) -> pw.Node:
    return pw.fn.STRPOS(haystack, needle) if is_postgres() else pw.fn.INSTR(haystack, needle)


def contains(column, needle: str) -> pw.Node:
    return _position(pw.fn.LOWER(column), needle) > 0


def starts_with(column, prefix: str) -> pw.Node:
    return pw.fn.SUBSTR(pw.fn.LOWER(column), 1, len(prefix)) == prefix


def after_at(email) -> pw.Node:
    """The domain of an address: what follows its first "@"."""
    return pw.fn.SUBSTR(email, _position(email, "@") + 1)


def text_condition(column, op: str, value) -> pw.Node:
    if op == "is_empty":
        return never_null(column.is_null() | (column == ""))
    if op == "any_of":
        return never_null(pw.fn.LOWER(column).in_([fold(v) for v in value]))
    value = fold(value)
    if op == "contains":
        return never_null(contains(column, value))
    if op == "starts_with":
        return never_null(starts_with(column, value))
    return never_null(pw.fn.LOWER(column) == value)  # equals


# JSON columns -----------------------------------------------------------------------------------


def _path(key: str) -> str:
    return '$."' + key + '"'  # keys are checked names ([A-Za-z0-9_]); the path is a parameter too


_SQLITE_TYPES = {"string": ("text",), "number": ("integer", "real"), "boolean": ("true", "false"), "null": ("null",)}


def _json_type(column, key: str) -> pw.Node:
    """The type of the value at key as the database names it; NULL when the key is missing."""
    if is_postgres():
        return pw.fn.JSONB_TYPEOF(pw.Expression(column.cast("jsonb"), "->", key))
    return pw.fn.JSON_TYPE(column, _path(key))


def _is(column, key: str, kind: str) -> pw.Node:
    """The value at key is a JSON string / number / boolean / null (PostgreSQL's names)."""
    if is_postgres():
        return _json_type(column, key) == kind
    names = _SQLITE_TYPES[kind]
    kind_of = _json_type(column, key)
    return kind_of == names[0] if len(names) == 1 else kind_of.in_(names)


def _json_text(column, key: str) -> pw.Node:
    """The value at key as text (strings without their quotes)."""
    if is_postgres():
        return pw.Expression(column.cast("jsonb"), "->>", key)
    return pw.fn.JSON_EXTRACT(column, _path(key))


def _json_number(column, key: str) -> pw.Node:
    if is_postgres():
        return pw.Case(None, ((_is(column, key, "number"), _json_text(column, key).cast("numeric")),), None)
    return pw.Case(None, ((_is(column, key, "number"), _json_text(column, key)),), None)


def _bytewise(expr: pw.Node) -> pw.Node:
    """Compare text code point by code point (SQLite does; PostgreSQL follows its collation)."""
    return pw.NodeList((expr, pw.SQL('COLLATE "C"'))) if is_postgres() else expr


# PostgreSQL: the column is JSON text, and each `::jsonb` parses it again (the planner does not share
# them between the parts of a condition). jsonb_path_query_first takes the value at a key, of one
# type only (NULL otherwise), from one parse: one cast per condition instead of two or three.


def _pg_value(column, key: str, kind: str | None = None, *, items: bool = False) -> pw.Node:
    """The value at key (each item of a list too, with `items`) as jsonb, when it is of `kind`
    (string, number, boolean; any but null when None); NULL otherwise. `key` is a checked name."""
    path = f'$."{key}"' + ("[*]" if items else "")
    path += f' ? (@.type() == "{kind}")' if kind else ' ? (@.type() != "null")'
    return pw.fn.JSONB_PATH_QUERY_FIRST(column.cast("jsonb"), pw.Value(path).cast("jsonpath"))


def _pg_text(value: pw.Node) -> pw.Node:
    return pw.Expression(value, "#>>", pw.Value("{}").cast("text[]"))


def _pg_custom(column, key: str, field_type: str, op: str, value, now: dt.datetime) -> pw.Node:
    if op == "is_empty":  # missing, null or "": one parse, compared once (= ANY)
        whole = pw.fn.JSONB_PATH_QUERY_FIRST(column.cast("jsonb"), pw.Value(f'$."{key}"').cast("jsonpath"))
        empty = pw.SQL("(ARRAY['null'::jsonb, '\"\"'::jsonb])")
        return never_null(pw.Expression(pw.fn.COALESCE(whole, pw.SQL("'null'::jsonb")), "= ANY", empty))
    if field_type == "number":
        number = _pg_value(column, key, "number").cast("numeric")
        return never_null({"equals": number == value, "at_least": number >= value, "at_most": number <= value}[op])
    if field_type == "boolean":
        return never_null(_pg_value(column, key, "boolean") == pw.Value("true" if value else "false").cast("jsonb"))
    text = _pg_text(_pg_value(column, key, "string"))
    if field_type == "date":
        return never_null(_date_compare(text, op, value, now))
    return text_condition(text, op, value)


def _date_compare(text: pw.Node, op: str, value, now: dt.datetime) -> pw.Node:
    bound = {
        "before": value,
        "after": (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat() if op == "after" else "",
        "within_days": (now - dt.timedelta(days=value)).date().isoformat() if op == "within_days" else "",
    }[op]
    return _bytewise(text) < bound if op == "before" else _bytewise(text) >= bound


def custom_condition(column, key: str, field_type: str, op: str, value, now: dt.datetime) -> pw.Node:
    if is_postgres():
        return _pg_custom(column, key, field_type, op, value, now)
    text = _json_text(column, key)
    if op == "is_empty":
        return never_null(
            _json_type(column, key).is_null() | _is(column, key, "null") | (_is(column, key, "string") & (text == ""))
        )
    if field_type == "number":
        number = _json_number(column, key)
        compare = {"equals": number == value, "at_least": number >= value, "at_most": number <= value}[op]
        return never_null(compare)
    if field_type == "boolean":
        return never_null(_is(column, key, "boolean") & (text == _boolean_text(value)))
    if field_type == "date":
        return never_null(_is(column, key, "string") & _date_compare(text, op, value, now))
    return never_null(_is(column, key, "string") & text_condition(text, op, value))


def _boolean_text(value: bool) -> str | int:
    # SQLite's json_extract gives 1/0 for JSON true/false; PostgreSQL's ->> gives 'true'/'false'.
    if is_postgres():
        return "true" if value else "false"
    return 1 if value else 0


def json_property(column, key: str, value: str | None) -> pw.Node:
    """A tracked event's property: present (not null) or, with a value, equal to that text."""
    if is_postgres():
        if value is None:
            return _pg_value(column, key).is_null(False)
        return never_null(_pg_text(_pg_value(column, key, "string")) == value)
    if value is None:
        return never_null(_json_type(column, key).is_null(False) & ~_is(column, key, "null"))
    return never_null(_is(column, key, "string") & (_json_text(column, key) == value))


def json_answer_in(column, key: str, values: list[str]) -> pw.Node:
    """An answer (a text, or a list of texts for a multiple choice) equal to, or holding, one of
    the values."""
    if is_postgres():  # the answer, or any item of it, a string among the values: one parse
        path = f'$."{key}"[*] ? (@.type() == "string" && @ == $v[*])'
        wanted = pw.Value(json.dumps({"v": values})).cast("jsonb")
        return never_null(pw.fn.JSONB_PATH_EXISTS(column.cast("jsonb"), pw.Value(path).cast("jsonpath"), wanted))
    return pw.NodeList(
        (
            pw.SQL("EXISTS (SELECT 1 FROM json_each("),
            column,
            pw.SQL(", "),
            pw.Value(_path(key)),
            pw.SQL(") AS je WHERE je.type = 'text' AND je.value IN "),
            pw.EnclosedNodeList([pw.Value(v) for v in values]),
            pw.SQL(")"),
        )
    )


# Mail engagement -------------------------------------------------------------------------------


def mail_condition(org_id: int, node: dict, now: dt.datetime) -> pw.Node:
    """received (an outbox message sent to the contact), opened or clicked (by a person: hits
    flagged as machine-made are left out), of one send or any, within the last D days or ever."""
    since = now - dt.timedelta(days=node["days"]) if "days" in node else None
    if node["dimension"] == "mail_received":
        where = (Outbox.organization == org_id) & (Outbox.state == "sent") & Outbox.contact_id.is_null(False)
        if "send_key" in node:
            where &= Outbox.send_key == node["send_key"]
        if since is not None:
            where &= Outbox.sent_at >= since
        return _contact_in(Outbox.select(Outbox.contact_id).where(where))
    kind = "open" if node["dimension"] == "mail_opened" else "click"
    where = (
        (MailEngagement.organization == org_id)
        & (MailEngagement.kind == kind)
        & (MailEngagement.machine == False)  # noqa: E712
        & MailEngagement.contact_id.is_null(False)
    )
    rows = MailEngagement.select(MailEngagement.contact_id)
    if "send_key" in node:
        rows = rows.join(Outbox, on=MailEngagement.outbox == Outbox.id)
        where &= Outbox.send_key == node["send_key"]
    if since is not None:
        where &= MailEngagement.occurred_at >= since
    return _contact_in(rows.where(where))


def _contact_in(rows: pw.Select) -> pw.Node:
    return Contact.id.in_(rows)
