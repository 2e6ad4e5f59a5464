"""The one store every service shares: a SQLAlchemy engine over SQLite (WAL) by default.

Worker processes share nothing but this store, so state, the clock, the journal and the faults all
live in tables here. Each service's store module declares its tables on :data:`metadata`; the
harness imports them all before :meth:`Database.create_all`.

The store pattern every partner follows (docs/architecture.md, "The store"):

- times are :class:`UtcDateTime` columns: aware UTC in, aware UTC out, on every engine;
- one mapping per entity from a row to its dataclass (:func:`from_row`);
- pure reads go through :meth:`Database.read` (never the write lock), writes through
  :meth:`Database.begin`; long ``IN`` lists are cut with :func:`chunks`;
- the schema carries a version (:data:`SCHEMA_VERSION`), checked when a store is opened.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    CursorResult,
    DateTime,
    Dialect,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    create_engine,
    event,
    select,
)
from sqlalchemy.pool import StaticPool

metadata = MetaData()

#: The version of the tables below; raise it whenever a table or column changes. A store made
#: by another version is refused at start-up with a message saying what to do.
SCHEMA_VERSION = 3

schema_table = Table(
    "koppeling_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("made_by", String(64), nullable=False),
)

T = TypeVar("T")
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


class SchemaMismatch(RuntimeError):
    """The store was made by another version of koppeling."""


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored and read back in UTC on every engine.

    SQLite keeps no zone: without this, an aware datetime written comes back naive. A naive
    value is refused on the way in (every time in the harness says its zone).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"expected a timezone-aware datetime, got naive {value.isoformat()}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_row(cls: type[T], row: Any, **values: Any) -> T:
    """The dataclass ``cls`` from a result row: each field from the column of the same name,
    unless given in ``values`` (for the columns that need converting, e.g. JSON text)."""
    mapping = row._mapping
    fields = {
        f.name: values[f.name] if f.name in values else mapping[f.name]
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init and (f.name in values or f.name in mapping)
    }
    return cls(**fields)


def chunks(values: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size``: SQLite caps the parameters of one statement."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file (its folder is created, see :func:`private_file`)."""
    private_file(path)
    return f"sqlite:///{path.resolve()}"


def private_file(path: Path) -> None:
    """Make ``path`` readable by its owner only (0600), in a folder created 0700.

    The store holds the keys the testcentrum must send. SQLite gives its ``-wal`` and ``-shm``
    files the mode of the database file, so the file is made (or narrowed) before SQLite opens
    it; leftover ``-wal``/``-shm`` files of an older run are narrowed too. A folder that exists
    already keeps its mode: it may be shared (``--state-dir /tmp/x/..``), the files are not.
    """
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(PRIVATE_FILE)


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
        """Create every table the service stores declare, after checking the schema version."""
        from koppeling.harness.services import import_stores

        import_stores()
        with self.begin() as conn:
            self.check_version(conn)
            metadata.create_all(conn)
            if conn.execute(select(schema_table.c.version)).first() is None:
                conn.execute(
                    schema_table.insert().values(
                        id=1, version=SCHEMA_VERSION, made_by=f"koppeling {_version()}"
                    )
                )

    def check_version(self, conn: Connection) -> None:
        """Refuse a store made by another schema version (or by a build without versions)."""
        names = set(conn.dialect.get_table_names(conn))
        if not names:
            return
        found = None
        if schema_table.name in names:
            found = conn.execute(select(schema_table.c.version, schema_table.c.made_by)).first()
        if found is not None and found.version == SCHEMA_VERSION:
            return
        what = "no schema version" if found is None else f"schema version {found.version}"
        raise SchemaMismatch(
            f"the store at {self.url} has {what}; this koppeling needs schema version "
            f"{SCHEMA_VERSION}. Start with a fresh state folder (delete it, or use "
            "--state-dir elsewhere / --memory)."
        )

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


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("koppeling")
    except PackageNotFoundError:
        return "dev"


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
