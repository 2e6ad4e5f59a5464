"""The journal's writer in ``koppeling up``'s own process: the workers send it their entries.

Under ``koppeling up`` every worker process used to mask and insert its own journal entries (a
writer thread per process, :class:`~koppeling.harness.journal.Journal`). That work is off the
request path, but not off the worker's GIL: masking a Breng body costs ~0.1 ms and every
``sqlite3`` statement hands the GIL back and forth with the request threads, so under load the
journal cost the workers far more than its own CPU. Here the writer thread of a worker only
pickles its batch and sends it over a Unix socket to ``koppeling up``'s process (the parent,
which serves no HTTP), whose :class:`JournalServer` masks and writes it and answers with the
number of entries written; the worker counts them as written only then, so a reader's flush
(:meth:`~koppeling.harness.journal.Journal.flush`) still waits until every entry it could see
is in the file.

When the server cannot be reached (not started, gone, a refused frame), the worker writes what
was not written itself, as before, and tries the socket again :data:`RETRY_SECONDS` later. A
frame whose answer was lost after the server wrote it is then written twice; that can only
happen when the parent dies or stalls for :data:`ANSWER_SECONDS` mid-frame. A worker whose
batch has grown past ``LINK_BATCH`` entries (:mod:`koppeling.harness.journal`: the server is
behind) writes that batch itself too.

The socket lives in a directory of its own (mode 0700) and the server takes connections only
from its own user (``SO_PEERCRED``); it unpickles dicts, strings, numbers and ``datetime`` only,
and checks a frame's entries, field by field, before it queues any of them (:func:`_entry`).
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import shutil
import socket
import struct
import tempfile
import threading
import time
from contextlib import suppress
from functools import cache
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin, get_type_hints

if TYPE_CHECKING:
    from koppeling.harness.journal import Entry, Journal

log = logging.getLogger("koppeling")

#: a frame: its length (4 bytes, little-endian), then that many bytes (the writer process's
#: frames too, :mod:`koppeling.harness.writer`)
FRAME_LENGTH = struct.Struct("<I")
#: a worker that could not reach the server writes itself for this long before it tries again
RETRY_SECONDS = 1.0
#: a worker waits this long for the server's answer to one frame, then writes the rest itself
ANSWER_SECONDS = 30.0
#: a frame larger than this is refused (the worker writes it itself)
MAX_FRAME = 256 * 1024 * 1024
#: at most this many entries to a frame (:meth:`JournalLink.send`)
FRAME_ENTRIES = 256
#: the only classes an entry's data may hold (what an aware datetime pickles as)
DATETIME_TYPES = {("datetime", "datetime"), ("datetime", "timezone"), ("datetime", "timedelta")}


class _Loader(pickle.Unpickler):
    """Unpickles plain data and ``datetime`` only: nothing else is ever sent."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in DATETIME_TYPES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not journal data")


def _pack(batch: list[Entry]) -> bytes:
    payload = pickle.dumps([vars(entry) for entry in batch], protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME_LENGTH.pack(len(payload)) + payload


def _unpack(payload: bytes) -> list[Entry]:
    """The entries of a frame; ValueError (or what unpickling raises) for anything else."""
    found = _Loader(io.BytesIO(payload)).load()
    if not isinstance(found, list):
        raise ValueError("not a list of entries")
    return [_entry(fields) for fields in found]


def _entry(fields: object) -> Entry:
    """One entry, its fields of the types :class:`~koppeling.harness.journal.Entry` declares,
    or ValueError: a frame is checked whole before any of it is queued."""
    from koppeling.harness.journal import Entry

    types = _field_types()
    if not isinstance(fields, dict) or not fields.keys() <= types.keys():
        raise ValueError("not an entry")
    if not all(isinstance(value, types[name]) for name, value in fields.items()):
        raise ValueError("an entry's field of the wrong type")
    return Entry(**fields)  # a field missing: TypeError


@cache
def _field_types() -> dict[str, tuple[type, ...]]:
    """Each field of :class:`~koppeling.harness.journal.Entry` and the types its value may
    have, read from the dataclass's own annotations (``str | None``: str or None;
    ``dict[str, Any]``: dict)."""
    from koppeling.harness.journal import Entry

    found = {}
    for name, hint in get_type_hints(Entry).items():
        kinds = get_args(hint) if get_origin(hint) in (Union, UnionType) else (hint,)
        found[name] = tuple(get_origin(kind) or kind for kind in kinds)
    return found


def same_user(conn: socket.socket) -> bool:
    """Whether the peer of a Unix socket connection runs as this process's user
    (``SO_PEERCRED``)."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return bool(struct.unpack("3i", creds)[1] == os.getuid())


def receive_exact(sock: socket.socket, size: int) -> bytes | None:
    """Exactly ``size`` bytes, or None when the peer closed the connection first."""
    data = bytearray()
    while len(data) < size:
        part = sock.recv(min(size - len(data), 1 << 20))
        if not part:
            return None
        data += part
    return bytes(data)


class JournalLink:
    """A worker's side: sends a batch and waits for the server's count (:meth:`send`)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._sock: socket.socket | None = None
        self._pid = 0  # the process the socket was opened in (a fork opens its own)
        self._down_until = 0.0

    def send(self, batch: list[Entry]) -> int:
        """How many entries of ``batch``, from its start, the server wrote: all of them, or
        fewer when it could not be reached (the caller writes the rest itself). Sent in frames
        of at most :data:`FRAME_ENTRIES`, each answered once written: a worker whose batch grew
        to thousands (while the server wrote its last) pickles a frame at a time, holding its
        GIL ~1 ms per frame, not tens of milliseconds for the whole."""
        if time.monotonic() < self._down_until:
            return 0
        written = 0
        try:
            sock = self._connected()
            while written < len(batch):
                part = batch[written : written + FRAME_ENTRIES]
                sock.sendall(_pack(part))
                answer = receive_exact(sock, FRAME_LENGTH.size)
                if answer is None or FRAME_LENGTH.unpack(answer)[0] != len(part):
                    reason = (
                        "the server refused a batch" if answer else "the server closed the link"
                    )
                    break
                written += len(part)
            else:
                return written
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            reason = str(exc) or type(exc).__name__
        log.warning("journal: writing %d entries here (%s)", len(batch) - written, reason)
        self.close()
        self._down_until = time.monotonic() + RETRY_SECONDS
        return written

    def _connected(self) -> socket.socket:
        if self._sock is not None and self._pid == os.getpid():
            return self._sock
        self._sock = None  # a fork's inherited socket is its parent's: left alone
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(ANSWER_SECONDS)
        try:
            sock.connect(self.path)
        except OSError:
            sock.close()
            raise
        self._sock, self._pid = sock, os.getpid()
        return sock

    def close(self) -> None:
        if self._sock is not None and self._pid == os.getpid():
            self._sock.close()
        self._sock = None


class JournalServer:
    """``koppeling up``'s side: a socket in a private directory (:meth:`listen`, before the
    workers may start), then a thread per worker connection writing its batches into
    ``journal`` (:meth:`serve`); :meth:`stop` closes it and removes the directory."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="koppeling-journal-"))  # mode 0700
        self.path = str(self._dir / "socket")
        self._listener: socket.socket | None = None
        self._journal: Journal | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def listen(self) -> None:
        """Bind the socket: a worker may connect from now on (its batch waits for :meth:`serve`)."""
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.path)
        listener.listen(64)
        self._listener = listener

    def serve(self, journal: Journal) -> None:
        """Write what the workers send into ``journal`` (a thread takes the connections)."""
        self._journal = journal
        if self._listener is not None:
            threading.Thread(
                target=self._accept, name="koppeling-journal-server", daemon=True
            ).start()

    def _accept(self) -> None:
        listener = self._listener
        assert listener is not None
        while True:  # until stop() shuts the listener down
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed by stop()
            if not same_user(conn):
                conn.close()
                continue
            with self._lock:
                self._connections.add(conn)
            name = "koppeling-journal-link"
            threading.Thread(target=self._serve, args=(conn,), name=name, daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        journal = self._journal
        assert journal is not None
        try:
            while (header := receive_exact(conn, FRAME_LENGTH.size)) is not None:
                (size,) = FRAME_LENGTH.unpack(header)
                if size > MAX_FRAME or (payload := receive_exact(conn, size)) is None:
                    return
                try:
                    batch = _unpack(payload)
                except Exception as exc:  # never a traceback: the worker writes it itself
                    log.warning("journal: a batch from a worker could not be read: %s", exc)
                    conn.sendall(FRAME_LENGTH.pack(0))
                    continue
                journal.record_written(batch)
                conn.sendall(FRAME_LENGTH.pack(len(batch)))
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.discard(conn)
            conn.close()

    def stop(self) -> None:
        """Stop taking batches (a worker then writes its own) and remove the socket's directory."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept (close alone does not)
            listener.close()
        with self._lock:
            for conn in self._connections:
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        shutil.rmtree(self._dir, ignore_errors=True)
