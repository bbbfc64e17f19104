"""Campaigns in the console: the list, starting a campaign (blank, from a template, or for an
event's registrants), the composer (fields, block editor or raw HTML, recipients with a live count,
a live preview at desktop and phone width, tests), the lifecycle's buttons (schedule, send now,
cancel the schedule, pause, resume), a campaign's report (figures with rates, people and machines
apart, per link, opens by hour, opens and clicks over time, the CSV export of every recipient's
outcome) and the roll-up of all campaigns by label and by category."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import job_owner, org_id, role_required, row_required
from webapp.campaigns import (
    audience,
    block_editor,
    campaign_templates,
    exports,
    lifecycle,
    previews,
    reports,
    service,
)
from webapp.campaigns.compose_form import ComposeForm, block_errors_by_number, read_audience
from webapp.campaigns.composer import clean_body
from webapp.campaigns.forms import CampaignForm, NewCampaignForm, TemplateNameForm, TestSendForm
from webapp.campaigns.models import REGISTRANT_STATES, Campaign, empty_audience
from webapp.campaigns.templates_model import CampaignTemplate
from webapp.console import charts
from webapp.console.pages_jobs import job_file_download
from webapp.contacts.models import Label
from webapp.contacts.newsletter_models import Newsletter
from webapp.events.models import Event
from webapp.guards import row_id
from webapp.i18n import _, joined
from webapp.projects.models import Project
from webapp.security import CSP
from webapp.segments.models import Segment
from webapp.templating import is_fragment_request, render_page
from webapp.timeutil import to_local, to_utc
from webapp.work.models import Job

bp = Blueprint("campaigns", __name__, url_prefix="/console/campaigns")

# The composer shows images by URL in its preview: its page may load https images (the preview
# frames are sandboxed: no scripts run in them).
COMPOSER_CSP = CSP.replace("img-src 'self' data: blob:", "img-src 'self' data: blob: https:")
STARTER_BLOCKS = [
    {"type": "heading", "text": 'Hello {{ contact.first_name | default("there") }}', "level": 1, "align": "left"},
    {"type": "text", "markdown": "Write your message here."},
    {"type": "footer"},
]


def state_labels() -> dict[str, str]:
    return {
        "draft": _("Draft"),
        "scheduled": _("Scheduled"),
        "sending": _("Sending"),
        "paused": _("Paused"),
        "sent": _("Sent"),
        "reported": _("Reported"),
    }


def registrant_state_labels() -> dict[str, str]:
    return {
        "registered": _("Registered"),
        "paid": _("Paid"),
        "pending_payment": _("Payment pending"),
        "attended": _("Attended"),
        "no_show": _("No-show"),
    }


def campaign_or_404(campaign_id: int) -> Campaign:
    return Campaign.get_for_org(org_id(), campaign_id)


def _template_or_404(template_id: int) -> CampaignTemplate:
    return campaign_templates.get_template(org_id(), template_id)


# The list ---------------------------------------------------------------------------------------


@bp.route("", endpoint="index")
@role_required("manager")
def index():
    campaigns = list(Campaign.for_org(org_id()).order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(200))
    templates = list(campaign_templates.list_templates(org_id()))
    return render_template(
        "console/campaigns/list.html", campaigns=campaigns, templates=templates, state_labels=state_labels()
    )


# Starting one -----------------------------------------------------------------------------------


def _list_prefill() -> dict:
    """?project_id= (a project's "Email the participants") or ?newsletter_id= (a newsletter's
    "Send a campaign"): the audience, and the project the campaign is sent from."""
    project_id = request.values.get("project_id", type=row_id)
    newsletter_id = request.values.get("newsletter_id", type=row_id)
    if project_id is not None:
        project = Project.get_for_org(org_id(), project_id)
        return {"project_id": project.id, "audience": {**empty_audience(), "project_id": project.id}}
    if newsletter_id is not None:
        newsletter = Newsletter.get_for_org(org_id(), newsletter_id)
        return {"audience": {**empty_audience(), "newsletter_id": newsletter.id}}
    return {}


def _event_prefill() -> tuple[Event | None, list[str]]:
    """?event_id=&state= from an event's page ("Email these registrants")."""
    event_id = request.values.get("event_id", type=row_id)
    if event_id is None:
        return None, []
    event = Event.get_for_org(org_id(), event_id)
    states = [s for s in request.values.getlist("state") if s in REGISTRANT_STATES] or ["registered"]
    return event, states


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def new():
    event, states = _event_prefill()
    prefill = _list_prefill()
    templates = list(campaign_templates.list_templates(org_id()))
    form = NewCampaignForm()
    form.start.choices = [("blocks", _("Blank, with the block editor")), ("html", _("Blank, raw HTML"))] + [
        (f"template:{t.id}", _("Template: %(name)s", name=t.name)) for t in templates
    ]
    if request.method == "GET":
        wanted = request.args.get("template", type=row_id)
        form.start.data = f"template:{wanted}" if wanted else "blocks"
        if event is not None:
            form.name.data = _("To the registrants of %(event)s", event=event.name)[:200]
    if form.validate_on_submit():
        campaign = _start(form, event, states, prefill)
        if campaign is not None:
            flash(_("Campaign %(name)s created as a draft.", name=campaign.name), "success")
            return redirect(url_for("campaigns.compose", campaign_id=campaign.id), code=303)
    status = 422 if request.method == "POST" else 200
    labels = registrant_state_labels()
    return render_template(
        "console/campaigns/new.html", form=form, event=event, states=states, state_labels=labels, prefill=prefill
    ), status


def _start(form: NewCampaignForm, event: Event | None, states: list[str], prefill: dict) -> Campaign | None:
    chosen = form.start.data or "blocks"
    values: dict = {"name": form.name.data}
    if event is not None:
        values["audience"] = {**empty_audience(), "event_registrants": {"event_id": event.id, "states": states}}
    values.update(prefill)
    if chosen.startswith("template:"):
        try:
            template = _template_or_404(row_id(chosen.partition(":")[2]))
        except ValueError:
            abort(404)
        campaign = campaign_templates.start_campaign(template, name=form.name.data, actor=current_user)
        if "audience" in values:
            service.update(campaign, {k: v for k, v in values.items() if k != "name"}, actor=current_user)
        return campaign
    if chosen == "blocks":
        body = clean_body(g.org, blocks=STARTER_BLOCKS)
        values.update(body_blocks=body.blocks, body_html=body.html)
    try:
        return service.create(g.org, values, actor=current_user)
    except service.CampaignError as exc:
        form.name.errors = list(form.name.errors) + list(exc.fields.values())
        return None


# The composer -----------------------------------------------------------------------------------


def _choices() -> dict:
    org = org_id()
    events = list(Event.for_org(org).order_by(Event.starts_at.desc()).limit(200))
    return {
        "labels": list(Label.for_org(org).order_by(Label.name)),
        "segments": list(Segment.for_org(org).order_by(Segment.name)),
        "events": events,
        "projects": list(Project.for_org(org).order_by(Project.name).limit(200)),
        "newsletters": list(Newsletter.for_org(org).order_by(Newsletter.name)),
        "event_choices": [("", _("Choose an event…"))] + [(e.id, e.name) for e in events],
        "block_types": [
            ("heading", _("Heading")),
            ("text", _("Text")),
            ("image", _("Image")),
            ("button", _("Button")),
            ("divider", _("Divider")),
            ("columns", _("Two columns")),
            ("event", _("Event card")),
            ("footer", _("Footer")),
        ],
    }


def _compose_page(draft: ComposeForm, status: int = 200):
    campaign = draft.campaign
    context = {
        "campaign": campaign,
        "form": draft.form,
        "mode": draft.mode,
        "blocks": draft.blocks,
        "block_errors": draft.block_errors,
        "errors_by_block": block_errors_by_number(draft.block_errors),
        "audience": draft.audience,
        "audience_error": draft.audience_error,
        "problems": service.launch_problems(campaign) if campaign.state == "draft" else {},
        "test_form": TestSendForm(formdata=None),
        "state_labels": state_labels(),
        "registrant_states": registrant_state_labels(),
        "send_at_local": _local_input(campaign.send_at),
        **_choices(),
    }
    return render_template("console/campaigns/compose.html", **context), status


def _local_input(value: dt.datetime | None) -> str:
    local = to_local(value, g.org.timezone) if value else None
    return local.strftime("%Y-%m-%dT%H:%M") if local else ""


def _with_csp(result):
    body, status = result
    return body, status, {"Content-Security-Policy": COMPOSER_CSP}


def _fill(form: CampaignForm, campaign: Campaign) -> None:
    form.mode.data = "blocks" if campaign.body_blocks is not None else "html"


@bp.route("/<int:campaign_id>", methods=["GET", "POST"])
@role_required("manager")
def compose(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    if campaign.state != "draft":
        if request.method == "POST":
            flash(
                _("Only a draft can be edited; this campaign is %(state)s.", state=state_labels()[campaign.state]),
                "error",
            )
        return redirect(url_for("campaigns.report", campaign_id=campaign.id), code=303)
    if request.method == "GET":
        form = CampaignForm(obj=campaign)
        _fill(form, campaign)
        draft = ComposeForm(campaign, form, request.form, g.org)
        draft.blocks = campaign.body_blocks or []
        draft.audience = campaign.audience
        return _with_csp(_compose_page(draft))
    form = CampaignForm()
    draft = ComposeForm(campaign, form, request.form, g.org)
    op = request.form.get("op", "")
    if op:  # a block editor button without scripts: the page again, nothing saved
        draft.blocks = block_editor.apply(draft.blocks, op)
        return _with_csp(_compose_page(draft))
    values = draft.values() if form.validate_on_submit() else None
    if values is None:
        return _with_csp(_compose_page(draft, 422))
    try:
        service.update(campaign, values, actor=current_user)
    except service.CampaignError as exc:
        for name, message in exc.fields.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = list(field.errors) + [message]
            elif name.startswith("audience"):
                draft.audience_error = message
        return _with_csp(_compose_page(draft, 422))
    except lifecycle.TransitionError as exc:
        flash(
            _(
                "Only a draft can be edited; this campaign is %(state)s.",
                state=state_labels().get(exc.state, exc.state),
            ),
            "error",
        )
        return redirect(url_for("campaigns.report", campaign_id=campaign.id), code=303)
    flash(_("Campaign saved."), "success")
    return redirect(url_for("campaigns.compose", campaign_id=campaign.id), code=303)


@bp.route("/<int:campaign_id>/blocks", methods=["POST"])
@role_required("manager")
def block_op(campaign_id: int):
    """A block editor button (add, move, remove): the editor again, with the change."""
    campaign = campaign_or_404(campaign_id)
    draft = ComposeForm(campaign, CampaignForm(), request.form, g.org)
    draft.blocks = block_editor.apply(draft.blocks, request.form.get("op", ""))
    if not is_fragment_request():
        return _with_csp(_compose_page(draft))
    html = render_template(
        "console/campaigns/_blocks.html",
        campaign=campaign,
        blocks=draft.blocks,
        errors_by_block={},
        block_errors=[],
        **_choices(),
    )
    return html, 200, {"HX-Trigger": "blocks-changed"}


@bp.route("/<int:campaign_id>/preview", methods=["POST"])
@role_required("manager")
def preview(campaign_id: int):
    """The campaign as being edited, rendered for a sample contact (both widths)."""
    campaign = campaign_or_404(campaign_id)
    draft = ComposeForm(campaign, CampaignForm(), request.form, g.org)
    unsaved = draft.as_campaign() if campaign.state == "draft" else campaign
    result = previews.preview(g.org, unsaved)
    if draft.block_errors:
        result.errors = {"blocks": draft.block_errors[0], **result.errors}
    return render_template("console/campaigns/_preview.html", preview=result)


@bp.route("/audience-count", methods=["POST"])
@role_required("manager")
def audience_count():
    """The live count of the recipients chooser."""
    try:
        chosen = audience.clean(org_id(), read_audience(request.form))
    except audience.AudienceError as exc:
        return render_template("console/campaigns/_count.html", counts=None, error=exc.message)
    return render_template("console/campaigns/_count.html", counts=audience.count(org_id(), chosen), error="")


@bp.route("/<int:campaign_id>/test", methods=["POST"])
@role_required("manager")
def send_test(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = TestSendForm()
    if not form.validate_on_submit():
        flash(joined(form.addresses.errors) or _("Give at least one address."), "error")
    else:
        try:
            sent = previews.send_test(campaign, form.addresses.data, actor=current_user)
            flash(_("A test is on its way to %(addresses)s.", addresses=", ".join(sent)), "success")
        except previews.TestSendError as exc:
            flash(str(exc), "error")
    return redirect(url_for("campaigns.compose", campaign_id=campaign.id) + "#test", code=303)


# The lifecycle ----------------------------------------------------------------------------------


def _after_action(campaign: Campaign):
    endpoint = "campaigns.compose" if campaign.state == "draft" else "campaigns.report"
    return redirect(url_for(endpoint, campaign_id=campaign.id), code=303)


def _refused(campaign: Campaign, exc: Exception):
    if isinstance(exc, lifecycle.TransitionError):
        flash(
            _("This cannot be done now: the campaign is %(state)s.", state=state_labels().get(exc.state, exc.state)),
            "error",
        )
        return _after_action(Campaign.get_by_id(campaign.id))
    problems = getattr(exc, "fields", {}) or {}
    flash(_("Not ready to send: %(problems)s", problems=" ".join(problems.values()) or str(exc)), "error")
    return _after_action(campaign)


@bp.route("/<int:campaign_id>/schedule", methods=["POST"])
@role_required("manager")
def schedule(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    text = request.form.get("send_at", "")
    try:
        local = dt.datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M")
        send_at = to_utc(local, g.org.timezone)
    except (ValueError, OverflowError):
        flash(_("Choose the date and time to send it."), "error")
        return _after_action(campaign)
    if send_at <= dt.datetime.now(dt.UTC).replace(tzinfo=None):
        flash(_("Choose a time in the future (or send it now)."), "error")
        return _after_action(campaign)
    try:
        service.send(campaign, send_at=send_at, actor=current_user)
    except (lifecycle.TransitionError, service.CampaignError) as exc:
        return _refused(campaign, exc)
    flash(_("Scheduled for %(when)s.", when=_local_input(send_at).replace("T", " ")), "success")
    return _after_action(campaign)


@bp.route("/<int:campaign_id>/send", methods=["POST"])
@role_required("manager")
def send_now(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    try:
        service.send(campaign, actor=current_user)
    except (lifecycle.TransitionError, service.CampaignError) as exc:
        return _refused(campaign, exc)
    flash(_("Sending has started."), "success")
    return _after_action(campaign)


def _move(campaign_id: int, action: str, done: str):
    campaign = campaign_or_404(campaign_id)
    try:
        getattr(service, action)(campaign, actor=current_user)
    except lifecycle.TransitionError as exc:
        return _refused(campaign, exc)
    flash(done, "success")
    return _after_action(Campaign.get_by_id(campaign.id))


@bp.route("/<int:campaign_id>/cancel-schedule", methods=["POST"])
@role_required("manager")
def cancel_schedule(campaign_id: int):
    return _move(campaign_id, "cancel_schedule", _("The schedule is canceled: the campaign is a draft again."))


@bp.route("/<int:campaign_id>/pause", methods=["POST"])
@role_required("manager")
def pause(campaign_id: int):
    return _move(campaign_id, "pause", _("Sending is paused."))


@bp.route("/<int:campaign_id>/resume", methods=["POST"])
@role_required("manager")
def resume(campaign_id: int):
    return _move(campaign_id, "resume", _("Sending again."))


@bp.route("/<int:campaign_id>/duplicate", methods=["POST"])
@role_required("manager")
def duplicate(campaign_id: int):
    copy = service.duplicate(campaign_or_404(campaign_id), actor=current_user)
    flash(_("Copied as the draft %(name)s.", name=copy.name), "success")
    return redirect(url_for("campaigns.compose", campaign_id=copy.id), code=303)


# Templates --------------------------------------------------------------------------------------


@bp.route("/<int:campaign_id>/save-as-template", methods=["POST"])
@role_required("manager")
def save_as_template(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = TemplateNameForm()
    if not form.validate_on_submit():
        flash(joined(form.name.errors) or _("Give the template a name."), "error")
        return _after_action(campaign)
    try:
        template = campaign_templates.save_campaign_as_template(campaign, name=form.name.data, actor=current_user)
    except campaign_templates.TemplateError as exc:
        flash(str(exc), "error")
        return _after_action(campaign)
    flash(_("Saved as the template %(name)s.", name=template.name), "success")
    return _after_action(campaign)


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@role_required("manager")
def delete_template(template_id: int):
    template = _template_or_404(template_id)
    campaign_templates.delete_template(template, actor=current_user)
    flash(_("Template %(name)s deleted.", name=template.name), "success")
    return redirect(url_for("campaigns.index") + "#templates", code=303)


@bp.route("/templates/<int:template_id>/rename", methods=["POST"])
@role_required("manager")
def rename_template(template_id: int):
    template = _template_or_404(template_id)
    form = TemplateNameForm()
    try:
        if not form.validate_on_submit():
            raise campaign_templates.TemplateError(joined(form.name.errors), "name")
        campaign_templates.update_template(template, name=form.name.data, actor=current_user)
        flash(_("Template renamed."), "success")
    except campaign_templates.TemplateError as exc:
        flash(str(exc), "error")
    return redirect(url_for("campaigns.index") + "#templates", code=303)


# Reports ----------------------------------------------------------------------------------------


def _day_points(rows: list[dict], key: str) -> list[tuple[dt.date, int]]:
    points = []
    for row in rows:
        try:
            day = dt.date.fromisoformat(str(row["at"])[:10])
        except ValueError:
            continue
        points.append((day, int(row[key])))
    return points


@bp.route("/<int:campaign_id>/report")
@role_required("manager")
def report(campaign_id: int):
    """The figures (a fragment that refreshes itself while the campaign is sending)."""
    campaign = campaign_or_404(campaign_id)
    if campaign.state == "draft":  # nothing to report yet: the composer says what it needs
        return redirect(url_for("campaigns.compose", campaign_id=campaign.id))
    tz = g.org.timezone or "UTC"
    figures = reports.basic(campaign)
    days = reports.series(campaign, unit="day")
    hours = reports.open_hours(campaign, tz)
    peak = max((h["opens"] for h in hours), default=0)
    return render_page(
        "console/campaigns/report.html",
        "console/campaigns/_figures.html",
        campaign=campaign,
        figures=figures,
        links=reports.links(campaign),
        hours=hours,
        peak=peak,
        opens_chart=charts.series_chart(_day_points(days, "opens")),
        clicks_chart=charts.series_chart(_day_points(days, "clicks")),
        state_labels=state_labels(),
        problems={},
        test_form=TestSendForm(formdata=None),
        send_at_local="",
        export_job=_latest_export(campaign),
    )


def _latest_export(campaign: Campaign) -> Job | None:
    recent = Job.for_org(org_id()).where(Job.kind == exports.KIND).order_by(Job.id.desc()).limit(50)
    return next((job for job in recent if job.params.get("campaign_id") == campaign.id), None)


@bp.route("/<int:campaign_id>/export", methods=["POST"])
@role_required("manager")
def export(campaign_id: int):
    """Start the CSV export of every recipient's outcome (a job; its progress shows on the report)."""
    campaign = campaign_or_404(campaign_id)
    exports.start(campaign, user_id=current_user.id)
    return redirect(url_for("campaigns.report", campaign_id=campaign.id) + "#campaign-export", code=303)


@bp.route("/exports/<int:job_id>/file")
@row_required("job_id", "registrants", job_owner)
def export_file(job_id: int):
    """A finished export's file, for the managers of its organization (another's id: 404)."""
    return job_file_download(
        job_id, exports.KIND, exports.job_file, exports.MIMETYPE,
        _("This export is not ready, or its file was deleted. Export again."),
    )  # fmt: skip


@bp.route("/rollup")
@role_required("manager")
def rollup():
    return render_template(
        "console/campaigns/rollup.html",
        by_category=reports.by_category(org_id()),
        by_label=reports.by_label(org_id()),
    )
