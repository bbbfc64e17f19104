"""Accessibility checks in browser tests: axe-core (shipped inside the axe-playwright-python
package, nothing fetched) run on the page as it stands."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """The serious and critical axe violations of the page, one line each (empty when none)."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:5])}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]
