"""Throughput of Schoolkr8's BrengLeerresultaten intake, over real HTTP on loopback.

Prints results/s (and messages/s, latency) for messages of 1 and of 100 toetsafnames (one result
each), every result a new ``resultaat@key`` matched to a pupil, against the werkzeug server thread
the tests use and a SQLite file store in WAL mode (as ``koppeling up``). Bounded: each size runs for
at most ``--seconds`` or ``--max-messages``. Goal: >= 1,000 results/s. Results per CPU-second (this
process: server and clients) is printed too, as the figure least disturbed by other load.

    .venv/bin/python bench/schoolkr8_intake.py [--threads 4] [--seconds 5] [--memory]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from koppeling.harness.keys import key_hash, mask, new_key  # noqa: E402
from koppeling.harness.server import ServerThread  # noqa: E402
from koppeling.harness.service import Core  # noqa: E402
from koppeling.harness.store import Database  # noqa: E402
from koppeling.uwlr.autorisatie import Autorisatie  # noqa: E402
from koppeling.uwlr.leerresultaten import (  # noqa: E402
    LeerresultatenVerzoek,
    Resultaat,
    School,
    Toets,
    Toetsafname,
    build_verzoek,
    request_envelope,
)
from mocks.schoolkr8.app import create_app  # noqa: E402
from mocks.schoolkr8.service import Schoolkr8Service  # noqa: E402

BRIN = "99BE"
PUPILS = 200
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"BrengLeerresultaten"'}


def setup(core: Core) -> str:
    """A school with an active koppeling (its key issued straight into the store: the bench
    measures intake, not mail) and PUPILS numbered pupils; returns the key."""
    sk8 = Schoolkr8Service(core)
    koppeling = sk8.request(BRIN, "00", "bench@school.test")
    key = new_key("sk8")
    now = core.clock.now()
    with core.db.begin() as conn:
        sk8.store.issue_key(conn, koppeling, key_hash(key), mask(key), now)
    pupil = {
        "voornaam": "Bench",
        "achternaam": "Leerling",
        "geboortedatum": "2016-01-01",
        "groep": "5",
    }
    for i in range(PUPILS):
        sk8.set_number(sk8.add_pupil(BRIN, "00", pupil).id, f"{i:010d}")
    return key


def message(key: str, size: int, serial: int) -> bytes:
    """A request with ``size`` toetsafnames, each one normed result with a fresh key."""
    school = School("2026-2027", BRIN, datetime(2026, 11, 2, tzinfo=UTC), "00")
    afnames = tuple(
        Toetsafname(
            f"{(serial * size + i) % PUPILS:010d}",
            (
                Resultaat.genormeerd(
                    f"bench-{size}-{serial}-{i}",
                    date(2026, 10, 30),
                    "LVS RW 2019",
                    ruwe_score=40,
                    vaardigheidsscore=180,
                    percentiel=55,
                    niveau="III",
                    dle=22,
                ),
            ),
        )
        for i in range(size)
    )
    verzoek = LeerresultatenVerzoek(school, afnames, (Toets("LVS RW 2019", "LVS RW"),))
    return request_envelope(build_verzoek(verzoek), Autorisatie(key, "BENCH", "Bench"))


def run(
    url: str, bodies: list[bytes], threads: int, seconds: float
) -> tuple[int, float, list[float]]:
    """Post from ``threads`` clients until done or out of time: (sent, elapsed, latencies)."""
    lock = threading.Lock()
    queue = iter(bodies)
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    def client() -> None:
        session = requests.Session()
        while time.perf_counter() < deadline:
            with lock:
                body = next(queue, None)
            if body is None:
                return
            started = time.perf_counter()
            resp = session.post(url, data=body, headers=HEADERS, timeout=60)
            with lock:
                latencies.append(time.perf_counter() - started)
                if resp.status_code != 200:
                    errors.append(resp.text[:300])

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, first: {errors[0]}")
    return len(latencies), elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=5.0, help="time bound per size")
    parser.add_argument("--max-messages", type=int, default=3000, help="message bound per size")
    parser.add_argument("--memory", action="store_true", help="in-memory store instead of a file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sk8-bench-") as tmp:
        db = Database.memory() if args.memory else Database.file(Path(tmp) / "state.sqlite")
        core = Core.create(db, journal_limit=2000)
        key = setup(core)
        with ServerThread(create_app({}, core=core)) as server:
            url = server.url + "/uwlr/leerresultaten"
            print(
                f"Schoolkr8 intake, werkzeug thread, {'memory' if args.memory else 'SQLite file'}"
                f" store, {args.threads} clients, loopback"
            )
            for size in (1, 100):
                count = args.max_messages if size == 1 else max(1, args.max_messages // 30)
                bodies = [message(key, size, n) for n in range(count)]
                cpu_before = time.process_time()
                sent, elapsed, lat = run(url, bodies, args.threads, args.seconds)
                cpu = time.process_time() - cpu_before
                p50 = statistics.median(lat) * 1000
                p95 = sorted(lat)[int(len(lat) * 0.95) - 1] * 1000 if len(lat) > 1 else p50
                print(
                    f"  {size:>3} toetsafname(s)/message: {sent:>5} messages in {elapsed:5.2f} s"
                    f" = {sent / elapsed:7.1f} msg/s = {sent * size / elapsed:8.1f} results/s"
                    f"  (p50 {p50:.1f} ms, p95 {p95:.1f} ms;"
                    f" {sent * size / cpu:7.1f} results per CPU-second, clients included)"
                )
        db.dispose()


if __name__ == "__main__":
    main()
