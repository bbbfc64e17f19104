"""The PDF of every ticket of a large order, built as a job with a progress bar.

Up to LARGE_ORDER tickets the PDF is made during the download (well under a second). A larger
order's takes seconds (~14 ms a page), too long for a request: the download starts a job (or
follows the one under way), the page shows its progress, then the file. The file is the order's
stored ticket PDF (webapp.tickets.service): the next download serves it while it shows the tickets
as they are; once a ticket changed, the next download builds it again."""

from __future__ import annotations

from webapp import work
from webapp.orders.models import Order
from webapp.tickets import document, pdf_jobs, service
from webapp.work import jobs
from webapp.work.models import Job

KIND = "order_pdf"
LARGE_ORDER = 50  # admitted tickets; an order with more gets its PDF from a job
CHUNK = 50  # tickets rendered at once (the cost per page stays that of a small document)


def is_large(order: Order) -> bool:
    return service.admitted_count(order) > LARGE_ORDER


def current_job(order: Order) -> Job | None:
    """The order's latest build."""
    for job in (
        Job.select()
        .where((Job.organization_id == order.organization_id) & (Job.event_id == order.event_id) & (Job.kind == KIND))
        .order_by(Job.id.desc())
    ):
        if job.params.get("order_id") == order.id:
            return job
    return None


def start(order: Order, *, user_id: int | None = None) -> Job:
    """The build under way for this order, or a new one (a second click follows the first)."""
    job = current_job(order)
    if job is not None and not job.finished:
        return job
    return jobs.create(
        order.organization_id,
        KIND,
        {"order_id": order.id, "code": order.code},
        event_id=order.event_id,
        user_id=user_id,
        total=service.admitted_count(order),
    )


@jobs.body(KIND)
def _build(job: Job, time_slice: jobs.Slice) -> object:
    order = Order.get_by_id(job.params["order_id"])
    registrants = service.admitted_registrants(order)
    if not registrants:
        raise service.NoTickets("The order has no valid ticket any more (canceled, refunded or unpaid).")
    ticket_settings = service.settings_for(order.event)
    fp = document.fingerprint(document.ticket_data(order, registrants, ticket_settings))
    chunks = [registrants[start : start + CHUNK] for start in range(0, len(registrants), CHUNK)]

    def render(chunk) -> bytes:
        return document.render(document.ticket_data(order, list(chunk), ticket_settings))

    pdf = pdf_jobs.build(job, time_slice, chunks, render, fp)
    if pdf is None:
        return work.AGAIN
    service.store_order_pdf(order, fp, pdf, pages=len(registrants))
    jobs.finish(job)
    pdf_jobs.clean(job)
    return None
