"""The operator console: its blueprint, with the routes of each page group attached from their modules."""

from __future__ import annotations

from webapp.console import (  # noqa: F401  (importing a page module attaches its routes)
    pages_dashboard,
    pages_jobs,
    pages_logs,
)
from webapp.console.blueprint import bp

__all__ = ["bp"]
