"""Segments over the API: create, read, change, delete; members, count and preview; a bad tree is
a 422 naming its path; another organization's ids are refused; the contacts list filters by
segment."""

from __future__ import annotations

from tests.factories.api import ApiClient, make_api_key
from tests.factories.contacts import make_contact, make_label
from webapp.accounts.audit import AuditEntry
from webapp.contacts import service as contacts
from webapp.segments.models import Segment


def _vip_tree(label_id: int) -> dict:
    return {
        "type": "group",
        "join": "and",
        "children": [{"type": "condition", "dimension": "labels", "operator": "any_of", "value": [label_id]}],
    }


def _people(org):
    vip = make_label(org, "VIP")
    people = {name: make_contact(org, f"{name}@example.org", name=name.title()) for name in ("ana", "budi", "citra")}
    for name in ("ana", "citra"):
        contacts.add_label(people[name], "VIP")
    return vip


def test_a_segment_is_saved_counted_listed_changed_and_deleted(api, org):
    vip = _people(org)
    created = api.post("/segments", {"name": "VIPs", "description": "Our best", "tree": _vip_tree(vip.id)})
    assert created.status_code == 201, created.json
    segment_id = created.json["id"]
    assert created.json["tree"]["children"][0]["negate"] is False  # stored normalized
    assert api.get(f"/segments/{segment_id}/count").json == {"count": 2}
    members = api.get(f"/segments/{segment_id}/contacts", limit=1)
    assert [c["email"] for c in members.json["data"]] == ["citra@example.org"]
    rest = api.get(f"/segments/{segment_id}/contacts", limit=1, cursor=members.json["next_cursor"]).json
    assert [c["email"] for c in rest["data"]] == ["ana@example.org"] and rest["next_cursor"] is None
    assert [c["email"] for c in api.get(f"/segments/{segment_id}/contacts", search="ANA").json["data"]] == [
        "ana@example.org"
    ]
    assert [c["email"] for c in api.get("/contacts", segment_id=segment_id).json["data"]] == [
        "citra@example.org",
        "ana@example.org",
    ]

    flipped = dict(_vip_tree(vip.id), negate=True)
    changed = api.patch(f"/segments/{segment_id}", {"name": "Not VIPs", "tree": flipped})
    assert changed.status_code == 200, changed.json
    assert api.get(f"/segments/{segment_id}/count").json == {"count": 1}
    assert [s["name"] for s in api.get("/segments").json["data"]] == ["Not VIPs"]

    assert api.delete(f"/segments/{segment_id}").json == {"id": segment_id, "deleted": True}
    assert api.get(f"/segments/{segment_id}").status_code == 404
    actions = [a for (a,) in AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id).tuples()]
    assert [a for a in actions if a.startswith("segment.")] == ["segment.create", "segment.update", "segment.delete"]


def test_preview_counts_a_tree_without_saving_it(api, org):
    vip = _people(org)
    answer = api.post("/segments/preview", {"tree": _vip_tree(vip.id), "sample": 1})
    assert answer.status_code == 200, answer.json
    assert answer.json["count"] == 2
    assert [c["email"] for c in answer.json["sample"]] == ["citra@example.org"]
    assert Segment.select().count() == 0


def test_a_malformed_tree_is_a_422_naming_the_bad_node(api, org):
    tree = {
        "type": "group",
        "children": [
            {"type": "condition", "dimension": "name", "operator": "contains", "value": "a"},
            {
                "type": "group",
                "children": [{"type": "condition", "dimension": "stage", "operator": "equals", "value": "king"}],
            },
        ],
    }
    answer = api.post("/segments", {"name": "Bad", "tree": tree})
    assert answer.status_code == 422
    assert answer.json["error"]["fields"] == {
        "tree.children[1].children[0].value": answer.json["error"]["fields"]["tree.children[1].children[0].value"]
    }
    assert "$.children[1].children[0].value" in answer.json["error"]["message"]
    assert api.post("/segments/preview", {"tree": tree}).status_code == 422
    assert Segment.select().count() == 0

    in_indonesian = api.post("/segments/preview", {"tree": tree}, headers={"Accept-Language": "id"})
    assert in_indonesian.json["error"]["fields"]["tree.children[1].children[0].value"].startswith("Pilih salah satu dari")


def test_another_organizations_label_or_segment_is_refused(api, other_api, org, client):
    from tests.factories.accounts import make_org

    stranger = make_org()
    their_label = make_label(stranger, "Theirs")
    _, their_token = make_api_key(stranger)
    theirs = ApiClient(client, their_token).post("/segments", {"name": "Theirs", "tree": _vip_tree(their_label.id)})
    assert theirs.status_code == 201
    answer = api.post("/segments/preview", {"tree": _vip_tree(their_label.id)})
    assert answer.status_code == 422 and "tree.children[0].value[0]" in answer.json["error"]["fields"]
    by_segment = {
        "type": "group",
        "children": [{"type": "condition", "dimension": "segment", "operator": "member", "value": theirs.json["id"]}],
    }
    assert api.post("/segments/preview", {"tree": by_segment}).status_code == 422
    assert api.get(f"/segments/{theirs.json['id']}").status_code == 404
    assert api.get(f"/segments/{theirs.json['id']}/contacts").status_code == 404
    assert api.get("/contacts", segment_id=theirs.json["id"]).status_code == 422


def test_a_segment_used_by_another_cannot_be_deleted_and_cycles_are_refused(api, org):
    vip = _people(org)
    base = api.post("/segments", {"name": "Base", "tree": _vip_tree(vip.id)}).json
    uses = {
        "type": "group",
        "children": [{"type": "condition", "dimension": "segment", "operator": "member", "value": base["id"]}],
    }
    outer = api.post("/segments", {"name": "Outer", "tree": uses}).json
    assert api.get(f"/segments/{outer['id']}/count").json == {"count": 2}
    assert api.delete(f"/segments/{base['id']}").status_code == 409
    loop = {
        "type": "group",
        "children": [{"type": "condition", "dimension": "segment", "operator": "member", "value": outer["id"]}],
    }
    answer = api.patch(f"/segments/{base['id']}", {"tree": loop})
    assert answer.status_code == 422 and "contain itself" in answer.json["error"]["message"]
    assert Segment.get_by_id(base["id"]).tree["children"][0]["dimension"] == "labels"


def test_a_key_without_the_segments_scope_is_refused(client, org):
    _, token = make_api_key(org, scopes=["contacts"])
    assert ApiClient(client, token).get("/segments").status_code == 403


def test_contacts_remember_where_they_came_from(api, org):
    api.post("/contacts", {"email": "ana@example.org"})
    make_contact(org, "budi@example.org")
    tree = {
        "type": "group",
        "children": [{"type": "condition", "dimension": "source", "operator": "equals", "value": "api"}],
    }
    answer = api.post("/segments/preview", {"tree": tree})
    assert [c["email"] for c in answer.json["sample"]] == ["ana@example.org"]
