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
        time.sleep(0.02)


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


def test_commits_are_copied_back_and_the_wal_starts_over(db: Database) -> None:
    file = Path(str(db.engine.url.database))
    _write(db, 60)  # ~6 pages a transaction: well past the restart threshold

    def copied_back() -> bool:
        frames, copied = _wal_index(file)
        return frames > 0 and copied == frames

    _until(copied_back, "every frame copied back")
    _write(db, 1)  # the next writer finds every frame copied: the WAL starts from its beginning
    frames, _ = _wal_index(file)
    assert frames < 20  # one transaction's pages, not the ~360 of all of them
    # and the rows are all there, in the database file itself once the WAL is gone
    db.dispose()
    with sqlite3.connect(file) as conn:
        assert conn.execute("SELECT count(*) FROM journal").fetchone() == (122,)
