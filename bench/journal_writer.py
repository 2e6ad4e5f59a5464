"""CPU per journal entry at a given batch size, in one process (prints figures, for A/B runs).

    .venv/bin/python bench/journal_writer.py [--entries 6000] [--batch 12] [--rounds 3]

Why: under `koppeling up` the journal writer costs about as much CPU per Haal as the request
itself, and how much depends on how many entries a batch holds: under load a writer flushes
every few milliseconds, ~10-20 entries at a time. This records Haal-like entries (a 700-byte
request kept in the entry, the same 26 KB answer every time, kept once as a shared body) into a
journal beside a throwaway SQLite file store, ``--batch`` entries and then a pause of
``FLUSH_SECONDS`` so the writer takes them as one batch, and prints the CPU of the whole
process (recording and writing) per entry. No server, no socket.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from koppeling.harness import journal
from koppeling.harness.journal import Entry
from koppeling.harness.service import Core
from koppeling.harness.store import Database

REQUEST = "<soap:Envelope>" + "v" * 700 + "</soap:Envelope>"
ANSWER = "<antwoord>" + "x" * 26_000 + "</antwoord>"


def cpu_per_entry(core: Core, entries: int, batch: int) -> float:
    """Microseconds of this process's CPU per entry, recorded ``batch`` at a time."""
    at = datetime.now(UTC)
    started = time.process_time()
    for i in range(entries):
        core.journal.record(
            Entry(
                service="parnassys",
                kind="soap",
                at=at,
                method="POST",
                path="/uwlr/leerlinggegevens",
                status=200,
                operation="HaalLeerlinggegevens",
                school="99AB-00",
                correlation_id=f"bench-{i:026d}",
                summary="HaalLeerlinggegevens 99AB-00: 40 leerlingen",
                request=REQUEST,
                response=ANSWER,
            )
        )
        if i % batch == batch - 1:
            time.sleep(journal.FLUSH_SECONDS)  # the writer takes what came as one batch
    core.journal.flush(timeout=60)
    return (time.process_time() - started) / entries * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="journal-writer-") as tmp:
        core = Core.create(Database.file(Path(tmp) / "state.sqlite"))
        try:
            cpu_per_entry(core, min(args.entries, 1000), args.batch)  # warm-up, not counted
            rounds = [cpu_per_entry(core, args.entries, args.batch) for _ in range(args.rounds)]
        finally:
            core.journal.close()
            core.db.dispose()
    print(
        f"journal, batches of {args.batch}, {args.entries} entries x {args.rounds}: CPU per "
        f"entry (recording and writing) median {statistics.median(rounds):.1f} µs "
        f"(min {min(rounds):.1f}, max {max(rounds):.1f})"
    )


if __name__ == "__main__":
    main()
