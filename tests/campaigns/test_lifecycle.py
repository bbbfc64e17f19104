import pytest

from tests.factories.accounts import make_org
from webapp.campaigns import lifecycle
from webapp.campaigns.models import Campaign


def _campaign(**kwargs) -> Campaign:
    return Campaign.create(organization=make_org(), name="Doors open", **kwargs)


def test_a_draft_is_scheduled_then_canceled_back_to_draft(app):
    campaign = _campaign()
    assert lifecycle.move(campaign, "schedule") == "scheduled"
    assert lifecycle.move(campaign, "cancel_schedule") == "draft"
    assert Campaign.get_by_id(campaign.id).state == "draft"


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("sending", "edit"),
        ("sent", "cancel_schedule"),
        ("draft", "pause"),
        ("paused", "send"),
        ("reported", "edit"),
        ("draft", "report"),
    ],
)
def test_a_transition_the_lifecycle_does_not_allow_names_the_state(app, state, action):
    campaign = _campaign(state=state)
    with pytest.raises(lifecycle.TransitionError) as caught:
        lifecycle.move(campaign, action)
    assert caught.value.state == state
    assert state in str(caught.value)
    assert Campaign.get_by_id(campaign.id).state == state


def test_two_racing_transitions_make_one(app):
    campaign = _campaign(state="scheduled")
    stale = Campaign.get_by_id(campaign.id)
    lifecycle.move(campaign, "send")
    with pytest.raises(lifecycle.TransitionError) as caught:
        lifecycle.move(stale, "cancel_schedule")
    assert caught.value.state == "sending"


def test_sending_pauses_resumes_and_finishes_then_is_reported(app):
    campaign = _campaign(state="sending")
    for action, state in [("pause", "paused"), ("resume", "sending"), ("finish", "sent"), ("report", "reported")]:
        assert lifecycle.move(campaign, action) == state
