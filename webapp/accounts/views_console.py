"""Console pages of accounts: members and invitations, API keys, organization settings."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import refresh
from flask_login import current_user

from webapp.accounts import api_keys, members, service
from webapp.accounts.access import org_id, role_required
from webapp.accounts.api_keys import DEFAULT_PER_MINUTE
from webapp.accounts.forms import ApiKeyForm, ApiKeyPolicyForm, InviteForm, LanguageForm, OrganizationForm, RoleForm
from webapp.accounts.models import ApiKey, MemberInvitation, Membership, Organization
from webapp.i18n import _
from webapp.templating import is_fragment_request, render_page

bp = Blueprint("accounts_console", __name__, url_prefix="/console")


def _absolute(endpoint: str, **values) -> str:
    return current_app.config["SETTINGS"].base_url + url_for(endpoint, **values)


def _members_page(invite_form=None, status=200):
    return render_template(
        "console/accounts/members.html",
        members=members.members(org_id()),
        invitations=members.pending_invitations(org_id()),
        invite_form=invite_form or InviteForm(),
        role_form=RoleForm(),
    ), status


@bp.route("/members", endpoint="members")
@role_required("admin")
def members_page():
    return _members_page()


@bp.route("/members/invite", methods=["POST"])
@role_required("admin")
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            members.invite(
                g.org,
                form.email.data,
                form.role.data,
                actor=current_user,
                actor_membership=g.membership,
                link_for=lambda token: _absolute("accounts.accept_invitation", token=token),
            )
        except service.AccountError as exc:
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("accounts_console.members"), code=303)
    return _members_page(form, 422)


@bp.route("/members/<int:membership_id>/role", methods=["POST"])
@role_required("admin")
def change_role(membership_id: int):
    membership = Membership.get((Membership.id == membership_id) & (Membership.organization == org_id()))
    form = RoleForm()
    if form.validate_on_submit():
        try:
            members.change_role(
                membership, form.role.data, actor=current_user, actor_membership=g.membership,
                confirmed=form.confirm_own.data == "yes",
            )  # fmt: skip
            flash(_("%(name)s is now %(role)s.", name=membership.user.name, role=form.role.data), "success")
        except service.AccountError as exc:
            flash(str(exc), "error")
    return redirect(url_for("accounts_console.members"), code=303)


@bp.route("/members/<int:membership_id>/remove", methods=["POST"])
@role_required("admin")
def remove_member(membership_id: int):
    membership = Membership.get((Membership.id == membership_id) & (Membership.organization == org_id()))
    try:
        members.remove(membership, actor=current_user, actor_membership=g.membership)
        flash(_("%(name)s was removed.", name=membership.user.name), "success")
    except service.AccountError as exc:
        flash(str(exc), "error")
    return redirect(url_for("accounts_console.members"), code=303)


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_invitation(invitation_id: int):
    invitation = MemberInvitation.get_for_org(org_id(), invitation_id)
    members.revoke_invitation(invitation, actor=current_user)
    flash(_("The invitation of %(email)s is revoked.", email=invitation.email), "success")
    return redirect(url_for("accounts_console.members"), code=303)


@bp.route("/api-keys", methods=["GET", "POST"], endpoint="api_keys")
@role_required("admin")
def api_keys_page():
    form = ApiKeyForm()
    new_key = None
    if form.validate_on_submit():
        try:
            key, new_key = api_keys.create_key(g.org, form.name.data, read_only=form.read_only.data, actor=current_user)
        except service.AccountError as exc:
            form.name.errors.append(str(exc))
        else:
            form = ApiKeyForm(formdata=None)
    status = 422 if form.errors else 200
    keys = api_keys.keys_of(org_id())
    response = render_template(
        "console/accounts/api_keys.html",
        form=form,
        keys=keys,
        policies=api_keys.policies_of(keys),
        new_key=new_key,
    )
    return response, status, {"Cache-Control": "no-store"}


def _policy_page(key: ApiKey, form: ApiKeyPolicyForm, status: int = 200, saved: bool = False):
    """The key's access form: the whole page, or for htmx only the form (swapped in place)."""
    context = {"key": key, "form": form, "saved": saved, "default_per_minute": DEFAULT_PER_MINUTE}
    return render_page("console/accounts/api_key.html", "console/accounts/_api_key_policy.html", status, **context)


@bp.route("/api-keys/<int:key_id>/access", methods=["GET", "POST"])
@role_required("admin")
def api_key_access(key_id: int):
    key = ApiKey.get_for_org(org_id(), key_id)
    if key.revoked_at is not None:
        flash(_("API key %(name)s is revoked; its access can no longer change.", name=repr(key.name)), "error")
        return redirect(url_for("accounts_console.api_keys"), code=303)
    policy = api_keys.policy_of(key)
    if request.method == "GET":
        form = ApiKeyPolicyForm(formdata=None)
        form.scopes.data = list(policy.scopes) if policy else []
        form.read_only.data = key.read_only
        form.requests_per_minute.data = str(policy.requests_per_minute) if policy and policy.requests_per_minute else ""
        return _policy_page(key, form)
    form = ApiKeyPolicyForm()
    if form.validate_on_submit():
        try:
            api_keys.set_policy(
                key,
                scopes=form.scopes.data or [],
                requests_per_minute=form.per_minute(),
                read_only=form.read_only.data,
                actor=current_user,
            )
        except service.AccountError as exc:
            getattr(form, exc.field or "scopes").errors.append(str(exc))
        else:
            if is_fragment_request():
                return _policy_page(ApiKey.get_by_id(key.id), form, saved=True)
            flash(_("API key %(name)s: access saved.", name=repr(key.name)), "success")
            return redirect(url_for("accounts_console.api_keys"), code=303)
    return _policy_page(key, form, 422)


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_api_key(key_id: int):
    key = ApiKey.get_for_org(org_id(), key_id)
    api_keys.revoke_key(key, actor=current_user)
    flash(_("API key %(name)s is revoked; calls with it now get 401.", name=repr(key.name)), "success")
    return redirect(url_for("accounts_console.api_keys"), code=303)


@bp.route("/profile", methods=["GET", "POST"], endpoint="profile")
@role_required("door")
def profile():
    """The signed-in user's own settings: the language of the console and the door."""
    form = LanguageForm(data={"language": current_user.language or ""})
    if form.validate_on_submit():
        service.set_language(current_user, form.language.data or None)
        refresh()  # the confirmation is already in the new language
        flash(_("Your language is saved."), "success")
        return redirect(url_for("accounts_console.profile"), code=303)
    return render_template("console/accounts/profile.html", form=form), 422 if form.errors else 200


@bp.route("/settings", methods=["GET", "POST"], endpoint="org_settings")
@role_required("admin")
def org_settings():
    org = Organization.get_by_id(org_id())
    form = OrganizationForm(obj=org)
    if form.validate_on_submit():
        fields = {
            "name": form.name.data.strip(),
            "timezone": form.timezone.data,
            "currency": form.currency.data,
            "brand_color": form.brand_color.data.lower(),
            "reply_to": form.reply_to.data or None,
            "track_mail": bool(form.track_mail.data),
        }
        try:
            upload = request.files.get("logo")
            if upload and upload.filename:
                service.store_logo(org, upload.read(), actor=current_user)
            service.update_organization(org, fields, actor=current_user)
        except service.AccountError as exc:
            getattr(form, exc.field or "name").errors.append(str(exc))
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("accounts_console.org_settings"), code=303)
    return render_template("console/accounts/settings.html", form=form, org=org), 422 if form.errors else 200
