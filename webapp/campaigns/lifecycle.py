"""The campaign lifecycle, in one place: draft -> scheduled -> sending -> sent -> reported.

Only a draft is editable. A scheduled campaign goes back to draft when its schedule is canceled
(until its send time). A sending campaign can be paused (by an operator, or by itself after a run
of SMTP failures) and resumed. "sent" means every recipient has an outcome; "reported" that the
organization's engagement window closed and the report was frozen.
"""

from __future__ import annotations

from webapp.campaigns.models import Campaign

TRANSITIONS: dict[str, dict[str, str]] = {
    # action: {from state: to state}
    "edit": {"draft": "draft"},
    "schedule": {"draft": "scheduled"},
    "send": {"draft": "sending", "scheduled": "sending"},
    "cancel_schedule": {"scheduled": "draft"},
    "pause": {"sending": "paused"},
    "resume": {"paused": "sending"},
    "finish": {"sending": "sent"},
    "report": {"sent": "reported"},
}


class TransitionError(Exception):
    """The campaign's state does not allow the action (the API answers 409 naming the state)."""

    def __init__(self, action: str, state: str):
        self.action = action
        self.state = state
        super().__init__(f"cannot {action.replace('_', ' ')} a campaign that is {state}")


def allowed(action: str, state: str) -> bool:
    return state in TRANSITIONS[action]


def target(campaign: Campaign, action: str) -> str:
    """The state `action` takes the campaign to, or TransitionError."""
    to = TRANSITIONS[action].get(campaign.state)
    if to is None:
        raise TransitionError(action, campaign.state)
    return to


def move(campaign: Campaign, action: str, **values) -> str:
    """Apply `action` with one conditional UPDATE (state as read), so two racing requests make one
    transition; the loser gets TransitionError naming the state it found."""
    to = target(campaign, action)
    changed = (
        Campaign.update(state=to, **values)
        .where((Campaign.id == campaign.id) & (Campaign.state == campaign.state))
        .execute()
    )
    if not changed:
        fresh = Campaign.get_or_none(Campaign.id == campaign.id)
        raise TransitionError(action, fresh.state if fresh else "deleted")
    campaign.state = to
    for key, value in values.items():
        setattr(campaign, key, value)
    return to
