"""The condition tree as a JSON schema: the OpenAPI document's SegmentGroup and SegmentCondition,
made from the dimensions' catalogue (webapp.segments.tree)."""

from __future__ import annotations

from webapp.contacts.ingest_models import EVENT_TYPES
from webapp.segments.tree import (
    ANSWER_TYPES,
    CUSTOM_KEY_RE,
    CUSTOM_TYPES,
    DIMENSIONS,
    JOINS,
    MAX_DAYS,
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_NODES,
    MAX_TEXT,
    OPERATOR_LABELS,
    PROPERTY_KEY_RE,
    SEND_KEY_RE,
    TRACKED_PROPERTIES,
)

_KEY_SCHEMAS = {
    "event_id": {"type": "integer", "minimum": 1, "description": "Participation: this event only."},
    "event_tag": {"type": "string", "maxLength": MAX_TEXT, "description": "Participation: events with this tag."},
    "event_from": {"type": "string", "format": "date", "description": "Participation: events starting on or after."},
    "event_to": {"type": "string", "format": "date", "description": "Participation: events starting on or before."},
    "field": {"type": "string", "pattern": CUSTOM_KEY_RE.pattern, "description": "custom_field: the field's key."},
    "field_type": {"type": "string", "enum": list(CUSTOM_TYPES), "description": "custom_field: text by default."},
    "question_id": {
        "type": "integer",
        "minimum": 1,
        "description": "answer: the question. A text or choice question takes equals/any_of with texts, a yes/no "
        "question equals with true or false, a number question equals/at_least/at_most with a number.",
    },
    "answer_type": {
        "type": "string",
        "enum": sorted(set(ANSWER_TYPES.values())),
        "readOnly": True,
        "description": "answer: how the question's answers compare, filled in from the question.",
    },
    "event_type": {"type": "string", "enum": list(EVENT_TYPES), "description": "tracked: the event type."},
    "property": {
        "type": "string",
        "pattern": PROPERTY_KEY_RE.pattern,
        "description": f"tracked: a property the event must have ({', '.join(TRACKED_PROPERTIES)}, ...).",
    },
    "property_value": {"type": "string", "maxLength": MAX_TEXT, "description": "tracked: the property's value."},
    "days": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS, "description": "Within the last N days."},
    "send_key": {"type": "string", "pattern": SEND_KEY_RE.pattern, "description": "Mail: ticket, payment, ..."},
}


def json_schemas() -> dict[str, dict]:
    """{"SegmentGroup": ..., "SegmentCondition": ...}: the tree as a JSON schema."""
    dimensions = "; ".join(f"`{d.key}` ({', '.join(d.operators)})" for d in DIMENSIONS.values())
    group = {
        "type": "object",
        "description": (
            f"A group joins its children with and/or; `negate` holds the contacts it does not hold. Groups "
            f"nest at most {MAX_DEPTH} levels; a tree has at most {MAX_NODES} nodes."
        ),
        "properties": {
            "type": {"type": "string", "enum": ["group"]},
            "join": {"type": "string", "enum": list(JOINS), "default": "and"},
            "negate": {"type": "boolean", "default": False},
            "children": {
                "type": "array",
                "items": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/SegmentGroup"},
                        {"$ref": "#/components/schemas/SegmentCondition"},
                    ]
                },
            },
        },
        "required": ["type"],
        "additionalProperties": False,
    }
    condition = {
        "type": "object",
        "description": (
            "One condition. Dimensions and their operators: "
            + dimensions
            + ". Values: a text, number, boolean, date (YYYY-MM-DD), a number of days (within_days), a "
            "count (at_least/at_most), ids (labels, products, coupons, check-in lists) or a segment id; "
            "none for is_empty, exists and never."
        ),
        "properties": {
            "type": {"type": "string", "enum": ["condition"]},
            "dimension": {"type": "string", "enum": list(DIMENSIONS)},
            "operator": {"type": "string", "enum": list(OPERATOR_LABELS)},
            "value": {
                "anyOf": [
                    {"type": "string", "maxLength": MAX_TEXT},
                    {"type": "number"},
                    {"type": "boolean"},
                    {"type": "array", "maxItems": MAX_ITEMS, "items": {"type": ["string", "integer"]}},
                    {"type": "null"},
                ]
            },
            "negate": {"type": "boolean", "default": False},
            **_KEY_SCHEMAS,
        },
        "required": ["type", "dimension", "operator"],
        "additionalProperties": False,
    }
    return {"SegmentGroup": group, "SegmentCondition": condition}
