"""A campaign's messages filled in from its body rendered once are byte for byte those rendered in
full, for every kind of contact; bodies that personalize beyond simple placeholders (or put a
contact's value where the cleaner treats it differently) are rendered in full."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.campaigns.helpers import BODY, ready_campaign
from webapp.campaigns import compose
from webapp.contacts.models import Contact

NAMES = [
    "Ana Putri",
    "",
    "O'Brien & Sons",
    'Zoë "Zee" <b>Łódź</b>',
    "李 小龍",
    "  ",
    "Tab\there",
    "Line\nbreak",
    "Non\xa0breaking",
    "&amp; &lt;script&gt;",
    "rcv0q0z {{ contact.name }}",
    "http://rollcall.test/u/oldtoken",
    "Jl. Sudirman 1",
]
COMPANIES = ["", "Example & Co", "<i>Acme</i>", "Ünal 'Ltd'"]

BODIES = {
    "the usual": BODY,
    "every placeholder": (
        "<p>{{ contact.first_name }} / {{ contact.name }} / {{ contact.email }} / {{ contact['company'] }}</p>"
        '<p>{{ contact.company | default("your team") }} at {{ organization.name }}, {{ organization.address }}</p>'
        '<p><a href="{{ unsubscribe_url }}">leave</a> or {{ unsubscribe_url }}</p>'
    ),
    "inside a table": "<table>{{ contact.name }}<tr><td>{{ contact.first_name }}</td></tr>\n{{ contact.company }}</table>",
    "inside an attribute": '<p title="{{ contact.name }}">Hi</p><a href="https://example.org/?who={{ contact.email }}">x</a>',
    "inside a style block": "<style>p{}/* {{ contact.name }} */</style><p>Hi {{ contact.first_name }}</p>",
    "a condition": "{% if contact.first_name %}<p>Hi {{ contact.first_name }}</p>{% else %}<p>Hi</p>{% endif %}",
    "another filter": "<p>Hi {{ contact.first_name | upper }}</p>",
    "no placeholder": "<html><body><p>Doors open at 8.</p><a href='https://example.org/map'>map</a></body></html>",
    "an old unsubscribe link": '<p>Hi {{ contact.name }} <a href="http://rollcall.test/u/abc123">stop</a></p>',
}
SUBJECTS = [
    "Hi {{ contact.first_name }}: doors open",
    '{{ contact.first_name | default("Friend") }}, {{ organization.name }}',
    "{% if contact.company %}{{ contact.company }}{% endif %} news",
]


def _contacts(org) -> list[Contact]:
    return [
        Contact(organization=org.id, name=name, email=f"p{i}@example.org", company=COMPANIES[i % len(COMPANIES)])
        for i, name in enumerate(NAMES)
    ]


def _full(sender: compose.Sender) -> compose.Sender:
    """The same sender rendering every message in full."""
    full = compose.Sender.for_campaign(sender.campaign)
    full.subject_pieces = full.text_pieces = full.clean_body = None
    return full


@pytest.mark.parametrize("kind", list(BODIES))
def test_messages_filled_in_are_those_rendered_in_full(app, kind):
    subject = SUBJECTS[list(BODIES).index(kind) % len(SUBJECTS)]
    campaign, _label, _people = ready_campaign(body_html=BODIES[kind], subject=subject, preheader="Doors & maps")
    sender = compose.Sender.for_campaign(campaign)
    full = _full(sender)
    sender.signer = full.signer = None  # the signature carries its time; the signed bytes are compared
    now = dt.datetime(2026, 12, 1, 8, 0)
    for i, contact in enumerate(_contacts(campaign.organization)):
        assert sender.subject(contact) == full.subject(contact)
        fields = {"contact": contact, "to_email": contact.email, "message_id": f"<m{i}@x>", "outbox_id": 100 + i}
        fast = sender.message(subject=sender.subject(contact), now=now, **fields)
        slow = full.message(subject=full.subject(contact), now=now, **fields)
        assert fast == slow
        assert sender.render(contact, 100 + i) == full.render(contact, 100 + i)


def test_simple_bodies_are_rendered_once_and_others_in_full(app):
    made = {}
    for kind, body in BODIES.items():
        campaign, _label, _people = ready_campaign(body_html=body)
        made[kind] = compose.Sender.for_campaign(campaign).clean_body is not None
    assert made == {
        "the usual": True,
        "every placeholder": True,  # the unsubscribe link may sit in an attribute: it is our own URL
        "inside a table": False,  # text in a table is moved before it by the cleaner
        "inside an attribute": False,
        "inside a style block": False,
        "a condition": False,
        "another filter": False,
        "no placeholder": True,
        "an old unsubscribe link": True,
    }
