"""Wall time of the whole scenario suite: serial, with ``-n 4`` (a harness per xdist worker), and
with ``-n 4`` against ONE shared harness (``--against``, started here). Prints the figures.

    .venv/bin/python bench/scenario_suite.py [--runs N]

Goal (issue 6): < 30 s serial. The suite is run as ``koppeling scenario run`` runs it: pytest on
the ``scenarios`` package, ``-m scenario``, in a fresh interpreter (start-up included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from koppeling.harness.config import HarnessConfig  # noqa: E402
from koppeling.harness.process import Harness  # noqa: E402
from scenarios.config import SCENARIO_OPTIONS  # noqa: E402


def run_suite(*extra: str) -> tuple[float, str]:
    """One run of the suite; (wall seconds, pytest's last line)."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "scenarios",
        "-m",
        "scenario",
        "-q",
        "-p",
        "no:cacheprovider",
        "--no-header",
        *extra,
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    summary = lines[-1] if lines else proc.stderr[-300:]
    if proc.returncode != 0:
        print(proc.stdout[-4000:], file=sys.stderr)
    return elapsed, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="repeat each variant N times")
    args = parser.parse_args()
    variants: list[tuple[str, list[str]]] = [
        ("serial (in-process harness)", []),
        ("-n 2 (a harness per worker)", ["-n", "2"]),
        ("-n 4 (a harness per worker)", ["-n", "4"]),
    ]
    with (
        Harness(HarnessConfig(port_base=0, state_dir=None, options=SCENARIO_OPTIONS)) as shared,
        tempfile.TemporaryDirectory() as tmp,
    ):
        assert shared.core is not None
        config = Path(tmp) / "against.json"
        config.write_text(json.dumps({"services": shared.core.urls}))
        variants.append(
            ("-n 4 --against one shared harness", ["-n", "4", "--against", str(config)])
        )
        for title, extra in variants:
            for _ in range(args.runs):
                seconds, summary = run_suite(*extra)
                print(f"{title:38} {seconds:6.1f} s   {summary}", flush=True)


if __name__ == "__main__":
    main()
