"""``koppeling up``'s server process, forked at the command's very start and told later what to
serve.

The path from ``koppeling up`` to healthy is the server process's imports and builds, done once
on one core: SQLAlchemy and every table, Flask and the partner apps. Forked from ``up`` after
``up`` had imported the CLI and read its options (as :func:`koppeling.cli.main._fork_arbiter`
still does where nothing was forked ahead), the server process started ~0.09 s into the
command; the CLI's own imports (click, the scenario and report commands, ``http.client``) ran
first while the machine's second core had nothing to do. So the console entry point
(:func:`koppeling.cli.entry.run`) forks first for ``up`` (:func:`start`): the child imports
what the server needs (``warm``) while the parent imports the CLI, reads the options, picks the
ports and checks the store, side by side (docs/harness.md, sixteenth session).

- :func:`start` forks. The child takes the default action for SIGINT/SIGTERM (ended quietly,
  as the server process always was until the server installs its own; ignored where ``up``
  was started with them ignored, as a shell's background job is), turns the cyclic garbage
  collector off as ``up`` does while it starts, runs ``warm`` and then reads its work from a pipe.
- :func:`hand_over` writes that work — a function named ``"module:function"`` (so the parent
  never imports the server's modules to name it) and its arguments, pickled — and returns the
  child's pid and the pipe's write end, which stays open for more (``up``'s one-byte store
  go-ahead, ``store_ready`` in :func:`koppeling.harness.wsgi.serve`). The child calls the
  function with the arguments and the pipe's read end, and ends when it returns
  (:func:`~koppeling.harness.forks.run_then_exit`).
- :func:`cancel`: where no work comes (another command, ``--server werkzeug``, a usage error),
  the child is killed and reaped; it has only imported modules. If the parent ends first, the
  child reads the end of the pipe and ends quietly.
"""

from __future__ import annotations

import os
import signal
import sys

# Only what forking needs is imported before the fork, where it is on the way to healthy; the
# rest when it is used. (For a type checker, TYPE_CHECKING is typing's; at run time typing is
# not imported for it: it costs ~2 ms.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_child: tuple[int, int] | None = None  # (pid, the pipe's write end) until handed over


def start(warm: Callable[[], object]) -> None:
    """Fork the process that will serve; it runs ``warm`` and then waits for its work."""
    global _child
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        os.close(read)
        _child = (pid, write)
        return
    os.close(write)  # else the child would hold the pipe open itself and never see its end
    from koppeling.harness.forks import run_then_exit

    run_then_exit(lambda: _serve_when_told(read, warm))


def hand_over(target: str, *args: Any) -> tuple[int, int] | None:
    """Tell the process :func:`start` forked to call ``target`` (``"module:function"``) with
    ``args`` and the pipe's read end. Returns its pid and the pipe's write end (the caller's to
    close), or None where nothing was forked ahead (then the caller forks itself)."""
    global _child
    if _child is None:
        return None
    pid, write = _child
    _child = None
    import pickle

    payload = pickle.dumps((target, args))
    message = memoryview(len(payload).to_bytes(4, "big") + payload)
    try:
        while message:
            message = message[os.write(write, message) :]
    except BrokenPipeError:
        pass  # it has ended already (its imports failed: it said why); the caller finds out
    return pid, write


def cancel() -> None:
    """No work for the process forked ahead: end it (it has only imported modules) and reap it."""
    global _child
    if _child is None:
        return
    pid, write = _child
    _child = None
    os.close(write)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def call(target: str, args: tuple[Any, ...], read: int) -> None:
    """Call ``target`` (``"module:function"``) with ``args`` and ``read``."""
    import importlib

    module, _, name = target.partition(":")
    getattr(importlib.import_module(module), name)(*args, read)


def _serve_when_told(read: int, warm: Callable[[], object]) -> None:
    import gc
    import pickle

    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not signal.SIG_IGN:  # as ignored as `up` was started
            signal.signal(sig, signal.SIG_DFL)  # not Python's KeyboardInterrupt mid-import
    gc.disable()  # as `up` while it starts; the server turns it on once built (gc.freeze)
    warm()
    head = _read_exactly(read, 4)
    if len(head) < 4:
        return  # the parent ended, or cancelled: nothing to serve
    payload = _read_exactly(read, int.from_bytes(head, "big"))
    target, args = pickle.loads(payload)
    call(target, args, read)


def _read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``, fewer only where it ends first."""
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
