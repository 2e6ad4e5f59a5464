"""The store on both engines: SQLite (a file) and a real PostgreSQL server (a throwaway cluster).

What SQLite gave for free must hold on PostgreSQL too: one writer at a time (no lost update in a
read-decide-write transaction), text without a length limit, byte-order sorting, 64-bit
integers, aware UTC instants, a counted fault taken exactly once, and leases with exactly one
holder among racing processes.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select, update

from koppeling.harness.faults import Faults, faults_table
from koppeling.harness.leases import Lease
from koppeling.harness.store import Database, UtcDateTime, insert_ignore, position

local = MetaData()
things = Table(
    "pg_things",
    local,
    Column("id", Integer, primary_key=True),
    Column("name", String(4)),
    Column("body", Text),
    Column("n", Integer),
    Column("at", UtcDateTime()),
)
counters = Table(
    "pg_counters",
    local,
    Column("name", String(16), primary_key=True),
    Column("value", Integer, nullable=False),
)


@pytest.fixture
def db(both_engines: Database) -> Database:
    """A fresh store with every table and this module's own, on SQLite or PostgreSQL."""
    local.create_all(both_engines.engine)
    return both_engines


def test_the_engine_is_the_one_asked_for(db: Database) -> None:
    with db.read() as conn:
        assert conn.dialect.name == db.dialect
    assert db.is_postgresql == (db.dialect == "postgresql")


def test_columns_behave_as_on_sqlite(db: Database) -> None:
    """No VARCHAR length enforced, byte order (capitals before lower case), aware instants back
    in UTC."""
    summer = datetime(2026, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    with db.begin() as conn:
        conn.execute(
            things.insert(),
            [
                {
                    "id": 1,
                    "name": "beta-longer-than-four",
                    "body": "x" * 10_000,
                    "n": 7,
                    "at": None,
                },
                {"id": 2, "name": "Zulu", "body": "", "n": -7, "at": summer},
                {"id": 3, "name": "alpha", "body": "é", "n": 0, "at": None},
            ],
        )
    with db.read() as conn:
        names = list(conn.execute(select(things.c.name).order_by(things.c.name)).scalars())
        row = conn.execute(select(things).where(things.c.id == 2)).one()
    assert names == ["Zulu", "alpha", "beta-longer-than-four"]
    assert row.at == summer and row.at.tzinfo == UTC


def test_integers_of_the_store_hold_64_bits(db: Database) -> None:
    """A fault scripted for 2**62 times, an id of 2**40 asked for: as on SQLite, no overflow."""
    faults = Faults(db)
    spec = {
        "path": "/x",
        "method": None,
        "fault": "http_503",
        "delay_ms": 0,
        "code": None,
        "remaining": 2**62,
        "school": None,
    }
    faults.add("svc", spec)
    assert [f.remaining for f in faults.list("svc")] == [2**62]
    taken = faults.take("svc", "GET", "/x")
    assert taken is not None
    assert [f.remaining for f in faults.list("svc")] == [2**62 - 1]
    with db.read() as conn:
        missing = select(faults_table).where(faults_table.c.id == 2**40)
        assert conn.execute(missing).first() is None


def test_position_and_insert_ignore(db: Database) -> None:
    with db.begin() as conn:
        assert insert_ignore(conn, counters, {"name": "a", "value": 1}) == 1
        assert insert_ignore(conn, counters, {"name": "a", "value": 2}) == 0
        conn.execute(things.insert().values(id=1, name="n", body="|x|Tag|y|", n=0))
    with db.read() as conn:
        assert conn.execute(select(counters.c.value)).scalar_one() == 1
        found = select(things.c.id).where(position(things.c.body, "|Tag|") > 0)
        assert conn.execute(found).scalars().all() == [1]
        missing = select(things.c.id).where(position(things.c.body, "|tag|") > 0)
        assert conn.execute(missing).scalars().all() == []


def test_write_transactions_are_one_at_a_time(db: Database) -> None:
    """Read, decide, write - the pattern every store uses - loses no update under 8 threads
    (on PostgreSQL thanks to the write lock Database.begin takes; without it READ COMMITTED
    would lose most of them)."""
    with db.begin() as conn:
        conn.execute(counters.insert().values(name="c", value=0))

    def bump() -> None:
        for _ in range(25):
            with db.begin() as conn:
                value = conn.execute(select(counters.c.value)).scalar_one()
                conn.execute(update(counters).values(value=value + 1))

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.read() as conn:
        assert conn.execute(select(counters.c.value)).scalar_one() == 200


def test_a_counted_fault_is_taken_exactly_once(db: Database) -> None:
    faults = Faults(db)
    faults.add(
        "svc",
        {
            "path": "/x",
            "method": None,
            "fault": "http_503",
            "delay_ms": 0,
            "code": None,
            "remaining": 3,
            "school": None,
        },
    )
    taken: list[object] = []

    def take() -> None:
        for _ in range(5):
            fault = faults.take("svc", "GET", "/x")
            if fault is not None:
                taken.append(fault)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 3
    assert faults.list("svc") == []


def test_of_racing_holders_exactly_one_gets_the_lease(db: Database) -> None:
    holders = [Lease(db, "job", f"holder-{i}", ttl=30) for i in range(8)]
    won: list[str] = []
    barrier = threading.Barrier(len(holders))

    def race(lease: Lease) -> None:
        barrier.wait()
        if lease.acquire():
            won.append(lease.holder)

    threads = [threading.Thread(target=race, args=(lease,)) for lease in holders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert holders[0].state().holder == won[0]


def test_a_lease_is_renewed_by_its_holder_and_taken_over_when_it_runs_out(db: Database) -> None:
    now = [datetime(2026, 9, 1, 8, 0, tzinfo=UTC)]
    first = Lease(db, "job", "first", ttl=10, real_now=lambda: now[0])
    second = Lease(db, "job", "second", ttl=10, real_now=lambda: now[0])
    assert first.acquire()
    assert not second.acquire()
    now[0] += timedelta(seconds=8)
    assert first.acquire()  # renewed: runs until 08:00:18
    now[0] += timedelta(seconds=9)
    assert not second.acquire()
    now[0] += timedelta(seconds=2)  # 08:00:19: the first holder stopped renewing
    assert second.acquire()
    assert not first.acquire()
    assert second.state().holder == "second"
    second.release()
    assert first.acquire()


def test_a_nul_in_text_is_stored_not_a_failure(db: Database) -> None:
    """SQLite keeps a NUL; PostgreSQL's text cannot, so it becomes U+FFFD there - the statement
    (a journal entry, a name typed in) never fails on it."""
    with db.begin() as conn:
        conn.execute(things.insert(), [{"id": 1, "name": "a\x00b", "body": "x\x00", "n": 0}])
    with db.read() as conn:
        row = conn.execute(select(things.c.name, things.c.body)).one()
    kept = "\x00" if db.dialect == "sqlite" else "\ufffd"
    assert (row.name, row.body) == (f"a{kept}b", f"x{kept}")
