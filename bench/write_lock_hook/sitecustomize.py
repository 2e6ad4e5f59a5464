"""Loaded by every Python process that bench/write_lock.py starts (this folder is put first on
its PYTHONPATH): times each hold of the SQLite store's process write lock
(``state.sqlite.write-lock``, :class:`koppeling.harness.store._ProcessWriteLock`), per holder
and store file (the store and the journal's own file have a lock each); how long each write
waited in its store's group commit (``GroupCommit.run``, its own work included) and each hot
write took (``GroupCommit.call``: sent to the writer process, or run in the group commit); and
each
request a service's Flask app answered (``Flask.__call__``, the SOAP lanes in front of it
included): its wall-clock time and its thread's CPU, by method and path. Appends them, per
process, to ``$KOPPELING_BENCH_WRITE_LOCK/<pid>.jsonl`` twice a second (what came since).
Nothing happens unless that variable is set; Flask and the group commit are patched when their
modules are imported (``koppeling up`` itself never imports Flask). A bench instrument, never
loaded by the harness itself."""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: the holder of a lock, told by the functions on the stack that took it
HOLDERS = (("Journal", "journal"), ("_Checkpointer", "checkpoint"), ("GroupCommit", "commit"))


def holder(frame: Any) -> str:
    names = []
    while frame is not None:
        names.append(frame.f_code.co_qualname)
        frame = frame.f_back
    for marker, name in HOLDERS:
        if any(marker in n for n in names):
            return name
    return "other write"  # a write transaction of its own (Database.begin outside a batch)


def install(folder: Path) -> None:
    import fcntl

    from koppeling.harness import store

    lock_class: Any = store._ProcessWriteLock
    stats: dict[str, dict[str, list[float]]] = {}
    owner = {"pid": 0}
    open_lock = lock_class._open

    def dump() -> None:
        """Twice a second, the figures recorded since the last time, as one JSON line appended
        to ``<pid>.jsonl`` (writing every figure each time made a long run's dumps grow with
        it: after three minutes of the mixed load they took the workers' GIL for long enough
        to double the CPU per request)."""
        folder.mkdir(parents=True, exist_ok=True)
        written: dict[tuple[str, str], int] = {}
        path = folder / f"{os.getpid()}.jsonl"
        while True:
            time.sleep(0.5)
            new: dict[str, dict[str, list[float]]] = {}
            for kind, found in list(stats.items()):
                for name, values in list(found.items()):
                    start, end = written.get((kind, name), 0), len(values)
                    if end > start:
                        new.setdefault(kind, {})[name] = values[start:end]
                        written[(kind, name)] = end
            if new:
                with path.open("a") as out:
                    out.write(json.dumps(new) + "\n")

    def record(kind: str, **figures: float) -> None:
        if owner["pid"] != os.getpid():  # the first figure of this process (or a fork of it)
            owner["pid"] = os.getpid()
            stats.clear()
            threading.Thread(target=dump, name="bench-write-lock", daemon=True).start()
        found = stats.setdefault(kind, {name: [] for name in figures})
        for name, value in figures.items():
            found[name].append(value)

    @contextmanager
    def held(self: Any, file: Path | None) -> Iterator[None]:
        if file is None:
            yield
            return
        kind = f"{holder(sys._getframe(2))} @ {file.name}"  # each file has its own lock
        fd = open_lock(self, file)
        asked = time.perf_counter()
        fcntl.flock(fd, fcntl.LOCK_EX)
        got = time.perf_counter()
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            done = time.perf_counter()
            record(kind, wait=(got - asked) * 1000, hold=(done - got) * 1000)

    lock_class.held = held

    def patch_group_commit(commits: Any) -> None:
        run = commits.GroupCommit.run

        def timed_run(self: Any, work: Any) -> Any:
            started = time.perf_counter()
            try:
                return run(self, work)
            finally:
                name = Path(str(self.db.engine.url.database or "memory")).name
                record(f"group commit @ {name}", wall=(time.perf_counter() - started) * 1000)

        commits.GroupCommit.run = timed_run
        call = commits.GroupCommit.call

        def timed_call(self: Any, func: Any, *args: Any) -> Any:  # a hot write, via the writer
            started = time.perf_counter()
            try:
                return call(self, func, *args)
            finally:
                name = Path(str(self.db.engine.url.database or "memory")).name
                record(f"hot write @ {name}", wall=(time.perf_counter() - started) * 1000)

        commits.GroupCommit.call = timed_call

    def patch_flask(app_module: Any) -> None:
        call = app_module.Flask.__call__

        def timed_call(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return call(self, environ, start_response)
            finally:
                kind = f"request {environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
                record(
                    kind[:64],
                    wall=(time.perf_counter() - started) * 1000,
                    cpu=(time.thread_time() - cpu) * 1000,
                )

        app_module.Flask.__call__ = timed_call

    after_import("koppeling.harness.commits", patch_group_commit)
    after_import("flask.app", patch_flask)


def after_import(name: str, patch: Callable[[Any], None]) -> None:
    """Call ``patch(module)`` once module ``name`` has been imported (now, if it already is)."""
    if name in sys.modules:
        patch(sys.modules[name])
        return

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
            if fullname != name:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(fullname)
            if spec is None or spec.loader is None:
                return spec
            loader: Any = spec.loader
            execute = loader.exec_module

            def exec_module(module: Any) -> None:
                execute(module)
                patch(module)

            loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Finder())


if os.environ.get("KOPPELING_BENCH_WRITE_LOCK"):
    install(Path(os.environ["KOPPELING_BENCH_WRITE_LOCK"]))
