"""Ending a forked process (gunicorn's or granian's arbiter, a granian worker) the way the
interpreter ends, without returning into the stack it shares with ``koppeling up``."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


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
