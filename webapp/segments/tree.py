"""The condition tree of a segment: its JSON schema, the catalogue of dimensions, and `validate`.

A tree is a group at the root:

    group     = {"type": "group", "join": "and" | "or", "negate": bool, "children": [node, ...]}
    condition = {"type": "condition", "dimension": str, "operator": str, "value": ...,
                 "negate": bool, ...the dimension's own keys}

`DIMENSIONS` says, per dimension, its labels (English and Indonesian), the type of its value, the
operators it allows, where its value choices come from for an organization (`value_choices`) and
the extra keys it takes (an event, a number of days, ...). The editor and the OpenAPI document are
built from it; `validate` checks a tree against it and returns the normalized tree, or raises
`TreeError` naming the path of the bad node (`$.children[1].children[0].value`). Ids of another
organization's rows and segments that would contain themselves are refused the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from webapp.catalog.models import Coupon, Product, Question
from webapp.checkin.models import CheckinList
from webapp.contacts.ingest_models import EVENT_TYPES
from webapp.contacts.models import CONTACT_STATUSES, FUNNEL_STAGES, Label
from webapp.events.models import Event
from webapp.i18n import _
from webapp.orders.models import ORDER_STATUSES
from webapp.segments.models import Segment

MAX_DEPTH = 5  # nested groups, the root counting as one
MAX_NODES = 100  # groups and conditions in one tree
MAX_EXPANDED = 1000  # nodes once the segments a tree names are put in place
MAX_TEXT = 200
MAX_ITEMS = 100
MAX_DAYS = 36500
MAX_TIMES = 1_000_000

JOINS = ("and", "or")
CUSTOM_TYPES = ("text", "number", "date", "boolean")
PROPERTY_KEY_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
CUSTOM_KEY_RE = re.compile(r"^[a-z0-9_]{1,40}$")
SEND_KEY_RE = re.compile(r"^[a-z0-9_:.-]{1,64}$")
TRACKED_PROPERTIES = ("action", "status", "source", "feature", "plan")
CONTACT_SOURCES = ("registration", "import", "api", "ingest", "console")
# What the answer dimension compares, by question kind: texts (or lists of texts for a multiple
# choice), a yes/no, a number.
ANSWER_TYPES = {
    "text": "text",
    "textarea": "text",
    "choice": "text",
    "multichoice": "text",
    "date": "text",
    "phone": "text",
    "country": "text",
    "checkbox": "boolean",
    "number": "number",
}

# Operators and the value each takes.
TEXT_OPERATORS = ("equals", "contains", "starts_with", "is_empty", "any_of")
DATE_OPERATORS = ("before", "after", "within_days", "is_empty")
NUMBER_OPERATORS = ("equals", "at_least", "at_most", "is_empty")
BOOLEAN_OPERATORS = ("equals", "is_empty")
CHOICE_OPERATORS = ("equals", "any_of")
COUNT_OPERATORS = ("exists", "at_least", "at_most")
OPERATOR_LABELS = {
    "equals": ("equals", "sama dengan"),
    "contains": ("contains", "mengandung"),
    "starts_with": ("starts with", "diawali"),
    "is_empty": ("is empty", "kosong"),
    "any_of": ("any of", "salah satu dari"),
    "all_of": ("all of", "semua dari"),
    "none_of": ("none of", "tidak satu pun dari"),
    "before": ("before", "sebelum"),
    "after": ("after", "sesudah"),
    "within_days": ("within the last N days", "dalam N hari terakhir"),
    "at_least": ("at least", "paling sedikit"),
    "at_most": ("at most", "paling banyak"),
    "exists": ("yes", "ya"),
    "never": ("never", "tidak pernah"),
    "member": ("is a member", "adalah anggota"),
}
# Keys that pick events for the participation dimensions (all optional: none means any event).
EVENT_KEYS = ("event_id", "event_tag", "event_from", "event_to")


class TreeError(ValueError):
    """A tree that cannot be used: `path` names the bad node or key, `message` says why."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


@dataclass(frozen=True)
class Dimension:
    key: str
    label_en: str
    label_id: str
    value_type: str  # text, date, number, boolean, choice, ids, count, times, none, custom, answer
    operators: tuple[str, ...]
    choices: str | None = None  # how value choices are listed for an organization (value_choices)
    keys: tuple[str, ...] = ()  # the dimension's own keys, beside dimension/operator/value/negate
    required: tuple[str, ...] = ()

    def describe(self) -> dict:
        return {
            "key": self.key,
            "label": {"en": self.label_en, "id": self.label_id},
            "value_type": self.value_type,
            "operators": [
                {"key": op, "label": {"en": OPERATOR_LABELS[op][0], "id": OPERATOR_LABELS[op][1]}}
                for op in self.operators
            ],
            "choices": self.choices,
            "keys": list(self.keys),
            "required_keys": list(self.required),
        }


_PARTICIPATION = EVENT_KEYS
DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        # Contact fields
        Dimension("email", "Email", "Email", "text", TEXT_OPERATORS),
        Dimension("email_domain", "Email domain", "Domain email", "text", ("equals", "any_of")),
        Dimension("name", "Name", "Nama", "text", TEXT_OPERATORS),
        Dimension("status", "Status", "Status", "choice", CHOICE_OPERATORS, "statuses"),
        Dimension("source", "Source", "Sumber", "choice", (*CHOICE_OPERATORS, "is_empty"), "sources"),
        Dimension("created", "Created", "Dibuat", "date", ("before", "after", "within_days")),
        Dimension("subscribed", "Subscribed", "Berlangganan", "date", DATE_OPERATORS),
        Dimension(
            "custom_field",
            "Custom field",
            "Kolom khusus",
            "custom",
            tuple(dict.fromkeys(TEXT_OPERATORS + DATE_OPERATORS + NUMBER_OPERATORS)),
            "custom_fields",
            keys=("field", "field_type"),
            required=("field",),
        ),
        # Labels and the funnel
        Dimension("labels", "Labels", "Label", "ids", ("any_of", "all_of", "none_of"), "labels"),
        Dimension("stage", "Funnel stage", "Tahap funnel", "choice", CHOICE_OPERATORS, "stages"),
        # Event participation
        Dimension("registered", "Registered", "Terdaftar", "count", COUNT_OPERATORS, "events", keys=_PARTICIPATION),
        Dimension("product", "Registered with a product", "Terdaftar dengan produk", "ids", ("any_of",), "products"),
        Dimension(
            "order_status",
            "Order status",
            "Status pesanan",
            "choice",
            ("any_of",),
            "order_statuses",
            keys=_PARTICIPATION,
        ),
        Dimension(
            "coupon", "Used a coupon", "Memakai kupon", "ids", ("exists", "any_of"), "coupons", keys=_PARTICIPATION
        ),
        Dimension(
            "attended",
            "Attended (checked in)",
            "Hadir (check-in)",
            "count",
            COUNT_OPERATORS,
            "events",
            keys=_PARTICIPATION,
        ),
        Dimension("no_show", "No-show", "Tidak hadir", "none", ("exists",), "events", keys=_PARTICIPATION),
        Dimension("checkin_gate", "Checked in at a gate", "Check-in di gerbang", "text", ("any_of",), "gates"),
        Dimension("checkin_list", "Checked in on a list", "Check-in di daftar", "ids", ("any_of",), "checkin_lists"),
        Dimension(
            "answer",
            "Answered a question",
            "Menjawab pertanyaan",
            "answer",  # the question's kind decides: text, boolean or number (answer_type)
            ("equals", "any_of", "at_least", "at_most"),
            "questions",
            keys=("question_id", "answer_type"),
            required=("question_id",),
        ),
        # Tracked events from the ingestion API
        Dimension(
            "tracked",
            "Did a tracked event",
            "Melakukan event terlacak",
            "times",
            ("at_least", "never"),
            "event_types",
            keys=("event_type", "property", "property_value", "days"),
            required=("event_type",),
        ),
        # Other segments
        Dimension("segment", "In segment", "Dalam segmen", "ids", ("member",), "segments"),
        # Engagement with sends
        Dimension(
            "mail_received",
            "Received an email",
            "Menerima email",
            "none",
            ("exists",),
            "send_keys",
            keys=("send_key", "days"),
        ),
        Dimension(
            "mail_opened",
            "Opened an email",
            "Membuka email",
            "none",
            ("exists",),
            "send_keys",
            keys=("send_key", "days"),
        ),
        Dimension(
            "mail_clicked",
            "Clicked in an email",
            "Mengeklik email",
            "none",
            ("exists",),
            "send_keys",
            keys=("send_key", "days"),
        ),
    )
}

# How value choices are listed for an organization (the editor's pickers).
FIXED_CHOICES = {
    "statuses": CONTACT_STATUSES,
    "sources": CONTACT_SOURCES,
    "stages": FUNNEL_STAGES,
    "order_statuses": ORDER_STATUSES,
    "event_types": EVENT_TYPES,
}


def catalogue() -> list[dict]:
    """The dimensions as plain data (the editor and the OpenAPI document)."""
    return [d.describe() for d in DIMENSIONS.values()]


# Validation --------------------------------------------------------------------------------------


class _Walk:
    def __init__(self, org_id: int, segment_id: int | None):
        self.org_id, self.segment_id, self.nodes = org_id, segment_id, 0


def validate(org_id: int, tree, *, segment_id: int | None = None) -> dict:
    """The normalized tree, or TreeError. `segment_id`: the segment this tree is saved to (a tree
    that reaches it through segment conditions would contain itself)."""
    walk = _Walk(org_id, segment_id)
    if not isinstance(tree, dict) or tree.get("type") != "group":
        raise TreeError("$", _('The tree must be a group: an object with type "group".'))
    normalized = _node(walk, tree, "$", 1)
    if segment_refs(normalized) and expanded_size(org_id, normalized, {}) > MAX_EXPANDED:
        raise TreeError("$", _("With the segments it names, a segment has at most %(n)d conditions.", n=MAX_EXPANDED))
    return normalized


def expanded_size(org_id: int, tree: dict, sizes: dict[int, int]) -> int:
    """How many nodes the tree compiles to, the segments it names included (each counted as often
    as it is named; `sizes` remembers each segment's size, so this stays cheap)."""
    if tree.get("type") == "condition":
        if tree.get("dimension") != "segment":
            return 1
        ref = tree["value"]
        if ref not in sizes:
            sizes[ref] = MAX_EXPANDED + 1  # while being measured: a cycle counts as too big
            stored = Segment.select(Segment.tree).where((Segment.id == ref) & (Segment.organization == org_id)).first()
            sizes[ref] = expanded_size(org_id, stored.tree, sizes) if stored is not None else 1
        return 1 + sizes[ref]
    return 1 + sum(expanded_size(org_id, child, sizes) for child in tree.get("children", []))


def _node(walk: _Walk, node, path: str, depth: int) -> dict:
    walk.nodes += 1
    if walk.nodes > MAX_NODES:
        raise TreeError(path, _("A segment has at most %(n)d groups and conditions.", n=MAX_NODES))
    if not isinstance(node, dict):
        raise TreeError(path, _("Each node must be an object."))
    kind = node.get("type")
    if kind == "group":
        return _group(walk, node, path, depth)
    if kind == "condition":
        return _condition(walk, node, path)
    raise TreeError(f"{path}.type", _('Use "group" or "condition".'))


def _negate(node: dict, path: str) -> bool:
    negate = node.get("negate", False)
    if not isinstance(negate, bool):
        raise TreeError(f"{path}.negate", _("Use true or false."))
    return negate


def _unknown_keys(node: dict, allowed: set[str], path: str) -> None:
    for key in node:
        if key not in allowed:
            raise TreeError(f"{path}.{key}", _("Unknown key."))


def _group(walk: _Walk, node: dict, path: str, depth: int) -> dict:
    if depth > MAX_DEPTH:
        raise TreeError(path, _("Groups nest at most %(n)d levels deep.", n=MAX_DEPTH))
    _unknown_keys(node, {"type", "join", "negate", "children"}, path)
    join = node.get("join", "and")
    if join not in JOINS:
        raise TreeError(f"{path}.join", _('Use "and" or "or".'))
    children = node.get("children", [])
    if not isinstance(children, list):
        raise TreeError(f"{path}.children", _("Use a list of groups and conditions."))
    return {
        "type": "group",
        "join": join,
        "negate": _negate(node, path),
        "children": [_node(walk, child, f"{path}.children[{i}]", depth + 1) for i, child in enumerate(children)],
    }


def _condition(walk: _Walk, node: dict, path: str) -> dict:
    dimension = DIMENSIONS.get(node.get("dimension"))  # type: ignore[arg-type]
    if dimension is None:
        raise TreeError(f"{path}.dimension", _("Choose among %(options)s.", options=", ".join(DIMENSIONS)))
    _unknown_keys(node, {"type", "dimension", "operator", "value", "negate", *dimension.keys}, path)
    operator = node.get("operator")
    if operator not in dimension.operators:
        raise TreeError(f"{path}.operator", _("Choose among %(options)s.", options=", ".join(dimension.operators)))
    out = {"type": "condition", "dimension": dimension.key, "operator": operator, "negate": _negate(node, path)}
    for key in dimension.required:
        if node.get(key) in (None, ""):
            raise TreeError(f"{path}.{key}", _("Required."))
    for key in dimension.keys:
        if node.get(key) is not None:
            out[key] = _KEY_CHECKS[key](walk, node[key], f"{path}.{key}")
    if dimension.key == "custom_field":
        out["field_type"] = out.get("field_type", "text")
        _custom_operator(out, path)
    if dimension.key == "answer":
        _answer_operator(out, path)
    if "event_id" in out and "event_tag" in out:
        raise TreeError(f"{path}.event_tag", _("Give an event or a tag, not both."))
    if "property_value" in out and "property" not in out:
        raise TreeError(f"{path}.property", _("Name the property the value is for."))
    out["value"] = _value(walk, dimension, out, node.get("value"), f"{path}.value")
    return out


def _custom_operator(out: dict, path: str) -> None:
    allowed = {
        "text": TEXT_OPERATORS,
        "date": DATE_OPERATORS,
        "number": NUMBER_OPERATORS,
        "boolean": BOOLEAN_OPERATORS,
    }[out["field_type"]]
    if out["operator"] not in allowed:
        raise TreeError(
            f"{path}.operator",
            _("A %(type)s field takes %(options)s.", type=out["field_type"], options=", ".join(allowed)),
        )


ANSWER_OPERATORS = {"text": ("equals", "any_of"), "boolean": ("equals",), "number": ("equals", "at_least", "at_most")}


def _answer_operator(out: dict, path: str) -> None:
    """The question's kind decides what its answers are compared as (`answer_type` is filled in
    from the question, whatever the tree said)."""
    out["answer_type"] = ANSWER_TYPES[Question.get_by_id(out["question_id"]).kind]
    allowed = ANSWER_OPERATORS[out["answer_type"]]
    if out["operator"] not in allowed:
        raise TreeError(f"{path}.operator", _("This question's answers take %(options)s.", options=", ".join(allowed)))


# Values -----------------------------------------------------------------------------------------


def _text(value, path: str, *, lower: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TreeError(path, _("Enter a text."))
    if len(value) > MAX_TEXT:
        raise TreeError(path, _("At most %(n)d characters.", n=MAX_TEXT))
    if "\x00" in value or _lone_surrogate(value):
        raise TreeError(path, _("Enter text without NUL characters or lone surrogates."))
    value = value.strip()
    return value.lower() if lower else value


def _lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _list(value, path: str, item) -> list:
    if not isinstance(value, list) or not value:
        raise TreeError(path, _("Give a list of one or more values."))
    if len(value) > MAX_ITEMS:
        raise TreeError(path, _("At most %(n)d values.", n=MAX_ITEMS))
    return list(dict.fromkeys(item(v, f"{path}[{i}]") for i, v in enumerate(value)))


def _int(value, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise TreeError(path, _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high))
    return value


def _number(value, path: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or abs(value) > 1e15:
        raise TreeError(path, _("Enter a number."))
    return value


def _date(value, path: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise TreeError(path, _("Enter a date as YYYY-MM-DD.")) from None


def _choice(options) -> callable:
    def check(value, path: str) -> str:
        if value not in options:
            raise TreeError(path, _("Choose among %(options)s.", options=", ".join(options)))
        return value

    return check


def _id_of(model, walk: _Walk, value, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TreeError(path, _("Give an id (a whole number)."))
    if not model.select().where((model.id == value) & (model.organization == walk.org_id)).exists():
        raise TreeError(path, _NOT_HERE[model.__name__]())
    return value


# "No such ... in this organization", for each kind of id a tree names (translated when raised).
_NOT_HERE = {
    "Event": lambda: _("No such event in this organization."),
    "Question": lambda: _("No such question in this organization."),
    "Label": lambda: _("No such label in this organization."),
    "Product": lambda: _("No such product in this organization."),
    "Coupon": lambda: _("No such coupon in this organization."),
    "CheckinList": lambda: _("No such check-in list in this organization."),
    "Segment": lambda: _("No such segment in this organization."),
}

_ID_MODELS = {
    "labels": Label,
    "products": Product,
    "coupons": Coupon,
    "checkin_lists": CheckinList,
    "segments": Segment,
}

_NO_VALUE = ("is_empty", "exists", "never")


def _value(walk: _Walk, dimension: Dimension, cond: dict, value, path: str):
    op = cond["operator"]
    if op in _NO_VALUE:
        return None
    kind = dimension.value_type
    if kind == "custom":
        kind = {"text": "text", "date": "date", "number": "number", "boolean": "boolean"}[cond["field_type"]]
    if kind == "answer":
        kind = cond["answer_type"]
    if op in ("at_least", "at_most") and kind in ("count", "times"):
        return _int(value, path, 0 if op == "at_most" else 1, MAX_TIMES)
    if op == "within_days":
        return _int(value, path, 0, MAX_DAYS)
    if kind == "date":
        return _date(value, path)
    if kind == "number":
        return _number(value, path)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise TreeError(path, _("Use true or false."))
        return value
    if kind == "choice":
        check = _choice(FIXED_CHOICES[dimension.choices])
        return _list(value, path, check) if op == "any_of" else check(value, path)
    if kind == "ids":
        if dimension.key == "segment":
            return _segment_ref(walk, value, path)
        model = _ID_MODELS[dimension.choices]
        return _list(value, path, lambda v, p: _id_of(model, walk, v, p))
    lower = dimension.key in ("email", "email_domain")  # addresses are stored lower-cased
    if op == "any_of":
        return _list(value, path, lambda v, p: _text(v, p, lower=lower))
    return _text(value, path, lower=lower)


def _segment_ref(walk: _Walk, value, path: str) -> int:
    segment_id = _id_of(Segment, walk, value, path)
    if walk.segment_id is not None and _reaches(walk.org_id, segment_id, walk.segment_id, set()):
        raise TreeError(path, _("A segment cannot contain itself, directly or through other segments."))
    return segment_id


def segment_refs(tree: dict) -> list[int]:
    """The ids of the segments a tree's conditions name."""
    if tree.get("type") == "condition":
        return [tree["value"]] if tree.get("dimension") == "segment" else []
    return [ref for child in tree.get("children", []) for ref in segment_refs(child)]


def _reaches(org_id: int, start: int, target: int, seen: set[int]) -> bool:
    if start == target:
        return True
    if start in seen:
        return False
    seen.add(start)
    segment = Segment.select(Segment.tree).where((Segment.id == start) & (Segment.organization == org_id)).first()
    return segment is not None and any(_reaches(org_id, ref, target, seen) for ref in segment_refs(segment.tree))


# The dimensions' own keys ------------------------------------------------------------------------


def _event_id(walk: _Walk, value, path: str) -> int:
    return _id_of(Event, walk, value, path)


def _question_id(walk: _Walk, value, path: str) -> int:
    return _id_of(Question, walk, value, path)


def _field(walk: _Walk, value, path: str) -> str:
    if not isinstance(value, str) or not CUSTOM_KEY_RE.match(value):
        raise TreeError(path, _("Name a custom field: lower-case letters, digits and underscores."))
    return value


def _property(walk: _Walk, value, path: str) -> str:
    if not isinstance(value, str) or not PROPERTY_KEY_RE.match(value):
        raise TreeError(path, _("Name a property: letters, digits and underscores, at most 64."))
    return value


def _send_key(walk: _Walk, value, path: str) -> str:
    if not isinstance(value, str) or not SEND_KEY_RE.match(value):
        raise TreeError(path, _('Name a send, such as "ticket" or "automation:12".'))
    return value


_KEY_CHECKS = {
    "event_id": _event_id,
    "event_tag": lambda walk, v, p: _text(v, p),
    "event_from": lambda walk, v, p: _date(v, p),
    "event_to": lambda walk, v, p: _date(v, p),
    "field": _field,
    "field_type": lambda walk, v, p: _choice(CUSTOM_TYPES)(v, p),
    "question_id": _question_id,
    "answer_type": lambda walk, v, p: v,  # replaced by the question's own (_answer_operator)
    "event_type": lambda walk, v, p: _choice(EVENT_TYPES)(v, p),
    "property": _property,
    "property_value": lambda walk, v, p: _text(v, p),
    "days": lambda walk, v, p: _int(v, p, 1, MAX_DAYS),
    "send_key": _send_key,
}
