"""Sign-in, sign-out, organization switching."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.accounts import service
from webapp.accounts.forms import LoginForm

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: an attacker's ?next=https://evil.example must not redirect away.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def home_for_user() -> str:
    if g.get("membership") is None:
        return url_for("accounts.no_organization")
    if g.membership.role == "door":
        return url_for("checkin.index") if "checkin.index" in _endpoints() else url_for("accounts.no_organization")
    return url_for("console.home") if "console.home" in _endpoints() else url_for("accounts.no_organization")


def _endpoints():
    from flask import current_app

    return current_app.view_functions


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for_user())
    return redirect(url_for("accounts.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for_user())
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        except service.AccountError as exc:
            error = str(exc)
        else:
            session.clear()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.index"))
    status = 200 if not (error or form.errors) else 422
    return render_template("accounts/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/switch-org", methods=["POST"])
@login_required
def switch_org():
    org_id = request.form.get("org_id", type=int)
    if org_id is None or service.membership(current_user.id, org_id) is None:
        abort(404)
    session["org_id"] = org_id
    return redirect(url_for("accounts.index"), code=303)


@bp.route("/no-organization")
@login_required
def no_organization():
    return render_template("accounts/no_organization.html")
