"""The small rules every Contact Book write shares: email normalization, how incoming data merges
into a contact, and the funnel-stage order the lifecycle rules climb.

Merge rule: a non-empty incoming value replaces the stored one (the newest answer wins); an empty
or missing value never erases anything. Custom fields merge key by key the same way.

Lifecycle rules (never from opens or clicks): a stage changes by a person, by a label rule, or by
inactivity.
- a label with a stage sets exactly that stage when the label is added ("rule:<label>");
- registering, paying, attending and paying for a second event add the organization's automatic
  labels (webapp/contacts/funnel.py); their rules only raise (to at least the label's stage), so a
  stage set by a person is never lowered by a registration or a payment;
- with an inactivity period set, a contact quiet for that long moves to "lost".
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from typing import Any

from webapp.contacts.models import FUNNEL_STAGES
from webapp.email_address import is_valid_email

STAGE_LABELS = {
    "aware": "Aware",
    "engaged": "Engaged",
    "customer": "Customer",
    "loyal_customer": "Loyal customer",
    "promoter": "Promoter",
    "lost": "Lost",
}
# "lost" ranks lowest: any engagement rule brings a lost contact back.
STAGE_RANK = {"lost": 0, "aware": 1, "engaged": 2, "customer": 3, "loyal_customer": 4, "promoter": 5}
assert set(STAGE_RANK) == set(FUNNEL_STAGES)

# Timeline kinds written by operators or rules, not by the person: they do not count as activity
# for the inactivity rule.
OPERATOR_KINDS = frozenset(
    {"label_added", "label_removed", "stage_changed", "status_changed", "edited", "imported", "workflow"}
)

TEXT_LIMITS = {"name": 200, "phone": 40, "company": 200}
CUSTOM_KEY_LIMIT = 64
CUSTOM_VALUE_LIMIT = 1000


@functools.lru_cache(maxsize=4096)
def normalize_email(email: str | None) -> str:
    """The form of an address contacts are keyed by: trimmed and lower-cased. "" when the value
    cannot be an address (no "@", spaces inside, too long)."""
    value = (email or "").strip().strip("<>").strip().lower()
    return value if is_valid_email(value) else ""


def new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(24)


def clean_text(value: Any, field: str) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    return text[: TEXT_LIMITS[field]]


def clean_custom(custom: dict | None) -> dict[str, Any]:
    """Keys trimmed (at most 64 characters), empty values dropped, long strings cut."""
    out: dict[str, Any] = {}
    for key, value in (custom or {}).items():
        key = " ".join(str(key).split())[:CUSTOM_KEY_LIMIT]
        if not key or value is None or value == "" or value == []:
            continue
        if isinstance(value, str):
            value = value.strip()[:CUSTOM_VALUE_LIMIT]
            if not value:
                continue
        out[key] = value
    return out


def incoming_fields(*, name=None, phone=None, company=None, custom=None, user_id=None) -> dict[str, Any]:
    """The non-empty values of an upsert, cleaned."""
    data: dict[str, Any] = {}
    for field, value in (("name", name), ("phone", phone), ("company", company)):
        text = clean_text(value, field)
        if text:
            data[field] = text
    cleaned = clean_custom(custom)
    if cleaned:
        data["custom"] = cleaned
    if user_id not in (None, ""):
        data["user_id"] = str(user_id).strip()[:128]
    return data


def merge_into(target: dict[str, Any], incoming: dict[str, Any]) -> None:
    """Merge `incoming` (as made by incoming_fields) into another incoming dict."""
    for key, value in incoming.items():
        if key == "custom":
            target.setdefault("custom", {}).update(value)
        else:
            target[key] = value


def merge(contact, incoming: dict[str, Any]) -> dict[str, list]:
    """Apply `incoming` to `contact` without erasing; returns {field: [old, new]} of what changed."""
    changes: dict[str, list] = {}
    for field in ("name", "phone", "company", "user_id"):
        new = incoming.get(field)
        old = getattr(contact, field)
        if new and new != old:
            changes[field] = [old, new]
            setattr(contact, field, new)
    if incoming.get("custom"):
        old_custom = dict(contact.custom or {})
        new_custom = {**old_custom, **incoming["custom"]}
        if new_custom != old_custom:
            changes["custom"] = [old_custom, new_custom]
            contact.custom = new_custom
    return changes


def raised_stage(current: str, floor: str) -> str | None:
    """The stage a "raise to at least `floor`" rule moves a contact to, or None to stay."""
    return floor if STAGE_RANK[current] < STAGE_RANK[floor] else None


def stage_change(old: str, new: str, source: str) -> dict[str, str]:
    """What a stage change announces (the contact_updated signal, the contact.stage_changed webhook)."""
    return {"from": old, "to": new, "source": source[:32], "changed_at": dt.datetime.now(dt.UTC).isoformat()[:26] + "Z"}


def later(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def answer_text(value: Any) -> str:
    """A registration answer as contact-field text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if v not in (None, ""))
    return str(value).strip()


def stage_label(stage: str | None) -> str:
    return STAGE_LABELS.get(stage or "", stage or "")
