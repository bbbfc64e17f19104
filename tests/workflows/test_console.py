"""The workflows console: the empty state, the editor (add, reorder and remove steps; errors beside
the fields; save), activate and pause, the runs table, roles, isolation and CSRF."""

from __future__ import annotations

import re

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.contacts import make_contact, make_label
from tests.workflows.helpers import make_workflow
from webapp.contacts import service as contacts
from webapp.workflows.models import Workflow

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin(auth, org):
    return auth.client_for(make_member(org, "admin"), org)


@pytest.fixture
def manager(auth, org):
    return auth.client_for(make_member(org, "manager"), org)


def _form(label_id, **extra) -> dict:
    form = {
        "name": "Trial follow-up",
        "trigger-kind": "label_added",
        "trigger-label_id": str(label_id),
        "step-count": "2",
        "step-0-kind": "wait",
        "step-0-amount": "2",
        "step-0-unit": "days",
        "step-1-kind": "add_label",
        "step-1-label_id": str(label_id),
    }
    form.update(extra)
    return form


def test_the_empty_list_explains_workflows_and_links_to_the_editor(admin):
    page = admin.get("/console/workflows").get_data(as_text=True)
    assert "No workflows yet." in page
    assert "wait 2 days" in page
    assert 'href="/console/workflows/new"' in page


def test_the_nav_has_workflows(admin):
    assert 'href="/console/workflows"' in admin.get("/console/segments").get_data(as_text=True)


def test_a_workflow_is_created_from_the_editor_as_a_draft_then_activated_and_paused(admin, org):
    trial = make_label(org, "Trial")
    answer = admin.post("/console/workflows/new", data=_form(trial.id))
    assert answer.status_code == 303
    workflow = Workflow.get()
    assert (workflow.name, workflow.state) == ("Trial follow-up", "draft")
    assert workflow.trigger == {"kind": "label_added", "label_id": trial.id}
    assert workflow.steps == [
        {"kind": "wait", "amount": 2, "unit": "days"},
        {"kind": "add_label", "label_id": trial.id},
    ]

    assert admin.post(f"/console/workflows/{workflow.id}/activate").status_code == 303
    assert Workflow.get_by_id(workflow.id).state == "active"
    assert admin.post(f"/console/workflows/{workflow.id}/pause").status_code == 303
    assert Workflow.get_by_id(workflow.id).state == "paused"
    page = admin.get(f"/console/workflows/{workflow.id}").get_data(as_text=True)
    assert "Paused: no new runs start" in page and ">Resume<" in page


def test_steps_are_added_moved_and_removed_in_the_editor_without_saving(admin, org):
    trial = make_label(org, "Trial")
    added = admin.post("/console/workflows/new", data=_form(trial.id, op="add:webhook"), headers=HTMX)
    html = added.get_data(as_text=True)
    assert html.lstrip().startswith("<form")  # the editor alone, for htmx to swap
    assert re.findall(r'name="step-\d-kind" value="(\w+)"', html) == ["wait", "add_label", "webhook"]

    moved = admin.post(
        "/console/workflows/new",
        data=_form(trial.id, op="up:2", **{"step-count": "3", "step-2-kind": "webhook", "step-2-name": "crm"}),
        headers=HTMX,
    ).get_data(as_text=True)
    assert re.findall(r'name="step-\d-kind" value="(\w+)"', moved) == ["wait", "webhook", "add_label"]
    assert 'value="crm"' in moved

    removed = admin.post("/console/workflows/new", data=_form(trial.id, op="remove:0"), headers=HTMX)
    assert re.findall(r'name="step-\d-kind" value="(\w+)"', removed.get_data(as_text=True)) == ["add_label"]
    assert Workflow.select().count() == 0


def test_errors_show_beside_their_fields_and_nothing_is_saved(admin, org):
    other_label = make_label(make_org(), "Theirs")
    answer = admin.post(
        "/console/workflows/new",
        data=_form(other_label.id, name="", **{"step-0-amount": "0", "trigger-label_id": str(other_label.id)}),
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert re.search(r'id="name"[^>]*aria-invalid="true"', page)
    assert 'id="err-name"' in page and "Give the workflow a name." in page
    assert 'id="err-trigger-label_id"' in page and "Choose one of your labels." in page
    assert 'id="err-steps-0-amount"' in page and "Enter a whole number from 1 to 365." in page
    assert Workflow.select().count() == 0


def test_bad_properties_lines_are_refused_beside_the_field(admin, org):
    form = {
        "name": "X",
        "trigger-kind": "tracked_event",
        "trigger-type": "purchase",
        "trigger-properties": "plan pro",
        "step-count": "0",
    }
    page = admin.post("/console/workflows/new", data=form).get_data(as_text=True)
    assert "Write one name=value per line." in page


def test_the_runs_table_shows_each_contacts_state(admin, org):
    trial = make_label(org, "Trial")
    workflow = make_workflow(
        org, {"kind": "label_added", "label_id": trial.id}, [{"kind": "wait", "amount": 1, "unit": "days"}]
    )
    ana = make_contact(org, "ana@example.org", name="Ana Putri")
    contacts.add_label(ana, "Trial")
    page = admin.get(f"/console/workflows/{workflow.id}").get_data(as_text=True)
    assert "Ana Putri" in page and "Waiting" in page and "waiting: 1 day" in page
    timeline = admin.get(f"/console/contacts/{ana.id}").get_data(as_text=True)
    assert "Workflow “Welcome”: waiting 1 day" in timeline
    assert "Ana Putri" not in admin.get(f"/console/workflows/{workflow.id}?state=done").get_data(as_text=True)


def test_the_console_speaks_indonesian(admin, org):
    page = admin.get("/console/workflows", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Belum ada alur kerja." in page
    workflow = make_workflow(org, {"kind": "stage_changed", "to": ""}, [{"kind": "wait", "amount": 2, "unit": "days"}])
    page = admin.get(f"/console/workflows/{workflow.id}", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Dimulai saat" in page and "Tahap funnel berubah" in page and "Tunggu 2 hari" in page


def test_managers_read_but_only_admins_and_owners_change(manager, org):
    trial = make_label(org, "Trial")
    workflow = make_workflow(org, {"kind": "label_added", "label_id": trial.id}, [])
    assert manager.get("/console/workflows").status_code == 200
    assert manager.get(f"/console/workflows/{workflow.id}").status_code == 200
    assert manager.get("/console/workflows/new").status_code == 403
    assert manager.post("/console/workflows/new", data=_form(trial.id)).status_code == 403
    assert manager.post(f"/console/workflows/{workflow.id}/pause").status_code == 403
    assert manager.post(f"/console/workflows/{workflow.id}/delete").status_code == 403
    assert Workflow.get_by_id(workflow.id).state == "active"


def test_another_organizations_workflow_is_not_found(admin):
    other = make_org()
    workflow = make_workflow(other, {"kind": "stage_changed", "to": ""}, [])
    for url in (f"/console/workflows/{workflow.id}", f"/console/workflows/{workflow.id}/edit"):
        assert admin.get(url).status_code == 404
    assert admin.post(f"/console/workflows/{workflow.id}/pause").status_code == 404
    assert Workflow.get_by_id(workflow.id).state == "active"


def test_posts_without_a_csrf_token_are_refused(csrf_app):
    org = make_org()
    user = make_member(org, "admin")
    client = csrf_app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    workflow = make_workflow(org, {"kind": "stage_changed", "to": ""}, [])
    for url in (
        "/console/workflows/new",
        f"/console/workflows/{workflow.id}/pause",
        f"/console/workflows/{workflow.id}/delete",
    ):
        assert client.post(url, data={"name": "x"}, headers=HTMX).status_code == 400, url
    assert Workflow.get_by_id(workflow.id).state == "active"


@pytest.mark.parametrize(
    "extra",
    [
        {"step-count": "99999999999999"},
        {"step-count": "-1", "op": "remove:99999999999999999"},
        {"op": "up:0"},
        {"op": "add:teleport"},
        {"trigger-kind": "x" * 5000},
        {"trigger-label_id": "99999999999999999999999"},
        {"step-0-amount": "NaN"},
        {"step-0-amount": "1e9"},
        {"step-0-unit": "fortnights"},
        {"step-1-kind": "jump"},
    ],
)
def test_crafted_editor_posts_answer_the_editor_never_a_500(admin, org, extra):
    trial = make_label(org, "Trial")
    answer = admin.post("/console/workflows/new", data=_form(trial.id, **extra))
    assert answer.status_code in (200, 303, 422), answer.status_code
    assert "<form" in answer.get_data(as_text=True) or answer.status_code == 303


def test_a_bad_runs_page_cursor_or_state_is_ignored(admin, org):
    workflow = make_workflow(org, {"kind": "stage_changed", "to": ""}, [])
    for query in ("before=abc", "before=99999999999999999999", "state=%00", "state=nonsense"):
        assert admin.get(f"/console/workflows/{workflow.id}?{query}").status_code in (200, 400), query
