"""Every benchmark in bench/ still imports: a helper renamed or moved elsewhere must not leave a
bench that fails only when someone runs it to take the figures."""

from __future__ import annotations

import argparse
import contextlib
import importlib
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import TEST_DATABASE_URL

BENCHES = sorted(p.stem for p in (Path(__file__).parent.parent / "bench").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", BENCHES)
def test_the_bench_imports_and_offers_main(name):
    module = importlib.import_module(f"bench.{name}")
    if name not in ("common", "databases"):  # shared helpers, not benches
        assert callable(getattr(module, "main", None)), f"bench/{name}.py has no main()"


def test_rounds_turn_the_order_round_and_the_table_shows_medians_and_each_rounds_ratio(monkeypatch, capsys):
    databases = importlib.import_module("bench.databases")
    ran = []

    @contextlib.contextmanager
    def instance_on(url, redis_url, **extra_env):
        yield url

    monkeypatch.setattr(databases, "instance_on", instance_on)
    rates = iter([600.0, 300.0, 450.0, 500.0, 400.0, 440.0])  # SQLite, PG; PG, SQLite; SQLite, PG

    def run(url):
        ran.append(databases.label(url))
        return {"registrations/s": next(rates), "oversold seats": 0.0}

    args = argparse.Namespace(dbs=["sqlite", "postgresql://postgres@db.example/test"], redis="", rounds=3)
    results = databases.run_on_each(args, run)

    assert ran == ["SQLite", "PostgreSQL", "PostgreSQL", "SQLite", "SQLite", "PostgreSQL"]
    assert results == {
        "SQLite": {"registrations/s": 500.0, "oversold seats": 0.0},  # of 600, 500, 400
        "PostgreSQL": {"registrations/s": 440.0, "oversold seats": 0.0},  # of 300, 450, 440
    }
    out = capsys.readouterr().out
    assert "-- PostgreSQL (round 2 of 3) --" in out
    assert "medians of 3 rounds" in out
    medians_table, by_round = out.split("medians of 3 rounds")[1].split("PostgreSQL against SQLite, round by round")
    assert _row(medians_table, "registrations/s") == ["500.0", "440.0", "0.88x"]
    assert _row(by_round, "registrations/s") == ["0.50x", "0.90x", "1.10x"]
    assert _row(by_round, "oversold") == ["seats", "-", "-", "-"]  # nothing to divide by


def _row(table: str, metric: str) -> list[str]:
    return next(line.split()[1:] for line in table.splitlines() if line.startswith(metric))


def test_a_round_count_that_is_not_a_small_whole_number_is_refused_beside_the_option(capsys):
    databases = importlib.import_module("bench.databases")
    parser = argparse.ArgumentParser()
    databases.add_database_options(parser)
    assert parser.parse_args(["--rounds", "3"]).rounds == 3
    for bad in ("0", "-1", "2.5", "NaN", "1000"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--rounds", bad])
        assert "--rounds: a whole number of rounds from 1 to 50" in capsys.readouterr().err


def test_bench_servers_gives_the_registration_bench_every_option_of_its_own_command_line():
    from bench import registration, servers

    own = set(vars(registration.parse([]))) - {"huey_url"}  # read by its main() alone
    assert own <= set(vars(servers.parse([])))


@pytest.mark.parametrize("options", [{}, {"coupon": True}, {"per_email_limit": 2}])
def test_the_registration_bench_seeds_the_event_its_options_ask_for(app, capsys, options):
    from bench import registration
    from webapp.catalog.models import Coupon, Product

    exec(registration.seed(5, **options), {})  # as bench.landing_page and bench.registration run it
    seat = Product.get_by_id(int(capsys.readouterr().out))
    assert seat.quota == 5 and seat.event.max_registrations_per_email == options.get("per_email_limit")
    codes = [(c.code, c.value, c.usage_limit) for c in Coupon.select().where(Coupon.event == seat.event_id)]
    if options.get("coupon"):
        assert seat.price > 0 and codes == [(registration.COUPON, 100, 5)]
    else:
        assert seat.price == 0 and codes == []


def test_the_workers_shares_say_how_the_connections_fell_on_them():
    common = importlib.import_module("bench.common")
    before = {10: ("gunicorn", 1.0), 11: ("gunicorn", 2.0), 12: ("postgres", 5.0)}
    after = {10: ("gunicorn", 9.0), 11: ("gunicorn", 4.0), 12: ("postgres", 9.0), 13: ("gunicorn", 0.0)}
    # 8 s and 2 s of the workers' CPU in the run; the database's process is not one of them
    assert common.worker_shares(before, after, [11, 10]) == "80 % / 20 %"
    assert common.worker_shares(before, before, [10, 11]) == "-"  # an idle run divides nothing
    assert common.worker_shares(before, after, []) == "-"


def test_a_figure_shown_as_zero_gets_no_ratio(capsys):
    databases = importlib.import_module("bench.databases")
    figures = {"scans/s": 800.0, "database CPU ms/scan": 0.0017}
    databases.print_side_by_side({"SQLite": figures, "PostgreSQL": {"scans/s": 600.0, "database CPU ms/scan": 1.02}})
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert lines["scans/s"].endswith("0.75x")
    assert lines["database"].split()[-1] == "-"  # not "601.00x"


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="auto_explain is PostgreSQL's")
def test_the_statements_bench_reads_the_servers_plans_with_each_triggers_time():
    statements = importlib.import_module("bench.statements")
    connection = psycopg2.connect(TEST_DATABASE_URL, options=statements.AUTO_EXPLAIN)
    try:
        cursor = connection.cursor()
        cursor.execute(
            "CREATE TEMP TABLE parent (id integer PRIMARY KEY); "
            "CREATE TEMP TABLE child (id serial PRIMARY KEY, parent_id integer CONSTRAINT child_parent REFERENCES parent); "
            "INSERT INTO parent VALUES (1)"
        )
        del connection.notices[:]
        cursor.execute("DO $$ BEGIN RAISE NOTICE 'not a plan'; END $$; INSERT INTO child (parent_id) VALUES (1)")
        plans = statements.server_plans(connection.notices)
    finally:
        connection.close()
    assert len(plans) == 1  # the INSERT's; the notice is no plan
    assert plans[0]["ms"] > 0
    assert list(plans[0]["triggers"]) == ["child_parent on child"]
    assert 0 < plans[0]["triggers"]["child_parent on child"] <= plans[0]["ms"]
