"""The console's home (every event with its key numbers) and each event's dashboard."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for

from webapp.accounts.access import can_list_events, event_required, granted_event_ids, has_role, role_required
from webapp.console import charts, dashboard
from webapp.console import home as org_home
from webapp.console.blueprint import bp
from webapp.db import utcnow
from webapp.events.pages import event_or_404
from webapp.timeutil import to_local


@bp.route("/")
@role_required("member")
def home():
    if not has_role("manager"):  # door staff work at the scanner; others on the events granted to them
        if can_list_events():
            return redirect(url_for("events.console_list"))
        if has_role("door") or granted_event_ids("door"):
            return redirect(url_for("checkin.index"))
        return render_template("console/no_events.html")
    numbers = org_home.org_home(g.org)
    return render_template(
        "console/home.html",
        home=numbers,
        sales_chart=charts.series_chart(numbers.sales_by_day, until=numbers.last_day),
    )


@bp.route("/events/<int:event_id>/overview")
@event_required("registrants")
def event_dashboard(event_id: int):
    event = event_or_404(event_id)
    stats = dashboard.event_stats(event)
    today = to_local(utcnow(), event.timezone).date()
    return render_template(
        "console/dashboard/event.html",
        event=event,
        stats=stats,
        registrations_chart=charts.series_chart(stats.registrations_by_day, until=today),
        revenue_chart=charts.series_chart(stats.revenue_by_day, until=today),
        live=dashboard.is_live(event),
        over=dashboard.is_over(event),
    )


@bp.route("/events/<int:event_id>/live")
@event_required("registrants")
def event_live(event_id: int):
    """The check-in numbers alone: what the dashboard polls while the event runs."""
    event = event_or_404(event_id)
    return render_template(
        "console/dashboard/_live.html",
        event=event,
        live_numbers=dashboard.attendance(event),
        live=dashboard.is_live(event),
        over=dashboard.is_over(event),
        now=utcnow(),
    )
