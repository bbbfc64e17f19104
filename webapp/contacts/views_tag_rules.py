"""Console → Contacts → Tag rules: "when event of type T (with property P = V) → add/remove label L"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from webapp.accounts.access import org_id, role_required
from webapp.contacts import ingest
from webapp.contacts.ingest_forms import TagRuleForm
from webapp.contacts.ingest_models import IncomingEvent, TagRule
from webapp.contacts.models import Label
from webapp.contacts.service import ContactError
from webapp.i18n import _, render_stored

bp = Blueprint("tag_rules", __name__, url_prefix="/console/contacts/tag-rules")


def _page(form: TagRuleForm, status: int = 200):
    rules = list(TagRule.for_org(org_id()).order_by(TagRule.event_type, TagRule.id))
    stages = {label.name.lower(): label.stage for label in Label.for_org(org_id()).where(Label.stage.is_null(False))}
    counts = {
        state: IncomingEvent.for_org(org_id()).where(IncomingEvent.status == state).count()
        for state in ("pending", "failed")
    }
    return render_template(
        "console/api/tag_rules.html",
        form=form,
        rules=rules,
        stages=stages,
        counts=counts,
        describe=lambda rule: render_stored(ingest.describe_rule(rule)),
    ), status


@bp.route("/", methods=["GET", "POST"])
@role_required("manager")
def index():
    form = TagRuleForm()
    if form.validate_on_submit():
        try:
            ingest.create_tag_rule(
                org_id(),
                event_type=form.event_type.data,
                action=form.action.data,
                label=form.label.data,
                property_name=form.property_name.data or "",
                property_value=form.property_value.data or "",
                actor=current_user,
            )
        except ContactError as exc:
            getattr(form, exc.field or "label").errors.append(str(exc))
        else:
            flash(_("Tag rule added. It applies to events processed from now on."), "success")
            return redirect(url_for("tag_rules.index"), code=303)
    return _page(form, 422 if form.is_submitted() else 200)


@bp.route("/<int:rule_id>/toggle", methods=["POST"])
@role_required("manager")
def toggle(rule_id: int):
    rule = TagRule.get_for_org(org_id(), rule_id)
    ingest.set_tag_rule_active(rule, not rule.active, actor=current_user)
    rule_text = render_stored(ingest.describe_rule(rule))
    flash(
        _("Rule resumed: %(rule)s", rule=rule_text) if rule.active else _("Rule paused: %(rule)s", rule=rule_text),
        "success",
    )
    return redirect(url_for("tag_rules.index"), code=303)


@bp.route("/<int:rule_id>/delete", methods=["POST"])
@role_required("manager")
def delete(rule_id: int):
    rule = TagRule.get_for_org(org_id(), rule_id)
    ingest.delete_tag_rule(rule, actor=current_user)
    flash(_("Tag rule deleted."), "success")
    return redirect(url_for("tag_rules.index"), code=303)
