"""Random contact data and random condition trees: the compiled SQL holds exactly the contacts the
plain Python evaluator holds (on SQLite, and on PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories.catalog import make_coupon, make_product, make_question
from tests.factories.checkin import make_checkin_list
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.checkin.models import Attendance, Checkin
from webapp.contacts.ingest_models import IncomingEvent
from webapp.contacts.models import CONTACT_STATUSES, FUNNEL_STAGES, Contact, ContactLabel, Label
from webapp.mail.models import MailEngagement, Outbox
from webapp.orders.models import Registrant
from webapp.segments import evaluate, query
from webapp.segments.models import Segment
from webapp.segments.tree import validate

NOW = dt.datetime(2026, 6, 15, 12, 0, 0)
# Texts with every quoting and pattern character we could get wrong, in both letter cases.
TEXTS = ["ana", "ANA", "o'brien", 'say "hi"', "50%", "a_b", "back\\slash", "x; DROP TABLE contact;--", "", "Ana Putri"]
GATES = ["North", "north", "Gate 'A'", "50%_"]
SEND_KEYS = ["ticket", "payment", "automation:1"]
TYPES = ["signup", "purchase", "feature_used"]


def _ago(rng: random.Random, days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=rng.randint(0, days), hours=rng.randint(0, 23))


def _custom(rng: random.Random) -> dict:
    pools = {
        "city": ["Jakarta", "jakarta", "50%", "", None, 7, True],
        "age": [31, 31.5, "31", 0, -2, None, False],
        "joined": ["2026-06-01", "2026-06-14T10:00", "2025-12-31", "not a date", "", 20260601],
        "vip": [True, False, "true", 1, None],
    }
    return {key: rng.choice(values) for key, values in pools.items() if rng.random() < 0.7}


def seed_data(org, rng: random.Random) -> dict:
    events = [
        make_event(org, starts_at=NOW - dt.timedelta(days=40), tags=["workshop", "2026"]),
        make_event(org, starts_at=NOW + dt.timedelta(days=10), tags=["Summit"]),
        make_event(org, starts_at=NOW - dt.timedelta(days=5), tags=["workshop"]),
    ]
    products = [make_product(e, name=f"P{i}") for e in events for i in range(2)]
    coupons = [make_coupon(e) for e in events]
    lists = [make_checkin_list(e) for e in events]
    questions = [make_question(e, kind="choice", options=["red", "blue", "50%"], per_attendee=True) for e in events]
    questions += [make_question(events[0], kind="text", per_attendee=False)]
    questions += [make_question(events[1], kind="checkbox", per_attendee=True)]
    questions += [make_question(events[2], kind="number", per_attendee=False)]
    labels = [Label.create(organization=org.id, name=f"L{i}") for i in range(4)]
    contacts = []
    for n in range(36):
        contacts.append(
            Contact.create(
                organization=org.id,
                email=f"{rng.choice(['ana', 'o.brien', 'a_b', 'x'])}{n}@{rng.choice(['example.org', 'corp.test', 'a_b.id'])}",
                name=rng.choice(TEXTS),
                status=rng.choice(CONTACT_STATUSES),
                stage=rng.choice(FUNNEL_STAGES),
                source=rng.choice(["", "import", "registration"]),
                custom=_custom(rng),
                unsubscribe_token=uuid.uuid4().hex,
                created_at=_ago(rng, 90),
                subscribed_at=rng.choice([None, _ago(rng, 90)]),
            )
        )
    for contact in contacts:
        for label in rng.sample(labels, rng.randint(0, 3)):
            ContactLabel.create(organization=org.id, contact=contact, label=label)
        for _ in range(rng.randint(0, 3)):
            _registration(org, rng, contact, events, products, coupons, lists, questions)
        for _ in range(rng.randint(0, 4)):
            IncomingEvent.create(
                organization=org.id,
                type=rng.choice(TYPES),
                occurred_at=_ago(rng, 60),
                properties=rng.choice([{}, {"plan": "pro"}, {"plan": "basic"}, {"plan": 1}, {"plan": None}]),
                status="processed",
                contact_id=contact.id,
            )
        for _ in range(rng.randint(0, 2)):
            _mail(org, rng, contact)
    return {
        "events": [e.id for e in events],
        "products": [p.id for p in products],
        "coupons": [c.id for c in coupons],
        "lists": [c.id for c in lists],
        "questions": [q.id for q in questions],
        "labels": [label.id for label in labels],
    }


def _order_answers(rng, i: int, questions) -> dict:
    """The text question (event 0) or the number question (event 2), any value the JSON may hold."""
    if i == 2:
        return rng.choice([{}, {str(questions[-1].id): rng.choice([0, 3, 3.5, -1, "3", None, True])}])
    return rng.choice([{}, {str(questions[3].id): rng.choice(TEXTS[:6])}])


def _attendee_answers(rng, i: int, questions) -> dict:
    answers = rng.choice([{}, {str(questions[i].id): rng.choice(["red", "blue", "50%", "RED"])}])
    if i == 1:  # the yes/no question
        answers[str(questions[4].id)] = rng.choice([True, False, "true", 1])
    return answers


def _registration(org, rng, contact, events, products, coupons, lists, questions) -> None:
    i = rng.randrange(len(events))
    status = rng.choice(["paid", "paid", "pending", "canceled", "refunded", "expired"])
    order = make_order(
        events[i],
        {products[2 * i + rng.randint(0, 1)]: 1},
        status=status,
        coupon=rng.choice([None, coupons[i]]),
        answers=_order_answers(rng, i, questions),
        attendees=[{"answers": _attendee_answers(rng, i, questions)}],
    )
    checked_in = rng.random() < 0.4
    Registrant.update(contact=contact.id, checked_in_at=_ago(rng, 30) if checked_in else None).where(
        Registrant.order == order.id
    ).execute()
    registrant = order.registrants.get()
    if checked_in:
        Checkin.create(
            organization=org.id,
            event=events[i],
            checkin_list=lists[i],
            registrant=registrant,
            kind=rng.choice(["entry", "entry", "exit"]),
            result=rng.choice(["ok", "ok", "error"]),
            gate=rng.choice(GATES),
            undone_at=rng.choice([None, None, NOW]),
        )
        Attendance.create(organization=org.id, checkin_list=lists[i], registrant=registrant, entries=rng.randint(0, 2))


def _mail(org, rng, contact) -> None:
    sent = rng.random() < 0.8
    message = Outbox.create(
        organization=org.id,
        message_id=f"<{uuid.uuid4().hex}@test>",
        kind="ticket",
        to_email=contact.email,
        from_email="events@example.org",
        subject="Your ticket",
        text_body="Hello",
        send_key=rng.choice(SEND_KEYS),
        contact_id=contact.id,
        state="sent" if sent else "failed",
        sent_at=_ago(rng, 40) if sent else None,
    )
    for _ in range(rng.randint(0, 2)):
        MailEngagement.create(
            organization=org.id,
            outbox=message,
            contact_id=contact.id,
            kind=rng.choice(["open", "click"]),
            machine=rng.random() < 0.3,
            occurred_at=_ago(rng, 40),
        )


# Trees -------------------------------------------------------------------------------------------


REQUIRED = {"field", "field_type", "question_id", "event_type", "property"}


def _cond(dimension, operator, value=None, **keys):
    required = {k: v for k, v in keys.items() if k in REQUIRED}
    optional = {k: v for k, v in keys.items() if k not in REQUIRED}
    return st.builds(
        lambda negate, v, k: {
            "type": "condition",
            "dimension": dimension,
            "operator": operator,
            "value": v,
            "negate": negate,
            **k,
        },
        st.booleans(),
        value if isinstance(value, st.SearchStrategy) else st.just(value),
        st.fixed_dictionaries(required, optional=optional),
    ).filter(lambda node: not ("event_id" in node and "event_tag" in node))


def conditions(ids: dict) -> st.SearchStrategy:
    text = st.sampled_from([t for t in TEXTS if t.strip()] + ["an", "A", "%", "_", "'"])
    day = st.dates(dt.date(2025, 12, 1), dt.date(2026, 7, 1)).map(dt.date.isoformat)
    days = st.integers(0, 100)
    event_keys = {
        "event_id": st.sampled_from(ids["events"]),
        "event_tag": st.sampled_from(["workshop", "summit", "2026", "none"]),
    }
    span = {"event_from": day, "event_to": day}

    def some(key):
        return st.lists(st.sampled_from(ids[key]), min_size=1, max_size=3)

    text_ops = [_cond(d, op, text) for d in ("name", "email") for op in ("equals", "contains", "starts_with")]
    options = [
        *text_ops,
        _cond("name", "is_empty"),
        _cond("name", "any_of", st.lists(text, min_size=1, max_size=3)),
        _cond("email_domain", "any_of", st.lists(st.sampled_from(["example.org", "a_b.id", "corp"]), min_size=1)),
        _cond("status", "any_of", st.lists(st.sampled_from(CONTACT_STATUSES), min_size=1)),
        _cond("stage", "equals", st.sampled_from(FUNNEL_STAGES)),
        _cond("source", "is_empty"),
        _cond("source", "equals", st.sampled_from(["import", "registration"])),
        _cond("created", "before", day),
        _cond("created", "after", day),
        _cond("created", "within_days", days),
        _cond("subscribed", "is_empty"),
        _cond("subscribed", "within_days", days),
        _cond("custom_field", "equals", text, field=st.sampled_from(["city", "age"])),
        _cond("custom_field", "contains", text, field=st.just("city")),
        _cond("custom_field", "is_empty", field=st.sampled_from(["city", "joined", "nope"])),
        *[
            _cond(
                "custom_field",
                op,
                st.sampled_from([0, 31, 31.5, -1]),
                field=st.just("age"),
                field_type=st.just("number"),
            )
            for op in ("equals", "at_least", "at_most")
        ],
        *[
            _cond("custom_field", op, day, field=st.just("joined"), field_type=st.just("date"))
            for op in ("before", "after")
        ],
        _cond("custom_field", "within_days", days, field=st.just("joined"), field_type=st.just("date")),
        _cond("custom_field", "equals", st.booleans(), field=st.just("vip"), field_type=st.just("boolean")),
        *[_cond("labels", op, some("labels")) for op in ("any_of", "all_of", "none_of")],
        _cond("registered", "exists", **event_keys, **span),
        _cond("registered", "at_least", st.integers(1, 3), **event_keys),
        _cond("registered", "at_most", st.integers(0, 2), **event_keys),
        _cond("attended", "exists", **event_keys, **span),
        _cond("attended", "at_least", st.integers(1, 2)),
        _cond("no_show", "exists", **event_keys),
        _cond("product", "any_of", some("products")),
        _cond(
            "order_status",
            "any_of",
            st.lists(st.sampled_from(["paid", "pending", "canceled", "refunded"]), min_size=1),
            **event_keys,
        ),
        _cond("coupon", "exists", **event_keys),
        _cond("coupon", "any_of", some("coupons")),
        _cond("checkin_gate", "any_of", st.lists(st.sampled_from(GATES), min_size=1)),
        _cond("checkin_list", "any_of", some("lists")),
        _cond(
            "answer",
            "any_of",
            st.lists(st.sampled_from(["red", "blue", "50%", *TEXTS[:6]]).filter(str.strip), min_size=1),
            question_id=st.sampled_from(ids["questions"][:4]),
        ),
        _cond("answer", "equals", st.booleans(), question_id=st.just(ids["questions"][4])),
        *[
            _cond("answer", op, st.sampled_from([0, 3, 3.5, -1]), question_id=st.just(ids["questions"][5]))
            for op in ("equals", "at_least", "at_most")
        ],
        _cond(
            "tracked",
            "at_least",
            st.integers(1, 3),
            event_type=st.sampled_from(TYPES),
            days=st.integers(1, 60),
            property=st.just("plan"),
        ),
        _cond(
            "tracked",
            "at_least",
            st.just(1),
            event_type=st.sampled_from(TYPES),
            property=st.just("plan"),
            property_value=st.sampled_from(["pro", "basic", "1"]),
        ),
        _cond("tracked", "never", event_type=st.sampled_from(TYPES), days=st.integers(1, 60)),
        _cond("mail_received", "exists", send_key=st.sampled_from(SEND_KEYS), days=st.integers(1, 60)),
        _cond("mail_opened", "exists", send_key=st.sampled_from(SEND_KEYS), days=st.integers(1, 60)),
        _cond("mail_clicked", "exists", send_key=st.sampled_from(SEND_KEYS)),
    ]
    if ids.get("segments"):
        options.append(_cond("segment", "member", st.sampled_from(ids["segments"])))
    return st.one_of(options)


def trees(ids: dict, depth: int = 1) -> st.SearchStrategy:
    leaf = conditions(ids)
    child = leaf if depth >= 4 else st.one_of(leaf, leaf, trees(ids, depth + 1))
    return st.builds(
        lambda join, negate, children: {"type": "group", "join": join, "negate": negate, "children": children},
        st.sampled_from(["and", "or"]),
        st.booleans(),
        st.lists(child, max_size=4),
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_compiled_sql_holds_what_the_python_evaluator_holds(app, seed):
    from tests.factories.accounts import make_org

    org = make_org()
    rng = random.Random(seed)
    ids = seed_data(org, rng)
    saved = rng.choice([t for t in TEXTS if t.strip()])
    first = Segment.create(
        organization=org.id,
        name="Saved",
        tree=validate(
            org.id,
            {
                "type": "group",
                "children": [
                    {"type": "condition", "dimension": "name", "operator": "contains", "value": saved},
                    {"type": "condition", "dimension": "attended", "operator": "exists", "negate": True},
                ],
                "join": "or",
            },
        ),
    )
    ids["segments"] = [first.id]
    snap = evaluate.load(org.id, NOW)

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(trees(ids))
    def check(tree):
        normalized = validate(org.id, tree)
        compiled = {c.id for c in query.members(org.id, normalized, now=NOW)}
        assert compiled == evaluate.member_ids(snap, normalized), normalized
        assert query.count(org.id, normalized, now=NOW) == len(compiled)

    check()
