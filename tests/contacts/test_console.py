"""The Contact Book console: list, filters, pages, inline labels and stage, isolation, roles."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.catalog import make_product
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from tests.factories.orders import make_order, make_registrant
from webapp.accounts.audit import AuditEntry
from webapp.contacts import service
from webapp.contacts.models import Contact, Label
from webapp.db import utcnow
from webapp.i18n import verbatim
from webapp.orders import contact_sync
from webapp.orders.models import Registrant

HTMX = {"HX-Request": "true"}


@pytest.fixture
def org():
    return make_org()


@pytest.fixture
def manager_client(auth, org):
    return auth.client_for(make_member(org, "manager"), org)


def _names(response) -> set[str]:
    html = response.get_data(as_text=True)
    return {name for name in ("Ana", "Budi", "Citra", "Dewi") if f">{name}<" in html}


def test_contacts_need_a_manager(auth, client, org):
    door = auth.client_for(make_member(org, "door"), org)
    assert door.get("/console/contacts").status_code == 403
    assert door.post("/console/contacts/labels", data={"name": "x"}).status_code == 403
    response = client.get("/console/contacts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_search_by_name_email_and_phone(manager_client, org):
    make_contact(org, "ana@example.org", name="Ana", phone="+62 811 1111")
    make_contact(org, "budi@kopi.id", name="Budi", phone="0812 2222")
    make_contact(org, "citra@example.org", name="Citra")

    assert _names(manager_client.get("/console/contacts?q=ana")) == {"Ana"}
    assert _names(manager_client.get("/console/contacts?q=kopi.id")) == {"Budi"}
    assert _names(manager_client.get("/console/contacts?q=2222")) == {"Budi"}
    assert _names(manager_client.get("/console/contacts")) == {"Ana", "Budi", "Citra"}


def test_filter_by_label_stage_and_status(manager_client, org):
    vip = make_label(org, "VIP")
    ana = make_contact(org, name="Ana")
    budi = make_contact(org, name="Budi")
    citra = make_contact(org, name="Citra")
    service.add_label(ana, "VIP")
    service.set_stage(budi, "promoter", source="person")
    service.set_status(citra, "unsubscribed")

    assert _names(manager_client.get(f"/console/contacts?label={vip.id}")) == {"Ana"}
    assert _names(manager_client.get("/console/contacts?stage=promoter")) == {"Budi"}
    assert _names(manager_client.get("/console/contacts?status=unsubscribed")) == {"Citra"}


def _sync(*registrants):
    contact_sync.sync_registrants([r.id for r in registrants])


def test_registered_attended_and_no_show_filters(manager_client, org):
    past = make_event(org, starts_at=utcnow() - dt.timedelta(days=2), ends_at=utcnow() - dt.timedelta(days=1))
    ana = make_registrant(past, attendees=[{"name": "Ana", "email": "ana@example.org"}])
    budi = make_registrant(past, attendees=[{"name": "Budi", "email": "budi@example.org"}])
    citra = make_registrant(past, status="canceled", attendees=[{"name": "Citra", "email": "citra@example.org"}])
    dewi = make_registrant(past, status="pending", attendees=[{"name": "Dewi", "email": "dewi@example.org"}])
    _sync(ana, budi, citra, dewi)
    Registrant.update(checked_in_at=utcnow() - dt.timedelta(days=1, hours=3)).where(Registrant.id == ana.id).execute()

    base = f"/console/contacts?event={past.id}&participation="
    assert _names(manager_client.get(base + "registered")) == {"Ana", "Budi", "Citra", "Dewi"}
    assert _names(manager_client.get(base + "attended")) == {"Ana"}
    # Not canceled, paid, never checked in, after the end: only Budi.
    assert _names(manager_client.get(base + "no_show")) == {"Budi"}


def test_nobody_is_a_no_show_before_the_event_ends(manager_client, org):
    upcoming = make_event(org)
    _sync(make_registrant(upcoming, attendees=[{"name": "Ana", "email": "ana@example.org"}]))
    response = manager_client.get(f"/console/contacts?event={upcoming.id}&participation=no_show")
    assert _names(response) == set()
    assert "once" in response.get_data(as_text=True)


def test_pages_walk_every_contact_once(manager_client, org):
    ids = {make_contact(org).id for _ in range(120)}
    seen: list[int] = []
    url = "/console/contacts"
    while url:
        response = manager_client.get(url, headers=HTMX)
        html = response.get_data(as_text=True)
        seen += [int(part.split('"')[0]) for part in html.split('href="/console/contacts/')[1:] if part[0].isdigit()]
        marker = 'href="/console/contacts?after='
        url = "/console/contacts?after=" + html.split(marker)[1].split('"')[0] if marker in html else None
    assert len(seen) == 120 and set(seen) == ids
    back = manager_client.get(f"/console/contacts?before={min(seen)}", headers=HTMX).get_data(as_text=True)
    assert "Older" in back


def test_htmx_gets_the_results_fragment_only(manager_client, org):
    make_contact(org, name="Ana")
    full = manager_client.get("/console/contacts").get_data(as_text=True)
    fragment = manager_client.get("/console/contacts?q=Ana", headers=HTMX)
    assert "<html" in full and "<html" not in fragment.get_data(as_text=True)
    assert ">Ana<" in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers.get("Vary", "")


def test_another_organizations_contact_is_not_found(manager_client, org):
    other = make_org()
    theirs = make_contact(other, name="Secret Person")
    their_event = make_event(other)
    their_label = make_label(other)
    assert manager_client.get(f"/console/contacts/{theirs.id}").status_code == 404
    assert manager_client.post(f"/console/contacts/{theirs.id}/labels", data={"name": "x"}).status_code == 404
    assert manager_client.get(f"/console/contacts?event={their_event.id}").status_code == 404
    assert manager_client.get(f"/console/contacts?label={their_label.id}").status_code == 404
    assert manager_client.get(f"/console/contacts/event-labels/{their_event.id}").status_code == 404
    assert "Secret Person" not in manager_client.get("/console/contacts").get_data(as_text=True)


def test_contact_page_shows_participations_and_timeline(manager_client, org):
    event = make_event(org, name="Jakarta Summit")
    registrant = make_registrant(
        event, make_product(event, price=250000), attendees=[{"name": "Ana", "email": "ana@example.org"}]
    )
    contact = contact_sync.sync_registrant(registrant.id)
    html = manager_client.get(f"/console/contacts/{contact.id}").get_data(as_text=True)
    assert "Jakarta Summit" in html
    assert registrant.order.code in html
    assert "Registered for Jakarta Summit" in html and "Paid" in html
    assert "Customer" in html


def test_labels_are_added_and_removed_inline(manager_client, org):
    contact = make_contact(org, name="Ana")
    response = manager_client.post(f"/console/contacts/{contact.id}/labels", data={"name": "Speaker"}, headers=HTMX)
    assert response.status_code == 200
    assert "Speaker" in response.get_data(as_text=True) and "<html" not in response.get_data(as_text=True)
    label = service.find_label(org.id, "speaker")
    assert [lb.name for lb in service.labels_of(contact)] == ["Speaker"]

    response = manager_client.post(f"/console/contacts/{contact.id}/labels/{label.id}/remove", headers=HTMX)
    assert response.status_code == 200
    assert service.labels_of(contact) == []
    assert AuditEntry.select().where(AuditEntry.action == "contact.label_remove").count() == 1


def test_a_person_sets_the_stage(manager_client, org):
    contact = make_contact(org)
    response = manager_client.post(f"/console/contacts/{contact.id}/stage", data={"stage": "promoter"}, headers=HTMX)
    assert response.status_code == 200
    contact = Contact.get_by_id(contact.id)
    assert (contact.stage, contact.stage_source) == ("promoter", "person")
    assert AuditEntry.get(AuditEntry.action == "contact.stage").changes == {"stage": ["aware", "promoter"]}
    bad = manager_client.post(f"/console/contacts/{contact.id}/stage", data={"stage": "king"}, headers=HTMX)
    assert bad.status_code == 422 and Contact.get_by_id(contact.id).stage == "promoter"


def test_editing_custom_fields_with_a_bad_line_writes_nothing(manager_client, org):
    contact = make_contact(org, name="Ana", custom={"size": "M"})
    bad = manager_client.post(
        f"/console/contacts/{contact.id}/edit", data={"name": "Ana B", "custom": "size: L\nno colon here"}
    )
    assert bad.status_code == 422 and "Line 2" in bad.get_data(as_text=True)
    assert Contact.get_by_id(contact.id).name == "Ana"
    good = manager_client.post(
        f"/console/contacts/{contact.id}/edit", data={"name": "Ana B", "custom": "size: L\ndiet: vegan"}
    )
    assert good.status_code == 303
    saved = Contact.get_by_id(contact.id)
    assert saved.name == "Ana B" and saved.custom == {"size": "L", "diet": "vegan"}


def test_label_rules_page_creates_and_applies_a_stage_rule(manager_client, org):
    contact = make_contact(org)
    service.add_label(contact, "Ambassador")  # no rule yet: the stage stays
    assert Contact.get_by_id(contact.id).stage == "aware"
    label = service.find_label(org.id, "Ambassador")
    manager_client.post(
        f"/console/contacts/labels/{label.id}", data={"name": "Ambassador", "color": "#112233", "stage": "promoter"}
    )
    manager_client.post(f"/console/contacts/labels/{label.id}/apply")
    assert Contact.get_by_id(contact.id).stage == "promoter"
    response = manager_client.post("/console/contacts/labels", data={"name": "ambassador", "color": "#112233"})
    assert response.status_code == 422 and "exists already" in response.get_data(as_text=True)


@pytest.mark.parametrize("color", ["NaN", "%ED%A0%80", "%2312345g", ""])  # %ED%A0%80: a lone surrogate
def test_a_label_saved_with_a_colour_that_is_none_says_so_and_keeps_the_label(manager_client, org, color):
    label = make_label(org, "Ambassador")
    before = (label.name, label.color)
    response = manager_client.post(
        f"/console/contacts/labels/{label.id}",
        data=f"name=Renamed&color={color}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 303
    page = manager_client.get("/console/contacts/labels").get_data(as_text=True)
    assert "Ambassador: " in page and ("Use #rrggbb." in page or "This field is required." in page)
    saved = Label.get_by_id(label.id)
    assert (saved.name, saved.color) == before


def test_event_labels_page_labels_registrants(manager_client, org):
    event = make_event(org)
    contact = contact_sync.sync_registrant(make_registrant(event).id)
    response = manager_client.post(f"/console/contacts/event-labels/{event.id}", data={"name": "Summit 2026"})
    assert response.status_code == 303
    assert [lb.name for lb in service.labels_of(contact)] == ["registered", "Summit 2026"]  # and the automatic one
    page = manager_client.get(f"/console/contacts/event-labels/{event.id}").get_data(as_text=True)
    assert "Summit 2026" in page


def test_inactivity_rule_is_validated(manager_client, org):
    response = manager_client.post("/console/contacts/labels/inactivity", data={"inactivity_days": "0"})
    assert response.status_code == 422
    assert manager_client.post("/console/contacts/labels/inactivity", data={"inactivity_days": "90"}).status_code == 303


def test_two_people_of_one_order_become_two_contacts(manager_client, org):
    event = make_event(org)
    product = make_product(event)
    order = make_order(
        event,
        {product: 2},
        attendees=[{"name": "Ana", "email": "ana@example.org"}, {"name": "Budi", "email": "budi@example.org"}],
    )
    _sync(*order.registrants)
    assert _names(manager_client.get(f"/console/contacts?event={event.id}")) == {"Ana", "Budi"}


def test_admin_of_another_org_cannot_see_contacts(auth, org):
    outsider = make_user()
    make_org(owner=outsider)
    make_contact(org, name="Ana")
    client = auth.client_for(outsider)
    assert ">Ana<" not in client.get("/console/contacts").get_data(as_text=True)


def test_every_contacts_page_renders(manager_client, org):
    event = make_event(org)
    contact = contact_sync.sync_registrant(make_registrant(event).id)
    label = make_label(org, "Alumni", stage="loyal_customer")
    service.add_label(contact, label.name)
    for url in [
        "/console/contacts",
        f"/console/contacts/{contact.id}",
        f"/console/contacts/{contact.id}/timeline",
        "/console/contacts/labels",
        "/console/contacts/event-labels",
        f"/console/contacts/event-labels/{event.id}",
        "/console/contacts/import",
    ]:
        response = manager_client.get(url)
        assert response.status_code == 200, url
    assert "Alumni" in manager_client.get("/console/contacts/labels").get_data(as_text=True)


def test_timeline_pages_continue_where_they_stopped(manager_client, org):
    contact = make_contact(org)
    for n in range(45):
        service.record_activity(
            contact, "core_activity", summary=verbatim(f"entry {n:02d}"), occurred_at=utcnow() - dt.timedelta(minutes=n)
        )
    first = manager_client.get(f"/console/contacts/{contact.id}").get_data(as_text=True)
    assert "entry 00" in first and "entry 29" in first and "entry 30" not in first
    more = first.split('hx-get="/console/contacts/')[-1].split('"')[0].replace("&amp;", "&")
    rest = manager_client.get("/console/contacts/" + more, headers=HTMX).get_data(as_text=True)
    assert "entry 30" in rest and "entry 44" in rest and "entry 29" not in rest
