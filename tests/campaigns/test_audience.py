import pytest

from tests.factories.accounts import make_org
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.campaigns import audience
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.orders.models import Registrant
from webapp.segments.models import Segment


def _labelled(org, label, n, **kwargs):
    people = [make_contact(org, **kwargs) for _ in range(n)]
    for person in people:
        contacts.add_label(person, label.name)
    return people


def test_labels_minus_excluded_segment_counted_with_the_unsubscribed_apart(app):
    org = make_org()
    vip, staff = make_label(org, "VIP"), make_label(org, "Staff")
    fans = _labelled(org, vip, 4)
    contacts.unsubscribe(fans[0])
    _labelled(org, staff, 2)
    make_contact(org)  # in no label
    gmail = Segment.create(
        organization=org,
        name="Gmail",
        tree={
            "type": "group",
            "join": "and",
            "negate": False,
            "children": [
                {
                    "type": "condition",
                    "dimension": "email",
                    "operator": "equals",
                    "negate": False,
                    "value": fans[1].email,
                }
            ],
        },
    )
    chosen = audience.clean(org.id, {"include_labels": [vip.id, staff.id], "exclude_segments": [gmail.id]})
    assert audience.count(org.id, chosen) == {"recipients": 4, "skipped": 1, "matched": 5}


def test_all_subscribed_is_every_active_contact_of_the_organization_only(app):
    org, other = make_org(), make_org()
    for _ in range(3):
        make_contact(org)
    make_contact(other)
    bounced = make_contact(org)
    contacts.mark_bounced(org.id, bounced.email)
    assert audience.count(org.id, audience.clean(org.id, {"all_subscribed": True}))["recipients"] == 3


def test_event_registrants_by_state(app):
    org = make_org()
    event = make_event(org)
    came, stayed_home, unpaid = make_contact(org), make_contact(org), make_contact(org)
    for contact, kwargs in ((came, {}), (stayed_home, {}), (unpaid, {"status": "pending"})):
        registrant = make_registrant(event, buyer_email=contact.email, **kwargs)
        Registrant.update(contact=contact).where(Registrant.id == registrant.id).execute()
    Registrant.update(checked_in_at=event.starts_at).where(Registrant.contact == came.id).execute()

    def count(*states):
        chosen = audience.clean(org.id, {"event_registrants": {"event_id": event.id, "states": list(states)}})
        return audience.count(org.id, chosen)["recipients"]

    assert count("attended") == 1
    assert count("paid") == 2
    assert count("pending_payment") == 1
    assert count("attended", "pending_payment") == 2


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"include_labels": "1"}, "audience.include_labels"),
        ({"include_labels": [True]}, "audience.include_labels[0]"),
        ({"include_segments": [999999]}, "audience.include_segments[0]"),
        ({"event_registrants": {"event_id": 999999, "states": ["paid"]}}, "audience.event_registrants.event_id"),
        ({"all_subscribed": "yes"}, "audience.all_subscribed"),
        ({"everyone": True}, "audience.everyone"),
    ],
)
def test_a_bad_audience_names_the_bad_key(app, raw, field):
    with pytest.raises(audience.AudienceError) as caught:
        audience.clean(make_org().id, raw)
    assert caught.value.field == field


def test_another_organizations_label_is_refused(app):
    label = make_label(make_org())
    with pytest.raises(audience.AudienceError):
        audience.clean(make_org().id, {"include_labels": [label.id]})


def test_resolution_writes_one_row_per_contact_and_records_why_some_are_skipped(app):
    org = make_org()
    vip = make_label(org, "VIP")
    people = _labelled(org, vip, 7)
    contacts.unsubscribe(people[2])
    Contact.update(status="pending").where(Contact.id == people[3].id).execute()
    campaign = Campaign.create(
        organization=org, name="News", audience=audience.clean(org.id, {"include_labels": [vip.id]})
    )
    after = 0
    while (after := audience.resolve_batch(campaign, after, limit=3)) is not None:
        pass
    audience.resolve_batch(campaign, 0)  # again: nothing doubles
    rows = {r.contact_id: r for r in CampaignRecipient.select().where(CampaignRecipient.campaign == campaign)}
    assert len(rows) == 7
    assert rows[people[2].id].status == "skipped" and rows[people[2].id].skip_reason == "unsubscribed"
    assert rows[people[3].id].skip_reason == "pending"
    assert sum(r.status == "queued" for r in rows.values()) == 5
