"""The offline door's data: what a door device downloads for a check-in list, what one round of
changes costs, and what replaying an upload of offline scans costs, in this process (SQLite).

    python -m bench.door_list [--tickets 3000] [--scans 200]

Prints the list copy's size (JSON and gzip, as Flask-Compress sends it) and the time to build it,
the time of a round of changes with 1 % of the tickets changed, and the replay time per scan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import in_process_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--scans", type=int, default=200)
    args = parser.parse_args()
    with in_process_app("door-list"):
        from tests.factories.accounts import make_org
        from tests.factories.catalog import make_product
        from tests.factories.events import make_event
        from tests.factories.orders import make_order
        from webapp.checkin import offline
        from webapp.checkin.lists import default_list
        from webapp.db import utcnow
        from webapp.orders.models import Registrant

        event = make_event(make_org())
        product = make_product(event, quota=None)
        for start in range(0, args.tickets, 100):
            make_order(event, {product: min(100, args.tickets - start)})
        checkin_list = default_list(event)

        started = time.perf_counter()
        copy = offline.snapshot(event, checkin_list)
        built = time.perf_counter() - started
        body = json.dumps(copy, default=str).encode()
        print(
            f"list copy, {args.tickets} tickets: {len(body) / 1024:.0f} KiB JSON, "
            f"{len(gzip.compress(body)) / 1024:.0f} KiB gzip, built in {built * 1000:.0f} ms"
        )

        since = utcnow()
        changed = [r.id for r in Registrant.select(Registrant.id).limit(max(1, args.tickets // 100))]
        Registrant.update(updated_at=since + dt.timedelta(seconds=1)).where(Registrant.id.in_(changed)).execute()
        started = time.perf_counter()
        delta = offline.changes(event, checkin_list, since)
        print(f"changes: {len(delta['tickets'])} tickets in {(time.perf_counter() - started) * 1000:.1f} ms")

        secrets = [r.ticket_secret for r in Registrant.select(Registrant.ticket_secret).limit(args.scans)]
        scans = [
            {"secret": s, "nonce": uuid.uuid4().hex, "device_time": utcnow(), "verdict": "ok", "gate": "A"}
            for s in secrets
        ]
        started = time.perf_counter()
        offline.replay(event, checkin_list, scans, device="bench", user=None)
        took = time.perf_counter() - started
        print(f"replay: {len(scans)} scans in {took * 1000:.0f} ms ({took * 1000 / len(scans):.2f} ms per scan)")


if __name__ == "__main__":
    main()
