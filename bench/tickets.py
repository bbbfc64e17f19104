"""How long a ticket PDF takes: one-ticket documents, and orders of 1, 100 and 500 tickets in one
document (the cost per ticket must stay flat as the document grows).

    python -m bench.tickets [--singles 60] [--sizes 1,100,500]

Runs in this process on a fresh SQLite database, through the same service the task worker calls
(`webapp.tickets.service.order_pdf`: data, QR, HTML, WeasyPrint, file write), and for orders over
`order_pdf_jobs.LARGE_ORDER` tickets also as the job the download starts (chunks of 50 joined into
one file, webapp.tickets.order_pdf_jobs). Prints the median ms
per ticket, wall-clock and CPU time (on a busy machine, the CPU time is the fairer figure). The
first document (font loading) is a warm-up and not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import in_process_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--singles", type=int, default=60)
    parser.add_argument("--sizes", default="1,100,500", help="tickets per order document, comma-separated")
    args, _ = parser.parse_known_args()
    with in_process_app("tickets", "development"):
        run(args.singles, [int(size) for size in args.sizes.split(",")])


def run(singles: int, sizes: list[int]) -> None:
    from tests.factories.accounts import make_org
    from tests.factories.catalog import make_product
    from tests.factories.events import make_event
    from tests.factories.orders import make_order
    from webapp.tickets import service
    from webapp.tickets.pdf import render_pdf

    org = make_org("Bench Org", timezone="Asia/Jakarta")
    event = make_event(org, name="Jakarta Tech Summit 2026", venue_name="Balai Kartini", timezone="Asia/Jakarta")
    product = make_product(event, name="Regular", price=150000)

    def person(n: int) -> dict:
        return {"name": f"Attendee Number {n}", "email": f"a{n}@example.org"}

    service.order_pdf(make_order(event, {product: 1}, attendees=[person(0)]))  # warm-up: fonts, CSS

    per_doc, per_doc_cpu = [], []
    for n in range(singles):
        order = make_order(event, {product: 1}, attendees=[person(n + 1)])
        start, start_cpu = time.perf_counter(), time.process_time()
        service.order_pdf(order)
        per_doc.append((time.perf_counter() - start) * 1000)
        per_doc_cpu.append((time.process_time() - start_cpu) * 1000)

    from webapp.tickets import document

    html = document.render_html(
        document.ticket_data(order, service.admitted_registrants(order), service.settings_for(event))
    )
    render_only = []
    for _ in range(min(singles, 30)):
        start = time.perf_counter()
        render_pdf(html)
        render_only.append((time.perf_counter() - start) * 1000)

    from webapp import work
    from webapp.tickets import order_pdf_jobs
    from webapp.work import jobs

    per_size, per_job = [], []
    for size in sizes:
        big = make_order(event, {product: size}, attendees=[person(1000 * size + n) for n in range(size)])
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = service.order_pdf(big)
        per_size.append(
            (size, (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000, len(pdf))
        )
        if size > order_pdf_jobs.LARGE_ORDER:
            service.forget_order(big)  # the job builds it again
            job = order_pdf_jobs.start(big)
            start, start_cpu = time.perf_counter(), time.process_time()
            while jobs.run(job.id) is work.AGAIN:  # slice after slice, as the worker runs it
                pass
            took, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000
            per_job.append((size, took, cpu, len(service.fresh_order_pdf(big))))

    print(f"one-ticket PDFs: median {statistics.median(per_doc):.1f} ms per ticket "
          f"(p90 {sorted(per_doc)[int(len(per_doc) * 0.9)]:.1f} ms, {singles} documents, "
          f"WeasyPrint alone {statistics.median(render_only):.1f} ms); "
          f"CPU time median {statistics.median(per_doc_cpu):.1f} ms")  # fmt: skip
    for size, took, cpu, length in per_size:
        print(f"{size:>4}-ticket order: {took:7.0f} ms = {took / size:5.1f} ms per ticket "
              f"(CPU {cpu / size:5.1f} ms per ticket, {length // 1024} KiB)")  # fmt: skip
    for size, took, cpu, length in per_job:
        print(f"{size:>4}-ticket order as a job: {took:7.0f} ms = {took / size:5.1f} ms per ticket "
              f"(CPU {cpu / size:5.1f} ms per ticket, {length // 1024} KiB)")  # fmt: skip
    print(f"(load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall times include waiting "
          "for a CPU; CPU time is what one idle core would take)")  # fmt: skip


if __name__ == "__main__":
    main()
