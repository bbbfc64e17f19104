"""Two Contact Book syncs over overlapping registrants at the same moment: one waits for the
other, neither fails (PostgreSQL used to detect a deadlock and fail one of them)."""

from __future__ import annotations

import threading
import time

from tests.factories.accounts import make_org
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.contacts import bulk
from webapp.db import db
from webapp.orders.models import Registrant


def test_overlapping_links_written_in_either_order_both_land(threaded_app):
    event = make_event(make_org())
    first, second = make_registrant(event), make_registrant(event)
    contact = make_contact(event.organization)
    started, outcomes = threading.Event(), {}

    def sync(name: str, steps: list[list[tuple[int, int]]]) -> None:
        with threaded_app.app_context():
            db.connect(reuse_if_open=True)
            try:
                with db.atomic():
                    for i, links in enumerate(steps):
                        bulk.link_registrants(links)
                        if name == "a" and i == 0:
                            started.set()
                            time.sleep(1.0)  # the other sync now reaches the rows this one holds
                outcomes[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcomes[name] = repr(exc)
            finally:
                db.close()

    a = threading.Thread(target=sync, args=("a", [[(first.id, contact.id)], [(second.id, contact.id)]]))
    b = threading.Thread(target=sync, args=("b", [[(second.id, contact.id), (first.id, contact.id)]]))
    a.start()
    started.wait(timeout=30)
    b.start()
    a.join(timeout=60)
    b.join(timeout=60)

    assert outcomes == {"a": "ok", "b": "ok"}
    linked = Registrant.select().where(Registrant.id.in_([first.id, second.id]) & (Registrant.contact == contact.id))
    assert linked.count() == 2
