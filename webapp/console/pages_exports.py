"""Exports of an event's registrants, orders and check-ins (CSV streamed, XLSX built in one go)."""

from __future__ import annotations

from flask import Response, abort, render_template, stream_with_context

from webapp.console import exports
from webapp.console.blueprint import bp, event_or_404
from webapp.db import utcnow
from webapp.security import org_id, role_required


@bp.route("/events/<int:event_id>/exports", endpoint="exports")
@role_required("manager")
def exports_page(event_id: int):
    event = event_or_404(event_id)
    return render_template("console/exports.html", event=event, kinds=exports.KINDS)


@bp.route("/events/<int:event_id>/exports/<kind>.<fmt>")
@role_required("manager")
def export_download(event_id: int, kind: str, fmt: str):
    event = event_or_404(event_id)
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        abort(404)
    table = exports.table_for(kind, org_id(), event)
    filename = f"{event.slug}-{kind}-{utcnow():%Y%m%d-%H%M}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    if fmt == "csv":
        body = stream_with_context(exports.csv_chunks(table))
        return Response(body, mimetype="text/csv", headers={**headers, "Content-Type": "text/csv; charset=utf-8"})
    return Response(
        exports.xlsx_bytes(table),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=headers,
    )
