"""Exports of an event's registrants, orders and check-ins: small ones straight from the request
(CSV streamed, XLSX in one go), large ones as a job with a progress bar and a file to download
(webapp.registrants.export_jobs)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, stream_with_context, url_for
from flask_babel import get_locale
from flask_login import current_user

from webapp.accounts.access import event_required, job_owner, org_id, row_required
from webapp.events.pages import event_or_404
from webapp.i18n import _
from webapp.registrants import export_jobs, exports
from webapp.storage import download
from webapp.work.models import Job

bp = Blueprint("registrant_exports", __name__, url_prefix="/console")


@bp.route("/events/<int:event_id>/exports", endpoint="exports")
@event_required("registrants")
def exports_page(event_id: int):
    event = event_or_404(event_id)
    counts = {kind: exports.row_count(kind, org_id(), event) for kind in exports.KINDS}
    return render_template(
        "console/exports.html",
        event=event,
        kinds=exports.KINDS,
        counts=counts,
        direct_limit=export_jobs.DIRECT_LIMIT,
        recent=export_jobs.recent(org_id(), event),
        keep_hours=export_jobs.KEEP_HOURS,
    )


def _known(kind: str, fmt: str) -> None:
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        abort(404)


@bp.route("/events/<int:event_id>/exports/<kind>.<fmt>")
@event_required("registrants")
def export_download(event_id: int, kind: str, fmt: str):
    event = event_or_404(event_id)
    _known(kind, fmt)
    if export_jobs.runs_as_job(kind, fmt, org_id(), event):
        flash(
            _(
                "%(export)s has too many rows to download at once: prepare the file below.",
                export=exports.KINDS[kind],
            ),
            "error",
        )
        return redirect(url_for("registrant_exports.exports", event_id=event.id), code=303)
    table = exports.table_for(kind, org_id(), event)
    name = export_jobs.filename(event, kind, fmt)
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if fmt == "csv":
        body = stream_with_context(exports.csv_chunks(table))
        return Response(body, headers={**headers, "Content-Type": export_jobs.MIMETYPES["csv"]})
    return Response(exports.xlsx_bytes(table), mimetype=export_jobs.MIMETYPES["xlsx"], headers=headers)


@bp.route("/events/<int:event_id>/exports/<kind>.<fmt>", methods=["POST"])
@event_required("registrants")
def export_start(event_id: int, kind: str, fmt: str):
    event = event_or_404(event_id)
    _known(kind, fmt)
    job = export_jobs.start(org_id(), event, kind, fmt, actor=current_user, locale=str(get_locale() or "en"))
    return redirect(url_for("console.job_progress", job_id=job.id), code=303)


@bp.route("/exports/<int:job_id>/file")
@row_required("job_id", "registrants", job_owner)
def export_file(job_id: int):
    """A finished export's file, for the managers of its organization (another's id: 404)."""
    job = Job.get_for_org(org_id(), job_id, export_jobs.KIND)
    event_or_404(job.event_id)
    key = export_jobs.job_file(job)
    if key is None:
        gone = _(
            "This export is not ready, or its file was deleted %(hours)s hours after it was made.",
            hours=export_jobs.KEEP_HOURS,
        )
        abort(404, gone + " Export again.")
    fmt = job.params["format"]
    return download(key, export_jobs.MIMETYPES[fmt], job.params["filename"])
