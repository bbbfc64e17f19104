"""How gunicorn serves the app (the Procfile's `gunicorn --config python:webapp.server`).

One worker process per CPU, each with a few threads, and each process kept on a CPU of its own.
Python runs one thread of a process at a time, and every SQLite call hands that turn over; when a
process's threads run on two CPUs at once, each hand-over is a wake-up across CPUs, and a door
scan (dozens of them) costs twice the CPU it costs on one. Kept on one CPU, the threads take
turns there while the other processes use the other CPUs. The threads still matter: a connection
that is slow to send its request holds one thread, not the whole process.

Each worker also listens on a socket of its own (SO_REUSEPORT), and the kernel spreads new
connections over them. On one shared socket, whichever worker wakes first takes the connections
that arrive together, and a kept-alive connection stays with its worker: with 16 clients
connecting at once (a launch, a proxy's pool, the door's gates) one worker did 73-80 % of the work
while the other's CPU waited. A kept-alive connection is closed after 100 answers, so that a
few busy connections dealt to one worker do not stay there. A worker that stops hands its
socket's waiting connections to its threads and closes it at once, so a reload (SIGHUP) resets
none.

Command-line options and GUNICORN_CMD_ARGS override these; WEB_CONCURRENCY sets the number of
worker processes. gunicorn reads every name of this module that is one of its settings, so what is
imported here is named to be none of them (`config` is one: the path of this very file).
"""

from __future__ import annotations

import os
import socket

from gunicorn.workers import gthread

from config import WEB_THREADS, ConfigError
from config import load as load_settings
from webapp import observability


class ThreadWorker(gthread.ThreadWorker):
    """gunicorn's gthread worker, with two changes for sockets of the workers' own.

    A kept-alive connection is closed after `requests_per_connection` answers (nginx's
    keepalive_requests, which was 100 by default): the client connects again, and the kernel deals
    the new connection to a worker afresh. Without it, a few busy connections dealt to one worker
    (a proxy's pool, four buyers among sixteen page viewers) stay there for as long as they live.

    And it closes its own socket as soon as it stops accepting for good. gunicorn closes a
    worker's sockets only when the worker exits, after it has finished its requests (up to
    graceful_timeout). A shared socket lives on in the other workers; a socket of its own
    (SO_REUSEPORT) stays in the kernel's group meanwhile, and every connection the kernel puts
    there is reset when the worker exits. So: take what is already waiting, then close."""

    requests_per_connection = 100

    def handle_request(self, req, conn):
        if req.req_number >= self.requests_per_connection:  # gunicorn counts a connection's requests
            req.must_close = True  # answered with "Connection: close", then closed
        return super().handle_request(req, conn)

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled)
        if enabled or self.alive or not self.cfg.reuse_port:
            return  # a pause at worker_connections, or sockets shared with the other workers
        for listener in self.sockets:
            while True:
                taken = self.nr_conns
                self.accept(listener)  # non-blocking: nothing waiting leaves nr_conns as it was
                if self.nr_conns == taken:
                    break
            listener.close()


worker_class = ThreadWorker
threads = WEB_THREADS
reuse_port = True
# SIGTERM is gunicorn's graceful stop: the master stops accepting, each worker finishes the requests
# in hand and exits; one still busy after this many seconds is killed (a systemd unit's
# TimeoutStopSec must be longer).
graceful_timeout = 25


def usable_cpus() -> list[int]:
    """The CPUs this process may run on (a container or `taskset` may allow fewer than exist)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def worker_count(environ) -> int:
    """WEB_CONCURRENCY when set, else one per usable CPU. A malformed value stops start-up with a
    message naming the variable (SystemExit: gunicorn prints it and exits, no traceback)."""
    raw = (environ.get("WEB_CONCURRENCY") or "").strip()
    if not raw:
        return len(usable_cpus())
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise SystemExit(f"WEB_CONCURRENCY must be a whole number of worker processes from 1 to 64, got {raw!r}")
    return int(raw)


workers = worker_count(os.environ)


def control_socket_path(environ: dict | None = None) -> str:
    """gunicorn's control socket (`gunicornc -s PATH`: workers, reload, stop), in the instance
    folder. gunicorn's own default is one path per user ($XDG_RUNTIME_DIR/gunicorn.ctl or
    ~/.gunicorn/gunicorn.ctl): every gunicorn of the user takes it over as it starts, so `gunicornc`
    reaches whichever started last and one that stops removes it for those still running, and a
    service user without a home cannot make it at all. Settings that do not load stop start-up
    with their message, as the app would (SystemExit: no traceback)."""
    try:
        settings = load_settings(environ)
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None
    return str(settings.instance_dir / "gunicorn.ctl")


control_socket = control_socket_path()


def cpu_for_next_worker(cpus: list[int], taken: list[int | None]) -> int:
    """The CPU with the fewest live workers on it (the lowest such): workers spread evenly, and a
    worker started in place of one that exited takes the CPU that one left."""
    load = {cpu: 0 for cpu in cpus}
    for cpu in taken:
        if cpu in load:
            load[cpu] += 1
    return min(cpus, key=lambda cpu: (load[cpu], cpu))


def pre_fork(server, worker):
    """In the master, before the worker process starts: choose its CPU."""
    taken = [getattr(live, "cpu", None) for live in server.WORKERS.values()]
    worker.cpu = cpu_for_next_worker(usable_cpus(), taken)


def own_sockets_possible(addresses: list, environ) -> bool:
    """Whether each worker can listen on a socket of its own: only on TCP addresses that gunicorn
    binds itself. A Unix socket is one path (each worker would take it over from the last), and
    sockets handed over by systemd (LISTEN_FDS) or by a re-executed master (GUNICORN_FD) are
    already bound, without SO_REUSEPORT."""
    if environ.get("LISTEN_FDS") or environ.get("GUNICORN_FD"):
        return False
    # a port of 0 is the kernel's choice, another one for each socket
    return all(isinstance(address, tuple) and address[1] != 0 for address in addresses)


def choose_sockets(server) -> None:
    """In the master, before any socket is made (at start and at each reload): sockets of the
    workers' own where possible, else one shared as gunicorn does by default. An address already in
    use stops start-up as it does without SO_REUSEPORT, instead of sharing the port with whatever
    server of the same user holds it."""
    if not own_sockets_possible(server.cfg.address, os.environ):
        server.cfg.set("reuse_port", False)
        return
    if not server.cfg.reuse_port or server.WORKERS:
        return  # a reload: the port is held by this server's own workers
    for host, port in server.cfg.address:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn's own: TIME_WAIT is no owner
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise SystemExit(f"Cannot listen on {host}:{port}: {exc.strerror}") from None


on_starting = on_reload = choose_sockets


def post_fork(server, worker):
    """In the new worker process, before its threads start: stay on the chosen CPU."""
    if hasattr(os, "sched_setaffinity") and getattr(worker, "cpu", None) is not None:
        os.sched_setaffinity(0, {worker.cpu})


def child_exit(server, worker):
    """In the master, after a worker process exited: its live gauges stop counting (metrics in
    PROMETHEUS_MULTIPROC_DIR, webapp/observability.py)."""
    observability.process_exited(worker.pid)


def when_ready(server) -> None:
    """Say where Rollcall answers once it does (under `make run` the worker's lines would push a
    banner printed before the start off the screen)."""
    if os.environ.get("ROLLCALL_ENV") != "development":
        return
    for address in server.cfg.bind:
        server.log.info("Rollcall is ready on http://%s (demo sign-in: demo@example.org / rollcall-demo)", address)
