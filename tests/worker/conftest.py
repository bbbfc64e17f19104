"""The worker tier: the app run the way production runs it, as processes.

Once per test process (pytest-xdist worker): a fresh database (a SQLite file, or a PostgreSQL
database of its own when TEST_DATABASE_URL is set) migrated with `flask db upgrade`, a Huey queue
(a SQLite file, or a Redis database of its own when TEST_HUEY_URL is set), a loopback SMTP server
and a webhook receiver, then gunicorn from the Procfile's `web:` line and `huey_consumer` from its
`worker:` line. Tests seed data in a subprocess through the factories (`tier.seed`) and act over
HTTP only: nothing runs in immediate mode here. When a test fails, the last lines of both
processes' logs are printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tests.api.test_webhooks import Receiver
from tests.conftest import RUN_ID, TEST_DATABASE_URL, TEST_HUEY_URL
from tests.smtp import Inbox, free_port, serving
from webapp.db.scratch import scratch_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET_KEY = "worker-tier-secret-key-0123456789"
PASSWORD = "correct horse battery"  # tests.factories.accounts.PASSWORD
WORK_LEASE_SECONDS = 20  # short, so that the items of a killed worker come back within a test

pytestmark = pytest.mark.worker
CHATTER = re.compile(
    r"INFO:?\s?huey[:.].*(Executing|executed in|Enqueueing periodic)|GET /api/v1/public/authenticated/events/incoming"
)


def wait_until(check, timeout: float = 30.0, interval: float = 0.25, what="the condition"):
    """Poll `check()` until it returns something truthy; fail naming `what` (a string, or a
    function giving one at that moment) after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            what = what() if callable(what) else what
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {value!r})")
        time.sleep(interval)


def procfile_argv(name: str) -> list[str]:
    """The Procfile's line `name`, split; `nice -n N` dropped and the .venv's programs taken from
    the running interpreter's bin directory."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith(f"{name}:"))
    argv = shlex.split(line.split(":", 1)[1])
    if argv[0] == "nice":
        argv = argv[3:] if argv[1] == "-n" else argv[2:]
    argv[0] = str(BIN / Path(argv[0]).name)
    return argv


class Process:
    """A process of the tier, its output kept in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"--- starting {' '.join(self.argv)}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill_hard(self) -> None:
        """kill -9 the process and its children (a crash: nothing is cleaned up)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if not self.alive():
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def tail(self, lines: int = 60) -> str:
        """The last lines of the log, without the consumer's line per task run."""
        if not self.log.exists():
            return ""
        kept = [line for line in self.log.read_text(errors="replace").splitlines() if not CHATTER.search(line)]
        return "\n".join(kept[-lines:])


class Tier:
    def __init__(self, tmp: Path, database_url: str, huey_url: str, inbox: Inbox, receiver: Receiver):
        self.tmp, self.inbox, self.receiver = tmp, inbox, receiver
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        for name in [k for k in self.env if k.startswith("ROLLCALL_")] + ["WEB_CONCURRENCY", "FLASK_APP"]:
            self.env.pop(name, None)
        self.env.update(
            DATABASE_URL=database_url,
            HUEY_URL=huey_url,
            SMTP_URL=inbox.url,
            SECRET_KEY=SECRET_KEY,
            BASE_URL=self.base_url,
            INSTANCE_DIR=str(tmp / "instance"),
            ROLLCALL_ENV="test",
            ROLLCALL_TEST_GATEWAY="true",
            ROLLCALL_WORK_LEASE_SECONDS=str(WORK_LEASE_SECONDS),
            WEB_CONCURRENCY="1",
            PYTHONUNBUFFERED="1",
        )
        web = procfile_argv("web")
        web[web.index("--bind") + 1] = f"127.0.0.1:{self.port}"
        self.web = Process("gunicorn", web, self.env, tmp / "gunicorn.log")
        self.worker = Process("huey_consumer", procfile_argv("worker"), self.env, tmp / "huey_consumer.log")
        self.probe: dict = {}

    # Processes ------------------------------------------------------------------------------------

    def flask(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start_web(self) -> None:
        self.web.start()
        wait_until(self._serving, timeout=60, what=f"gunicorn to answer on {self.base_url}\n{self.web.tail()}")

    def _serving(self) -> bool:
        assert self.web.alive(), f"gunicorn exited:\n{self.web.tail()}"
        try:
            with urllib.request.urlopen(f"{self.base_url}/static/css/app.css", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def start_worker(self) -> None:
        """Start a consumer and wait until it has done a piece of work (an ingested event processed)."""
        self.worker.start()
        self.ingest_probe()

    def ingest_probe(self, timeout: float = 60) -> None:
        """Send one event to the ingestion API and wait until a worker has processed it: proof that
        a consumer runs work (and a wake-up, which also claims items whose lease lapsed)."""
        api = self.api(self.probe["token"])
        sent = api.post("/client/events", json={"type": "signup", "email": f"probe{time.monotonic_ns()}@probe.test"})
        assert sent.status_code == 202, sent.text

        def processed():
            assert self.worker.alive(), f"huey_consumer exited:\n{self.worker.tail()}"
            row = api.get("/public/authenticated/events/incoming", params={"status": "processed"}).json()
            return any(item["id"] == sent.json()["id"] for item in row["data"])

        wait_until(processed, timeout=timeout, what=f"the consumer to process an event\n{self.worker.tail()}")

    def stop(self) -> None:
        self.worker.stop()
        self.web.stop()

    # Data and clients -----------------------------------------------------------------------------

    def seed(self, code: str) -> dict:
        """Run `code` in a subprocess, in an app context on the tier's database and queue (the
        factories of tests/factories are importable); it sets `out` (a dict) for the caller."""
        script = "\n".join(
            [
                "import json",
                "import tasks.all  # noqa: F401  (commits wake the tier's consumer)",
                "from webapp.app import create_app",
                "from webapp.db import db",
                "app = create_app()",
                "with app.app_context(), db.connection_context():",
                "    out = {}",
                textwrap.indent(textwrap.dedent(code).strip(), "    "),
                "print('SEED-OUT ' + json.dumps(out))",
            ]
        )
        result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=self.env, capture_output=True, text=True)
        assert result.returncode == 0, f"seeding failed:\n{result.stderr[-4000:]}"
        line = next(line for line in result.stdout.splitlines() if line.startswith("SEED-OUT "))
        return json.loads(line.removeprefix("SEED-OUT "))

    def api(self, token: str) -> ApiSession:
        return ApiSession(self.base_url, token)

    def console(self, email: str, password: str = PASSWORD) -> ConsoleSession:
        return ConsoleSession(self.base_url, email, password)


# A server may close a kept-alive connection at any moment (gunicorn does once it has been idle for
# its keepalive timeout); a request sent on it just then meets a reset ("Connection reset by peer").
# HTTP/1.1 clients are expected to send an idempotent request again on a new connection then (RFC
# 9112, section 9.3.1), and browsers do; these sessions do too, once, for GET and HEAD, never for a
# request that may change something. An answer (a 500, a 429 or a 503 with Retry-After) is never
# asked again: only a connection that failed is.
SEND_GET_AGAIN = Retry(
    total=1,
    connect=1,
    read=1,
    status=0,
    other=0,
    allowed_methods=frozenset({"GET", "HEAD"}),
    raise_on_status=False,
    respect_retry_after_header=False,
)


class Session(requests.Session):
    """A requests session that sends a GET or HEAD again when its kept-alive connection was closed
    under it (SEND_GET_AGAIN)."""

    def __init__(self):
        super().__init__()
        self.mount("http://", HTTPAdapter(max_retries=SEND_GET_AGAIN))


class ApiSession(Session):
    def __init__(self, base_url: str, token: str):
        super().__init__()
        self.base_url = base_url
        self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 30)
        return super().request(method, f"{self.base_url}/api/v1{url}", *args, **kwargs)


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class ConsoleSession(Session):
    """A browser-like session signed in through the login form, sending the CSRF token as htmx does.
    POSTs answer their redirect (303) as is; GETs follow redirects unless told not to."""

    def __init__(self, base_url: str, email: str, password: str):
        super().__init__()
        self.base_url = base_url
        page = self.get("/login")
        token = CSRF_INPUT.search(page.text).group(1)
        answer = self.post("/login", data={"email": email, "password": password, "csrf_token": token})
        assert answer.status_code == 302, answer.text[-2000:]
        self.csrf = CSRF_META.search(self.get("/console/").text).group(1)
        self.headers["X-CSRFToken"] = self.csrf

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, f"{self.base_url}{url}", *args, **kwargs)

    def job_state(self, job_id: int) -> str:
        """The state a console job's progress bar shows: queued, running, stalled, done, failed."""
        page = self.get(f"/console/jobs/{job_id}", headers={"HX-Request": "true"})
        assert page.status_code == 200, page.text[-2000:]
        return re.search(r'data-state="([a-z]+)"', page.text).group(1)


# Fixtures -----------------------------------------------------------------------------------------


def _xdist_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker[2:].isdigit() else 0


def _redis_url(base: str) -> str:
    """A Redis database of this test process's own (1..15): two tiers never take each other's tasks."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{1 + _xdist_index() % 15}"))


@contextlib.contextmanager
def tier_database_url(tmp_path_factory, name: str) -> Iterator[str]:
    """A database for a tier of its own: a SQLite file, or a scratch PostgreSQL database (dropped
    afterwards) when the suite runs on PostgreSQL."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp(f'{name}-db') / 'rollcall.db'}"
        return
    with scratch_database(TEST_DATABASE_URL, f"rollcall_{name}_{RUN_ID}") as url:
        yield url


@pytest.fixture(scope="session")
def tier_database(tmp_path_factory):
    with tier_database_url(tmp_path_factory, "worker") as url:
        yield url


@pytest.fixture(scope="session")
def tier_queue(tmp_path_factory):
    if not TEST_HUEY_URL:
        return f"sqlite:///{tmp_path_factory.mktemp('worker-queue') / 'huey.db'}"
    url = _redis_url(TEST_HUEY_URL)
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="session")
def tier_smtp():
    with serving(Inbox()) as inbox:
        yield inbox


@pytest.fixture(scope="session")
def tier_receiver():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def tier(tmp_path_factory, tier_database, tier_queue, tier_smtp, tier_receiver):
    tmp = tmp_path_factory.mktemp("worker-tier")
    tier = Tier(tmp, tier_database, tier_queue, tier_smtp, tier_receiver)
    probe = """
        from tests.factories.accounts import make_org
        from tests.factories.api import make_api_key
        out["token"] = make_api_key(make_org("Probe Org"))[1]
        """
    with running(tier, probe):
        yield tier


@contextlib.contextmanager
def running(tier: Tier, probe: str) -> Iterator[Tier]:
    """The tier's database migrated, `probe` seeded (its `out` as `tier.probe`), gunicorn and
    huey_consumer started; both stopped afterwards."""
    tier.flask("db", "upgrade")
    tier.probe = tier.seed(probe)
    try:
        tier.start_web()
        tier.start_worker()
        yield tier
    finally:
        tier.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    tier = getattr(item, "funcargs", {}).get("tier")
    if report.failed and tier is not None:
        for process in (tier.web, tier.worker):
            report.sections.append((f"{process.name} log (last lines)", process.tail()))
    return report


@pytest.fixture
def org_setup(tier):
    """A new organization with an owner who can sign in, an API key, an event and a ticket type."""
    return tier.seed(
        """
        from tests.factories.accounts import make_org, make_user
        from tests.factories.api import make_api_key
        from tests.factories.catalog import make_product
        from tests.factories.events import make_event
        import uuid
        unique = uuid.uuid4().hex[:8]
        owner = make_user(f"owner-{unique}@example.org", name="Olivia Owner")
        org = make_org(f"Org {unique}", owner=owner)
        event = make_event(org)
        product = make_product(event, name="Regular")
        out.update(email=owner.email, org=org.id, event=event.id, product=product.id, token=make_api_key(org)[1])
        """
    )
