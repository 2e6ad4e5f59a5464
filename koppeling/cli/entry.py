"""The ``koppeling`` command's console entry point.

For ``koppeling up`` under granian or gunicorn it first forks the process that will serve
(:mod:`koppeling.harness.preload`), which imports the server's modules on the machine's other
core while this process imports the CLI and reads the options; ``up`` then hands it its
configuration (:func:`koppeling.cli.main._start_arbiter`). Imports nothing but the standard
library and that module before the fork: what runs ahead of it is on the way to healthy.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence


def run() -> None:
    """``koppeling`` (options from KOPPELING_* environment variables too)."""
    from koppeling.harness import preload

    if forks_ahead(sys.argv[1:], os.environ):
        preload.start(import_server)
    try:
        from koppeling.cli.main import run as run_cli

        run_cli()
    finally:
        preload.cancel()  # where `up` handed nothing over: another command, an error


def forks_ahead(args: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether these arguments start ``up`` with a forked server (granian, gunicorn), as far
    as a look at them tells; ``up`` cancels what it does not use (``--server werkzeug`` from
    somewhere this misses), a wrong guess costs one fork's imports."""
    if not args or args[0] != "up" or "-h" in args or "--help" in args:
        return False
    server = environ.get("KOPPELING_UP_SERVER", "granian")
    for index, arg in enumerate(args):
        if arg == "--server" and index + 1 < len(args):
            server = args[index + 1]
        elif arg.startswith("--server="):
            server = arg.partition("=")[2]
    return server != "werkzeug"


def import_server() -> None:
    """What the server process needs before it knows its options: the harness's web side and
    both servers' modules (Flask, werkzeug), SQLAlchemy's SQLite dialect, every store, app and
    page module."""
    import sqlalchemy.dialects.sqlite  # noqa: F401  (create_engine loads it on first use)

    from koppeling.harness import granian_server  # noqa: F401  (and wsgi, Flask)
    from koppeling.harness.services import import_apps

    import_apps()
