"""The store pattern every partner uses: UTC instants, row mapping, chunks, the schema version."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update

from koppeling.cli.main import main
from koppeling.harness import clock
from koppeling.harness.store import (
    SCHEMA_VERSION,
    SQLITE_SCHEMA,
    Database,
    SchemaMismatch,
    UtcDateTime,
    chunks,
    from_row,
    metadata,
    schema_table,
    sqlite_ddl,
)

local = MetaData()
events = Table(
    "events",
    local,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("at", UtcDateTime()),
)


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    at: datetime


def test_utc_datetime_round_trips_aware_utc_and_refuses_naive() -> None:
    db = Database.memory()
    local.create_all(db.engine)
    summer = datetime(2026, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    with db.begin() as conn:
        conn.execute(events.insert().values(id=1, name="x", at=summer))
        with pytest.raises(Exception, match="naive"):
            conn.execute(update(events).values(at=datetime(2026, 1, 1)))
    with db.read() as conn:
        row = conn.execute(select(events)).one()
    event = from_row(Event, row, name=row.name.upper())
    assert event == Event(1, "X", summer)
    assert event.at.tzinfo == UTC and event.at.hour == 12


def test_chunks_cut_long_lists() -> None:
    assert [list(c) for c in chunks(list(range(5)), 2)] == [[0, 1], [2, 3], [4]]
    assert list(chunks([], 3)) == []


def test_a_store_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    db = Database.file(path)
    db.create_all()
    db.create_all()  # the same version opens again
    with db.begin() as conn:
        conn.execute(update(schema_table).values(version=SCHEMA_VERSION + 1))
    with pytest.raises(SchemaMismatch, match="made by a newer koppeling"):
        db.create_all()
    db.dispose()
    result = CliRunner().invoke(main, ["up", "--state-dir", str(tmp_path), "--port-base", "0"])
    assert result.exit_code == 1
    assert f"schema version {SCHEMA_VERSION + 1}" in result.output
    assert "fresh store" in result.output


def test_a_store_without_a_version_is_refused(tmp_path: Path) -> None:
    db = Database.file(tmp_path / "old.sqlite")
    local.create_all(db.engine)  # tables of an older build, no version table
    with pytest.raises(SchemaMismatch, match="no schema version"):
        db.create_all()
    db.dispose()


def test_a_file_store_is_private_to_its_owner(tmp_path: Path) -> None:
    """The store holds keys the testcentrum must send: folder 0700, database and WAL files 0600,
    also a database file left readable by an older run."""
    folder = tmp_path / "state"
    db = Database.file(folder / "state.sqlite")
    try:
        db.create_all()
        with db.begin() as conn:
            conn.execute(schema_table.update().values(made_by="test"))
        db.pin()  # the change counter is mapped at the first read of the generations
        assert _mode(folder) == 0o700
        for name in (
            "state.sqlite",
            "state.sqlite-wal",
            "state.sqlite-shm",
            "state.sqlite.write-lock",
            "state.sqlite.changes",
        ):
            assert _mode(folder / name) == 0o600, name
    finally:
        db.dispose()
    (folder / "state.sqlite").chmod(0o644)
    Database.file(folder / "state.sqlite").dispose()
    assert _mode(folder / "state.sqlite") == 0o600


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_writers_of_several_processes_queue_on_the_lock_file(tmp_path: Path) -> None:
    """A write transaction waits while another process holds ``state.sqlite.write-lock`` (not in
    SQLite's sleeping busy handler) and goes on the moment it is let go. The test holds the lock
    through its own open file, as another process would."""
    db = Database.file(tmp_path / "state.sqlite")
    entered = threading.Event()

    def write() -> None:
        with db.begin() as conn:
            conn.execute(schema_table.update().values(made_by="writer"))
            entered.set()

    try:
        db.create_all()
        other = os.open(tmp_path / "state.sqlite.write-lock", os.O_RDWR)
        fcntl.flock(other, fcntl.LOCK_EX)
        writer = threading.Thread(target=write)
        writer.start()
        try:
            assert not entered.wait(0.5), "the write did not wait for the other process's lock"
        finally:
            fcntl.flock(other, fcntl.LOCK_UN)
            os.close(other)
        writer.join(10)
        assert entered.is_set()
        with db.read() as conn:
            assert conn.execute(schema_table.select()).one().made_by == "writer"
    finally:
        db.dispose()


def test_the_generations_are_read_fresh_after_another_connection_commits(tmp_path: Path) -> None:
    """The per-request read of the generations (a plain connection per thread) sees what another
    store - another process - committed before, at once."""
    first, second = (
        Database.file(tmp_path / "state.sqlite"),
        Database.file(tmp_path / "state.sqlite"),
    )
    try:
        first.create_all()
        second.pin()
        before = second.generation(clock.GENERATION)
        clock.Clock(first).set(datetime(2026, 9, 1, tzinfo=UTC))
        assert second.generation(clock.GENERATION) == before, "pinned: one read per request"
        second.pin()
        assert second.generation(clock.GENERATION) > before
    finally:
        first.dispose()
        second.dispose()


def test_a_change_without_the_counter_is_seen_after_the_backstop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generations are kept while the change counter stays put: a commit that never
    advanced it (its writer killed in between) is seen once the backstop has passed."""
    from koppeling.harness import store

    db = Database.file(tmp_path / "state.sqlite")
    try:
        db.create_all()
        clock.Clock(db).set(datetime(2026, 9, 1, tzinfo=UTC))
        db.pin()
        before = db.generation(clock.GENERATION)
        with sqlite3.connect(tmp_path / "state.sqlite") as raw:  # a writer that died after COMMIT
            raw.execute(
                "UPDATE koppeling_generation SET value = value + 1 WHERE scope = ?",
                (clock.GENERATION,),
            )
        db.pin()
        assert db.generation(clock.GENERATION) == before, "kept while the counter stays put"
        monkeypatch.setattr(store, "GENERATIONS_BACKSTOP_S", 0.0)
        db.pin()
        assert db.generation(clock.GENERATION) == before + 1
    finally:
        db.dispose()


def test_the_kept_sqlite_schema_is_what_the_tables_declare() -> None:
    """A new SQLite store is made from `migrations/sqlite_schema.sql`, not compiled anew on
    every start: after a table changes, that file must be written again."""
    kept = SQLITE_SCHEMA.read_text(encoding="utf-8")
    assert kept == "".join(s + ";\n\n" for s in sqlite_ddl()), (
        "the tables changed: run .venv/bin/python -c 'from koppeling.harness.store import "
        "write_sqlite_schema; write_sqlite_schema()' and commit koppeling/harness/migrations/"
        "sqlite_schema.sql"
    )


def test_a_new_store_from_the_kept_schema_equals_one_create_all_makes(tmp_path: Path) -> None:
    Database.file(tmp_path / "kept.sqlite").create_all()
    compiled = Database.file(tmp_path / "compiled.sqlite")
    with compiled.engine.begin() as conn:
        metadata.create_all(conn)

    def schema(name: str) -> list[tuple[str, ...]]:
        with sqlite3.connect(tmp_path / name) as conn:
            rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        return sorted(row for row in rows if row[2] != "alembic_version")

    assert schema("kept.sqlite") == schema("compiled.sqlite")
    assert len(schema("kept.sqlite")) > 30


def test_a_sqlite_store_never_imports_postgresql(tmp_path: Path) -> None:
    """PostgreSQL's dialect costs ~30 ms of CPU to import; a SQLite store's start-up (the store
    made, a lease taken as the testcentrum's poller does, the Schoolkr8 upsert built) never needs
    it. In a fresh interpreter: this process imported it long ago."""
    import subprocess
    import sys

    script = f"""
import sys
from koppeling.harness.leases import Lease
from koppeling.harness.services import import_stores
from koppeling.harness.store import Database
import_stores()
db = Database("sqlite:///{tmp_path / "state.sqlite"}")
db.create_all()
assert Lease(db, "poller", "me").acquire()
assert Lease(db, "poller", "me").acquire()  # a second holder object: the row exists
print("postgresql" if "sqlalchemy.dialects.postgresql" in sys.modules else "sqlite only")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "sqlite only"
