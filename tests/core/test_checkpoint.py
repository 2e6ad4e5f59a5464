"""The WAL of a SQLite file store is checkpointed by each writing process's checkpointer thread,
outside the write lock (the store's connections have SQLite's automatic checkpoint off), and
still starts over from its beginning once it is copied back, so it stays bounded.

What the WAL holds is read from its index (``state.sqlite-shm``, SQLite's documented WAL-index
format): ``mxFrame`` (frames in the WAL) at byte 16 of the header, ``nBackfill`` (frames copied
back into the database file) at byte 96. Reading it changes nothing, where a checkpoint of the
test's own would do the work the checkpointer is tested for."""

from __future__ import annotations

import sqlite3
import struct
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from koppeling.harness import store
from koppeling.harness.journal import journal_table
from koppeling.harness.store import Database


def _wal_index(file: Path) -> tuple[int, int]:
    """(frames in the WAL, frames copied back) from the WAL index."""
    data = file.with_name(file.name + "-shm").read_bytes()[:100]
    order = "<" if sys.byteorder == "little" else ">"
    (frames,) = struct.unpack_from(order + "I", data, 16)
    (copied,) = struct.unpack_from(order + "I", data, 96)
    return frames, copied


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
    monkeypatch.setattr(store, "CHECKPOINT_RESTART_FRAMES", 40)
    database = Database.file(tmp_path / "state.sqlite")
    database.create_all()
    return database


def test_the_store_connections_leave_checkpoints_to_the_checkpointer(db: Database) -> None:
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    db.dispose()


def test_the_wal_is_copied_back_and_starts_over_while_writes_go_on(db: Database) -> None:
    """Without a checkpoint the WAL only grows; with the checkpointer, once 40 frames wait it
    copies them back, the tail under the write lock, and a later writer starts the WAL from its
    beginning (the frame count drops)."""
    file = Path(str(db.engine.url.database))
    written, highest = 0, 0

    def restarted() -> bool:
        nonlocal written, highest
        _write(db, 1)
        written += 1
        frames, _ = _wal_index(file)
        if frames < highest:
            return True
        highest = frames
        return False

    _until(restarted, "the WAL starting over")
    assert highest >= 40  # it started over only after the threshold
    db.dispose()
    with sqlite3.connect(file) as conn:  # every row is there
        assert conn.execute("SELECT count(*) FROM journal").fetchone() == (2 * written,)
