"""The ``koppeling`` command: start the harness, verify partners, run scenarios.

Options may also come from ``KOPPELING_*`` environment variables (click's auto_envvar_prefix,
e.g. ``KOPPELING_UP_PORT_BASE``); this is the only place the environment is read, but for the
console entry point's look at ``KOPPELING_UP_SERVER`` before it forks (:mod:`koppeling.cli.entry`).
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from koppeling.cli.scenario import scenario
from koppeling.cli.verify import verify_command
from koppeling.harness import preload
from koppeling.harness.config import DEFAULT_STATE_DIR, HarnessConfig
from koppeling.harness.forks import run_then_exit
from koppeling.harness.journal_link import JournalServer
from koppeling.harness.services import SERVICES, ServiceSpec

# The apps are imported only for `up` (see _start_arbiter), so the other commands start quickly.


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="koppeling")
def main() -> None:
    """koppeling: mock partners and contracts for the Boom testcentrum <-> Schoolkr8 koppeling."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--allowed-host",
    multiple=True,
    metavar="NAME",
    help="Also answer requests whose Host header names NAME (besides 127.0.0.1, localhost, "
    "[::1] and --host); '*' answers any Host.",
)
@click.option(
    "--port-base",
    type=click.IntRange(0, 65000),
    default=None,
    help="Put services at BASE+0..5 and SMTP at BASE+6 (0: free ports). "
    "Default: 8400-8404, mailbox 8025, SMTP 1025.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE_DIR,
    show_default=True,
    help="Where the SQLite store lives.",
)
@click.option("--memory", is_flag=True, help="Throwaway store, deleted on exit.")
@click.option(
    "--store",
    default=None,
    metavar="URL",
    help="The store as a SQLAlchemy URL instead of --state-dir: sqlite:///path/state.sqlite, or "
    "postgresql+psycopg://user:password@host:5432/db to share one store between several "
    "`koppeling up` hosts (docs/postgres.md).",
)
@click.option(
    "--server",
    type=click.Choice(["granian", "gunicorn", "werkzeug"]),
    default="granian",
    show_default=True,
    help="granian or gunicorn (worker processes; granian parses HTTP in Rust: about twice "
    "gunicorn's requests per CPU-second) or werkzeug (one process).",
)
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=32,
    show_default=True,
    help="Request threads per worker (granian: per service in each worker): a long-poll or a "
    "slow client holds one while it lasts, so there are enough for those and every other "
    "request at once.",
)
@click.option(
    "--writer-process/--no-writer-process",
    default=True,
    show_default=True,
    help="granian: the hot writes (BrengLeerresultaten, a new pupil) run in one process of "
    "their own, sent there by the workers (shorter write latency under a mixed load).",
)
@click.option(
    "--worker-scheduling",
    type=click.Choice(["batch", "normal"]),
    default="batch",
    show_default=True,
    help="granian on Linux: batch runs the workers as SCHED_BATCH (a thread that wakes does "
    "not preempt the writer process or a running request: fewer context switches under load, "
    "the same on an idle core); normal keeps the default policy.",
)
@click.option(
    "--journal-limit",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="Journal entries kept per service (oldest dropped).",
)
@click.option(
    "--smtp-host",
    default=None,
    help="Send mail to this SMTP server instead of the embedded sink (e.g. a real Mailpit).",
)
@click.option("--smtp-port", type=click.IntRange(1, 65535), default=None)
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="SERVICE=URL",
    help="Use a real partner for SERVICE instead of starting its mock.",
)
@click.option("--only", multiple=True, metavar="SERVICE", help="Start only these services.")
@click.option(
    "--service-option",
    "service_options",
    multiple=True,
    metavar="SERVICE.NAME=JSON",
    help="A setting of one service, e.g. testcentrum.poll_interval=0.2 or "
    "testcentrum.forwarder='{\"backoff_max\": 30}' (docs/harness.md).",
)
@click.option("--demo", is_flag=True, help="Seed a demo school and print the click-through.")
def up(**opts: Any) -> None:
    """Start every partner mock, print its URL, and serve until Ctrl-C / SIGTERM."""
    # Starting allocates some 120,000 objects that live as long as the process (modules, tables,
    # apps); the cyclic collector walking them again and again during the imports finds nothing
    # and costs ~0.1 s of CPU on the way to ready. Each process turns it back on once it is
    # built (see _collect_from_here); and so does any way out of here.
    gc.disable()
    try:
        _up(opts)
    finally:
        gc.enable()


def _up(opts: dict[str, Any]) -> None:
    config = _config(opts)
    with ExitStack() as stack:
        if opts["memory"] and opts["store"]:
            raise click.UsageError("--memory and --store exclude each other")
        if opts["memory"]:
            tmp = tempfile.mkdtemp(prefix="koppeling-")
            stack.callback(shutil.rmtree, tmp, True)
            config.state_dir = None if opts["server"] == "werkzeug" else Path(tmp)
        if opts["server"] == "werkzeug":
            preload.cancel()  # one process: nothing to hand over to (koppeling.cli.entry)
            _check_store(config)
            _serve_werkzeug(config, opts["demo"])
        else:
            _serve_forked(config, opts)


def _check_store(config: HarnessConfig) -> None:
    """Before anything starts: open the store and upgrade it in place if an older koppeling
    made it; refuse one made by a newer koppeling (or one that cannot be reached)."""
    url = config.store_url()
    if url is None:
        return
    _upgrade_store(url, quiet_if_new=True)


def _precheck_store(config: HarnessConfig) -> None:
    """What :func:`_check_store` refuses, found without changing anything: a store that cannot
    be reached, or one made by a newer koppeling. Quick (one connection, a few reads), so
    ``up`` says so before it forks anything; making or upgrading the store comes after."""
    url = config.store_url()
    if url is None:
        return
    with _opened_store(url) as db, db.engine.connect() as conn:
        db.check_version(conn)


@contextmanager
def _opened_store(url: str) -> Iterator[Any]:
    """The store at ``url`` as a :class:`~koppeling.harness.store.Database`, closed again
    after; what goes wrong is a click error naming the store (its password hidden)."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from koppeling.harness.store import Database, SchemaMismatch, display_url

    shown = display_url(url)
    try:
        db = Database(url)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise click.BadParameter(f"{shown}: {exc}", param_hint="--store") from None
    try:
        yield db
    except SchemaMismatch as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise click.ClickException(f"cannot open the store {shown}: {reason}") from None
    finally:
        db.dispose()


def _upgrade_store(url: str, *, quiet_if_new: bool = False) -> None:
    from koppeling.harness.store import display_url

    shown = display_url(url)
    with _opened_store(url) as db:
        done = db.upgrade()
    if done.before is None:
        if not quiet_if_new:
            click.echo(f"store {shown}: new, made at schema revision {done.after}")
    elif done.changed:
        click.echo(f"store {shown}: upgraded from schema revision {done.before} to {done.after}")
    elif not quiet_if_new:
        click.echo(f"store {shown}: at schema revision {done.after}, nothing to do")


_NOT_JSON = object()
#: how long gunicorn's workers may take to answer (a loaded CI machine, a remote store)
HEALTHY_WITHIN = 120


def _config(opts: dict[str, Any]) -> HarnessConfig:
    urls: dict[str, str] = {}
    known = {s.name for s in SERVICES}
    for item in opts["urls"]:
        name, sep, url = item.partition("=")
        if not sep or name not in known or not url.startswith(("http://", "https://")):
            raise click.BadParameter(
                f"expected SERVICE=http(s)://… with SERVICE one of {', '.join(sorted(known))}, "
                f"got {item!r}",
                param_hint="--url",
            )
        urls[name] = url.rstrip("/")
    for name in opts["only"]:
        if name not in known:
            raise click.BadParameter(f"unknown service {name!r}", param_hint="--only")
    options: dict[str, dict[str, Any]] = {}
    for item in opts.get("service_options") or ():
        target, sep, raw = item.partition("=")
        service, dot, name = target.partition(".")
        try:
            value = json.loads(raw)
        except ValueError:
            value = None if not sep else _NOT_JSON
        if not sep or not dot or service not in known or not name or value is _NOT_JSON:
            raise click.BadParameter(
                f"expected SERVICE.NAME=JSON with SERVICE one of {', '.join(sorted(known))}, "
                f"got {item!r}",
                param_hint="--service-option",
            )
        options.setdefault(service, {})[name] = value
    return HarnessConfig(
        host=opts["host"],
        port_base=opts["port_base"],
        state_dir=opts["state_dir"],
        journal_limit=opts["journal_limit"],
        smtp_host=opts["smtp_host"],
        smtp_port=opts["smtp_port"],
        services=list(opts["only"]) or None,
        urls=urls,
        allowed_hosts=list(opts["allowed_host"]),
        store=opts.get("store") or None,
        options=options,
    )


def _collect_from_here() -> None:
    """The cyclic collector back on, with what starting built moved out of its sight
    (``gc.freeze``): it is never garbage, and a full collection under load then walks only what
    requests allocate."""
    gc.freeze()
    gc.enable()


class _Stop:
    """Set by SIGINT/SIGTERM; the main thread waits on it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.event.set())


def _serve_werkzeug(config: HarnessConfig, demo: bool) -> None:
    from koppeling.harness.process import Harness

    stop = _Stop()
    try:
        harness = Harness(config).start()
    except OSError as exc:
        raise click.ClickException(f"cannot start the harness: {exc}") from None
    _collect_from_here()
    try:
        assert harness.core is not None
        _announce(harness.services, harness.core, config, demo)
        stop.event.wait()
    finally:
        click.echo("stopping …", err=True)
        harness.stop()


def _serve_forked(config: HarnessConfig, opts: dict[str, Any]) -> None:
    """gunicorn or granian: an arbiter forked from here, its workers forked from it."""
    with ExitStack() as picked:  # the picked ports, held until the server has bound them
        _serve_picked(config, opts, picked)


def _serve_picked(config: HarnessConfig, opts: dict[str, Any], picked: ExitStack) -> None:
    """:func:`_serve_forked`, with ``picked`` holding the ports it picks until they are bound."""
    stop = _Stop()
    services = config.wanted_services()
    config.ports = _resolve_ports(config, services, picked)
    for spec in services:
        _check_free(config.host, config.port(spec.name), spec.name)
    server = opts["server"]
    # The workers send their journal entries here, where they are masked and written off the
    # workers' GIL (koppeling/harness/journal_link.py); this process's own entries it writes itself.
    journal_server = JournalServer()
    config.journal_socket = journal_server.path
    arbiter = (
        config,
        server,
        opts["workers"],
        opts["threads"],
        opts["writer_process"],
        opts["worker_scheduling"] == "batch",
    )
    try:
        proc, go = _start_arbiter(arbiter, picked)
    except BaseException:
        journal_server.stop()
        raise
    workers: list[Any] = []
    core = None
    try:
        # The store is checked (made, or upgraded) here while the arbiter builds the apps, which
        # needs no store; it binds and forks the workers only after the byte that says ready.
        # A failed check closes the pipe without it: the arbiter ends, the check's error shows.
        try:
            _check_store(config)
            journal_server.listen()
            with suppress(BrokenPipeError):  # it ended (and said why): _wait_healthy reports it
                os.write(go, b"1")
        finally:
            os.close(go)
        from koppeling.harness.core import build_core, planned_urls, start_workers
        from koppeling.harness.services import import_stores

        import_stores()  # every table (done already where the server process was forked here)
        core = build_core(replace(config, journal_socket=None), store_checked=True)
        journal_server.serve(core.journal)
        core.urls.update(planned_urls(config, services))
        workers = start_workers(config, core, services)
        _collect_from_here()
        if not _wait_healthy(core.urls, services, proc, stop.event):
            return  # Ctrl-C (or SIGTERM) while starting: the server took it too, nothing to say
        picked.close()  # every port is bound now: by the server, the SMTP sink by this process
        _announce(services, core, config, opts["demo"])
        while not stop.event.wait(0.5):
            if proc.poll() is not None:
                raise click.ClickException(f"{server} exited with code {proc.returncode}")
    finally:
        click.echo("stopping …", err=True)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for worker in reversed(workers):
            worker.stop()
        journal_server.stop()
        if core is not None:
            core.journal.close()
            core.db.dispose()


class _Forked:
    """A child process made with ``os.fork``, with the part of ``Popen`` the CLI uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while (code := self.poll()) is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.02)
        return code

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.poll() is None:
            with suppress(ProcessLookupError):
                os.kill(self.pid, sig)


#: the server process's work, named (``up`` never imports the server's modules itself)
ARBITER = "koppeling.harness.wsgi:serve_arbiter"


def _start_arbiter(arbiter: tuple[Any, ...], picked: ExitStack) -> tuple[_Forked, int]:
    """The server process (granian's or gunicorn's arbiter) for ``arbiter``, the arguments of
    :func:`koppeling.harness.wsgi.serve_arbiter` but its pipe: the process the entry point
    forked ahead, which has been importing what it needs meanwhile (:mod:`koppeling.harness.
    preload`), told its work now; where there is none (``up`` called another way), forked here
    (:func:`_fork_arbiter`).

    Returns the process and the pipe to write its go-ahead to: ``b"1"`` once the store is ready
    (see ``store_ready`` in :func:`~koppeling.harness.wsgi.serve`); closing it without ends it.
    ``picked``: the sockets that hold the picked ports (:func:`_resolve_ports`)."""
    handed = preload.hand_over(ARBITER, *arbiter)
    if handed is not None:
        # Forked before this process read its options, the child has neither the sockets that
        # hold the picked ports nor a store connection; the store's check (which refuses a store
        # that cannot be reached or is from a newer koppeling) follows at once, in _serve_picked.
        pid, go = handed
        return _Forked(pid), go
    _precheck_store(arbiter[0])
    return _fork_arbiter(arbiter, picked)


def _fork_arbiter(arbiter: tuple[Any, ...], picked: ExitStack) -> tuple[_Forked, int]:
    """The server process forked from this one (:func:`_start_arbiter`): it imports Flask and
    the partner apps and builds them, then forks the workers, while this process checks the
    store, builds its own core and starts the SMTP sink and pollers — on the machine's other
    core, and without Flask (:mod:`koppeling.harness.core`). What both need (SQLAlchemy and every
    table, which the read-only check already imported) is imported once, before the fork.
    Forked before this process starts any thread, and with the store closed again after the
    read-only check, so the child inherits neither a thread nor a store connection; the child
    closes its copies of the sockets in ``picked`` (this process holds the ports until the
    server's are bound)."""
    from koppeling.harness.services import import_stores

    import_stores()  # both processes need every table: import them once
    sys.stdout.flush()
    sys.stderr.flush()
    store_ready, go = os.pipe()
    pid = os.fork()
    if pid:
        os.close(store_ready)
        return _Forked(pid), go
    os.close(go)  # else the child would hold the pipe open itself and wait forever
    picked.close()  # the copies; this process holds the ports until the server's are bound
    # The child (and, through granian or gunicorn, every worker it forks) never returns into
    # the CLI: the parent's clean-up (its ExitStack deletes a --memory store) is the parent's.
    run_then_exit(lambda: preload.call(ARBITER, arbiter, store_ready))


def _resolve_ports(
    config: HarnessConfig, services: list[ServiceSpec], held: ExitStack
) -> dict[str, int]:
    """Fixed ports for the forked server: a requested 0 becomes a free port picked now, and
    stays bound by a socket of this process (entered into ``held``) until ``held`` is closed.

    The server binds its ports a moment later, in the forked arbiter, after it has imported and
    built the apps; a port picked and let go again could meanwhile be taken by another program
    (a client's outgoing connection takes its local port from the same range) and the server
    would fail to start. A held socket keeps both out: it is bound, so no ``bind`` to port 0
    and no outgoing connection gets its port. It sets ``SO_REUSEADDR`` and never listens, so
    the server's sockets and the SMTP sink's, which set it too, bind beside it. Held until
    every picked port is picked, no two services (or the SMTP sink) get the same one either."""
    ports = dict(config.ports)

    def free_port() -> int:
        sock = held.enter_context(socket.socket())
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.host, 0))
        return int(sock.getsockname()[1])

    for spec in services:
        ports[spec.name] = config.port(spec.name) or free_port()
    ports["smtp"] = config.sink_port() or free_port()
    return ports


def _check_free(host: str, port: int, name: str) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise click.ClickException(
                f"port {port} for {name} is in use; stop what runs there or use --port-base"
            ) from None


def _wait_healthy(
    urls: dict[str, str],
    services: list[ServiceSpec],
    proc: _Forked,
    stopping: threading.Event | None = None,
) -> bool:
    """Until every service answers its health check: True. A server that ended first is an
    error (so is HEALTHY_WITHIN), unless ``stopping`` was set — Ctrl-C reaches the server
    process too, and SIGTERM may have been meant for both: then False.

    Every service is asked at once, each from a thread of its own: a worker's first answer
    costs it some milliseconds (its store connection, its first statements), and asked one
    after the other, the workers' first answers came one after the other as well, where they
    can come side by side on two cores (docs/harness.md, sixteenth session)."""
    deadline = time.monotonic() + HEALTHY_WITHIN
    pending = [s.name for s in services]
    with ThreadPoolExecutor(max_workers=max(1, len(pending))) as pool:
        while pending:
            if proc.poll() is not None:
                if stopping is not None and stopping.is_set():
                    return False
                raise click.ClickException(f"the server exited early with code {proc.returncode}")
            if time.monotonic() > deadline:
                raise click.ClickException(
                    f"not healthy after {HEALTHY_WITHIN} s: {', '.join(sorted(pending))}"
                )
            answers = list(pool.map(_healthy, [urls[name] for name in pending]))
            pending = [name for name, ok in zip(pending, answers, strict=True) if not ok]
            if pending:
                time.sleep(0.01)  # a port not bound yet refuses at once: poll often
    return True


def _healthy(url: str) -> bool:
    """One health check (plain http.client: a refused connection costs microseconds)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=2)
    try:
        conn.request("GET", "/__admin/health")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _announce(services: list[ServiceSpec], core: Any, config: HarnessConfig, demo: bool) -> None:
    urls = core.urls
    width = max(len(s.title) for s in services) if services else 10
    click.echo("koppeling is up:")
    for spec in services:
        click.echo(f"  {spec.title:<{width}}  {urls[spec.name]}")
    if any(s.name == "mailbox" for s in services) and config.smtp_host is None:
        port = getattr(core.mailer, "port", config.sink_port())
        click.echo(f"  {'SMTP (mailbox sink)':<{width}}  smtp://{config.host}:{port}")
    for name, url in config.urls.items():
        click.echo(f"  {name + ' (real partner)':<{width}}  {url}")
    if config.store is not None:
        from koppeling.harness.store import display_url

        where: object = display_url(config.store)
    else:
        where = config.state_dir if config.state_dir is not None else "memory"
    click.echo(f"  store: {where}   harness home: {urls.get('testcentrum', '')}/__admin/")
    if demo:
        from koppeling.demo import DemoError, seed_demo

        try:
            click.echo(seed_demo(core))
        except DemoError as exc:
            raise click.ClickException(f"could not seed the demo: {exc}") from None
    click.echo("Press Ctrl-C to stop.", err=True)


@main.group()
def store() -> None:
    """The harness's store: upgrade it in place to this koppeling's schema."""


@store.command("upgrade")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE_DIR,
    show_default=True,
    help="The SQLite store in this folder.",
)
@click.option("--store", "url", default=None, metavar="URL", help="The store as a SQLAlchemy URL.")
def store_upgrade(state_dir: Path, url: str | None) -> None:
    """Upgrade a store made by an older koppeling in place (koppeling up does this too); a
    store made by a newer koppeling is refused. Stop every harness on the store first."""
    if url is None:
        path = state_dir / "state.sqlite"
        if not path.exists():
            raise click.ClickException(f"no store at {path} (give --state-dir or --store)")
        url = HarnessConfig(state_dir=state_dir).store_url()
        assert url is not None
    _upgrade_store(url)


main.add_command(verify_command, "verify")
main.add_command(scenario, "scenario")


def run() -> None:
    """Console entry point (options from KOPPELING_* environment variables too)."""
    main(auto_envvar_prefix="KOPPELING")
