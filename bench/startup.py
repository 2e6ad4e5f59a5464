"""Time from `koppeling up` to all services healthy, over several runs (prints figures).

    .venv/bin/python bench/startup.py [--runs 5] [--server granian|gunicorn|werkzeug] [--cold]
        [--wiremock-jar PATH]

Starts the real CLI as a subprocess on free ports with a throwaway store, polls every service's
/__admin/health on 127.0.0.1, then stops it with SIGTERM. Goal: ready < 1 s.

The runs are timed as an installed koppeling starts: with its modules' bytecode cached. One
uncounted warm-up run first writes that cache for a source checkout, also when the environment
says PYTHONDONTWRITEBYTECODE (then every start compiles the project's ~150 modules anew, about
0.3 s more; `--cold` keeps the environment as it is and times that).

With Java and the WireMock standalone jar (found under .tools/ as bench/side_by_side.py installs
it, or --wiremock-jar), WireMock's start to a healthy /__admin/health is timed in the same run,
interleaved run by run, and the ratio printed (goal: koppeling up <= 0.5x WireMock).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from koppeling.client import HarnessAdmin

URL_RE = re.compile(r"(http://127\.0\.0\.1:\d+)")
ROOT = Path(__file__).resolve().parent.parent
JAR_GLOB = "wiremock/node_modules/wiremock/**/wiremock*standalone*.jar"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wiremock_run(java: str, jar: Path) -> float:
    """Seconds from starting WireMock (journal off, as bench/side_by_side.py runs it) to its
    first healthy /__admin/health."""
    port = free_port()
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "mappings").mkdir()
        (Path(root) / "__files").mkdir()
        cmd = [java, "-jar", str(jar), "--port", str(port), "--bind-address", "127.0.0.1"]
        cmd += ["--no-request-journal", "--disable-banner", "--disable-gzip", "--root-dir", root]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with requests.Session() as session:
                while True:
                    if proc.poll() is not None:
                        raise SystemExit(f"WireMock exited with code {proc.returncode}")
                    try:
                        url = f"http://127.0.0.1:{port}/__admin/health"
                        if session.get(url, timeout=2).status_code == 200:
                            return time.perf_counter() - started
                    except requests.RequestException:
                        pass
                    time.sleep(0.01)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def one_run(server: str, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(announced, healthy, CPU seconds): the CPU of every process of the start and its stop,
    from the kernel's account of the CLI and its descendants (each reaps its children)."""
    koppeling = Path(sys.executable).parent / "koppeling"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(koppeling), "up", "--port-base", "0", "--memory", "--server", server],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    urls: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("  store:"):
            break
        if "(real partner)" not in line and "smtp://" not in line:
            urls += URL_RE.findall(line)
    announced = time.perf_counter() - started
    with requests.Session() as session:
        for url in urls:
            HarnessAdmin(url, session=session, timeout=5).health()
    healthy = time.perf_counter() - started
    proc.send_signal(signal.SIGTERM)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    proc.stdout.close()
    return announced, healthy, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--server", choices=["granian", "gunicorn", "werkzeug"], default="granian")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no warm-up run, the environment as it is (PYTHONDONTWRITEBYTECODE kept)",
    )
    parser.add_argument("--wiremock-jar", type=Path, help="default: found under .tools/")
    args = parser.parse_args()
    java = shutil.which("java")
    jar = args.wiremock_jar or next(iter(sorted((ROOT / ".tools").glob(JAR_GLOB))[-1:]), None)
    if java is None or jar is None or not jar.is_file():
        print("no java or WireMock jar: WireMock's start is not timed (see bench/side_by_side.py)")
        java = None
    env = None
    if not args.cold:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        one_run(args.server, env)  # warm-up: writes the bytecode cache, not counted
    runs: list[tuple[float, float, float]] = []
    wiremock: list[float] = []
    for _ in range(args.runs):
        runs.append(one_run(args.server, env))
        if java is not None and jar is not None:
            wiremock.append(wiremock_run(java, jar))
    times = [healthy for _, healthy, _ in runs]
    announced = [at for at, _, _ in runs]
    cpu = [seconds for _, _, seconds in runs]
    print(
        f"koppeling up ({args.server}{', cold' if args.cold else ''}) -> all healthy, "
        f"{args.runs} runs: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s (announced: median {statistics.median(announced):.3f} s)   "
        "(goal < 1 s)"
    )
    print(
        f"  CPU per start and stop, all its processes: median {statistics.median(cpu):.2f} s "
        "(what a loaded machine has to find cores for)"
    )
    if wiremock:
        wm = statistics.median(wiremock)
        ratio = statistics.median(times) / wm
        print(
            f"WireMock (journal off) -> healthy, same run: median {wm:.3f} s, "
            f"min {min(wiremock):.3f} s, max {max(wiremock):.3f} s; koppeling up / WireMock "
            f"x{ratio:.2f}   (goal <= 0.5)"
        )


if __name__ == "__main__":
    main()
