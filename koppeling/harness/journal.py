"""The journal: every HTTP request, SOAP operation and e-mail, bounded, with secrets masked.

Entries live in the store so every worker process writes to one journal. Each service keeps at most
``limit`` entries; the oldest are dropped, so long demos and load runs do not grow without end.
Beside a SQLite file store the journal has a file of its own (:func:`journal_store`).
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import mmap
import os
import struct
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from hashlib import blake2b
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
)

from koppeling.harness.commits import committer
from koppeling.harness.journal_link import JournalLink
from koppeling.harness.keys import mask_data, mask_text
from koppeling.harness.store import (
    Database,
    DriverStatement,
    UtcDateTime,
    chunks,
    driver_connection,
    from_row,
    metadata,
)

log = logging.getLogger("koppeling")

journal_table = Table(
    "journal",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(32), nullable=False, index=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("kind", String(16), nullable=False),  # http | soap | email | event
    Column("method", String(8)),
    Column("path", String(512)),
    Column("status", Integer),
    Column("operation", String(64)),
    Column("school", String(16), index=True),
    Column("correlation_id", String(64), index=True),
    Column("summary", String(512)),
    Column("request", Text),
    Column("response", Text),
    Column("data", Text),
)

#: Bodies shared by the entries of the journal's own file (:func:`journal_store`): a mock's
#: answers repeat (every Haal of one school gets the same 26 KB), so a body of at least
#: :data:`SHARE_BODY` characters is kept once per service and the entry holds a reference to it
#: (:data:`REF`). ``journal_body_last`` says which entry used it last: the prune that drops that
#: entry drops the body. Not in the store's metadata: the journal file is not migrated.
file_metadata = MetaData()
body_table = Table(
    "journal_body",
    file_metadata,
    Column("service", String(32), primary_key=True),
    Column("digest", String(32), primary_key=True),
    Column("text", Text, nullable=False),
)
body_last_table = Table(
    "journal_body_last",
    file_metadata,
    Column("service", String(32), primary_key=True),
    Column("digest", String(32), primary_key=True),
    Column("last_id", Integer, nullable=False, index=True),
)
#: 4 KiB: a row under it fits in a page of SQLite's B-tree (no overflow pages to write), and a
#: body that is new with every request (a Breng's, with its result key: 1.7 KB) stays in its
#: entry, where a table of its own costs more than it saves (measured: docs/harness.md)
SHARE_BODY = 4096
#: a stored ``request``/``response`` starting with it is a reference (it and the body's
#: digest); a body that itself starts with it is kept with one more in front
REF = "\x00"

_KEYS = [c.key for c in journal_table.c if c.key != "id"]
#: rows per INSERT of a batch, largest first. A batch's rows go in on the driver's cursor, bound
#: before the lock, as many to a statement as fit: ``sqlite3`` lets go of the GIL for every
#: statement it steps, and with one statement per row the writer and a process's request
#: threads handed the GIL to each other once per journal entry.
INSERT_ROWS = (32, 8, 1)
MAX_BODY = 8192
PRUNE_EVERY = 64
#: the writer flushes its queue after this many seconds or rows, whichever comes first (20 ms:
#: under a Breng load of ~600 messages/s per worker, 5 ms gave batches of ~3, whose BEGIN,
#: COMMIT, lock and GIL hand-overs cost more than their entries; docs/harness.md)
FLUSH_SECONDS = 0.02
FLUSH_ROWS = 256
#: at most this many bytes of bodies wait in one process's queue; a request then waits
QUEUE_BYTES = 8 * 1024 * 1024
#: a worker's batch of more entries than this it writes itself, not through ``koppeling up``'s
#: process (:mod:`koppeling.harness.journal_link`): that process is behind, and the worker
#: taking a batch now and then keeps the journal's lag, and the queue, short
LINK_BATCH = 512
#: a writer thread with nothing to write for this long ends (the next entry starts one)
IDLE_SECONDS = 1.0
#: pages handed back to the file system after a prune (a store made with auto_vacuum)
VACUUM_PAGES = 512
REMEMBER_BODY = 64 * 1024


#: ``PRAGMA user_version`` of a journal file of this shape (:func:`journal_store`); 2: bodies
#: shared (``journal_body``)
JOURNAL_FILE_VERSION = 2


def journal_file(store: Path) -> Path:
    """The journal's file beside a SQLite store: ``state.journal.sqlite`` for ``state.sqlite``."""
    return store.with_name(f"{store.stem}.journal.sqlite")


def journal_store(db: Database) -> Database:
    """Where the journal of ``db`` is written: beside a SQLite file store a file of its own
    (:func:`journal_file`), elsewhere (in memory, PostgreSQL) the store itself.

    Why a file of its own: SQLite has one writer per file, and every write of the store waits
    for the one before it. The journal's batches are the store's biggest writes (bodies of up
    to 8 KiB, a prune every 64 entries), held for as long as their process's request threads
    keep the GIL between ``sqlite3`` calls; in their own file they no longer delay a Breng, a new
    pupil or any other write a request waits for (``bench/write_lock.py`` shows who holds the
    lock). The journal is written after the answer anyway (it may lag a moment), so no
    transaction ever spanned both.

    The file holds the ``journal`` table and the bodies its entries share (``journal_body``); it
    is not migrated: one of another shape (another koppeling's) is started afresh. A new file
    takes over the entries an older koppeling kept in the store's own ``journal`` table (moved,
    not copied), so a restart after an upgrade keeps them."""
    store = db.sqlite_file
    if store is None:
        return db
    own = Database.file(journal_file(store))
    with own.begin() as conn:
        version = conn.exec_driver_sql("PRAGMA user_version").scalar()
        if version != JOURNAL_FILE_VERSION:
            journal_table.drop(conn, checkfirst=True)  # another shape: started afresh
            file_metadata.drop_all(conn)
            journal_table.create(conn)
            file_metadata.create_all(conn)
            if version == 0:  # a new file
                _take_over(db, conn)
            conn.exec_driver_sql(f"PRAGMA user_version = {JOURNAL_FILE_VERSION}")
    return own


def _take_over(db: Database, into: Connection) -> None:
    """Move the entries of the store's own ``journal`` table (an older koppeling's) into
    ``into``, ids and order kept."""
    with db.read() as conn:
        tables = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'journal'"
        if conn.exec_driver_sql(tables).first() is None:
            return  # a store without tables (not made yet)
        if conn.execute(select(journal_table.c.id).limit(1)).first() is None:
            return  # nothing kept there (every store made since the journal file)
    with db.begin() as conn:
        rows = [dict(row._mapping) for row in conn.execute(select(journal_table))]
        for row in rows:
            for key in ("request", "response"):
                if row[key] is not None and row[key].startswith(REF):
                    row[key] = REF + row[key]
        for start in range(0, len(rows), 500):
            into.execute(insert(journal_table), rows[start : start + 500])
        conn.execute(delete(journal_table))


@dataclass
class Entry:
    """One thing that happened, as recorded."""

    service: str
    kind: str
    at: datetime
    method: str | None = None
    path: str | None = None
    status: int | None = None
    operation: str | None = None
    school: str | None = None
    correlation_id: str | None = None
    summary: str | None = None
    request: str | None = None
    response: str | None = None
    data: dict[str, Any] | None = None
    id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "operation": self.operation,
            "school": self.school,
            "correlation_id": self.correlation_id,
            "summary": self.summary,
            "request": self.request,
            "response": self.response,
            "data": self.data,
        }


class Journal:
    """Record and read entries; ``limit`` entries per service are kept.

    :meth:`record` only queues the entry: a writer thread per process masks and inserts the
    queue in batches (every :data:`FLUSH_SECONDS` or :data:`FLUSH_ROWS` rows, at most
    :data:`QUEUE_BYTES` of bodies waiting), off the request path and taking SQLite's write lock
    once per batch instead of once per request (under ``koppeling up`` a worker's writer sends
    its batches to ``up``'s own process, which masks and writes them:
    :mod:`koppeling.harness.journal_link`). Every read (:meth:`entries`, :meth:`count`) and
    :meth:`clear` first waits until what any process queued before it is written
    (:class:`_Slots`), so a reader sees every request that was answered before it asked. On a
    PostgreSQL store (several hosts, no shared file) each entry is written at once instead.
    """

    def __init__(self, db: Database, limit: int = 2000, *, link: str | None = None) -> None:
        if limit < 1:
            raise ValueError(f"journal limit must be at least 1, got {limit}")
        self._store = db
        self._own: Database | None = None  # where entries go: journal_store(db), on first use
        self._shares = False  # bodies shared (journal_body): in the journal's own file
        self._own_lock = threading.Lock()
        self.limit = limit
        self._lock = threading.Condition()
        self._queue: list[Entry] = []
        self._queued_bytes = 0
        self._counted: str | None = None  # the response text last counted in _queued_bytes
        self._enqueued = 0  # entries queued by this process, ever
        self._written = 0  # of which written (or dropped after a failed write)
        self._since_prune: dict[str, int] = {}
        self._hurry = False  # a reader waits: write what is queued now
        self._pid = 0  # the process the writer thread runs in (a fork starts its own)
        self._writing = False  # a writer thread runs
        self._slots = _Slots.for_db(db)
        # A server store (PostgreSQL) may be shared by processes on several hosts, which no file
        # beside it can coordinate: there every entry is written before the answer goes out, so
        # a reader on any host sees it.
        self._synchronous = db.is_postgresql
        # Under ``koppeling up``, a worker's batches go to the writer in up's own process
        # (:mod:`koppeling.harness.journal_link`), which masks and writes them off its GIL.
        self._link = JournalLink(link) if link is not None and not self._synchronous else None
        self._prune_lock = threading.Lock()  # on PostgreSQL request threads write at once

    @property
    def _db(self) -> Database:
        """The journal's database (:func:`journal_store`), opened on first use: by then the
        store is ready (``koppeling up``'s arbiter builds its core before the store is made)."""
        own = self._own
        if own is None:
            with self._own_lock:
                if self._own is None:
                    own = journal_store(self._store)
                    self._shares = own is not self._store
                    self._own = own
                own = self._own
        return own

    def record(self, entry: Entry) -> None:
        """Queue an entry; the writer truncates bodies and masks secrets before it is written.
        A full queue (:data:`QUEUE_BYTES`) makes the caller wait for the writer (2 s at most)."""
        if self._synchronous:
            self._write([entry])
            return
        with self._lock:
            size = self._new_bytes(entry)
            self._ensure_writer()
            deadline = time.monotonic() + 2.0  # bounded: the caller may hold the write lock
            while (
                self._queued_bytes + size > QUEUE_BYTES
                and self._queue
                and time.monotonic() < deadline
            ):
                self._lock.wait(0.05)
            self._queue.append(entry)
            self._queued_bytes += size
            self._enqueued += 1
            if self._slots is not None:
                self._slots.publish(self._enqueued, self._written)
            if len(self._queue) in (1, FLUSH_ROWS):  # wake the idle writer; a full batch
                self._lock.notify_all()

    def _new_bytes(self, entry: Entry) -> int:
        """What queueing ``entry`` adds to the queue's memory (caller holds the lock). A mock's
        repeated answer is one text object in every entry (the SOAP lane decodes a kept answer
        once): counted once per batch, not once per entry, or 300 Haal answers of 26 KB that
        are one object would fill the bound and make requests wait for the writer."""
        size = 512 + len(entry.request or "")
        response = entry.response
        if response is not None and response is not self._counted:
            size += len(response)
            self._counted = response
        return size

    def record_written(self, batch: list[Entry]) -> None:
        """Queue ``batch`` and return once this process's writer has written it (the journal
        server's way, :mod:`koppeling.harness.journal_link`): the batches of every worker
        share one writer thread, in bigger batches and without two writers of one file."""
        for entry in batch:
            self.record(entry)
        with self._lock:
            target = self._enqueued
            self._hurry = True  # a worker waits: no gathering
            self._lock.notify_all()
            while self._written < target:
                self._lock.wait(1.0)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every entry queued so far, by this process and by every other process on
        the same store, is written (bounded by ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            target = self._enqueued
            if self._written < target:
                self._ensure_writer()
                self._hurry = True
                self._lock.notify_all()
            while self._written < target and time.monotonic() < deadline:
                self._lock.wait(0.01)
        if self._slots is not None:
            self._slots.wait_for_others(deadline)

    def _ensure_writer(self) -> None:
        """Start the writer thread of this process unless it runs (caller holds the lock).
        A writer that found nothing to write for :data:`IDLE_SECONDS` ends; the next entry
        starts one again, so an idle or forgotten journal holds no thread."""
        pid = os.getpid()
        if self._pid != pid:  # first use in this process (or in a fork of it)
            self._pid = pid
            self._writing = False
            atexit.register(_flush_at_exit, weakref.ref(self))  # a clean stop writes the queue
            if self._slots is not None:
                self._slots.claim()
        if not self._writing:
            self._writing = True
            threading.Thread(target=self._write_loop, name="koppeling-journal", daemon=True).start()

    def _write_loop(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._lock.wait(IDLE_SECONDS)
                if not self._queue:
                    self._writing = False
                    return
                if len(self._queue) < FLUSH_ROWS and not self._hurry:
                    self._lock.wait(FLUSH_SECONDS)  # gather a batch for a few ms
                self._hurry = False
                batch, self._queue = self._queue, []
                self._queued_bytes, self._counted = 0, None
                self._lock.notify_all()
            sent = 0
            if self._link is not None and len(batch) <= LINK_BATCH:
                sent = self._link.send(batch)
            if sent < len(batch):
                self._write(batch[sent:])
            with self._lock:
                self._written += len(batch)
                if self._slots is not None:
                    self._slots.publish(self._enqueued, self._written)
                self._lock.notify_all()

    def _write(self, batch: list[Entry]) -> None:
        """Mask and insert a batch now (and prune a service that has grown by
        :data:`PRUNE_EVERY`) in the store's group commit: when request writes are waiting, the
        batch shares their write transaction instead of taking the write lock once more of its
        own."""
        try:
            rows = [_values(entry) for entry in batch]
            db = self._db
            bodies = _share_bodies(rows) if self._shares else {}
            statements = _bind(db.engine.dialect, rows)
            due: list[str] = []
            with self._prune_lock:
                for entry in batch:
                    service = entry.service
                    self._since_prune[service] = self._since_prune.get(service, 0) + 1
                    if self._since_prune[service] >= PRUNE_EVERY:
                        self._since_prune[service] = 0
                        if service not in due:
                            due.append(service)

            def write(conn: Any) -> None:  # may run again if a write of its batch is refused
                for stmt, bound in statements:
                    stmt.execute(conn, bound)
                if bodies:
                    _keep_bodies(conn, bodies)
                for service in due:
                    self._prune(conn, service)
                if due and conn.dialect.name == "sqlite":  # give freed pages back to the OS
                    conn.exec_driver_sql(f"PRAGMA incremental_vacuum({VACUUM_PAGES})")

            committer(db).run(write)
        except Exception as exc:  # the journal must never break an answer
            log.warning("journal write of %d entries failed: %s", len(batch), exc)

    def _prune(self, conn: Any, service: str) -> None:
        if self._shares:
            _prune_file(conn, service, self.limit)
            return
        t = journal_table
        cutoff = conn.execute(
            select(t.c.id)
            .where(t.c.service == service)
            .order_by(t.c.id.desc())
            .offset(self.limit)
            .limit(1)
        ).scalar()
        if cutoff is not None:
            conn.execute(delete(t).where(t.c.service == service, t.c.id <= cutoff))

    def entries(
        self,
        *,
        service: str | None = None,
        school: str | None = None,
        correlation_id: str | None = None,
        kind: str | None = None,
        since_id: int = 0,
        limit: int | None = None,
        from_oldest: bool = False,
    ) -> list[Entry]:
        """Entries, oldest first, filtered; ``limit`` keeps the newest (the oldest with
        ``from_oldest``: a reader paging forward by ``since_id``)."""
        t = journal_table
        stmt = select(t).where(t.c.id > since_id)
        if service is not None:
            stmt = stmt.where(t.c.service == service)
        if school is not None:
            stmt = stmt.where(t.c.school == school)
        if correlation_id is not None:
            stmt = stmt.where(t.c.correlation_id == correlation_id)
        if kind is not None:
            stmt = stmt.where(t.c.kind == kind)
        stmt = stmt.order_by(t.c.id if from_oldest else t.c.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        self.flush()
        db = self._db
        with db.read() as conn:
            rows = list(conn.execute(stmt))
            bodies = _shared_bodies(conn, rows) if self._shares else None
        return [_entry(row, bodies) for row in (rows if from_oldest else reversed(rows))]

    def count(self, service: str | None = None) -> int:
        stmt = select(func.count()).select_from(journal_table)
        if service is not None:
            stmt = stmt.where(journal_table.c.service == service)
        self.flush()
        with self._db.read() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def close(self) -> None:
        """Write what is queued and let go of the journal's own file (none in memory or on a
        server: the store is the caller's to dispose of)."""
        self.flush(timeout=2.0)
        if self._link is not None:
            self._link.close()
        if self._own is not None and self._own is not self._store:
            self._own.dispose()

    def after_fork(self) -> None:
        """In a forked process: drop the connections to the journal's own file it inherited
        (left to the parent), as the store's are (:mod:`koppeling.harness.wsgi`)."""
        if self._own is not None and self._own is not self._store:
            self._own.engine.dispose(close=False)

    def clear(self, service: str | None = None) -> None:
        tables = [journal_table]
        self.flush()
        db = self._db
        if self._shares:
            tables += [body_table, body_last_table]
        with db.begin() as conn:
            for table in tables:
                stmt = delete(table)
                if service is not None:
                    stmt = stmt.where(table.c.service == service)
                conn.execute(stmt)


@cache
def _insert(size: int) -> DriverStatement:
    """An INSERT of ``size`` journal rows (parameters ``r0_service``…, as :func:`_bind` names
    them); the rows get their ids in this order."""
    if size == 1:
        return DriverStatement(journal_table.insert(), _KEYS)
    rows = [
        {key: bindparam(f"r{i}_{key}", type_=journal_table.c[key].type) for key in _KEYS}
        for i in range(size)
    ]
    return DriverStatement(journal_table.insert().values(rows))


def _bind(dialect: Any, rows: list[dict[str, Any]]) -> list[tuple[DriverStatement, Any]]:
    """The rows of a batch, in order, as statements of :data:`INSERT_ROWS` rows, each bound."""
    bound, start = [], 0
    while start < len(rows):
        size = next(n for n in INSERT_ROWS if n <= len(rows) - start)
        part = rows[start : start + size]
        start += size
        stmt = _insert(size)
        if size == 1:
            bound.append((stmt, stmt.bind(dialect, part[0])))
        else:
            params = {
                f"r{i}_{key}": value for i, row in enumerate(part) for key, value in row.items()
            }
            bound.append((stmt, stmt.bind(dialect, params)))
    return bound


def _flush_at_exit(journal: weakref.ref[Journal]) -> None:
    found = journal()
    if found is not None and found._pid == os.getpid():
        found.flush(timeout=2.0)


def _values(entry: Entry) -> dict[str, Any]:
    """An entry as its row: bodies truncated, secrets masked (:mod:`koppeling.harness.keys`)."""
    return {
        "service": entry.service,
        "at": entry.at,
        "kind": entry.kind,
        "method": entry.method,
        "path": mask_text(entry.path) if entry.path else entry.path,
        "status": entry.status,
        "operation": entry.operation,
        "school": entry.school,
        "correlation_id": entry.correlation_id,
        "summary": _clip(mask_text(entry.summary or ""), 512) or None,
        "request": _body(entry.request),
        "response": _body(entry.response),
        "data": json.dumps(mask_data(entry.data)) if entry.data is not None else None,
    }


class _Slots:
    """How far each process's journal writer got, in a small shared file beside a SQLite store
    (``state.sqlite.journal-writers``; not ``-journal``, SQLite's own name): one slot per live
    process, each holding (pid, queued, written).

    A process claims a free slot with a POSIX record lock it holds while it lives (the lock goes
    with the process, also after kill -9, so a slot whose lock can be taken is free). A reader
    notes what every other live process has queued and waits until each has written that much.
    """

    SLOTS = 128
    SIZE = 24  # pid, queued, written: three unsigned 64-bit numbers

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._mine = -1

    @classmethod
    def for_db(cls, db: Database) -> _Slots | None:
        url = db.engine.url
        if db.is_memory or url.get_backend_name() != "sqlite" or not url.database:
            return None  # one process (in memory) or no file to share beside the store
        return cls(Path(url.database).with_name(Path(url.database).name + ".journal-writers"))

    def _open(self) -> mmap.mmap:
        if self._map is None or self._fd < 0:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(fd).st_size < self.SLOTS * self.SIZE:
                os.ftruncate(fd, self.SLOTS * self.SIZE)
            self._fd, self._map = fd, mmap.mmap(fd, self.SLOTS * self.SIZE)
        return self._map

    def claim(self) -> None:
        """Take a free slot for this process (a forked child takes its own)."""
        self._fd, self._map, self._mine = -1, None, -1  # a fork's inherited fd holds no lock
        shared = self._open()
        for slot in range(self.SLOTS):
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, self.SIZE, slot * self.SIZE)
            except OSError:
                continue
            struct.pack_into("<QQQ", shared, slot * self.SIZE, os.getpid(), 0, 0)
            self._mine = slot
            return
        log.warning("no free journal slot in %s; readers will not wait for this process", self.path)

    def publish(self, queued: int, written: int) -> None:
        if self._mine >= 0 and self._map is not None:
            struct.pack_into("<QQ", self._map, self._mine * self.SIZE + 8, queued, written)

    def wait_for_others(self, deadline: float) -> None:
        shared = self._open()
        waiting: dict[int, int] = {}
        for slot in range(self.SLOTS):
            if slot == self._mine:
                continue
            pid, queued, written = struct.unpack_from("<QQQ", shared, slot * self.SIZE)
            if pid == 0 or written >= queued or not self._alive(slot):
                continue
            waiting[slot] = queued
        while waiting and time.monotonic() < deadline:
            time.sleep(0.002)
            for slot, queued in list(waiting.items()):
                written = struct.unpack_from("<Q", shared, slot * self.SIZE + 16)[0]
                if written >= queued or not self._alive(slot):
                    del waiting[slot]

    def _alive(self, slot: int) -> bool:
        """Whether a live process holds ``slot`` (if its lock can be taken, none does)."""
        try:
            fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, self.SIZE, slot * self.SIZE)
        except OSError:
            return True
        fcntl.lockf(self._fd, fcntl.LOCK_UN, self.SIZE, slot * self.SIZE)
        return False


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size] + f"… [{len(text) - size} more]"


def _body(text: str | None) -> str | None:
    if text is None:
        return None
    return _remembered_body(text) if len(text) <= REMEMBER_BODY else _masked_body(text)


@lru_cache(maxsize=128)
def _remembered_body(text: str) -> str:
    """Masking is a pure function of the text and a mock's answers repeat (a 16 KB answer costs
    ~3 ms to mask), so the last 128 bodies of up to 64 KB are kept (at most 8 MB)."""
    return _masked_body(text)


def _masked_body(text: str) -> str:
    """A body as the journal keeps it: cut at :data:`MAX_BODY`, secrets masked."""
    if len(text) > 2 * MAX_BODY:  # mask only what is kept: masking a 300 KB answer costs ~30 ms
        kept = mask_text(text[: 2 * MAX_BODY])[:MAX_BODY]
        return kept + f"… [{len(text) - len(kept)} more]"
    return _clip(mask_text(text), MAX_BODY)


def _share_bodies(rows: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """Replace each body of at least :data:`SHARE_BODY` characters in ``rows`` by a reference
    (:data:`REF` and its digest); returns the bodies by (service, digest)."""
    bodies: dict[tuple[str, str], str] = {}
    for row in rows:
        for key in ("request", "response"):
            text = row[key]
            if text is None:
                continue
            if len(text) >= SHARE_BODY:
                digest = _digest(text)
                bodies[(row["service"], digest)] = text
                row[key] = REF + digest
            elif text.startswith(REF):
                row[key] = REF + text  # kept as it is, told apart from a reference
    return bodies


@lru_cache(maxsize=128)
def _digest(text: str) -> str:
    """The digest a shared body is kept under (the same text object comes back from
    :func:`_remembered_body`, so a repeated answer is hashed once)."""
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


_KEEP_BODY = "INSERT OR IGNORE INTO journal_body (service, digest, text) VALUES (?, ?, ?)"
_BODY_LAST = (
    "INSERT INTO journal_body_last (service, digest, last_id) VALUES (?, ?, ?) "
    "ON CONFLICT (service, digest) DO UPDATE SET last_id = excluded.last_id"
)


def _keep_bodies(conn: Any, bodies: dict[tuple[str, str], str]) -> None:
    """Keep the bodies of a batch just inserted (once each) and mark them used by its newest
    entry: a body goes only when the prune drops the last entry that used it. On the driver's
    cursor, as the journal file's prune (a statement through SQLAlchemy costs ~0.2 ms of the
    writer's CPU, several times what SQLite needs for it: `bench/journal_writer.py`)."""
    cursor = driver_connection(conn).cursor()
    try:
        (last,) = cursor.execute("SELECT max(id) FROM journal").fetchone()
        cursor.executemany(_KEEP_BODY, [(s, d, text) for (s, d), text in bodies.items()])
        cursor.executemany(_BODY_LAST, [(s, d, last) for s, d in bodies])
    finally:
        cursor.close()


def _prune_file(conn: Any, service: str, limit: int) -> None:
    """The prune of the journal's own file (SQLite): the entries of ``service`` beyond the
    newest ``limit`` go, and with them the bodies no entry left uses; on the driver's cursor."""
    cursor = driver_connection(conn).cursor()
    try:
        found = cursor.execute(_CUTOFF, (service, limit)).fetchone()
        if found is None:
            return
        cutoff = found[0]
        cursor.execute("DELETE FROM journal WHERE service = ? AND id <= ?", (service, cutoff))
        gone = cursor.execute(_UNUSED_BODIES, (service, cutoff)).fetchall()
        if gone:
            drop = "DELETE FROM journal_body WHERE service = ? AND digest = ?"
            cursor.executemany(drop, [(service, digest) for (digest,) in gone])
            drop = "DELETE FROM journal_body_last WHERE service = ? AND digest = ?"
            cursor.executemany(drop, [(service, digest) for (digest,) in gone])
    finally:
        cursor.close()


_CUTOFF = "SELECT id FROM journal WHERE service = ? ORDER BY id DESC LIMIT 1 OFFSET ?"
_UNUSED_BODIES = "SELECT digest FROM journal_body_last WHERE service = ? AND last_id <= ?"


def _shared_bodies(conn: Any, rows: list[Any]) -> dict[tuple[str, str], str]:
    """The shared bodies the references of ``rows`` name, by (service, digest)."""
    wanted = {
        (row.service, value[1:])
        for row in rows
        for value in (row.request, row.response)
        if value is not None and value.startswith(REF) and not value.startswith(REF + REF)
    }
    found: dict[tuple[str, str], str] = {}
    b = body_table.c
    for service in {s for s, _ in wanted}:
        for part in chunks(sorted(d for s, d in wanted if s == service)):
            query = select(b.digest, b.text).where(b.service == service, b.digest.in_(part))
            found.update({(service, d): text for d, text in conn.execute(query)})
    return found


def _stored(value: str | None, service: str, bodies: dict[tuple[str, str], str]) -> str | None:
    """A stored ``request``/``response`` of the journal's own file as the body it stands for."""
    if value is None or not value.startswith(REF):
        return value
    if value.startswith(REF + REF):
        return value[1:]
    return bodies.get((service, value[1:]), "[body no longer kept]")


def _entry(row: Any, bodies: dict[tuple[str, str], str] | None = None) -> Entry:
    """An entry from its row; ``bodies``: the shared bodies its references name (None: a
    journal that shares none, whose bodies are as stored)."""
    data = json.loads(row.data) if row.data else None
    if bodies is None:
        return from_row(Entry, row, data=data)
    request = _stored(row.request, row.service, bodies)
    response = _stored(row.response, row.service, bodies)
    return from_row(Entry, row, data=data, request=request, response=response)
