"""Bulk actions on selected rows and on the whole filtered set."""

from __future__ import annotations

from tests.factories.orders import make_order, make_registrant
from webapp.accounts.audit import AuditEntry
from webapp.contacts.models import Contact, ContactLabel, Label
from webapp.mail.models import Outbox
from webapp.orders.models import Order, Registrant
from webapp.work.models import Job


def bulk(desk, action, ids=(), scope="selected", **extra):
    data = {"action": action, "scope": scope, "ids": [str(i) for i in ids], **extra}
    return desk.client.post(
        f"/console/events/{desk.event.id}/registrants/bulk", data=data, headers={"HX-Request": "true"}
    )


def fresh(registrant):
    return Registrant.get_by_id(registrant.id)


def test_cancel_selected_rows_only(desk):
    a, b, c = (make_registrant(desk.event, buyer_name=n) for n in ("Ana", "Budi", "Citra"))
    response = bulk(desk, "cancel", [a.id, b.id])
    assert response.status_code == 200 and "2 done" in response.text
    assert fresh(a).canceled and fresh(b).canceled and not fresh(c).canceled
    assert AuditEntry.select().where(AuditEntry.action == "registrant.cancel").count() == 2


def test_already_canceled_rows_are_counted_as_unchanged(desk):
    a = make_registrant(desk.event, buyer_name="Ana")
    bulk(desk, "cancel", [a.id])
    response = bulk(desk, "cancel", [a.id])
    assert "0 done" in response.text and "1 unchanged" in response.text


def test_approve_and_decline_pending_registrations(desk):
    waiting = make_order(desk.event, status="pending", approval="pending", expires_at=None, buyer_name="Wait A")
    other = make_order(desk.event, status="pending", approval="pending", expires_at=None, buyer_name="Wait B")
    bulk(desk, "approve", [waiting.registrants.get().id])
    bulk(desk, "decline", [other.registrants.get().id])
    assert Order.get_by_id(waiting.id).approval == "approved"
    assert Order.get_by_id(other.id).approval == "declined"


def test_add_label_labels_the_registrants_contacts(desk):
    a = make_registrant(desk.event, buyer_name="Ana", buyer_email="ana@example.org")
    response = bulk(desk, "label", [a.id], label="Speaker")
    assert response.status_code == 200, response.text
    contact = Contact.get(Contact.email == "ana@example.org")
    label = Label.get((Label.organization == desk.org.id) & (Label.name == "Speaker"))
    assert ContactLabel.select().where((ContactLabel.contact == contact) & (ContactLabel.label == label)).exists()


def test_add_label_needs_a_label_name(desk):
    a = make_registrant(desk.event)
    response = bulk(desk, "label", [a.id], label="  ")
    assert response.status_code == 422 and "Type the label" in response.text


def test_resend_tickets_queues_one_email_per_admitted_registrant(desk):
    paid = make_registrant(desk.event, buyer_name="Paid")
    unpaid = make_order(desk.event, status="pending", buyer_name="Unpaid").registrants.get()
    response = bulk(desk, "resend", [paid.id, unpaid.id])
    assert "1 done" in response.text and "1 unchanged" in response.text
    assert Outbox.select().where((Outbox.registrant_id == paid.id) & (Outbox.kind == "ticket")).count() == 1
    assert not Outbox.select().where(Outbox.registrant_id == unpaid.id).exists()


def test_action_on_the_whole_filtered_set_runs_as_a_job(desk):
    vips = [make_registrant(desk.event, desk.vip, buyer_name=f"Vip {i}") for i in range(3)]
    regular = make_registrant(desk.event, buyer_name="Regular Person")
    response = bulk(desk, "cancel", scope="all", product=str(desk.vip.id))
    assert response.status_code == 200
    job = Job.get()
    assert job.kind == "bulk" and job.state == "done" and job.updated_rows == 3
    assert all(fresh(v).canceled for v in vips) and not fresh(regular).canceled
    assert 'hx-trigger="load delay:500ms"' not in desk.client.get(f"/console/jobs/{job.id}").text


def test_ids_of_another_event_are_ignored(desk):
    from tests.factories.accounts import make_org
    from tests.factories.events import make_event

    foreign = make_registrant(make_event(make_org()), buyer_name="Foreign")
    response = bulk(desk, "cancel", [foreign.id])
    assert "0 done" in response.text
    assert not fresh(foreign).canceled


def test_nothing_selected_is_an_error_beside_the_bar(desk):
    make_registrant(desk.event)
    response = bulk(desk, "cancel", [])
    assert response.status_code == 422 and "Select at least one" in response.text
