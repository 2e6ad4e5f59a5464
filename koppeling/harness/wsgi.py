"""The gunicorn entry point: every service of one harness in one WSGI app, chosen by local port.

``koppeling up`` binds one gunicorn to every service port (:func:`serve`, run in a process the
CLI forks from itself, so nothing is imported twice); the arbiter builds the apps once and forks
the workers, each handing a request to the app of the port it arrived on. Workers share nothing
but the store (SQLite in WAL mode by default). :func:`from_env` is the same for a gunicorn
started by hand (``gunicorn 'koppeling.harness.wsgi:from_env()'`` with the config as JSON in
``KOPPELING_HARNESS_CONFIG``).
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from koppeling.harness.config import CONFIG_ENV, HarnessConfig
from koppeling.harness.core import build_core
from koppeling.harness.process import create_app
from koppeling.harness.service import Core

StartResponse = Callable[..., Any]


class PortDispatcher:
    """A WSGI app routing each request to the app bound to its local port.

    gunicorn builds it once in its arbiter (``--preload``) and forks the workers from there:
    a worker's first request drops the store connections it inherited (``dispose(close=False)``
    leaves them to the parent), so no SQLite connection is shared across processes."""

    def __init__(self, apps: dict[int, Any], core: Core | None = None) -> None:
        self.apps = apps
        self.core = core
        self._pid = os.getpid()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self._pid != os.getpid():
            self.after_fork()
        app = self.apps.get(_local_port(environ))
        if app is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no koppeling service on this port\n"]
        result: Iterable[bytes] = app(environ, start_response)
        return result

    def after_fork(self) -> None:
        """In a forked worker: drop the store connections inherited from the arbiter."""
        with _FORK_LOCK:
            if self._pid != os.getpid():
                if self.core is not None:
                    self.core.db.engine.dispose(close=False)
                    self.core.journal.after_fork()
                self._pid = os.getpid()


_FORK_LOCK = threading.Lock()


def _local_port(environ: dict[str, Any]) -> int:
    sock = environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        try:
            return int(sock.getsockname()[1])
        except OSError:
            pass
    return int(environ.get("SERVER_PORT") or 0)


def build(config: HarnessConfig, *, store_checked: bool = False) -> PortDispatcher:
    """The dispatcher for a config whose ports are all fixed (no 0). Building it reads and
    writes nothing in the store but ``create_all`` (skipped when ``store_checked``)."""
    core = build_core(config, store_checked=store_checked)
    services = config.wanted_services()
    for spec in services:
        core.urls.setdefault(spec.name, f"http://{config.host}:{config.port(spec.name)}")
    return PortDispatcher(
        {config.port(s.name): create_app(s, config, core) for s in services}, core
    )


def serve(
    config: HarnessConfig, *, workers: int, threads: int, store_ready: int | None = None
) -> None:
    """Run gunicorn in this process until it is stopped (SIGTERM/SIGINT): the arbiter builds the
    apps (``--preload``), binds every service port of ``config`` and forks ``workers`` gthread
    workers of ``threads`` threads. Not gunicorn's command line: no ``gunicorn.conf.py`` from
    the working folder and no ``GUNICORN_CMD_ARGS`` change what ``koppeling up`` asked for.

    ``store_ready``: a pipe another process checks (and makes or upgrades) the store behind, in
    parallel with this one building the apps. The apps are built without touching the store;
    then, before anything is bound or forked, one byte ``1`` from the pipe lets gunicorn go on,
    and anything else (the checker failed and closed it) ends this process quietly: the checker
    reports why."""
    from gunicorn.app.base import BaseApplication

    binds = [f"{config.host}:{config.port(s.name)}" for s in config.wanted_services()]
    settings: dict[str, Any] = {
        "worker_class": "koppeling.harness.early_errors.ProblemThreadWorker",
        "workers": workers,
        "threads": threads,
        "loglevel": "warning",
        "preload_app": True,  # import and build the apps once, then fork the workers from there
        "graceful_timeout": 5,
        "timeout": 120,
        "bind": binds,
    }

    class Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in settings.items():
                self.cfg.set(name, value)
            if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 27
                # no control socket at ~/.gunicorn/gunicorn.ctl (one path for every harness on
                # the machine) and no thread for it in the arbiter
                self.cfg.set("control_socket_disable", True)

        def load(self) -> PortDispatcher:
            app = build(config, store_checked=store_ready is not None)
            if store_ready is not None:
                go = read_byte(store_ready)
                if go != b"1":
                    raise SystemExit(0)
            # `koppeling up` turned the cyclic collector off while it starts; the workers fork
            # from here with it on again and with everything built so far frozen (never
            # garbage, and out of every later full collection's walk).
            gc.freeze()
            gc.enable()
            return app

    Gunicorn().run()


def serve_arbiter(
    config: HarnessConfig,
    server: str,
    workers: int,
    threads: int,
    writer: bool,
    batch_workers: bool,
    store_ready: int,
) -> None:
    """``koppeling up``'s server process, until SIGTERM/SIGINT: granian's arbiter
    (:func:`koppeling.harness.granian_server.serve`) or gunicorn's (:func:`serve`), the store's
    go-ahead read from ``store_ready``. Started by ``up`` ahead (:mod:`koppeling.harness.
    preload`) or forked from it (:func:`koppeling.cli.main._fork_arbiter`)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)  # the server installs its own
    if server == "granian":
        from koppeling.harness import granian_server

        granian_server.serve(
            config,
            workers=workers,
            threads=threads,
            store_ready=store_ready,
            writer=writer,
            batch_workers=batch_workers,
        )
    else:
        serve(config, workers=workers, threads=threads, store_ready=store_ready)


def read_byte(fd: int) -> bytes:
    """One byte from a pipe, waiting for it (b"" once the writer closed it without one)."""
    try:
        while True:
            try:
                return os.read(fd, 1)
            except InterruptedError:  # pragma: no cover - PEP 475 retries already
                continue
    finally:
        os.close(fd)


def from_env() -> PortDispatcher:
    """gunicorn's factory (``koppeling.harness.wsgi:from_env()``); config from the supervisor."""
    return build(HarnessConfig.from_json(os.environ[CONFIG_ENV]))
