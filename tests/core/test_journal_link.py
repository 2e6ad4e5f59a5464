"""A worker's journal entries written by ``koppeling up``'s own process (journal_link): masked
there, readable at once, never lost when that process is gone, and a hostile frame refused."""

from __future__ import annotations

import logging
import os
import pickle
import socket
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import koppeling.harness.journal as journal_module
from koppeling.harness.journal import Entry, Journal
from koppeling.harness.journal_link import FRAME_ENTRIES, JournalLink, JournalServer
from koppeling.harness.service import Core
from koppeling.harness.store import Database

AT = datetime(2026, 12, 1, tzinfo=UTC)
KEY = "sk8_" + "Q" * 40


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    db = Database.file(tmp_path / "state.sqlite")
    Core.create(db)
    yield db
    db.dispose()


@pytest.fixture
def server(store: Database) -> Iterator[tuple[JournalServer, Journal]]:
    """A journal server writing into the store's journal, as ``koppeling up``'s process does."""
    writer = Journal(store)
    found = JournalServer()
    found.listen()
    found.serve(writer)
    yield found, writer
    found.stop()
    writer.close()


def entry(summary: str, **extra: object) -> Entry:
    return Entry(service="probe", kind="http", at=AT, summary=summary, **extra)  # type: ignore[arg-type]


def test_a_workers_entries_are_written_by_the_server_and_masked_there(
    store: Database, server: tuple[JournalServer, Journal]
) -> None:
    worker = Journal(store, link=server[0].path)
    for i in range(300):
        worker.record(
            entry(f"n{i}", request=f"<aut:autorisatiesleutel>{KEY}</aut:autorisatiesleutel>")
        )
    worker.record(entry("data", data={"dashboard_sleutel": KEY, "when": AT.isoformat()}))
    worker.flush()
    assert worker._own is None  # the worker opened no journal file: the server wrote it all
    found = worker.entries(service="probe")
    assert [e.summary for e in found] == [f"n{i}" for i in range(300)] + ["data"]
    assert all(KEY not in (e.request or "") for e in found)
    assert "sk8_" in (found[0].request or "")  # masked, not dropped
    assert found[-1].data is not None and KEY not in str(found[-1].data)
    worker.close()


def test_without_a_server_the_worker_writes_itself_and_loses_nothing(
    store: Database, server: tuple[JournalServer, Journal], caplog: pytest.LogCaptureFixture
) -> None:
    worker = Journal(store, link=server[0].path)
    worker.record(entry("before"))
    worker.flush()
    server[0].stop()  # up's process gone: its socket and directory with it
    assert not os.path.exists(server[0].path)
    with caplog.at_level(logging.WARNING, logger="koppeling"):
        worker.record(entry("after"))
        worker.flush()
    assert [e.summary for e in worker.entries(service="probe")] == ["before", "after"]
    assert "journal: writing 1 entries here" in caplog.text
    worker.close()


def test_a_hostile_frame_is_refused_and_the_server_goes_on(
    store: Database, server: tuple[JournalServer, Journal]
) -> None:
    evil = b"cos\nsystem\n(S'echo owned'\ntR."  # a pickle that would call os.system
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
        raw.settimeout(10)
        raw.connect(server[0].path)
        raw.sendall(struct.pack("<I", len(evil)) + evil)
        assert struct.unpack("<I", raw.recv(4))[0] == 0  # refused: nothing written
        junk = b"\x80\x05junk"
        raw.sendall(struct.pack("<I", len(junk)) + junk)
        assert struct.unpack("<I", raw.recv(4))[0] == 0
        good = vars(entry("typed"))
        for frame in (
            {"not": "a list"},
            [{**good, "request": 5}],  # a body that is no text
            [{**good, "extra": "field"}],
            [good, {**good, "at": "2026-12-01"}],  # one bad entry refuses the whole frame
        ):
            payload = pickle.dumps(frame)
            raw.sendall(struct.pack("<I", len(payload)) + payload)
            assert struct.unpack("<I", raw.recv(4))[0] == 0
    worker = Journal(store, link=server[0].path)
    worker.record(entry("still served"))
    worker.flush()
    assert worker._own is None
    assert [e.summary for e in worker.entries(service="probe")] == ["still served"]
    worker.close()


def test_a_link_in_a_fork_opens_its_own_connection(
    store: Database, server: tuple[JournalServer, Journal]
) -> None:
    link = JournalLink(server[0].path)
    assert link.send([entry("parent")]) == 1
    pid = os.fork()
    if pid == 0:  # the child: the inherited connection is the parent's, left alone
        code = 0 if link.send([entry("child")]) == 1 else 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert link.send([entry("parent again")]) == 1  # the parent's connection still works
    link.close()
    summaries = [e.summary for e in Journal(store).entries(service="probe")]
    assert summaries == ["parent", "child", "parent again"]


def test_a_big_batch_goes_in_frames_in_order(
    store: Database, server: tuple[JournalServer, Journal]
) -> None:
    link = JournalLink(server[0].path)
    count = 2 * FRAME_ENTRIES + 7
    assert link.send([entry(f"n{i}") for i in range(count)]) == count
    link.close()
    summaries = [e.summary for e in Journal(store).entries(service="probe")]
    assert summaries == [f"n{i}" for i in range(count)]


def test_a_worker_behind_writes_its_big_batch_itself(
    store: Database, server: tuple[JournalServer, Journal], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of more than LINK_BATCH entries means up's process is behind: the worker writes
    that one itself (its queue and the journal's lag stay short), and the next small one goes
    through the link again."""
    monkeypatch.setattr(journal_module, "LINK_BATCH", 10)
    worker = Journal(store, link=server[0].path)
    with worker._lock:  # the writer takes all 50 at once (the condition's lock is reentrant)
        for i in range(50):
            worker.record(entry(f"n{i}"))
    worker.flush()
    assert worker._own is not None  # it opened the journal file: it wrote them itself
    worker.record(entry("small"))
    worker.flush()
    assert server[1]._own is not None  # up's process wrote the small one
    assert [e.summary for e in worker.entries(service="probe")] == [f"n{i}" for i in range(50)] + [
        "small"
    ]
    worker.close()
