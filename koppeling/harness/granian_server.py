"""``koppeling up --server granian``: the same apps behind granian's HTTP server (Rust, hyper).

gunicorn's gthread worker spends about as much CPU per request as the harness itself (parsing
HTTP in Python, a thread hand-over per request); granian parses and writes HTTP in Rust and only
calls the WSGI app from Python, which roughly halves the CPU of a Haal and lifts every load (the
figures are in docs/harness.md). What ``up`` runs, it runs the same way as under gunicorn:

- an *arbiter* (a fork of ``koppeling up``) builds the apps once (:func:`koppeling.harness.wsgi.
  build`), waits for the store (``store_ready``), checks every port can be bound and forks
  ``workers`` processes, and one *writer* that serves no port and commits the workers' hot
  writes (:mod:`koppeling.harness.writer`; not with ``--no-writer-process``); it starts a new
  one when one ends and stops them on SIGTERM/SIGINT;
- each *worker* serves every service port: one granian ``WSGIWorker`` per port (on a listening
  socket of that port of its own, ``SO_REUSEPORT``, which the arbiter bound and keeps, so the
  kernel spreads the connections over the workers and a port stays bound while a worker is
  replaced; its own tokio runtime and up to ``threads`` Python threads), so a slow client or a
  long-poll holds a thread of its own service only. On Linux the workers run as
  ``SCHED_BATCH`` (``--worker-scheduling batch``, the default; :func:`batch_scheduling`): a
  worker's thread that wakes does not preempt what is running, so the writer process finishes
  its batch instead of handing the core to each thread it just answered.

granian's public entry points (``Granian(...).serve()``, the CLI) serve one address per server;
the six ports would be six servers of their own processes. This module drives granian's worker
class directly, as granian's own ``server.mp`` does, which is why ``pyproject.toml`` keeps
granian to one minor version (the worker's signature is not a public API).

What granian does differently from gunicorn, and how the harness keeps its promises:

- **Size limits.** :func:`limited` answers gunicorn's limits — a request line over 4094
  bytes (414), a header line ``Name: value`` over 8190 (431) — as problem details, as
  ``ProblemThreadWorker`` does under gunicorn. hyper refuses what is over its own limits before
  the app sees it, with an empty answer of its own: a URI over 64 KiB (414), more than 100
  header fields (431; gunicorn's worker answers that one as problem details), headers over
  ~400 KiB in all (431).
- **The connection_reset fault** needs the request's socket, which granian does not give the
  app: :func:`reset_connection` finds it among the worker's sockets (established, from the
  client's address to the service's port, awaiting its answer, its data come in shortly
  before the request was handed to the app: :func:`latest_connection`) and resets it
  (``connect(AF_UNSPEC)``: a RST, as a crashed peer sends). Two connections whose last data
  came in the same tick of the kernel's clock cannot be told apart; then nothing is reset, the
  request is answered 503 and a warning logged.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import importlib.util
import logging
import os
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from types import ModuleType
from typing import Any, NamedTuple

from koppeling.harness.commits import committer
from koppeling.harness.config import HarnessConfig
from koppeling.harness.errors import PROBLEM_TYPE, problem_body
from koppeling.harness.forks import run_then_exit
from koppeling.harness.service import RESET_CONNECTION
from koppeling.harness.writer import Writer, WriterLink
from koppeling.harness.wsgi import PortDispatcher, StartResponse, build, read_byte

log = logging.getLogger(__name__)

#: the listen backlog of each port's socket (one, shared by the workers)
BACKLOG = 1024
#: connections one worker serves at once on one port (gunicorn's ``worker_connections``)
CONNECTIONS = 1000
#: how long a stopping worker may finish what it answers, then it is killed (gunicorn's too)
GRACEFUL_TIMEOUT = 5.0
#: a worker that ends this soon after it started counts as failing to start; after
#: FAILED_STARTS of those in a row the arbiter gives up (gunicorn's "Worker failed to boot")
QUICK_END = 2.0
FAILED_STARTS = 5
#: gunicorn's limits (``--limit-request-line``, ``--limit-request-field_size``), answered as
#: problem details under granian too (hyper itself refuses more than 100 header fields)
LIMIT_REQUEST_LINE = 4094
LIMIT_FIELD_SIZE = 8190


def serve(
    config: HarnessConfig,
    *,
    workers: int,
    threads: int,
    store_ready: int | None = None,
    writer: bool = True,
    batch_workers: bool = True,
) -> None:
    """Run the arbiter in this process until SIGTERM/SIGINT (see the module's doc; the other
    arguments are those of :func:`koppeling.harness.wsgi.serve`). ``writer``: one more process,
    the writer, runs the workers' hot writes (:mod:`koppeling.harness.writer`).
    ``batch_workers``: the workers run as ``SCHED_BATCH`` (:func:`batch_scheduling`)."""
    dispatcher = build(config, store_checked=store_ready is not None)
    if store_ready is not None and read_byte(store_ready) != b"1":
        raise SystemExit(0)
    # Per worker a listening socket of each port (SO_REUSEPORT: the kernel spreads the
    # connections over the workers by their addresses). One socket shared by every worker let
    # whichever worker woke first take every connection waiting: of six 16-connection wrk runs
    # one put all 16 on one worker and three 12 to 15, and that worker, one process on one GIL,
    # held the load to one core (docs/harness.md, eleventh session). The arbiter keeps every
    # socket open: a worker that ends is replaced on its own sockets, and a connection that came
    # in meanwhile waits in their queue. `up` has checked that no other program holds a port
    # (`_check_free`): a listening socket there without SO_REUSEPORT makes these binds fail
    # (`up`'s own socket that holds a picked port until now never listens: `_resolve_ports`).
    listeners: list[dict[int, socket.socket]] = [{} for _ in range(workers)]
    for port in dispatcher.apps:
        try:
            for slot in listeners:
                slot[port] = _listen(config.host, port)
        except OSError as exc:
            print(f"cannot bind {config.host}:{port}: {exc}", file=sys.stderr)
            raise SystemExit(1) from None
    writes = Writer() if writer else None  # its socket, kept open as the ports are
    gc.freeze()  # as under gunicorn: what was built is never garbage (see wsgi.serve)
    gc.enable()

    def target(slot: int) -> None:
        if slot == workers:  # the slot after the workers' (only with a writer)
            assert writes is not None
            _writer(dispatcher, listeners, writes)
        else:
            if batch_workers:
                batch_scheduling()
            _worker(dispatcher, listeners, slot, threads, writes)

    try:
        Arbiter(target, workers + (writes is not None)).run()
    finally:
        if writes is not None:
            writes.close()


def batch_scheduling() -> bool:
    """Make this process's thread (and every thread it starts) ``SCHED_BATCH``; False where
    there is no such policy (not Linux) or the system refuses it.

    Why: under load a worker's request threads wake ~8 times per request (the request, the
    GIL, the writer's answer, the journal); under the default policy each wake-up may preempt
    whatever runs on that core, the writer process in the middle of its batch included, and
    on a 2-core machine a quarter of a worker's CPU went into switching
    (``finish_task_switch`` in ``perf``). A ``SCHED_BATCH`` thread that wakes waits for the
    running one's time slice instead; on an idle core it runs at once, as before. Any user may
    choose it (it lowers no one else's share). Measured with ``bench/alternate.py --pairs 3``:
    BrengLeerresultaten ×1.109 and ×1.086 req/s (B ahead in 31 of 36 rounds) at ×0.90–×0.94
    CPU per request and a lower p99; the mixed load about even (×0.966 and ×1.070). Only the
    workers: every process of ``up`` as ``SCHED_BATCH`` (the writer included) was about even
    on Breng with a worse p99 of the mixed load, and ``up``'s own threads as well made no
    difference (docs/harness.md)."""
    policy = getattr(os, "SCHED_BATCH", None)
    if policy is None:
        return False
    try:
        os.sched_setscheduler(0, policy, os.sched_param(0))
    except OSError:
        return False
    return True


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket of one port for one worker, bound in the arbiter (``SO_REUSEPORT``:
    each worker has one of its own, see :func:`serve`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Linux hands TCP_NODELAY on to every accepted connection: granian writes a streamed
    # answer (every Flask route's) as its head, then its body, and with Nagle on the body
    # waited for the client's delayed ACK of the head — 40 ms, now and then, on a kept-alive
    # connection (gunicorn sets the same option on its listeners)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


class Arbiter:
    """Forks ``count`` workers running ``target(slot)`` (slot 0 … count - 1), replaces one that
    ends in its slot, stops them all on SIGTERM/SIGINT (SIGTERM, then SIGKILL after
    GRACEFUL_TIMEOUT)."""

    def __init__(self, target: Callable[[int], None], count: int) -> None:
        self.target = target
        self.count = count
        self.stopping = threading.Event()
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (slot, when it started)

    def run(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        failed = 0
        try:
            while len(self.children) < self.count:
                self._spawn()
            while not self.stopping.wait(0.1):
                for pid, (_, started) in list(self.children.items()):
                    if _ended(pid):
                        del self.children[pid]
                        failed = failed + 1 if time.monotonic() - started < QUICK_END else 0
                if failed >= FAILED_STARTS:
                    print("granian workers fail to start; giving up", file=sys.stderr)
                    raise SystemExit(3)
                while len(self.children) < self.count and not self.stopping.is_set():
                    self._spawn()
        finally:
            self._stop_all()

    def _spawn(self) -> None:
        taken = {slot for slot, _ in self.children.values()}
        slot = min(set(range(self.count)) - taken)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            self.children[pid] = (slot, time.monotonic())
            return
        run_then_exit(lambda: self.target(slot))

    def _stop_all(self) -> None:
        for pid in self.children:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACEFUL_TIMEOUT
        while self.children and time.monotonic() < deadline:
            for pid in [p for p in self.children if _ended(p)]:
                del self.children[pid]
            time.sleep(0.02)
        for pid in self.children:
            _signal(pid, signal.SIGKILL)
            _ended(pid, block=True)
        self.children.clear()


def _ended(pid: int, *, block: bool = False) -> bool:
    try:
        done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return True
    return done != 0


def _signal(pid: int, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)


def _writer(
    dispatcher: PortDispatcher, slots: list[dict[int, socket.socket]], writes: Writer
) -> None:
    """The writer process: serves no port (it closes every slot's sockets) and runs the
    workers' hot writes until SIGTERM/SIGINT (:mod:`koppeling.harness.writer`)."""
    for sockets in slots:
        for sock in sockets.values():
            sock.close()
    dispatcher.after_fork()
    assert dispatcher.core is not None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    writes.serve(dispatcher.core.db, stop)


def _worker(
    dispatcher: PortDispatcher,
    slots: list[dict[int, socket.socket]],
    slot: int,
    threads: int,
    writes: Writer | None = None,
) -> None:
    """One worker process: a granian WSGIWorker per port on the sockets of its ``slot``, until
    SIGTERM/SIGINT; then each finishes what it answers (granian calls back once drained) before
    the process ends. The other slots' sockets, inherited with the fork, it closes. With a
    writer, the store's hot writes go there (:mod:`koppeling.harness.writer`)."""
    for other, sockets in enumerate(slots):
        if other != slot:
            for sock in sockets.values():
                sock.close()
    listeners = slots[slot]
    if writes is not None:
        assert dispatcher.core is not None
        writes.listener.close()  # the arbiter's to keep
        committer(dispatcher.core.db).link = WriterLink(writes.path)
    granian = granian_core()

    # granian's stubs lag behind its binary's signatures (2.8.9): typed as what they are
    new_scheduler: Callable[..., Any] = granian.futures._new_cbscheduler
    worker_class: Any = granian.native.WSGIWorker
    socket_holder: Any = granian.native.SocketHolder

    dispatcher.after_fork()
    loop = granian.loops.get("auto")
    served = []
    drained = threading.Semaphore(0)
    for index, (port, listener) in enumerate(listeners.items()):
        app = dispatcher.apps[port]
        worker = worker_class(
            os.getpid() * 8 + index,  # granian logs it; unique per socket
            (None, socket_holder(os.dup(listener.fileno()), False, BACKLOG)),
            None,  # no IPC: granian's metrics are off
            threads=1,
            py_threads=threads,
            # granian's backpressure bounds the connections a worker serves at once (each holds
            # a permit while it lives, keep-alive included; the rest wait in the accept queue)
            backpressure=CONNECTIONS,
        )
        stop = granian.native.WorkerSignal()
        stop.add_cb(drained.release)  # called once this port has finished its requests
        scheduler = new_scheduler(loop, _callback(app), impl_asyncio=False)
        worker.serve_mtr(scheduler, loop, stop)
        served.append((stop, worker, scheduler))  # kept: granian holds no reference of its own
    ending = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: ending.set())
    ending.wait()
    for stop, _, _ in served:
        stop.set()
    deadline = time.monotonic() + GRACEFUL_TIMEOUT
    for _ in served:
        if not drained.acquire(timeout=max(0.0, deadline - time.monotonic())):
            break


class GranianCore(NamedTuple):
    """What the harness uses of granian (:func:`granian_core`)."""

    native: ModuleType  # granian._granian, the Rust module: the worker and socket classes
    futures: ModuleType  # granian._futures: the callback scheduler
    wsgi: ModuleType  # granian.wsgi: the answer classes
    loops: Any  # granian._loops.loops: the event loop builders


@functools.cache
def granian_core() -> GranianCore:
    """granian's serving core, loaded without running the package's ``__init__``: that imports
    granian's own server (``Granian``, and with it multiprocessing, anyio and granian's CLI),
    which the harness never uses — 2 instead of ~20 ms of every worker's start, on the way to
    healthy (docs/harness.md, sixteenth session).

    The package stands in the import system only while these load (a module made from its
    spec, not executed); a later ``import granian`` in the same process runs ``__init__`` as
    usual and finds them loaded. Where granian is imported already: the usual import."""
    if "granian" not in sys.modules:
        spec = importlib.util.find_spec("granian")
        if spec is not None and spec.submodule_search_locations is not None:
            package = importlib.util.module_from_spec(spec)
            sys.modules["granian"] = package
            try:
                return _import_granian_core()
            finally:
                if sys.modules.get("granian") is package:
                    del sys.modules["granian"]
    return _import_granian_core()


def _import_granian_core() -> GranianCore:
    from granian import _futures, _granian
    from granian import wsgi as granian_wsgi
    from granian._loops import loops

    return GranianCore(_granian, _futures, granian_wsgi, loops)


def _callback(app: Callable[..., Iterable[bytes]]) -> Callable[[Any, dict[str, Any]], int]:
    """What granian calls per request: ``app`` called with the request's environ, its answer
    handed to granian. Not granian's own wrapper (``granian.wsgi._callback_wrapper``), which
    copies the whole process environment into every environ: an ``HTTP_PROXY`` or ``HTTP_HOST``
    set for the process would read as a header of every request that lacks it."""
    granian_wsgi = granian_core().wsgi
    new_answer: Callable[[], Any] = granian_wsgi.Response  # untyped in granian
    iter_wrap: Callable[[Any], Any] = granian_wsgi.ResponseIterWrap

    base: dict[str, Any] = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SCRIPT_NAME": "",
        "SERVER_SOFTWARE": "granian",
        "wsgi.errors": sys.stderr,
        "wsgi.input_terminated": True,
        "wsgi.multiprocess": True,
        "wsgi.multithread": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        RESET_CONNECTION: reset_connection,  # the connection_reset fault, without a socket
    }
    limited_app = limited(app)

    def run(proto: Any, scope: dict[str, Any]) -> int:
        answer = new_answer()
        environ = base | scope
        environ[HANDED_AT] = time.monotonic()  # reset_connection tells later arrivals apart
        result = limited_app(environ, answer)
        if isinstance(result, list):
            proto.response_bytes(answer.status, answer.headers, b"".join(result))
        else:
            proto.response_iter(answer.status, answer.headers, iter_wrap(result))
        return int(answer.status)

    return run


def limited(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """``app`` behind gunicorn's size limits, answered as problem details (414, 431)."""

    def call(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        line = len(environ["REQUEST_METHOD"]) + len(environ["PATH_INFO"]) + 10
        query = environ.get("QUERY_STRING")
        if query:
            line += len(query) + 1
        if line > LIMIT_REQUEST_LINE:
            return _too_large(start_response, 414, f"request line over {LIMIT_REQUEST_LINE} bytes")
        for key in environ:
            if not key.startswith(("HTTP_", "CONTENT_")):
                continue
            # the line "Name: value\r\n" as gunicorn counts it (HTTP_ is not in the name)
            name = len(key) - 5 if key.startswith("HTTP_") else len(key)
            if name + len(environ[key]) + 4 > LIMIT_FIELD_SIZE:
                detail = f"a header field over {LIMIT_FIELD_SIZE} bytes"
                return _too_large(start_response, 431, detail)
        return app(environ, start_response)

    return call


def _too_large(start_response: StartResponse, status: int, detail: str) -> list[bytes]:
    reason = {414: "URI Too Long", 431: "Request Header Fields Too Large"}[status]
    body = problem_body(status, f"{reason}: {detail}")
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", PROBLEM_TYPE),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ],
    )
    return [body]


class _SockAddrUnspec(ctypes.Structure):
    _fields_ = [("family", ctypes.c_ushort), ("data", ctypes.c_char * 14)]


_LIBC: Any = None
#: struct tcp_info (linux/tcp.h): its first byte is the state; after eight bytes of small
#: ones, ``tcpi_last_data_sent`` (ms) is the tenth 32-bit field, ``tcpi_last_data_recv`` the
#: twelfth. The kernel keeps those times in jiffies: 4 ms apart at HZ 250
_TCP_INFO_SIZE = 104
_TCP_ESTABLISHED = 1
_LAST_DATA_SENT = 44
_LAST_DATA_RECV = 52
_TICK_MS = 4
#: a request's data comes in at most this long before granian hands it to the app, as a rule
#: (the wait for a thread); another connection that received data in that window, awaiting
#: its answer too, makes the request's own connection ambiguous (latest_connection)
_WINDOW_MS = 25
#: the environ key of when the request was handed to the app (``time.monotonic()``)
HANDED_AT = "koppeling.handed_at"


def reset_connection(environ: dict[str, Any]) -> bool:
    """Reset (RST) the TCP connection ``environ`` arrived on; True if it was reset.

    granian gives the app neither the socket nor the client's port, so the connection is found
    among this process's sockets: established, from the client's address to the service's
    port, and of those the one :func:`latest_connection` picks (the last to receive data before
    the request was handed to the app, still awaiting its answer). Two that cannot be told
    apart: none is reset."""
    global _LIBC
    port = int(environ.get("SERVER_PORT") or 0)
    peer = environ.get("REMOTE_ADDR")
    handed_at = environ.get(HANDED_AT)
    age_ms = None if handed_at is None else int((time.monotonic() - handed_at) * 1000)
    found: list[tuple[int, int, int]] = []  # (ms since data received, since data sent, fd)
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        with sock:
            try:
                if sock.family not in (socket.AF_INET, socket.AF_INET6):
                    continue
                if sock.type != socket.SOCK_STREAM or sock.getsockname()[1] != port:
                    continue
                if sock.getpeername()[0] != peer:
                    continue
                info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
            except OSError:
                continue  # a listening socket has no peer
        if info[0] == _TCP_ESTABLISHED:
            received = struct.unpack_from("I", info, _LAST_DATA_RECV)[0]
            sent = struct.unpack_from("I", info, _LAST_DATA_SENT)[0]
            found.append((received, sent, int(name)))
    chosen = latest_connection(found, age_ms)
    if chosen is None:
        log.warning(
            "connection_reset: cannot tell this request's connection from %d others from %s "
            "to port %d in this worker; reset none",
            len(found),
            peer,
            port,
        )
        return False
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    # connect() to AF_UNSPEC dissolves the connection: Linux sends a RST for an established
    # one, and the descriptor stays granian's (its answer then fails and it closes it)
    unspec = _SockAddrUnspec(socket.AF_UNSPEC)
    return bool(_LIBC.connect(chosen, ctypes.byref(unspec), ctypes.sizeof(unspec)) == 0)


def latest_connection(
    found: Iterable[tuple[int, int, int]], age_ms: int | None = None
) -> int | None:
    """Of ``(ms since its last data received, ms since its last data sent, descriptor)``
    triples, the descriptor the request came on; None when it cannot be told apart from another
    (resetting the wrong one would break another client's request).

    It awaits its answer: nothing was sent on it since it last received (a kept-alive
    connection answered meanwhile is not it). When ``age_ms`` (how long ago the request was
    handed to the app) is known, its data came in shortly before: within :data:`_WINDOW_MS`
    before, or a kernel tick after. One awaiting connection in that window is it; two or more
    (another request came in while this one waited for a thread) cannot be told apart. None in
    it (the request waited longer, or its body was still arriving): the last to receive data
    before then, else the last of all. Without ``age_ms``, the last to receive data. Two that
    received their last data in the same tick cannot be told apart either."""
    awaiting = [(received, fd) for received, sent, fd in found if sent >= received]
    if age_ms is not None:
        recent = [c for c in awaiting if age_ms - _TICK_MS <= c[0] <= age_ms + _WINDOW_MS]
        if recent:
            return recent[0][1] if len(recent) == 1 else None
        before = [c for c in awaiting if c[0] >= age_ms - _TICK_MS]
        awaiting = before or awaiting
    ordered = sorted(awaiting)
    if not ordered or (len(ordered) > 1 and ordered[0][0] == ordered[1][0]):
        return None
    return ordered[0][1]
