"""The API reference page, rendered on the server from the OpenAPI document (no CDN, no script)."""

from __future__ import annotations

import markdown
from markupsafe import Markup, escape


def type_of(schema: dict | None) -> Markup:
    """A short, linked description of a schema: "Event", "array of Registrant", "string or null"."""
    if not schema:
        return Markup("any")
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return Markup('<a href="#schema-{0}">{0}</a>').format(name)
    if "anyOf" in schema:
        return Markup(" or ").join(type_of(s) for s in schema["anyOf"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return Markup(" or ").join(type_of({**schema, "type": k}) for k in kind)
    if kind == "array":
        return Markup("array of ") + type_of(schema.get("items"))
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return Markup("map of ") + type_of(schema["additionalProperties"])
    text = escape(kind)
    if schema.get("format"):
        text += Markup(" <span class='muted'>({})</span>").format(schema["format"])
    return text


def constraints(schema: dict | None) -> str:
    if not schema:
        return ""
    parts = []
    if "enum" in schema:
        parts.append("one of " + ", ".join(str(v) for v in schema["enum"]))
    for key, label in (
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("default", "default"),
    ):
        if key in schema:
            parts.append(f"{label} {schema[key]}")
    return "; ".join(parts)


def markdown_html(text: str) -> Markup:
    # Our own descriptions (code constants), never user input.
    return Markup(markdown.markdown(text or ""))  # noqa: S704


def operations_by_tag(doc: dict) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            groups.setdefault(op["tags"][0], []).append({"method": method.upper(), "path": path, **op})
    return sorted(groups.items())


def response_schema(response: dict, doc: dict) -> dict | None:
    if "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return (response.get("content") or {}).get("application/json", {}).get("schema")


def response_text(response: dict, doc: dict) -> str:
    if "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response.get("description", "")
