"""Huey: the queue the app is configured with, and tasks enqueued only after commit."""

from __future__ import annotations

import os
import uuid

import pytest

from tasks import make_huey

TEST_HUEY_URL = os.environ.get("TEST_HUEY_URL", "")


def test_huey_url_picks_the_storage(tmp_path):
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    assert isinstance(make_huey(f"sqlite:///{tmp_path}/q.db"), SqliteHuey)
    assert isinstance(make_huey("memory://"), MemoryHuey)
    assert isinstance(make_huey("redis://127.0.0.1:6379/0"), RedisHuey)


def _round_trip(queue):
    """Enqueue on a real storage, then take the task off the queue and run it as the consumer does."""
    results = []

    @queue.task()
    def add(a, b):
        results.append(a + b)
        return a + b

    result = add(2, 3)
    assert results == []  # not run in the enqueuing process
    assert len(queue) == 1
    task = queue.dequeue()
    queue.execute(task)
    assert results == [5]
    assert result.get() == 5
    assert len(queue) == 0


def test_sqlite_queue_round_trip(tmp_path):
    _round_trip(make_huey(f"sqlite:///{tmp_path}/queue.db", name=f"t-{uuid.uuid4().hex}"))


def test_a_sqlite_queue_creates_its_folder_on_first_use_not_when_built(tmp_path):
    folder = tmp_path / "instance"
    queue = make_huey(f"sqlite:///{folder}/huey.db", name=f"t-{uuid.uuid4().hex}")
    assert not folder.exists()
    _round_trip(queue)
    assert (folder / "huey.db").exists()


@pytest.mark.skipif(not TEST_HUEY_URL.startswith("redis://"), reason="TEST_HUEY_URL=redis://... not set")
def test_redis_queue_round_trip():
    queue = make_huey(TEST_HUEY_URL, name=f"rollcall-test-{uuid.uuid4().hex}")
    try:
        _round_trip(queue)
    finally:
        queue.flush()


def test_demo_command_creates_a_demo_operator_once(runner):
    from webapp.accounts.models import Membership, User
    from webapp.demo import DEMO_EMAIL

    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "rollcall-demo" in result.output
    user = User.get(User.email == DEMO_EMAIL)
    assert Membership.get(Membership.user == user).role == "owner"
    again = runner.invoke(args=["demo"])
    assert "already present" in again.output and User.select().count() == 1


def test_a_crash_shows_the_500_page_and_is_logged(app, caplog):
    @app.route("/_boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/_boom")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data and b"kaboom" not in response.data
    assert "kaboom" in caplog.text


def test_migrations_cli_reports_up_to_date(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output
    assert "no pending migrations" in runner.invoke(args=["db", "status"]).output


def test_demo_operator_can_sign_in_through_the_form(runner, client):
    from webapp.demo import DEMO_EMAIL, DEMO_PASSWORD

    runner.invoke(args=["demo", "--if-empty"])
    response = client.post("/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/console/", follow_redirects=True).status_code == 200
