"""The operator console's home."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.security import org_id, role_required

bp = Blueprint("console", __name__, url_prefix="/console")


@bp.route("/")
@role_required("manager")
def home():
    from webapp.events.models import Event

    events = list(Event.for_org(org_id()).where(Event.status != "archived").order_by(Event.starts_at.desc()))
    return render_template("console/home.html", events=events)
