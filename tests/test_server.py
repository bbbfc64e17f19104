"""The web server as the Procfile runs it (webapp.server): a worker process per CPU, each kept on
a CPU of its own."""

from __future__ import annotations

import contextlib
import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
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


def _procfile_command(tmp_path: Path, bind: str, **environ: str) -> tuple[list[str], dict[str, str]]:
    """The Procfile's web line bound to `bind`, and its environment: an instance in `tmp_path`."""
    argv = _procfile_web()
    assert "python:webapp.server" in argv
    argv[0] = str(Path(sys.executable).parent / "gunicorn")
    argv[argv.index("--bind") + 1] = bind
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
    return argv, env


@contextlib.contextmanager
def _procfile_server(tmp_path: Path, **environ: str) -> Iterator[subprocess.Popen]:
    """gunicorn as the Procfile's web line runs it, on a free port, until it serves and has started
    a worker per CPU; stopped gracefully afterwards."""
    port = free_port()
    argv, env = _procfile_command(tmp_path, f"127.0.0.1:{port}", **environ)
    expected = int(env.get("WEB_CONCURRENCY") or len(server.usable_cpus()))
    master = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    master.port = port
    try:
        deadline = time.monotonic() + 30
        served, workers = None, []
        while served != 200 or len(workers) < expected:
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


def test_each_worker_listens_on_its_own_socket_only_on_addresses_gunicorn_binds_itself():
    assert server.own_sockets_possible([("127.0.0.1", 5000), ("::1", 5000)], {})
    assert not server.own_sockets_possible(["/run/rollcall/web.sock"], {})  # one path for every worker
    assert not server.own_sockets_possible([("127.0.0.1", 0)], {})  # a port of the kernel's choice each
    assert not server.own_sockets_possible([("127.0.0.1", 5000)], {"LISTEN_FDS": "1"})  # systemd's socket
    assert not server.own_sockets_possible([("127.0.0.1", 5000)], {"GUNICORN_FD": "5"})  # a re-executed master's


def _connections_by_worker(workers: list[int], port: int) -> list[int]:
    """How many established connections to `port` each worker holds (Linux /proc: a worker's socket
    descriptors against the kernel's TCP table)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                    established.add(fields[9])  # the socket's inode
    return [len(_sockets_of(pid) & established) for pid in workers]


def _sockets_of(pid: int) -> set[str]:
    """The inodes of the sockets a process holds (a descriptor closed meanwhile is skipped)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    return inodes


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from Linux /proc")
def test_connections_that_arrive_together_spread_over_the_workers(tmp_path):
    """A launch's first visitors, a proxy's pool, a door's gates: 40 kept-alive connections opened at
    once. With one socket shared by the workers, the first to wake took most of them (a run of 16
    gates: 14 on one worker, 80 % of the work on one CPU while the other waited)."""
    with _procfile_server(tmp_path, WEB_CONCURRENCY="2") as master:
        workers = _workers_of(master.pid)
        clients = [http.client.HTTPConnection("127.0.0.1", master.port, timeout=10) for _ in range(40)]
        try:
            for client in clients:
                client.connect()
            for client in clients:
                client.request("GET", "/static/css/app.css")
            for client in clients:
                answer = client.getresponse()
                answer.read()
                assert answer.status == 200
            counts = _connections_by_worker(workers, master.port)
            assert sum(counts) == 40
            # The kernel picks a worker's socket by each connection's addresses: 20 each on average,
            # 8 or fewer on one about twice in 10,000 runs.
            assert min(counts) >= 9, counts
        finally:
            for client in clients:
                client.close()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from Linux /proc")
def test_a_kept_alive_connection_is_closed_after_its_hundredth_answer_and_the_client_connects_again(tmp_path):
    """So that the kernel deals a busy client to a worker afresh now and then: four buyers dealt to
    one worker among sixteen page viewers kept that worker's CPU at 75 % of the work."""
    with _procfile_server(tmp_path) as master:
        client = http.client.HTTPConnection("127.0.0.1", master.port, timeout=10)
        try:
            closing = []
            answers = server.ThreadWorker.requests_per_connection
            for _ in range(answers):
                client.request("GET", "/static/css/app.css")
                answer = client.getresponse()
                answer.read()
                assert answer.status == 200
                closing.append(answer.getheader("Connection", "").lower() == "close")
            assert closing == [False] * (answers - 1) + [True]
            client.request("GET", "/static/css/app.css")  # http.client connects again
            answer = client.getresponse()
            answer.read()
            assert answer.status == 200
        finally:
            client.close()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from Linux /proc")
def test_a_reload_under_load_drops_no_connection(tmp_path):
    """SIGHUP starts new workers and stops the old ones gracefully. Each old worker's socket leaves
    the kernel's group as it stops, with what was waiting there taken and answered: without that,
    about 1 % of the connections opened during reloads were reset."""
    with _procfile_server(tmp_path, WEB_CONCURRENCY="2") as master:
        answered, failed, stop = [], [], threading.Event()

        def visitor():
            while not stop.is_set():
                client = http.client.HTTPConnection("127.0.0.1", master.port, timeout=15)
                try:
                    client.request("GET", "/static/css/app.css")
                    answer = client.getresponse()
                    answer.read()
                    (answered if answer.status == 200 else failed).append(answer.status)
                except OSError as exc:
                    failed.append(repr(exc))
                finally:
                    client.close()

        visitors = [threading.Thread(target=visitor) for _ in range(8)]
        for thread in visitors:
            thread.start()
        try:
            for _ in range(3):
                time.sleep(1.5)
                master.send_signal(signal.SIGHUP)
            time.sleep(2)
        finally:
            stop.set()
            for thread in visitors:
                thread.join()
        assert len(answered) > 300
        assert failed == []


def test_an_address_in_use_stops_start_up_instead_of_sharing_the_port(tmp_path):
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as a worker of another server
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        argv, env = _procfile_command(tmp_path, f"127.0.0.1:{port}")
        ended = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert ended.returncode != 0
    assert f"Cannot listen on 127.0.0.1:{port}: Address already in use" in ended.stderr.decode()


@pytest.mark.skipif(not Path("/proc/net/unix").exists(), reason="reads sockets from Linux /proc")
def test_a_unix_socket_stays_one_socket_shared_by_the_workers(tmp_path):
    path = tmp_path / "web.sock"
    argv, env = _procfile_command(tmp_path, f"unix:{path}", WEB_CONCURRENCY="2")
    master = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        statuses = []
        deadline = time.monotonic() + 30
        while len(statuses) < 20:
            assert master.poll() is None and time.monotonic() < deadline, master.stderr.read().decode()[-2000:]
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                try:
                    client.connect(str(path))
                except OSError:
                    time.sleep(0.2)
                    continue
                client.sendall(b"GET /static/css/app.css HTTP/1.0\r\nHost: localhost\r\n\r\n")
                statuses.append(client.makefile("rb").readline().split()[1])
        assert statuses == [b"200"] * 20
        # One listening socket at the path, held by every worker: none took the path over from another.
        rows = [row.split() for row in Path("/proc/net/unix").read_text().splitlines()[1:]]
        # Flags 00010000: a listening socket (accepted connections carry the path too)
        listening = [row[6] for row in rows if row[-1] == str(path) and row[3] == "00010000"]
        assert len(listening) == 1
        for pid in _workers_of(master.pid):
            assert listening[0] in _sockets_of(pid)
    finally:
        master.terminate()
        master.wait(40)
