"""The foundation: settings, schema, commit hooks, error pages."""

from __future__ import annotations

import pytest

import config
from tests.conftest import make_test_app
from webapp.checkin.models import Checkin
from webapp.db import db, on_commit
from webapp.models import all_models
from webapp.orders.models import Registrant


def test_unknown_setting_is_refused_with_its_name():
    with pytest.raises(config.ConfigError, match="ROLLCALL_ORDER_HOLD_MINUTEZ"):
        config.load({"ROLLCALL_ORDER_HOLD_MINUTEZ": "5", "SECRET_KEY": "x" * 20})


@pytest.mark.parametrize(
    "name, value",
    [
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("HUEY_URL", "amqp://guest@localhost"),
        ("BASE_URL", "not a url"),
        ("SMTP_URL", "http://mail.example.org"),
        ("SMTP_URL", "smtp://mail.example.org:port"),
        ("ROLLCALL_ORDER_HOLD_MINUTES", "soon"),
        ("ROLLCALL_TEST_GATEWAY", "maybe"),
        ("ROLLCALL_WORK_LEASE_SECONDS", "1"),
        ("SECRET_KEY", "short"),
        ("ROLLCALL_TRUSTED_PROXIES", "-1"),
        ("ROLLCALL_TRUSTED_PROXIES", "one"),
    ],
)
def test_malformed_setting_names_the_variable(tmp_path, name, value):
    environ = {"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "k" * 32, name: value}
    with pytest.raises(config.ConfigError, match=name):
        config.load(environ)


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = config.ensure_secret_key(config.load({"INSTANCE_DIR": str(tmp_path)})).secret_key
    second = config.ensure_secret_key(config.load({"INSTANCE_DIR": str(tmp_path)})).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_loading_the_settings_writes_no_secret_key(tmp_path):
    instance = tmp_path / "instance"
    assert config.load({"INSTANCE_DIR": str(instance)}).secret_key is None
    assert not instance.exists()


def test_the_app_started_without_secret_key_signs_with_the_one_it_generated(database_url, tmp_path):
    first = make_test_app(tmp_path, database_url, ENVIRON={"SECRET_KEY": ""})
    again = make_test_app(tmp_path, database_url, ENVIRON={"SECRET_KEY": ""})
    assert first.secret_key == again.secret_key == (tmp_path / "instance" / "secret_key").read_text()


def test_smtp_url_is_parsed_and_password_not_shown():
    smtp = config.parse_smtp_url("smtp://ann:s%40cret@mail.example.org:587?starttls=1")
    assert (smtp.host, smtp.port, smtp.username, smtp.password, smtp.security) == (
        "mail.example.org",
        587,
        "ann",
        "s@cret",
        "starttls",
    )
    assert "s@cret" not in repr(smtp)


def test_migrated_schema_matches_the_models(app):
    """Every model's table and column exists as migrated, so no migration was forgotten."""
    for model in all_models():
        table = model._meta.table_name
        assert db.table_exists(table), f"table {table} has no migration"
        columns = {c.name for c in db.get_columns(table)}
        missing = {f.column_name for f in model._meta.sorted_fields} - columns
        assert not missing, f"{table} lacks migrated columns {missing}"


def _model_indexes(model) -> set[str]:
    return {index._name for index in model._meta.fields_to_index()}  # what create_table would make


def test_migrated_indexes_are_the_models_indexes(app):
    """The migrations build exactly the indexes the models declare: none forgotten, and none left
    that the models dropped (a column's own index beside a longer one beginning with it)."""
    for model in all_models():
        table = model._meta.table_name
        primary_key = (f"{table}_pkey", f"sqlite_autoindex_{table}_1")  # the primary key's own
        migrated = {i.name for i in db.get_indexes(table) if i.name not in primary_key}
        assert migrated == _model_indexes(model), table


def test_a_columns_own_index_is_left_out_beside_a_longer_one_beginning_with_it(app):
    registrant = _model_indexes(Registrant)
    assert "registrant_event_id" not in registrant  # (event_id, created_at) and two more begin with it
    assert {"registrant_event_id_created_at", "registrant_order_id", "registrant_ticket_secret"} <= registrant
    checkin = _model_indexes(Checkin)
    assert not {"checkin_event_id", "checkin_checkin_list_id", "checkin_registrant_id"} & checkin
    assert {"checkin_user_id", "checkin_checkin_list_id_nonce", "checkin_event_id_created_at"} <= checkin


def test_on_commit_runs_after_commit_and_not_after_rollback(app):
    ran = []
    with db.atomic():
        on_commit(lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]

    with pytest.raises(RuntimeError):
        with db.atomic():
            on_commit(lambda: ran.append("rolled back"))
            raise RuntimeError
    assert ran == ["committed"]


def test_on_commit_inside_a_rolled_back_savepoint_is_dropped(app):
    ran = []
    with db.atomic():
        on_commit(lambda: ran.append("outer"))
        with pytest.raises(RuntimeError):
            with db.atomic():
                on_commit(lambda: ran.append("inner"))
                raise RuntimeError
    assert ran == ["outer"]


def test_work_recorded_in_a_transaction_sees_the_committed_row(app):
    """Work recorded in a transaction runs after COMMIT and can read what the transaction wrote."""
    from tests.factories.accounts import make_user
    from webapp import work
    from webapp.accounts.models import User
    from webapp.work import engine

    seen = []
    engine._handlers.pop("test.look", None)
    work.handles("test.look")(lambda payload: seen.append(User.get_by_id(payload["user_id"]).email))
    try:
        with db.atomic():
            user = make_user(email="late@example.org")
            work.record("test.look", {"user_id": user.id})
            assert seen == []
        assert seen == ["late@example.org"]
    finally:
        engine._handlers.pop("test.look", None)


def test_unknown_page_is_a_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_security_headers_are_sent(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_concurrent_read_then_write_transactions_both_succeed(app):
    """Two workers that read and then write in one transaction each: neither fails with
    "database is locked" (on SQLite every transaction takes the write lock up front)."""
    import threading
    import time

    from webapp.accounts.models import LoginAttempt

    errors, barrier = [], threading.Barrier(2)

    def worker(n):
        try:
            with db.connection_context():
                barrier.wait()
                with db.atomic():
                    LoginAttempt.select().count()
                    time.sleep(0.2)
                    LoginAttempt.create(email=f"w{n}@example.org", ip="127.0.0.1", succeeded=True)
        except Exception as exc:  # noqa: BLE001 - the failure is what the test looks for
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert LoginAttempt.select().count() == 2
