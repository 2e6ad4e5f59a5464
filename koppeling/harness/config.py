"""The harness configuration (ports, state, mail, partner URLs), built once at the edge."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from koppeling.harness.services import SERVICES, SMTP_PORT, ServiceSpec

DEFAULT_STATE_DIR = Path(".koppeling")
CONFIG_ENV = "KOPPELING_HARNESS_CONFIG"  # how `koppeling up` hands its config to gunicorn


@dataclass
class HarnessConfig:
    """Everything ``koppeling up`` and the test fixtures need to build a harness.

    ``port_base`` None means the default ports of docs/architecture.md; 0 means free ports
    everywhere; any other number puts the services at ``port_base + 0..5`` and SMTP at ``port_base +
    6``.
    ``ports`` pins single ports (``"smtp"`` for the sink). ``state_dir`` None: in-memory store.
    ``store`` (a SQLAlchemy URL, e.g. ``postgresql+psycopg://…``) wins over ``state_dir``.
    ``urls`` points a service name at a real partner
    (that service is then not started). ``options`` holds per-service settings.
    ``allowed_hosts``: names a request's Host header may carry besides loopback and ``host``.
    ``journal_socket``: where ``koppeling up``'s own process takes the workers' journal entries
    (:mod:`koppeling.harness.journal_link`; set by ``up`` for its server's workers, never by hand).
    """

    host: str = "127.0.0.1"
    port_base: int | None = None
    state_dir: Path | None = DEFAULT_STATE_DIR
    journal_limit: int = 2000
    smtp_host: str | None = None
    smtp_port: int | None = None
    services: list[str] | None = None
    urls: dict[str, str] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    seed: int = 2026
    ports: dict[str, int] = field(default_factory=dict)
    allowed_hosts: list[str] = field(default_factory=list)
    store: str | None = None
    journal_socket: str | None = None

    def port(self, service: str) -> int:
        if service in self.ports:
            return self.ports[service]
        names = [s.name for s in SERVICES]
        if self.port_base is None:
            return next(s.port for s in SERVICES if s.name == service)
        if self.port_base == 0:
            return 0
        return self.port_base + names.index(service)

    def sink_port(self) -> int:
        if "smtp" in self.ports:
            return self.ports["smtp"]
        if self.port_base is None:
            return SMTP_PORT
        return 0 if self.port_base == 0 else self.port_base + len(SERVICES)

    def wanted_services(self) -> list[ServiceSpec]:
        """The services this harness starts itself (not pointed at a real partner)."""
        return [s for s in SERVICES if self.wanted(s.name)]

    def wanted(self, service: str) -> bool:
        if service in self.urls:
            return False
        return self.services is None or service in self.services

    def to_json(self) -> str:
        data = asdict(self)
        data["state_dir"] = str(self.state_dir) if self.state_dir is not None else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> HarnessConfig:
        data = json.loads(text)
        if data.get("state_dir") is not None:
            data["state_dir"] = Path(data["state_dir"])
        return cls(**data)

    def db_path(self) -> Path | None:
        """The SQLite file of the store (None: in memory, or a store URL was given)."""
        if self.store is not None:
            return None
        return None if self.state_dir is None else self.state_dir / "state.sqlite"

    def store_url(self) -> str | None:
        """The store's SQLAlchemy URL; None means a private in-memory store."""
        if self.store is not None:
            return self.store
        path = self.db_path()
        if path is None:
            return None
        from koppeling.harness.store import sqlite_url  # late: the CLI starts before SQLAlchemy

        return sqlite_url(path)
