"""The pure parts of bench/side_by_side.py: what wrk prints and is given, the nginx config, and
the report of what is missing; and, where wrk is installed, one second of its Breng script against
a loopback server that keeps the bodies. The figures are the script's job."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str) -> ModuleType:
    """bench/<name>.py as the module ``name`` (the benches import each other by that name)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / f"bench/{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


sbs = _load("side_by_side")

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:41234/uwlr/leerlinggegevens
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   112.01ms   40.10ms 410.22ms   71.00%
    Req/Sec    71.20     20.11   120.00     68.00%
  712 requests in 5.01s, 10.66MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    142.12
Transfer/sec:      2.13MB
@@wrk requests=712 duration_us=5010000 p50_us=142700 p99_us=267600 connect=0 read=1 write=0 \
timeout=2 status=3
"""


def test_parse_wrk_reads_the_done_line() -> None:
    result = sbs.parse_wrk(WRK_OUTPUT)
    assert (result.requests, result.seconds) == (712, 5.01)
    assert (result.p50_ms, result.p99_ms) == (142.7, 267.6)
    assert result.errors == 6
    assert result.rate == pytest.approx(142.1, abs=0.1)


def test_parse_wrk_says_when_the_line_is_missing() -> None:
    with pytest.raises(ValueError, match="no @@wrk line"):
        sbs.parse_wrk("Running 5s test @ http://127.0.0.1:1/\nconnection refused\n")


def test_wrk_script_posts_the_body_file_and_prints_the_done_line(tmp_path: Path) -> None:
    body = tmp_path / "haal.xml"
    script = sbs.wrk_script("POST", {"SOAPAction": '"HaalLeerlinggegevens"'}, body)
    assert 'wrk.method = "POST"' in script
    assert 'wrk.headers["SOAPAction"] = "\\"HaalLeerlinggegevens\\""' in script
    assert f"io.open(\"{body}\", 'rb')" in script
    assert "function done(summary, latency, requests)" in script
    assert "function request()" not in script  # one fixed request: wrk's fast path


def test_wrk_script_with_a_key_prefix_makes_every_result_new() -> None:
    script = sbs.wrk_script("POST", {}, Path("/x/breng.xml"), "b")
    assert "function request()" in script
    assert "string.format('b-%d-%d', id, nr)" in script


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_sends_every_request_with_a_fresh_key_in_each_place(tmp_path: Path) -> None:
    """The real wrk runs the script for a second (1 thread, 2 connections) against a loopback
    server: every body is the file's with each RESULT_KEY replaced by one new key."""
    key = sbs.RESULT_KEY
    body = tmp_path / "breng.xml"
    body.write_text(f"<a>{key}</a><b>{key}</b>…")
    seen: list[bytes] = []

    class Keep(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keep)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        script = sbs.write_script(tmp_path, "breng", sbs.wrk_script("POST", {}, body, "b"))
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        result = sbs.run_wrk(str(shutil.which("wrk")), sbs.Load("b", url, script, 1, 2), 1)
    finally:
        server.shutdown()
        server.server_close()
    assert result.requests > 10 and len(seen) >= 10
    keys = []
    for sent in seen:
        found = re.fullmatch(r"<a>(b-1-\d+)</a><b>(b-1-\d+)</b>…", sent.decode())
        assert found is not None and found.group(1) == found.group(2), sent
        keys.append(found.group(1))
    assert len(set(keys)) == len(keys)


def test_wrk_script_without_body_is_a_plain_get() -> None:
    script = sbs.wrk_script("GET", {}, None)
    assert 'wrk.method = "GET"' in script and "io.open" not in script


def test_load_command_is_bounded_in_time() -> None:
    load = sbs.Load("x", "http://127.0.0.1:9/p", Path("/s.lua"), 2, 16)
    assert load.command("wrk", 5.0) == [
        "wrk", "-t2", "-c16", "-d5s", "--timeout", "10s", "-s", "/s.lua", "http://127.0.0.1:9/p",
    ]  # fmt: skip


def test_nginx_conf_keeps_everything_in_its_prefix(tmp_path: Path) -> None:
    conf = sbs.nginx_conf(tmp_path, 41999, "/uwlr/leerlinggegevens", tmp_path / "haal.xml")
    assert "daemon off;" in conf
    assert "listen 127.0.0.1:41999;" in conf
    assert "location = /uwlr/leerlinggegevens {" in conf
    assert f"alias {tmp_path / 'haal.xml'};" in conf
    assert "error_page 405 =200 $uri;" in conf  # POST to a static file is a 405 otherwise
    assert "access_log off;" in conf
    paths = set(re.findall(r"(?<![\w.])/[\w./-]+", conf)) - {"/uwlr/leerlinggegevens"}
    assert paths and all(p.startswith(str(tmp_path)) for p in paths), paths


def _fake_path(tmp_path: Path, *names: str) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in names:
        exe = bin_dir / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    return str(bin_dir)


def test_missing_report_names_the_install_command_and_what_is_skipped(tmp_path: Path) -> None:
    tools = sbs.find_tools(_fake_path(tmp_path, "java", "wrk"), None, tmp_path / "no-tools")
    assert tools.missing() == ["nginx", "wiremock"]
    assert not tools.wiremock
    report = sbs.missing_report(tools)
    assert len(report) == 2
    assert "`apt-get install nginx`" in report[0] and "the nginx row" in report[0]
    assert f"`npm install --prefix .tools/wiremock wiremock@{sbs.WIREMOCK_VERSION}`" in report[1]
    assert "the WireMock row" in report[1]


def test_missing_report_is_empty_when_everything_is_there(tmp_path: Path) -> None:
    jar = tmp_path / ".tools/wiremock/node_modules/wiremock/build/wiremock-standalone-3.13.2.jar"
    jar.parent.mkdir(parents=True)
    jar.write_bytes(b"")
    tools = sbs.find_tools(_fake_path(tmp_path, "java", "nginx", "wrk"), None, tmp_path / ".tools")
    assert tools.jar == jar and tools.wiremock
    assert sbs.missing_report(tools) == []


def test_a_given_jar_that_is_not_there_is_missing(tmp_path: Path) -> None:
    tools = sbs.find_tools(_fake_path(tmp_path, "java"), tmp_path / "nope.jar", tmp_path)
    assert tools.missing() == ["nginx", "wrk", "wiremock"]
    assert "apt-get install wrk" in sbs.missing_report(tools)[1]


def _load_cpu_per_request() -> ModuleType:
    return _load("cpu_per_request")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_cpu_per_request_counts_a_process_and_its_descendants() -> None:
    """bench/cpu_per_request.py sums the CPU of `koppeling up` and everything it forked."""
    cpr = _load_cpu_per_request()
    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {busy!r}])",
        ]
    )
    try:
        deadline = time.monotonic() + 30
        while len(cpr.process_tree(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        tree = cpr.process_tree(parent.pid)
        assert tree[0] == parent.pid and len(tree) == 2
        while cpr.cpu_seconds(tree) < 0.2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cpr.cpu_seconds(tree) >= 0.2  # the child's busy loop, seen through the parent
    finally:
        parent.wait(timeout=30)


def test_the_reads_only_soak_keeps_the_two_reads_of_the_mixed_load(tmp_path: Path) -> None:
    """`--soak-load reads` runs the mixed load's reads only: nothing is stored but the journal."""
    bodies = sbs.Bodies(tmp_path / "haal", b"", tmp_path / "breng", tmp_path / "pupil")
    for path in (bodies.haal, bodies.breng, bodies.pupil):
        path.write_bytes(b"x")
    urls = {"parnassys": "http://127.0.0.1:1", "schoolkr8": "http://127.0.0.1:2"}
    loads = sbs.mixed_loads(urls, bodies, tmp_path, "t")
    reads = [load for load in loads if " read " in load.name]
    assert [load.url.startswith(urls["parnassys"]) for load in reads] == [True, True]
    assert {load.name for load in loads} - {load.name for load in reads} == {
        "SOAP write (BrengLeerresultaten)",
        "REST write (Schoolkr8 new pupil)",
    }


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_rss_is_told_per_process_and_summed_over_the_tree() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == b"up\n"  # settled
        per = sbs.rss_by_process(child.pid)
        assert list(per) == [child.pid] and per[child.pid] > 1
        mine = sbs.rss_by_process(os.getpid())
        assert next(iter(mine)) == os.getpid() and child.pid in mine
        assert sbs.rss_mb(child.pid) == per[child.pid]
    finally:
        child.kill()
        child.communicate(timeout=30)  # reaped, its pipe closed


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_cpu_per_request_tells_the_busy_thread_from_the_idle_one() -> None:
    """`--threads` reads every thread's name and CPU from /proc: the thread that spun shows
    its CPU, the idle main thread next to none."""
    cpr = _load_cpu_per_request()
    busy = (
        "import threading, time\n"
        "def spin():\n"
        "    end = time.thread_time() + 0.4\n"
        "    while time.thread_time() < end: pass\n"
        "    time.sleep(30)\n"
        "threading.Thread(target=spin, daemon=True).start(); time.sleep(30)"
    )
    child = subprocess.Popen([sys.executable, "-c", busy])
    try:
        deadline = time.monotonic() + 30
        found: dict[tuple[int, int], tuple[str, float]] = {}
        while time.monotonic() < deadline:
            found = cpr.thread_cpu([child.pid])
            if any(cpu >= 0.35 for _name, cpu in found.values()):
                break
            time.sleep(0.05)
        spent = sorted(cpu for _name, cpu in found.values())
        assert {pid for pid, _tid in found} == {child.pid} and len(spent) == 2
        assert spent[-1] >= 0.35 and spent[0] < 0.2
    finally:
        child.kill()
        child.wait()


def test_cpu_per_request_leaves_no_folder_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every run makes a state folder with a store in it (megabytes after a load): the bench
    removes it when done, so A/B series do not fill the temp folder."""
    cpr = _load_cpu_per_request()
    monkeypatch.setattr(cpr.tempfile, "tempdir", str(tmp_path))
    cpr.in_process("leerlingen", 1)
    assert "leerlingen, in one process" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_stopping_the_anchors_leaves_koppeling_running(tmp_path: Path) -> None:
    """After the Haal table the bench stops the stand-ins (their pids) and nothing else."""
    procs = sbs.Procs()
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    ours = procs.start(command, tmp_path / "ours.log", stdout=subprocess.DEVNULL)
    anchor = procs.start(command, tmp_path / "anchor.log", stdout=subprocess.DEVNULL)
    try:
        procs.stop({anchor.pid})
        assert anchor.poll() is not None
        assert ours.poll() is None
    finally:
        procs.stop_all()
    assert ours.poll() is not None


def _wrk(requests: int, p99_ms: float, errors: int = 0, seconds: float = 5.0) -> object:
    return sbs.WrkResult(requests, seconds, p99_ms / 2, p99_ms, errors)


def test_a_mixed_run_adds_its_parts_up(capsys: pytest.CaptureFixture[str]) -> None:
    run = sbs.MixedRun(
        {"read": _wrk(10_000, 20.0), "write": _wrk(2_000, 45.0, 1, seconds=5.5), "x": _wrk(0, 1)},
        12,
        "the bench's own 10 ms timer late by at most 3 ms",
    )
    assert run.rate == pytest.approx(12_000 / 5.5)  # over the longest part
    assert (run.worst_p99_ms, run.errors) == (45.0, 1)
    sbs.print_mixed(run, sbs.MIXED_GOAL, "run 2: ")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("  run 2: all 12 clients: 2,182 req/s, p99 45.0 ms (worst part)")
    assert printed[0].endswith(sbs.MIXED_GOAL) and len(printed) == 5
    assert printed[-1] == "    machine: the bench's own 10 ms timer late by at most 3 ms"


def test_breng_and_mixed_read_their_goal_from_the_median_of_the_runs() -> None:
    runs = [_wrk(9_000, 30.0), _wrk(11_000, 10.0), _wrk(10_000, 99.0)]
    assert sbs.median_of(runs, "rate") == 2_000
    assert sbs.median_of(runs, "p99_ms") == 30.0


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads /proc")
def test_the_machine_watch_sees_a_stall_of_the_bench_itself(tmp_path: Path) -> None:
    """A process stopped for 0.4 s (as a paused machine stops it) finds its own timer late by
    about that much; steal is a share of the machine's CPU time."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); import side_by_side as s\n"
        "with s.MachineWatch() as w:\n"
        "    print('watching', flush=True); time.sleep(3)\n"
        "print(w.late_ms, w.steal, flush=True)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(ROOT / "bench")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "watching\n"
        time.sleep(0.2)
        os.kill(child.pid, signal.SIGSTOP)
        time.sleep(0.4)
        os.kill(child.pid, signal.SIGCONT)
        late, steal = child.stdout.readline().split()
    finally:
        child.kill()
        child.communicate(timeout=30)
    assert float(late) >= 300
    assert 0 <= float(steal) <= 1


def test_an_idle_machine_watch_reports_no_stall() -> None:
    with sbs.MachineWatch() as watch:
        time.sleep(0.1)
    assert watch.late_ms < 300  # a busy CI machine may be a little late, never this much
    assert "timer late by at most" in watch.summary()


def test_each_load_of_the_cpu_benches_is_its_wrk_processes(tmp_path: Path) -> None:
    """haal and breng: one wrk of 2 x 16 at their SOAP paths, Breng's keys prefixed with the
    tag (a new tag: new results); mixed: its four parts, tagged alike."""
    cpr = _load_cpu_per_request()
    bodies = sbs.Bodies(tmp_path / "haal", b"", tmp_path / "breng", tmp_path / "pupil")
    for path in (bodies.haal, bodies.breng, bodies.pupil):
        path.write_bytes(sbs.RESULT_KEY.encode())
    urls = {"parnassys": "http://127.0.0.1:1", "schoolkr8": "http://127.0.0.1:2"}
    (haal,) = cpr.http_loads("haal", urls, bodies, tmp_path, "r1")
    assert (haal.url, haal.threads, haal.connections) == (urls["parnassys"] + sbs.HAAL_PATH, 2, 16)
    (breng,) = cpr.http_loads("breng", urls, bodies, tmp_path, "r2")
    assert breng.url == urls["schoolkr8"] + sbs.BRENG_PATH
    assert "r2-%d-%d" in breng.script.read_text()
    mixed = cpr.http_loads("mixed", urls, bodies, tmp_path, "r3")
    assert len(mixed) == 4 and sum(load.connections for load in mixed) == 16


def test_alternate_reads_each_pair_as_b_over_a() -> None:
    _load_cpu_per_request()  # what alternate.py imports, by its name
    alternate = _load("alternate")
    assert alternate.ratios([110.0, 90.0, 5.0], [100.0, 100.0, 0.0]) == [1.1, 0.9]
