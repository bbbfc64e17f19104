"""The progress of any long job, the fragment every job page polls (webapp.work.jobs), and the
download of a finished export's file."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, redirect, url_for

from webapp.accounts.access import job_owner, org_id, row_required
from webapp.console.blueprint import bp
from webapp.events.pages import event_or_404
from webapp.storage import download
from webapp.templating import is_fragment_request, render_page
from webapp.work.models import Job

# The page that shows a job of each kind (those of an event's registrants have this one's).
_PAGES = {
    "contacts_import": lambda job: url_for("contacts.import_job", import_id=job.id),
    "badges": lambda job: url_for("checkin_console.badges_page", event_id=job.event_id),
    "segment_export": lambda job: url_for("segments.detail", segment_id=job.params["segment_id"]) + "#segment-export",
}


@bp.route("/jobs/<int:job_id>")
@row_required("job_id", "registrants", job_owner)
def job_progress(job_id: int):
    """A job's progress bar; the fragment polls itself until the job is finished. Another
    organization's job, or one of an event this user may not manage, is a 404."""
    job = Job.get_for_org(org_id(), job_id)
    event = event_or_404(job.event_id) if job.event_id is not None else None
    if job.kind in _PAGES and not is_fragment_request():
        return redirect(_PAGES[job.kind](job))
    return render_page("console/jobs/page.html", "console/_progress.html", job=job, event=event)


def job_file_download(job_id: int, kind: str, file_of: Callable[[Job], str | None], mimetype: str, not_ready: str):
    """The file of a finished job of `kind` (`file_of(job)`: its storage key, None when not done or
    deleted, which answers 404 with `not_ready`); another organization's job is a 404."""
    job = Job.get((Job.id == job_id) & (Job.organization_id == org_id()) & (Job.kind == kind))
    key = file_of(job)
    if key is None:
        abort(404, not_ready)
    return download(key, mimetype, job.params["filename"])
