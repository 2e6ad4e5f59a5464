"""The harness in one process: every partner app on its own port, the SMTP sink, the workers.

Used by the test fixtures and by ``koppeling up --server werkzeug``; ``koppeling up`` by default
serves the same apps through gunicorn (see :mod:`koppeling.harness.wsgi`) and keeps only the
SMTP sink and the background workers in this process.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from flask import Flask
from werkzeug.routing import Rule

from contracts import provider_endpoints
from koppeling.harness.config import HarnessConfig
from koppeling.harness.core import Core, StartStop, Worker, build_core, start_workers
from koppeling.harness.services import ServiceSpec, module_of
from koppeling.harness.store import Database
from koppeling.web import home

if TYPE_CHECKING:  # the werkzeug server (and gunicorn's, its error pages) only when started
    from koppeling.harness.server import ServerThread

log = logging.getLogger("koppeling")


class LazyBuildRule(Rule):
    """werkzeug's URL rule, its two URL builders compiled on first use instead of when the rule
    is added. werkzeug builds them with ``ast`` + ``compile`` for every rule, which was most of
    building the six apps at start-up (~190 rules); ``url_for`` is called for a few of them.
    Matching a request is unchanged, and so is every URL built."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:  # two threads at once both compile: the same function
                compiled = Rule._compile_builder(rule, append_unknown)
            return compiled(rule, *args, **kwargs)

        return build


# Every harness app is a Flask made by create_service_app; set here, where the apps are built.
Flask.url_rule_class = LazyBuildRule


def create_app(spec: ServiceSpec, config: HarnessConfig, core: Core) -> Flask:
    """The Flask app of one service, from its module's ``create_app``."""
    options = dict(spec.config)
    options.update(config.options.get(spec.name, {}))
    app = module_of(spec).create_app(options, core=core)
    assert isinstance(app, Flask)
    if spec.pages is not None:
        importlib.import_module(spec.pages).register(app, core, options)
    home.register(app, core, options)
    provider_endpoints.register(app, core, options)
    return app


class Harness(StartStop):
    """Every wanted service on a :class:`ServerThread`, sharing one :class:`Core`."""

    def __init__(self, config: HarnessConfig | None = None, *, db: Database | None = None) -> None:
        self.config = config or HarnessConfig(port_base=0, state_dir=None)
        self._db = db
        self.core: Core | None = None
        self.servers: dict[str, ServerThread] = {}
        self.apps: dict[str, Flask] = {}
        self.workers: list[Worker] = []

    @property
    def services(self) -> list[ServiceSpec]:
        return self.config.wanted_services()

    def start(self) -> Self:
        from koppeling.harness.server import ServerThread

        core = self.core = build_core(self.config, self._db)
        try:
            for spec in self.services:
                app = create_app(spec, self.config, core)
                server = ServerThread(app, self.config.host, self.config.port(spec.name)).start()
                self.apps[spec.name] = app
                self.servers[spec.name] = server
                core.urls.setdefault(spec.name, server.url)
            self.workers = start_workers(self.config, core, self.services)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for worker in reversed(self.workers):
            worker.stop()
        self.workers = []
        for server in self.servers.values():
            server.stop()
        self.servers = {}
        if self.core is not None:
            self.core.journal.close()  # what the last requests queued is written
            if self._db is None:
                self.core.db.dispose()

    def url(self, service: str) -> str:
        assert self.core is not None, "harness not started"
        return self.core.url(service)
