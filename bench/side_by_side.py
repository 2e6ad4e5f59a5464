"""koppeling up next to WireMock and nginx answering the same bytes, driven by wrk (prints figures).

    .venv/bin/python bench/side_by_side.py [--duration 5] [--threads 2] [--connections 16]
        [--rounds 3] [--warmup 10] [--pupils 40] [--soak 10] [--soak-load mixed|reads]
        [--wiremock-jar PATH] [--server granian|gunicorn] [--up-arg=--no-writer-process ...]

Why: "is the harness fast enough?" means little without a yardstick. This starts `koppeling up`
(granian, or gunicorn with ``--server gunicorn``; its defaults), WireMock (journal off, one stub
serving the bytes our ParnasSys mock just answered) and nginx (the same bytes from a file) on
free 127.0.0.1 ports, and drives each with wrk at the same settings after an uncounted warm-up
each, interleaved round by round; the table shows medians over the rounds and the ratios.
Then, against koppeling up only: BrengLeerresultaten with 1 result per message, a mixed load
(SOAP and REST, reads and writes, 4 wrk processes of 4 connections), isolation (health-check
latency of the other services while 8 mailbox long-polls and 12 slow-body clients hold
connections), memory and state-file size at start and end, and a soak (`--soak 600` is the
10-minute flat-memory check). Goals are printed, never asserted.

It installs and downloads nothing: it looks for java, nginx, wrk and the WireMock standalone jar
(inside `npm install --prefix .tools/wiremock wiremock@VERSION`), says what is missing with the
install command, and skips what needs it. Every process it starts is stopped on exit, Ctrl-C
included.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
WIREMOCK_VERSION = "3.13.2"
JAR_GLOB = "wiremock/node_modules/wiremock/**/wiremock*standalone*.jar"
INSTALL = {
    "java": "apt-get install default-jre-headless",
    "nginx": "apt-get install nginx",
    "wrk": "apt-get install wrk",
    "wiremock": f"npm install --prefix .tools/wiremock wiremock@{WIREMOCK_VERSION}",
}
SKIPS = {
    "wrk": "every wrk-driven figure (the table, Breng, mixed load, soak load)",
    "java": "the WireMock row and WireMock's start-up",
    "wiremock": "the WireMock row and WireMock's start-up",
    "nginx": "the nginx row",
}
HAAL_PATH = "/uwlr/leerlinggegevens"
BRENG_PATH = "/uwlr/leerresultaten"
SOAP = "text/xml; charset=utf-8"
RESULT_KEY = "BENCHRESULTKEY"  # replaced per request by the wrk script: every result is new
WRK_LINE = re.compile(r"^@@wrk (.*)$", re.MULTILINE)
BRIN = "99BE"
LEERLINGNUMMER = "0000000001"


# -- what is installed --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tools:
    java: str | None
    nginx: str | None
    wrk: str | None
    jar: Path | None

    def missing(self) -> list[str]:
        found = {"java": self.java, "nginx": self.nginx, "wrk": self.wrk, "wiremock": self.jar}
        return [name for name, where in found.items() if where is None]

    @property
    def wiremock(self) -> bool:
        return self.java is not None and self.jar is not None


def find_tools(path: str | None, jar: Path | None, tools_dir: Path) -> Tools:
    """The tools on ``path`` (None: $PATH); the jar given, else the newest under ``tools_dir``."""
    if jar is None:
        found = sorted(tools_dir.glob(JAR_GLOB))
        jar = found[-1] if found else None
    elif not jar.is_file():
        jar = None
    return Tools(
        java=shutil.which("java", path=path),
        nginx=shutil.which("nginx", path=path),
        wrk=shutil.which("wrk", path=path),
        jar=jar,
    )


def missing_report(tools: Tools) -> list[str]:
    """One line per missing tool: how to install it and what is skipped without it."""
    return [
        f"missing {name}: install with `{INSTALL[name]}`; skipping {SKIPS[name]}"
        for name in tools.missing()
    ]


# -- wrk: the scripts it runs and what it prints ------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors and non-2xx/3xx answers

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_script(
    method: str, headers: dict[str, str], body_file: Path | None, key_prefix: str | None = None
) -> str:
    """A wrk Lua script: ``method`` with ``headers`` and the body in ``body_file``; with
    ``key_prefix`` each request replaces RESULT_KEY in the body by a fresh key. Its ``done``
    prints one ``@@wrk`` line that :func:`parse_wrk` reads (latencies in microseconds)."""
    lines = [f"wrk.method = {json.dumps(method)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    if body_file is not None:
        lines += [
            f"local f = assert(io.open({json.dumps(str(body_file))}, 'rb'))",
            "wrk.body = f:read('*a')",
            "f:close()",
        ]
    if key_prefix is not None:
        lines += [
            # the body cut once at each RESULT_KEY and joined around each fresh key: a gsub
            # over the whole body per request cost wrk ~6 % of the machine's CPU
            "local pieces, from = {}, 1",
            "while true do",
            f"  local at = wrk.body:find('{RESULT_KEY}', from, true)",
            "  if not at then break end",
            "  pieces[#pieces + 1] = wrk.body:sub(from, at - 1)",
            f"  from = at + {len(RESULT_KEY)}",
            "end",
            "pieces[#pieces + 1] = wrk.body:sub(from)",
            "local n, nr = 0, 0",
            "function setup(thread) n = n + 1; thread:set('id', n) end",
            "function request()",
            "  nr = nr + 1",
            f"  local key = string.format('{key_prefix}-%d-%d', id, nr)",
            "  return wrk.format(nil, nil, nil, table.concat(pieces, key))",
            "end",
        ]
    lines += [
        "function done(summary, latency, requests)",
        "  local e = summary.errors",
        "  io.write(string.format('@@wrk requests=%d duration_us=%d p50_us=%d p99_us=%d "
        "connect=%d read=%d write=%d timeout=%d status=%d\\n', summary.requests, "
        "summary.duration, latency:percentile(50), latency:percentile(99), e.connect, e.read, "
        "e.write, e.timeout, e.status))",
        "end",
    ]
    return "\n".join(lines) + "\n"


def parse_wrk(output: str) -> WrkResult:
    """The figures of the ``@@wrk`` line our scripts' ``done`` prints."""
    found = WRK_LINE.search(output)
    if found is None:
        raise ValueError(f"no @@wrk line in wrk's output: {output[-500:]!r}")
    fields = {k: int(v) for k, v in (part.split("=") for part in found.group(1).split())}
    errors = sum(fields[k] for k in ("connect", "read", "write", "timeout", "status"))
    return WrkResult(
        requests=fields["requests"],
        seconds=fields["duration_us"] / 1e6,
        p50_ms=fields["p50_us"] / 1000,
        p99_ms=fields["p99_us"] / 1000,
        errors=errors,
    )


@dataclass(frozen=True)
class Load:
    """One wrk command line: a URL and its script, at ``threads`` x ``connections``."""

    name: str
    url: str
    script: Path
    threads: int
    connections: int

    def command(self, wrk: str, seconds: float) -> list[str]:
        return [
            wrk,
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(self.script),
            self.url,
        ]


def run_wrk(wrk: str, load: Load, seconds: float) -> WrkResult:
    done = subprocess.run(
        load.command(wrk, seconds), capture_output=True, text=True, timeout=seconds + 30
    )
    return parse_wrk(done.stdout)


def run_together(
    wrk: str, loads: list[Load], seconds: float, tick: Callable[[], None] | None = None
) -> dict[str, WrkResult]:
    """Every load at once (bounded: wrk stops itself, killed ``seconds`` + 30 s on); ``tick`` is
    called about every ``seconds``/10 (at least 1 s) while they run."""
    procs = {
        load.name: subprocess.Popen(
            load.command(wrk, seconds), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        for load in loads
    }
    deadline = time.monotonic() + seconds + 30
    try:
        while any(p.poll() is None for p in procs.values()) and time.monotonic() < deadline:
            time.sleep(max(1.0, seconds / 10) if tick else 0.2)
            if tick:
                tick()
        return {name: parse_wrk(p.communicate(timeout=5)[0]) for name, p in procs.items()}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()


# -- nginx --------------------------------------------------------------------------------------


def nginx_conf(prefix: Path, port: int, path: str, body: Path) -> str:
    """A minimal nginx.conf: everything under ``prefix``, not a daemon, no access log; POST to
    ``path`` answers 200 with the bytes of ``body`` (a static file answers POST with 405, which
    ``error_page 405 =200 $uri`` turns into the file)."""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / ('tmp_' + kind)};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""worker_processes 2;
daemon off;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
{temp}
    server {{
        listen 127.0.0.1:{port};
        location = {path} {{
            default_type "{SOAP}";
            alias {body};
            error_page 405 =200 $uri;
        }}
    }}
}}
"""


# -- processes ----------------------------------------------------------------------------------


#: `koppeling up`'s server settings (its defaults), for the floor row
WORKER_CLASS = "koppeling.harness.early_errors.ProblemThreadWorker"
UP_WORKERS, UP_THREADS = 2, 32


class Procs:
    """Every process this script starts; :meth:`stop_all` ends them, newest first."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []

    def start(
        self, cmd: list[str], log: Path, stdout: int, env: dict[str, str] | None = None
    ) -> subprocess.Popen[str]:
        """``cmd`` in its own session (Ctrl-C reaches only us: we stop it), stderr to ``log``."""
        with log.open("w") as err:
            proc = subprocess.Popen(
                cmd, stdout=stdout, stderr=err, text=True, start_new_session=True, env=env
            )
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        """SIGTERM each (koppeling up stops its gunicorn, nginx its workers); after 15 s,
        SIGKILL to the process group the process leads."""
        self.stop({proc.pid for proc in self.started})

    def stop(self, pids: set[int]) -> None:
        """Stop the started processes whose pid is in ``pids`` (newest first), as
        :meth:`stop_all` does."""
        for proc in reversed(self.started):
            if proc.pid in pids and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[str], started: float, limit: float = 60) -> float:
    """Seconds from ``started`` until ``url`` answers 200 (polled every 20 ms)."""
    deadline = started + limit
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args!r} exited with {proc.returncode} before {url} answered")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except requests.RequestException:
            pass
        time.sleep(0.02)
    raise SystemExit(f"{url} did not answer 200 within {limit:.0f} s")


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, MB (shared pages counted per process)."""
    return sum(rss_by_process(pid).values())


def rss_by_process(pid: int) -> dict[int, float]:
    """Resident memory (MB) of ``pid`` and of each of its descendants, parents first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: dict[int, float] = {}
    todo = [pid]
    while todo:
        current = todo.pop(0)
        todo += sorted(children.get(current, []))
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        line = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        found[current] = int(line.group(1)) / 1024 if line else 0.0
    return found


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def cpu_ticks() -> tuple[int, int] | None:
    """(steal, all) CPU ticks of the machine so far (/proc/stat), None where there is none."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


class MachineWatch:
    """While a load runs: how late this process's own 10 ms sleeps woke, at most, and the share
    of CPU time the hypervisor took (steal, /proc/stat). A stall of the whole machine (a virtual
    machine paused, a host too busy) makes the bench's own timer late as well; a stall of
    koppeling up alone does not. So when a run's p99 jumps, this tells which it was."""

    TICK = 0.01

    def __init__(self) -> None:
        self.late_ms = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="machine-watch", daemon=True)
        self._ticks: tuple[int, int] | None = None
        self.steal: float | None = None

    def __enter__(self) -> MachineWatch:
        self._ticks = cpu_ticks()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        after = cpu_ticks()
        if self._ticks is not None and after is not None and after[1] > self._ticks[1]:
            self.steal = (after[0] - self._ticks[0]) / (after[1] - self._ticks[1])

    def _watch(self) -> None:
        while True:
            started = time.perf_counter()
            if self._stop.wait(self.TICK):
                return
            self.late_ms = max(self.late_ms, (time.perf_counter() - started - self.TICK) * 1000)

    def summary(self) -> str:
        steal = "" if self.steal is None else f", steal {self.steal:.1%}"
        return f"the bench's own 10 ms timer late by at most {self.late_ms:.0f} ms{steal}"


# -- the three servers --------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    url: str  # where the HaalLeerlinggegevens POST goes
    pid: int
    start_s: float
    runs: list[WrkResult] = field(default_factory=list)


@dataclass
class Koppeling:
    urls: dict[str, str]
    pid: int
    start_s: float
    state_dir: Path


def start_koppeling(
    procs: Procs,
    tmp: Path,
    store: str | None = None,
    extra: list[str] | None = None,
    server: str = "granian",
    env: dict[str, str] | None = None,
) -> Koppeling:
    """`koppeling up` (``server``, its default workers and threads) on free ports with a state
    folder in ``tmp`` (or on ``store``, a store URL), plus the ``extra`` options and with
    ``env`` as its environment (default: this process's): the time until all six services
    answer /__admin/health."""
    state = tmp / "state"
    cmd = [str(Path(sys.executable).parent / "koppeling"), "up", "--port-base", "0"]
    cmd += ["--store", store] if store else ["--state-dir", str(state)]
    cmd += ["--server", server, *(extra or [])]
    started = time.perf_counter()
    proc = procs.start(cmd, tmp / "koppeling.log", stdout=subprocess.PIPE, env=env)
    first = None
    assert proc.stdout is not None
    for line in proc.stdout:  # `up` gives up by itself after 30 s
        first = first or re.search(r"http://127\.0\.0\.1:\d+", line)
        if line.startswith("  store:"):
            break
    if first is None or proc.poll() is not None:
        raise SystemExit(f"koppeling up did not start; see {(tmp / 'koppeling.log').read_text()}")
    urls = requests.get(first.group(0) + "/__admin/services", timeout=10).json()["services"]
    for url in urls.values():
        wait_http(url + "/__admin/health", proc, started)
    return Koppeling(urls, proc.pid, time.perf_counter() - started, state)


def start_wiremock(procs: Procs, tools: Tools, tmp: Path, answer: bytes) -> Server:
    """WireMock standalone, request journal off, one stub: POST HAAL_PATH -> ``answer``."""
    root = tmp / "wiremock"
    (root / "mappings").mkdir(parents=True)
    (root / "__files").mkdir()
    (root / "__files" / "haal.xml").write_bytes(answer)
    stub = {
        "request": {"method": "POST", "url": HAAL_PATH},
        "response": {"status": 200, "bodyFileName": "haal.xml", "headers": {"Content-Type": SOAP}},
    }
    (root / "mappings" / "haal.json").write_text(json.dumps(stub))
    port = free_port()
    assert tools.java is not None and tools.jar is not None
    cmd = [tools.java, "-jar", str(tools.jar), "--port", str(port), "--bind-address", "127.0.0.1"]
    cmd += ["--no-request-journal", "--disable-banner", "--disable-gzip", "--root-dir", str(root)]
    started = time.perf_counter()
    proc = procs.start(cmd, tmp / "wiremock.log", stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    start_s = wait_http(base + "/__admin/health", proc, started)
    return Server("WireMock (journal off)", base + HAAL_PATH, proc.pid, start_s)


def start_floor(procs: Procs, tmp: Path, answer: bytes, server: str = "granian") -> Server:
    """bench/floor_app.py (one Flask route, the same bytes) under ``server`` with the settings
    `koppeling up` uses: what the server and the framework cost without any harness work."""
    body = tmp / "floor.xml"
    body.write_bytes(answer)
    port = free_port()
    here = str(Path(__file__).resolve().parent)
    if server == "granian":  # granian's own command line: 2 workers, WSGI, 32 Python threads
        cmd = [sys.executable, "-m", "granian", "--interface", "wsgi", "--working-dir", here]
        cmd += ["--workers", str(UP_WORKERS), "--blocking-threads", str(UP_THREADS)]
        cmd += ["--log-level", "warning", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["floor_app:app"]
    else:
        cmd = [sys.executable, "-m", "gunicorn", "--worker-class", WORKER_CLASS]
        cmd += ["--workers", str(UP_WORKERS), "--threads", str(UP_THREADS)]
        cmd += ["--log-level", "warning", "--chdir", here]
        cmd += ["--bind", f"127.0.0.1:{port}", "floor_app:app"]
    started = time.perf_counter()
    env = {**os.environ, "KOPPELING_FLOOR_ANSWER": str(body)}
    proc = procs.start(cmd, tmp / "floor.log", stdout=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    start_s = wait_http(base + "/__admin/health", proc, started)
    return Server(f"{server} + Flask, same bytes (floor)", base + HAAL_PATH, proc.pid, start_s)


def start_nginx(procs: Procs, nginx: str, tmp: Path, answer: bytes) -> Server:
    """nginx with a generated config in ``tmp``/nginx, answering POST HAAL_PATH with ``answer``."""
    prefix = tmp / "nginx"
    prefix.mkdir()
    body = prefix / "haal.xml"
    body.write_bytes(answer)
    port = free_port()
    (prefix / "nginx.conf").write_text(nginx_conf(prefix, port, HAAL_PATH, body))
    cmd = [nginx, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", "nginx.conf"]
    started = time.perf_counter()
    proc = procs.start(cmd, tmp / "nginx.log", stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    start_s = wait_http(base + HAAL_PATH, proc, started)
    return Server("nginx static", base + HAAL_PATH, proc.pid, start_s)


# -- the workload -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bodies:
    """The request and answer files the wrk scripts and the stubs use."""

    haal: Path  # HaalLeerlinggegevens request
    answer: bytes  # what koppeling up answered to it
    breng: Path  # BrengLeerresultaten, 1 result, RESULT_KEY to replace
    pupil: Path  # JSON of a new Schoolkr8 pupil


def prepare(urls: dict[str, str], pupils: int, tmp: Path) -> Bodies:
    """A ParnasSys school of ``pupils`` pupils with a key, a Schoolkr8 key by mail for the same
    school with one numbered pupil; the request bodies, and ParnasSys's answer."""
    from koppeling.client import Klant, LasAdmin, MailboxClient, Schoolkr8Admin, SchoolRef
    from koppeling.client.flows import create_las_school, number_leerlingen, schoolkr8_sleutel

    school, klant = SchoolRef(BRIN), Klant("BENCH", "Bench")
    made = create_las_school(
        LasAdmin(urls["parnassys"], timeout=60), school, klant, aantal_leerlingen=pupils, seed=40
    )
    haal = haal_request(made.sleutel, str(made.data["schooljaar"]))
    sk8 = Schoolkr8Admin(urls["schoolkr8"], timeout=30)
    mailbox = MailboxClient(urls["mailbox"], timeout=30)
    key = schoolkr8_sleutel(sk8, mailbox, school, f"bench@{BRIN.lower()}.school.test").sleutel
    number_leerlingen(sk8, school, [LEERLINGNUMMER])
    answer = post_ok(urls["parnassys"] + HAAL_PATH, haal, "HaalLeerlinggegevens")
    breng = breng_request(key)
    post_ok(
        urls["schoolkr8"] + BRENG_PATH,
        breng.replace(RESULT_KEY.encode(), b"probe"),
        "BrengLeerresultaten",
    )
    files = {"haal": haal, "breng": breng, "pupil": json.dumps(pupil_json()).encode()}
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    return Bodies(tmp / "haal", answer, tmp / "breng", tmp / "pupil")


def haal_request(key: str, schooljaar: str = "2026-2027") -> bytes:
    """HaalLeerlinggegevens for the bench's school (BRIN), from klant BENCH with ``key``."""
    from koppeling.uwlr.autorisatie import Autorisatie
    from koppeling.uwlr.leerlinggegevens import build_request

    return build_request(
        "HaalLeerlinggegevens",
        Autorisatie(key, "BENCH", "Bench"),
        schooljaar=schooljaar,
        brincode=BRIN,
    )


def breng_request(key: str) -> bytes:
    """BrengLeerresultaten with one normed result for LEERLINGNUMMER, keyed RESULT_KEY."""
    from koppeling.uwlr.autorisatie import Autorisatie
    from koppeling.uwlr.leerresultaten import (
        LeerresultatenVerzoek,
        Resultaat,
        School,
        Toets,
        Toetsafname,
        build_verzoek,
        request_envelope,
    )

    resultaat = Resultaat.genormeerd(
        RESULT_KEY, date(2026, 10, 30), "LVS RW 2019", ruwe_score=40, percentiel=55, dle=22
    )
    verzoek = LeerresultatenVerzoek(
        School("2026-2027", BRIN, datetime(2026, 11, 2, tzinfo=UTC), "00"),
        (Toetsafname(LEERLINGNUMMER, (resultaat,)),),
        (Toets("LVS RW 2019", "LVS RW"),),
    )
    return request_envelope(build_verzoek(verzoek), Autorisatie(key, "BENCH", "Bench"))


def pupil_json() -> dict[str, str]:
    return {
        "voornaam": "Bench",
        "achternaam": "Leerling",
        "geboortedatum": "2017-05-01",
        "groep": "5",
    }


def post_ok(url: str, body: bytes, action: str) -> bytes:
    resp = requests.post(url, data=body, headers=soap_headers(action), timeout=30)
    if resp.status_code != 200 or b"Fault>" in resp.content:
        raise SystemExit(f"{url} answered {resp.status_code}: {resp.content[:300]!r}")
    return resp.content


def soap_headers(action: str) -> dict[str, str]:
    return {"Content-Type": SOAP, "SOAPAction": f'"{action}"'}


def write_script(tmp: Path, name: str, text: str) -> Path:
    path = tmp / f"{name}.lua"
    path.write_text(text)
    return path


def mixed_loads(urls: dict[str, str], bodies: Bodies, tmp: Path, tag: str) -> list[Load]:
    """SOAP and REST, reads and writes: 4 wrk processes of 1 thread x 4 connections."""
    rest = f"/api/scholen/{BRIN}/00/leerlingen"
    json_headers = {"Content-Type": "application/json"}
    scripts = {
        "SOAP read (HaalLeerlinggegevens)": (
            urls["parnassys"] + HAAL_PATH,
            wrk_script("POST", soap_headers("HaalLeerlinggegevens"), bodies.haal),
        ),
        "SOAP write (BrengLeerresultaten)": (
            urls["schoolkr8"] + BRENG_PATH,
            wrk_script("POST", soap_headers("BrengLeerresultaten"), bodies.breng, tag),
        ),
        "REST read (LAS leerlingen)": (urls["parnassys"] + rest, wrk_script("GET", {}, None)),
        "REST write (Schoolkr8 new pupil)": (
            urls["schoolkr8"] + rest,
            wrk_script("POST", json_headers, bodies.pupil),
        ),
    }
    return [
        Load(name, url, write_script(tmp, f"{tag}{i}", text), 1, 4)
        for i, (name, (url, text)) in enumerate(scripts.items())
    ]


# -- the phases ---------------------------------------------------------------------------------


def check_same_bytes(servers: list[Server], bodies: Bodies) -> None:
    """The stand-ins answer exactly the bytes koppeling up answered (koppeling up's own answers
    differ from each other only in aanmaakdatum, the time of the answer)."""
    for server in servers:
        got = post_ok(server.url, bodies.haal.read_bytes(), "HaalLeerlinggegevens")
        if got != bodies.answer:
            raise SystemExit(f"{server.name} answers {len(got)} bytes, not the same bytes")


def side_by_side(servers: list[Server], wrk: str, bodies: Bodies, args: argparse.Namespace) -> None:
    """A warm-up run per server (not counted: the JVM compiles as it goes), then
    ``args.rounds`` rounds, each server once per round (interleaved: load spikes spread)."""
    script = write_script(
        bodies.haal.parent,
        "haal",
        wrk_script("POST", soap_headers("HaalLeerlinggegevens"), bodies.haal),
    )
    loads = [Load(s.name, s.url, script, args.threads, args.connections) for s in servers]
    if args.warmup > 0:
        for load in loads:
            run_wrk(wrk, load, args.warmup)
    for _ in range(args.rounds):
        for server, load in zip(servers, loads, strict=True):
            server.runs.append(run_wrk(wrk, load, args.duration))
    print(
        f"\nHaalLeerlinggegevens, {args.pupils} pupils ({len(bodies.answer):,} bytes), "
        f"after a {args.warmup:g} s warm-up each, "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s x{args.rounds}, medians"
    )
    print("| server | req/s | p50 ms | p99 ms | RSS MB | start → healthy | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for s in servers:
        print(
            f"| {s.name} | {median(s, 'rate'):,.0f} | {median(s, 'p50_ms'):.1f} | "
            f"{median(s, 'p99_ms'):.1f} | {rss_mb(s.pid):.0f} | {s.start_s:.2f} s | "
            f"{sum(r.errors for r in s.runs)} |"
        )
    for other in servers[1:]:
        print(ratio_line(servers[0], other))


def median(server: Server, attr: str) -> float:
    return median_of(server.runs, attr)


def ratio_line(ours: Server, other: Server) -> str:
    return (
        f"koppeling / {other.name.split()[0]}: "
        f"req/s ×{median(ours, 'rate') / median(other, 'rate'):.3f}, "
        f"p50 ×{median(ours, 'p50_ms') / median(other, 'p50_ms'):.1f}, "
        f"p99 ×{median(ours, 'p99_ms') / median(other, 'p99_ms'):.1f}"
    )


def breng(k: Koppeling, wrk: str, bodies: Bodies, args: argparse.Namespace) -> None:
    """``args.rounds`` runs of BrengLeerresultaten (each with keys of its own: every result is
    new), each printed; the goal is read from their median, as the Haal table's figures."""
    headers = soap_headers("BrengLeerresultaten")
    runs, watches = [], []
    for n in range(1, args.rounds + 1):
        text = wrk_script("POST", headers, bodies.breng, f"b{n}")
        script = write_script(bodies.haal.parent, f"breng{n}", text)
        load = Load(
            f"breng {n}", k.urls["schoolkr8"] + BRENG_PATH, script, args.threads, args.connections
        )
        with MachineWatch() as watch:
            runs.append(run_wrk(wrk, load, args.duration))
        watches.append(watch)
    print(
        f"\nBrengLeerresultaten, 1 result per message, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:g}s x{args.rounds}, median: {median_of(runs, 'rate'):,.0f} results/s, "
        f"p50 {median_of(runs, 'p50_ms'):.1f} ms, p99 {median_of(runs, 'p99_ms'):.1f} ms, "
        f"{sum(r.errors for r in runs)} errors   (goal >= 2,000 results/s)"
    )
    for n, (r, watch) in enumerate(zip(runs, watches, strict=True), 1):
        print(f"  run {n}: {r.rate:,.0f} results/s, p99 {r.p99_ms:.1f} ms; {watch.summary()}")


def median_of(runs: list[WrkResult], attr: str) -> float:
    return statistics.median(float(getattr(r, attr)) for r in runs)


@dataclass(frozen=True)
class MixedRun:
    """One run of the mixed load: each part's figures, and the whole's."""

    parts: dict[str, WrkResult]
    clients: int = 0  # wrk connections of all the parts
    machine: str = ""  # MachineWatch.summary() of the run

    @property
    def rate(self) -> float:
        """Requests of every part over the longest part's seconds."""
        return sum(r.requests for r in self.parts.values()) / max(
            r.seconds for r in self.parts.values()
        )

    @property
    def worst_p99_ms(self) -> float:
        return max(r.p99_ms for r in self.parts.values())

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.parts.values())


def mixed(
    k: Koppeling,
    wrk: str,
    bodies: Bodies,
    seconds: float,
    tag: str,
    tick: Callable[[], None] | None = None,
    reads_only: bool = False,
) -> MixedRun:
    """The mixed load (:func:`mixed_loads`), or only its two reads (``reads_only``: nothing is
    stored but the bounded journal)."""
    loads = mixed_loads(k.urls, bodies, bodies.haal.parent, tag)
    if reads_only:
        loads = [load for load in loads if " read " in load.name]
    with MachineWatch() as watch:
        parts = run_together(wrk, loads, seconds, tick)
    return MixedRun(parts, sum(load.connections for load in loads), watch.summary())


#: the mixed load's goal, printed beside its figures
MIXED_GOAL = "   (goal >= 3,000 req/s, p99 < 50 ms, 0 errors)"


def print_mixed(run: MixedRun, goal: str = "", lead: str = "") -> None:
    print(
        f"  {lead}all {run.clients} clients: {run.rate:,.0f} req/s, "
        f"p99 {run.worst_p99_ms:.1f} ms (worst part), {run.errors} errors{goal}"
    )
    for name, r in run.parts.items():
        print(
            f"    {name:<34} {r.rate:7,.0f} req/s  p50 {r.p50_ms:7.1f} ms  "
            f"p99 {r.p99_ms:7.1f} ms  {r.errors} errors"
        )
    if run.machine:
        print(f"    machine: {run.machine}")


def mixed_rounds(k: Koppeling, wrk: str, bodies: Bodies, args: argparse.Namespace) -> None:
    """``args.rounds`` runs of the mixed load, each printed; the goal is read from their
    medians (req/s, and the worst part's p99 of each run), as the Haal table's figures."""
    runs = [mixed(k, wrk, bodies, args.duration, f"m{n}") for n in range(1, args.rounds + 1)]
    print(
        f"\nMixed load, 16 clients (4 wrk processes x 4 connections), {args.duration:g} s "
        f"x{args.rounds}, median: {statistics.median(r.rate for r in runs):,.0f} req/s, p99 "
        f"{statistics.median(r.worst_p99_ms for r in runs):.1f} ms (worst part), "
        f"{sum(r.errors for r in runs)} errors{MIXED_GOAL}"
    )
    for n, run in enumerate(runs, 1):
        print_mixed(run, lead=f"run {n}: ")


def state_files(k: Koppeling) -> dict[str, int]:
    """The size of every file in the state folder (the store, its WAL and shared memory)."""
    return {p.name: p.stat().st_size for p in sorted(k.state_dir.glob("*")) if p.is_file()}


def snapshot(k: Koppeling) -> tuple[float, int]:
    """koppeling up's RSS (MB, its whole process tree) and the state folder's size (bytes)."""
    return rss_mb(k.pid), sum(state_files(k).values())


#: the tables a soak's rows land in: the journal (bounded) and what the mocks keep (by design)
SOAK_TABLES = ("journal", "sk8_resultaten", "sk8_leerlingen")


def stored_rows(k: Koppeling) -> dict[str, int]:
    """Rows in :data:`SOAK_TABLES`, read from the state files (read-only; none for a server):
    the journal from its own file beside the store, the rest from the store."""
    found: dict[str, int] = {}
    for name, tables in (
        ("state.sqlite", SOAK_TABLES[1:]),
        ("state.journal.sqlite", SOAK_TABLES[:1]),
    ):
        store = k.state_dir / name
        if not store.exists():
            continue
        with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)) as conn:
            for t in tables:
                found[t] = conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
    return found


def soak(k: Koppeling, wrk: str, bodies: Bodies, seconds: float, reads_only: bool = False) -> None:
    """The mixed load (or its reads only) for ``seconds``, sampling memory, state size and
    stored rows about 10 times: memory should level off; the state grows only by what the mocks
    keep by design (the results and pupils the load sends), the journal staying at its bound.
    With ``reads_only`` nothing is kept but the bounded journal, so what still grows is not the
    stored rows."""
    started = time.monotonic()
    samples = [(0.0, *snapshot(k), stored_rows(k))]
    first = rss_by_process(k.pid)

    def sample() -> None:
        samples.append((time.monotonic() - started, *snapshot(k), stored_rows(k)))

    what = "its reads only (Haal, GET leerlingen)" if reads_only else "the mixed load"
    print(f"\nSoak: {what} for {seconds:g} s, RSS and state sampled while it runs")
    run = mixed(k, wrk, bodies, seconds, "s", sample, reads_only)
    print_mixed(run, "" if reads_only else MIXED_GOAL)
    sample()
    last = rss_by_process(k.pid)
    print("  | s | RSS MB | state MB | " + " | ".join(SOAK_TABLES) + " |")
    for at, rss, size, rows in samples:
        counts = " | ".join(f"{rows.get(t, 0):,}" for t in SOAK_TABLES)
        print(f"  | {at:.0f} | {rss:.0f} | {size / 1e6:.1f} | {counts} |")
    rss_all = [s[1] for s in samples]
    half = rss_all[len(rss_all) // 2]
    print(
        f"  RSS {rss_all[0]:.0f} → {rss_all[-1]:.0f} MB (min {min(rss_all):.0f}, max "
        f"{max(rss_all):.0f}; second half {half:.0f} → {rss_all[-1]:.0f}); state "
        f"{samples[0][2] / 1e6:.1f} → {samples[-1][2] / 1e6:.1f} MB"
        "   (goal: flat memory over 10 minutes: --soak 600)"
    )
    print(
        "  RSS per process, start → end (MB): "
        + ", ".join(
            f"{pid} {first.get(pid, 0):.0f} → {mb:.0f}" if pid in first else f"{pid} (new) {mb:.0f}"
            for pid, mb in last.items()
        )
        + f"   ({k.pid} is koppeling up, then the arbiter and its workers)"
    )


def health_ms(url: str, timeout: float) -> str:
    started = time.perf_counter()
    try:
        status = requests.get(url + "/__admin/health", timeout=timeout).status_code
    except requests.Timeout:
        return f"timeout (> {timeout:g} s)"
    except requests.RequestException as exc:
        return f"error {type(exc).__name__}"
    return f"{(time.perf_counter() - started) * 1000:.0f} ms" + (
        "" if status == 200 else f" ({status})"
    )


def health_all(urls: dict[str, str], timeout: float) -> dict[str, str]:
    """Every service's health-check latency, all asked at once."""
    found: dict[str, str] = {}
    threads = [
        threading.Thread(target=lambda n=name, u=url: found.__setitem__(n, health_ms(u, timeout)))
        for name, url in urls.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 5)
    return found


def long_poll(url: str) -> None:
    """A mailbox search for a mail that never comes, waiting 10 s server-side."""
    query = {"query": "to:nobody@isolation.test", "wait": "10"}
    with suppress(requests.RequestException):
        requests.get(url + "/api/v1/search", params=query, timeout=20)


def slow_body(url: str, stop: threading.Event, seconds: float) -> None:
    """A SOAP POST whose body trickles in at 2 bytes/s until ``stop`` or ``seconds``."""
    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST {HAAL_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {SOAP}\r\n"
        "Content-Length: 100000\r\n\r\n"
    )
    deadline = time.monotonic() + seconds
    try:
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(head.encode())
            while not stop.wait(0.5) and time.monotonic() < deadline:
                sock.sendall(b" ")
    except OSError:
        pass


def isolation(k: Koppeling) -> None:
    """Health-check latency of the other four services, idle and while 8 mailbox long-polls and
    12 slow-body clients to ParnasSys hold connections (bounded: 10 s polls, 12 s trickles)."""
    others = {n: u for n, u in k.urls.items() if n not in ("mailbox", "parnassys")}
    idle = health_all(others, 20)
    stop = threading.Event()
    threads = [threading.Thread(target=long_poll, args=(k.urls["mailbox"],)) for _ in range(8)]
    threads += [
        threading.Thread(target=slow_body, args=(k.urls["parnassys"], stop, 12)) for _ in range(12)
    ]
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)
        open_polls = sum(t.is_alive() for t in threads[:8])
        open_bodies = sum(t.is_alive() for t in threads[8:])
        loaded = health_all(others, 20)
    finally:
        stop.set()
        for t in threads:
            t.join(25)
    print(
        "\nIsolation: health-check latency, idle → with 8 mailbox long-polls (wait=10) and "
        f"12 slow-body clients on ParnasSys open ({open_polls} and {open_bodies} still open "
        "when the health checks went out)"
    )
    for name in others:
        print(f"  {name:<15} {idle[name]:>10} → {loaded.get(name, 'no answer')}   (goal < 100 ms)")


def run(args: argparse.Namespace, tools: Tools, procs: Procs, tmp: Path) -> None:
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"load average {load_average()}"
    )
    up_args = [part for arg in args.up_arg for part in arg.split("=", 1)]
    k = start_koppeling(procs, tmp, args.store, up_args, server=args.server)
    if args.store:
        print(f"store: {args.store.split('@')[-1]} (state files below: none, it is a server)")
    bodies = prepare(k.urls, args.pupils, tmp)
    start_mem = snapshot(k)
    servers = [
        Server(f"koppeling up ({args.server})", k.urls["parnassys"] + HAAL_PATH, k.pid, k.start_s)
    ]
    servers.append(start_floor(procs, tmp, bodies.answer, args.server))
    if tools.wiremock:
        servers.append(start_wiremock(procs, tools, tmp, bodies.answer))
    if tools.nginx:
        servers.append(start_nginx(procs, tools.nginx, tmp, bodies.answer))
    check_same_bytes(servers[1:], bodies)
    if tools.wrk:
        side_by_side(servers, tools.wrk, bodies, args)
    # what follows measures koppeling up alone: the stand-ins would only take memory and CPU
    # (a JVM compiles and collects for seconds after its load ends)
    procs.stop({s.pid for s in servers[1:]})
    print(f"\n(stopped: {', '.join(s.name for s in servers[1:])}; koppeling up runs alone now)")
    if tools.wrk:
        breng(k, tools.wrk, bodies, args)
        mixed_rounds(k, tools.wrk, bodies, args)
        soak(k, tools.wrk, bodies, args.soak, args.soak_load == "reads")
    print(
        "\nStart → healthy, same run: "
        + ", ".join(f"{s.name} {s.start_s:.2f} s" for s in servers)
        + "   (goal: koppeling up < 1 s and <= 0.5x WireMock's)"
    )
    isolation(k)
    end_mem = snapshot(k)
    print(
        f"\nkoppeling up at start → end of the run: RSS {start_mem[0]:.0f} → {end_mem[0]:.0f} MB, "
        f"state files {start_mem[1] / 1e6:.2f} → {end_mem[1] / 1e6:.2f} MB ("
        + ", ".join(f"{name} {size / 1e6:.2f}" for name, size in state_files(k).items())
        + ")"
    )
    print(f"load average at the end: {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument(
        "--up-arg",
        action="append",
        default=[],
        help="an option for koppeling up, e.g. --up-arg=--no-writer-process (repeatable)",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (-t)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (-c)")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per server (medians)")
    parser.add_argument("--warmup", type=float, default=10.0, help="uncounted seconds per server")
    parser.add_argument("--pupils", type=int, default=40, help="pupils of the LAS school")
    parser.add_argument("--soak", type=float, default=10.0, help="seconds of mixed load (soak)")
    parser.add_argument(
        "--soak-load",
        choices=["mixed", "reads"],
        default="mixed",
        help="the soak's load: the mixed load, or only its reads (nothing stored but the journal)",
    )
    parser.add_argument("--wiremock-jar", type=Path, help="default: found under .tools/")
    parser.add_argument(
        "--server", choices=["granian", "gunicorn"], default="granian", help="koppeling up's"
    )
    parser.add_argument(
        "--store",
        help="koppeling up's store URL (default: SQLite in the temp folder); 'postgres' starts a "
        "throwaway PostgreSQL cluster (koppeling/testing/pgcluster.py) for the run",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on SIGTERM too
    tools = find_tools(None, args.wiremock_jar, ROOT / ".tools")
    for line in missing_report(tools):
        print(line)
    procs = Procs()
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as name:
        tmp = Path(name)
        tmp.chmod(0o755)  # nginx's workers (nobody, when run as root) read the answer file
        cluster = None
        try:
            if args.store == "postgres":
                from koppeling.testing.pgcluster import PgCluster

                cluster = PgCluster().start()
                args.store = cluster.create_database("bench")
            run(args, tools, procs, tmp)
        except KeyboardInterrupt:
            raise SystemExit("interrupted") from None
        finally:
            procs.stop_all()
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    main()
