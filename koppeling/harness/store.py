"""The one store every service shares: a SQLAlchemy engine over SQLite (WAL) by default, or
PostgreSQL (``koppeling up --store postgresql+psycopg://…``) for several harness hosts.

Worker processes share nothing but this store, so state, the clock, the journal and the faults all
live in tables here. Each service's store module declares its tables on :data:`metadata`; the
harness imports them all before :meth:`Database.create_all`.

The store pattern every partner follows (docs/architecture.md, "The store"):

- times are :class:`UtcDateTime` columns: aware UTC in, aware UTC out, on every engine;
- one mapping per entity from a row to its dataclass (:func:`from_row`);
- pure reads go through :meth:`Database.read` (never the write lock), writes through
  :meth:`Database.begin`; long ``IN`` lists are cut with :func:`chunks`;
- the schema carries a version (:data:`SCHEMA_VERSION`), checked when a store is opened.

Every difference between the two engines is in this module and nowhere else: the SQLite pragmas
and ``BEGIN IMMEDIATE``; on PostgreSQL the write lock (:meth:`Database.begin`), text columns
without a length limit and with byte order (``COLLATE "C"``, as SQLite compares), 64-bit
integers (as SQLite's), and the few SQL functions whose spelling differs (:func:`position`,
:func:`insert_ignore`).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    BigInteger,
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
    Text,
    TypeDecorator,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.functions import FunctionElement

if TYPE_CHECKING:
    from koppeling.harness.migrations import Upgrade

metadata = MetaData()


@event.listens_for(Column, "after_parent_attach")
def _wide_integers(column: Column[Any], table: Any) -> None:
    """Every INTEGER column of the store's tables (also as a migration creates them) is a
    BIGINT on PostgreSQL: see "the column types as SQLite treats them" below."""
    if not isinstance(table, Table) or type(column.type) is not Integer:
        return
    if table.metadata is metadata or table.name in metadata.tables:
        column.type = Integer().with_variant(BigInteger(), "postgresql")


#: The number in ``koppeling_schema.version``: the release before Alembic (2) reads only this
#: and refuses any other. Each migration that changes tables raises it (see migrations/).
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
    """The store was made by a newer koppeling, or by one too old to upgrade."""


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


#: The key of PostgreSQL's transaction-level advisory lock every write transaction takes
#: (``pg_advisory_xact_lock``): the stand-in for SQLite's single writer (see Database.begin).
WRITE_LOCK_KEY = 0x6B6F7070  # "kopp"


def display_url(url: str) -> str:
    """A store URL fit for a message or a log line: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show nothing of it
        return "<unparsable store URL>"


class Database:
    """An engine plus the schema: ``Database.memory()`` for throwaway runs, a URL otherwise."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self.is_memory = url in ("sqlite://", "sqlite:///:memory:")
        self.dialect = make_url(url).get_backend_name()
        self.is_postgresql = self.dialect == "postgresql"
        if self.is_memory:
            self.engine: Engine = create_engine(
                "sqlite://",
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
            )
        elif url.startswith("sqlite"):
            file = make_url(url).database
            if file:  # also a --store sqlite:///… URL: the file 0600 before SQLite opens it
                private_file(Path(file))
            self.engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}
            )
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        if self.is_postgresql:
            event.listen(self.engine, "connect", _postgresql_session)
            event.listen(self.engine, "before_cursor_execute", _no_nul, retval=True)
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

    def create_all(self) -> Upgrade:
        """Make the store ready: every table for a new one, the migrations for one made by an
        older koppeling (:mod:`koppeling.harness.migrations`), in one write transaction.
        SchemaMismatch for a store made by a newer koppeling (or one too old to upgrade)."""
        from koppeling.harness import migrations
        from koppeling.harness.services import import_stores

        import_stores()
        with self.begin() as conn:
            try:
                return migrations.upgrade(conn, display_url(self.url))
            except migrations.StoreRefused as exc:
                raise SchemaMismatch(str(exc)) from None

    upgrade = create_all

    def check_version(self, conn: Connection) -> str | None:
        """The store's schema revision, changing nothing (None: empty); SchemaMismatch for a
        store this koppeling cannot open or upgrade."""
        from koppeling.harness import migrations

        try:
            return migrations.check(conn, display_url(self.url))
        except migrations.StoreRefused as exc:
            raise SchemaMismatch(str(exc)) from None

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction. One at a time in the whole store, on every engine: SQLite takes
        its write lock at ``BEGIN IMMEDIATE``; PostgreSQL takes one transaction-level advisory
        lock first (released at commit or rollback), so every rule written for SQLite's single
        writer - read, decide, write - holds for several processes on several hosts too. Reads
        (:meth:`read`) never wait for it. An in-memory database serialises all transactions
        (one shared connection)."""
        if self.is_memory:
            with self._lock, self.engine.begin() as conn:
                yield conn
        elif self.is_postgresql:
            with self.engine.begin() as conn:
                conn.execute(_WRITE_LOCK, {"key": WRITE_LOCK_KEY})
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


def create_tables(conn: Connection) -> None:
    """Every table the store modules declare, and the version row (a new store)."""
    metadata.create_all(conn)
    if conn.execute(select(schema_table.c.version)).first() is None:
        conn.execute(
            schema_table.insert().values(
                id=1, version=SCHEMA_VERSION, made_by=f"koppeling {_version()}"
            )
        )


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


def position(haystack: Any, needle: Any) -> Any:
    """Where ``needle`` starts in ``haystack`` (1-based, 0 = not there): ``instr`` on SQLite,
    ``strpos`` on PostgreSQL."""
    return _Position(haystack, needle)


class _Position(FunctionElement[int]):
    type = Integer()
    inherit_cache = True
    name = "position"


@compiles(_Position)
def _position_sqlite(element: _Position, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_Position, "postgresql")
def _position_postgresql(element: _Position, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any]) -> int:
    """Insert a row unless one with the same primary key (or unique value) exists; how many
    rows were inserted (0 or 1). ``INSERT … ON CONFLICT DO NOTHING`` on both engines."""
    insert: Any = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
    stmt = insert(table).values(**values).on_conflict_do_nothing()
    return len(conn.execute(stmt.returning(*table.primary_key.columns)).all())


# --- PostgreSQL: the column types as SQLite treats them ------------------------------------------
# SQLite neither enforces a VARCHAR's length nor sorts text by locale, and its INTEGER holds 64
# bits. The same tables on PostgreSQL behave the same way: text without a length limit, in byte
# order (COLLATE "C", whatever the database's locale), and every INTEGER column of the store's
# tables a BIGINT (BIGSERIAL for an id), so are the values bound to it: an id of 2**40 in a path
# is "not found", never an overflow.


@compiles(String, "postgresql")
def _string_postgresql(element: String, compiler: Any, **kw: Any) -> str:
    if _in_ddl(kw):
        return 'VARCHAR COLLATE "C"'
    return str(compiler.visit_string(element, **kw))


@compiles(Text, "postgresql")
def _text_postgresql(element: Text, compiler: Any, **kw: Any) -> str:
    if _in_ddl(kw):
        return 'TEXT COLLATE "C"'
    return str(compiler.visit_text(element, **kw))


def _in_ddl(kw: dict[str, Any]) -> bool:
    """Whether a type is rendered for a table's column (CREATE TABLE, ADD COLUMN), not for a
    CAST or a bind parameter: only the column definition changes."""
    return isinstance(kw.get("type_expression"), Column)


_WRITE_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def _no_nul(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    """PostgreSQL's text cannot hold NUL (SQLite's can): a NUL in a value becomes U+FFFD, the
    replacement character, instead of failing the whole statement (a journal entry, a name)."""
    if executemany and isinstance(parameters, list | tuple):
        return statement, [_nul_free(p) for p in parameters]
    return statement, _nul_free(parameters)


def _nul_free(params: Any) -> Any:
    if isinstance(params, dict):
        if any(isinstance(v, str) and "\x00" in v for v in params.values()):
            return {
                k: v.replace("\x00", "\ufffd") if isinstance(v, str) else v
                for k, v in params.items()
            }
        return params
    if isinstance(params, list | tuple) and any(isinstance(v, str) and "\x00" in v for v in params):
        return type(params)(
            v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in params
        )
    return params


def _postgresql_session(dbapi_conn: Any, _record: Any) -> None:
    # Times travel as timestamptz; UtcDateTime turns whatever zone into UTC, but a session in
    # UTC keeps psql output and the server's own logs in the same zone as the harness's.
    with dbapi_conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
    dbapi_conn.commit()


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
