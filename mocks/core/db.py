"""The one store every service shares: a SQLAlchemy engine over SQLite (WAL) by default.

Worker processes share nothing but this store, so state, the clock, the journal and the faults all
live in tables here. Each service's store module declares its tables on :data:`metadata`; the
harness imports them all before :meth:`Database.create_all`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, MetaData, create_engine, event
from sqlalchemy.pool import StaticPool

metadata = MetaData()


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file (its folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


class Database:
    """An engine plus the schema: ``Database.memory()`` for throwaway runs, a URL otherwise."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self.is_memory = url in ("sqlite://", "sqlite:///:memory:")
        if self.is_memory:
            self.engine: Engine = create_engine(
                "sqlite://",
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
            )
        elif url.startswith("sqlite"):
            self.engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}
            )
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # pysqlite's own BEGIN is deferred: two writers that both read first then deadlock
            # (SQLITE_BUSY at once, no waiting). Take the write lock at BEGIN instead.
            event.listen(self.engine, "begin", _begin_immediate)

    @classmethod
    def memory(cls) -> Database:
        """A private in-memory database (one connection shared by all threads)."""
        return cls("sqlite://")

    @classmethod
    def file(cls, path: Path) -> Database:
        """A SQLite file database; state survives a restart."""
        return cls(sqlite_url(path))

    def create_all(self) -> None:
        """Create every table the imported service stores declared."""
        from mocks.registry import import_stores

        import_stores()
        metadata.create_all(self.engine)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction; an in-memory database serialises them (one shared connection)."""
        if self.is_memory:
            with self._lock, self.engine.begin() as conn:
                yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction: on SQLite a deferred BEGIN, so readers never queue behind
        the write lock (WAL lets them read while one writer writes)."""
        if self.is_memory:
            with self._lock, self.engine.begin() as conn:
                yield conn
            return
        with self.engine.connect() as raw:
            conn = raw.execution_options(koppeling_read_only=True)
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key an INSERT produced."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the INSERT returned no primary key")
    return int(key[0])


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _begin_immediate(conn: Connection) -> None:
    if conn.get_execution_options().get("koppeling_read_only"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
