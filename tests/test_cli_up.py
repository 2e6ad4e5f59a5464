"""`koppeling up` as a user runs it: a real process, real ports, SIGTERM, and a restart."""

from __future__ import annotations

import asyncio
import errno
import gc
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest
import requests
from click.testing import CliRunner

from koppeling.cli import main as cli_main
from koppeling.cli.main import main
from koppeling.harness import granian_server
from koppeling.harness.config import HarnessConfig
from koppeling.harness.services import SERVICES
from koppeling.harness.store import Database

KOPPELING = str(Path(sys.executable).parent / "koppeling")
KoppelingUp = Callable[..., AbstractContextManager[dict[str, str]]]


@pytest.mark.slow
@pytest.mark.parametrize("server", ["gunicorn", "granian", "werkzeug"])
def test_every_service_healthy_and_state_survives_restart(
    tmp_path: Path, server: str, koppeling_up: KoppelingUp
) -> None:
    state = str(tmp_path / "state")
    with koppeling_up("--state-dir", state, "--server", server) as urls:
        assert len(urls) == len(SERVICES)
        for url in urls.values():
            health = requests.get(f"{url}/__admin/health", timeout=5)
            assert health.status_code == 200 and health.json()["status"] == "ok"
        first, first_url = next(iter(urls.items()))
        requests.post(f"{first_url}/__admin/clock", json={"now": "2031-02-03T04:05:06Z"}, timeout=5)
        requests.get(f"{first_url}/api/bestaat-niet", timeout=5)
    with koppeling_up("--state-dir", state, "--server", server) as urls:
        last = list(urls.values())[-1]  # another service: the clock is one for the harness
        clock = requests.get(f"{last}/__admin/clock", timeout=5).json()
        assert clock["now"] == "2031-02-03T04:05:06+00:00"
        journal = requests.get(f"{urls[first]}/__admin/requests", timeout=5).json()["requests"]
        assert any(e["path"] == "/api/bestaat-niet" for e in journal)


def test_bad_url_option_is_a_clear_error() -> None:
    result = CliRunner().invoke(main, ["up", "--url", "schoolkr8:nee"])
    assert result.exit_code == 2
    assert "SERVICE=http(s)" in result.output
    # `up` turns the cyclic garbage collector off while it starts: any way out turns it on again
    assert gc.isenabled()


def test_ports_picked_for_port_base_0_are_all_different() -> None:
    """With --port-base 0 `up` picks a free port per service and one for the SMTP sink before
    the server binds them: no two may be the same, though the kernel hands a port out again
    once its socket is closed (300 picks in a row on Linux repeat a few). Five hundred
    services here, so a repeat would show."""
    many = [replace(SERVICES[0], name=f"service{i}") for i in range(500)]
    with ExitStack() as held:
        ports = cli_main._resolve_ports(HarnessConfig(port_base=0), many, held)
    assert len(ports) == 501 and len(set(ports.values())) == 501


def test_a_picked_port_is_held_for_the_server_until_released() -> None:
    """Between picking the ports and the arbiter binding them (after it built the apps) another
    program could take one, and the server would not start (it happened in a CI run: a port
    picked from the range outgoing connections take theirs from). While held, no one else binds
    a picked port; granian's listeners (two workers' of one port) and an asyncio server (the
    SMTP sink's way) bind beside the holder and take connections; once released, anyone may."""
    config = HarnessConfig(port_base=0)
    with ExitStack() as held:
        ports = cli_main._resolve_ports(config, config.wanted_services(), held)
        for port in ports.values():
            with socket.socket() as other, pytest.raises(OSError) as refused:
                other.bind(("127.0.0.1", port))
            assert refused.value.errno == errno.EADDRINUSE
        served = ports[config.wanted_services()[0].name]
        with (
            granian_server._listen("127.0.0.1", served),
            granian_server._listen("127.0.0.1", served),
        ):
            socket.create_connection(("127.0.0.1", served), timeout=5).close()

        async def sink_binds() -> None:
            server = await asyncio.get_running_loop().create_server(
                asyncio.Protocol, "127.0.0.1", ports["smtp"]
            )
            server.close()

        with ThreadPoolExecutor(1) as thread:  # a loop of its own (another may run in this one)
            thread.submit(asyncio.run, sink_binds()).result(timeout=30)
    for port in ports.values():
        with socket.socket() as other:
            other.bind(("127.0.0.1", port))


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        base = busy.getsockname()[1]
        result = subprocess.run(
            [KOPPELING, "up", "--port-base", str(base), "--memory"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert "in use" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_up_guards_hosts_long_lines_and_its_state_files(
    tmp_path: Path, koppeling_up: KoppelingUp
) -> None:
    """Under the default server (granian): a foreign Host is refused (an --allowed-host name is
    not), a request line over gunicorn's limit is answered as problem details, the state is
    private to its owner. (Each server's own limits: tests/test_granian_server.py.)"""
    state = tmp_path / "state"
    with koppeling_up("--state-dir", str(state), "--allowed-host", "koppeling.test") as urls:
        mailbox = urls["Mailbox (SMTP sink)"]
        port = mailbox.rsplit(":", 1)[1]
        api = f"{mailbox}/api/v1/messages"
        foreign = requests.get(api, headers={"Host": f"evil.example:{port}"}, timeout=5)
        assert foreign.status_code == 421
        assert foreign.headers["Content-Type"] == "application/problem+json"
        named = requests.get(api, headers={"Host": f"koppeling.test:{port}"}, timeout=5)
        assert named.status_code == 200
        too_long = requests.get(f"{mailbox}/{'a' * 5000}", timeout=5)
        assert too_long.status_code == 414
        assert too_long.headers["Content-Type"] == "application/problem+json"
        assert too_long.json()["status"] == 414
        assert (state.stat().st_mode & 0o777) == 0o700
        for name in ("state.sqlite", "state.sqlite-wal", "state.sqlite-shm"):
            assert ((state / name).stat().st_mode & 0o777) == 0o600, name


def test_allowed_hosts_come_from_the_option_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[list[str]] = []

    def stop_before_serving(config: HarnessConfig) -> None:
        seen.append(config.allowed_hosts)
        raise SystemExit(0)

    monkeypatch.setattr(cli_main, "_check_store", stop_before_serving)
    env = {"KOPPELING_UP_ALLOWED_HOST": "a.test b.test"}
    CliRunner().invoke(main, ["up"], env=env, auto_envvar_prefix="KOPPELING")
    CliRunner().invoke(main, ["up", "--allowed-host", "x.test"], auto_envvar_prefix="KOPPELING")
    assert seen == [["a.test", "b.test"], ["x.test"]]


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


SERVE_BEHIND_A_PIPE = """
import sys
from koppeling.harness import wsgi
from koppeling.harness.config import HarnessConfig
from koppeling.harness import granian_server
config = HarnessConfig.from_json(sys.argv[1])
serve = granian_server.serve if sys.argv[3] == "granian" else wsgi.serve
serve(config, workers=1, threads=2, store_ready=int(sys.argv[2]))
"""


@pytest.mark.parametrize("server", ["gunicorn", "granian"])
@pytest.mark.parametrize("ready", [False, True], ids=["check-failed", "store-ready"])
def test_the_arbiter_binds_nothing_until_the_store_is_ready(
    tmp_path: Path, ready: bool, server: str
) -> None:
    """`up` forks the server's arbiter before it makes or upgrades the store; the arbiter builds
    the apps meanwhile (without the store) and binds nothing until one byte on a pipe says the
    store is ready. A closed pipe without it (the check failed; `up` reports why) ends the
    arbiter quietly, never having bound a port."""
    config = HarnessConfig(port_base=0, state_dir=tmp_path / "state")
    with ExitStack() as held:
        config.ports = cli_main._resolve_ports(config, config.wanted_services(), held)
    if ready:
        Database(config.store_url() or "").create_all()  # what `up` does before it says so
    read_end, write_end = os.pipe()
    if ready:
        os.write(write_end, b"1")
    os.close(write_end)
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE_BEHIND_A_PIPE, config.to_json(), str(read_end), server],
        pass_fds=(read_end,),
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(read_end)
    health = f"http://127.0.0.1:{config.port('parnassys')}/__admin/health"
    try:
        answered = False
        deadline = time.monotonic() + 60
        while proc.poll() is None and not answered and time.monotonic() < deadline:
            with socket.socket() as sock:
                bound = sock.connect_ex(("127.0.0.1", config.port("parnassys"))) == 0
            answered = bound and requests.get(health, timeout=5).status_code == 200
            time.sleep(0.02)
    finally:
        proc.terminate()
        _, errors = proc.communicate(timeout=30)
    if ready:
        assert answered, "the arbiter never served after the store was ready"
    else:
        assert not answered and proc.returncode == 0, errors
        assert "Traceback" not in errors


def test_up_starts_its_core_and_workers_without_flask(tmp_path: Path) -> None:
    """`koppeling up` forks the server's arbiter before it loads any app: the arbiter imports
    Flask and builds the apps while `up` itself checks the store, builds its core and starts
    the SMTP sink and the testcentrum's workers. That overlap needs `up`'s part to import no
    web framework (nor jinja2, which only the scenario report needs); in a fresh interpreter,
    the same steps `up` takes after the fork."""
    script = f"""
import sys
from pathlib import Path
from koppeling.cli import main
from koppeling.harness.config import HarnessConfig
from koppeling.harness.core import build_core, start_workers
from koppeling.harness.services import import_stores

import_stores()
config = HarnessConfig(port_base=0, state_dir=Path({str(tmp_path)!r}))
config.ports = {{"smtp": 0}}
main._check_store(config)
core = build_core(config, store_checked=True)
workers = start_workers(config, core, config.wanted_services())
names = sorted(type(worker).__name__ for worker in workers)
for worker in reversed(workers):
    worker.stop()
core.db.dispose()
loaded = [m for m in ("flask", "werkzeug", "gunicorn", "granian", "jinja2") if m in sys.modules]
print(",".join(names), "|", ",".join(loaded) or "no web framework")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "SmtpSink,Workers | no web framework"


def test_the_granian_arbiter_builds_the_apps_without_gunicorn(tmp_path: Path) -> None:
    """Under granian the arbiter imports and builds every app, and what it imports is on the
    way to ready: gunicorn (the in-process harness's error pages subclass its worker) is not
    among it. In a fresh interpreter, the arbiter's imports and build."""
    script = f"""
import sys
from pathlib import Path
from koppeling.harness import granian_server, wsgi
from koppeling.harness.config import HarnessConfig
from koppeling.harness.services import import_stores

import_stores()
wsgi.build(HarnessConfig(port_base=0, state_dir=Path({str(tmp_path)!r})), store_checked=True)
loaded = sorted({{m.split(".")[0] for m in sys.modules if m.startswith(("gunicorn", "flask"))}})
print(",".join(loaded))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "flask"


def _holding(path: Path) -> set[int]:
    """The processes that have ``path`` open (from /proc)."""
    found = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except OSError:
            continue
        if str(path) in links:
            found.add(int(fd_dir.parent.name))
    return found


def _up_pid() -> int:
    """The one `koppeling up` among this test process's children (the fixture keeps its Popen)."""
    ups = [
        pid
        for pid in _children(os.getpid())
        if b"up" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    ]
    assert len(ups) == 1, ups
    return ups[0]


@pytest.mark.slow
@pytest.mark.parametrize("server", ["gunicorn", "granian"])
def test_the_workers_journal_is_written_by_ups_own_process(
    tmp_path: Path, server: str, koppeling_up: KoppelingUp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under `koppeling up` the workers send their journal entries to `up`'s own process,
    which masks and writes them (koppeling/harness/journal_link.py): before anyone reads the
    journal, `up` is the one process that has its file open. Its socket's directory goes with
    it."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where `up` makes the socket's directory
    state = tmp_path / "state"
    with koppeling_up("--state-dir", str(state), "--server", server) as urls:
        sockets = list(tmp_path.glob("koppeling-journal-*/socket"))
        assert len(sockets) == 1 and sockets[0].is_socket()
        for _ in range(20):
            requests.get(f"{urls['Schoolkr8']}/api/bestaat-niet", timeout=5)
        journal_file = state / "state.journal.sqlite"
        deadline = time.monotonic() + 10
        while not _holding(journal_file) and time.monotonic() < deadline:
            time.sleep(0.05)  # the journal may lag a moment
        assert _holding(journal_file) == {_up_pid()}
        journal = requests.get(f"{urls['Schoolkr8']}/__admin/requests", timeout=5).json()
        assert sum(e["path"] == "/api/bestaat-niet" for e in journal["requests"]) == 20
    assert not list(tmp_path.glob("koppeling-journal-*"))


def test_up_asks_every_service_for_its_health_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each service answers here only once the other has been asked too (a barrier): asked
    one after the other, neither ever would, and `up` would give up (HEALTHY_WITHIN)."""
    both = threading.Barrier(2, timeout=1)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            try:
                both.wait()
                status = 200
            except threading.BrokenBarrierError:
                both.reset()
                status = 503
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    class Running:
        returncode = None

        def poll(self) -> None:
            return None

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(cli_main, "HEALTHY_WITHIN", 10)
    specs = list(SERVICES[:2])
    urls = {
        s.name: f"http://127.0.0.1:{srv.server_port}" for s, srv in zip(specs, servers, strict=True)
    }
    try:
        assert cli_main._wait_healthy(urls, specs, Running()) is True  # type: ignore[arg-type]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_a_server_that_ends_while_up_is_stopping_is_no_error() -> None:
    """Ctrl-C while `up` starts reaches the server process too, which ends: `up` then stops
    quietly, as after Ctrl-C once it serves; a server that ends by itself is an error."""

    class Ended:
        returncode = -2

        def poll(self) -> int:
            return self.returncode

    specs = list(SERVICES[:1])
    urls = {specs[0].name: "http://127.0.0.1:9"}
    stopping = threading.Event()
    with pytest.raises(click.ClickException, match="exited early with code -2"):
        cli_main._wait_healthy(urls, specs, Ended(), stopping)  # type: ignore[arg-type]
    stopping.set()
    assert cli_main._wait_healthy(urls, specs, Ended(), stopping) is False  # type: ignore[arg-type]
