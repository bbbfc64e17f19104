"""CPU time of one event page in this process, through the whole WSGI app (every before/after
request hook, session, CSRF, language, the page cache, compression, ETag) without an HTTP server:
what a gunicorn worker spends in Python per page, less its own parsing and socket work.

    python -m bench.landing_cpu [--requests 3000] [--profile] [--served] [--visitor new|returning|revalidating]

The demo event's page is asked for as a browser asks (Accept-Encoding: gzip, deflate, br;
Accept-Language), in rounds of 200. A `new` visitor (the default, as in bench/landing_page.py's
rush) sends no cookie; a `returning` one sends the session cookie of its first visit; a
`revalidating` one also sends the ETag of the copy it holds (If-None-Match). Prints the median and
lowest CPU time per page and the Python function calls per page (exact, from cProfile, with the
page cache's renders left out: they depend on how fast the machine runs); with
--profile, the functions that take the most time. With --served, as gunicorn serves it: Huey's
queue on SQLite and the task layer loaded (wsgi.py).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import in_process_app, print_profile  # noqa: E402
from webapp.events import page_cache  # noqa: E402

ROUND = 200
PAGE = "/e/demo/product-summit"
BROWSER = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br", "HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--served", action="store_true", help="Huey on SQLite and tasks loaded, as under gunicorn")
    parser.add_argument("--visitor", choices=("new", "returning", "revalidating"), default="new")
    parser.add_argument("--path", default=PAGE)
    args, _ = parser.parse_known_args()
    queue = f"sqlite:///{tempfile.mkdtemp(prefix='rollcall-bench-huey-')}/huey.db" if args.served else "memory://"
    with in_process_app("landing", "production", huey_url=queue) as app:
        if args.served:
            import tasks.all  # noqa: F401  (as wsgi.py)
        from webapp.demo import seed_demo

        seed_demo()
        run(app, args)


def _environ(path: str, headers: dict[str, str]) -> dict:
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:5000",
        "HTTP_USER_AGENT": "rollcall-bench",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **headers,
    }


def fetch(app, path: str, headers: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
    """One request through app.wsgi_app in an application context of its own, as under a server."""
    answer: list = []
    with app.app_context():
        chunks = app.wsgi_app(_environ(path, headers), lambda s, h, exc_info=None: answer.extend((s, h)))
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
    status, header_list = answer
    return status, {name.lower(): value for name, value in header_list}, body


def visitor_headers(app, path: str, visitor: str) -> tuple[dict[str, str], str]:
    """The headers each request of this kind of visitor sends, and the status it expects."""
    headers = dict(BROWSER)
    if visitor == "new":
        return headers, "200"
    for _ in range(2):  # a browser keeps the cookie of each answer (the second visit updates it)
        status, answer, _ = fetch(app, path, headers)
        cookie = answer.get("set-cookie", "").split(";", 1)[0]
        if cookie:
            headers["HTTP_COOKIE"] = cookie
    if visitor == "returning":
        return headers, "200"
    status, answer, _ = fetch(app, path, headers)
    headers["HTTP_IF_NONE_MATCH"] = answer["etag"]
    return headers, "304"


def run(app, args: argparse.Namespace) -> None:
    headers, expected = visitor_headers(app, args.path, args.visitor)
    for _ in range(50):  # warm up: the page rendered and cached, every lazy import done
        fetch(app, args.path, headers)
    status, answer, body = fetch(app, args.path, headers)
    print(f"{args.visitor} visitor, {args.path}: {status}, {len(body)} bytes "
          f"({answer.get('content-encoding', 'identity')}); headers: {sorted(answer)}")  # fmt: skip

    per_page = []
    for start in range(0, args.requests, ROUND):
        began = time.process_time()
        for _ in range(min(ROUND, args.requests - start)):
            status = fetch(app, args.path, headers)[0]
            if not status.startswith(expected):
                raise RuntimeError(f"expected {expected}, got {status}")
        per_page.append((time.process_time() - began) / min(ROUND, args.requests - start))

    # The calls of the steady state: the page rendered again every `FRESH` seconds (counted in
    # the timed rounds above) would make the count depend on how fast the machine is today.
    fresh, max_age = page_cache.FRESH, page_cache.MAX_AGE
    page_cache.FRESH = page_cache.MAX_AGE = 3600.0
    profiler = cProfile.Profile()
    profiled = min(args.requests, 1000)
    try:
        profiler.enable()
        for _ in range(profiled):
            fetch(app, args.path, headers)
        profiler.disable()
    finally:
        page_cache.FRESH, page_cache.MAX_AGE = fresh, max_age
    stats = pstats.Stats(profiler)
    calls = stats.total_calls / profiled  # type: ignore[attr-defined]
    print(
        f"CPU per page: median {statistics.median(per_page) * 1e6:.0f} µs, lowest {min(per_page) * 1e6:.0f} µs "
        f"({args.requests} pages in rounds of {ROUND}); Python calls per page: {calls:.0f}"
    )
    if args.profile:
        print_profile(profiler, cumulative=50)


if __name__ == "__main__":
    main()
