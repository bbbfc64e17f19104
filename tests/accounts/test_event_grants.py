"""Per-event grants: a member reaches the events granted to them and nothing else."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_coupon, make_product, make_question
from tests.factories.checkin import make_checkin_list
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.accounts.access import GRANT_CAPABILITIES
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import EventGrant, Membership
from webapp.contacts import newsletters
from webapp.documents import service as documents
from webapp.mail.models import Outbox
from webapp.orders.models import Invitation, Registrant, WaitingListEntry
from webapp.payments.models import Payment
from webapp.projects import service as projects
from webapp.registrants import export_jobs
from webapp.work.models import Job

GRANT_ROLES = ("manager", "staff", "door", "guide")

# Words that appear only in the data of the event that is not granted (and of the other
# organization): a page that shows one of them has leaked.
MARKERS = ("Hidden Gala", "Secretname", "secret-buyer", "SecretTicket", "Foreign Summit", "Outsider", "far-away")


@pytest.fixture
def world(app):
    org = make_org()
    granted = make_event(org, name="Open Day")
    hidden = make_event(org, name="Hidden Gala")
    visible = make_registrant(granted, buyer_name="Visible Person", buyer_email="visible@example.org")
    product = make_product(hidden, name="SecretTicket")
    registrant = make_registrant(hidden, product, buyer_name="Secretname Lee", buyer_email="secret-buyer@example.org")
    other_org = make_org()
    foreign = make_event(other_org, name="Foreign Summit")
    foreign_registrant = make_registrant(foreign, buyer_name="Outsider Ann", buyer_email="far-away@example.org")
    ids = {
        "hidden": _ids(org, hidden, product, registrant),
        "foreign": _ids(other_org, foreign, make_product(foreign, name="Outsider pass"), foreign_registrant),
    }
    ids["granted"] = _ids(org, granted, visible.product, visible)
    return {"org": org, "granted": granted, "hidden": hidden, "ids": ids}


def _ids(org, event, product, registrant) -> dict:
    """Ids of rows of `event` for each kind of URL parameter."""
    contact = make_contact(org, email=f"contact-of-{event.id}@example.org")
    project = projects.create(org.id, f"{event.name} project", actor=None)
    projects.link_event(project, event.id, actor=None)
    newsletter = newsletters.create(org.id, f"{event.name} letter", actor=None)
    order = registrant.order
    return {
        "event_id": event.id,
        "product_id": product.id,
        "coupon_id": make_coupon(event).id,
        "question_id": make_question(event).id,
        "list_id": make_checkin_list(event).id,
        "registrant_id": registrant.id,
        "order_id": registrant.order_id,
        "contact_id": contact.id,
        "project_id": project.id,
        "milestone_id": projects.add_milestone(project, "M", "2030-01-01", actor=None).id,
        "task_id": projects.add_task(project, "T", actor=None).id,
        "newsletter_id": newsletter.id,
        "document_id": documents.upload(
            event, filename="notes.txt", data=f"{event.name} notes".encode(), actor=None
        ).id,
        "invitation_id": Invitation.create(
            organization=org, event=event, code=f"INV{event.id}X", email="i@example.org"
        ).id,
        "entry_id": WaitingListEntry.create(
            organization=org, event=event, product=product, name="Wait", email="w@example.org", token=f"wait{event.id}"
        ).id,
        "message_id": Outbox.create(
            organization=org,
            message_id=f"<m{event.id}@example.org>",
            kind="ticket",
            to_email=registrant.email,
            from_email="events@example.org",
            subject=f"Your ticket for {event.name}",
            text_body="Ticket",
            event_id=event.id,
            registrant_id=registrant.id,
            order_id=order.id,
        ).id,  # fmt: skip
        "payment_id": Payment.create(
            organization=org, order=order, gateway="bank", reference=f"{order.code}-T", amount=1, currency="IDR"
        ).id,
        # A job of the event started by someone else (the member walking gets one of their own).
        "job_id": Job.create(organization_id=org.id, event_id=event.id, kind=export_jobs.KIND, params={}).id,
    }


def _member_with_grant(org, event, role):
    user = make_member(org, "member")
    if role is not None:
        EventGrant.create(organization=org, event_id=event.id, user=user, role=role)
    return user


STRING_VALUES = {
    "slot": "confirmation",
    "lang": "en",
    "locale": "id",
    "action": "cancel",
    "kind": "registrants",
    "fmt": "csv",
    "state": "registered",
    "trigger": "registered",
    "secret": "x" * 22,
    "token": "x" * 22,
    "filename": "x.css",
}


def _urls(app, ids: dict):
    """Every console, door and API rule, its parameters filled with the ids of `ids`' rows (another
    row id, 1, where the kind is not listed). Yields (method, url)."""
    for _rule, method, url in _rule_urls(app, ids):
        yield method, url


def rule_url(rule, ids: dict) -> str:
    """The rule's address, its parameters filled with `ids` (1 or a plain string when not there)."""
    values = {}
    for name in rule.arguments:
        if name in ids:
            values[name] = ids[name]
        elif isinstance(rule._converters[name], IntegerConverter):
            values[name] = 1
        else:
            values[name] = STRING_VALUES.get(name, "x")
    return rule.build(values, append_unknown=False)[1]


def _rule_urls(app, ids: dict):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/console", "/api", "/checkin")):
            continue
        url = rule_url(rule, ids)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            yield rule, method, url


def _body(response) -> str:
    return response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) else ""


@pytest.mark.parametrize("role", [*GRANT_ROLES, None])
def test_no_route_shows_another_events_data_to_a_member_with_a_grant(app, auth, world, role):
    user = _member_with_grant(world["org"], world["granted"], role)
    client = auth.client_for(user, world["org"])
    leaks = []
    for which in ("hidden", "foreign"):
        for method, url in _urls(app, world["ids"][which]):
            response = client.open(url, method=method, data={})
            body = _body(response)
            shown = [m for m in MARKERS if m in body]
            targets_event = f"/{world['ids'][which]['event_id']}" in url
            refused = response.status_code in (400, 401, 403, 404, 405)
            if shown or (targets_event and not refused):
                leaks.append((method, url, response.status_code, shown))
    event_urls = [u for m, u in _urls(app, world["ids"]["hidden"]) if f"/events/{world['hidden'].id}" in u]
    assert len(event_urls) > 60  # the walk reached the event pages (the ids went in)
    assert not leaks, leaks


def _event_refusals(app, client, ids):
    """The event-scoped URLs of `ids`' event that the client is refused."""
    answers = {}
    for method, url in _urls(app, ids):
        if f"/{ids['event_id']}" in url and method == "GET":
            answers[url] = client.get(url).status_code
    return answers


def test_the_markers_are_there_for_an_organization_manager(app, auth, world):
    # The walk above can fail: an organization manager opening the same URLs sees the marked data.
    client = auth.client_for(make_member(world["org"], "manager"), world["org"])
    hidden = world["hidden"]
    page = client.get(f"/console/events/{hidden.id}/registrants").get_data(as_text=True)
    assert "Secretname" in page and "Hidden Gala" in page
    assert "Hidden Gala" in client.get("/console/events/").get_data(as_text=True)


def test_an_event_manager_grant_opens_every_page_of_that_event_only(app, auth, world):
    granted, hidden = world["granted"], world["hidden"]
    client = auth.client_for(_member_with_grant(world["org"], granted, "manager"), world["org"])
    for path in ("", "/registration", "/products", "/registrants", "/orders", "/checkin/", "/emails", "/team/"):
        assert client.get(f"/console/events/{granted.id}{path}").status_code == 200, path
        assert client.get(f"/console/events/{hidden.id}{path}").status_code == 403, path
    listing = client.get("/console/events/").get_data(as_text=True)
    assert "Open Day" in listing and "Hidden Gala" not in listing
    assert client.get("/console/contacts").status_code == 403
    assert client.get("/console/events/new").status_code == 403


def test_event_staff_work_on_registrants_and_check_in_but_not_the_set_up(app, auth, world):
    granted = world["granted"]
    client = auth.client_for(_member_with_grant(world["org"], granted, "staff"), world["org"])
    base = f"/console/events/{granted.id}"
    registrants = client.get(f"{base}/registrants").get_data(as_text=True)
    assert "Visible Person" in registrants
    assert client.get(f"{base}/orders").status_code == 200
    assert client.get(f"{base}/checkin/").status_code == 200
    assert client.get(f"/checkin/{granted.id}").status_code == 200
    for path in ("", "/products", "/emails", "/team/"):
        assert client.get(f"{base}{path}").status_code == 403, path
    # The event's menu offers only what they may open.
    assert f"{base}/products" not in registrants and f"{base}/orders" in registrants


def test_door_grant_opens_the_scanner_of_that_event_only(app, auth, world):
    granted, hidden = world["granted"], world["hidden"]
    client = auth.client_for(_member_with_grant(world["org"], granted, "door"), world["org"])
    assert client.get(f"/checkin/{granted.id}").status_code == 200
    assert client.get(f"/checkin/{hidden.id}").status_code == 403
    picker = client.get("/checkin/").get_data(as_text=True)
    assert "Open Day" in picker and "Hidden Gala" not in picker
    home = client.get("/console/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/checkin/")
    assert client.get("/console/events/").status_code == 403  # the scanner, not the events list
    assert client.get(f"/console/events/{granted.id}/registrants").status_code == 403
    stats = client.get(f"/api/v1/events/{granted.id}/checkins/stats")
    assert stats.status_code == 200
    assert client.get(f"/api/v1/events/{hidden.id}/checkins/stats").status_code == 403


def test_a_guide_sees_their_events_and_participants_and_nothing_else(app, auth, world):
    granted = world["granted"]
    client = auth.client_for(_member_with_grant(world["org"], granted, "guide"), world["org"])
    home = client.get("/console/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/console/events/")
    listing = client.get("/console/events/").get_data(as_text=True)
    assert "Open Day" in listing and "Hidden Gala" not in listing
    assert 'href="/console/events/"' in listing  # the events menu is there for a guide
    assert "Visible Person" in client.get(f"/console/events/{granted.id}/registrants").get_data(as_text=True)
    registrant = Registrant.get(Registrant.event == granted.id)
    detail = client.get(f"/console/events/{granted.id}/registrants/{registrant.id}").get_data(as_text=True)
    assert "Visible Person" in detail
    assert "Cancel registration" not in detail and "Save changes" not in detail  # reading, not changing
    assert client.post(f"/console/events/{granted.id}/registrants/{registrant.id}/cancel").status_code == 403
    for path in ("/orders", "/overview", "/checkin/", "/registrants/bulk"):
        method = "post" if path.endswith("bulk") else "get"
        assert getattr(client, method)(f"/console/events/{granted.id}{path}").status_code == 403, path
    assert client.get(f"/checkin/{granted.id}").status_code == 403


def test_a_member_without_grants_has_no_events_menu(app, auth, world):
    client = auth.client_for(make_member(world["org"], "member"), world["org"])
    page = client.get("/console/").get_data(as_text=True)
    assert "No event has been shared with you yet." in page
    assert 'href="/console/events/"' not in page
    assert client.get("/console/events/").status_code == 403


def test_managers_grant_and_revoke_access_on_the_event_page_with_audit(app, auth, world):
    org, granted = world["org"], world["granted"]
    manager = make_member(org, "manager")
    colleague = make_member(org, "member")
    client = auth.client_for(manager, org)
    response = client.post(f"/console/events/{granted.id}/team/grants", data={"user": colleague.id, "role": "guide"})
    assert response.status_code == 303
    page = client.get(f"/console/events/{granted.id}/team/").get_data(as_text=True)
    assert colleague.email in page and "Guide" in page
    grant = EventGrant.get(EventGrant.user == colleague.id)
    guide = auth.client_for(colleague, org)
    assert guide.get(f"/console/events/{granted.id}/registrants").status_code == 200

    assert client.post(f"/console/events/{granted.id}/team/grants/{grant.id}/revoke").status_code == 303
    assert guide.get(f"/console/events/{granted.id}/registrants").status_code == 403
    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions[-2:] == ["event.grant", "event.revoke"]


def test_a_grant_goes_only_to_members_and_only_on_its_own_event(app, auth, world):
    org, granted, hidden = world["org"], world["granted"], world["hidden"]
    client = auth.client_for(make_member(org, "manager"), org)
    stranger = make_member(make_org(), "manager")
    response = client.post(f"/console/events/{granted.id}/team/grants", data={"user": stranger.id, "role": "staff"})
    assert response.status_code == 422
    assert not EventGrant.select().where(EventGrant.user == stranger.id).exists()
    colleague = make_member(org, "member")
    grant = EventGrant.create(organization=org, event_id=hidden.id, user=colleague, role="staff")
    # A grant of another event cannot be revoked through this event's page.
    assert client.post(f"/console/events/{granted.id}/team/grants/{grant.id}/revoke").status_code == 404
    assert EventGrant.get_or_none(EventGrant.id == grant.id) is not None
    assert client.post(
        f"/console/events/{granted.id}/team/grants", data={"user": "x\x00", "role": "nope"}
    ).status_code in (
        400,
        422,
    )


def test_the_team_page_speaks_indonesian(app, auth, world):
    client = auth.client_for(make_member(world["org"], "manager"), world["org"])
    page = client.get(f"/console/events/{world['granted'].id}/team/", headers={"Accept-Language": "id"})
    text = page.get_data(as_text=True)
    assert "Akses ke acara ini" in text and "Pemandu — melihat acara ini dan pesertanya" in text


def test_a_removed_member_loses_their_grants(app, auth, world):
    org, granted = world["org"], world["granted"]
    guide = _member_with_grant(org, granted, "guide")
    admin = auth.client_for(make_member(org, "admin"), org)
    membership = Membership.get((Membership.user == guide.id) & (Membership.organization == org.id))
    assert admin.post(f"/console/members/{membership.id}/remove").status_code in (302, 303)
    assert not EventGrant.select().where(EventGrant.user == guide.id).exists()
    make_member(org, "member", guide)  # invited again later: no event of the past comes back
    assert auth.client_for(guide, org).get(f"/console/events/{granted.id}/registrants").status_code == 403


def _grant_of_colleague(org, event) -> int:
    return EventGrant.create(organization=org, event_id=event.id, user=make_member(org, "member"), role="guide").id


def _access(app, rule):
    """The rule a console, door or API route declares (webapp.accounts.access marks each view)."""
    return getattr(app.view_functions[rule.endpoint], "access", None)


def _allowed(access, rule, role: str, which: str) -> bool:
    """Should a member (organization role `member`) with a `role` grant on the granted event reach
    this route, its ids filled with the rows of `which` event?"""
    caps = GRANT_CAPABILITIES[role]
    kind = access[0]
    if kind == "org":
        return access[1] == "member"
    if kind in ("event", "row"):
        return which == "granted" and access[-1] in caps
    if kind == "reach":
        return bool(caps & ({"participants"} if access[1] == "events" else {access[1]}))
    if kind == "api":
        return access[1] == "door" and "event_id" in rule.arguments and which == "granted" and "door" in caps
    raise AssertionError(f"{rule.rule}: unknown access rule {access}")


def _walk(app, ids: dict):
    """(rule, method, url) of every console, door and API rule with `ids` filled in: GETs first,
    so that a POST which changes a row (cancel, delete) comes after every page that shows it."""
    return sorted(_rule_urls(app, ids), key=lambda walked: walked[1] != "GET")


# Parameters that name a row which belongs to an event: a route addressed by one of them (without
# the event in its path) must decide by the capability on the row's event (row_required).
EVENT_ROW_PARAMS = {"order_id", "registrant_id", "invitation_id", "entry_id", "job_id", "message_id", "payment_id"}
# ...except these, whose parameter names a row of the organization's own tools: an invitation to
# join the organization, a web push (the audiences page is the organization managers').
ORGANIZATION_ROWS = {"accounts_console.revoke_invitation", "audiences_console.cancel"}
# Routes a grant reaches whose service then refuses with a 403 of its own: taking money at the
# door is for supervisors (an organization manager), whatever the grant.
SERVICE_REFUSALS = {"checkin.mark_paid"}
# Routes open to anyone by design: they carry no organization's data (the API's own description, the
# door's installable shell).
PUBLIC_ROUTES = {"/api/v1/openapi.json", "/checkin/sw.js", "/checkin/manifest.webmanifest"}


@pytest.mark.parametrize("role", GRANT_ROLES)
def test_every_route_answers_a_grant_by_the_capability_on_the_rows_event(app, auth, world, role):
    """Each route is walked with the granted event's own rows (allowed where the grant's capability
    allows, a 403 otherwise), another event's rows (403) and another organization's rows (404 for
    rows addressed by their own id)."""
    user = _member_with_grant(world["org"], world["granted"], role)
    client = auth.client_for(user, world["org"])
    granted = dict(world["ids"]["granted"])
    # A colleague's grant (the walk's revoke takes it back, not the walking member's own).
    granted["grant_id"] = _grant_of_colleague(world["org"], world["granted"])
    # A job of the granted event this member started: staff see their own jobs.
    granted["job_id"] = Job.create(
        organization_id=world["org"].id, event_id=granted["event_id"], user_id=user.id, kind=export_jobs.KIND
    ).id
    wrong, own_rows = [], 0
    for which, ids in (("granted", granted), ("hidden", world["ids"]["hidden"]), ("foreign", world["ids"]["foreign"])):
        for rule, method, url in _walk(app, ids):
            access = _access(app, rule)
            if access is None:
                assert rule.rule in PUBLIC_ROUTES, f"{rule.rule} declares no access rule"
                continue
            key_only = access == ("api", None)  # an API key is the organization's: no grant applies
            if (
                not key_only
                and rule.endpoint not in ORGANIZATION_ROWS
                and EVENT_ROW_PARAMS & set(rule.arguments)
                and "event_id" not in rule.arguments
            ):
                assert access[0] == "row", f"{rule.rule} is addressed by an event's row but decides by {access}"
            own_rows += access[0] == "row"
            status = client.open(url, method=method, data={}).status_code
            if _allowed(access, rule, role, which):
                ok = status not in (401, 403) and status < 500 or (status == 403 and rule.endpoint in SERVICE_REFUSALS)
            elif access[0] == "row":
                ok = status == (404 if which == "foreign" else 403)
            else:
                ok = status in (401, 403, 404, 405)
            if not ok:
                wrong.append((which, method, url, status, access))
    assert own_rows > 3 * 15  # the pages addressed by their own id were walked for each event
    assert not wrong, wrong


def test_staff_open_their_events_order_from_the_registrant_page_but_not_others_jobs(app, auth, world):
    org, granted = world["org"], world["granted"]
    staff = _member_with_grant(org, granted, "staff")
    client = auth.client_for(staff, org)
    registrant = Registrant.get(Registrant.event == granted.id)
    page = client.get(f"/console/events/{granted.id}/registrants/{registrant.id}").get_data(as_text=True)
    assert f'href="/console/orders/{registrant.order_id}"' in page
    order_page = client.get(f"/console/orders/{registrant.order_id}")
    assert order_page.status_code == 200 and "Visible Person" in order_page.get_data(as_text=True)
    hidden_order = world["ids"]["hidden"]["order_id"]
    assert client.get(f"/console/orders/{hidden_order}").status_code == 403
    assert client.get(f"/console/orders/{world['ids']['foreign']['order_id']}").status_code == 404
    # A job of their event started by someone else is the event managers' to see.
    others_job = world["ids"]["granted"]["job_id"]
    assert client.get(f"/console/jobs/{others_job}").status_code == 403
    manager = auth.client_for(_member_with_grant(org, granted, "manager"), org)
    assert manager.get(f"/console/jobs/{others_job}").status_code == 200


def test_a_guide_reads_a_participant_without_money_or_messages(app, auth, world):
    granted = world["granted"]
    client = auth.client_for(_member_with_grant(world["org"], granted, "guide"), world["org"])
    registrant = Registrant.get(Registrant.event == granted.id)
    page = client.get(f"/console/events/{granted.id}/registrants/{registrant.id}").get_data(as_text=True)
    assert "Visible Person" in page
    assert "Payments" not in page and "Your ticket for" not in page and "Total" not in page
    assert client.get(f"/console/orders/{registrant.order_id}").status_code == 403
    assert client.get(f"/console/mail/{world['ids']['granted']['message_id']}").status_code == 403
    # An organization manager sees the same page with the order's money and emails.
    manager = auth.client_for(make_member(world["org"], "manager"), world["org"])
    full = manager.get(f"/console/events/{granted.id}/registrants/{registrant.id}").get_data(as_text=True)
    assert "Payments" in full and "Your ticket for" in full


def test_staff_cancel_an_order_of_their_event_in_indonesian(app, auth, world):
    granted = world["granted"]
    client = auth.client_for(_member_with_grant(world["org"], granted, "staff"), world["org"])
    registrant = Registrant.get(Registrant.event == granted.id)
    code = registrant.order.code
    indonesian = {"Accept-Language": "id"}
    page = client.get(f"/console/orders/{registrant.order_id}", headers=indonesian).get_data(as_text=True)
    assert f"Batalkan pesanan {code}? Kursinya dilepas kembali." in page
    detail = client.get(f"/console/events/{granted.id}/registrants/{registrant.id}", headers=indonesian)
    assert f"Batalkan pendaftaran {registrant.name}?" in detail.get_data(as_text=True)
    done = client.post(f"/console/orders/{registrant.order_id}/cancel", headers=indonesian, follow_redirects=True)
    assert "Pesanan dibatalkan." in done.get_data(as_text=True)
    assert Registrant.get_by_id(registrant.id).order.status == "canceled"
