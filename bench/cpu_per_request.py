"""CPU per request of one load, over HTTP or in one process (prints figures, for A/B runs).

    .venv/bin/python bench/cpu_per_request.py haal|breng|mixed [--seconds 8]
        [--up-arg=--workers=4 ...] [--threads]
    .venv/bin/python bench/cpu_per_request.py --in-process haal|breng|leerlingen|pupil
        [--requests 3000]

Why: on a shared machine req/s and latency move by a third from one run to the next, the CPU a
request costs much less. Over HTTP this starts `koppeling up` (as bench/side_by_side.py does,
plus any ``--up-arg``), prepares the same data, runs one of its loads with wrk and prints
req/s, p50, p99 and the CPU seconds all of koppeling's processes spent (from /proc) per
request. ``--in-process`` calls one service's WSGI app in a loop on a werkzeug-less harness
(no server, no socket) and prints the CPU of the request thread and of the whole process (the
journal writer included) per request: the harness's own work, without the server's. Besides
the two SOAP loads it measures the mixed load's two REST requests: ``leerlingen`` (GET the LAS
school's pupils) and ``pupil`` (POST a new pupil to Schoolkr8). Run the two sides of an A/B
interleaved, in the same minutes.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import side_by_side as sbs  # noqa: E402


def process_tree(pid: int) -> list[int]:
    """``pid`` and every descendant (koppeling up -> gunicorn's arbiter -> its workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        children = subprocess.run(
            ["pgrep", "-P", str(current)], capture_output=True, text=True
        ).stdout.split()
        todo += [int(child) for child in children]
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def thread_cpu(pids: list[int]) -> dict[tuple[int, int], tuple[str, float]]:
    """(pid, thread id) -> (the thread's name as the kernel knows it, its CPU seconds)."""
    found = {}
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                name = (task / "comm").read_text().strip()
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks = int(fields[11]) + int(fields[12])
            found[(pid, int(task.name))] = (name, ticks / os.sysconf("SC_CLK_TCK"))
    return found


def print_threads(
    before: dict[tuple[int, int], tuple[str, float]],
    after: dict[tuple[int, int], tuple[str, float]],
    requests: float,
) -> None:
    """The threads that spent the most CPU during the load, per request. Under granian a
    request runs in one of granian's threads (``tokio-rt-worker``); threads the harness
    starts itself keep the process's name (``koppeling``): in a worker, the busiest of those
    is its journal writer (``py-spy dump --pid <pid>`` names each thread id)."""
    spent = sorted(
        ((cpu - before.get(key, (name, 0.0))[1], key, name) for key, (name, cpu) in after.items()),
        reverse=True,
    )
    by_name: dict[str, float] = {}
    for cpu, _key, name in spent:
        by_name[name] = by_name.get(name, 0.0) + cpu
    total = sum(by_name.values()) or 1.0
    print(
        "  CPU by thread name: "
        + ", ".join(
            f"{name} {cpu / total:.0%}"
            for name, cpu in sorted(by_name.items(), key=lambda i: -i[1])
        )
    )
    for cpu, (pid, tid), name in spent[:6]:
        print(
            f"    pid {pid} thread {tid} ({name}): {cpu:.2f} s, "
            f"{cpu / max(requests, 1) * 1000:.3f} ms/request"
        )


def http_loads(
    load: str, urls: dict[str, str], bodies: sbs.Bodies, tmp: Path, tag: str
) -> list[sbs.Load]:
    """The wrk processes of one load: ``haal`` or ``breng`` (2 threads x 16 connections, Breng's
    result keys prefixed with ``tag``: a new tag, new results) or ``mixed``."""
    if load == "haal":
        script = sbs.wrk_script("POST", sbs.soap_headers("HaalLeerlinggegevens"), bodies.haal)
        url = urls["parnassys"] + sbs.HAAL_PATH
        return [sbs.Load("haal", url, sbs.write_script(tmp, f"haal{tag}", script), 2, 16)]
    if load == "breng":
        headers = sbs.soap_headers("BrengLeerresultaten")
        script = sbs.wrk_script("POST", headers, bodies.breng, tag)
        url = urls["schoolkr8"] + sbs.BRENG_PATH
        return [sbs.Load("breng", url, sbs.write_script(tmp, f"breng{tag}", script), 2, 16)]
    return sbs.mixed_loads(urls, bodies, tmp, f"m{tag}")


def over_http(load: str, seconds: float, up_args: list[str], threads: bool = False) -> None:
    tools = sbs.find_tools(None, None, sbs.ROOT / ".tools")
    if tools.wrk is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    procs = sbs.Procs()
    tmp = Path(tempfile.mkdtemp(prefix="cpu-per-request-"))
    try:
        k = sbs.start_koppeling(procs, tmp, extra=up_args)
        bodies = sbs.prepare(k.urls, 40, tmp)
        loads = http_loads(load, k.urls, bodies, tmp, "b")
        pids = process_tree(k.pid)
        before, tasks = cpu_seconds(pids), thread_cpu(pids)
        results = sbs.run_together(tools.wrk, loads, seconds)
        spent = cpu_seconds(pids) - before
        requests = sum(r.rate for r in results.values()) * seconds
        print(
            f"{load}: CPU {spent:.2f} s for ~{requests:.0f} requests: "
            f"{spent / max(requests, 1) * 1000:.3f} ms/request (every koppeling process)"
        )
        if threads:
            print_threads(tasks, thread_cpu(pids), requests)
        for name, result in results.items():
            print(
                f"  {name}: {result.rate:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                f"p99 {result.p99_ms:.1f} ms, {result.errors} errors"
            )
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def in_process(load: str, requests: int) -> None:
    from koppeling.harness.config import HarnessConfig
    from koppeling.harness.process import Harness

    tmp = Path(tempfile.mkdtemp(prefix="cpu-per-request-"))
    harness = Harness(HarnessConfig(port_base=0, state_dir=tmp / "state")).start()
    try:
        assert harness.core is not None
        urls = {name: harness.url(name) for name in harness.servers}
        bodies = sbs.prepare(urls, 40, tmp)
        method, headers, raw = "POST", {"CONTENT_TYPE": sbs.SOAP}, bodies.haal.read_bytes()
        service, path = "parnassys", sbs.HAAL_PATH
        headers["HTTP_SOAPACTION"] = "HaalLeerlinggegevens"
        rest = f"/api/scholen/{sbs.BRIN}/00/leerlingen"  # as the mixed load's REST requests
        if load == "breng":
            service, path, raw = "schoolkr8", sbs.BRENG_PATH, bodies.breng.read_bytes()
            headers["HTTP_SOAPACTION"] = "BrengLeerresultaten"
        elif load == "leerlingen":
            method, headers, raw, path = "GET", {}, b"", rest
        elif load == "pupil":
            service, path, raw = "schoolkr8", rest, bodies.pupil.read_bytes()
            headers = {"CONTENT_TYPE": "application/json"}
        app, port = harness.apps[service], harness.servers[service].port
        journal = harness.core.journal
        keys = itertools.count()

        def environ() -> dict[str, Any]:
            body = raw.replace(sbs.RESULT_KEY.encode(), f"r{next(keys)}".encode())
            return {
                **headers,
                "REQUEST_METHOD": method,
                "PATH_INFO": path,
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": str(port),
                "HTTP_HOST": f"127.0.0.1:{port}",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
                "wsgi.url_scheme": "http",
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
                "wsgi.version": (1, 0),
                "REMOTE_ADDR": "127.0.0.1",
            }

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            if not status.startswith("20"):
                raise SystemExit(f"{load}: {status}")
            return lambda data: None

        def one() -> None:
            for _ in app(environ(), start_response):
                pass

        def timed(clock: Callable[[], float]) -> float:
            started = clock()
            for _ in range(requests):
                one()
            journal.flush()
            return (clock() - started) / requests * 1000

        for _ in range(300):  # warm-up: caches, connections
            one()
        thread = [timed(time.thread_time) for _ in range(3)]
        whole = [timed(time.process_time) for _ in range(3)]
        print(
            f"{load}, in one process, {requests} requests x 3: request thread "
            f"{statistics.median(thread):.3f} ms/request (min {min(thread):.3f}); whole process "
            f"{statistics.median(whole):.3f} (min {min(whole):.3f}), journal writer included"
        )
    finally:
        harness.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("load", choices=["haal", "breng", "mixed", "leerlingen", "pupil"])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--up-arg", action="append", default=[], help="extra for koppeling up")
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument(
        "--threads", action="store_true", help="over HTTP: also the CPU of the busiest threads"
    )
    args = parser.parse_args()
    if args.in_process:
        if args.load == "mixed":
            parser.error("--in-process measures haal, breng, leerlingen or pupil")
        in_process(args.load, args.requests)
    elif args.load in ("leerlingen", "pupil"):
        parser.error("over HTTP: haal, breng or mixed (the REST requests run in mixed)")
    else:
        up_args = [a for arg in args.up_arg for a in arg.split("=", 1)]
        over_http(args.load, args.seconds, up_args, args.threads)


if __name__ == "__main__":
    main()
