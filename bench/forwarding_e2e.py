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
import re
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

from koppeling.harness.config import HarnessConfig  # noqa: E402
from koppeling.harness.process import Harness  # noqa: E402
from koppeling.harness.schools import schooljaar_of  # noqa: E402
from mocks.testcentrum.afnames.norms import TOETSEN  # noqa: E402

BRIN, DEP = "95BE", "00"
KEY_RE = re.compile(r"sk8_[A-Za-z0-9]{8,}")
TOETS_NAMES = sorted(TOETSEN)


class Api:
    """A tiny JSON client per service (one session per thread)."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self._local = threading.local()

    def call(self, service: str, method: str, path: str, body: Any = None, **params: Any) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        resp = session.request(
            method, self.urls[service] + path, json=body, params=params, timeout=60
        )
        if resp.status_code >= 400:
            raise RuntimeError(f"{method} {service}{path}: {resp.status_code} {resp.text[:300]}")
        return resp.json() if resp.content else None


def prepare(api: Api, pupils: int) -> tuple[list[str], dict[str, int]]:
    """Steps 0-3 of the manual for one school; returns its leerlingnummers and Schoolkr8 ids."""
    school = f"/api/scholen/{BRIN}/{DEP}"
    now = datetime.now(UTC)
    jaar = schooljaar_of(now.year, now.month)
    made = api.call(
        "parnassys",
        "POST",
        "/api/scholen",
        {
            "brincode": BRIN,
            "dependancecode": DEP,
            "schooljaar": jaar,
            "naam": "Benchschool",
            "aantal_leerlingen": pupils,
            "seed": 2026,
        },
    )
    numbers = [str(p["leerlingnummer"]) for p in made["leerlingen"]]
    las_key = api.call(
        "parnassys",
        "POST",
        f"{school}/sleutels",
        {"klantcode": "boom-testcentrum", "klantnaam": "Boom testcentrum"},
    )["autorisatiesleutel"]
    api.call(
        "testcentrum",
        "PUT",
        f"{school}/las-koppeling",
        {"las": "parnassys", "schooljaar": jaar, "autorisatiesleutel": las_key},
    )
    api.call("testcentrum", "POST", f"{school}/las-koppeling/import")
    contact = "contact-95be@bench.test"
    koppeling = api.call(
        "schoolkr8",
        "POST",
        "/api/koppelingen",
        {"brincode": BRIN, "dependancecode": DEP, "contact_email": contact},
    )
    api.call("schoolkr8", "POST", f"/api/koppelingen/{koppeling['id']}/activeren")
    found = api.call("mailbox", "GET", "/api/v1/search", query=f"to:{contact}", wait=10)
    text = api.call("mailbox", "GET", f"/api/v1/message/{found['messages'][0]['ID']}")["Text"]
    sk8_key = KEY_RE.findall(text)[0]
    ids: dict[str, int] = {}
    for nummer in numbers:
        pupil = api.call(
            "schoolkr8",
            "POST",
            f"{school}/leerlingen",
            {
                "voornaam": "Kim",
                "achternaam": "Bench",
                "geboortedatum": "2017-05-01",
                "groep": "Dolfijnen",
            },
        )
        api.call(
            "schoolkr8",
            "PUT",
            f"/api/leerlingen/{pupil['id']}/leerlingnummer",
            {"leerlingnummer": nummer},
        )
        ids[nummer] = int(pupil["id"])
    api.call(
        "testcentrum",
        "POST",
        f"{school}/dashboard-koppeling",
        {
            "type_dashboard": "Schoolkr8",
            "autorisatiesleutel": sk8_key,
            "beheerder_email": "beheerder-95be@bench.test",
        },
    )
    deadline = time.monotonic() + 30
    while api.call("testcentrum", "GET", f"{school}/dashboard-koppeling")["status"] != "actief":
        if time.monotonic() > deadline:
            raise RuntimeError("the dashboard koppeling did not become actief")
        time.sleep(0.05)
    return numbers, ids


def afname(nummer: str, toets: str) -> dict[str, Any]:
    return {
        "leerlingnummer": nummer,
        "toets": toets,
        "ruwe_score": 20,
        "afnamedatum": datetime.now(UTC).date().isoformat(),
    }


def score_and_norm(api: Api, jobs: list[tuple[str, str]]) -> list[str]:
    """One class's worth: Score invoeren for each (bulk), then Normeren them at one instant."""
    school = f"/api/scholen/{BRIN}/{DEP}"
    ids = api.call(
        "testcentrum", "POST", f"{school}/afnames/bulk", {"afnames": [afname(*job) for job in jobs]}
    )["ids"]
    api.call("testcentrum", "POST", f"{school}/afnames/normeren", {"afname_ids": ids})
    return [str(i) for i in ids]


def score_and_norm_one(api: Api, job: tuple[str, str]) -> list[str]:
    """Score invoeren + Normeren of one afname (two requests)."""
    made = api.call("testcentrum", "POST", f"/api/scholen/{BRIN}/{DEP}/afnames", afname(*job))
    api.call("testcentrum", "POST", f"/api/afnames/{made['id']}/normeren")
    return [str(made["id"])]


def wait_all_sent(api: Api, count: int, deadline: float) -> dict[str, int]:
    while True:
        counts = api.call(
            "testcentrum", "GET", f"/api/scholen/{BRIN}/{DEP}/doorsturing/samenvatting"
        )
        if counts["verzonden"] == count or time.monotonic() > deadline:
            return {k: v for k, v in counts.items() if v and k != "totaal"}
        time.sleep(0.1)


def check_schoolkr8(api: Api, ids: dict[str, int], afname_ids: list[str]) -> tuple[int, int, int]:
    """(results found, distinct keys missing, keys seen more than once or received twice)."""
    seen: Counter[str] = Counter()
    resent = 0
    for pupil_id in ids.values():
        for r in api.call("schoolkr8", "GET", f"/api/leerlingen/{pupil_id}/resultaten")[
            "resultaten"
        ]:
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
    api = Api({n: harness.url(n) for n in ("testcentrum", "parnassys", "schoolkr8", "mailbox")})
    t_setup = time.perf_counter()
    numbers, ids = prepare(api, args.pupils)
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
            done = pool.map(lambda chunk: score_and_norm_one(api, chunk[0]), chunks)
        else:
            done = pool.map(lambda chunk: score_and_norm(api, chunk), chunks)
        afname_ids = [i for ids in done for i in ids]
    normed = time.perf_counter() - started
    statuses = wait_all_sent(api, args.afnames, deadline)
    total = time.perf_counter() - started
    found, missing, duplicated = check_schoolkr8(api, ids, afname_ids)
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
