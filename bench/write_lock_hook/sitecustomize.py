"""Loaded by every Python process that bench/write_lock.py starts (this folder is put first on
its PYTHONPATH): times each hold of the SQLite store's process write lock
(``state.sqlite.write-lock``, :class:`koppeling.harness.store._ProcessWriteLock`) and writes, per
process, every wait and hold by holder to ``$KOPPELING_BENCH_WRITE_LOCK/<pid>.json`` once a
second, per holder and store file (the store and the journal's own file have a lock each).
Nothing happens unless that variable is set. A bench instrument, never loaded by the
harness itself."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
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
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            time.sleep(0.5)
            snapshot = {kind: {k: list(v) for k, v in s.items()} for kind, s in stats.items()}
            partial = folder / f".{os.getpid()}.json.partial"  # never read half written
            partial.write_text(json.dumps(snapshot))
            os.replace(partial, folder / f"{os.getpid()}.json")

    @contextmanager
    def held(self: Any, file: Path | None) -> Iterator[None]:
        if file is None:
            yield
            return
        if owner["pid"] != os.getpid():  # first hold in this process (or a fork of it)
            owner["pid"] = os.getpid()
            stats.clear()
            threading.Thread(target=dump, name="bench-write-lock", daemon=True).start()
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
            found = stats.setdefault(kind, {"wait": [], "hold": []})
            found["wait"].append((got - asked) * 1000)
            found["hold"].append((done - got) * 1000)

    lock_class.held = held


if os.environ.get("KOPPELING_BENCH_WRITE_LOCK"):
    install(Path(os.environ["KOPPELING_BENCH_WRITE_LOCK"]))
