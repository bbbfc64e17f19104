"""Projects in the console: figures across the linked events (money per currency), milestones
and tasks, participants and their export, who may see and change what, and isolation."""

from __future__ import annotations

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import EventGrant
from webapp.campaigns import audience
from webapp.campaigns.models import Campaign
from webapp.contacts import service as contacts
from webapp.orders.models import Registrant
from webapp.projects import figures, service
from webapp.projects.models import Milestone, Project, ProjectEvent, ProjectTask


@pytest.fixture
def conference(app):
    """A project over two events: one in IDR, one in USD, with paid, pending and checked-in people."""
    org = make_org(name="Kopi Events")
    manager = make_member(org, "manager")
    jakarta = make_event(org, name="Day one Jakarta", currency="IDR")
    singapore = make_event(org, name="Day two Singapore", currency="USD")
    idr = make_product(jakarta, name="Pass", price=150_000, currency="IDR")
    usd = make_product(singapore, name="Pass", price=2_500, currency="USD")
    make_order(jakarta, {idr: 2}, buyer_email="ana@example.org", buyer_name="Ana Jakarta")
    make_order(jakarta, {idr: 1}, buyer_email="budi@example.org", buyer_name="Budi Jakarta")
    make_order(jakarta, {idr: 1}, status="pending", buyer_email="late@example.org")
    make_order(singapore, {usd: 1}, buyer_email="cai@example.org", buyer_name="Cai Singapore")
    Registrant.update(checked_in_at=Registrant.created_at).where(Registrant.email == "ana@example.org").execute()
    project = service.create(org.id, "Summit 2027", "Two days, two cities", actor=manager)
    service.link_event(project, jakarta.id, actor=manager)
    service.link_event(project, singapore.id, actor=manager)
    return {"org": org, "manager": manager, "project": project, "jakarta": jakarta, "singapore": singapore}


def test_the_project_adds_up_its_events_and_keeps_each_currency_apart(conference):
    numbers = figures.figures(conference["project"])
    assert numbers.registered == 4  # the pending order's seat is not a registration
    assert numbers.checked_in == 2
    assert numbers.revenue == {"IDR": 450_000, "USD": 2_500}
    by_event = {f.event.name: f for f in numbers.events}
    assert by_event["Day one Jakarta"].revenue == {"IDR": 450_000}
    assert by_event["Day two Singapore"].revenue == {"USD": 2_500}


def test_the_project_page_shows_the_totals_per_currency(auth, conference):
    client = auth.client_for(conference["manager"], conference["org"])
    page = client.get(f"/console/projects/{conference['project'].id}").get_data(as_text=True)
    assert 'id="project-registered">4<' in page and 'id="project-checked-in">2<' in page
    assert "IDR450,000" in page and "$25.00" in page
    assert "never added together" in page


def test_projects_list_has_an_empty_state_and_the_form_shows_errors_beside_fields(app, auth):
    org = make_org()
    client = auth.client_for(make_member(org, "manager"), org)
    listing = client.get("/console/projects/").get_data(as_text=True)
    assert "No projects yet" in listing and "Create the first project" in listing
    refused = client.post("/console/projects/new", data={"name": "  ", "description": "x"})
    assert refused.status_code == 422
    assert 'id="project-name-error"' in refused.get_data(as_text=True)
    long = client.post("/console/projects/new", data={"name": "n" * 201})
    assert long.status_code == 422 and "At most 200 characters" in long.get_data(as_text=True)
    made = client.post("/console/projects/new", data={"name": "Sponsor activation", "description": "Booth"})
    assert made.status_code == 303
    assert Project.get(Project.organization == org.id).name == "Sponsor activation"
    assert AuditEntry.select().where(AuditEntry.action == "project.create").count() == 1


def test_milestones_and_tasks_are_kept_with_their_checks(auth, conference):
    client = auth.client_for(conference["manager"], conference["org"])
    pid = conference["project"].id
    bad_date = client.post(f"/console/projects/{pid}/milestones", data={"title": "Venue booked", "due_on": "31/12"})
    assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.get_data(as_text=True)
    assert (
        client.post(
            f"/console/projects/{pid}/milestones", data={"title": "Venue booked", "due_on": "2027-01-15"}
        ).status_code
        == 303
    )
    milestone = Milestone.get()
    client.post(f"/console/projects/{pid}/milestones/{milestone.id}/done", data={"done": "y"})
    assert Milestone.get_by_id(milestone.id).done is True

    outsider = make_member(make_org(), "manager")
    refused = client.post(f"/console/projects/{pid}/tasks", data={"title": "Print badges", "assignee_id": outsider.id})
    assert refused.status_code == 422 and "member of the organization" in refused.get_data(as_text=True)
    huge = client.post(f"/console/projects/{pid}/tasks", data={"title": "Print", "assignee_id": "9" * 30})
    assert huge.status_code == 422
    ok = client.post(
        f"/console/projects/{pid}/tasks",
        data={
            "title": "Print badges",
            "assignee_id": conference["manager"].id,
            "due_on": "2027-01-10",
            "status": "todo",
        },
    )
    assert ok.status_code == 303
    task = ProjectTask.get()
    assert task.assignee_id == conference["manager"].id
    client.post(f"/console/projects/{pid}/tasks/{task.id}/status", data={"status": "done"})
    assert ProjectTask.get_by_id(task.id).status == "done"
    page = client.get(f"/console/projects/{pid}/tasks").get_data(as_text=True)
    assert "Print badges" in page and conference["manager"].name in page


def test_participants_are_listed_and_exported(auth, conference):
    client = auth.client_for(conference["manager"], conference["org"])
    pid = conference["project"].id
    page = client.get(f"/console/projects/{pid}/participants").get_data(as_text=True)
    assert "Ana Jakarta" in page and "Cai Singapore" in page
    export = client.get(f"/console/projects/{pid}/participants.csv")
    assert export.mimetype == "text/csv"
    lines = export.get_data(as_text=True).strip().splitlines()
    assert lines[0] == "name,email,event,order,order_status,checked_in_at"
    assert len(lines) == 1 + 5  # every registrant, the pending one too
    assert any("cai@example.org" in line and "Day two Singapore" in line for line in lines)


def test_linking_an_event_is_not_assigning_anyone(auth, conference):
    client = auth.client_for(conference["manager"], conference["org"])
    pid = conference["project"].id
    other_org_event = make_event(make_org(), name="Elsewhere")
    refused = client.post(f"/console/projects/{pid}/events", data={"event_id": other_org_event.id})
    assert refused.status_code == 422 and "No such event" in refused.get_data(as_text=True)
    assert client.post(f"/console/projects/{pid}/events", data={"event_id": "abc"}).status_code == 422
    assert not EventGrant.select().exists()
    client.post(f"/console/projects/{pid}/events/{conference['singapore'].id}/unlink")
    assert [e.name for e in service.events(conference["project"])] == ["Day one Jakarta"]


def test_a_member_with_a_grant_reads_only_the_projects_and_events_granted(auth, conference):
    org = conference["org"]
    guide = make_member(org, "member")
    EventGrant.create(organization=org, event_id=conference["jakarta"].id, user=guide, role="guide")
    hidden_project = service.create(org.id, "Hidden Gala Project", actor=conference["manager"])
    service.link_event(hidden_project, make_event(org, name="Hidden Gala").id, actor=conference["manager"])
    client = auth.client_for(guide, org)
    listing = client.get("/console/projects/").get_data(as_text=True)
    assert "Summit 2027" in listing and "Hidden Gala" not in listing
    pid = conference["project"].id
    page = client.get(f"/console/projects/{pid}").get_data(as_text=True)
    assert "Day one Jakarta" in page and "Day two Singapore" not in page  # the event not granted stays hidden
    people = client.get(f"/console/projects/{pid}/participants").get_data(as_text=True)
    assert "Ana Jakarta" in people and "Cai Singapore" not in people
    assert "cai@example.org" not in client.get(f"/console/projects/{pid}/participants.csv").get_data(as_text=True)
    assert client.get(f"/console/projects/{hidden_project.id}").status_code == 404
    # Read only: no form, and every write is refused on the server.
    assert "Save changes" not in page
    for path in ("", "/milestones", "/tasks", "/events", "/documents", "/delete"):
        assert client.post(f"/console/projects/{pid}{path}", data={"name": "x", "title": "x"}).status_code == 403
    assert client.get(f"/console/projects/{pid}/emails").status_code == 403
    assert Project.get_by_id(pid).name == "Summit 2027"


def test_another_organization_gets_404_for_every_project_page(auth, conference):
    stranger_org = make_org()
    client = auth.client_for(make_member(stranger_org, "owner"), stranger_org)
    pid = conference["project"].id
    for path in ("", "/events", "/milestones", "/tasks", "/documents", "/participants", "/participants.csv", "/emails"):
        assert client.get(f"/console/projects/{pid}{path}").status_code == 404, path
    assert client.post(f"/console/projects/{pid}/delete").status_code == 404
    assert Project.select().count() == 1 and ProjectEvent.select().count() == 2


def test_emailing_the_participants_starts_a_campaign_linked_to_the_project(auth, conference):
    client = auth.client_for(conference["manager"], conference["org"])
    pid = conference["project"].id
    start = client.get(f"/console/campaigns/new?project_id={pid}").get_data(as_text=True)
    assert "To the participants of the project" in start
    made = client.post("/console/campaigns/new", data={"name": "See you there", "start": "html", "project_id": pid})
    assert made.status_code == 303
    campaign = Campaign.get(Campaign.name == "See you there")
    assert campaign.project_id == pid and campaign.audience["project_id"] == pid
    # The registered people of both events: Ana, Budi and Cai (the unpaid order is not registered).
    make_contact_sync(conference)
    assert audience.count(conference["org"].id, campaign.audience)["matched"] == 3
    emails = client.get(f"/console/projects/{pid}/emails").get_data(as_text=True)
    assert "See you there" in emails
    stranger_org = make_org()
    stranger = auth.client_for(make_member(stranger_org, "owner"), stranger_org)
    assert stranger.get(f"/console/campaigns/new?project_id={pid}").status_code == 404


def make_contact_sync(conference):
    """The registrants' contacts, as the Contact Book sync makes them after each order."""
    for registrant in Registrant.select().where(Registrant.organization == conference["org"].id):
        contact = contacts.upsert_contact(conference["org"].id, registrant.email, name=registrant.name)
        Registrant.update(contact=contact.id).where(Registrant.id == registrant.id).execute()
