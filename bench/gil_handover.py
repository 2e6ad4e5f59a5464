"""What letting go of the GIL costs a call beside a busy thread (prints figures).

    .venv/bin/python bench/gil_handover.py [--calls 200]

Why: lxml lets go of the GIL for every parse (its parser lock, then the parse) and ``sqlite3``
for every statement. Alone such a call is cheap; in a worker whose other threads are busy in
Python, every one of them hands the GIL over and waits to get it back. This times an lxml parse
of a HaalLeerlinggegevens request and a ``sqlite3`` ``SELECT 1``, each alone and then beside a
thread that spins in Python, as wall time and as the calling thread's CPU per call. It is why a
LAS request body is read once (docs/harness.md, "Read once, flushed less").
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))

import side_by_side as sbs  # noqa: E402


def per_call(call: Callable[[], object], calls: int) -> tuple[float, float]:
    """Wall and this thread's CPU per call, in µs."""
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(calls):
        call()
    return (
        (time.perf_counter() - wall) / calls * 1e6,
        (time.thread_time() - cpu) / calls * 1e6,
    )


def beside_a_busy_thread(call: Callable[[], object], calls: int) -> tuple[float, float]:
    stop = threading.Event()

    def spin() -> None:
        x = 0
        while not stop.is_set():
            x += 1

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    time.sleep(0.05)
    try:
        return per_call(call, calls)
    finally:
        stop.set()
        spinner.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    body = sbs.haal_request("pns_" + "A" * 32)
    xml_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    db = sqlite3.connect(":memory:", check_same_thread=False)
    calls: dict[str, Callable[[], object]] = {
        f"lxml parse of a {len(body)}-byte request": lambda: etree.fromstring(body, xml_parser),
        "sqlite3 SELECT 1": lambda: db.execute("SELECT 1").fetchone(),
    }
    for name, call in calls.items():
        alone = per_call(call, args.calls)
        busy = beside_a_busy_thread(call, args.calls)
        print(
            f"{name}: alone {alone[0]:.1f} µs wall, {alone[1]:.1f} µs CPU; beside a busy "
            f"thread {busy[0]:.1f} µs wall, {busy[1]:.1f} µs CPU (per call, {args.calls} calls)"
        )


if __name__ == "__main__":
    main()
