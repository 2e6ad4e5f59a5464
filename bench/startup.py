"""Time from `koppeling up` to all services healthy, over several runs (prints figures).

    .venv/bin/python bench/startup.py [--runs 5] [--server gunicorn|werkzeug]

Starts the real CLI as a subprocess on free ports with a throwaway store, polls every service's
/__admin/health on 127.0.0.1, then stops it with SIGTERM. Goal: ready < 1 s.

The runs are timed as an installed koppeling starts: with its modules' bytecode cached. One
uncounted warm-up run first writes that cache for a source checkout, also when the environment
says PYTHONDONTWRITEBYTECODE (then every start compiles the project's ~150 modules anew, about
0.3 s more; `--cold` keeps the environment as it is and times that).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from koppeling.client import HarnessAdmin

URL_RE = re.compile(r"(http://127\.0\.0\.1:\d+)")


def one_run(server: str, env: dict[str, str] | None = None) -> tuple[float, float]:
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
    proc.wait(timeout=20)
    return announced, healthy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--server", choices=["gunicorn", "werkzeug"], default="gunicorn")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no warm-up run, the environment as it is (PYTHONDONTWRITEBYTECODE kept)",
    )
    args = parser.parse_args()
    env = None
    if not args.cold:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        one_run(args.server, env)  # warm-up: writes the bytecode cache, not counted
    runs = [one_run(args.server, env) for _ in range(args.runs)]
    times = [healthy for _, healthy in runs]
    announced = [at for at, _ in runs]
    print(
        f"koppeling up ({args.server}{', cold' if args.cold else ''}) -> all healthy, "
        f"{args.runs} runs: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s (announced: median {statistics.median(announced):.3f} s)   "
        "(goal < 1 s)"
    )


if __name__ == "__main__":
    main()
