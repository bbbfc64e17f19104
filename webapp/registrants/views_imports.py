"""CSV import of participants: upload, map the columns with a preview, then watch the job."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.accounts.access import event_required, job_owner, org_id, row_required
from webapp.catalog.models import Product
from webapp.events.pages import event_or_404
from webapp.i18n import _
from webapp.registrants import imports
from webapp.registrants import mapping as columns
from webapp.registrants.forms import ImportOptionsForm, UploadForm
from webapp.templating import is_fragment_request
from webapp.work.models import Job

bp = Blueprint("registrant_imports", __name__, url_prefix="/console")


def _recent(event):
    return list(
        Job.select()
        .where((Job.organization_id == org_id()) & (Job.event_id == event.id) & (Job.kind == "import"))
        .order_by(Job.id.desc())
        .limit(10)
    )


def _products(event) -> list[Product]:
    return list(
        Product.select()
        .where((Product.organization == org_id()) & (Product.event == event.id) & (Product.admits_entry == True))  # noqa: E712
        .order_by(Product.position, Product.id)
    )


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
@event_required("registrants")
def import_start(event_id: int):
    event = event_or_404(event_id)
    try:
        form = UploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        form.file.errors = [_("The file is too large; the limit is %(mb)s MB.", mb=imports.MAX_BYTES // 1024 // 1024)]
        submitted = False
    if submitted:
        upload = form.file.data
        try:
            parsed = imports.read_upload(upload.read(imports.MAX_BYTES + 1))
        except imports.ImportFileError as exc:
            form.file.errors = [str(exc)]
        else:
            job = imports.create_job(org_id(), event, current_user, parsed, upload.filename or "")
            return redirect(url_for("registrant_imports.import_mapping", job_id=job.id), code=303)
    status = 422 if form.file.errors else 200
    return render_template(
        "console/imports/upload.html",
        event=event,
        form=form,
        recent=_recent(event),
        has_products=bool(_products(event)),
        max_mb=imports.MAX_BYTES // 1024 // 1024,
        max_rows=imports.MAX_ROWS,
    ), status


def _mapping_job(job_id: int) -> Job:
    return Job.get_for_org(org_id(), job_id, imports.KIND)


@bp.route("/imports/<int:job_id>", methods=["GET", "POST"])
@row_required("job_id", "registrants", job_owner)
def import_mapping(job_id: int):
    job = _mapping_job(job_id)
    event = event_or_404(job.event_id)
    if job.state != "mapping" or not imports.has_file(job):
        return redirect(url_for("console.job_progress", job_id=job.id))
    targets = columns.targets(event)
    products = _products(event)
    form = ImportOptionsForm()
    form.product.choices = [(p.id, p.name) for p in products]
    if request.method == "GET" and len(products) == 1:
        form.product.data = products[0].id
    mapping, mapping_errors = job.params.get("mapping", {}), {}
    if request.method == "POST":
        try:
            mapping = columns.read_mapping(request.form, job.params["headers"], targets)
        except columns.MappingError as exc:
            mapping_errors = exc.errors
            mapping = {k: int(v) for k, v in _partial_mapping(request.form, job).items()}
        options_ok = form.validate_on_submit()
        if request.form.get("preview") or is_fragment_request():
            return _preview(job, event, mapping, mapping_errors)
        if options_ok and not mapping_errors:
            product = next(p for p in products if p.id == form.product.data)
            imports.start(
                job,
                mapping=mapping,
                product=product,
                duplicates=form.duplicates.data,
                send_ticket=form.send_ticket.data,
                paid=form.paid.data,
            )
            return redirect(url_for("console.job_progress", job_id=job.id), code=303)
    status = 422 if (mapping_errors or form.errors) else 200
    return render_template(
        "console/imports/mapping.html",
        job=job,
        event=event,
        form=form,
        targets=targets,
        mapping=mapping,
        mapping_errors=mapping_errors,
        rows=imports.preview(job, mapping, event),
    ), status


def _partial_mapping(form, job: Job) -> dict[str, int]:
    headers = job.params["headers"]
    out = {}
    for key, value in form.items():
        if key.startswith("map-") and value.isdigit() and int(value) < len(headers):
            out[key[4:]] = int(value)
    return out


def _preview(job, event, mapping, mapping_errors):
    return render_template(
        "console/imports/_preview.html",
        job=job,
        event=event,
        targets=columns.targets(event),
        mapping=mapping,
        mapping_errors=mapping_errors,
        rows=imports.preview(job, mapping, event),
    )


@bp.route("/imports/<int:job_id>/errors.csv")
@row_required("job_id", "registrants", job_owner)
def import_errors(job_id: int):
    job = _mapping_job(job_id)
    if not imports.has_file(job):
        abort(
            404, _("The uploaded file was deleted a week after the import; the error list above still shows each row.")
        )
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", job.params.get("filename", "import.csv").rsplit(".", 1)[0]) or "import"
    return Response(
        "\ufeff" + imports.error_rows_csv(job),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-errors.csv"', "Cache-Control": "no-store"},
    )
