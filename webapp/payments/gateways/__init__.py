"""The gateways: every module of this package (except base) exposes `gateway`, an instance of a
`base.Gateway` subclass. Adding a gateway is adding one module."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from webapp.payments.gateways.base import Gateway


@functools.cache
def registry() -> dict[str, Gateway]:
    found: dict[str, Gateway] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        gateway = module.gateway
        if gateway.name in found:
            raise RuntimeError(f"two gateway modules are named {gateway.name!r}")
        found[gateway.name] = gateway
    return dict(sorted(found.items(), key=lambda item: (item[1].position, item[0])))


def get(name: str) -> Gateway:
    """The gateway called `name` (KeyError when there is none)."""
    return registry()[name]


def offered() -> list[Gateway]:
    """The gateways this installation offers, in checkout order."""
    return [g for g in registry().values() if g.is_offered()]
