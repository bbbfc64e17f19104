import io

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from tests.orders.helpers import form, register_url
from webapp.mail.models import Outbox
from webapp.orders import invitations
from webapp.orders.models import Invitation, Order


def test_invite_only_event_refuses_registration_without_an_invitation(client):
    event = make_event(make_org(), invite_only=True)
    ticket = make_product(event)
    page = client.get(register_url(event)).get_data(as_text=True)
    assert "by invitation only" in page and "Invitation code" in page
    response = client.post(register_url(event), data=form({ticket: 1}))
    assert response.status_code == 422 and Order.select().count() == 0
    response = client.post(register_url(event), data=form({ticket: 1}, invite="WRONGCODE1"))
    assert response.status_code == 422 and Order.select().count() == 0


def test_personal_invitation_is_emailed_and_works_once(client):
    org = make_org()
    event = make_event(org, invite_only=True)
    ticket = make_product(event)
    invitation = invitations.create(event, email="guest@example.org", name="Guest", actor=None)
    mail = Outbox.get(Outbox.kind == "invitation")
    assert mail.to_email == "guest@example.org" and f"invite={invitation.code}" in mail.text_body
    landing = client.get(register_url(event) + f"?invite={invitation.code.lower()}").get_data(as_text=True)
    assert 'name="invite"' in landing and ticket.name in landing
    assert client.post(register_url(event), data=form({ticket: 1}, invite=invitation.code)).status_code == 303
    assert Invitation.get_by_id(invitation.id).times_used == 1
    again = client.post(
        register_url(event), data=form({ticket: 1}, invite=invitation.code, buyer_email="x@example.org")
    )
    assert again.status_code == 422 and Order.select().count() == 1


def test_invitation_unlocks_hidden_products(client):
    event = make_event(make_org())
    make_product(event, name="General")
    vip = make_product(event, name="VIP dinner", hidden=True)
    invitation = invitations.create(event, email="vip@example.org", product_ids=[vip.id], actor=None)
    assert "VIP dinner" not in client.get(register_url(event)).get_data(as_text=True)
    assert "VIP dinner" in client.get(register_url(event) + f"?invite={invitation.code}").get_data(as_text=True)


def test_csv_of_invitees_reports_bad_rows(auth):
    org = make_org()
    event = make_event(org, invite_only=True)
    client = auth.client_for(make_member(org), org)
    csv = "email,name\nana@example.org,Ana\nnot-an-email,Bad\n\nbudi@example.org,Budi\nana@example.org,Ana again\n"
    response = client.post(
        f"/console/events/{event.id}/invitations",
        data={"csv": (io.BytesIO(csv.encode()), "invitees.csv")},
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Line 3: not-an-email is not an email address" in body
    assert sorted(i.email for i in Invitation.select()) == ["ana@example.org", "budi@example.org"]
    assert Outbox.select().where(Outbox.kind == "invitation").count() == 2


def test_an_invitees_name_over_200_characters_is_reported_not_cut(auth):
    """The name greets them in the invitation and becomes their name at checkout, where it would be
    refused: it is reported on its line, and a name typed in the form is refused the same way."""
    org = make_org()
    event = make_event(org, invite_only=True)
    client = auth.client_for(make_member(org), org)
    csv = f"email,name\nana@example.org,{'A' * 201}\nbudi@example.org,Budi\n"
    response = client.post(
        f"/console/events/{event.id}/invitations",
        data={"csv": (io.BytesIO(csv.encode()), "invitees.csv")},
        content_type="multipart/form-data",
    )
    assert "Line 2: Keep the name to 200 characters or fewer." in response.get_data(as_text=True)
    assert [i.email for i in Invitation.select()] == ["budi@example.org"]
    response = client.post(
        f"/console/events/{event.id}/invitations", data={"email": "cici@example.org", "name": "Ci\nci"}
    )
    assert "Write the name on one line" in response.get_data(as_text=True)
    assert Invitation.select().count() == 1


def test_a_semicolon_separated_windows_csv_of_invitees_is_read(auth):
    """Excel in many languages writes ";" between cells, in Windows-1252."""
    org = make_org()
    event = make_event(org, invite_only=True)
    client = auth.client_for(make_member(org), org)
    csv = "email;name\nzoe@example.org;Zoë Núñez\n"
    response = client.post(
        f"/console/events/{event.id}/invitations",
        data={"csv": (io.BytesIO(csv.encode("cp1252")), "invitees.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert [(i.email, i.name) for i in Invitation.select()] == [("zoe@example.org", "Zoë Núñez")]


def test_registration_waits_for_approval_then_is_accepted(auth, client):
    org = make_org()
    event = make_event(org, requires_approval=True)
    ticket = make_product(event, price=0)
    response = client.post(register_url(event), data=form({ticket: 1}))
    order = Order.get()
    assert order.status == "pending" and order.approval == "pending" and order.expires_at is None
    assert "Waiting for approval" in client.get(response.headers["Location"]).get_data(as_text=True)
    operator = auth.client_for(make_member(org), org)
    assert order.code in operator.get(f"/console/events/{event.id}/approvals").get_data(as_text=True)
    operator.post(f"/console/orders/{order.id}/approve")
    order = Order.get_by_id(order.id)
    assert order.approval == "approved" and order.status == "paid"
    assert Outbox.get(Outbox.kind == "order.approved").to_email == "ana@example.org"


def test_console_pages_are_scoped_to_the_organization(auth):
    org, other = make_org(), make_org()
    theirs = make_event(other)
    their_order = make_order(theirs)
    client = auth.client_for(make_member(org), org)
    for url in (
        f"/console/events/{theirs.id}/orders",
        f"/console/orders/{their_order.id}",
        f"/console/events/{theirs.id}/approvals",
        f"/console/events/{theirs.id}/invitations",
        f"/console/events/{theirs.id}/waiting-list",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/console/orders/{their_order.id}/cancel").status_code == 404
    assert Order.get_by_id(their_order.id).status == "paid"


def test_operator_sees_and_cancels_an_order(auth):
    org = make_org()
    event = make_event(org)
    order = make_order(event, buyer_name="Citra Dewi")
    client = auth.client_for(make_member(org), org)
    listing = client.get(f"/console/events/{event.id}/orders?q=citra").get_data(as_text=True)
    assert order.code in listing
    fragment = client.get(f"/console/events/{event.id}/orders?q=nobody", headers={"HX-Request": "true"})
    assert "No orders match." in fragment.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    assert "Mark refunded" in client.get(f"/console/orders/{order.id}").get_data(as_text=True)
    client.post(f"/console/orders/{order.id}/cancel", data={"reason": "Duplicate"})
    assert Order.get_by_id(order.id).status == "canceled"


def test_door_staff_cannot_reach_order_pages(auth):
    org = make_org()
    event = make_event(org)
    order = make_order(event)
    client = auth.client_for(make_member(org, role="door"), org)
    assert client.get(f"/console/orders/{order.id}").status_code == 403


def test_bank_transfer_marked_paid_from_the_console(auth):
    org = make_org()
    event = make_event(org)
    ticket = make_product(event, price=150000)
    order = make_order(event, {ticket: 1}, status="pending", gateway="bank")
    client = auth.client_for(make_member(org), org)
    client.post(f"/console/orders/{order.id}/mark-paid", data={"gateway": "bank"})
    assert Order.get_by_id(order.id).status == "paid"
    page = client.get(f"/console/orders/{order.id}").get_data(as_text=True)
    assert "Payments" in page and "bank" in page
