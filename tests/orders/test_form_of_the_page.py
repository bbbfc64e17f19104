"""The registration form is judged by the page of its event's version: its questions and
participant groups are read once per page version, not for every form posted, and a change to
them (made here, or by another node) is asked on the next form, or within the moment another
node's change takes to show (events.service.VERSION_KEPT)."""

import time

from tests.factories.accounts import make_org
from tests.factories.catalog import make_product, make_question
from tests.factories.events import make_event
from tests.orders.helpers import form, register_url
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Question
from webapp.events import service
from webapp.events.models import Event
from webapp.orders import answers
from webapp.orders.models import Order, Registrant


def _event():
    event = make_event(make_org())
    return event, make_product(event, quota=100)


def test_the_form_reads_its_questions_and_groups_once_per_page_version(client, monkeypatch):
    event, ticket = _event()
    reads = []
    questions, groups = answers.questions_for, catalog_groups.groups_of
    monkeypatch.setattr(answers, "questions_for", lambda e: reads.append("questions") or questions(e))
    monkeypatch.setattr(catalog_groups, "groups_of", lambda e: reads.append("groups") or groups(e))
    for n in range(5):
        answer = client.post(register_url(event), data=form({ticket: 1}, buyer_email=f"ana{n}@example.org"))
        assert answer.status_code == 303
    assert sorted(reads) == ["groups", "questions"]
    assert Order.select().count() == 5


def test_a_question_added_here_is_asked_on_the_next_form(client):
    event, ticket = _event()
    assert client.post(register_url(event), data=form({ticket: 1})).status_code == 303
    question = make_question(event, label="Company", required=True)
    answer = client.post(register_url(event), data=form({ticket: 1}, buyer_email="budi@example.org"))
    assert answer.status_code == 422
    assert f'id="q{question.id}-error"' in answer.get_data(as_text=True)
    assert Order.select().count() == 1


def test_a_question_added_by_another_node_is_asked_within_the_moment(client):
    event, ticket = _event()
    assert client.post(register_url(event), data=form({ticket: 1})).status_code == 303
    # Another node adds a required question: the rows and the version change in the database only.
    Question.insert(
        organization=event.organization_id, event=event.id, label="Company", kind="text", required=True, position=9
    ).execute()
    Event.update(page_version=Event.page_version + 1).where(Event.id == event.id).execute()
    started, n = time.monotonic(), 0
    while True:
        n += 1
        answer = client.post(register_url(event), data=form({ticket: 1}, buyer_email=f"guest{n}@example.org"))
        if answer.status_code == 422:
            break
        assert answer.status_code == 303
        assert time.monotonic() - started < service.VERSION_KEPT + 0.5, "the other node's question was never asked"
        time.sleep(0.05)
    assert "Company" in answer.get_data(as_text=True)


def test_a_groups_old_link_stops_on_the_next_form_after_a_new_link(client):
    event, ticket = _event()
    crew = catalog_groups.create(event, {"name": "Crew", "registration": "open"}, actor=None)
    old_key = crew.key
    assert client.post(register_url(event), data=form({ticket: 1}, group=old_key)).status_code == 303
    catalog_groups.new_link(crew, actor=None)
    answer = client.post(register_url(event), data=form({ticket: 1}, group=old_key, buyer_email="budi@example.org"))
    assert answer.status_code == 303
    joined = [r.group_id for r in Registrant.select().order_by(Registrant.id)]
    assert joined[0] == crew.id and joined[1] != crew.id  # the old link now joins the default group
