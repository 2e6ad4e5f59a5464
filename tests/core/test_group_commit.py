"""Group commit (koppeling/harness/commits.py): many requests' writes in one write transaction,
a refused one rolled back alone, each request answered with its own result only after the COMMIT.

A SQLite file store and real threads; the first write holds the lock until the others queue, so
the batching is deterministic (no timing assumptions)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, event, select

from koppeling.harness.commits import GroupCommit, committer
from koppeling.harness.store import Database
from koppeling.testing.groupcommit import Outcome, Work, batch_behind_a_leader

things = Table(
    "gc_things",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(32), nullable=False, unique=True),
)


class Refused(Exception):
    """A write's own refusal (like a SOAP Fault)."""


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    db = Database.file(tmp_path / "state.sqlite")
    with db.begin() as conn:
        things.create(conn)
    yield db
    db.dispose()


def _names(db: Database) -> set[str]:
    with db.read() as conn:
        return set(conn.execute(select(things.c.name)).scalars())


def _insert(name: str, *, refuse: bool = False) -> Callable[[Connection], str]:
    def work(conn: Connection) -> str:
        conn.execute(things.insert().values(name=name))
        if refuse:  # refused after it wrote: the write must not stay
            raise Refused(name)
        return f"stored {name}"

    return work


def _commits(db: Database) -> list[int]:
    counted: list[int] = []
    event.listen(db.engine, "commit", lambda conn: counted.append(1))
    return counted


def _leader(conn: Connection) -> str:
    conn.execute(things.insert().values(name="leader"))
    return "leader"


def _batch_behind_a_leader(group: GroupCommit, works: list[Work]) -> list[Outcome]:
    """``works`` queued behind a leader that stores "leader": each one's outcome, in order."""
    return batch_behind_a_leader(group, works, _leader)[1]


def test_waiting_writes_share_one_transaction_and_each_gets_its_own_result(
    db: Database,
) -> None:
    group = GroupCommit(db)
    commits = _commits(db)
    outcomes = _batch_behind_a_leader(group, [_insert(f"n{i}") for i in range(8)])
    assert outcomes == [("ok", f"stored n{i}") for i in range(8)]
    assert len(commits) == 2  # the leader's own, then one for the eight that queued
    assert group.batches == 1 and group.grouped == 8
    assert _names(db) == {"leader", *(f"n{i}" for i in range(8))}


def test_a_refused_write_changes_nothing_and_the_others_of_its_batch_stay(db: Database) -> None:
    group = GroupCommit(db)
    works = [_insert("a"), _insert("b", refuse=True), _insert("c")]
    outcomes = _batch_behind_a_leader(group, works)
    assert outcomes[0] == ("ok", "stored a")
    assert outcomes[1][0] == "error" and isinstance(outcomes[1][1], Refused)
    assert str(outcomes[1][1]) == "b"
    assert outcomes[2] == ("ok", "stored c")
    assert _names(db) == {"leader", "a", "c"}


def test_a_database_error_of_one_write_leaves_the_others(db: Database) -> None:
    """The second "dup" breaks the UNIQUE constraint: only that write fails."""
    group = GroupCommit(db)
    outcomes = _batch_behind_a_leader(group, [_insert("dup"), _insert("dup"), _insert("z")])
    assert [kind for kind, _ in outcomes] == ["ok", "error", "ok"]
    assert _names(db) == {"leader", "dup", "z"}


def test_a_failed_commit_answers_every_write_of_the_batch_with_the_error(db: Database) -> None:
    group = GroupCommit(db)
    failing = {"on": False}

    def fail_commit(conn: Any) -> None:
        if failing["on"]:
            raise OSError("disk full")

    event.listen(db.engine, "commit", fail_commit)

    works = [_insert("p"), _insert("q", refuse=True)]

    def hold(conn: Connection) -> str:
        failing["on"] = True  # the next COMMIT (the batch's) fails
        return "held"

    leader, (p, q) = batch_behind_a_leader(group, works, hold)
    outcomes = {"leader": leader[1], "p": p[1], "q": q[1]}
    assert isinstance(outcomes["leader"], OSError)  # its own COMMIT failed
    assert isinstance(outcomes["p"], OSError)  # stored, then the COMMIT failed: not acknowledged
    assert isinstance(outcomes["q"], Refused)  # its own refusal, not the batch's error
    failing["on"] = False
    assert _names(db) == set()


def test_a_lone_write_is_one_plain_transaction(db: Database) -> None:
    group = GroupCommit(db)
    with pytest.raises(Refused):
        group.run(_insert("alone", refuse=True))
    assert _names(db) == set()
    assert group.run(_insert("kept")) == "stored kept"
    assert _names(db) == {"kept"}
    assert group.batches == 0  # a write alone is no batch


def test_one_committer_per_store(db: Database, tmp_path: Path) -> None:
    other = Database.file(tmp_path / "other.sqlite")
    try:
        assert committer(db) is committer(db)
        assert committer(db) is not committer(other)
    finally:
        other.dispose()


def test_many_threads_every_write_stored_once(db: Database) -> None:
    """32 threads x 20 writes through one committer: every acknowledged write is there, every
    refused one is not, and no answer went to the wrong thread."""
    group = committer(db)
    wrong: list[str] = []

    def worker(t: int) -> None:
        for i in range(20):
            name = f"t{t}-{i}"
            try:
                got = group.run(_insert(name, refuse=i % 5 == 0))
                if got != f"stored {name}":
                    wrong.append(f"{name} got {got}")
            except Refused as exc:
                if str(exc) != name or i % 5:
                    wrong.append(f"{name} refused as {exc}")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert wrong == []
    expected = {f"t{t}-{i}" for t in range(32) for i in range(20) if i % 5}
    assert _names(db) == expected


def test_a_write_cannot_wait_for_its_own_batch(db: Database) -> None:
    """run() from inside a write would deadlock (the leader waiting for itself): refused."""
    group = GroupCommit(db)

    def nested(conn: Connection) -> str:
        return group.run(_insert("inner"))

    with pytest.raises(RuntimeError, match="inside a write"):
        group.run(nested)
    assert _names(db) == set()
    assert group.run(_insert("after")) == "stored after"  # the committer still works
