"""The writer process's protocol (koppeling/harness/writer.py): a worker sends a registered write
by name, the writer commits it and answers with its result; anything it cannot or may not run,
the worker runs itself.

Real Unix sockets and a real SQLite file store; the writer's loop runs in a thread on a
Database of its own (as the writer process has its own connections)."""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, select

from koppeling.harness import writer
from koppeling.harness.commits import GroupCommit
from koppeling.harness.store import Database
from koppeling.harness.writer import Writer, WriterLink
from tests.core.test_group_commit import Refused, things


@writer.carried
@dataclass(frozen=True)
class Stored:
    id: int
    name: str


@dataclass(frozen=True)
class NotCarried:
    name: str


@writer.write
def _insert(conn: Connection, name: str) -> Stored:
    (row,) = conn.execute(things.insert().values(name=name).returning(things.c.id)).all()
    if name.startswith("refuse"):  # refused after it wrote: the write must not stay
        raise Refused(name)
    return Stored(int(row[0]), name)


@writer.write
def _insert_named(conn: Connection, named: NotCarried) -> Stored:
    return _insert(conn, named.name)


def _not_registered(conn: Connection, name: str) -> Stored:
    return _insert(conn, name)


@dataclass
class Serving:
    worker: GroupCommit  # a worker's committer, linked to the writer
    worker_db: Database
    commits: list[str]  # the writer's COMMITs
    path: str


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Serving]:
    file = tmp_path / "state.sqlite"
    worker_db, writer_db = Database.file(file), Database.file(file)
    with worker_db.begin() as conn:
        things.create(conn)
    commits: list[str] = []
    event.listen(writer_db.engine, "commit", lambda conn: commits.append("commit"))
    writes, stop = Writer(), threading.Event()
    loop = threading.Thread(target=writes.serve, args=(writer_db, stop), daemon=True)
    loop.start()
    worker = GroupCommit(worker_db)
    worker.link = WriterLink(writes.path)
    try:
        yield Serving(worker, worker_db, commits, writes.path)
    finally:
        worker.link.close()
        stop.set()
        loop.join(timeout=5)
        writes.close()
        worker_db.dispose()
        writer_db.dispose()


def _names(db: Database) -> set[str]:
    with db.read() as conn:
        return set(conn.execute(select(things.c.name)).scalars())


def test_a_write_runs_in_the_writer_and_answers_with_its_result(serving: Serving) -> None:
    stored = serving.worker.call(_insert, "een")
    assert stored == Stored(1, "een")
    assert serving.commits == ["commit"]  # committed by the writer, not in the worker
    assert _names(serving.worker_db) == {"een"}  # and there for the worker's next read


def test_a_write_larger_than_one_receive_travels_whole_both_ways(serving: Serving) -> None:
    name = "groot-" + "x" * (3 * writer.RECEIVE)  # SQLite keeps it whole (no length check)
    assert serving.worker.call(_insert, name) == Stored(1, name)
    assert serving.commits == ["commit"]
    assert _names(serving.worker_db) == {name}


def test_writes_of_many_threads_each_get_their_own_result(serving: Serving) -> None:
    got: dict[str, Stored] = {}

    def send(name: str) -> None:
        got[name] = serving.worker.call(_insert, name)

    threads = [threading.Thread(target=send, args=(f"t{i}",)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {name: stored.name for name, stored in got.items()} == {
        f"t{i}": f"t{i}" for i in range(16)
    }
    assert len({stored.id for stored in got.values()}) == 16
    assert _names(serving.worker_db) == set(got)
    assert 1 <= len(serving.commits) <= 16  # the writer commits what waited together


def test_a_refused_write_runs_again_in_the_worker_and_raises_its_own_error(
    serving: Serving,
) -> None:
    with pytest.raises(Refused, match="refuse-me"):
        serving.worker.call(_insert, "refuse-me")
    assert _names(serving.worker_db) == set()  # rolled back in the writer and in the worker
    assert serving.commits == []
    assert serving.worker.call(_insert, "daarna") == Stored(1, "daarna")  # the link still works
    assert serving.commits == ["commit"]


def test_a_class_the_writer_does_not_carry_makes_the_worker_run_the_write(
    serving: Serving,
) -> None:
    stored = serving.worker.call(_insert_named, NotCarried("lokaal"))
    assert stored == Stored(1, "lokaal")
    assert serving.commits == []  # the writer refused to unpickle it: the worker wrote it


def test_only_registered_writes_are_sent(serving: Serving) -> None:
    with pytest.raises(KeyError, match="not a registered write"):
        serving.worker.call(_not_registered, "nee")
    assert _names(serving.worker_db) == set()


def test_the_writer_never_unpickles_what_it_does_not_carry(
    serving: Serving, tmp_path: Path
) -> None:
    """A frame that would call ``os.system`` when unpickled: the writer answers *local* and
    runs nothing."""
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, (f"touch {marker}",))

    link = WriterLink(serving.path)
    sock = link._connection()
    assert sock is not None
    payload = pickle.dumps((writer.name_of(_insert), (Evil(),)))
    try:
        sock.sendall(writer.FRAME_LENGTH.pack(len(payload)) + payload)
        answer = writer._read_frame(sock)
    finally:
        link.close()
    assert answer is not None and writer._loads(answer) == (writer.LOCAL, None)
    assert not marker.exists()
    assert serving.commits == []


def test_without_a_writer_the_worker_runs_the_write_itself(tmp_path: Path) -> None:
    db = Database.file(tmp_path / "state.sqlite")
    try:
        with db.begin() as conn:
            things.create(conn)
        worker = GroupCommit(db)
        worker.link = WriterLink(str(tmp_path / "no-writer-here"))
        assert worker.call(_insert, "alleen") == Stored(1, "alleen")
        assert not worker.link._opened
        assert _names(db) == {"alleen"}
    finally:
        db.dispose()


def test_a_fork_of_the_worker_does_not_use_its_link(serving: Serving) -> None:
    """The link belongs to the process it was made for: a fork (a test's own child process,
    say) runs its writes itself rather than share the parent's connections."""
    assert serving.worker.link is not None
    serving.worker.link.pid = -1  # as if made in another process
    assert serving.worker.call(_insert, "elders") == Stored(1, "elders")
    assert serving.commits == []


def test_a_breng_message_travels_to_the_writer_whole() -> None:
    """Schoolkr8's hot writes carry a prepared BrengLeerresultaten message (its rows, their
    figures as Decimal, the key) and answer with counts: all of it passes the writer's loader."""
    from koppeling.uwlr.autorisatie import Autorisatie
    from koppeling.uwlr.leerresultaten import (
        LeerresultatenVerzoek,
        Resultaat,
        School,
        Toets,
        Toetsafname,
    )
    from mocks.schoolkr8 import intake, service

    resultaat = Resultaat.genormeerd(
        "R1", date(2026, 10, 30), "LVS RW 2019", ruwe_score=40, percentiel=55, dle=22
    )
    verzoek = LeerresultatenVerzoek(
        School("2026-2027", "99BE", datetime(2026, 11, 2, tzinfo=UTC), "00"),
        (Toetsafname("0000000001", (resultaat,)),),
        (Toets("LVS RW 2019", "LVS RW"),),
    )
    bericht = intake.prepare(Autorisatie("sk8_" + "A" * 32, "K", "Klant"), verzoek)
    now = datetime(2026, 11, 3, tzinfo=UTC)
    sent = (writer.name_of(service._accept), (bericht, now))
    assert writer._loads(pickle.dumps(sent)) == sent
    ontvangst = intake.Ontvangst("99BE-00", 1, 1, 0, 0)
    assert writer._loads(pickle.dumps((writer.OK, ontvangst))) == (writer.OK, ontvangst)
    pupil = (
        writer.name_of(service._add_leerling),
        ("99BE-00", "Ada", "Smit", date(2017, 5, 1), "5", now),
    )
    assert writer._loads(pickle.dumps(pupil)) == pupil
    store = Database.memory()
    try:
        store.create_all()
        with store.begin() as conn:  # what _add_leerling answers: a Leerling
            leerling = service._add_leerling(conn, *pupil[1])
    finally:
        store.dispose()
    assert writer._loads(pickle.dumps((writer.OK, leerling))) == (writer.OK, leerling)


def _shout(db: Database, name: str) -> tuple[str]:
    """A preparation: runs where the write is sent, before its transaction."""
    if name == "bad":
        raise ValueError("a preparation refuses")
    return (name + "!",)


@writer.prepared_by(_shout)
def _insert_shouted(conn: Connection, name: str) -> Stored:
    return _insert(conn, name)


def test_a_prepared_write_is_prepared_and_committed_in_the_writer(serving: Serving) -> None:
    """`GroupCommit.send` sends the raw arguments; the writer prepares them (outside its
    transaction), runs the write and answers; anything prepared or refused there is left to
    the worker, which then takes its own path: (False, None), nothing stored."""
    assert serving.worker.send(_insert_shouted, "een") == (True, Stored(1, "een!"))
    assert serving.commits == ["commit"]
    assert serving.worker.send(_insert_shouted, "bad") == (False, None)  # its preparation
    assert serving.worker.send(_insert_shouted, "refuse") == (False, None)  # the write
    assert serving.worker.send(_insert_shouted, "twee") == (True, Stored(2, "twee!"))
    assert _names(serving.worker_db) == {"een!", "twee!"}


def test_without_a_writer_a_prepared_write_is_not_sent(tmp_path: Path) -> None:
    db = Database.file(tmp_path / "state.sqlite")
    try:
        assert GroupCommit(db).send(_insert_shouted, "een") == (False, None)
    finally:
        db.dispose()
