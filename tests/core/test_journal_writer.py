"""The journal is written off the request path, yet a reader sees every entry queued before it
asked, also one queued by another process that has not written it yet."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection

import koppeling.harness.journal as journal
from koppeling.harness.commits import GroupCommit, committer
from koppeling.harness.journal import Entry, Journal
from koppeling.harness.service import Core
from koppeling.harness.store import Database

AT = datetime(2026, 12, 1, tzinfo=UTC)

OTHER_PROCESS = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    import koppeling.harness.journal as journal
    from koppeling.harness.store import Database

    journal.FLUSH_SECONDS = 3.0  # a slow writer: the reader must wait for it
    journal.FLUSH_ROWS = 10_000
    j = journal.Journal(Database.file(Path(sys.argv[1])))
    j.record(journal.Entry(service="other", kind="http", at=datetime.now(UTC), summary="queued"))
    print("queued", flush=True)
    time.sleep(30)
    """
)


def test_an_entry_is_readable_at_once_in_its_own_process(tmp_path: Path) -> None:
    core = Core.create(Database.file(tmp_path / "state.sqlite"))
    for i in range(300):
        core.journal.record(Entry(service="probe", kind="http", at=AT, summary=f"n{i}"))
    assert [e.summary for e in core.journal.entries(service="probe")] == [
        f"n{i}" for i in range(300)
    ]
    core.journal.clear("probe")
    assert core.journal.count("probe") == 0
    core.db.dispose()


def test_a_reader_waits_for_what_another_process_queued(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    db = Database.file(path)
    Core.create(db)
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS, str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "queued"
        reader = Journal(db)
        assert [e.summary for e in reader.entries(service="other")] == ["queued"]
    finally:
        other.kill()
        other.wait()
        if other.stdout is not None:
            other.stdout.close()
    db.dispose()


@contextmanager
def store_write_held(db: Database) -> Iterator[GroupCommit]:
    """A request's write that holds the store's write transaction until the block ends; the
    store's group commit, for what the block queues behind it."""
    group = committer(db)
    running, release = threading.Event(), threading.Event()

    def hold(conn: Connection) -> str:
        running.set()
        assert release.wait(30)
        return "held"

    leader = threading.Thread(target=group.run, args=(hold,))
    leader.start()
    try:
        assert running.wait(10)
        yield group
    finally:
        release.set()
        leader.join(10)


def test_a_journal_batch_shares_the_transaction_of_waiting_request_writes() -> None:
    """Where the journal lives in the store (in memory, PostgreSQL), the writer thread hands its
    batch to the store's group commit: queued behind a write that holds the transaction, it is
    committed together with a request's write (one batch of two), not in a write transaction of
    its own."""
    core = Core.create(Database.memory())

    def request_write(conn: Connection) -> str:
        return "request"  # any hot write of the store

    try:
        with store_write_held(core.db) as group:
            core.journal.record(Entry(service="probe", kind="http", at=AT, summary="shared"))
            other = threading.Thread(target=group.run, args=(request_write,))
            other.start()
            deadline = time.monotonic() + 10
            while group.waiting() < 2:  # the journal's batch and the request's write
                assert time.monotonic() < deadline, "the journal's batch never queued"
                time.sleep(0.001)
        other.join(10)
        assert [e.summary for e in core.journal.entries(service="probe")] == ["shared"]
        assert (group.batches, group.grouped) == (1, 2)
    finally:
        core.db.dispose()


def test_beside_a_file_store_the_journal_never_waits_for_the_stores_writes(tmp_path: Path) -> None:
    """Beside a SQLite file store the journal has a file of its own (``state.journal.sqlite``):
    an entry is written, and read back, while a request's write holds the store's write lock."""
    core = Core.create(Database.file(tmp_path / "state.sqlite"))
    try:
        with store_write_held(core.db):
            core.journal.record(Entry(service="probe", kind="http", at=AT, summary="alone"))
            assert [e.summary for e in core.journal.entries(service="probe")] == ["alone"]
            assert (tmp_path / "state.journal.sqlite").is_file()
    finally:
        core.journal.close()
        core.db.dispose()


def test_a_batch_written_many_rows_to_a_statement_is_what_single_rows_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of 45 entries goes in as statements of 32, 8 and 1 rows; read back, each entry
    is what the same entry written one row to a statement is (masked, cut, in order)."""
    core = Core.create(Database.file(tmp_path / "state.sqlite"))
    monkeypatch.setattr(journal, "FLUSH_SECONDS", 1.0)  # the whole queue is one batch
    key = "pns_" + "K3y" * 11

    def entries(service: str) -> list[Entry]:
        return [
            Entry(
                service=service,
                kind="soap" if i % 2 else "http",
                at=AT + timedelta(seconds=i),
                method="POST",
                path=f"/p/{i}?autorisatiesleutel={key}",
                status=200 + i,
                operation="HaalLeerlinggegevens" if i % 2 else None,
                school="99AB-00" if i % 3 else None,
                correlation_id=f"c{i}",
                summary=f"n{i}",
                request=f"<aut:autorisatiesleutel>{key}</aut:autorisatiesleutel>{i}",
                response="x" * (journal.MAX_BODY + i) if i % 5 == 0 else None,
                data={"duration_ms": i / 3, "sleutel": key} if i % 4 else None,
            )
            for i in range(45)
        ]

    try:
        for entry in entries("many"):
            core.journal.record(entry)
        core.journal.flush()
        monkeypatch.setattr(journal, "INSERT_ROWS", (1,))
        for entry in entries("single"):
            core.journal.record(entry)
        many = core.journal.entries(service="many")
        single = core.journal.entries(service="single")
        assert [e.summary for e in many] == [f"n{i}" for i in range(45)]
        assert [e.id for e in many] == sorted(e.id for e in many if e.id is not None)
        assert [{**e.as_json(), "id": 0, "service": ""} for e in many] == [
            {**e.as_json(), "id": 0, "service": ""} for e in single
        ]
        assert key not in str([e.as_json() for e in many])
    finally:
        core.db.dispose()


def test_a_new_journal_file_takes_over_the_entries_the_store_kept(tmp_path: Path) -> None:
    """A store made before the journal had a file of its own kept its entries in its own
    ``journal`` table: the new journal file moves them over (ids and order kept), so a restart
    after the upgrade keeps them, and the store's table is left empty."""
    store = Database.file(tmp_path / "state.sqlite")
    store.create_all()
    rows = [
        {"id": 7 + i, "service": "probe", "at": AT, "kind": "http", "summary": f"old {i}"}
        for i in range(3)
    ]
    with store.begin() as conn:
        conn.execute(journal.journal_table.insert(), rows)
    core = Core.create(store, store_checked=True)
    try:
        kept = core.journal.entries(service="probe")
        assert [(e.id, e.summary) for e in kept] == [(7, "old 0"), (8, "old 1"), (9, "old 2")]
        core.journal.record(Entry(service="probe", kind="http", at=AT, summary="new"))
        assert [e.id for e in core.journal.entries(service="probe")] == [7, 8, 9, 10]
        with store.read() as conn:
            left = conn.execute(journal.journal_table.select()).all()
        assert left == []
    finally:
        core.journal.close()
        store.dispose()


def test_a_journal_file_of_another_shape_is_started_afresh(tmp_path: Path) -> None:
    """The journal file is a bounded log, not migrated: one written by a koppeling with another
    shape of it (another ``user_version``) is started afresh; one of this shape is kept."""
    first = Core.create(Database.file(tmp_path / "state.sqlite"))
    first.journal.record(Entry(service="probe", kind="http", at=AT, summary="kept"))
    first.journal.close()
    first.db.dispose()
    again = Core.create(Database.file(tmp_path / "state.sqlite"))
    assert [e.summary for e in again.journal.entries(service="probe")] == ["kept"]
    again.journal.close()
    again.db.dispose()
    with sqlite3.connect(tmp_path / "state.journal.sqlite") as conn:
        conn.execute(f"PRAGMA user_version = {journal.JOURNAL_FILE_VERSION + 1}")
    conn.close()
    other = Core.create(Database.file(tmp_path / "state.sqlite"))
    try:
        assert other.journal.entries(service="probe") == []
        other.journal.record(Entry(service="probe", kind="http", at=AT, summary="new"))
        assert [e.summary for e in other.journal.entries(service="probe")] == ["new"]
    finally:
        other.journal.close()
        other.db.dispose()


def _bodies(path: Path) -> list[tuple[str, str]]:
    """(service, text) of every body the journal file keeps once for its entries."""
    with sqlite3.connect(path / "state.journal.sqlite") as conn:
        rows = conn.execute("SELECT service, text FROM journal_body ORDER BY service").fetchall()
        keys = "SELECT service, digest FROM {} ORDER BY service, digest"
        used = conn.execute(keys.format("journal_body_last")).fetchall()
        assert used == conn.execute(keys.format("journal_body")).fetchall()  # one mark each
    conn.close()
    return [(service, text) for service, text in rows]


def test_a_repeated_body_is_kept_once_and_read_back_whole(tmp_path: Path) -> None:
    """Beside a file store a body of at least SHARE_BODY characters is kept once per service
    (a mock's answers repeat: every Haal of a school gets the same bytes), and every entry
    reads back the whole body, as it was recorded (masked): the same entries as without
    sharing, less to write."""
    core = Core.create(Database.file(tmp_path / "state.sqlite"))
    answer = "<antwoord>" + "x" * journal.SHARE_BODY + "</antwoord>"
    key_body = "sleutel=sk8_ABCDEFGHIJKLMNOP&" + "y" * journal.SHARE_BODY
    try:
        for i in range(100):
            core.journal.record(
                Entry(service="probe", kind="http", at=AT, request=f"vraag {i}", response=answer)
            )
        core.journal.record(Entry(service="other", kind="http", at=AT, response=answer))
        core.journal.record(Entry(service="probe", kind="http", at=AT, request=key_body))
        kept = core.journal.entries(service="probe")
        assert [e.response for e in kept[:100]] == [answer] * 100
        assert [e.request for e in kept[:100]] == [f"vraag {i}" for i in range(100)]
        assert kept[-1].request == journal._masked_body(key_body)
        assert "sk8_ABCD…" in kept[-1].request and "EFGH" not in kept[-1].request
        assert core.journal.entries(service="other")[0].response == answer
        assert sorted(_bodies(tmp_path)) == sorted(
            [("other", answer), ("probe", answer), ("probe", kept[-1].request)]
        )
        core.journal.clear("probe")
        assert _bodies(tmp_path) == [("other", answer)]
    finally:
        core.journal.close()
        core.db.dispose()


def test_a_shared_body_goes_with_the_last_entry_that_used_it(tmp_path: Path) -> None:
    """The prune keeps ``limit`` entries per service; a shared body stays while any entry
    kept uses it and goes with the last one, so the bodies stay bounded with the entries."""
    core = Core.create(Database.file(tmp_path / "state.sqlite"), journal_limit=10)
    old, new = "o" * journal.SHARE_BODY, "n" * journal.SHARE_BODY
    try:
        for _ in range(journal.PRUNE_EVERY):
            core.journal.record(Entry(service="probe", kind="http", at=AT, response=old))
            core.journal.flush()  # one batch each: the body's last user is its newest entry
        assert _bodies(tmp_path) == [("probe", old)]
        for _ in range(journal.PRUNE_EVERY - 5):
            core.journal.record(Entry(service="probe", kind="http", at=AT, response=new))
        core.journal.flush()
        for _ in range(5):  # the prune at 2 x PRUNE_EVERY: ten entries of `new` are kept
            core.journal.record(Entry(service="probe", kind="http", at=AT, response=new))
        kept = core.journal.entries(service="probe")
        assert [e.response for e in kept] == [new] * 10
        assert _bodies(tmp_path) == [("probe", new)]
    finally:
        core.journal.close()
        core.db.dispose()


@pytest.mark.parametrize("file_store", [True, False], ids=["own-file", "in-memory-store"])
def test_a_body_that_looks_like_a_reference_reads_back_as_it_was(
    tmp_path: Path, file_store: bool
) -> None:
    """A shared body is stored as a reference (journal.REF and a digest); a recorded body that
    starts the same way is no reference and reads back unchanged, in either kind of store."""
    db = Database.file(tmp_path / "state.sqlite") if file_store else Database.memory()
    core = Core.create(db)
    shared = "s" * journal.SHARE_BODY
    core.journal.record(Entry(service="probe", kind="http", at=AT, response=shared))
    digest = core.journal.entries(service="probe")[0].response and journal._digest(shared)
    looks_like = [journal.REF + str(digest), journal.REF, journal.REF + journal.REF + "x", "\x00"]
    try:
        for text in looks_like:
            core.journal.record(Entry(service="probe", kind="http", at=AT, request=text))
        assert [e.request for e in core.journal.entries(service="probe")[1:]] == looks_like
    finally:
        core.journal.close()
        core.db.dispose()


def test_a_repeated_answer_counts_once_toward_the_queues_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue holds at most QUEUE_BYTES of bodies; an answer the SOAP lane repeats is one
    text object in every entry and takes its memory once, so it is counted once per batch
    (counting it per entry made 300 Haal answers of 26 KB fill 8 MB and requests wait for
    the writer). Answers that are other objects each count, and the count starts afresh with
    every batch the writer takes."""
    monkeypatch.setattr(journal, "FLUSH_SECONDS", 30.0)  # the writer takes nothing meanwhile
    monkeypatch.setattr(journal, "FLUSH_ROWS", 10_000)
    core = Core.create(Database.file(tmp_path / "state.sqlite"))
    answer = "<antwoord>" + "x" * 100_000 + "</antwoord>"

    def record(response: str) -> None:
        core.journal.record(
            Entry(service="probe", kind="soap", at=AT, request="<vraag/>", response=response)
        )

    for _ in range(50):
        record(answer)
    assert core.journal._queued_bytes == len(answer) + 50 * (512 + len("<vraag/>"))
    for i in range(3):
        record("".join(["<antwoord>", "y" * 1000, str(i), "</antwoord>"]))  # three objects
    assert core.journal._queued_bytes == len(answer) + 53 * (512 + 8) + 3 * 1022
    record(answer)  # after other answers it is counted again (only the last one is known)
    assert core.journal._queued_bytes == 2 * len(answer) + 54 * (512 + 8) + 3 * 1022
    record(answer)
    core.journal.flush()  # the writer takes the batch: the count starts afresh
    record(answer)
    assert core.journal._queued_bytes == len(answer) + 512 + 8
    assert core.journal.count("probe") == 56
    core.db.dispose()
