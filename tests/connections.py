"""Work run in a thread with a database connection of its own, for tests of what one
transaction does to another (row locks, a write seen or not before COMMIT)."""

from __future__ import annotations

import threading

from webapp.db import db


def in_another_connection(app, work, outcome: list) -> threading.Thread:
    """Start `work()` in a thread with a connection of its own; its result (or the exception it
    raised) goes into `outcome`. Join the thread with a timeout: still alive means it waited."""

    def run() -> None:
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                outcome.append(work())
            except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
                outcome.append(exc)
            finally:
                db.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
