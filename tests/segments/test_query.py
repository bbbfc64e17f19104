"""Segment membership: what each kind of condition holds, and groups, negation and paging."""

from __future__ import annotations

import datetime as dt

from tests.factories.catalog import make_product
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from tests.segments.helpers import attach, cond, group
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.db import utcnow
from webapp.segments import query
from webapp.segments.tree import validate


def emails(org, tree) -> set[str]:
    return {c.email for c in query.members(org.id, validate(org.id, tree))}


def test_contact_fields_match_case_insensitively_and_negate_to_the_rest(org):
    make_contact(org, "ana@example.org", name="Ana Putri")
    make_contact(org, "budi@corp.test", name="Budi Santoso")
    make_contact(org, "citra@example.org", name="")

    assert emails(org, group(cond("name", "contains", "PUTRI"))) == {"ana@example.org"}
    assert emails(org, group(cond("name", "starts_with", "bu"))) == {"budi@corp.test"}
    assert emails(org, group(cond("name", "is_empty"))) == {"citra@example.org"}
    assert emails(org, group(cond("email_domain", "equals", "Example.org"))) == {"ana@example.org", "citra@example.org"}
    negated = group({**cond("email_domain", "equals", "example.org"), "negate": True})
    assert emails(org, negated) == {"budi@corp.test"}


def test_labels_any_all_and_none(org):
    vip, speaker = make_label(org, "VIP"), make_label(org, "Speaker")
    ana, budi, _citra = (make_contact(org, f"{n}@example.org") for n in ("ana", "budi", "citra"))
    contacts.add_label(ana, "VIP")
    contacts.add_label(ana, "Speaker")
    contacts.add_label(budi, "VIP")

    assert emails(org, group(cond("labels", "any_of", [vip.id, speaker.id]))) == {"ana@example.org", "budi@example.org"}
    assert emails(org, group(cond("labels", "all_of", [vip.id, speaker.id]))) == {"ana@example.org"}
    assert emails(org, group(cond("labels", "none_of", [speaker.id]))) == {"budi@example.org", "citra@example.org"}


def test_registered_and_attended_for_an_event_with_nested_groups(org):
    summit, workshop = make_event(org, tags=["summit"]), make_event(org, tags=["workshop"])
    ana, budi, citra = (make_contact(org, f"{n}@example.org") for n in ("ana", "budi", "citra"))
    attach(make_registrant(summit), ana)
    attach(make_registrant(workshop), budi, checked_in_at=utcnow())
    attach(make_registrant(workshop, status="pending"), citra)

    assert emails(org, group(cond("registered", "exists", event_id=summit.id))) == {"ana@example.org"}
    assert emails(org, group(cond("registered", "exists", event_tag="Workshop"))) == {"budi@example.org"}
    assert emails(org, group(cond("attended", "exists"))) == {"budi@example.org"}
    assert emails(org, group(cond("order_status", "any_of", ["pending"]))) == {"citra@example.org"}
    nested = group(
        cond("stage", "equals", "aware"),
        group(
            cond("registered", "exists", event_id=summit.id),
            group(cond("attended", "at_least", 1), cond("registered", "at_most", 0), join="or"),
            join="or",
        ),
    )
    assert emails(org, nested) == {"ana@example.org", "budi@example.org", "citra@example.org"}
    assert emails(org, group(cond("registered", "at_most", 0))) == {"citra@example.org"}


def test_no_show_is_a_paid_registrant_of_an_ended_event_never_checked_in(org):
    past = make_event(org, starts_at=utcnow() - dt.timedelta(days=3))
    coming = make_event(org)
    ana, budi, citra = (make_contact(org, f"{n}@example.org") for n in ("ana", "budi", "citra"))
    attach(make_registrant(past), ana)
    attach(make_registrant(past), budi, checked_in_at=utcnow() - dt.timedelta(days=3))
    attach(make_registrant(coming), citra)

    assert emails(org, group(cond("no_show", "exists"))) == {"ana@example.org"}


def test_product_and_custom_fields(org):
    event = make_event(org)
    vip = make_product(event, name="VIP")
    ana = make_contact(org, "ana@example.org", custom={"city": "Jakarta", "age": 31, "joined": "2024-02-01"})
    make_contact(org, "budi@example.org", custom={"city": "Bandung", "age": "31"})
    attach(make_registrant(event, vip), ana)

    assert emails(org, group(cond("product", "any_of", [vip.id]))) == {"ana@example.org"}
    assert emails(org, group(cond("custom_field", "equals", "jakarta", field="city"))) == {"ana@example.org"}
    number = cond("custom_field", "at_least", 30, field="age", field_type="number")
    assert emails(org, group(number)) == {"ana@example.org"}  # "31" is text, not a number
    date = cond("custom_field", "before", "2024-03-01", field="joined", field_type="date")
    assert emails(org, group(date)) == {"ana@example.org"}
    empty = cond("custom_field", "is_empty", field="joined", field_type="date")
    assert emails(org, group(empty)) == {"budi@example.org"}


def test_pages_follow_ids_and_search_narrows(org):
    for n in range(5):
        make_contact(org, f"p{n}@example.org", name=f"Person {n}")
    tree = validate(org.id, group())
    first = query.page(org.id, tree, limit=2)
    second = query.page(org.id, tree, after_id=first.next_after_id, limit=2)
    third = query.page(org.id, tree, after_id=second.next_after_id, limit=2)
    assert [c.email for c in first.contacts + second.contacts + third.contacts] == [
        f"p{n}@example.org" for n in range(5)
    ]
    assert third.next_after_id is None
    assert [c.email for c in query.page(org.id, tree, search="SON 3").contacts] == ["p3@example.org"]
    assert query.count(org.id, tree) == 5
    assert [c.email for c in query.sample(org.id, tree, limit=2)] == ["p4@example.org", "p3@example.org"]
    assert Contact.select().count() == 5


def test_tracked_events_at_least_n_times_within_days_or_never(org):
    from webapp.contacts.ingest_models import IncomingEvent

    ana, budi, _citra = (make_contact(org, f"{n}@example.org") for n in ("ana", "budi", "citra"))
    now = utcnow()
    for days_ago, contact, plan in ((1, ana, "pro"), (2, ana, "free"), (40, budi, "pro")):
        IncomingEvent.create(
            organization=org.id, type="purchase", occurred_at=now - dt.timedelta(days=days_ago),
            properties={"plan": plan}, status="processed", contact_id=contact.id,
        )  # fmt: skip
    twice = cond("tracked", "at_least", 2, event_type="purchase", days=30)
    assert emails(org, group(twice)) == {"ana@example.org"}
    pro = cond("tracked", "at_least", 1, event_type="purchase", property="plan", property_value="pro")
    assert emails(org, group(pro)) == {"ana@example.org", "budi@example.org"}
    assert emails(org, group(cond("tracked", "never", event_type="purchase", days=30))) == {
        "budi@example.org",
        "citra@example.org",
    }


def test_mail_received_opened_and_clicked(org):
    from webapp.mail.models import MailEngagement, Outbox

    ana, budi, _citra = (make_contact(org, f"{n}@example.org") for n in ("ana", "budi", "citra"))

    def sent(contact, send_key, state="sent"):
        return Outbox.create(
            organization=org.id, message_id=f"<{contact.id}.{send_key}@test>", kind="ticket", to_email=contact.email,
            from_email="events@example.org", subject="Hi", text_body="Hi", send_key=send_key, contact_id=contact.id,
            state=state, sent_at=utcnow() if state == "sent" else None,
        )  # fmt: skip

    ticket = sent(ana, "ticket")
    sent(budi, "automation:3", state="failed")
    MailEngagement.create(organization=org.id, outbox=ticket, contact_id=ana.id, kind="open")
    MailEngagement.create(organization=org.id, outbox=ticket, contact_id=ana.id, kind="click", machine=True)

    assert emails(org, group(cond("mail_received", "exists"))) == {"ana@example.org"}
    assert emails(org, group(cond("mail_received", "exists", send_key="automation:3"))) == set()
    assert emails(org, group(cond("mail_opened", "exists", send_key="ticket", days=7))) == {"ana@example.org"}
    assert emails(org, group(cond("mail_clicked", "exists"))) == set()  # a link scanner's click is no click
