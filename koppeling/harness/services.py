"""Every service the harness knows: its name, default port, title and the module that builds it.

Each partner module has ``create_app(config=None, *, core)``; a service with background work
names a second module with ``create_worker(core, options)`` (an object with ``start()`` and
``stop()``: the SMTP sink, the testcentrum's forwarder and poller), one that imports no web
framework, so ``koppeling up`` starts the workers without loading any app. Modules are named
here, not imported, so the CLI can start gunicorn before it loads any app; :func:`module_of`
imports one plainly (a missing module is an error, never a silently dropped service).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

SMTP_PORT = 1025


@dataclass(frozen=True)
class ServiceSpec:
    """One service: ``module`` builds its app, ``pages`` (a module with
    ``register(app, core, options)``) adds its screens, ``config`` are its fixed options,
    ``worker`` (a module with ``create_worker``, no Flask) its background work."""

    name: str
    port: int
    module: str
    title: str
    pages: str | None = None
    config: tuple[tuple[str, Any], ...] = ()
    worker: str | None = None


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "testcentrum",
        8400,
        "mocks.testcentrum.app",
        "Boom testcentrum (stand-in)",
        "mocks.testcentrum.pages",
        worker="mocks.testcentrum.workers",
    ),
    ServiceSpec(
        "parnassys", 8401, "mocks.las.app", "ParnasSys (LAS)", None, (("flavour", "parnassys"),)
    ),
    ServiceSpec("esis", 8402, "mocks.las.app", "ESIS (LAS)", None, (("flavour", "esis"),)),
    ServiceSpec("schoolkr8", 8403, "mocks.schoolkr8.app", "Schoolkr8", "mocks.schoolkr8.pages"),
    ServiceSpec(
        "klantenservice",
        8404,
        "mocks.klantenservice.app",
        "Boom klantenservice",
        "mocks.klantenservice.pages",
    ),
    ServiceSpec(
        "mailbox",
        8025,
        "mocks.mailbox.app",
        "Mailbox (SMTP sink)",
        "mocks.mailbox.pages",
        worker="mocks.mailbox.smtp",
    ),
)

#: The modules that declare tables on the shared metadata (imported before ``create_all``).
STORE_MODULES = (
    "koppeling.harness.clock",
    "koppeling.harness.journal",
    "koppeling.harness.faults",
    "koppeling.harness.leases",
    "mocks.las.store",
    "mocks.schoolkr8.store",
    "mocks.klantenservice.store",
    "mocks.mailbox.store",
    "mocks.testcentrum.beheer.store",
    "mocks.testcentrum.afnames.store",
)


def module_of(spec: ServiceSpec) -> ModuleType:
    """The module that builds this service."""
    return importlib.import_module(spec.module)


def spec(name: str) -> ServiceSpec:
    """The service called ``name``; KeyError naming the known ones otherwise."""
    for s in SERVICES:
        if s.name == name:
            return s
    raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in SERVICES)}")


def import_stores() -> None:
    """Import every store module, so the shared metadata knows all tables."""
    for module in STORE_MODULES:
        importlib.import_module(module)


def import_apps() -> None:
    """Import every module the apps are built from: each service's app and pages modules and
    every store module (what ``koppeling up``'s server process imports before it knows its
    options, :mod:`koppeling.harness.preload`)."""
    import_stores()
    for service in SERVICES:
        for module in (service.module, service.pages):
            if module is not None:
                importlib.import_module(module)
