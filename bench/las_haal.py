"""HaalLeerlinggegevens latency (p50/p99) and throughput for a 1,000-pupil school (prints figures).

    .venv/bin/python bench/las_haal.py [--flavour parnassys|esis] [--requests 300]
        [--pupils 1000] [--threads 4] [--store memory|file] [--profiel rijk|minimaal]

Serves one LAS mock in-process on 127.0.0.1 (ServerThread, werkzeug), makes a school with
``--pupils`` pupils and a key, then sends a bounded number of HaalLeerlinggegevens requests over
keep-alive connections: first one after another (latency), then from ``--threads`` threads
(throughput). Every answer is checked to be a 200 carrying all pupils. Goal: p50 < 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from koppeling.client import Klant, LasAdmin, SchoolRef
from koppeling.client.flows import create_las_school
from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerlinggegevens import build_request
from mocks.las.app import create_app
from mocks.las.service import FLAVOURS

SCHOOL = SchoolRef("99BE")
KLANT = Klant("BENCH", "Bench")
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"HaalLeerlinggegevens"'}


def _prepare(url: str, pupils: int, profiel: str) -> bytes:
    made = create_las_school(
        LasAdmin(url, timeout=60),
        SCHOOL,
        KLANT,
        aantal_leerlingen=pupils,
        profiel=profiel,
        seed=1000,
    )
    return build_request(
        "HaalLeerlinggegevens",
        Autorisatie(made.sleutel, KLANT.code, KLANT.naam),
        schooljaar=str(made.data["schooljaar"]),
        brincode=SCHOOL.brincode,
    )


def _one(session: requests.Session, url: str, body: bytes, pupils: int) -> float:
    started = time.perf_counter()
    resp = session.post(url, data=body, headers=HEADERS, timeout=30)
    elapsed = time.perf_counter() - started
    if resp.status_code != 200 or resp.content.count(b"<leerling key=") != pupils:
        raise SystemExit(f"unexpected answer {resp.status_code}: {resp.content[:300]!r}")
    return elapsed


def _throughput(url: str, body: bytes, pupils: int, count: int, threads: int) -> float:
    def worker(n: int) -> None:
        with requests.Session() as session:
            for _ in range(n):
                _one(session, url, body, pupils)

    shares = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, shares))
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flavour", choices=sorted(FLAVOURS), default="parnassys")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--store", choices=["memory", "file"], default="memory")
    parser.add_argument("--profiel", choices=["rijk", "minimaal"], default="rijk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.memory() if args.store == "memory" else Database.file(Path(tmp) / "k.db")
        core = Core.create(db, journal_limit=500)
        with ServerThread(create_app({"flavour": args.flavour}, core=core)) as server:
            body = _prepare(server.url, args.pupils, args.profiel)
            url = server.url + FLAVOURS[args.flavour].path
            with requests.Session() as session:
                for _ in range(5):  # warm-up
                    _one(session, url, body, args.pupils)
                cpu = time.process_time()
                times = sorted(_one(session, url, body, args.pupils) for _ in range(args.requests))
                cpu = (time.process_time() - cpu) / args.requests * 1000
            rate = _throughput(url, body, args.pupils, args.requests, args.threads)
        db.dispose()
    p50 = statistics.median(times) * 1000
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
    print(
        f"HaalLeerlinggegevens, {args.flavour}, {args.pupils} pupils ({args.profiel}), "
        f"{args.store} store, "
        f"werkzeug ServerThread, {args.requests} requests"
    )
    print(f"  latency (sequential): p50 {p50:.1f} ms, p99 {p99:.1f} ms   (goal p50 < 100 ms)")
    print(
        f"  CPU per request (server + client, one process): {cpu:.1f} ms "
        f"(wall-clock figures suffer when the machine is busy; load average {_load()})"
    )
    print(f"  throughput ({args.threads} threads): {rate:.1f} req/s")


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
