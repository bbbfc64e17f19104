"""The segments console: list, editor (live count and sample, errors beside the node, save and
reopen), a segment's page, the one-click segments of an event, isolation, roles and CSRF."""

from __future__ import annotations

import re

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.contacts import make_contact, make_label
from webapp.contacts import service as contacts
from webapp.segments import service
from webapp.segments.models import Segment

HTMX = {"HX-Request": "true"}


@pytest.fixture
def org():
    return make_org()


@pytest.fixture
def manager(auth, org):
    return auth.client_for(make_member(org, "manager"), org)


def _labelled(org, name, *emails):
    label = make_label(org, name)
    for email in emails:
        contacts.add_label(make_contact(org, email), name)
    return label


def _tree(*children, join="and"):
    return {"type": "group", "join": join, "negate": False, "children": list(children)}


def _has_label(label_id, negate=False):
    return {"type": "condition", "dimension": "labels", "operator": "any_of", "value": [label_id], "negate": negate}


def _count(html: str) -> str:
    return re.search(r'data-count="([^"]*)"', html).group(1)


def test_editor_pages_render(manager, org):
    vip = _labelled(org, "VIP", "ana@example.org", "budi@example.org")
    make_contact(org, "citra@example.org")
    page = manager.get("/console/segments/new")
    assert page.status_code == 200, page.get_data(as_text=True)
    assert _count(page.get_data(as_text=True)) == "3"
    form = {"name": "x", "node": ["n", "n-0"], "n:type": "group", "n:join": "and", "n-0:type": "condition",
            "n-0:dimension": "labels", "n-0:operator": "any_of", "n-0:value": [str(vip.id)]}
    response = manager.post("/console/segments/editor/preview", data=form, headers=HTMX)
    assert response.status_code == 200
    assert _count(response.get_data(as_text=True)) == "2"
    response = manager.post("/console/segments/editor/tree", data={**form, "op": "add_group:n"}, headers=HTMX)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert 'name="n-1:type" value="group"' in response.get_data(as_text=True)
