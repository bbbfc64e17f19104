"""The web server as the Procfile runs it (webapp.server): a worker process per CPU, each kept on
a CPU of its own."""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.smtp import free_port
from webapp import server

ROOT = Path(__file__).resolve().parent.parent


def test_workers_spread_evenly_and_a_replacement_takes_the_cpu_left_free():
    taken: list[int | None] = []
    for _ in range(5):
        taken.append(server.cpu_for_next_worker([0, 1], taken))
    assert taken == [0, 1, 0, 1, 0]
    # The worker on CPU 1 exited; the one started in its place goes there.
    assert server.cpu_for_next_worker([0, 1], [0, 0, 1]) == 1
    # Only CPUs the process may use (a container's, or taskset's) are chosen.
    assert server.cpu_for_next_worker([2, 3], [None, 2]) == 3


def test_web_concurrency_sets_the_worker_count_and_a_malformed_value_stops_start_up():
    assert server.worker_count({}) == len(server.usable_cpus())
    assert server.worker_count({"WEB_CONCURRENCY": ""}) == len(server.usable_cpus())
    assert server.worker_count({"WEB_CONCURRENCY": " 3 "}) == 3
    for bad in ("two", "0", "-1", "2.5", "1000"):
        with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be a whole number"):
            server.worker_count({"WEB_CONCURRENCY": bad})


def _procfile_web() -> list[str]:
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    return shlex.split(line.removeprefix("web:"))


def _workers_of(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def _only_cpu(pid: int) -> int | None:
    """The CPU a process is kept on, None when it may run on several ("0-1", "0,2")."""
    status = Path(f"/proc/{pid}/status").read_text()
    allowed = next(
        line.split(":", 1)[1].strip() for line in status.splitlines() if line.startswith("Cpus_allowed_list")
    )
    return int(allowed) if allowed.isdigit() else None


@contextlib.contextmanager
def _procfile_server(tmp_path: Path, **environ: str) -> Iterator[subprocess.Popen]:
    """gunicorn as the Procfile's web line runs it, on a free port, until it serves and has started
    a worker per CPU; stopped gracefully afterwards."""
    port = free_port()
    argv = _procfile_web()
    assert "python:webapp.server" in argv
    argv[0] = str(Path(sys.executable).parent / "gunicorn")
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    env = dict(
        os.environ,
        ROLLCALL_ENV="production",
        INSTANCE_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path}/rollcall.db",
        HUEY_URL=f"sqlite:///{tmp_path}/huey.db",
        SECRET_KEY="server-test-secret-key-0123456789",
    )
    env.pop("WEB_CONCURRENCY", None)
    env.update(environ)
    master = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        served, workers = None, []
        while served != 200 or len(workers) < len(server.usable_cpus()):
            if master.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start its workers: {master.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/app.css", timeout=2) as answer:
                    served = answer.status
            except OSError:
                time.sleep(0.2)
            workers = _workers_of(master.pid)
        yield master
    finally:
        master.terminate()  # graceful stop: up to graceful_timeout (25 s) for the workers to finish
        try:
            master.wait(40)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()
            raise


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from Linux /proc")
def test_the_procfile_server_keeps_each_worker_on_a_cpu_of_its_own(tmp_path):
    cpus = sorted(os.sched_getaffinity(0))
    with _procfile_server(tmp_path) as master:
        workers = _workers_of(master.pid)
        # A worker sets its CPU right after it starts: give the last one a moment.
        settled = time.monotonic() + 5
        while None in (pinned := [_only_cpu(pid) for pid in workers]) and time.monotonic() < settled:
            time.sleep(0.1)
        assert None not in pinned, "a worker may run on any CPU"
        assert sorted(pinned) == cpus  # one worker per CPU, none sharing


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from Linux /proc")
def test_two_servers_of_one_user_each_keep_a_control_socket_of_their_own_in_their_instance(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    user = {"HOME": str(home), "XDG_RUNTIME_DIR": ""}  # gunicorn's default would be ~/.gunicorn/gunicorn.ctl
    first, second = tmp_path / "first", tmp_path / "second"
    with _procfile_server(first, **user):
        with _procfile_server(second, **user):
            assert _answers_control(first / "gunicorn.ctl")
            assert _answers_control(second / "gunicorn.ctl")
        # The second one stopped: the first one's socket is still there, and still answers.
        assert _answers_control(first / "gunicorn.ctl")
    assert not (home / ".gunicorn").exists()


def _answers_control(path: Path) -> bool:
    """Whether a gunicorn master listens on the control socket at `path`."""
    if not path.is_socket():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        try:
            client.connect(str(path))
        except OSError:
            return False
        return True


def test_settings_that_do_not_load_stop_the_server_with_their_message():
    with pytest.raises(SystemExit, match="ROLLCALL_ENV must be production, development or test"):
        server.control_socket_path({"ROLLCALL_ENV": "staging"})
    assert (
        server.control_socket_path({"INSTANCE_DIR": "/srv/rollcall/instance"}) == "/srv/rollcall/instance/gunicorn.ctl"
    )
