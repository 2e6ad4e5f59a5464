"""Time from `koppeling up` to all services healthy, over several runs (prints figures).

    .venv/bin/python bench/startup.py [--runs 5] [--server gunicorn|werkzeug]

Starts the real CLI as a subprocess on free ports with a throwaway store, polls every service's
/__admin/health on 127.0.0.1, then stops it with SIGTERM. Goal: ready < 1 s.
"""

from __future__ import annotations

import argparse
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


def one_run(server: str) -> tuple[float, float]:
    koppeling = Path(sys.executable).parent / "koppeling"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(koppeling), "up", "--port-base", "0", "--memory", "--server", server],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
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
    args = parser.parse_args()
    times = [one_run(args.server)[1] for _ in range(args.runs)]
    print(
        f"koppeling up ({args.server}) -> all healthy, {args.runs} runs: "
        f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s   (goal < 1 s)"
    )


if __name__ == "__main__":
    main()
