"""Every benchmark in bench/ still imports: a helper renamed or moved elsewhere must not leave a
bench that fails only when someone runs it to take the figures."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHES = sorted(p.stem for p in (Path(__file__).parent.parent / "bench").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", BENCHES)
def test_the_bench_imports_and_offers_main(name):
    module = importlib.import_module(f"bench.{name}")
    if name not in ("common", "databases"):  # shared helpers, not benches
        assert callable(getattr(module, "main", None)), f"bench/{name}.py has no main()"
