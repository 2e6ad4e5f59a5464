"""Ending a forked process (gunicorn's or granian's arbiter, a granian worker) the way the
interpreter ends, without returning into the stack it shares with ``koppeling up``."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import traceback
from collections.abc import Callable
from typing import NoReturn


def run_then_exit(work: Callable[[], object]) -> NoReturn:
    """In a forked child: run ``work``, then end as the interpreter would, with 0, the code of
    a ``SystemExit`` (gunicorn ends its workers and itself with one), or 1 after printing any
    other exception."""
    code = 1
    try:
        work()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:
        traceback.print_exc()
    exit_as_python_would(code)


def exit_as_python_would(code: int) -> NoReturn:
    """End a forked process the way the interpreter ends, without unwinding the stack it shares
    with the parent: wait for its non-daemon threads, run its ``atexit`` functions (the journal
    writes what it queued), flush, exit."""
    try:
        shutdown = getattr(threading, "_shutdown", None)
        if shutdown is not None:
            shutdown()
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)
