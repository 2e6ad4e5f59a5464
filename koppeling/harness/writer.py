"""The hot writes in a process of their own: the workers send them as data, one process commits.

Under ``koppeling up`` (granian) the arbiter forks, besides the workers, one *writer* process
that serves no HTTP. A worker's request thread that has a hot write (a BrengLeerresultaten, a new
pupil: :meth:`GroupCommit.call <koppeling.harness.commits.GroupCommit.call>`) sends its name and
arguments over a Unix socket and waits; the writer takes every write waiting on any of its
connections, runs them in one write transaction (the group commit's batch, its rules unchanged),
commits, and answers each with its own result.

Why: in a worker, a group commit's leader runs its batch on the worker's GIL, shared with every
request thread of the process. Each ``sqlite3`` call lets go of the GIL and the leader waits to
get it back behind request threads busy in Python, all while it holds the store's write lock.
Under the mixed load a batch held the lock for 0.7 ms at the median and 17 ms at p99, and a
write waited 10 ms at the median for its turn (``bench/write_lock.py mixed``). The writer has
nothing else to run: it holds the lock for the statements' own time, and batches the writes of
every worker in one transaction instead of the two workers taking turns at the lock file.

What stays as it was:

- **Nothing acknowledged is lost.** The writer answers after the COMMIT; the request answers
  after the writer.
- **A refused write changes nothing and gets its own error.** A write that raises is rolled
  back (the others of its batch commit, as in the group commit); the writer answers *local* and
  the worker runs the write again in its own group commit, where it meets the store as it is
  then and raises its own exception with its own traceback (exceptions are not sent across).
- **When the writer cannot be reached** (not started, restarting, gone), the worker runs the
  write itself, as before. If the writer dies after it committed a write and before the answer
  left, that write runs once more in the worker: a Breng's results are upserted by key (stored
  once, counted as received twice), a new pupil would be stored twice. That takes a writer
  killed mid-answer. A worker waits for its answer without a time limit, as it waits for the
  write lock: a writer that is stopped (SIGSTOP) holds the hot writes until it goes on.
- Other writes (the rare ones: keys, settings, the journal) run in the worker as before; the
  store's write lock orders them with the writer's.

Only registered writes travel (:func:`write`), by name; the data travels pickled, and each side
unpickles only ``datetime``'s and ``decimal``'s types and the classes registered with
:func:`carried` (as :mod:`koppeling.harness.journal_link` does). The socket lives in a
directory of its own (mode 0700) and the writer takes connections from its own user only.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import selectors
import socket
import tempfile
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from koppeling.harness.journal_link import (
    DATETIME_TYPES,
    FRAME_LENGTH,
    receive_exact,
    same_user,
)

if TYPE_CHECKING:
    from koppeling.harness.commits import GroupCommit
    from koppeling.harness.store import Database

log = logging.getLogger("koppeling.writer")
F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)

#: a frame larger than this ends its connection (a write's data is a few KB)
MAX_FRAME = 64 * 1024 * 1024
#: at most this many writes share one transaction
MAX_BATCH = 256
#: the writer's answers: the write's result, or "run it yourself" (it raised, or is unknown)
OK, LOCAL = "ok", "local"

_WRITES: dict[str, Callable[..., Any]] = {}
#: name of a write -> what makes its arguments in the writer (:func:`prepared_by`)
_PREPARE: dict[str, Callable[..., tuple[Any, ...]]] = {}
#: (module, name) of each class a frame may hold -> the class, once looked up
_CARRIED: dict[tuple[str, str], type | None] = dict.fromkeys(
    [*DATETIME_TYPES, ("datetime", "date"), ("decimal", "Decimal")]
)


def write(func: F) -> F:
    """Register ``func(conn, *args)`` as a write the writer may run (by its qualified name)."""
    _WRITES[f"{func.__module__}.{func.__qualname__}"] = func
    return func


def prepared_by(prepare: Callable[..., tuple[Any, ...]]) -> Callable[[F], F]:
    """Register ``func(conn, *prepared)`` as a write (:func:`write`) whose worker sends raw
    arguments: the writer makes the write's arguments with ``prepare(db, *sent)`` before its
    batch's transaction (outside the write lock). Such a write is only sent
    (:meth:`GroupCommit.send <koppeling.harness.commits.GroupCommit.send>`): when ``prepare``
    raises, or the write is refused, the writer answers "run it yourself" and the worker takes
    its own path, meeting its own error."""

    def register(func: F) -> F:
        write(func)
        _PREPARE[name_of(func)] = prepare
        return func

    return register


def carried(cls: C) -> C:
    """Register a class whose instances a write's arguments or result may hold."""
    _CARRIED[(cls.__module__, cls.__qualname__)] = cls
    return cls


def name_of(func: Callable[..., Any]) -> str:
    """The registered name of a write; KeyError for a function not registered with :func:`write`."""
    name = f"{func.__module__}.{func.__qualname__}"
    if _WRITES.get(name) is not func:
        raise KeyError(f"{name} is not a registered write")
    return name


class _Loader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        """A carried class, from the table; anything else refused. (pickle's own lookup
        imports the module again for each class a frame names, ~7 in a Breng frame: a third of
        its unpickling.)"""
        key = (module, name)
        if key not in _CARRIED:
            raise pickle.UnpicklingError(
                f"{module}.{name} is not carried between worker and writer"
            )
        found = _CARRIED[key]
        if found is None:
            found = _CARRIED[key] = super().find_class(module, name)
        return found


def _loads(payload: bytes) -> Any:
    return _Loader(io.BytesIO(payload)).load()


def _dumps(value: Any) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME_LENGTH.pack(len(payload)) + payload


#: a frame is read with one ``recv`` of up to this many bytes (more only when it is longer):
#: each side has at most one frame in flight on a connection, so nothing after it is read
RECEIVE = 64 * 1024


def _read_frame(sock: socket.socket) -> bytes | None:
    """One frame's payload, None when the peer closed the connection (or announced more than
    :data:`MAX_FRAME`). One system call for a frame that fits in :data:`RECEIVE`."""
    data = sock.recv(RECEIVE)
    while 0 < len(data) < FRAME_LENGTH.size:
        more = sock.recv(RECEIVE)
        if not more:
            return None
        data += more
    if not data:
        return None
    size = FRAME_LENGTH.unpack_from(data)[0]
    if size > MAX_FRAME:
        return None
    end = FRAME_LENGTH.size + size
    if len(data) < end:  # a long frame: the rest
        rest = receive_exact(sock, end - len(data))
        if rest is None:
            return None
        data += rest
    return data[FRAME_LENGTH.size : end]


class Writer:
    """The writer's listening socket (made by the arbiter, kept open across writer restarts)
    and its loop (:meth:`serve`, in the writer process)."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="koppeling-writer-")  # mode 0700
        self.path = str(Path(self.folder) / "socket")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1024)

    def close(self) -> None:
        """In the arbiter, when it ends: the socket and its folder go."""
        self.listener.close()
        with suppress(OSError):
            os.unlink(self.path)
        with suppress(OSError):
            os.rmdir(self.folder)

    def serve(self, db: Database, stop: threading.Event) -> None:
        """Take the writes waiting on every connection, commit them as one batch, answer each;
        until ``stop`` is set."""
        from koppeling.harness.commits import GroupCommit

        commits = GroupCommit(db, max_batch=MAX_BATCH)
        selector = selectors.DefaultSelector()
        self.listener.setblocking(False)
        selector.register(self.listener, selectors.EVENT_READ)
        try:
            self._loop(commits, selector, stop)
        finally:  # the workers' connections end with the loop (they write themselves then)
            for key in list(selector.get_map().values()):
                if key.fileobj is not self.listener:
                    assert isinstance(key.fileobj, socket.socket)
                    key.fileobj.close()
            selector.close()

    def _loop(
        self,
        commits: GroupCommit,
        selector: selectors.BaseSelector,
        stop: threading.Event,
    ) -> None:
        while not stop.is_set():
            asked: list[tuple[socket.socket, Callable[[Any], Any] | None]] = []
            for key, _ in selector.select(timeout=0.5):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self.listener:
                    self._accept(selector)
                    continue
                try:
                    payload = _read_frame(sock)
                except OSError:
                    payload = None
                if payload is None:  # the worker's thread ended (or sent nonsense)
                    selector.unregister(sock)
                    sock.close()
                    continue
                asked.append((sock, _work(payload, commits.db)))
            works = [work for _, work in asked if work is not None]
            done: list[tuple[bool, Any]] = []
            for start in range(0, len(works), MAX_BATCH):
                done += commits.run_batch(works[start : start + MAX_BATCH])
            outcomes = iter(done)
            for sock, work in asked:
                ok, result = next(outcomes) if work is not None else (False, None)
                answer = (OK, result) if ok else (LOCAL, None)  # a refusal: the worker runs it
                try:
                    sock.sendall(_dumps(answer))
                except OSError:
                    selector.unregister(sock)
                    sock.close()
                except Exception:  # a result that does not pickle: a write registered wrongly
                    log.exception("the writer cannot send the result of a committed write")
                    selector.unregister(sock)
                    sock.close()

    def _accept(self, selector: selectors.BaseSelector) -> None:
        try:
            peer, _ = self.listener.accept()
        except BlockingIOError:
            return
        if not same_user(peer):
            peer.close()
            return
        peer.setblocking(True)
        selector.register(peer, selectors.EVENT_READ)


def _work(payload: bytes, db: Database) -> Callable[[Any], Any] | None:
    """The write a frame asks for, as a function of the connection (its arguments prepared
    first, for a write registered with :func:`prepared_by`); None for one this writer cannot
    run (an unknown name, a class not carried, arguments its preparation refuses): the worker
    then runs it itself."""
    try:
        name, args = _loads(payload)
        func = _WRITES[name]
        if not isinstance(args, tuple):
            return None
        prepare = _PREPARE.get(name)
        if prepare is not None:
            args = prepare(db, *args)
    except Exception:
        return None
    return lambda conn: func(conn, *args)


class WriterLink:
    """A worker's side: a connection per request thread, :meth:`call` a write."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pid = os.getpid()  # the process it was made for (a fork of it runs writes itself)
        self._local = threading.local()
        self._opened: list[socket.socket] = []  # every thread's, for close()
        self._opened_lock = threading.Lock()

    def call(self, name: str, args: tuple[Any, ...]) -> tuple[bool, Any]:
        """``(True, result)`` when the writer ran and committed the write; ``(False, None)``
        when the worker is to run it itself (the writer refused it, or cannot be reached)."""
        sock = self._connection()
        if sock is None:
            return False, None
        try:
            sock.sendall(_dumps((name, args)))
            payload = _read_frame(sock)
            answer = None if payload is None else _loads(payload)
        except (OSError, pickle.UnpicklingError, ValueError, EOFError):
            answer = None
        if answer is None:
            self._local.sock = None
            with self._opened_lock:
                if sock in self._opened:
                    self._opened.remove(sock)
            sock.close()
            return False, None
        kind, result = answer
        return kind == OK, result

    def _connection(self) -> socket.socket | None:
        sock: socket.socket | None = getattr(self._local, "sock", None)
        if sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
            except OSError:
                sock.close()
                return None
            self._local.sock = sock
            with self._opened_lock:
                self._opened.append(sock)
        return sock

    def close(self) -> None:
        """Close every thread's connection (a thread that calls again opens a new one)."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for sock in opened:
            sock.close()
