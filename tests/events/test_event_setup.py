import datetime as dt

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from webapp.accounts.audit import AuditEntry
from webapp.events.models import Event

DETAILS = {
    "name": "Jakarta Dev Summit",
    "slug": "",
    "summary": "Talks and workshops",
    "description_md": "## Program\n\nHello <script>alert('x')</script> **world**",
    "timezone": "Asia/Jakarta",
    "starts_at": "2027-03-06T09:00",
    "ends_at": "2027-03-06T17:00",
    "venue_name": "JCC",
    "venue_address": "Jl. Gatot Subroto",
    "online_url": "",
    "tags": "tech, python, Tech",
    "currency": "IDR",
    "language": "en",
}


def _manager(auth, org=None):
    org = org or make_org(timezone="Asia/Jakarta")
    user = make_member(org, "manager")
    return org, user, auth.client_for(user, org)


def test_create_event_stores_utc_from_wall_clock_in_event_timezone(app, auth):
    org, user, client = _manager(auth)
    response = client.post("/console/events/new", data=DETAILS)
    assert response.status_code == 303
    event = Event.get(Event.organization == org.id)
    assert event.slug == "jakarta-dev-summit"
    assert event.status == "draft"
    assert event.starts_at == dt.datetime(2027, 3, 6, 2, 0)  # 09:00 WIB is 02:00 UTC
    assert event.ends_at == dt.datetime(2027, 3, 6, 10, 0)
    assert event.tags == ["tech", "python"]
    assert AuditEntry.get(AuditEntry.action == "event.create").target_id == event.id
    page = client.get(f"/console/events/{event.id}").get_data(as_text=True)
    assert 'value="2027-03-06T09:00"' in page


def test_bad_input_gets_field_errors_and_creates_nothing(app, auth):
    org, user, client = _manager(auth)
    response = client.post(
        "/console/events/new", data=dict(DETAILS, name="", ends_at="2027-03-06T08:00", online_url="not a link")
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="name-error"' in body
    assert 'id="online_url-error"' in body
    assert Event.select().count() == 0


def test_end_before_start_is_refused_beside_the_end_field(app, auth):
    org, user, client = _manager(auth)
    response = client.post("/console/events/new", data=dict(DETAILS, ends_at="2027-03-06T08:00"))
    assert response.status_code == 422
    assert "The end must be after the start." in response.get_data(as_text=True)
    assert Event.select().count() == 0


def test_slug_is_unique_per_organization(app, auth):
    org, user, client = _manager(auth)
    make_event(org, slug="summit")
    response = client.post("/console/events/new", data=dict(DETAILS, slug="summit"))
    assert response.status_code == 422
    assert "already uses this address" in response.get_data(as_text=True)
    other = make_org()
    assert make_event(other, slug="summit").slug == "summit"  # another organization may use it


def test_other_organizations_event_is_not_found(app, auth):
    org, user, client = _manager(auth)
    theirs = make_event(make_org())
    assert client.get(f"/console/events/{theirs.id}").status_code == 404
    assert client.post(f"/console/events/{theirs.id}/status", data={"status": "closed"}).status_code == 404
    assert client.get(f"/console/events/{theirs.id}/products").status_code == 404


def test_door_staff_cannot_set_up_events(app, auth):
    org = make_org()
    event = make_event(org)
    door = auth.client_for(make_member(org, "door"), org)
    assert door.get(f"/console/events/{event.id}").status_code == 403
    assert door.post("/console/events/new", data=DETAILS).status_code == 403
    assert door.post(f"/console/events/{event.id}/status", data={"status": "closed"}).status_code == 403
    assert Event.get_by_id(event.id).status == "published"


def test_event_list_shows_an_empty_state_then_the_events(app, auth):
    org, user, client = _manager(auth)
    assert "Create your first event" in client.get("/console/events/").get_data(as_text=True)
    make_event(org, name="Autumn Meetup")
    assert "Autumn Meetup" in client.get("/console/events/").get_data(as_text=True)


def test_publish_needs_a_ticket_then_close_and_archive_are_audited(app, auth):
    org, user, client = _manager(auth)
    event = make_event(org, status="draft")
    response = client.post(f"/console/events/{event.id}/status", data={"status": "published"})
    assert response.status_code == 303
    assert Event.get_by_id(event.id).status == "draft"
    make_product(event)
    for status in ("published", "closed", "archived"):
        client.post(f"/console/events/{event.id}/status", data={"status": status})
        assert Event.get_by_id(event.id).status == status
    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions[-3:] == ["event.publish", "event.close", "event.archive"]


def test_status_cannot_skip_steps(app, auth):
    org, user, client = _manager(auth)
    event = make_event(org, status="draft")
    make_product(event)
    client.post(f"/console/events/{event.id}/status", data={"status": "closed"})
    assert Event.get_by_id(event.id).status == "draft"


def test_changing_ticket_details_announces_event_changed(app, auth):
    from webapp import signals

    org, user, client = _manager(auth)
    event = make_event(org, timezone="Asia/Jakarta")
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.event_changed.connect(receiver)
    try:
        data = dict(DETAILS, name="Renamed", slug=event.slug)
        assert client.post(f"/console/events/{event.id}", data=data).status_code == 303
        assert received == [{"event_id": event.id}]
        client.post(f"/console/events/{event.id}", data=dict(data, summary="Only the summary"))
        assert len(received) == 1  # the summary is not on the ticket
    finally:
        signals.event_changed.disconnect(receiver)


def test_registration_settings_store_utc_and_check_order(app, auth):
    org, user, client = _manager(auth)
    event = make_event(org, timezone="Asia/Jakarta")
    opens = (event.starts_at - dt.timedelta(days=10)).replace(hour=1)
    form = {
        "opens_at": "2020-01-01T08:00",
        "closes_at": "2019-12-31T08:00",
        "max_tickets_per_order": "4",
        "capacity": "200",
    }
    response = client.post(f"/console/events/{event.id}/registration", data=form)
    assert response.status_code == 422
    assert "Registration must close after it opens." in response.get_data(as_text=True)
    form["closes_at"] = ""
    response = client.post(
        f"/console/events/{event.id}/registration", data=dict(form, requires_approval="y", approval_limit="50")
    )
    assert response.status_code == 303
    event = Event.get_by_id(event.id)
    assert event.registration_opens_at == dt.datetime(2020, 1, 1, 1, 0)
    assert (event.capacity, event.max_tickets_per_order, event.requires_approval, event.approval_limit) == (
        200,
        4,
        True,
        50,
    )
    for field in ("capacity", "approval_limit"):  # beyond what the database holds: refused, nothing saved
        response = client.post(
            f"/console/events/{event.id}/registration", data=dict(form, requires_approval="y", **{field: str(10**23)})
        )
        assert response.status_code == 422
        assert "Enter a number from 1 to 10000000." in response.get_data(as_text=True)
        assert (Event.get_by_id(event.id).capacity, Event.get_by_id(event.id).approval_limit) == (200, 50)
    assert opens  # the factory's event is in the future


def test_a_slug_made_from_the_name_is_numbered_when_taken(app, auth):
    org, user, client = _manager(auth)
    make_event(org, slug="jakarta-dev-summit")
    assert client.post("/console/events/new", data=DETAILS).status_code == 303
    assert Event.select().where(Event.slug == "jakarta-dev-summit-2").exists()


def test_description_preview_is_sanitized(app, auth):
    org, user, client = _manager(auth)
    response = client.post(
        "/console/events/markdown-preview",
        data={"description_md": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"},
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert "<strong>Bold</strong>" in body
    assert "<script" not in body and "javascript:" not in body


def test_registrations_per_email_is_set_checked_and_cleared_in_the_registration_form(app, auth):
    org, user, client = _manager(auth)
    event = make_event(org)
    url = f"/console/events/{event.id}/registration"
    page = client.get(url).get_data(as_text=True)
    assert "Most registrations per email address" in page
    assert "not limited" in page  # the help text says operators' additions are not limited
    form = {"max_tickets_per_order": "4"}
    for bad in ("0", "-2", "1001", "two"):
        response = client.post(url, data=dict(form, max_registrations_per_email=bad))
        body = response.get_data(as_text=True)
        assert response.status_code == 422, bad
        assert 'id="max_registrations_per_email-error"' in body, bad
        assert Event.get_by_id(event.id).max_registrations_per_email is None
    assert client.post(url, data=dict(form, max_registrations_per_email="1")).status_code == 303
    assert Event.get_by_id(event.id).max_registrations_per_email == 1
    assert 'value="1"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data=dict(form, max_registrations_per_email="")).status_code == 303
    assert Event.get_by_id(event.id).max_registrations_per_email is None
