"""The console's block editor as plain form fields: a block list read from and written to fields
named `b-<n>-<field>` (and `b-<n>-left-<m>-<field>` inside two columns), and the editor's
buttons (add, move up, move down, remove) applied to the list. The blocks themselves are checked
by webapp/campaigns/blocks.py."""

from __future__ import annotations

import re
from collections.abc import Mapping

from webapp.campaigns.blocks import BLOCK_TYPES, COLUMN_TYPES, MAX_BLOCKS, MAX_COLUMN_BLOCKS

FIELDS = {
    "heading": ("text", "level", "align"),
    "text": ("markdown",),
    "image": ("src", "alt", "href", "width"),
    "button": ("label", "url", "color"),
    "divider": (),
    "columns": (),
    "event": ("event_id",),
    "footer": ("text",),
}
INTEGER_FIELDS = ("level", "width", "event_id")
SIDES = ("left", "right")
_KEY = re.compile(r"^b-(\d{1,3})-(?:(left|right)-(\d{1,3})-)?type$")


def new_block(kind: str) -> dict:
    """A block as the editor adds it: its type and empty fields (checked when saved)."""
    if kind == "columns":
        return {"type": "columns", "left": [new_block("text")], "right": [new_block("text")]}
    block: dict = {"type": kind}
    for name in FIELDS[kind]:
        block[name] = {"level": 1, "align": "left"}.get(name, "")
    return block


def _value(form: Mapping, key: str, name: str):
    raw = form.get(key, "")
    raw = raw if isinstance(raw, str) else ""
    if name in INTEGER_FIELDS:
        raw = raw.strip()
        return int(raw) if raw.isdigit() and len(raw) <= 10 else (raw or None)
    return raw


def _read_one(form: Mapping, prefix: str, allowed: tuple[str, ...]) -> dict | None:
    kind = form.get(f"{prefix}-type")
    if kind not in allowed:
        return None
    block: dict = {"type": kind}
    for name in FIELDS[kind]:
        value = _value(form, f"{prefix}-{name}", name)
        if value not in ("", None) or name in ("text", "markdown", "label", "url", "src", "event_id"):
            block[name] = value
    return block


def read(form: Mapping) -> list[dict]:
    """The block list the editor's fields hold, in their order (unknown types are dropped)."""
    tops: set[int] = set()
    inner: dict[tuple[int, str], set[int]] = {}
    for key in form:
        match = _KEY.match(key)
        if not match:
            continue
        top, side, index = int(match.group(1)), match.group(2), match.group(3)
        if side:
            inner.setdefault((top, side), set()).add(int(index))
        else:
            tops.add(top)
    blocks = []
    for top in sorted(tops)[:MAX_BLOCKS]:
        block = _read_one(form, f"b-{top}", BLOCK_TYPES)
        if block is None:
            continue
        if block["type"] == "columns":
            for side in SIDES:
                children = (
                    _read_one(form, f"b-{top}-{side}-{i}", COLUMN_TYPES) for i in sorted(inner.get((top, side), ()))
                )
                block[side] = [child for child in children if child is not None][:MAX_COLUMN_BLOCKS]
        blocks.append(block)
    return blocks


def apply(blocks: list[dict], op: str) -> list[dict]:
    """One button of the editor: "add:<type>", "add:<n>-<side>:<type>", "up:<path>",
    "down:<path>", "remove:<path>", where a path is "<n>" or "<n>-<side>-<m>" (1-based). An
    operation that does not fit the list changes nothing."""
    action, _, rest = op.partition(":")
    if action == "add":
        where, _, kind = rest.rpartition(":")
        return _add(blocks, where, kind)
    if action in ("up", "down", "remove"):
        found = _locate(blocks, rest)
        if found is None:
            return blocks
        siblings, index = found
        if action == "remove":
            del siblings[index]
        else:
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(siblings):
                siblings[index], siblings[other] = siblings[other], siblings[index]
    return blocks


def _add(blocks: list[dict], where: str, kind: str) -> list[dict]:
    if not where:
        if kind in BLOCK_TYPES and len(blocks) < MAX_BLOCKS:
            blocks.append(new_block(kind))
        return blocks
    match = re.fullmatch(r"(\d{1,3})-(left|right)", where)
    if match and kind in COLUMN_TYPES:
        index = int(match.group(1)) - 1
        if 0 <= index < len(blocks) and blocks[index].get("type") == "columns":
            side = blocks[index].setdefault(match.group(2), [])
            if len(side) < MAX_COLUMN_BLOCKS:
                side.append(new_block(kind))
    return blocks


def _locate(blocks: list[dict], path: str) -> tuple[list, int] | None:
    match = re.fullmatch(r"(\d{1,3})(?:-(left|right)-(\d{1,3}))?", path)
    if not match:
        return None
    top = int(match.group(1)) - 1
    if not 0 <= top < len(blocks):
        return None
    if not match.group(2):
        return blocks, top
    side = blocks[top].get(match.group(2))
    inner = int(match.group(3)) - 1
    if blocks[top].get("type") != "columns" or not isinstance(side, list) or not 0 <= inner < len(side):
        return None
    return side, inner
