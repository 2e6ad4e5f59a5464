"""Every service the harness knows: its name, default port, app factory and background worker.

A service whose module is not there is skipped by ``koppeling up`` ("starts every service that
exists"). This module imports nothing heavy, so the CLI can start gunicorn before loading the apps.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType
from typing import Any

SMTP_PORT = 1025


@dataclass(frozen=True)
class ServiceSpec:
    """Where a service lives: ``module`` has ``create_app(config=None, *, core)`` and may have
    ``create_worker(core, config)`` returning an object with ``start()`` and ``stop()``."""

    name: str
    port: int
    module: str
    title: str
    config: tuple[tuple[str, Any], ...] = ()


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("testcentrum", 8400, "mocks.testcentrum.app", "Boom testcentrum (stand-in)"),
    ServiceSpec("parnassys", 8401, "mocks.las.app", "ParnasSys (LAS)", (("flavour", "parnassys"),)),
    ServiceSpec("esis", 8402, "mocks.las.app", "ESIS (LAS)", (("flavour", "esis"),)),
    ServiceSpec("schoolkr8", 8403, "mocks.schoolkr8.app", "Schoolkr8"),
    ServiceSpec("klantenservice", 8404, "mocks.klantenservice.app", "Boom klantenservice"),
    ServiceSpec("mailbox", 8025, "mocks.mailbox.app", "Mailbox (SMTP sink)"),
)

STORE_MODULES = (
    "koppeling.harness.clock",
    "koppeling.harness.journal",
    "koppeling.harness.faults",
    "mocks.las.store",
    "mocks.schoolkr8.store",
    "mocks.klantenservice.store",
    "mocks.mailbox.store",
    "mocks.testcentrum.store",
    "mocks.testcentrum.afnames_store",
)


def exists(module: str) -> bool:
    """Whether a module is there, without importing it (only its parent packages)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def load(module: str) -> ModuleType | None:
    """Import a service module, or ``None`` if that module does not exist (yet)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise


def available() -> list[ServiceSpec]:
    return [spec for spec in SERVICES if exists(spec.module)]


def spec(name: str) -> ServiceSpec:
    for s in SERVICES:
        if s.name == name:
            return s
    raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in SERVICES)}")


def import_stores() -> None:
    """Import every store module, so the shared metadata knows all tables."""
    for module in STORE_MODULES:
        load(module)
