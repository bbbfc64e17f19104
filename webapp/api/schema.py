"""Declarations of request and response bodies: one object validates input, dumps output and writes
its own JSON Schema, so the OpenAPI document and the behaviour cannot disagree.

    EventIn = Obj("EventCreate", {"name": Str(max_length=200), "capacity": Int(minimum=1, null=True)},
                  required=("name",))
    data = EventIn.load(request_json)  # -> dict, or raises Invalid with {"capacity": "..."} field errors
    EventOut.dump(event)               # -> the JSON the schema describes
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from webapp.email_address import is_valid_email
from webapp.guards import has_control_characters
from webapp.i18n import _

_MISSING = object()
MAX_DEPTH = 32  # levels of objects and lists in a request body
INT_RANGE = (-(2**63), 2**63 - 1)  # what either database can compare an integer with


class Invalid(Exception):
    """The input does not match the declaration; `fields` maps a dotted path to a message."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class Field(abc.ABC):
    """Base of every declaration. `null=True` admits JSON null; `source` names the attribute (or
    gives a function of the object) that `dump` reads when it differs from the key."""

    json_type: str = ""

    def __init__(
        self,
        *,
        null: bool = False,
        description: str = "",
        source: str | Callable | None = None,
        example: Any = _MISSING,
        default: Any = _MISSING,
    ):
        self.null = null
        self.description = description
        self.source = source
        self.example = example
        self.default = default

    # -- input
    def load(self, value: Any, path: str = "") -> Any:
        errors: dict[str, str] = {}
        result = self._load_checked(value, path, errors)
        if errors:
            raise Invalid(errors)
        return result

    def _load_checked(self, value, path, errors):
        if value is None:
            if self.null:
                return None
            errors[path or "body"] = "May not be null."
            return None
        return self.convert(value, path, errors)

    @abc.abstractmethod
    def convert(self, value, path, errors):
        """The value as the handler gets it; problems go into `errors` under `path`."""

    # -- output
    def dump(self, value: Any) -> Any:
        return value

    # -- document
    def json_schema(self, components: dict) -> dict:
        schema = self._schema(components)
        if self.description:
            schema["description"] = self.description
        if self.example is not _MISSING:
            schema["examples"] = [self.example]
        if self.default is not _MISSING:
            schema["default"] = self.default
        if self.null:
            if "$ref" in schema:
                return {"anyOf": [schema, {"type": "null"}]}
            schema["type"] = [schema["type"], "null"]
        return schema

    def _schema(self, components: dict) -> dict:
        return {"type": self.json_type}


class Malformed(Exception):
    """The request body is not JSON we read (answered 400)."""


def load_json(raw: bytes | str) -> Any:
    """A request body as RFC 8259 JSON: no NaN or Infinity, at most MAX_DEPTH levels deep. Raises
    Malformed, or Invalid for strings a database cannot store (a NUL character, a lone UTF-16
    surrogate such as "\\ud800"), by their path."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise Malformed("The body is not valid JSON.") from None
    errors: dict[str, str] = {}
    stack = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Malformed(f"The body is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else key
                _check_text(key, where, errors)
                stack.append((item, where, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str):
            _check_text(value, path, errors)
    if errors:
        raise Invalid(errors)
    return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _check_text(text: str, path: str, errors: dict[str, str]) -> None:
    if "\x00" in text:
        _fail(errors, path, "May not contain a NUL character.")
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        _fail(errors, path, "Must be text: a lone UTF-16 surrogate (such as \\ud800) is not.")


def _fail(errors, path, message):
    errors[path or "body"] = message


class Str(Field):
    json_type = "string"

    def __init__(
        self,
        *,
        min_length: int = 0,
        max_length: int | None = None,
        enum: Iterable[str] | None = None,
        pattern: str | None = None,
        strip: bool = True,
        format: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.min_length = min_length
        self.max_length = max_length
        self.enum = tuple(enum) if enum is not None else None
        self.pattern = pattern
        self.strip = strip
        self.format = format

    def convert(self, value, path, errors):
        if not isinstance(value, str):
            return _fail(errors, path, "Must be a string.")
        if "\x00" in value:
            return _fail(errors, path, "May not contain a NUL character.")
        if self.enum is not None and value not in self.enum:
            return _fail(errors, path, f"Must be one of: {', '.join(self.enum)}.")
        if self.max_length is not None and len(value) > self.max_length:
            return _fail(errors, path, f"At most {self.max_length} characters.")
        if self.pattern and not re.search(self.pattern, value):
            return _fail(errors, path, "Has an invalid format.")
        value = value.strip() if self.strip else value
        if len(value) < self.min_length:
            return _fail(
                errors, path, "Required." if self.min_length == 1 else f"At least {self.min_length} characters."
            )
        return value

    def _schema(self, components):
        schema: dict[str, Any] = {"type": "string"}
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        if self.min_length:
            schema["minLength"] = self.min_length
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.pattern:
            schema["pattern"] = self.pattern
        elif self.strip and self.min_length:
            schema["pattern"] = r"\S"  # blanks are stripped: something must remain
        if self.format:
            schema["format"] = self.format
        return schema


class Line(Str):
    """One line of text, such as a person's name: no line break, tab or other control character
    (it may go into an email header)."""

    def convert(self, value, path, errors):
        value = super().convert(value, path, errors)
        if value is not None and has_control_characters(value):
            return _fail(errors, path, "Must be one line, without tabs, line breaks or other control characters.")
        return value


class Email(Line):
    """An address: one @, a dot in the domain, no spaces. Normalized (lower case) on input."""

    def __init__(self, **kwargs):
        super().__init__(max_length=254, format="email", **kwargs)

    def convert(self, value, path, errors):
        value = super().convert(value, path, errors)
        if value is None:
            return None
        if not is_valid_email(value):
            return _fail(errors, path, "Enter an email address such as ana@example.org.")
        return value.lower()


class Url(Str):
    def __init__(self, **kwargs):
        super().__init__(max_length=500, format="uri", pattern="^https?://[^\\s/]+[^\\s]*$", **kwargs)


class Int(Field):
    json_type = "integer"

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value, path, errors):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _fail(errors, path, "Must be a whole number.")
        if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
            return _fail(errors, path, "Must be a whole number.")
        value = int(value)
        minimum = INT_RANGE[0] if self.minimum is None else self.minimum
        maximum = INT_RANGE[1] if self.maximum is None else self.maximum
        if value < minimum:
            return _fail(errors, path, f"Must be at least {minimum}.")
        if value > maximum:
            return _fail(errors, path, f"Must be at most {maximum}.")
        return value

    def _schema(self, components):
        schema: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


class Bool(Field):
    json_type = "boolean"

    def convert(self, value, path, errors):
        if not isinstance(value, bool):
            return _fail(errors, path, "Must be true or false.")
        return value


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
)


def parse_datetime(text: str) -> dt.datetime:
    """An RFC 3339 date-time (offset required) -> naive UTC. Raises ValueError."""
    match = _RFC3339.match(text)
    if not match:
        raise ValueError(_("Use an RFC 3339 date-time with an offset, such as 2026-05-01T09:00:00Z."))
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7) or ""
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    offset = match.group(8)
    second = min(second, 59)  # a leap second is the last second of its minute
    try:
        value = dt.datetime(year, month, day, hour, minute, second, micro)
        if offset not in ("Z", "z"):
            sign = 1 if offset[0] == "+" else -1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            if hours > 23 or minutes > 59:
                raise ValueError
            value -= sign * dt.timedelta(hours=hours, minutes=minutes)
    except (ValueError, OverflowError):
        raise ValueError(_("Not a valid date and time.")) from None
    if not 1900 <= value.year <= 9998:
        raise ValueError(_("The year must be between 1900 and 9998."))
    return value


def format_datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + "Z"


class DateTime(Field):
    json_type = "string"

    def convert(self, value, path, errors):
        if not isinstance(value, str):
            return _fail(errors, path, "Must be a date-time string.")
        try:
            return parse_datetime(value)
        except ValueError as exc:
            return _fail(errors, path, str(exc))

    def dump(self, value):
        return format_datetime(value)

    def _schema(self, components):
        return {"type": "string", "format": "date-time"}


class JsonObject(Field):
    """Any JSON object, at most `max_bytes` long once serialized."""

    json_type = "object"

    def __init__(self, *, max_bytes: int = 8192, **kwargs):
        super().__init__(**kwargs)
        self.max_bytes = max_bytes

    def convert(self, value, path, errors):
        if not isinstance(value, dict):
            return _fail(errors, path, "Must be a JSON object.")
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        if len(encoded.encode()) > self.max_bytes:
            return _fail(errors, path, f"At most {self.max_bytes} bytes of JSON.")
        if "\\u0000" in encoded:
            return _fail(errors, path, "May not contain a NUL character.")
        return value

    def _schema(self, components):
        return {"type": "object", "additionalProperties": True}


class Map(Field):
    """An object with free keys and values of one declaration (e.g. answers by question id)."""

    json_type = "object"

    def __init__(self, values: Field, *, max_properties: int | None = 200, **kwargs):
        super().__init__(**kwargs)
        self.values = values
        self.max_properties = max_properties

    def convert(self, value, path, errors):
        if not isinstance(value, dict):
            return _fail(errors, path, "Must be a JSON object.")
        if self.max_properties is not None and len(value) > self.max_properties:
            return _fail(errors, path, f"At most {self.max_properties} entries.")
        out = {}
        for key, item in value.items():
            if "\x00" in key or len(key) > 200:
                _fail(errors, f"{path}.{key[:40]}" if path else key[:40], "Invalid key.")
                continue
            out[key] = self.values._load_checked(item, f"{path}.{key}" if path else key, errors)
        return out

    def dump(self, value):
        return {k: self.values.dump(v) for k, v in (value or {}).items()}

    def _schema(self, components):
        schema = {"type": "object", "additionalProperties": self.values.json_schema(components)}
        if self.max_properties is not None:
            schema["maxProperties"] = self.max_properties
        return schema


class AnyValue(Field):
    """A scalar answer: string, number, boolean or a list of strings."""

    json_type = ""

    def convert(self, value, path, errors):
        if isinstance(value, str):
            if "\x00" in value or len(value) > 5000:
                return _fail(errors, path, "Too long or contains a NUL character.")
            return value
        if isinstance(value, bool | int | float):
            return value
        if isinstance(value, list) and all(isinstance(v, str) and "\x00" not in v for v in value) and len(value) <= 100:
            return value
        return _fail(errors, path, "Must be a string, number, boolean or list of strings.")

    def json_schema(self, components):
        schema = {
            "anyOf": [
                {"type": "string", "maxLength": 5000},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "array", "items": {"type": "string"}, "maxItems": 100},
            ]
        }
        if self.null:
            schema["anyOf"].append({"type": "null"})
        return schema


class Array(Field):
    json_type = "array"

    def __init__(self, items: Field, *, min_items: int = 0, max_items: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.items = items
        self.min_items = min_items
        self.max_items = max_items

    def convert(self, value, path, errors):
        if not isinstance(value, list):
            return _fail(errors, path, "Must be a list.")
        if len(value) < self.min_items:
            return _fail(errors, path, f"At least {self.min_items} item(s).")
        if self.max_items is not None and len(value) > self.max_items:
            return _fail(errors, path, f"At most {self.max_items} items.")
        return [self.items._load_checked(item, f"{path}[{i}]", errors) for i, item in enumerate(value)]

    def dump(self, value):
        if type(self.items).dump is Field.dump:
            return list(value)
        return [self.items.dump(v) for v in value]

    def _schema(self, components):
        schema: dict[str, Any] = {"type": "array", "items": self.items.json_schema(components)}
        if self.min_items:
            schema["minItems"] = self.min_items
        if self.max_items is not None:
            schema["maxItems"] = self.max_items
        return schema


class Obj(Field):
    """A named object with declared properties; unknown properties are refused on input."""

    json_type = "object"

    def __init__(self, name: str, fields: dict[str, Field], *, required: Iterable[str] = (), **kwargs):
        super().__init__(**kwargs)
        self.name = name
        self.fields = fields
        self.required = tuple(required)
        unknown = set(self.required) - set(fields)
        if unknown:
            raise ValueError(f"{name}: required names undeclared fields {sorted(unknown)}")

    def convert(self, value, path, errors):
        if not isinstance(value, dict):
            return _fail(errors, path, "Must be a JSON object.")
        out = {}
        for key in value:
            if key not in self.fields:
                errors[f"{path}.{key}" if path else key] = "Unknown field."
        for key, field in self.fields.items():
            where = f"{path}.{key}" if path else key
            if key in value:
                out[key] = field._load_checked(value[key], where, errors)
            elif key in self.required:
                errors[where] = "Required."
        return out

    def dump(self, obj) -> dict:
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self._dump_plan()
        if isinstance(obj, dict) and self._by_key:
            out = {key: obj.get(source) for key, source, _ in plan}
            for key, dump in self._converted:
                if out[key] is not None:
                    out[key] = dump(out[key])
            return out
        out = {}
        for key, source, dump in plan:
            if callable(source):
                raw = source(obj)
            elif isinstance(obj, dict):
                raw = obj.get(source)
            else:
                raw = getattr(obj, source)
            out[key] = raw if raw is None or dump is None else dump(raw)
        return out

    def _dump_plan(self) -> list:
        """(key, what to read, how to dump or None for as is) per property, worked out once: an
        answer is dumped on every call (a scan at the door, a thousand items of a bulk answer).
        A dict answer read by keys only is copied in one step, then its few converted properties
        (times, nested objects) are dumped."""
        plan = [
            (key, field.source or key, None if type(field).dump is Field.dump else field.dump)
            for key, field in self.fields.items()
        ]
        self._by_key = not any(callable(source) for _, source, _ in plan)
        self._converted = [(key, dump) for key, _, dump in plan if dump is not None]
        self._plan = plan
        return plan

    def _schema(self, components):
        owners = getattr(components, "owners", None)
        if owners is not None and owners.setdefault(self.name, self) is not self:
            raise ValueError(f"two different schemas are named {self.name!r}")
        if self.name not in components:
            components[self.name] = None  # a placeholder first: recursion stays finite
            schema: dict[str, Any] = {
                "type": "object",
                "properties": {key: field.json_schema(components) for key, field in self.fields.items()},
                "additionalProperties": False,
            }
            if self.required:
                schema["required"] = list(self.required)
            if self.description:
                schema["description"] = self.description
            components[self.name] = schema
        return {"$ref": f"#/components/schemas/{self.name}"}

    def json_schema(self, components):
        schema = self._schema(components)
        return {"anyOf": [schema, {"type": "null"}]} if self.null else schema

    def partial(self, name: str) -> Obj:
        """The same properties, none required (for PATCH bodies)."""
        return Obj(name, self.fields, description=self.description)


class Components(dict):
    """The schemas of a document by name; refuses two different declarations of one name."""

    def __init__(self):
        super().__init__()
        self.owners: dict[str, Obj] = {}


def Out(name: str, fields: dict[str, Field], **kwargs) -> Obj:  # noqa: N802 - reads as a declaration
    """An answer object: every property is always present (null where declared nullable)."""
    return Obj(name, fields, required=tuple(fields), **kwargs)
