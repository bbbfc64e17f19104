"""The composer's posted fields read together: the campaign form, the block editor's fields, the
recipients chooser's fields; the campaign's new values, or what is wrong beside each field."""

from __future__ import annotations

import re
from collections.abc import Mapping

from webapp.accounts.models import Organization
from webapp.campaigns import block_editor
from webapp.campaigns.composer import BodyInvalid, clean_body
from webapp.campaigns.forms import CampaignForm
from webapp.campaigns.models import REGISTRANT_STATES, Campaign
from webapp.guards import row_id


def _ids(data: Mapping, name: str) -> list[int]:
    out = []
    for text in data.getlist(name):
        try:
            out.append(row_id(text))
        except ValueError:
            continue
    return out


def read_audience(data: Mapping) -> dict:
    """The recipients chooser's fields as an audience (checked by audience.clean)."""
    event_id = data.get("aud-event_id", type=row_id)
    states = [s for s in data.getlist("aud-states") if s in REGISTRANT_STATES]
    return {
        "all_subscribed": data.get("aud-all") == "y",
        "include_labels": _ids(data, "aud-include_labels"),
        "include_segments": _ids(data, "aud-include_segments"),
        "exclude_labels": _ids(data, "aud-exclude_labels"),
        "exclude_segments": _ids(data, "aud-exclude_segments"),
        "event_registrants": {"event_id": event_id, "states": states or ["registered"]} if event_id else None,
        "project_id": data.get("aud-project_id", type=row_id),
        "newsletter_id": data.get("aud-newsletter_id", type=row_id),
    }


def block_errors_by_number(errors: list[str]) -> dict[int, list[str]]:
    by_block: dict[int, list[str]] = {}
    for message in errors:
        match = re.match(r"^\D*?(\d+)", message)
        if match:
            by_block.setdefault(int(match.group(1)), []).append(message)
    return by_block


class ComposeForm:
    """The composer's state as posted: the form, the blocks, the audience and what is wrong."""

    def __init__(self, campaign: Campaign, form: CampaignForm, data: Mapping, org: Organization):
        self.campaign = campaign
        self.form = form
        self.org = org
        self.mode = form.mode.data if form.mode.data in ("blocks", "html") else "blocks"
        self.blocks = block_editor.read(data) if self.mode == "blocks" else []
        self.audience = read_audience(data)
        self.block_errors: list[str] = []
        self.audience_error = ""

    def values(self) -> dict | None:
        """The campaign's new values, or None when something is wrong (the errors are set)."""
        form = self.form
        values = {
            name: getattr(form, name).data or ""
            for name in ("name", "subject", "preheader", "from_name", "from_email", "reply_to", "category")
        }
        values.update(
            track_opens=form.track_opens.data,
            track_clicks=form.track_clicks.data,
            send_time_optimization=form.send_time_optimization.data,
            audience=self.audience,
        )
        try:
            body = clean_body(
                self.org,
                blocks=self.blocks if self.mode == "blocks" else None,
                html=form.body_html.data if self.mode == "html" else None,
                text=form.body_text.data,
                subject=values["subject"],
            )
        except BodyInvalid as exc:
            if exc.field == "blocks":
                self.block_errors = exc.errors
            else:
                getattr(form, "body_text" if exc.field == "text" else "body_html").errors.append(str(exc))
            return None
        values.update(body_blocks=body.blocks, body_html=body.html, body_text=body.text)
        return values

    def as_campaign(self) -> Campaign:
        """An unsaved copy of the campaign with the posted values (for the preview)."""
        values = self.values() or {}
        copy = Campaign(**{**self.campaign.__data__, **{k: v for k, v in values.items() if k != "audience"}})
        copy.organization = self.campaign.organization
        return copy
