"""The console home and an event's dashboard."""

from __future__ import annotations

import datetime as dt

from tests.factories.catalog import make_coupon
from tests.factories.checkin import make_checkin_list
from tests.factories.events import make_event
from tests.factories.orders import make_order, make_registrant
from webapp.checkin import service as checkin
from webapp.console import charts
from webapp.db import utcnow


def test_home_lists_events_with_their_numbers(desk):
    desk.product.price = 100_000
    desk.product.save()
    make_order(desk.event, {desk.product: 2})
    make_order(desk.event, status="pending")
    page = desk.client.get("/console/").text
    assert "Launch Night" in page
    assert "<td>1</td>" in page  # one person in a pending order
    assert "200,000" in page


def test_home_for_a_new_organization_says_what_to_do(auth):
    from tests.factories.accounts import make_org, make_user

    user = make_user()
    org = make_org(owner=user)
    page = auth.client_for(user, org).get("/console/").text
    assert "No events yet" in page and "Create your first event" in page


def test_dashboard_shows_products_coupons_and_orders(desk):
    coupon = make_coupon(desk.event, code="EARLY", usage_limit=10, times_used=1)
    make_order(desk.event, {desk.vip: 2}, coupon=coupon, discount=5000)
    make_order(desk.event, {desk.vip: 1}, status="pending")
    page = desk.client.get(f"/console/events/{desk.event.id}/overview").text
    assert "VIP" in page and "sold out" in page  # quota 3: 2 sold + 1 held
    assert "EARLY" in page and "1 / 10" in page
    assert "<svg" in page and "Registrations" in page


def test_live_checkin_numbers_refresh_while_the_event_runs(desk):
    running = make_event(desk.org, starts_at=utcnow() - dt.timedelta(hours=1))
    checkin_list = make_checkin_list(running)
    first = make_registrant(running, buyer_name="In")
    make_registrant(running, buyer_name="Out")
    assert checkin.redeem(running, first.ticket_secret, checkin_list=checkin_list).result == "ok"
    page = desk.client.get(f"/console/events/{running.id}/overview").text
    assert 'hx-trigger="every 10s"' in page
    fragment = desk.client.get(f"/console/events/{running.id}/live", headers={"HX-Request": "true"}).text
    assert "data-checked-in>1</span>" in fragment and "of 2 expected" in fragment
    assert "<html" not in fragment


def test_no_shows_after_the_event(desk):
    past = make_event(desk.org, starts_at=utcnow() - dt.timedelta(days=3))
    make_registrant(past, buyer_name="Absent")
    page = desk.client.get(f"/console/events/{past.id}/overview").text
    assert "no-show" in page and "every 10s" not in page
    assert "checked_in=no" in page


def test_chart_groups_days_and_keeps_a_running_total():
    start = dt.date(2026, 1, 1)
    chart = charts.series_chart([(start, 2), (start + dt.timedelta(days=2), 3)], until=start + dt.timedelta(days=3))
    assert [b.value for b in chart.bars] == [2, 0, 3, 0]
    assert chart.total == 5 and chart.line.startswith("M")
    long = charts.series_chart([(start, 1), (start + dt.timedelta(days=200), 1)])
    assert long.bucket_days == 7 and sum(b.value for b in long.bars) == 2
    assert charts.series_chart([]).empty


def test_overview_shows_money_collected_expected_and_imported_apart(desk):
    desk.product.price = 100_000
    desk.product.save()
    make_order(desk.event, {desk.product: 2})  # 200,000 paid here
    make_order(desk.event, {desk.product: 1}, status="pending")  # 100,000 expected
    make_order(desk.event, {desk.product: 3}, source="import")  # 300,000 at list price, not collected
    page = desk.client.get(f"/console/events/{desk.event.id}/overview").text

    def figure(label: str) -> str:
        end = page.index(label)
        start = page.rindex('<div class="stat">', 0, end)
        return page[start:end]

    assert "200,000" in figure("money collected")
    assert "100,000" in figure("money expected")
    assert "300,000" in figure("imported value")
    assert "500,000" not in page and "600,000" not in page
