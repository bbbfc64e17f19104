"""Console: the websites allowed to frame the widgets (organization admins), and each event's
widget page: the snippets to copy, and the self check-in switch."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import escape

from webapp.accounts.access import event_required, has_role, org_id, role_required
from webapp.events.models import Event
from webapp.events.pages import event_or_404
from webapp.i18n import _
from webapp.runtime import settings
from webapp.widgets import service
from webapp.widgets.forms import OriginsForm, SelfCheckinForm
from webapp.widgets.origins import OriginError

bp = Blueprint("widgets_console", __name__, url_prefix="/console")


@bp.route("/widgets", methods=["GET", "POST"])
@role_required("admin")
def origins():
    current = service.allowed_origins(org_id())
    form = OriginsForm(data=None if request.method == "POST" else {"origins": "\n".join(current)})
    if form.validate_on_submit():
        try:
            service.save_origins(g.org, form.origins.data or "", actor=current_user)
        except OriginError as exc:
            form.origins.errors = [*form.origins.errors, str(exc)]
        else:
            flash(_("Widget websites saved."), "success")
            return redirect(url_for("widgets_console.origins"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("console/widgets/origins.html", form=form, origins=current), status


def snippets(event: Event) -> dict[str, dict[str, str]]:
    """What an operator pastes into a website, per form: the script (and its plain frame for
    pages without scripts)."""
    base = settings().base_url
    loader = base + "/static/js/widget.js"  # the plain name: revalidated, so a new loader reaches every site
    found = {}
    for kind, endpoint, title, height in (
        ("register", "widgets.register", _("Register"), 900),
        ("checkin", "widgets.self_checkin", _("Check in"), 520),
    ):
        url = base + url_for(endpoint, org_slug=event.organization.slug, event_slug=event.slug)
        label = escape(f"{title}: {event.name}")
        frame = f'<iframe src="{url}" title="{label}" width="100%" height="{height}" frameborder="0"></iframe>'
        found[kind] = {
            "url": url,
            "script": (
                f'<div data-rollcall-widget="{url}" data-title="{label}" data-height="{height}">'
                f"<noscript>{frame}</noscript></div>\n"
                f'<script src="{loader}" async></script>'
            ),
            "frame": frame,
        }
    return found


@bp.route("/events/<int:event_id>/widgets", methods=["GET", "POST"])
@event_required("manage")
def event_widgets(event_id: int):
    event = event_or_404(event_id)
    form = SelfCheckinForm(
        data=None if request.method == "POST" else {"self_checkin": service.self_checkin_enabled(event)}
    )
    if form.validate_on_submit():
        changed = service.set_self_checkin(event, form.self_checkin.data, actor=current_user)
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("widgets_console.event_widgets", event_id=event.id), code=303)
    context = {
        "event": event,
        "form": form,
        "origins": service.allowed_origins(org_id()),
        "may_edit_origins": has_role("admin"),
        "snippets": snippets(event),
        "our_origin": settings().base_url.rstrip("/"),
    }
    return render_template("console/widgets/event.html", **context), 422 if request.method == "POST" else 200
