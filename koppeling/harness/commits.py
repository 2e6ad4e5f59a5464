"""Group commit: the writes of many requests of one process in one write transaction.

The store has one writer at a time (:meth:`Database.begin
<koppeling.harness.store.Database.begin>`). When every request opens its own write transaction,
the requests of a busy worker queue at that lock, and while one of them holds it every GIL
release (each ``sqlite3`` call) lets the other request threads run: the lock is held many times
longer than the work in it, and a single-row write costs a BEGIN, a COMMIT and a lock hand-over.

:class:`GroupCommit` lets a request hand its prepared write (a function of the connection, all
parsing and checking that needs no store done beforehand, outside the lock) to the process's
committer and wait. The first request to arrive while none is committing becomes the *leader*:
it takes every write waiting (at most :attr:`GroupCommit.max_batch`), runs them one after the
other in one write transaction, each inside its own ``SAVEPOINT``, commits once, and wakes each
waiting request with its own result or its own exception. Writes that arrive meanwhile queue;
when the leader is done, the first of them becomes the next leader. There is no thread of its
own (nothing to start, stop or fork), and a lone request is one transaction as before.

What stays exactly as it was:

- **Nothing acknowledged is lost.** A request gets its result only after the COMMIT that holds its
  write returned; a crash before that loses writes nobody was answered for.
- **A refused write changes nothing.** A write that raises is rolled back to its savepoint; the
  others of the batch commit. Its request gets its own exception.
- **Each request gets its own answer.** Results and exceptions travel per write, never per batch.
  If the COMMIT itself fails, every write of the batch that had succeeded gets that error (none of
  them was stored).
- **Read, decide, write** still holds: each write runs in the one write transaction of the store,
  after every earlier write of the batch, so a check it makes sees them.

A write runs in the leader's thread: it may use the connection and what it closes over, never
thread-local or request state (Flask's ``request``, ``g``). A write to a watched table drops the
leader's generation pin; each other request drops its own when it wakes (it reads afresh).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from koppeling.harness.store import Database

T = TypeVar("T")

#: at most this many writes share one transaction (a batch of big messages stays bounded)
MAX_BATCH = 64


@dataclass(eq=False)
class _Write(Generic[T]):
    """One request's write and, once run, its outcome."""

    work: Callable[[Connection], T]
    woken: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # this request commits the next batch
    done: bool = False
    result: Any = None
    error: BaseException | None = None


@dataclass
class _Queue:
    """The writes waiting in one process (state is per process: a fork starts empty)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: list[_Write[Any]] = field(default_factory=list)
    leading: bool = False  # a leader is committing; invariant: not leading -> nothing waiting


class GroupCommit:
    """The committer of one store: :meth:`run` a write, get its own result (see module doc)."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queues: dict[int, _Queue] = {}
        self._queues_lock = threading.Lock()
        #: how many transactions committed batches of more than one write (for tests and figures)
        self.batches = 0
        self.grouped = 0

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in a write transaction, maybe together with other requests'
        writes; its result once committed, or the exception it raised (then it changed
        nothing)."""
        queue = self._queue()
        write: _Write[T] = _Write(work)
        with queue.lock:
            queue.waiting.append(write)
            if not queue.leading:
                queue.leading = write.lead = True
        if not write.lead:
            write.woken.wait()
        if not write.done:  # we lead: our write is the first waiting
            self._lead(queue)
        else:  # another thread ran our write: its generation pin is not ours
            self.db.unpin()
        if write.error is not None:
            raise write.error
        result: T = write.result
        return result

    def waiting(self) -> int:
        """How many writes of this process wait for a leader (its own included)."""
        queue = self._queue()
        with queue.lock:
            return len(queue.waiting)

    def _queue(self) -> _Queue:
        pid = os.getpid()
        queue = self._queues.get(pid)
        if queue is None:
            with self._queues_lock:
                self._queues = {pid: self._queues.get(pid) or _Queue()}
                queue = self._queues[pid]
        return queue

    def _lead(self, queue: _Queue) -> None:
        with queue.lock:
            batch = queue.waiting[: self.max_batch]
            del queue.waiting[: self.max_batch]
        try:
            self._commit(batch)
        finally:
            with queue.lock:
                if queue.waiting:  # hand over: the first waiting request commits the next batch
                    queue.waiting[0].lead = True
                    queue.waiting[0].woken.set()
                else:
                    queue.leading = False
            for write in batch:
                write.done = True
                write.woken.set()

    def _commit(self, batch: list[_Write[Any]]) -> None:
        if len(batch) == 1:  # alone: one plain transaction, rolled back whole on an error
            only = batch[0]
            try:
                with self.db.begin() as conn:
                    only.result = only.work(conn)
            except BaseException as exc:
                only.result, only.error = None, exc
            return
        stored: list[_Write[Any]] = []
        try:
            with self.db.begin() as conn:
                for write in batch:
                    if _in_savepoint(conn, write):
                        stored.append(write)
            self.batches += 1
            self.grouped += len(batch)
        except BaseException as exc:  # the COMMIT (or the lock) failed: nothing was stored
            for write in batch:
                if write in stored or write.error is None:
                    write.result, write.error = None, exc


def _in_savepoint(conn: Connection, write: _Write[Any]) -> bool:
    """Run one write of a batch inside its own savepoint; False when it raised (it is then
    rolled back to the savepoint, the batch's other writes stay). Plain SQL, the same on SQLite
    and PostgreSQL: SQLAlchemy's ``begin_nested`` cost more than a one-row write."""
    conn.exec_driver_sql(_SAVEPOINT)
    try:
        write.result = write.work(conn)
    except Exception as exc:  # refused
        conn.exec_driver_sql(_ROLLBACK_TO)
        conn.exec_driver_sql(_RELEASE)
        write.result, write.error = None, exc
        return False
    conn.exec_driver_sql(_RELEASE)
    return True


_SAVEPOINT = "SAVEPOINT koppeling_write"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT koppeling_write"
_RELEASE = "RELEASE SAVEPOINT koppeling_write"

_COMMITTERS: weakref.WeakKeyDictionary[Database, GroupCommit] = weakref.WeakKeyDictionary()
_COMMITTERS_LOCK = threading.Lock()


def committer(db: Database) -> GroupCommit:
    """The one committer of ``db``: every service on the store groups its writes with the
    others' (one writer per store either way)."""
    with _COMMITTERS_LOCK:
        found = _COMMITTERS.get(db)
        if found is None:
            found = _COMMITTERS[db] = GroupCommit(db)
        return found
