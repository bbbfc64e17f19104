"""The console editor's side of a condition tree: the tree as form fields and back.

The editor is one HTML form. Each node has a key naming its place (`n` is the root group,
`n-0` its first child, `n-0-2` the third child of that) listed in document order in the `node`
fields, and its own fields named `<key>:<name>`: `type`, `join` and `negate` for a group;
`dimension`, `operator`, `value` (repeated for a list), `negate` and the dimension's own keys for
a condition. `read` turns a submission into a tree (values typed as the dimension wants them, so
`tree.validate` says what is wrong with them) plus, per node, its JSON path, so a TreeError's path
finds the node to show its message beside. `apply` carries out the structural buttons (add a
condition or a group, remove a node). Nothing here decides what a tree means: `tree.validate` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webapp.segments.tree import ANSWER_OPERATORS, DIMENSIONS, MAX_DEPTH, MAX_NODES, Dimension

KEY_RE = re.compile(r"^n(?:-\d{1,3}){0,8}$")
NO_VALUE = ("is_empty", "exists", "never")
NUMBER_KEYS = ("event_id", "question_id", "days")
DEFAULT_DIMENSION = "labels"


def empty_tree() -> dict:
    return {"type": "group", "join": "and", "negate": False, "children": []}


def new_condition(dimension: str = DEFAULT_DIMENSION) -> dict:
    dim = DIMENSIONS[dimension]
    return {"type": "condition", "dimension": dim.key, "operator": dim.operators[0], "value": None, "negate": False}


# What the value of a condition is entered with --------------------------------------------------


def value_kind(dim: Dimension, node: dict) -> str:
    """The input a condition's value takes: none, text, text_list, number, date, boolean, select,
    multiselect."""
    op = node.get("operator")
    if op in NO_VALUE:
        return "none"
    kind = dim.value_type
    if kind == "custom":
        kind = node.get("field_type") or "text"
    if kind == "answer":
        kind = node.get("answer_type") or "text"
    if op in ("at_least", "at_most") and kind in ("count", "times"):
        return "number"
    if op == "within_days":
        return "number"
    if kind in ("date", "number", "boolean"):
        return kind
    if kind == "choice":
        return "multiselect" if op == "any_of" else "select"
    if kind == "ids":
        return "select" if dim.key == "segment" else "multiselect"
    if kind in ("count", "times", "none"):
        return "none"
    return "text_list" if op == "any_of" else "text"


def operators_for(dim: Dimension, node: dict) -> tuple[str, ...]:
    """The operators the condition may use (a custom field's depend on its type, an answer's on
    its question's kind)."""
    if dim.key == "answer":
        return ANSWER_OPERATORS[node.get("answer_type") or "text"]
    if dim.key != "custom_field":
        return dim.operators
    by_type = {
        "text": ("equals", "contains", "starts_with", "is_empty", "any_of"),
        "date": ("before", "after", "within_days", "is_empty"),
        "number": ("equals", "at_least", "at_most", "is_empty"),
        "boolean": ("equals", "is_empty"),
    }
    return tuple(op for op in by_type.get(node.get("field_type") or "text", ()) if op in dim.operators)


# Reading a submission ---------------------------------------------------------------------------


@dataclass
class Reading:
    tree: dict
    keys: dict[str, dict]  # node key -> the node in `tree`
    paths: dict[str, str]  # JSON path of a node -> its key


def _number(text: str):
    text = text.strip()
    if re.fullmatch(r"-?\d{1,16}", text):
        return int(text)
    if re.fullmatch(r"-?\d{1,16}\.\d{1,8}", text):
        return float(text)
    return text or None  # not a number: validate names the field


def _value(dim: Dimension, node: dict, raw: list[str]):
    kind = value_kind(dim, node)
    first = raw[0] if raw else ""
    if kind == "none":
        return None
    if kind == "number":
        return _number(first)
    if kind == "boolean":
        return {"true": True, "false": False}.get(first, first or None)
    if kind == "text_list":
        return [part.strip() for part in first.split(",") if part.strip()]
    if kind == "multiselect":
        items = [v for v in raw if v]
        return [_number(v) if dim.value_type == "ids" else v for v in items]
    if kind == "select" and dim.value_type == "ids":
        return _number(first) if first else None
    if kind == "date":
        return first or None
    return first


def _condition(form, key: str, answer_types: dict[int, str]) -> dict:
    dim = DIMENSIONS.get(form.get(f"{key}:dimension", "")) or DIMENSIONS[DEFAULT_DIMENSION]
    node = {"type": "condition", "dimension": dim.key, "negate": form.get(f"{key}:negate") == "1"}
    for name in dim.keys:
        raw = form.get(f"{key}:{name}", "").strip()
        if raw:
            node[name] = _number(raw) if name in NUMBER_KEYS else raw
    if dim.key == "answer":  # the chosen question's kind, not what the page said before
        node["answer_type"] = answer_types.get(node.get("question_id"), "text")
    allowed = operators_for(dim, node)
    operator = form.get(f"{key}:operator", "")
    node["operator"] = operator if operator in allowed else (allowed[0] if allowed else dim.operators[0])
    node["value"] = _value(dim, node, form.getlist(f"{key}:value"))
    return node


def read(form, answer_types: dict[int, str] | None = None) -> Reading:
    """The tree a submission describes (the root group alone when it names none). `answer_types`:
    {question id: what its answers are compared as} (webapp.segments.choices.answer_types)."""
    keys: dict[str, dict] = {}
    paths: dict[str, str] = {}
    key_paths: dict[str, str] = {}
    for key in form.getlist("node")[: MAX_NODES + 1]:
        if not KEY_RE.match(key) or key in keys:
            continue
        if form.get(f"{key}:type") == "condition":
            node = _condition(form, key, answer_types or {})
        else:
            node = {
                "type": "group",
                "join": "or" if form.get(f"{key}:join") == "or" else "and",
                "negate": form.get(f"{key}:negate") == "1",
                "children": [],
            }
        parent_key = key.rpartition("-")[0]
        if not parent_key:
            if "n" in keys or key != "n" or node["type"] != "group":
                continue
            path = "$"
        else:
            parent = keys.get(parent_key)
            if parent is None or parent["type"] != "group":
                continue
            path = f"{key_paths[parent_key]}.children[{len(parent['children'])}]"
            parent["children"].append(node)
        keys[key], key_paths[key], paths[path] = node, path, key
    if "n" not in keys:
        keys["n"] = empty_tree()
        paths["$"] = "n"
    return Reading(keys["n"], keys, paths)


def index(tree: dict) -> Reading:
    """A tree's nodes under the keys the editor renders them with (by position)."""
    keys: dict[str, dict] = {}
    paths: dict[str, str] = {}

    def walk(node: dict, key: str, path: str) -> None:
        keys[key], paths[path] = node, key
        for i, child in enumerate(node.get("children", []) if node.get("type") == "group" else []):
            walk(child, f"{key}-{i}", f"{path}.children[{i}]")

    walk(tree, "n", "$")
    return Reading(tree, keys, paths)


def node_key_of(reading: Reading, error_path: str) -> str:
    """The key of the node a TreeError path points into (its deepest node)."""
    best = "$"
    for path in reading.paths:
        if (error_path == path or error_path.startswith(path + ".") or error_path.startswith(path + "[")) and len(
            path
        ) > len(best):
            best = path
    return reading.paths[best]


# Structural changes ------------------------------------------------------------------------------


def depth_of(key: str) -> int:
    return key.count("-") + 1


def apply(reading: Reading, op: str) -> None:
    """Carry out one button of the editor: `add_condition:<group key>`, `add_group:<group key>` or
    `remove:<node key>`. A key that names no such node changes nothing."""
    action, _, key = op.partition(":")
    node = reading.keys.get(key)
    if node is None:
        return
    if action in ("add_condition", "add_group") and node["type"] == "group":
        if len(reading.keys) >= MAX_NODES:
            return
        if action == "add_condition":
            node["children"].append(new_condition())
        elif depth_of(key) < MAX_DEPTH:
            node["children"].append({**empty_tree(), "children": [new_condition()]})
    elif action == "remove" and key != "n":
        parent = reading.keys[key.rpartition("-")[0]]
        parent["children"] = [child for child in parent["children"] if child is not node]


# The other way --------------------------------------------------------------------------------------


def form_fields(tree: dict) -> list[tuple[str, str]]:
    """The editor's fields that describe this tree (what its form posts): `read` gives it back."""
    fields: list[tuple[str, str]] = []

    def walk(node: dict, key: str) -> None:
        fields.extend([("node", key), (f"{key}:type", node["type"])])
        if node.get("negate"):
            fields.append((f"{key}:negate", "1"))
        if node["type"] == "group":
            fields.append((f"{key}:join", node.get("join", "and")))
            for i, child in enumerate(node.get("children", [])):
                walk(child, f"{key}-{i}")
            return
        dim = DIMENSIONS[node["dimension"]]
        fields.extend([(f"{key}:dimension", dim.key), (f"{key}:operator", node["operator"])])
        fields.extend((f"{key}:{name}", str(node[name])) for name in dim.keys if node.get(name) is not None)
        value, kind = node.get("value"), value_kind(dim, node)
        if kind == "text_list":
            fields.append((f"{key}:value", ", ".join(value or [])))
        elif isinstance(value, list):
            fields.extend((f"{key}:value", str(item)) for item in value)
        elif isinstance(value, bool):
            fields.append((f"{key}:value", "true" if value else "false"))
        elif value is not None:
            fields.append((f"{key}:value", str(value)))

    walk(tree, "n")
    return fields
