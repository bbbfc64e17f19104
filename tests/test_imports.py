"""Importing the code writes nothing into the checkout: no secret key, no queue file, no instance
folder. Only a started app (create_app) or the queue's first use creates those."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import config

PACKAGES = ("webapp", "tasks")

IMPORT_ALL = """
import importlib, sys
from pathlib import Path
import config
assert config.BASE_DIR == Path.cwd(), config.BASE_DIR  # the copy, not the checkout the tests run from
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


def _fresh_checkout(target: Path) -> Path:
    """The code as a fresh clone has it: no instance folder, no .env, no caches."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "instance")
    target.mkdir()
    shutil.copy2(config.BASE_DIR / "config.py", target / "config.py")
    for package in PACKAGES:
        shutil.copytree(config.BASE_DIR / package, target / package, ignore=ignore)
    return target


def _modules(root: Path) -> list[str]:
    names = ["config"]
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _tree(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


def _environ_without_settings() -> dict[str, str]:
    """The environment of a first run with every setting at its default."""
    environ = {k: v for k, v in os.environ.items() if k not in config.KNOWN and not k.startswith("ROLLCALL_")}
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    return environ


def test_importing_every_module_writes_nothing_into_the_checkout(tmp_path):
    root = _fresh_checkout(tmp_path / "checkout")
    modules = _modules(root)
    assert "tasks.all" in modules and "webapp.db.connection" in modules
    before = _tree(root)

    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, *modules],
        cwd=root,
        env=_environ_without_settings(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert sorted(_tree(root) - before) == []
