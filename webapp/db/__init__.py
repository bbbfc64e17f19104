"""The database: everything the rest of the app imports as `webapp.db`.

- `connection`: the unbound `db` proxy, bound at start-up from DATABASE_URL (`init_app`); connect
  and close around each request and each Huey task; `on_commit` for side effects after a commit.
- `models`: what every model is built on (`BaseModel`, `OrgScoped`, `JSONField`) and `utcnow`.
- `writer`: serialized writes (`write_transaction`, `locked`) and the SQLite `writer_turn` queue.
- `prepared`: `Prepared` statements with `Slot`s, compiled once for the hottest paths.
"""

from webapp.db.connection import (
    db,
    init_app,
    is_postgres,
    make_database,
    on_commit,
    on_commit_once,
    task_connection,
    without_database,
)
from webapp.db.models import BaseModel, JSONField, OrgScoped, utcnow
from webapp.db.prepared import Prepared, Slot
from webapp.db.writer import locked, write_transaction, writer_turn

__all__ = [
    "BaseModel",
    "JSONField",
    "OrgScoped",
    "Prepared",
    "Slot",
    "db",
    "init_app",
    "is_postgres",
    "locked",
    "make_database",
    "on_commit",
    "on_commit_once",
    "task_connection",
    "utcnow",
    "without_database",
    "write_transaction",
    "writer_turn",
]
