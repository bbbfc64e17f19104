"""The registrant list: search, filters, sort, keyset pages, htmx fragments, isolation."""

from __future__ import annotations

import re

from tests.factories.accounts import make_org
from tests.factories.catalog import make_coupon
from tests.factories.events import make_event
from tests.factories.orders import make_order, make_registrant
from webapp.contacts.models import Contact, ContactLabel, Label
from webapp.db import utcnow


def names(html: str) -> list[str]:
    return re.findall(r'/registrants/\d+">([^<]+)</a>', html)


def url(desk, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/console/events/{desk.event.id}/registrants" + (f"?{query}" if query else "")


def test_search_finds_by_name_email_and_order_code(desk):
    ana = make_registrant(desk.event, buyer_name="Ana Lopez", buyer_email="ana@example.org")
    make_registrant(desk.event, buyer_name="Budi Santoso", buyer_email="budi@example.org")
    assert names(desk.client.get(url(desk, q="lopez")).text) == ["Ana Lopez"]
    assert names(desk.client.get(url(desk, q="budi@")).text) == ["Budi Santoso"]
    assert names(desk.client.get(url(desk, q=ana.order.code.lower())).text) == ["Ana Lopez"]


def test_filters_by_product_status_approval_checkin_coupon_and_label(desk):
    coupon = make_coupon(desk.event, code="EARLY")
    paid = make_registrant(desk.event, buyer_name="Paid Person")
    make_registrant(desk.event, status="pending", buyer_name="Pending Person")
    make_registrant(desk.event, desk.vip, buyer_name="Vip Person")
    make_registrant(desk.event, approval="pending", status="pending", buyer_name="Waiting Person")
    make_registrant(desk.event, coupon=coupon, buyer_name="Coupon Person")
    paid.checked_in_at = utcnow()
    paid.save()
    contact = Contact.create(organization=desk.org, email="l@example.org", unsubscribe_token="tok-l")
    labelled = make_registrant(desk.event, buyer_name="Labelled Person", buyer_email="l@example.org")
    labelled.contact = contact
    labelled.save()
    label = Label.create(organization=desk.org, name="speaker")
    ContactLabel.create(organization=desk.org, contact=contact, label=label)

    assert names(desk.client.get(url(desk, product=desk.vip.id)).text) == ["Vip Person"]
    assert set(names(desk.client.get(url(desk, status="pending")).text)) == {"Pending Person", "Waiting Person"}
    assert names(desk.client.get(url(desk, approval="pending")).text) == ["Waiting Person"]
    assert names(desk.client.get(url(desk, checked_in="yes")).text) == ["Paid Person"]
    assert "Paid Person" not in names(desk.client.get(url(desk, checked_in="no")).text)
    assert names(desk.client.get(url(desk, coupon=coupon.id)).text) == ["Coupon Person"]
    assert names(desk.client.get(url(desk, label=label.id)).text) == ["Labelled Person"]


def test_pages_follow_each_other_without_gaps_or_repeats(desk):
    for i in range(120):
        make_registrant(desk.event, buyer_name=f"Person {i:03d}")
    seen = []
    page = desk.client.get(url(desk, sort="name")).text
    assert "120" in page
    while True:
        seen += names(page)
        match = re.search(r'href="([^"]*after=[^"]+)"[^>]*rel|rel="next" href="([^"]+)"', page)
        if not match:
            break
        page = desk.client.get((match.group(1) or match.group(2)).replace("&amp;", "&")).text
    assert seen == [f"Person {i:03d}" for i in range(120)]


def test_previous_page_returns_the_rows_before(desk):
    for i in range(60):
        make_registrant(desk.event, buyer_name=f"Person {i:03d}")
    first = desk.client.get(url(desk)).text
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = desk.client.get(next_url).text
    assert names(second) == [f"Person {i:03d}" for i in range(9, -1, -1)]
    prev_url = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert names(desk.client.get(prev_url).text) == names(first)


def test_htmx_request_gets_the_results_fragment_only(desk):
    make_registrant(desk.event, buyer_name="Ana Lopez")
    response = desk.client.get(url(desk, q="ana"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and "Ana Lopez" in response.text
    assert "HX-Request" in response.headers.get("Vary", "")
    full = desk.client.get(url(desk, q="ana"))
    assert "<html" in full.text and 'id="registrant-filters"' in full.text


def test_the_full_page_also_says_it_varies_on_hx_request(desk):
    """A cache must not hand the fragment to a browser that asked for the page, nor the reverse."""
    full = desk.client.get(url(desk))
    assert "<html" in full.text
    assert "HX-Request" in full.headers.get("Vary", "")


def test_a_mangled_cursor_shows_the_first_page(desk):
    make_registrant(desk.event, buyer_name="Ana Lopez")
    response = desk.client.get(url(desk, after="not-a-cursor!!"))
    assert response.status_code == 200 and names(response.text) == ["Ana Lopez"]


def test_empty_event_tells_the_operator_what_to_do(desk):
    page = desk.client.get(url(desk)).text
    assert "Nobody has registered yet" in page and "import a CSV file" in page


def test_another_organizations_event_and_registrant_answer_404(desk, auth):
    other = make_org("Other Org")
    event = make_event(other)
    stranger = make_registrant(event, buyer_name="Secret Person")
    assert desk.client.get(f"/console/events/{event.id}/registrants").status_code == 404
    assert desk.client.get(f"/console/events/{event.id}/registrants/{stranger.id}").status_code == 404
    assert desk.client.get(f"/console/events/{desk.event.id}/registrants/{stranger.id}").status_code == 404
    assert "Secret Person" not in desk.client.get(url(desk, q="Secret")).text


def test_registrant_of_a_pending_order_shows_its_state(desk):
    order = make_order(desk.event, status="pending", buyer_name="Late Payer")
    page = desk.client.get(url(desk)).text
    assert "Late Payer" in page and "Pending" in page and order.code in page


def test_a_search_with_many_matches_pages_without_a_total(desk):
    for i in range(55):
        make_registrant(desk.event, buyer_name=f"Lopez {i:02d}")
    make_registrant(desk.event, buyer_name="Budi")
    page = desk.client.get(url(desk, q="lopez")).text
    assert len(names(page)) == 50 and "type more to narrow the search" in page
    narrow = desk.client.get(url(desk, q="lopez+5")).text
    assert "<strong>5</strong> registrants match" in narrow  # Lopez 50 to 54


def test_deeper_pages_carry_the_total_counted_for_the_first(desk):
    for i in range(60):
        make_registrant(desk.event, buyer_name=f"Person {i:03d}")
    first = desk.client.get(url(desk)).text
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "n=60" in next_url
    assert "<strong>60</strong> registrants" in desk.client.get(next_url).text
