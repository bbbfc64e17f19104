"""Sign-in, sign-out, organization switching."""

from __future__ import annotations

import mimetypes

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from webapp.accounts import brand, members, service
from webapp.accounts.forms import (
    AcceptInvitationForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from webapp.accounts.models import Organization, User
from webapp.db import db
from webapp.guards import row_id, safe_redirect_target
from webapp.i18n import _
from webapp.storage import download

bp = Blueprint("accounts", __name__)


def home_for_user() -> str:
    if g.get("membership") is None:
        return url_for("accounts.no_organization")
    if g.membership.role == "door":
        return url_for("checkin.index")
    return url_for("console.home")


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
            return redirect(safe_redirect_target(request.args.get("next")) or url_for("accounts.index"))
    status = 200 if not (error or form.errors) else 422
    return render_template("accounts/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/switch-org", methods=["POST"])
@login_required
def switch_org():
    org_id = request.form.get("org_id", type=row_id)
    if org_id is None or service.membership(current_user.id, org_id) is None:
        abort(404)
    session["org_id"] = org_id
    return redirect(url_for("accounts.index"), code=303)


@bp.route("/no-organization")
@login_required
def no_organization():
    return render_template("accounts/no_organization.html")


def _absolute(endpoint: str, **values) -> str:

    return current_app.config["SETTINGS"].base_url + url_for(endpoint, **values)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if request.method == "GET":
        form.timezone.data = form.timezone.data or "Asia/Jakarta"
    if form.validate_on_submit():
        try:
            user = service.sign_up(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                org_name=form.org_name.data,
                timezone=form.timezone.data,
                currency=form.currency.data,
            )
        except service.AccountError as exc:
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            session.clear()
            login_user(user)
            flash(_("Welcome to Rollcall. Create your first event to open registration."), "success")
            return redirect(url_for("accounts.index"))
    return render_template("accounts/signup.html", form=form), 422 if form.errors else 200


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        service.request_password_reset(
            form.email.data, lambda token: _absolute("accounts.reset_password", token=token), request.remote_addr or ""
        )
        flash(_("If an account uses that address, a reset link is on its way. It works for one hour."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if service.valid_reset(token) is None:
        return render_template("accounts/link_expired.html", what="password reset"), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            service.reset_password(token, form.password.data)
        except service.AccountError as exc:
            return render_template("accounts/link_expired.html", what="password reset", message=str(exc)), 410
        logout_user()
        session.clear()
        flash(_("Your password is changed and every other session is signed out. Sign in with the new one."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form), 422 if form.errors else 200


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = members.open_invitation(token)
    if invitation is None:
        return render_template("accounts/link_expired.html", what="invitation"), 410
    existing = User.get_or_none(User.email == invitation.email)
    form = AcceptInvitationForm()
    if current_user.is_authenticated:
        if request.method == "POST" and "accept" in request.form:
            members.accept(invitation, current_user)
            session["org_id"] = invitation.organization_id
            flash(_("You joined %(org)s.", org=invitation.organization.name), "success")
            return redirect(url_for("accounts.index"))
    elif existing is None and form.validate_on_submit():
        try:
            with db.atomic():
                user = service.create_user(invitation.email, form.name.data, form.password.data)
                members.accept(invitation, user)
        except service.AccountError as exc:
            form.name.errors.append(str(exc))
        else:
            session.clear()
            login_user(user)
            session["org_id"] = invitation.organization_id
            flash(_("Welcome to %(org)s.", org=invitation.organization.name), "success")
            return redirect(url_for("accounts.index"))
    status = 422 if form.errors else 200
    return render_template(
        "accounts/accept_invitation.html", invitation=invitation, existing=existing, form=form
    ), status


@bp.route("/org/<int:org_id>/logo")
def org_logo(org_id: int):
    """An organization's logo (public: it appears on landing pages and tickets)."""

    org = Organization.get_by_id(org_id)
    if not org.logo_path:
        abort(404)
    mimetype = mimetypes.guess_type(org.logo_path)[0] or "application/octet-stream"
    try:
        return download(org.logo_path, mimetype, cache="public, max-age=3600")
    except FileNotFoundError:
        abort(404)


@bp.app_template_global()
def brand_style(org: Organization | None) -> str:
    """The organization's colours as CSS custom properties (public pages: templates/public/base.html)."""
    return brand.style(org)


@bp.app_template_global()
def brand_logo_url(org: Organization | None) -> str | None:
    """The logo's address, changing with each new logo so that a cached copy is never shown."""
    if org is None or not org.logo_path:
        return None
    return url_for("accounts.org_logo", org_id=org.id, v=org.logo_path.rsplit("-", 1)[-1].split(".")[0])
