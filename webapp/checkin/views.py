"""The door: pick an event, then the scanner page with search, recent scans, walk-ins and badges.
Scans themselves go through the JSON API (webapp/api/v1/checkins.py) that the page's script calls."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user

from webapp.accounts.access import (
    any_event_required,
    event_required,
    granted_event_ids,
    has_role,
    org_id,
)
from webapp.catalog.models import Product
from webapp.checkin import door, lists, service
from webapp.checkin.forms import WalkInForm
from webapp.checkin.models import CheckinList
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.events.pages import event_or_404
from webapp.guards import row_id
from webapp.i18n import _
from webapp.templating import is_fragment_request
from webapp.tickets import badges
from webapp.tickets.service import registrant_pdf

bp = Blueprint("checkin", __name__, url_prefix="/checkin")


@bp.before_request
def _door_language() -> None:
    """The door pages follow the device's language (its browser's, or the one chosen in the
    session); fixed for the request so the page's lang attribute says it too."""
    g.locale = str(get_locale() or "en")


def _chosen_list(event: Event) -> CheckinList:
    """The list named by ?list= or a form field (the device's choice), else the default."""
    value = request.values.get("list", type=row_id)
    try:
        return lists.get_list(event, value)
    except CheckinList.DoesNotExist:
        return lists.default_list(event)


def _user():
    return current_user._get_current_object()


@bp.route("/")
@any_event_required("door")
def index():
    query = Event.for_org(org_id()).where(Event.status.in_(("published", "closed")))
    reachable = granted_event_ids("door")  # None: every event of the organization
    if reachable is not None:
        query = query.where(Event.id.in_(reachable))
    events = list(query.order_by(Event.starts_at.desc()).limit(100))
    now = utcnow()
    current = [e for e in events if e.ends_at >= now]
    past = [e for e in events if e.ends_at < now]
    return render_template("checkin/index.html", current=sorted(current, key=lambda e: e.starts_at), past=past)


@bp.route("/<int:event_id>")
@event_required("door")
def scanner(event_id: int):
    return _scanner_page(event_or_404(event_id))


def _walk_in_products(event: Event) -> list[Product]:
    return list(
        Product.select()
        .where((Product.event == event.id) & (Product.admits_entry == True) & (Product.active == True))  # noqa: E712
        .order_by(Product.position)
    )


def _scanner_page(event: Event, form: WalkInForm | None = None, status: int = 200):
    products = _walk_in_products(event)
    if form is None:
        form = WalkInForm(formdata=None)
        form.product.choices = [(p.id, p.name) for p in products]
    query = request.args.get("q", "")
    checkin_list = _chosen_list(event)
    return render_template(
        "checkin/scanner.html",
        event=event,
        checkin_lists=lists.lists_for(event),
        checkin_list=checkin_list,
        products=products,
        form=form,
        walk_in_open=form.errors,
        query=query,
        results=door.search(event, query, checkin_list) if query else None,
        supervisor=has_role(service.SUPERVISOR_ROLE),
    ), status


@bp.route("/<int:event_id>/search")
@event_required("door")
def search(event_id: int):
    event = event_or_404(event_id)
    query = request.args.get("q", "")
    checkin_list = _chosen_list(event)
    results = door.search(event, query, checkin_list)
    if not is_fragment_request():
        return _scanner_page(event)
    return render_template("checkin/_search_results.html", event=event, results=results, query=query)


@bp.route("/<int:event_id>/recent")
@event_required("door")
def recent(event_id: int):
    event = event_or_404(event_id)
    checkin_list = _chosen_list(event)
    rows = door.recent_checkins(event, checkin_list)
    return render_template(
        "checkin/_recent.html",
        event=event,
        rows=rows,
        supervisor=has_role(service.SUPERVISOR_ROLE),
        user_id=current_user.id,
        messages=door.answer_messages(),
    )


@bp.route("/<int:event_id>/walk-in", methods=["POST"])
@event_required("door")
def walk_in(event_id: int):
    event = event_or_404(event_id)
    form = WalkInForm()
    products = {p.id: p for p in _walk_in_products(event)}
    form.product.choices = [(pid, p.name) for pid, p in products.items()]
    result = None
    if form.validate_on_submit():
        try:
            result = door.register_walk_in(
                event,
                products[form.product.data],
                name=form.name.data,
                email=form.email.data,
                paid=form.paid.data,
                send_ticket=form.send_ticket.data,
                checkin_list=_chosen_list(event),
                gate=request.form.get("gate", ""),
                user=_user(),
            )
        except door.WalkInError as exc:
            getattr(form, exc.field or "name").errors.append(str(exc))
        except service.NotAllowed as exc:
            form.paid.errors.append(str(exc))
        except ValueError as exc:  # OrderError (sold out, ...) from the order rules
            form.product.errors.append(str(exc))
    if not is_fragment_request():  # without the page's script: the whole page
        if result is None:
            return _scanner_page(event, form, 422)
        message = door.answer_payload(result.answer)["message"]
        flash(_("%(name)s is registered: %(answer)s.", name=result.registrant.name, answer=message), "success")
        return redirect(url_for("checkin.scanner", event_id=event.id), code=303)
    if result:  # a fresh form for the next walk-in, same ticket type preselected
        choices, form = form.product.choices, WalkInForm(formdata=None, product=form.product.data)
        form.product.choices = choices
    return render_template(
        "checkin/_walk_in.html",
        event=event,
        form=form,
        result=result,
        payload=door.answer_payload(result.answer) if result else None,
    ), (200 if result else 422)


@bp.route("/<int:event_id>/registrants/<int:registrant_id>/mark-paid", methods=["POST"])
@event_required("door")
def mark_paid(event_id: int, registrant_id: int):
    event = event_or_404(event_id)
    registrant = door.registrant_for_event(event, registrant_id)
    try:
        order = door.mark_paid_at_door(registrant, user=_user())
    except service.NotAllowed as exc:
        return jsonify({"error": {"code": "forbidden", "message": str(exc)}}), 403
    except ValueError as exc:
        return jsonify({"error": {"code": "conflict", "message": str(exc)}}), 409
    return jsonify({"order_id": order.id, "status": order.status})


@bp.route("/<int:event_id>/registrants/<int:registrant_id>/badge.pdf")
@event_required("door")
def badge(event_id: int, registrant_id: int):

    event = event_or_404(event_id)
    registrant = door.registrant_for_event(event, registrant_id)
    pdf = badges.registrant_badge_pdf(registrant)
    return _pdf(pdf, f"badge-{registrant.id}.pdf")


@bp.route("/<int:event_id>/registrants/<int:registrant_id>/ticket.pdf")
@event_required("door")
def ticket(event_id: int, registrant_id: int):

    event = event_or_404(event_id)
    registrant = door.registrant_for_event(event, registrant_id)
    if registrant.canceled:
        abort(404)
    return _pdf(registrant_pdf(registrant), f"ticket-{registrant.order.code}-{registrant.id}.pdf")


# --- the installable door: web app manifest and service worker ------------------------------------

# What the scanner needs to open without the network (base.html's files and the scanner's own).
SHELL_FILES = (
    "css/app.css",
    "css/checkin.css",
    "vendor/htmx-2.0.11.min.js",
    "js/app.js",
    "js/scanner.js",
    "js/door-offline.js",
    "vendor/jsqr-1.4.0/jsQR.js",
    "img/door-icon-192.png",
    "img/door-icon-512.png",
)


@bp.route("/sw.js")
def service_worker():
    """The door's service worker, from /checkin/ so that its scope is the door pages. Its first line
    names the shell files by their fingerprinted addresses and a version made from them: a deploy
    that changes any of them changes the worker, which then replaces its cache."""
    assets = [url_for("static", filename=name) for name in SHELL_FILES]
    body = (Path(current_app.static_folder) / "js/door-sw.js").read_text()
    version = hashlib.sha256(("\n".join(assets) + body).encode()).hexdigest()[:12]
    shell = json.dumps({"version": version, "assets": assets})
    response = Response(f"const DOOR_SHELL = {shell};\n{body}", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    """The door as an installable app: it opens on the event picker, full screen."""
    icons = [
        {
            "src": url_for("static", filename=f"img/door-icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any maskable",
        }
        for size in (192, 512)
    ]
    body = {
        "name": _("Rollcall · Door"),
        "short_name": _("Door"),
        "start_url": url_for("checkin.index"),
        "scope": url_for("checkin.index"),
        "display": "standalone",
        "background_color": "#0f172a",
        "theme_color": "#1d4ed8",
        "icons": icons,
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_template_global()
def scanner_texts() -> dict:
    """What the scanner script writes on the page, in the request's language; `{name}` marks a
    value the script fills in."""
    return {
        "no_gate": _("no gate"),
        "exits": _("exits"),
        "ok": _("OK · %(message)s", message="{message}"),
        "order": _("order %(code)s", code="{code}"),
        "collect": _("collect %(amount)s", amount="{amount}"),
        "checked_in_at": _("Checked in at %(time)s", time="{time}"),
        "checked_in_at_gate": _("Checked in at %(time)s at %(gate)s", time="{time}", gate="{gate}"),
        "no_connection": _("No connection to the server. Check the network, then scan again."),
        "scan_failed": _("The scan failed (%(status)s).", status="{status}"),
        "undo_failed": _("Undo failed. Try again."),
        "mark_paid_failed": _("Could not mark the order paid."),
        "camera_needs_https": _("This browser cannot use the camera on this page (it needs HTTPS)."),
        "camera_unavailable": _("The camera is not available: %(error)s", error="{error}"),
        "camera_on": _("Camera on."),
        "camera_on_builtin": _("Camera on (built-in decoder)."),
        "start_camera": _("Start camera"),
        "stop_camera": _("Stop camera"),
        "offline": _("Offline: answers come from this device's copy of the list."),
        "copy_from": _("Copy of %(time)s.", time="{time}"),
        "no_copy": _("No connection, and this device has no copy of this list yet."),
        "queued": _("Scans waiting to upload: %(count)s", count="{count}"),
        "offline_exit": _("Exits cannot be recorded without the network."),
        "answers": door.answer_messages(),
    }


@bp.app_template_global()
def checkin_urls(event: Event) -> dict:
    """URLs the scanner script needs, with 0 standing for an id it fills in."""
    return {
        "scan": url_for("api.create_checkin", event_id=event.id),
        "undo": url_for("api.undo_checkin", event_id=event.id, checkin_id=0),
        "stats": url_for("api.checkin_stats", event_id=event.id),
        "mark_paid": url_for("checkin.mark_paid", event_id=event.id, registrant_id=0),
        "badge": url_for("checkin.badge", event_id=event.id, registrant_id=0),
        "ticket": url_for("checkin.ticket", event_id=event.id, registrant_id=0),
        "offline_list": url_for("api.door_list", event_id=event.id, list_id=0),
        "offline_changes": url_for("api.door_list_changes", event_id=event.id, list_id=0),
        "offline_scans": url_for("api.upload_offline_scans", event_id=event.id, list_id=0),
        "service_worker": url_for("checkin.service_worker"),
    }
