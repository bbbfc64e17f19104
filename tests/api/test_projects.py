"""Projects over the API: CRUD, event links, milestones, tasks, the combined figures; scoped to
the key's organization; bad input answers 4xx."""

from __future__ import annotations

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.accounts.audit import AuditEntry
from webapp.projects.models import Project


def test_an_integration_builds_a_project_and_reads_its_figures(api, org):
    jakarta = make_event(org, currency="IDR")
    online = make_event(org, currency="USD")
    make_order(jakarta, {make_product(jakarta, price=100_000, currency="IDR"): 3})
    make_order(online, {make_product(online, price=1_000, currency="USD"): 1})
    created = api.post("/projects", {"name": "Summit", "description": "Two days"})
    assert created.status_code == 201, created.json
    pid = created.json["id"]
    assert AuditEntry.get(AuditEntry.action == "project.create").actor.startswith("api key")
    for event in (jakarta, online):
        linked = api.post(f"/projects/{pid}/events", {"event_id": event.id})
        assert linked.status_code == 201 and linked.json["linked"] is True
    body = api.get(f"/projects/{pid}").json
    assert body["event_ids"] == sorted([jakarta.id, online.id])
    assert body["registered"] == 4 and body["revenue"] == {"IDR": 300_000, "USD": 1_000}
    assert {e["event_id"]: e["revenue"] for e in body["events"]} == {
        jakarta.id: {"IDR": 300_000},
        online.id: {"USD": 1_000},
    }

    milestone = api.post(f"/projects/{pid}/milestones", {"title": "Venue", "due_on": "2027-02-01"})
    assert milestone.status_code == 201 and milestone.json == {
        "id": milestone.json["id"], "title": "Venue", "due_on": "2027-02-01", "done": False,
    }  # fmt: skip
    done = api.patch(f"/projects/{pid}/milestones/{milestone.json['id']}", {"done": True})
    assert done.json["done"] is True
    member = make_member(org, "member")
    task = api.post(f"/projects/{pid}/tasks", {"title": "Badges", "assignee_id": member.id, "due_on": "2027-01-20"})
    assert task.status_code == 201 and task.json["assignee_id"] == member.id and task.json["status"] == "todo"
    assert api.patch(f"/projects/{pid}/tasks/{task.json['id']}", {"status": "done"}).json["status"] == "done"
    assert [t["title"] for t in api.get(f"/projects/{pid}/tasks").json["items"]] == ["Badges"]
    assert api.patch(f"/projects/{pid}", {"name": "Summit 2027"}).json["name"] == "Summit 2027"
    assert api.get("/projects").json["data"][0]["name"] == "Summit 2027"
    assert api.delete(f"/projects/{pid}/events/{online.id}").json["linked"] is False
    assert api.delete(f"/projects/{pid}/events/{online.id}").status_code == 404
    assert api.delete(f"/projects/{pid}").json == {"id": pid, "deleted": True}
    assert not Project.select().exists()


def test_bad_input_and_other_organizations_are_refused(api, other_api, org):
    pid = api.post("/projects", {"name": "Summit"}).json["id"]
    assert api.post("/projects", {"name": ""}).status_code == 422
    assert api.post("/projects", {"name": "a\x00b"}).status_code == 422
    assert api.post("/projects", {"name": "x" * 201}).status_code == 422
    assert api.post(f"/projects/{pid}/milestones", {"title": "M", "due_on": "2027-13-45"}).status_code == 422
    assert api.post(f"/projects/{pid}/milestones", {"title": "M", "due_on": "1800-01-01"}).status_code == 422
    refused = api.post(f"/projects/{pid}/tasks", {"title": "T", "assignee_id": 2**31 - 1})
    assert refused.status_code == 422 and "assignee_id" in refused.json["error"]["fields"]
    assert api.post(f"/projects/{pid}/tasks", {"title": "T", "status": "lost"}).status_code == 422
    assert api.post(f"/projects/{pid}/events", {"event_id": 10**20}).status_code == 422
    foreign_event = make_event(make_org())
    refused = api.post(f"/projects/{pid}/events", {"event_id": foreign_event.id})
    assert refused.status_code == 422 and "event_id" in refused.json["error"]["fields"]
    assert other_api.get(f"/projects/{pid}").status_code == 404
    assert other_api.patch(f"/projects/{pid}", {"name": "Taken"}).status_code == 404
    assert other_api.post(f"/projects/{pid}/milestones", {"title": "M", "due_on": "2027-01-01"}).status_code == 404
    assert other_api.delete(f"/projects/{pid}").status_code == 404
    assert api.get("/projects/99999999999999").status_code == 404
    assert Project.get_by_id(pid).name == "Summit"
