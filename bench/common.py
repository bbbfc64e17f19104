"""What every benchmark shares: a production-like server (gunicorn on a fresh SQLite instance),
concurrent HTTP clients and percentile figures. Benchmarks print figures; they assert nothing."""

from __future__ import annotations

import contextlib
import cProfile
import http.client
import io
import json
import os
import pstats
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from webapp import server

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Instance:
    """A fresh instance directory with a migrated SQLite database."""

    dir: Path
    env: dict = field(default_factory=dict)
    server_pid: int | None = None  # the running gunicorn master, for server_cpu()
    server_shape: str = ""  # "3 workers x 1 thread": how the running gunicorn serves

    @classmethod
    @contextlib.contextmanager
    def create(cls, **extra_env) -> Iterator[Instance]:
        with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
            env = dict(os.environ)
            env.update(
                ROLLCALL_ENV="production",
                INSTANCE_DIR=tmp,
                DATABASE_URL=f"sqlite:///{tmp}/rollcall.db",
                HUEY_URL=f"sqlite:///{tmp}/huey.db",
                SECRET_KEY="bench-secret-key-0123456789abcdef",
                ROLLCALL_TEST_GATEWAY="true",
            )
            env.pop("SMTP_URL", None)
            env.update({k: str(v) for k, v in extra_env.items()})
            instance = cls(Path(tmp), env)
            instance.flask("db", "upgrade")
            yield instance

    def flask(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if result.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def python(self, code: str) -> str:
        """Run code with the app's database bound (inside an app context) in a subprocess."""
        wrapper = "from webapp.app import create_app\napp = create_app()\nwith app.app_context():\n" + "\n".join(
            "    " + line for line in code.splitlines()
        )
        result = subprocess.run([sys.executable, "-c", wrapper], cwd=ROOT, env=self.env, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"seeding failed:\n{result.stderr}")
        return result.stdout

    @contextlib.contextmanager
    def gunicorn(self, workers: int | None = None, threads: int | None = None) -> Iterator[str]:
        """Serve the app with gunicorn as the Procfile does (its `web` line's options; `workers` and
        `threads` override them for an experiment); yields its base URL."""
        port = free_port()
        env = dict(self.env, BASE_URL=f"http://127.0.0.1:{port}")
        options = procfile_web_options()
        if workers is not None:
            options += ["--workers", str(workers)]
        if threads is not None:
            options += ["--threads", str(threads)]
        self.server_shape = _shape(options, env)
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), *options, "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT,
            env=env,
        )
        self.server_pid = proc.pid
        try:
            _wait_for_port(port)
            yield f"http://127.0.0.1:{port}"
        finally:
            self.server_pid = None
            _stop(proc)

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (none when it is not running)."""
        return children(self.server_pid) if self.server_pid else []

    def server_cpu(self) -> float:
        """CPU seconds (user + system) used so far by the gunicorn master and its workers."""
        return process_tree_cpu(self.server_pid) if self.server_pid else 0.0

    @contextlib.contextmanager
    def worker(self, workers: int = 2) -> Iterator[None]:
        """The Huey consumer, as the Procfile runs it (at a lower CPU priority than the web server)."""
        proc = subprocess.Popen(
            [
                "nice",
                "-n",
                "10",
                str(BIN / "huey_consumer"),
                "tasks.all.huey",
                "--workers",
                str(workers),
                "--worker-type",
                "thread",
                "--quiet",
            ],
            cwd=ROOT,
            env=self.env,
        )
        try:
            yield
        finally:
            proc.terminate()
            proc.wait(timeout=15)


@contextlib.contextmanager
def in_process_app(name: str, rollcall_env: str = "production", huey_url: str = "memory://") -> Iterator:
    """An app on a fresh, migrated SQLite database in a temporary folder, for benchmarks that time
    a service in this process (what a worker runs); yields it inside its app context."""
    tmp = Path(tempfile.mkdtemp(prefix=f"rollcall-bench-{name}-"))
    os.environ["HUEY_URL"] = huey_url  # before tasks/ is first imported

    from webapp import migrate
    from webapp.app import create_app
    from webapp.db import db

    app = create_app(
        {
            "ENVIRON": {
                "ROLLCALL_ENV": rollcall_env,
                "DATABASE_URL": f"sqlite:///{tmp / 'rollcall.db'}",
                "HUEY_URL": huey_url,
                "SECRET_KEY": "bench-secret-key-0123456789abcdef",
                "INSTANCE_DIR": str(tmp / "instance"),
            }
        }
    )
    with app.app_context():
        db.connect(reuse_if_open=True)
        migrate.upgrade(db.obj)
        yield app


def print_profile(profiler: cProfile.Profile, *, cumulative: int, own: int = 30, title: str = "") -> None:
    """Print a cProfile's functions by their time with what they call (the first `cumulative`), then
    by their own time (the first `own`); `title` heads each list."""
    for order, count in (("cumulative", cumulative), ("tottime", own)):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(count)
        print(f"\n{title}: by {order}\n{out.getvalue()}" if title else out.getvalue())


def procfile_web_options() -> list[str]:
    """The gunicorn options of the Procfile's `web` line, without its address, access log and app."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == "web":
            argv = shlex.split(command)[1:]
            break
    else:
        raise RuntimeError("the Procfile has no web line")
    argv = argv[:-1]  # the app (wsgi:app): the bench names it itself
    options, skip = [], {"--bind", "-b", "--access-logfile"}
    while argv:
        arg = argv.pop(0)
        value = [argv.pop(0)] if argv and (argv[0] == "-" or not argv[0].startswith("-")) else []
        if arg not in skip:
            options += [arg, *value]
    return options


def _shape(options: list[str], env: dict) -> str:
    """'2 workers x 4 threads' from gunicorn options (the last of a repeated option counts) and the
    settings module they name (webapp.server), as it reads the server's environment."""
    values = {"--workers": str(server.worker_count(env)), "--threads": str(server.threads)}
    for name, value in zip(options, options[1:], strict=False):
        if name in values:
            values[name] = value
    workers, threads = values["--workers"], values["--threads"]
    return f"{workers} workers x {threads} thread{'s' if threads != '1' else ''}"


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live children (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            todo += children(current)
    return total


def cpu_by_program() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) used so far by every live process on the machine, by process id
    with its program name (`postgres`, `redis-server`, `gunicorn`, `huey_consumer`, `python`...):
    taken before and after a timed run, `cpu_used` says where the machine's CPU went (Linux /proc;
    empty elsewhere). The database's server processes are what a SQLite run does not have."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    processes: dict[int, tuple[str, float]] = {}
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat.rsplit(")", 1)[1].split()
                processes[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return processes


def cpu_used(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], per: int) -> dict[str, float]:
    """The CPU milliseconds per request each program used between two cpu_by_program() readings,
    largest first: each process's own difference (a kernel worker renames itself with its work:
    its name at the end is the one counted), summed by name. A process that ended between the two
    readings is not counted; one that started is counted whole."""
    used: Counter = Counter()
    for pid, (name, seconds) in after.items():
        used[name] += (seconds - before.get(pid, (name, 0.0))[1]) * 1000 / max(per, 1)
    return dict(used.most_common())


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (gunicorn's workers, of its master) (Linux /proc; none elsewhere)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def worker_shares(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], pids: list[int]) -> str:
    """How the gunicorn workers `pids` shared their CPU between two cpu_by_program() readings,
    largest first ("54 % / 46 %"). Each worker runs on a CPU of its own (webapp/server.py): one
    far above the others works while a CPU waits, and the run's rate says more of how the
    connections fell on the workers than of the code."""
    used = [after[pid][1] - before.get(pid, ("", 0.0))[1] for pid in pids if pid in after]
    total = sum(used)
    if not total:
        return "-"
    return " / ".join(f"{share / total:.0%}" for share in sorted(used, reverse=True)).replace("%", " %")


def cpu_split(used: dict[str, float]) -> str:
    """`cpu_used` as a line (programs under 0.01 ms left out)."""
    return ", ".join(f"{name} {ms:.2f}" for name, ms in used.items() if ms >= 0.01)


DATABASE_PROGRAM = "postgres"  # what PostgreSQL's server processes are called (a SQLite run has none)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM, gunicorn's graceful stop: its workers may take their graceful_timeout
    (webapp/server.py) to finish on a loaded machine; killed if still there after that."""
    proc.terminate()
    try:
        proc.wait(timeout=server.graceful_timeout + 10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


class Client:
    """A keep-alive HTTP client for one thread."""

    def __init__(self, base_url: str):
        host, port = base_url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.headers: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        json_body=None,
        json_text: str | None = None,
        headers: dict | None = None,
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        """`json_text`: a body already encoded (a load test encodes its bodies before the clock)."""
        body, hdrs = None, dict(self.headers, **(headers or {}))
        if form is not None:
            body = urlencode(form, doseq=True)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None or json_text is not None:
            body = json_text if json_text is not None else json.dumps(json_body)
            hdrs["Content-Type"] = "application/json"
        self.conn.request(method, path, body=body, headers=hdrs)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, data, response


class LeanClient:
    """A minimal HTTP/1.1 keep-alive client for a load loop, so the load generator takes as little
    of the machine's CPU as it can (http.client parses every response's headers with the email
    package). It sends one request at a time and reads the body by Content-Length; when the server
    closes the connection (gunicorn's sync workers do after each answer), it reconnects."""

    def __init__(self, base_url: str, headers: dict[str, str]):
        host, port = base_url.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.head = "".join(f"{name}: {value}\r\n" for name, value in {"Host": f"{host}:{port}", **headers}.items())
        self.sock: socket.socket | None = None
        self.buffer = b""

    def post_json(self, path: str, body: bytes) -> tuple[int, bytes]:
        request = (
            f"POST {path} HTTP/1.1\r\n{self.head}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        return self._exchange(request)

    def get(self, path: str) -> tuple[int, bytes]:
        return self._exchange(f"GET {path} HTTP/1.1\r\n{self.head}\r\n".encode())

    def _exchange(self, request: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            fresh = self.sock is None
            if fresh:
                self.sock = socket.create_connection(self.address, timeout=30)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.buffer = b""
            try:
                self.sock.sendall(request)
                return self._response()
            except (ConnectionError, _Closed):
                self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _response(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
        length = int(fields.get(b"content-length", b"0"))
        while len(self.buffer) < length:
            self._read()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if fields.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, body

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise _Closed
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""


class _Closed(Exception):
    pass


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0

    def add(self, other: Timings) -> None:
        self.seconds += other.seconds
        self.errors += other.errors

    def percentile(self, p: float) -> float:
        if not self.seconds:
            return float("nan")
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    def report(self, label: str, unit: str = "requests") -> str:
        rate = len(self.seconds) / self.wall if self.wall else float("nan")
        return (
            f"{label}: {len(self.seconds)} {unit} in {self.wall:.2f} s = {rate:.0f}/s; "
            f"p50 {self.percentile(50):.1f} ms, p99 {self.percentile(99):.1f} ms, "
            f"mean {statistics.fmean(self.seconds) * 1000 if self.seconds else float('nan'):.1f} ms; errors {self.errors}"
        )


def run_concurrently(clients: int, work: Callable[[int, Timings], None]) -> Timings:
    """Run work(client_index, timings) in `clients` threads; returns the merged timings."""
    results = [Timings() for _ in range(clients)]
    threads = [threading.Thread(target=work, args=(i, results[i])) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Timings(wall=time.perf_counter() - start)
    for result in results:
        total.add(result)
    return total


def timed(timings: Timings, call: Callable[[], bool]) -> None:
    """Time one call; a False answer counts as an error."""
    start = time.perf_counter()
    ok = call()
    timings.seconds.append(time.perf_counter() - start)
    if not ok:
        timings.errors += 1
