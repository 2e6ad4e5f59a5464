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
other in one write transaction, commits once, and wakes each waiting request with its own result
or its own exception. When a write raises (a refusal, a constraint), the transaction is rolled
back and the batch's other writes run again without it in a fresh one: a savepoint per write
would give the same outcome, but costs two statements per write on the path where nothing is
refused. Writes that arrive meanwhile queue;
when the leader is done, the first of them becomes the next leader. There is no thread of its
own (nothing to start, stop or fork), and a lone request is one transaction as before.

What stays exactly as it was:

- **Nothing acknowledged is lost.** A request gets its result only after the COMMIT that holds its
  write returned; a crash before that loses writes nobody was answered for.
- **A refused write changes nothing.** A write that raises is rolled back; the others of the
  batch commit (run again without it). Its request gets its own exception.
- **Each request gets its own answer.** Results and exceptions travel per write, never per batch.
  If the COMMIT itself fails, every write of the batch that had succeeded gets that error (none of
  them was stored).
- **Read, decide, write** still holds: each write runs in the one write transaction of the store,
  after every earlier write of the batch, so a check it makes sees them.

A write runs in the leader's thread, and may run more than once (rolled back each time but the
last): it may use the connection and what it closes over, never thread-local or request state
(Flask's ``request``, ``g``), and must have no effect outside the connection (no mail, no log
line: do those after :meth:`GroupCommit.run` returned). A write to a watched table drops the
leader's generation pin; each other request drops its own when it wakes (it reads afresh).

:meth:`GroupCommit.call` runs a *registered* write (a module-level function of the connection,
:func:`koppeling.harness.writer.write`) the same way, or, in a granian worker under ``koppeling
up``, sends it to the writer process, whose loop runs the batches with
:meth:`GroupCommit.run_batch` (:mod:`koppeling.harness.writer`).
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
from koppeling.harness.writer import WriterLink, name_of

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


#: the event of a write nobody waits for (the writer process's batches): one Event (a lock and
#: a condition) fewer to make per write
_NOBODY_WAITS = threading.Event()


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
        self._leading = threading.local()  # .now: this thread is running a batch
        #: how many transactions committed batches of more than one write (for tests and figures)
        self.batches = 0
        self.grouped = 0
        #: this process's connection to the writer process, if it has one (set after the fork)
        self.link: WriterLink | None = None

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in a write transaction, maybe together with other requests'
        writes; its result once committed, or the exception it raised (then it changed
        nothing)."""
        if getattr(self._leading, "now", False):  # from inside a write: it would wait for itself
            raise RuntimeError("GroupCommit.run called from inside a write of the same store")
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

    def call(self, func: Callable[..., T], *args: Any) -> T:
        """Run the registered write ``func(conn, *args)`` (:func:`koppeling.harness.writer.write`):
        in the writer process when this process has one (:attr:`link`,
        :mod:`koppeling.harness.writer`), else (or when the writer leaves it to this process)
        as :meth:`run` does. Its result once committed, or the exception it raised."""
        done, result = self.send(func, *args)
        if done:
            return result  # type: ignore[return-value]
        return self.run(lambda conn: func(conn, *args))

    def send(self, func: Callable[..., T], *args: Any) -> tuple[bool, T | None]:
        """Run the registered write ``func`` in the writer process only: ``(True, result)`` once
        committed there; ``(False, None)`` when this process has no writer, or the writer left
        it to this process (the write refused, or for a write registered with
        :func:`koppeling.harness.writer.prepared_by` its preparation): the caller then takes
        its own path (:meth:`call`: runs it here; a prepared write's caller, its own way)."""
        link = self.link
        if link is None or link.pid != os.getpid():
            return False, None
        done, result = link.call(name_of(func), args)
        if not done:
            return False, None
        self.db.unpin()  # the write ran elsewhere: read afresh, as a woken follower does
        return True, result

    def run_batch(self, works: list[Callable[[Connection], Any]]) -> list[tuple[bool, Any]]:
        """Run ``works`` as one batch now, in this thread (the writer process's way): per work
        ``(True, result)`` once committed, or ``(False, exception)`` (it changed nothing)."""
        batch: list[_Write[Any]] = [_Write(work, _NOBODY_WAITS) for work in works]
        self._commit(batch)
        return [
            (True, write.result) if write.error is None else (False, write.error) for write in batch
        ]

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
        self._leading.now = True
        try:
            self._commit(batch)
        finally:
            self._leading.now = False
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
        """Run the batch's writes in one transaction and commit. A write that raises rolls the
        whole transaction back; it gets its own exception and the others run again, without it,
        in a new transaction (what a savepoint per write would give, without two statements per
        write on the path where nothing is refused)."""
        pending = list(batch)
        while pending:
            refused: _Write[Any] | None = None
            try:
                with self.db.begin() as conn:
                    for write in pending:
                        try:
                            write.result = write.work(conn)
                        except Exception as exc:
                            write.result, write.error, refused = None, exc, write
                            raise _Refused from None
                if len(pending) > 1:
                    self.batches += 1
                    self.grouped += len(pending)
                return
            except _Refused:
                pending = [write for write in pending if write is not refused]
            except BaseException as exc:  # the lock or the COMMIT failed: nothing was stored
                for write in pending:
                    write.result, write.error = None, exc
                return


class _Refused(Exception):
    """One write of a batch raised: roll the transaction back, run the others again."""


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
