"""The WAL of a SQLite file store is checkpointed by each writing process's checkpointer thread,
outside the write lock (the store's connections have SQLite's automatic checkpoint off), and
still starts over from its beginning once it is copied back, so it stays bounded.

That the WAL started over is read from its header (``state.sqlite-wal``, SQLite's documented
format): the checkpoint sequence number at byte 12 moves each time it does. Reading it changes
nothing, where a checkpoint of the test's own would do the work the checkpointer is tested for
(and the WAL file, unlike ``-shm``, holds no locks a closed descriptor could drop)."""

from __future__ import annotations

import sqlite3
import struct
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from koppeling.harness import store
from koppeling.harness.journal import journal_table
from koppeling.harness.store import Database


def _wal_sequence(file: Path) -> int:
    """The WAL's checkpoint sequence number (big-endian, byte 12 of its header)."""
    with file.with_name(file.name + "-wal").open("rb") as wal:
        (sequence,) = struct.unpack(">I", wal.read(16)[12:16])
    return int(sequence)


def _write(db: Database, transactions: int) -> None:
    row = {"service": "t", "at": datetime.now(UTC), "kind": "http", "response": "x" * 8192}
    for _ in range(transactions):
        with db.begin() as conn:
            conn.execute(journal_table.insert(), [row] * 2)


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within 30 s: {what}")
        time.sleep(0.005)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr(store, "CHECKPOINT_INTERVAL_S", 0.01)
    database = Database.file(tmp_path / "state.sqlite")
    database.create_all()
    return database


def test_the_store_connections_leave_checkpoints_to_the_checkpointer(db: Database) -> None:
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    db.dispose()


def test_the_wal_is_copied_back_and_starts_over_while_writes_go_on(db: Database) -> None:
    """Without a checkpoint the WAL only grows; with the checkpointer it is copied back, the
    tail under the write lock, and a later writer starts it from its beginning."""
    file = Path(str(db.engine.url.database))
    _write(db, 1)
    first = _wal_sequence(file)
    written = 1

    def restarted() -> bool:
        nonlocal written
        _write(db, 1)
        written += 1
        return _wal_sequence(file) != first

    _until(restarted, "the WAL starting over")
    db.dispose()
    with sqlite3.connect(file) as conn:  # every row is there
        assert conn.execute("SELECT count(*) FROM journal").fetchone() == (2 * written,)
