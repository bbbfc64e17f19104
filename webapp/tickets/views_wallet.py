"""Wallet passes: the attendee's downloads (Apple .pkpass, the Google Wallet save link), Apple's
pass web service (devices register for updates and fetch the latest pass), and the console page
where an admin uploads the organization's keys."""

from __future__ import annotations

import datetime as dt
import json
import logging

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.http import http_date, parse_date

from webapp.accounts.access import org_id, role_required
from webapp.db import db, utcnow
from webapp.extensions import csrf
from webapp.i18n import _
from webapp.orders.models import Order, Registrant
from webapp.tickets import google_wallet, service, wallet, wallet_keys
from webapp.tickets.forms import AppleWalletForm, GoogleWalletForm
from webapp.tickets.models import WalletPass, WalletRegistration

bp = Blueprint("wallet", __name__)
log = logging.getLogger("rollcall.tickets.wallet")

NO_TICKET = "There is no valid ticket here: the order is unpaid, canceled or awaiting approval."


def _registrant(secret: str, registrant_id: int) -> Registrant:
    order = Order.get_or_none(Order.secret == secret)
    registrant = order and Registrant.get_or_none((Registrant.id == registrant_id) & (Registrant.order == order))
    if registrant is None:
        abort(404)
    return registrant


# --- The attendee's buttons (the order secret is the key) ----------------------------------------


@bp.route("/tickets/<secret>/<int:registrant_id>.pkpass")
def apple_pass(secret: str, registrant_id: int):
    registrant = _registrant(secret, registrant_id)
    try:
        wallet_pass, data = wallet.pass_bytes(registrant)
    except service.NoTickets:
        abort(404, NO_TICKET)
    except wallet.NotSetUp:
        abort(404, _("This organization does not issue wallet passes."))
    return data, 200, _pass_headers(wallet_pass, f"ticket-{registrant.order.code}-{registrant.id}.pkpass")


@bp.route("/tickets/<secret>/<int:registrant_id>/google-wallet")
def google_pass(secret: str, registrant_id: int):
    url = google_wallet.save_url(_registrant(secret, registrant_id))
    if url is None:
        abort(404, NO_TICKET)
    return redirect(url, 303)


def _pass_headers(wallet_pass: WalletPass, filename: str) -> dict:
    return {
        "Content-Type": wallet.MIMETYPE,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Last-Modified": http_date(wallet_pass.updated_at),
        "Cache-Control": "private, no-store",
        "X-Robots-Tag": "noindex",
    }


# --- Apple's pass web service (webServiceURL = BASE_URL/wallet) -----------------------------------


def _json_body() -> dict | None:
    """A device's small JSON object, or None for anything else (too big, too deep, not JSON)."""
    if (request.content_length or 0) > 64 * 1024:
        return None
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _pass_for_service(pass_type: str, serial: str) -> WalletPass:
    """The pass a device asks about, once it proved it holds it (ApplePass <authenticationToken>)."""
    wallet_pass = WalletPass.get_or_none(WalletPass.serial == serial[:64])
    if wallet_pass is None or not wallet.check_auth(wallet_pass, request.headers.get("Authorization")):
        abort(401)
    if wallet_keys.settings_of(wallet_pass.organization_id).apple_pass_type_id != pass_type:
        abort(404)
    return wallet_pass


@bp.route("/wallet/v1/devices/<device>/registrations/<pass_type>/<serial>", methods=["POST", "DELETE"])
@csrf.exempt  # a device, not a browser: the pass's authentication token is the credential
def device_registration(device: str, pass_type: str, serial: str):
    wallet_pass = _pass_for_service(pass_type, serial)
    if len(device) > 128:
        abort(400)
    found = WalletRegistration.get_or_none(
        (WalletRegistration.device == device) & (WalletRegistration.wallet_pass == wallet_pass)
    )
    if request.method == "DELETE":
        if found is not None:
            found.delete_instance()
        return "", 200
    body = _json_body()
    push_token = body.get("pushToken") if body else None
    if not isinstance(push_token, str) or not push_token or len(push_token) > 255 or "\x00" in push_token:
        abort(400)
    # The device holds the pass as it is now: pushes tell it only of later versions.
    if found is not None:
        WalletRegistration.update(push_token=push_token, pushed_at=wallet_pass.updated_at).where(
            WalletRegistration.id == found.id
        ).execute()
        return "", 200
    with db.atomic():
        WalletRegistration.create(
            organization=wallet_pass.organization_id, wallet_pass=wallet_pass, device=device, push_token=push_token,
            pushed_at=wallet_pass.updated_at,
        )  # fmt: skip
    return "", 201


@bp.route("/wallet/v1/devices/<device>/registrations/<pass_type>")
def updated_serials(device: str, pass_type: str):
    """The serial numbers of this device's passes updated since the tag it got last time."""
    query = (
        WalletPass.select(WalletPass.serial, WalletPass.updated_at, WalletPass.organization)
        .join(WalletRegistration)
        .where(WalletRegistration.device == device[:128])
    )
    since = request.args.get("passesUpdatedSince", "")
    if since:
        if not since.isdigit() or len(since) > 12:
            abort(400)
        query = query.where(WalletPass.updated_at > _from_tag(int(since)))
    rows = [r for r in query if wallet_keys.settings_of(r.organization_id).apple_pass_type_id == pass_type]
    if not rows:
        return "", 204
    newest = max(r.updated_at for r in rows)
    return jsonify(serialNumbers=sorted(r.serial for r in rows), lastUpdated=str(_tag(newest)))


@bp.route("/wallet/v1/passes/<pass_type>/<serial>")
def latest_pass(pass_type: str, serial: str):
    wallet_pass = _pass_for_service(pass_type, serial)
    try:
        wallet_pass, data = wallet.pass_bytes(wallet_pass.registrant, void_if_canceled=True)
    except (service.NoTickets, wallet.NotSetUp):
        abort(404)
    since = parse_date(request.headers.get("If-Modified-Since", ""))
    if since is not None and wallet_pass.updated_at <= since.replace(tzinfo=None):
        return "", 304
    return data, 200, _pass_headers(wallet_pass, "pass.pkpass")


@bp.route("/wallet/v1/log", methods=["POST"])
@csrf.exempt  # devices report problems with our passes here; nothing is changed
def device_log():
    body = _json_body()
    logs = body.get("logs") if body else None
    if not isinstance(logs, list):
        abort(400)
    for line in logs[:20]:
        log.warning("wallet device: %s", json.dumps(line)[:500])
    return "", 200


def _tag(moment: dt.datetime) -> int:
    """A stored UTC moment as the update tag a device sends back (seconds since 1970)."""
    return int(moment.replace(tzinfo=dt.UTC).timestamp())


def _from_tag(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


# --- Console: the organization's keys -------------------------------------------------------------


@bp.route("/console/wallet", methods=["GET"])
@role_required("admin")
def console_settings():
    return _settings_page(AppleWalletForm(prefix="apple"), GoogleWalletForm(prefix="google"))


def _settings_page(apple_form, google_form, status: int = 200):
    row = wallet_keys.settings_of(org_id())
    if request.method == "GET":
        apple_form.pass_type_id.data = apple_form.pass_type_id.data or row.apple_pass_type_id
        apple_form.team_id.data = apple_form.team_id.data or row.apple_team_id
        google_form.issuer_id.data = google_form.issuer_id.data or row.google_issuer_id
    return render_template(
        "console/tickets/wallet.html",
        row=row,
        fingerprint=wallet_keys.fingerprint(row),
        apple_form=apple_form,
        google_form=google_form,
        now=utcnow(),
    ), status


def _upload(name: str) -> bytes:
    upload = request.files.get(name)
    return upload.read(wallet_keys.MAX_FILE_BYTES + 1) if upload else b""


@bp.route("/console/wallet/apple", methods=["POST"])
@role_required("admin")
def console_apple():
    form = AppleWalletForm(prefix="apple")
    if form.validate_on_submit():
        try:
            wallet_keys.save_apple(
                org_id(),
                pass_type_id=form.pass_type_id.data,
                team_id=form.team_id.data,
                certificate=_upload("apple-certificate"),
                password=form.password.data or "",
                wwdr=_upload("apple-wwdr"),
            )
        except wallet_keys.WalletKeyError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            flash(_("The pass certificate is saved: tickets can now be added to Apple Wallet."), "success")
            return redirect(url_for("wallet.console_settings"), 303)
    return _settings_page(form, GoogleWalletForm(prefix="google"), 422)


@bp.route("/console/wallet/google", methods=["POST"])
@role_required("admin")
def console_google():
    form = GoogleWalletForm(prefix="google")
    if form.validate_on_submit():
        try:
            wallet_keys.save_google(org_id(), issuer_id=form.issuer_id.data, key_file=_upload("google-key_file"))
        except wallet_keys.WalletKeyError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            flash(_("The service account key is saved: tickets can now be added to Google Wallet."), "success")
            return redirect(url_for("wallet.console_settings"), 303)
    return _settings_page(AppleWalletForm(prefix="apple"), form, 422)


@bp.route("/console/wallet/<kind>/remove", methods=["POST"])
@role_required("admin")
def console_remove(kind: str):
    if kind not in ("apple", "google"):
        abort(404)
    (wallet_keys.remove_apple if kind == "apple" else wallet_keys.remove_google)(org_id())
    flash(_("Removed."), "success")
    return redirect(url_for("wallet.console_settings"), 303)
