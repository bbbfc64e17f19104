"""Two workers at once: the unique (organization, email) index keeps one contact per person."""

from __future__ import annotations

import threading

from tests.factories.accounts import make_org
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.contacts import service
from webapp.contacts.models import Activity, Contact
from webapp.db import db
from webapp.orders import contact_sync
from webapp.orders.models import Registrant


def _in_threads(app, count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait()
                results[i] = work(i)
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                db.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_concurrent_upserts_of_one_email_make_one_contact(app):
    org = make_org()
    db.close()  # each thread opens its own connection
    ids = _in_threads(
        app, 8, lambda i: service.upsert_contact(org.id, " Ana@Example.org", name=f"Ana {i}", custom={f"k{i}": "v"}).id
    )
    db.connect(reuse_if_open=True)
    assert len(set(ids)) == 1
    contact = Contact.get_by_id(ids[0])
    assert Contact.for_org(org.id).count() == 1
    assert contact.custom == {f"k{i}": "v" for i in range(8)}  # every worker's data merged in


def test_concurrent_syncs_of_the_same_registrants_do_not_duplicate(app):
    org = make_org()
    event = make_event(org)
    registrants = [make_registrant(event, attendees=[{"email": f"p{i % 5}@example.org"}]) for i in range(20)]
    ids = [r.id for r in registrants]
    db.close()
    _in_threads(app, 4, lambda i: contact_sync.sync_registrants(ids))
    db.connect(reuse_if_open=True)
    assert Contact.for_org(org.id).count() == 5
    assert Registrant.select().where(Registrant.contact.is_null()).count() == 0
    assert Activity.select().where(Activity.kind == "registered").count() == 20
