"""End-to-end forwarding figure: N afnames normed after activation -> all visible at Schoolkr8.

    .venv/bin/python bench/forwarding_e2e.py [--afnames 10000] [--pupils 500] [--clients 4]
        [--chunk 250]
        [--memory]

Starts the whole harness in this process on free 127.0.0.1 ports (a throwaway SQLite file store by
default, like ``koppeling up``), then, untimed: one school with ``--pupils`` pupils at ParnasSys,
LAS import, the Schoolkr8 key by e-mail, every pupil's number typed into Schoolkr8, AANVRAGEN
approved. Timed: ``--afnames`` afnames scored and normed over HTTP from ``--clients`` threads, in
bulk calls of ``--chunk`` (``--chunk 1`` uses the per-afname endpoints: two requests per afname),
while the testcentrum's forwarder drains its outbox into Schoolkr8 (BrengLeerresultaten batches);
the clock stops when every afname is ``verzonden``. Then it checks at Schoolkr8, pupil by pupil,
that every result is there exactly once (nothing lost, nothing duplicated) and prints the figures.
Loopback only; bounded by ``--deadline`` seconds. Goal: < 30 s for 10,000 afnames.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from koppeling.client import Clients, Schoolkr8Admin, SchoolRef, TestcentrumClient  # noqa: E402
from koppeling.client.flows import activate_dashboard, prepare_school  # noqa: E402
from koppeling.harness.config import HarnessConfig  # noqa: E402
from koppeling.harness.process import Harness  # noqa: E402
from koppeling.harness.schools import schooljaar_of  # noqa: E402
from mocks.testcentrum.afnames.norms import TOETSEN  # noqa: E402

SCHOOL = SchoolRef("95BE", "00")
TOETS_NAMES = sorted(TOETSEN)


class PerThread:
    """The harness's clients with one HTTP session per thread (sessions are not shared)."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self._local = threading.local()

    def clients(self) -> Clients:
        found: Clients | None = getattr(self._local, "clients", None)
        if found is None:
            found = self._local.clients = Clients(self.urls, session=requests.Session(), timeout=60)
        return found


def prepare(clients: Clients, pupils: int) -> tuple[list[str], dict[str, str]]:
    """Steps 0-3 of the manual for one school and AANVRAGEN approved; returns its
    leerlingnummers and Schoolkr8 ids."""
    now = datetime.now(UTC)
    prepared = prepare_school(
        clients,
        SCHOOL,
        schooljaar=schooljaar_of(now.year, now.month),
        contact_email="contact-95be@bench.test",
        naam="Benchschool",
        aantal_leerlingen=pupils,
        seed=2026,
    )
    activate_dashboard(
        clients.testcentrum,
        SCHOOL,
        sleutel=prepared.sleutel.sleutel,
        beheerder_email="beheerder-95be@bench.test",
    )
    return prepared.leerlingnummers, prepared.schoolkr8_ids


def afname(nummer: str, toets: str) -> dict[str, Any]:
    return {
        "leerlingnummer": nummer,
        "toets": toets,
        "ruwe_score": 20,
        "afnamedatum": datetime.now(UTC).date().isoformat(),
    }


def score_and_norm(tc: TestcentrumClient, jobs: list[tuple[str, str]]) -> list[str]:
    """One class's worth: Score invoeren for each (bulk), then Normeren them at one instant."""
    ids = tc.score_bulk(SCHOOL, [afname(*job) for job in jobs])
    tc.normeren_bulk(SCHOOL, ids)
    return ids


def score_and_norm_one(tc: TestcentrumClient, job: tuple[str, str]) -> list[str]:
    """Score invoeren + Normeren of one afname (two requests)."""
    afname_id = tc.score(SCHOOL, **afname(*job))
    tc.normeren(afname_id)
    return [afname_id]


def wait_all_sent(tc: TestcentrumClient, count: int, deadline: float) -> dict[str, int]:
    while True:
        counts = tc.doorsturing_samenvatting(SCHOOL)
        if counts["verzonden"] == count or time.monotonic() > deadline:
            return {k: v for k, v in counts.items() if v and k != "totaal"}
        time.sleep(0.1)


def check_schoolkr8(
    sk8: Schoolkr8Admin, ids: dict[str, str], afname_ids: list[str]
) -> tuple[int, int, int]:
    """(results found, distinct keys missing, keys seen more than once or received twice)."""
    seen: Counter[str] = Counter()
    resent = 0
    for pupil_id in ids.values():
        for r in sk8.resultaten(pupil_id):
            seen[r["key"]] += 1
            resent += r["aantal_ontvangen"] > 1
    missing = sum(1 for a in afname_ids if seen[f"boom-tc-{a}"] == 0)
    duplicated = sum(1 for n in seen.values() if n > 1) + resent
    return sum(seen.values()), missing, duplicated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--afnames", type=int, default=10_000)
    parser.add_argument("--pupils", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4, help="client threads scoring/norming")
    parser.add_argument(
        "--chunk",
        type=int,
        default=250,
        help="afnames per bulk score + norm call pair (1 = the per-afname API)",
    )
    parser.add_argument("--memory", action="store_true", help="in-memory store instead of a file")
    parser.add_argument("--deadline", type=float, default=300.0, help="give up after (s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="koppeling-bench-") as tmp:
        config = HarnessConfig(
            port_base=0, state_dir=None if args.memory else Path(tmp), journal_limit=2000
        )
        with Harness(config) as harness:
            run(harness, args)


def run(harness: Harness, args: argparse.Namespace) -> None:
    per_thread = PerThread(
        {n: harness.url(n) for n in ("testcentrum", "parnassys", "schoolkr8", "mailbox")}
    )
    clients = per_thread.clients()
    t_setup = time.perf_counter()
    numbers, ids = prepare(clients, args.pupils)
    setup = time.perf_counter() - t_setup
    jobs = [
        (numbers[i % len(numbers)], TOETS_NAMES[(i // len(numbers)) % len(TOETS_NAMES)])
        for i in range(args.afnames)
    ]
    started = time.perf_counter()
    deadline = time.monotonic() + args.deadline
    chunks = [jobs[i : i + args.chunk] for i in range(0, len(jobs), args.chunk)]
    with ThreadPoolExecutor(args.clients) as pool:
        if args.chunk == 1:
            done = pool.map(
                lambda chunk: score_and_norm_one(per_thread.clients().testcentrum, chunk[0]),
                chunks,
            )
        else:
            done = pool.map(
                lambda chunk: score_and_norm(per_thread.clients().testcentrum, chunk), chunks
            )
        afname_ids = [i for ids in done for i in ids]
    normed = time.perf_counter() - started
    statuses = wait_all_sent(clients.testcentrum, args.afnames, deadline)
    total = time.perf_counter() - started
    found, missing, duplicated = check_schoolkr8(clients.schoolkr8, ids, afname_ids)
    store = "in-memory" if args.memory else "SQLite file (WAL)"
    print(
        f"forwarding e2e: {args.afnames} afnames normed after activation, {args.pupils} pupils, "
        f"{args.clients} client threads, {store}, werkzeug in-process servers"
    )
    print(f"  setup (LAS import, key by e-mail, numbers, AANVRAGEN): {setup:.1f} s (untimed)")
    how = "per afname" if args.chunk == 1 else f"bulk, {args.chunk} per call"
    print(f"  score + norm over HTTP ({how}, {2 * len(chunks)} requests): {normed:.1f} s")
    print(
        f"  all verzonden / visible at Schoolkr8: {total:.1f} s after the first score "
        f"({args.afnames / total:.0f} afnames/s)   goal < 30 s"
    )
    print(f"  forwarding status: {statuses}")
    print(f"  at Schoolkr8: {found} results, {missing} missing, {duplicated} duplicated")
    if missing or duplicated or statuses.get("verzonden") != args.afnames:
        sys.exit(1)


if __name__ == "__main__":
    main()
