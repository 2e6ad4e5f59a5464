"""Two harnesses, one load, their runs alternated: an A/B that the machine's drift does not decide.

    .venv/bin/python bench/alternate.py haal|breng|mixed [--pairs 3] [--rounds 6] [--seconds 3]
        [--a-env NAME=VALUE ...] [--b-env NAME=VALUE ...]
        [--a-up-arg=--threads=8 ...] [--b-up-arg=... ...]

Why: on this shared 2-core machine the same code answers 1,600 or 2,800 Breng messages a second
depending on the minute (docs/harness.md, fourteenth session), so two `cpu_per_request.py` runs
a minute apart compare minutes as much as code. This starts two `koppeling up` harnesses, A and
B, prepares the same data in each, and runs the load ``--rounds`` times against each, A and B
back to back (A first in odd rounds, B first in even ones), the idle one waiting: each pair of
runs shares its minute. A harness also keeps a bias of its own for its lifetime (the same code
on both sides gave B/A medians of ×0.93 and ×1.05 over ten rounds), so this is done for
``--pairs`` fresh pairs of harnesses, one pair after the other, and the ratios B/A of every
round are read together. A and B differ by their environment (``--a-env``/``--b-env``, e.g.
``PYTHONPATH=<a worktree>`` for another version of the code) and by options of `koppeling up`.
Prints each round's rate and CPU per request (all of that harness's processes, from /proc), each
pair's medians, and the median of all the rounds' ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import side_by_side as sbs  # noqa: E402
from cpu_per_request import cpu_seconds, http_loads, process_tree  # noqa: E402


@dataclass
class Side:
    """One harness of the A/B and what its runs measured."""

    name: str
    k: sbs.Koppeling
    bodies: sbs.Bodies
    tmp: Path
    rates: list[float]
    p99s: list[float]
    cpu_ms: list[float]


def start_side(procs: sbs.Procs, name: str, env: list[str], up_args: list[str]) -> Side:
    tmp = Path(tempfile.mkdtemp(prefix=f"alternate-{name}-"))
    environ = dict(os.environ)
    for item in env:
        key, _, value = item.partition("=")
        environ[key] = value
    k = sbs.start_koppeling(procs, tmp, extra=up_args, env=environ)
    return Side(name, k, sbs.prepare(k.urls, 40, tmp), tmp, [], [], [])


def run_once(side: Side, wrk: str, load: str, seconds: float, tag: str) -> None:
    loads = http_loads(load, side.k.urls, side.bodies, side.tmp, tag)
    pids = process_tree(side.k.pid)
    before = cpu_seconds(pids)
    run = sbs.MixedRun(sbs.run_together(wrk, loads, seconds))
    spent = cpu_seconds(pids) - before
    side.rates.append(run.rate)
    side.p99s.append(run.worst_p99_ms)
    side.cpu_ms.append(spent / max(run.rate * seconds, 1) * 1000)
    if run.errors:
        print(f"  {side.name}: {run.errors} errors")


def ratios(b: list[float], a: list[float]) -> list[float]:
    """Each round's B/A (a round where A answered nothing is left out)."""
    return [y / x for x, y in zip(a, b, strict=True) if x]


def run_pair(args: argparse.Namespace, wrk: str, pair: int) -> tuple[Side, Side]:
    """A fresh harness A and B, ``args.rounds`` alternated rounds on them, then both stopped."""
    procs = sbs.Procs()
    sides: list[Side] = []
    try:
        for name in ("a", "b"):
            up_args = [
                part for arg in getattr(args, f"{name}_up_arg") for part in arg.split("=", 1)
            ]
            sides.append(start_side(procs, name.upper(), getattr(args, f"{name}_env"), up_args))
        a, b = sides
        for n in range(1, args.rounds + 1):
            for side in (a, b) if n % 2 else (b, a):
                run_once(side, wrk, args.load, args.seconds, f"p{pair}r{n}")
            print(
                f"  pair {pair}, round {n}: A {a.rates[-1]:7,.0f} req/s {a.cpu_ms[-1]:.3f} ms CPU, "
                f"B {b.rates[-1]:7,.0f} req/s {b.cpu_ms[-1]:.3f} ms CPU  (B/A ×"
                f"{b.rates[-1] / a.rates[-1]:.3f})",
                flush=True,
            )
        return a, b
    finally:
        procs.stop_all()
        for side in sides:
            shutil.rmtree(side.tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("load", choices=["haal", "breng", "mixed"])
    parser.add_argument("--rounds", type=int, default=6, help="alternated rounds per pair")
    parser.add_argument("--pairs", type=int, default=3, help="fresh harness pairs, one by one")
    parser.add_argument("--seconds", type=float, default=3)
    for side in ("a", "b"):
        parser.add_argument(f"--{side}-env", action="append", default=[], metavar="NAME=VALUE")
        parser.add_argument(f"--{side}-up-arg", action="append", default=[], metavar="OPTION")
    args = parser.parse_args()
    tools = sbs.find_tools(None, None, sbs.ROOT / ".tools")
    if tools.wrk is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    print(
        f"{args.load}: {args.pairs} pairs of harnesses, {args.rounds} rounds of {args.seconds:g} s"
    )
    rate: list[float] = []
    cpu: list[float] = []
    for pair in range(1, args.pairs + 1):
        a, b = run_pair(args, tools.wrk, pair)
        rate += ratios(b.rates, a.rates)
        cpu += ratios(b.cpu_ms, a.cpu_ms)
        print(
            f"pair {pair}: A {statistics.median(a.rates):,.0f} req/s, "
            f"{statistics.median(a.cpu_ms):.3f} ms CPU, p99 {statistics.median(a.p99s):.1f} ms; "
            f"B {statistics.median(b.rates):,.0f} req/s, {statistics.median(b.cpu_ms):.3f} ms CPU, "
            f"p99 {statistics.median(b.p99s):.1f} ms; B/A ×"
            f"{statistics.median(ratios(b.rates, a.rates)):.3f}"
        )
    print(
        f"B/A over every round: req/s ×{statistics.median(rate):.3f} (B ahead in "
        f"{sum(r > 1 for r in rate)} of {len(rate)}), CPU per request ×{statistics.median(cpu):.3f}"
    )


if __name__ == "__main__":
    main()
