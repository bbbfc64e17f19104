"""The segments console: the list, the editor (live count and sample, errors beside the node, save
and reopen), a segment's page, the one-click segments of an event, the contacts list filter,
isolation, roles and CSRF."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from tests.segments.helpers import attach, cond, group
from webapp.accounts.audit import AuditEntry
from webapp.contacts import service as contacts
from webapp.segments import service
from webapp.segments.models import Segment, SegmentCount
from webapp.segments.tree import DIMENSIONS

HTMX = {"HX-Request": "true"}


@pytest.fixture
def manager(auth, org):
    return auth.client_for(make_member(org, "manager"), org)


def _labelled(org, name, *emails):
    label = make_label(org, name)
    for email in emails:
        contacts.add_label(make_contact(org, email, name=email.split("@")[0].capitalize()), name)
    return label


def _count(html: str) -> str:
    return re.search(r'data-count="([^"]*)"', html).group(1)


def _form(*conditions, join="and", **extra) -> dict:
    """The editor's fields for a root group of label conditions: (operator, [label ids], negate)."""
    form = {"name": "Segment", "node": ["n"], "n:type": "group", "n:join": join}
    for i, (operator, ids, negate) in enumerate(conditions):
        key = f"n-{i}"
        form["node"].append(key)
        form.update({f"{key}:type": "condition", f"{key}:dimension": "labels", f"{key}:operator": operator})
        form[f"{key}:value"] = [str(i) for i in ids]
        if negate:
            form[f"{key}:negate"] = "1"
    form.update(extra)
    return form


def _save(org, name="VIP", tree=None):
    return service.create_segment(org.id, name=name, tree=tree or group())


# Roles, isolation, CSRF ---------------------------------------------------------------------------


def test_segments_need_a_manager(auth, client, org):
    segment = _save(org)
    door = auth.client_for(make_member(org, "door"), org)
    for url in ("/console/segments", "/console/segments/new", f"/console/segments/{segment.id}"):
        assert door.get(url).status_code in (302, 403)
    assert door.post("/console/segments/editor/preview", data=_form()).status_code == 403
    assert door.post("/console/segments/new", data=_form()).status_code == 403
    assert door.post(f"/console/segments/{segment.id}/delete").status_code == 403
    response = client.get("/console/segments")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert Segment.select().count() == 1


def test_another_organizations_segment_is_not_found(manager, org):
    other = make_org()
    theirs = _save(other, "Theirs", group(cond("labels", "any_of", [make_label(other, "Secret").id])))
    for url in (
        f"/console/segments/{theirs.id}",
        f"/console/segments/{theirs.id}/edit",
        f"/console/segments/{theirs.id}/count",
        f"/console/contacts?segment={theirs.id}",
    ):
        assert manager.get(url).status_code == 404, url
    assert manager.post(f"/console/segments/{theirs.id}/delete").status_code == 404
    assert manager.post(f"/console/segments/{theirs.id}/edit", data=_form(name="Mine now")).status_code == 404
    preview = manager.post("/console/segments/editor/preview", data=_form(segment_id=str(theirs.id)), headers=HTMX)
    assert preview.status_code == 404
    assert Segment.get_by_id(theirs.id).name == "Theirs"


def test_another_organizations_label_is_refused_beside_the_condition(manager, org):
    _labelled(org, "VIP", "ana@example.org")
    secret = _labelled(make_org(), "Secret", "spy@example.org")
    response = manager.post(
        "/console/segments/editor/preview", data=_form(("any_of", [secret.id], False)), headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _count(html) == ""  # no count of anyone else's contacts
    assert re.search(r'id="err-n-0"[^>]*hx-swap-oob="true">No such label in this organization', html)
    assert "spy@example.org" not in html


def test_every_post_needs_the_csrf_token(csrf_app):
    org = make_org()
    user = make_member(org, "manager")
    client = csrf_app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    for url in ("/console/segments/new", "/console/segments/editor/preview", "/console/segments/editor/tree"):
        assert client.post(url, data=_form(), headers=HTMX).status_code == 400, url
    segment = _save(org)
    assert client.post(f"/console/segments/{segment.id}/delete").status_code == 400
    assert Segment.select().count() == 1


# The list ---------------------------------------------------------------------------------------


def test_the_list_starts_with_an_empty_state_then_shows_each_segment_and_its_live_count(manager, org):
    html = manager.get("/console/segments").get_data(as_text=True)
    assert "No segments yet." in html and "/console/segments/new" in html
    vip = _labelled(org, "VIP", "ana@example.org", "budi@example.org")
    segment = _save(org, "VIPs", group(cond("labels", "any_of", [vip.id])))
    html = manager.get("/console/segments").get_data(as_text=True)
    assert "VIPs" in html and f"/console/segments/{segment.id}/count" in html
    assert _count(manager.get(f"/console/segments/{segment.id}/count").get_data(as_text=True)) == "2"
    contacts.add_label(make_contact(org, "citra@example.org"), "VIP")  # counted when asked, never stale
    assert _count(manager.get(f"/console/segments/{segment.id}/count").get_data(as_text=True)) == "3"


# The editor -------------------------------------------------------------------------------------


def test_preview_counts_and_samples_the_tree_as_edited(manager, org):
    vip = _labelled(org, "VIP", "ana@example.org", "budi@example.org")
    speaker = _labelled(org, "Speaker", "citra@example.org")
    make_contact(org, "dewi@example.org")
    assert _count(manager.get("/console/segments/new").get_data(as_text=True)) == "4"  # no condition: all

    def preview(form):
        return manager.post("/console/segments/editor/preview", data=form, headers=HTMX).get_data(as_text=True)

    html = preview(_form(("any_of", [vip.id], False)))
    assert _count(html) == "2" and "ana@example.org" in html and "dewi@example.org" not in html
    assert _count(preview(_form(("any_of", [vip.id], False), ("any_of", [speaker.id], False)))) == "0"
    assert _count(preview(_form(("any_of", [vip.id], False), ("any_of", [speaker.id], False), join="or"))) == "3"
    assert _count(preview(_form(("any_of", [vip.id], True)))) == "2"  # not VIP: Citra, Dewi


def test_an_incomplete_condition_is_marked_and_not_counted(manager, org):
    _labelled(org, "VIP", "ana@example.org")
    html = manager.post("/console/segments/editor/preview", data=_form(("any_of", [], False)), headers=HTMX).get_data(
        as_text=True
    )
    assert _count(html) == ""
    assert re.search(r'id="err-n-0"[^>]*>Give a list of one or more values', html)
    assert re.search(r'id="err-n"[^>]*hx-swap-oob="true"></p>', html)  # the other nodes' messages are cleared


def test_buttons_add_and_remove_conditions_and_groups(manager, org):
    vip = _labelled(org, "VIP", "ana@example.org")

    def tree(form, op):
        response = manager.post("/console/segments/editor/tree", data={**form, "op": op}, headers=HTMX)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    html = tree(_form(("any_of", [vip.id], False)), "add_group:n")
    assert 'name="n-1:type" value="group"' in html and 'name="n-1-0:type" value="condition"' in html
    assert 'id="segment-preview"' in html and 'hx-swap-oob="true"' in html  # the count follows
    html = tree(_form(("any_of", [vip.id], False), ("any_of", [vip.id], False)), "remove:n-0")
    assert 'name="n-1:type"' not in html and 'name="n-0:type" value="condition"' in html
    html = tree(_form(("any_of", [vip.id], False)), "add_condition:n")
    assert 'name="n-1:type" value="condition"' in html
    # Another dimension: its own operators and inputs; the old value does not carry over.
    form = _form(("any_of", [vip.id], False))
    form["n-0:dimension"] = "created"
    html = tree(form, "")
    assert 'name="n-0:operator"' in html and '<option value="before" selected>' in html
    assert 'type="date" id="n-0-value"' in html


def test_saving_keeps_the_tree_and_reopening_shows_it(manager, org):
    vip = _labelled(org, "VIP", "ana@example.org", "budi@example.org")
    speaker = _labelled(org, "Speaker", "citra@example.org")
    form = _form(("any_of", [vip.id], False), join="or", name="VIPs or speakers", description="For the dinner")
    form["node"] += ["n-1", "n-1-0"]
    form.update({"n-1:type": "group", "n-1:join": "and", "n-1:negate": "1"})
    form.update({"n-1-0:type": "condition", "n-1-0:dimension": "labels", "n-1-0:operator": "none_of"})
    form["n-1-0:value"] = [str(speaker.id)]
    response = manager.post("/console/segments/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    segment = Segment.get(Segment.name == "VIPs or speakers")
    assert response.headers["Location"].endswith(f"/console/segments/{segment.id}")
    assert segment.description == "For the dinner"
    assert segment.tree == group(
        {**cond("labels", "any_of", [vip.id]), "negate": False},
        group({**cond("labels", "none_of", [speaker.id]), "negate": False}, negate=True),
        join="or",
    )
    assert AuditEntry.get(AuditEntry.action == "segment.create").target_id == segment.id

    html = manager.get(f"/console/segments/{segment.id}/edit").get_data(as_text=True)
    assert 'value="VIPs or speakers"' in html
    assert re.search(r'name="n:join" value="or" checked', html)
    assert re.search(r'name="n-1:negate" value="1" checked', html)
    assert re.search(rf'<option value="{speaker.id}" selected>Speaker</option>', html)
    assert _count(html) == "3"

    form["n:join"] = "and"
    assert manager.post(f"/console/segments/{segment.id}/edit", data=form).status_code == 303
    assert Segment.get_by_id(segment.id).tree["join"] == "and"


def test_a_bad_tree_or_name_is_refused_with_the_message_beside_it(manager, org):
    vip = _labelled(org, "VIP", "ana@example.org")
    _save(org, "Taken")
    response = manager.post("/console/segments/new", data=_form(("any_of", [], False), name="Fresh"))
    assert response.status_code == 422
    assert re.search(r'id="err-n-0"[^>]*>Give a list', response.get_data(as_text=True))
    response = manager.post("/console/segments/new", data=_form(("any_of", [vip.id], False), name="taken"))
    assert response.status_code == 422 and "Another segment has this name." in response.get_data(as_text=True)
    response = manager.post("/console/segments/new", data=_form(name=""))
    assert response.status_code == 422 and "Give the segment a name." in response.get_data(as_text=True)
    assert [s.name for s in Segment.select()] == ["Taken"]


def test_quoting_characters_are_plain_text(manager, org):
    name = "<script>alert(1)</script> ' OR 1=1 --"
    make_contact(org, "o'brien@example.org", name='O\'Brien "Bob"')
    form = _form(name=name)
    form["node"].append("n-0")
    form.update(
        {"n-0:type": "condition", "n-0:dimension": "name", "n-0:operator": "contains", "n-0:value": "'Brien \"B"}
    )
    response = manager.post("/console/segments/new", data=form)
    assert response.status_code == 303
    segment = Segment.get(Segment.organization == org.id)
    html = manager.get(f"/console/segments/{segment.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'data-total="1"' in html


# A segment's page -------------------------------------------------------------------------------


def test_members_are_paged_by_keyset_and_searchable(manager, org):
    vip = make_label(org, "VIP")
    for n in range(55):
        contacts.add_label(make_contact(org, f"member{n:02d}@example.org", name=f"Member {n:02d}"), "VIP")
    segment = _save(org, "VIPs", group(cond("labels", "any_of", [vip.id])))
    html = manager.get(f"/console/segments/{segment.id}").get_data(as_text=True)
    assert 'data-total="55"' in html and html.count("member") >= 50
    after = re.search(r"after=(\d+)", html).group(1)
    rest = manager.get(f"/console/segments/{segment.id}?after={after}", headers=HTMX).get_data(as_text=True)
    assert rest.count("@example.org</span>") == 5 and "after=" not in rest.split("First page")[1]
    found = manager.get(f"/console/segments/{segment.id}?q=member07", headers=HTMX).get_data(as_text=True)
    assert found.count("@example.org</span>") == 1 and "member07@example.org" in found


def test_the_count_over_time_shows_the_daily_counts(manager, org):
    segment = _save(org)
    html = manager.get(f"/console/segments/{segment.id}").get_data(as_text=True)
    assert "first count appears tomorrow" in html
    today = dt.date.today()
    for days_ago, number in ((2, 10), (1, 12), (0, 15)):
        SegmentCount.create(segment=segment, day=today - dt.timedelta(days=days_ago), count=number)
    html = manager.get(f"/console/segments/{segment.id}").get_data(as_text=True)
    assert "<svg" in html and "15 on the last day" in html
    assert f"<td>{today:%d %b %Y}</td><td>15</td>" in html


def test_deleting_a_segment(manager, org):
    used = _save(org, "Base")
    _save(org, "Uses it", group(cond("segment", "member", used.id)))
    response = manager.post(f"/console/segments/{used.id}/delete")
    assert response.status_code == 303 and Segment.get_or_none(Segment.id == used.id) is not None
    alone = _save(org, "Alone")
    response = manager.post(f"/console/segments/{alone.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/segments")
    assert Segment.get_or_none(Segment.id == alone.id) is None


# Events and contacts ----------------------------------------------------------------------------


def test_an_events_page_opens_its_segments_in_one_click(manager, org):
    past = make_event(org, starts_at=dt.datetime(2026, 1, 1, 9), ends_at=dt.datetime(2026, 1, 1, 17))
    for email in ("ana@example.org", "budi@example.org"):
        attach(make_registrant(past), make_contact(org, email))
    make_contact(org, "citra@example.org")
    html = manager.get(f"/console/events/{past.id}/overview").get_data(as_text=True)
    for state in ("registered", "attended", "no_show", "pending_payment"):
        assert f"/console/segments/events/{past.id}/{state}" in html
    html = manager.get(f"/console/segments/events/{past.id}/registered").get_data(as_text=True)
    assert _count(html) == "2" and f"Registered for {past.name}" in html
    assert _count(manager.get(f"/console/segments/events/{past.id}/attended").get_data(as_text=True)) == "0"
    assert _count(manager.get(f"/console/segments/events/{past.id}/no_show").get_data(as_text=True)) == "2"
    assert manager.get(f"/console/segments/events/{past.id}/everyone").status_code == 404
    assert manager.get(f"/console/segments/events/{make_event(make_org()).id}/registered").status_code == 404


def test_the_contacts_list_filters_by_segment(manager, org):
    vip = _labelled(org, "VIP", "ana@example.org", "budi@example.org")
    make_contact(org, "citra@example.org")
    segment = _save(org, "VIPs", group(cond("labels", "any_of", [vip.id])))
    html = manager.get("/console/contacts").get_data(as_text=True)
    assert f'<option value="{segment.id}" >VIPs</option>' in html or f'value="{segment.id}"' in html
    html = manager.get(f"/console/contacts?segment={segment.id}&q=ana").get_data(as_text=True)
    assert "ana@example.org" in html and "budi@example.org" not in html
    html = manager.get(f"/console/contacts?segment={segment.id}").get_data(as_text=True)
    assert "budi@example.org" in html and "citra@example.org" not in html


@pytest.mark.parametrize("dimension", sorted(DIMENSIONS))
def test_every_dimension_and_operator_has_its_inputs(manager, org, dimension):
    """Choosing any dimension, then any of its operators, shows its inputs and a count or the
    message beside the condition (never an error page)."""
    make_event(org, tags=["workshop"])
    _labelled(org, "VIP", "ana@example.org")
    form = _form(("any_of", [], False))
    form["n-0:dimension"] = dimension
    html = manager.post("/console/segments/editor/tree", data=form, headers=HTMX).get_data(as_text=True)
    operators = re.findall(r'<option value="([a-z_]+)"', html.split('name="n-0:operator"')[1].split("</select>")[0])
    operators = operators or [re.search(r'name="n-0:operator" value="([a-z_]+)"', html).group(1)]
    for operator in operators:
        response = manager.post("/console/segments/editor/tree", data={**form, "n-0:operator": operator}, headers=HTMX)
        assert response.status_code == 200, (dimension, operator)
        assert 'id="segment-preview"' in response.get_data(as_text=True)


def test_the_console_speaks_indonesian(manager, org):
    html = manager.get("/console/segments", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Belum ada segmen." in html and "Buat segmen pertama Anda" in html
    html = manager.get("/console/segments/new", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Simpan segmen" in html and "Cocok saat ini" in html
