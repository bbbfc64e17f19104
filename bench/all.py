"""`make bench`: every benchmark in bench/, one after the other (each prints its figures)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

SKIP = {
    "common",
    "databases",
    "servers",
    "statements",
    "all",
    "cluster",
}  # cluster: needs PostgreSQL and Redis, run on its own


def main() -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name not in SKIP)
    only = set(sys.argv[1:])
    for name in names:
        if only and name not in only:
            continue
        print(f"\n== bench/{name}.py ==", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
