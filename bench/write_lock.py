"""Who holds the store's write lock under a load, for how long, and what the requests wait for
(prints figures).

    .venv/bin/python bench/write_lock.py mixed|breng|haal [--seconds 5] [--up-arg=...]

Why: on a SQLite store every write transaction of every process — a request's group commit, a
journal batch, the tail of a WAL checkpoint — takes one lock file (``state.sqlite.write-lock``),
so a write waits for every holder before it. This runs one load of bench/cpu_per_request.py
against `koppeling up` with ``write_lock_hook/`` first on its PYTHONPATH, which times every hold
of that lock in every process (see its sitecustomize.py; nothing of the harness is changed on
disk), and prints per holder: how many holds, the wait for the lock and the hold (p50, p99, max,
ms) and the share of the load's wall-clock time the lock was held — per file, since the store
(``state.sqlite``) and the journal's own file (``state.journal.sqlite``) have a lock each. A hold
counts the time the holder waits for its process's GIL between ``sqlite3`` calls too: that is
the point. Then how long each write waited in its store's group commit, and per request (by
method and path) its wall-clock time against its thread's CPU: under a load on two cores the gap
between the two is the waiting (its turn at the lock, the GIL, a core).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cpu_per_request  # noqa: E402

HOOK = Path(__file__).resolve().parent / "write_lock_hook"


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load(folder: Path) -> dict[str, dict[str, list[float]]]:
    """Every process's figures (the hook's ``<pid>.jsonl`` lines), merged per kind; a line
    still being written is skipped."""
    merged: dict[str, dict[str, list[float]]] = {}
    for file in sorted(folder.glob("*.jsonl")):
        for line in file.read_text().splitlines():
            try:
                part = json.loads(line)
            except ValueError:
                continue
            for kind, found in part.items():
                into = merged.setdefault(kind, {})
                for name, values in found.items():
                    into.setdefault(name, []).extend(values)
    return merged


def report(folder: Path, seconds: float) -> None:
    """Every process's figures, merged per kind: the lock's holders, the group commits' waits
    and the requests, as tables."""
    merged = load(folder)
    holders = {kind: found for kind, found in merged.items() if "hold" in found}
    print(f"\nthe write lock, {len(list(folder.glob('*.jsonl')))} processes, a {seconds:g} s load:")
    print("| holder @ file | holds | wait p50/p99/max ms | hold p50/p99/max ms | held, share |")
    print("|---|---:|---:|---:|---:|")
    for kind, found in sorted(holders.items(), key=lambda item: -sum(item[1]["hold"])):
        wait, hold = found["wait"], found["hold"]
        print(
            f"| {kind} | {len(hold):,} | {figures(wait)} | {figures(hold)} | "
            f"{sum(hold) / 1000:.2f} s, {sum(hold) / 10 / seconds:.0f} % |"
        )
    commits = {
        kind: found
        for kind, found in merged.items()
        if kind.startswith(("group commit", "hot write"))
    }
    requests = {kind: found for kind, found in merged.items() if kind.startswith("request ")}
    if commits:
        print(
            "\na write's time in its store's group commit (waiting its turn, and its own work);"
            " a hot write's, sent to the writer process (or run in the group commit):"
        )
        for kind, found in sorted(commits.items()):
            print(
                f"  {kind}: {len(found['wall']):,} writes, p50/p99/max {figures(found['wall'])} ms"
            )
    if requests:
        print("\nthe requests the services' apps answered (wall clock against the thread's CPU):")
        print("| request | count | wall p50/p99/max ms | CPU p50/p99 ms |")
        print("|---|---:|---:|---:|")
        for kind, found in sorted(requests.items(), key=lambda item: -len(item[1]["wall"])):
            cpu = found["cpu"]
            print(
                f"| {kind.removeprefix('request ')} | {len(found['wall']):,} | "
                f"{figures(found['wall'])} | {quantile(cpu, 0.5):.2f} / {quantile(cpu, 0.99):.2f} |"
            )


def figures(values: list[float]) -> str:
    """p50 / p99 / max of ``values`` (ms)."""
    return f"{quantile(values, 0.5):.2f} / {quantile(values, 0.99):.1f} / {max(values):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("load", choices=["haal", "breng", "mixed"])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--up-arg", action="append", default=[], help="extra for koppeling up")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="write-lock-"))
    os.environ["KOPPELING_BENCH_WRITE_LOCK"] = str(folder)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(HOOK), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    started = time.monotonic()
    try:
        # the load's own warm-up and preparation write too: their holds are counted as well
        cpu_per_request.over_http(args.load, args.seconds, args.up_arg)
        report(folder, time.monotonic() - started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
