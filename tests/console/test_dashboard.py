"""The console home and an event's dashboard."""

from __future__ import annotations

import datetime as dt
import re

from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.catalog import make_coupon, make_product
from tests.factories.checkin import make_checkin_list
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from tests.factories.orders import make_order, make_registrant
from webapp.checkin import service as checkin
from webapp.console import charts, home
from webapp.db import utcnow
from webapp.mail.models import SendingDomain


def test_home_shows_totals_with_money_per_currency(desk):
    desk.product.price = 100_000
    desk.product.save()
    make_order(desk.event, {desk.product: 2})
    make_order(desk.event, status="pending")
    usd = make_event(desk.org, name="Dollar Night", currency="USD")
    usd_ticket = make_product(usd, name="Seat", price=2_500, currency="USD")
    make_order(usd, {usd_ticket: 1})
    make_order(usd, {usd_ticket: 1}, source="import")  # imported rows are not money collected
    make_contact(desk.org, "a@example.org")
    page = desk.client.get("/console/").text
    assert 'data-total="events">2<' in page
    assert 'data-total="registrations">4<' in page  # 2 + 1 paid here + 1 imported, pending ones not
    assert 'data-total="contacts">1<' in page
    collected = page.split('data-total="collected">')[1].split("</div>")[0]
    assert "200,000" in collected and "$25.00" in collected and "$50.00" not in collected


def test_home_lists_upcoming_events_soonest_first_and_charts_sales(desk):
    make_event(desk.org, name="Later Show", starts_at=utcnow() + dt.timedelta(days=40))
    make_event(desk.org, name="Old Show", starts_at=utcnow() - dt.timedelta(days=40))
    make_order(desk.event, {desk.product: 3})
    page = desk.client.get("/console/").text
    upcoming = page.split('id="upcoming-h"')[1].split("</section>")[0]
    assert upcoming.index("Launch Night") < upcoming.index("Later Show")
    assert "Old Show" not in upcoming
    assert "Tickets taken, last 30 days" in page and 'aria-label="Tickets taken, last 30 days: 3 in total"' in page


def test_home_shows_check_in_progress_of_events_running_today(desk):
    running = make_event(desk.org, name="Door Day", starts_at=utcnow() - dt.timedelta(hours=1))
    checkin_list = make_checkin_list(running)
    first = make_registrant(running, buyer_name="In")
    make_registrant(running, buyer_name="Out")
    assert checkin.redeem(running, first.ticket_secret, checkin_list=checkin_list).result == "ok"
    page = desk.client.get("/console/").text
    today = page.split('id="today-h"')[1].split("</section>")[0]
    assert "Door Day" in today and "1 of 2 checked in (50 %)" in today
    assert "Launch Night" not in today  # three weeks ahead


def test_today_is_the_event_s_own_day_not_the_server_s(desk):
    # 23:30 in Jakarta is 16:30 UTC: an event starting 08:00 Jakarta time tomorrow is not today
    # for UTC-minded code that would count the hours, and yesterday's Jakarta event is over.
    now = dt.datetime(2026, 3, 10, 16, 30)
    tomorrow = make_event(desk.org, timezone="Asia/Jakarta", starts_at=dt.datetime(2026, 3, 11, 1, 0))
    tonight = make_event(
        desk.org,
        timezone="Asia/Jakarta",
        starts_at=dt.datetime(2026, 3, 10, 12, 0),
        ends_at=dt.datetime(2026, 3, 10, 16, 45),
    )
    doors = [d.event.id for d in home._doors_today([tomorrow, tonight], now)]
    assert doors == [tonight.id]


def test_home_for_a_new_organization_teaches_the_next_steps(auth):
    user = make_user()
    org = make_org(owner=user)
    client = auth.client_for(user, org)
    page = client.get("/console/").text
    assert "Next steps" in page and "No upcoming events" in page
    assert _done(page) == {"event": "no", "ticket": "no", "publish": "no", "domain": "no", "team": "no"}

    event = make_event(org, status="draft")
    make_product(event)
    make_member(org, "door")
    page = client.get("/console/").text
    assert _done(page) == {"event": "yes", "ticket": "yes", "publish": "no", "domain": "no", "team": "yes"}
    assert f'href="/console/events/{event.id}"' in page  # the next step links to where it is done

    event.status = "published"
    event.save()
    SendingDomain.create(
        organization=org,
        domain="example.org",
        dkim_selector="rc",
        dkim_private_key="-",
        dkim_public_key="-",
        verified_at=utcnow(),
    )
    page = client.get("/console/").text
    assert "Next steps" not in page  # all done: the home is about the events


def _done(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="(\w+)" data-done="(\w+)"', page))


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
