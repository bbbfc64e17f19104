"""CPU time of one door scan in this process, through the whole WSGI app (session, CSRF, role,
redeem, JSON answer) without an HTTP server: what a gunicorn worker spends in Python per scan,
less its own parsing and socket work.

    python -m bench.checkin_cpu [--tickets 3000] [--profile] [--statements] [--served]

Scans every ticket once (an `ok` each), then again (an `already_checked_in` each), then unknown
secrets (`invalid`), as door staff signed in like the scanner page. Prints the median and lowest
CPU time per scan in rounds of 200; with --profile, the functions that take the most time; with
--statements, the SQL statements of one `ok` scan and of one `already_checked_in` scan (each is a
trip into SQLite, and under a threaded server a hand-over of the interpreter lock). With --served,
as gunicorn serves it: Huey's queue on SQLite and the task layer loaded (wsgi.py), so the wake-up a
commit sends to a worker is counted too (the default keeps the queue in memory).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask.testing import FlaskClient  # noqa: E402

from bench.checkin import DOOR_EMAIL, DOOR_PASSWORD, SEED  # noqa: E402
from bench.common import in_process_app, print_profile  # noqa: E402

ROUND = 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--served", action="store_true", help="Huey on SQLite and tasks loaded, as under gunicorn")
    args, _ = parser.parse_known_args()
    queue = f"sqlite:///{tempfile.mkdtemp(prefix='rollcall-bench-huey-')}/huey.db" if args.served else "memory://"
    with in_process_app("checkin", "production", huey_url=queue) as app:
        if args.served:
            import tasks.all  # noqa: F401  (as wsgi.py: the work engine wakes a worker through Huey's queue)
        if args.statements:
            statements(app)
        else:
            run(app, args.tickets, args.profile)


def statements(app) -> None:
    from webapp.db import db

    seeded = _seed(1)
    scan = _signed_in_scanner(app, seeded["event_id"])
    scan(uuid.uuid4().hex.upper())  # a first scan creates the default list
    for expected in ("ok", "already_checked_in"):
        run_sql: list[str] = []
        db.connection().set_trace_callback(run_sql.append)
        try:
            answer = scan(seeded["secrets"][0])
        finally:
            db.connection().set_trace_callback(None)
        if (answer["reason"] or answer["result"]) != expected:
            raise RuntimeError(f"expected {expected}, got {answer}")
        print(f"{expected}: {len(run_sql)} statements")
        for sql in run_sql:
            print(f"  {sql[:160]}")


def run(app, tickets: int, profile: bool) -> None:
    seeded = _seed(tickets)
    event_id, secrets = seeded["event_id"], seeded["secrets"]
    scan = _signed_in_scanner(app, event_id)
    passes = {
        "ok": secrets,
        "already_checked_in": secrets,
        "invalid": [uuid.uuid4().hex.upper() for _ in range(min(tickets, 1000))],
    }
    profiler = cProfile.Profile() if profile else None
    for expected, batch in passes.items():
        per_scan = []
        for start in range(0, len(batch), ROUND):
            chunk = batch[start : start + ROUND]
            if profiler:
                profiler.enable()
            began = time.process_time()
            for secret in chunk:
                answer = scan(secret)
                if (answer["reason"] or answer["result"]) != expected:
                    raise RuntimeError(f"expected {expected}, got {answer}")
            per_scan.append((time.process_time() - began) / len(chunk))
            if profiler:
                profiler.disable()
        print(
            f"{expected:>20}: {len(batch)} scans; CPU per scan median {statistics.median(per_scan) * 1000:.2f} ms, "
            f"lowest {min(per_scan) * 1000:.2f} ms"
        )
    if profiler:
        print_profile(profiler, cumulative=45)


def _seed(tickets: int) -> dict:
    code = SEED.format(email=DOOR_EMAIL, password=DOOR_PASSWORD, tickets=tickets)
    printed = io.StringIO()
    stdout, sys.stdout = sys.stdout, printed
    try:
        exec(code, {})
    finally:
        sys.stdout = stdout
    return json.loads(printed.getvalue().strip().splitlines()[-1])


def _signed_in_scanner(app, event_id: int):
    """A function scanning one secret through app.wsgi_app with the scanner page's cookie and
    CSRF header, as bench/checkin.py's gates send it."""
    # Each request gets an application context (and `g`) of its own, as under a server: a request
    # inside the caller's context would share its `g` (and the CSRF token cached there).
    client = _FreshContextClient(app, app.response_class)
    client.environ_base.update(HTTP_USER_AGENT="rollcall-bench", REMOTE_ADDR="127.0.0.1", HTTP_HOST="127.0.0.1:5000")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": DOOR_EMAIL, "password": DOOR_PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed ({response.status_code})")
    response = client.get(f"/checkin/{event_id}")
    if response.status_code != 200:
        raise RuntimeError(f"the scanner page answered {response.status_code}")
    page = response.get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    path = f"/api/v1/events/{event_id}/checkins"

    def scan(secret: str) -> dict:
        body = json.dumps({"secret": secret, "gate": "Gate 1", "nonce": uuid.uuid4().hex}).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "5000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:5000",
            "HTTP_USER_AGENT": "rollcall-bench",
            "HTTP_COOKIE": cookie,
            "HTTP_X_CSRFTOKEN": csrf,
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        status = []
        with app.app_context():
            chunks = app.wsgi_app(environ, lambda s, h, exc_info=None: status.append(s))
            data = b"".join(chunks)
            if hasattr(chunks, "close"):
                chunks.close()
        if not status[0].startswith("200"):
            raise RuntimeError(f"scan answered {status[0]}: {data[:300]!r}")
        return json.loads(data)

    return scan


class _FreshContextClient(FlaskClient):
    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


if __name__ == "__main__":
    main()
