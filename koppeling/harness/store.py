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
- the schema carries a version (:data:`SCHEMA_VERSION`), checked when a store is opened;
- a write to a *watched* table (:func:`watch`) bumps its scope's generation number in the same
  transaction, so a worker process can keep what it derived from those tables until the number
  moves (:meth:`Database.generation`).

Every difference between the two engines is in this module and nowhere else: the SQLite pragmas
and ``BEGIN IMMEDIATE``; on PostgreSQL the write lock (:meth:`Database.begin`), text columns
without a length limit and with byte order (``COLLATE "C"``, as SQLite compares), 64-bit
integers (as SQLite's), and the few SQL functions whose spelling differs (:func:`position`,
:func:`insert_ignore`).
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import mmap
import os
import sqlite3
import struct
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
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
    bindparam,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.functions import FunctionElement

if TYPE_CHECKING:
    from koppeling.harness.migrations import Upgrade

log = logging.getLogger("koppeling.store")
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
SCHEMA_VERSION = 4

schema_table = Table(
    "koppeling_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("made_by", String(64), nullable=False),
)

#: One row per scope: a number every write to that scope's tables raises (see :func:`watch`).
#: Plain SQL on every engine: ``UPDATE … SET value = value + 1`` in the writer's transaction.
generation_table = Table(
    "koppeling_generation",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

#: table name -> the generation scope its writes bump (declared by the modules, like tables)
_WATCHED: dict[str, str] = {}

T = TypeVar("T")
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: the WAL file is cut back to this size after a checkpoint (SQLite's journal_size_limit)
WAL_LIMIT = 16 * 1024 * 1024


def watch(scope: str, *tables: Table) -> None:
    """Every INSERT, UPDATE or DELETE of ``tables`` (through SQLAlchemy Core, on any
    :class:`Database`) raises the generation of ``scope`` by one, in the same transaction: a
    process that keeps something derived from those tables re-derives it when the number moved.
    A scope is coarse on purpose: any write to its tables moves it."""
    for table in tables:
        _WATCHED[table.name] = scope


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
        self._file: Path | None = None  # a SQLite file store
        self._writer = _ProcessWriteLock()
        self._reader = _PlainReader()
        self._changes = _ChangeCounter()
        self._checkpoints = _Checkpointer()
        # (counter value before the read, when, generations) of the last read in this process
        self._seen: tuple[int, float, dict[str, int]] = (-1, 0.0, {})
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
                self._file = Path(file)
            self.engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}
            )
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        # Per thread: the generations a request pinned (read once per request), see pin().
        self._local = threading.local()
        event.listen(self.engine, "after_execute", self._bump_watched)
        if self.is_postgresql:
            event.listen(self.engine, "connect", _postgresql_session)
            event.listen(self.engine, "before_cursor_execute", _no_nul, retval=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # pysqlite's own BEGIN is deferred: two writers that both read first then deadlock
            # (SQLITE_BUSY at once, no waiting). Take the write lock at BEGIN instead.
            event.listen(self.engine, "begin", _begin_immediate)

    @property
    def sqlite_file(self) -> Path | None:
        """The file of a SQLite file store (None in memory and on a server)."""
        return self._file

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
        (:meth:`read`) never wait for it."""
        if self.is_postgresql:
            with self.engine.begin() as conn:
                conn.execute(_WRITE_LOCK, {"key": WRITE_LOCK_KEY})
                yield conn
            return
        # SQLite: one writer at a time. The others queue on a Python lock (threads of a process),
        # then on a lock file beside the store (processes), never in SQLite's busy handler: it
        # sleeps in growing steps up to 100 ms while the lock is taken, so under load a waiter
        # missed the lock again and again (writes had a p99 of seconds). A lock file wakes the
        # next waiter the moment the lock is let go. An in-memory database has one connection.
        with self._lock, self._writer.held(self._file):
            self._local.bumped = False
            with self.engine.begin() as conn:
                yield conn
            if self._file is not None and self._local.bumped:  # committed: tell the readers
                self._changes.advance(self._file)
        if self._file is not None:  # committed, the lock let go: the WAL is checkpointed soon
            self._checkpoints.due(self._file, self._write_locked)

    @contextmanager
    def _write_locked(self) -> Iterator[None]:
        """The write lock of :meth:`begin` without a transaction (the checkpointer's tail)."""
        with self._lock, self._writer.held(self._file):
            yield

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
        with self._lock:  # an in-memory store's one connection may be in use by another thread
            self.engine.dispose()
            self._reader.close()
            self._writer.close()
            self._changes.close()
            self._checkpoints.close()

    # --- generations ---------------------------------------------------------------------------

    def generation(self, scope: str) -> int:
        """The current generation of ``scope`` (0 before its first write): the number pinned
        for this thread's request, else one read of the (tiny) generation table."""
        pinned: dict[str, int] | None = getattr(self._local, "pinned", None)
        values = pinned if pinned is not None else self._read_generations()
        return values.get(scope, 0)

    def pin(self) -> None:
        """Read every generation once for the request this thread serves; a write this thread
        makes to a watched table drops the pin again (it then reads afresh)."""
        self._local.pinned = None
        self._local.pinned = self._read_generations()

    def unpin(self) -> None:
        self._local.pinned = None

    def _read_generations(self) -> dict[str, int]:
        if self._file is not None:
            return self._read_file_generations(self._file)
        with self.read() as conn:
            return {row.scope: int(row.value) for row in conn.execute(_READ_GENERATIONS)}

    def _read_file_generations(self, file: Path) -> dict[str, int]:
        """Every request reads the generations. On a SQLite file the table is read again only
        when the change counter beside it moved (or a second passed): a writer that bumped a
        generation advances that counter after its commit and before it answers, so a request
        that starts after that answer reads afresh. The counter is read before the table, so a
        read is never kept under a newer counter than it saw. The second is a backstop for a
        writer killed between its commit and the counter (it never answered)."""
        counter = self._changes.value(file)
        seen, when, values = self._seen
        now = time.monotonic()
        if seen == counter and now - when < GENERATIONS_BACKSTOP_S:
            return values
        rows = self._reader.rows(file, _GENERATIONS_SQL)
        values = {scope: int(value) for scope, value in rows}
        self._seen = (counter, now, values)
        return values

    def _bump_watched(
        self, conn: Connection, clause: Any, _multi: Any, _params: Any, _opts: Any, _res: Any
    ) -> None:
        if not isinstance(clause, UpdateBase):
            return
        scope = _WATCHED.get(getattr(clause.table, "name", ""))
        if scope is None:
            return
        self._local.pinned = None  # this thread changed it: read afresh from now on
        self._local.bumped = True
        bumped = conn.execute(_BUMP, {"g_scope": scope})
        if bumped.rowcount:
            return
        try:  # the scope's first write: make its row (a savepoint, for a racing first writer)
            with conn.begin_nested():
                conn.execute(generation_table.insert(), {"scope": scope, "value": 1})
        except IntegrityError:
            conn.execute(_BUMP, {"g_scope": scope})


_GENERATIONS_SQL = "SELECT scope, value FROM koppeling_generation"


class _PlainReader:
    """One plain ``sqlite3`` connection per process for reading the generations again when the
    change counter moved (one SELECT in autocommit: its own read transaction, a snapshot like
    any other read), instead of a read through the engine (pool, events, BEGIN, COMMIT). Rare
    (once per change, per process), so one connection under a lock serves every thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: tuple[int, sqlite3.Connection] | None = None  # (pid, connection)

    def rows(self, file: Path, sql: str) -> list[Any]:
        with self._lock:
            if self._conn is None or self._conn[0] != os.getpid():  # not one from the parent
                conn = sqlite3.connect(
                    file, timeout=30, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA query_only=1")
                self._conn = (os.getpid(), conn)
            return self._conn[1].execute(sql).fetchall()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._conn[0] == os.getpid():
                self._conn[1].close()
            self._conn = None


#: at most this long a process keeps the generations it read while the change counter stays put
GENERATIONS_BACKSTOP_S = 1.0
#: a process checkpoints the WAL at most this often while it writes (see _Checkpointer)
CHECKPOINT_INTERVAL_S = 1.0
#: a checkpointer thread with nothing to do for this long ends (the next commit starts one)
CHECKPOINT_IDLE_S = 2.0


class _Checkpointer:
    """Copies the WAL back into the database file, most of it outside the write lock.

    SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages, while the
    committing writer still holds the store's write lock: every write of every process then
    waited for the copy and its fsyncs (under the mixed load COMMIT had a p99 of 60-100 ms,
    against 17-27 ms without). The store's connections turn it off (``wal_autocheckpoint=0``);
    instead each process that commits runs PASSIVE checkpoints (the kind the automatic one is:
    it copies what no reader still needs and waits for nobody) on a connection of its own, in a
    thread of its own, at most every :data:`CHECKPOINT_INTERVAL_S` while it writes (about as
    often as the automatic checkpoint ran under load, which was every 1,000 pages). Writers go
    on appending meanwhile, so such a checkpoint never catches up with a busy WAL, and SQLite
    starts the WAL from its beginning only when a writer finds every frame copied. So after
    copying the bulk, the checkpointer copies what came meanwhile at once, and the last frames
    while it holds the write lock: the next writer restarts the WAL and cuts it back to
    ``journal_size_limit``, as after an automatic checkpoint, and the WAL stays bounded.
    Durability is unchanged: a commit is in the WAL before it returns.

    Nothing here opens the ``-shm`` file to look at the WAL index: closing any descriptor of a
    file drops every POSIX lock the process holds on it, SQLite's among them, and another
    process then takes itself for the first user, resets the index and the workers that have it
    mapped die of SIGBUS (measured: a version that read the index did exactly that)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pid = 0  # the process the thread runs in (a fork starts its own)
        self._running = False
        self._pending = False
        self._closed = False
        # a fork may happen while the parent's thread holds the condition's lock: the child
        # starts with a fresh one (and no thread, see due())
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _renew_condition(ref))

    def due(self, file: Path, write_locked: Callable[[], AbstractContextManager[None]]) -> None:
        """A commit happened: make sure a checkpoint follows (``write_locked``: the store's
        write lock, for the tail)."""
        if self._pending and self._pid == os.getpid():
            return  # asked for already (a racy read: at worst one more ask)
        with self._cond:
            if self._pid != os.getpid():
                self._pid, self._running = os.getpid(), False
            self._pending, self._closed = True, False
            if self._running:
                self._cond.notify()
                return
            self._running = True
        threading.Thread(
            target=self._loop,
            args=(file, write_locked),
            name="koppeling-checkpoint",
            daemon=True,
        ).start()

    def close(self) -> None:
        """End the thread (a later commit starts it again)."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _loop(self, file: Path, write_locked: Callable[[], AbstractContextManager[None]]) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                with self._cond:
                    if not self._pending and not self._closed:
                        self._cond.wait(CHECKPOINT_IDLE_S)
                    if not self._pending or self._closed:
                        self._running = False
                        return
                    self._pending = False
                try:
                    if conn is None:
                        conn = sqlite3.connect(file, timeout=30, isolation_level=None)
                    # the bulk, then at once what came meanwhile, then the tail under the lock
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    with write_locked():
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # the next commit asks again
                    log.debug("WAL checkpoint of %s failed: %s", file, exc)
                time.sleep(CHECKPOINT_INTERVAL_S)
        except BaseException:
            with self._cond:
                self._running = False
            raise
        finally:
            if conn is not None:
                conn.close()


def _renew_condition(ref: weakref.ref[_Checkpointer]) -> None:
    found = ref()
    if found is not None:
        found._cond = threading.Condition()


class _ChangeCounter:
    """``state.sqlite.changes``: 8 bytes beside a SQLite store, mapped into every process, that a
    writer advances (under the write lock) after committing a change to a watched table. Reading
    it is a memory load, where reading the generation table is a read transaction."""

    SIZE = 8

    def __init__(self) -> None:
        self._map: tuple[int, mmap.mmap] | None = None  # (pid, map)

    def value(self, file: Path) -> int:
        return int(struct.unpack_from("<Q", self._mapped(file))[0])

    def advance(self, file: Path) -> None:
        mapped = self._mapped(file)
        struct.pack_into("<Q", mapped, 0, (struct.unpack_from("<Q", mapped)[0] + 1) % 2**64)

    def close(self) -> None:
        if self._map is not None and self._map[0] == os.getpid():
            self._map[1].close()
        self._map = None

    def _mapped(self, file: Path) -> mmap.mmap:
        if self._map is None or self._map[0] != os.getpid():
            path = file.with_name(file.name + ".changes")
            fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, PRIVATE_FILE)
            try:
                if os.fstat(fd).st_size < self.SIZE:
                    os.ftruncate(fd, self.SIZE)
                self._map = (os.getpid(), mmap.mmap(fd, self.SIZE))
            finally:
                os.close(fd)
        return self._map[1]


class _ProcessWriteLock:
    """The lock file beside a SQLite store (``state.sqlite.write-lock``) that orders the writers
    of several processes: ``flock`` blocks in the kernel and wakes a waiter at once. Opened per
    process (an inherited descriptor would be one lock shared by parent and child)."""

    def __init__(self) -> None:
        self._fd: tuple[int, int] | None = None  # (pid, fd)

    @contextmanager
    def held(self, file: Path | None) -> Iterator[None]:
        if file is None:
            yield
            return
        fd = self._open(file)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._fd[0] == os.getpid():
            os.close(self._fd[1])
        self._fd = None

    def _open(self, file: Path) -> int:
        if self._fd is None or self._fd[0] != os.getpid():
            path = file.with_name(file.name + ".write-lock")
            self._fd = (
                os.getpid(),
                os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, PRIVATE_FILE),
            )
        return self._fd[1]


_READ_GENERATIONS = select(generation_table.c.scope, generation_table.c.value)
_BUMP = (
    generation_table.update()
    .where(generation_table.c.scope == bindparam("g_scope"))
    .values(value=generation_table.c.value + 1)
)


#: The statements ``metadata.create_all`` runs on a new SQLite store, kept compiled: compiling
#: the DDL of ~30 tables cost 50–80 ms of every start on a new store (``koppeling up --memory``),
#: running it takes a few. ``tests/core/test_store.py`` checks that the file is what the
#: tables declare and that a store made from it equals one ``create_all`` makes;
#: :func:`write_sqlite_schema` writes it anew after a table changes.
SQLITE_SCHEMA = Path(__file__).parent / "migrations" / "sqlite_schema.sql"
_STATEMENT_END = ";\n\n"


def sqlite_ddl() -> list[str]:
    """The DDL of every table and index on SQLite, in ``create_all``'s order, compiled now."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from koppeling.harness.services import import_stores

    import_stores()
    dialect = sqlite.dialect()
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            statements.append(str(CreateIndex(index).compile(dialect=dialect)).strip())
    return statements


def write_sqlite_schema() -> None:
    """Write :data:`SQLITE_SCHEMA` from the tables as they are declared now."""
    SQLITE_SCHEMA.write_text("".join(s + _STATEMENT_END for s in sqlite_ddl()), encoding="utf-8")


def _kept_sqlite_ddl() -> list[str] | None:
    try:
        text = SQLITE_SCHEMA.read_text(encoding="utf-8")
    except OSError:
        return None
    return [s for s in text.split(_STATEMENT_END) if s.strip()]


def create_tables(conn: Connection) -> None:
    """Every table the store modules declare, and the version row (a new store). On SQLite from
    the kept DDL (:data:`SQLITE_SCHEMA`), elsewhere (or without that file) by ``create_all``."""
    kept = _kept_sqlite_ddl() if conn.dialect.name == "sqlite" else None
    if kept is None:
        metadata.create_all(conn)
    else:
        for statement in kept:
            conn.exec_driver_sql(statement)
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
    # each dialect imported here, on first use, and only the store's own: PostgreSQL's alone
    # takes ~30 ms of CPU, which a SQLite store's start-up (its poller's lease) never needs
    insert: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**values).on_conflict_do_nothing()
    return len(conn.execute(stmt.returning(*table.primary_key.columns)).all())


# --- hot writes on the driver's own cursor --------------------------------------------------------


class DriverStatement:
    """A Core statement compiled once per dialect and run on the driver's own cursor
    (``sqlite3``, ``psycopg``), inside the caller's SQLAlchemy transaction.

    SQLAlchemy's execute path (compiled-cache lookup, parameter processing, events, the result
    object) costs ~0.1-0.3 ms of Python per statement, most of the work a hot write does while
    it holds the store's write lock. Here the statement is compiled once per dialect into its SQL
    string and parameter order; :meth:`bind` applies the same bind processing SQLAlchemy would
    (each column type's own processor: :class:`UtcDateTime` to UTC, a date to SQLite's text;
    on PostgreSQL a NUL becomes U+FFFD, as ``before_cursor_execute`` does for every other
    statement), so it can run before the lock is taken; :meth:`execute` and :meth:`executemany`
    are then one driver call each, on the connection of the transaction (commit and rollback
    stay SQLAlchemy's). Returned rows go through the columns' result processors. A driver error
    is raised as SQLAlchemy's own exception (``IntegrityError`` …), as from ``conn.execute``.

    ``keys`` are the parameters an INSERT or UPDATE sets (the columns it names, as
    ``conn.execute(stmt, params)`` derives from the keys given). Not for a table that
    :func:`watch` watches: its generation is bumped only on SQLAlchemy's path. Not for columns
    with Python-side defaults the keys leave out (give every value).
    """

    def __init__(self, stmt: Any, keys: Sequence[str] | None = None) -> None:
        self.stmt = stmt
        self.keys = None if keys is None else list(keys)
        self._plans: dict[tuple[Any, ...], _Plan] = {}
        self._lock = threading.Lock()

    def plan(self, dialect: Dialect) -> _Plan:
        """The statement compiled for ``dialect`` (once per dialect kind)."""
        key = (type(dialect), dialect.paramstyle, dialect.server_version_info)
        found = self._plans.get(key)
        if found is None:
            with self._lock:
                found = self._plans.get(key) or _Plan.compile(self.stmt, self.keys, dialect)
                self._plans[key] = found
        return found

    def bind(self, dialect: Dialect, params: dict[str, Any]) -> Any:
        """``params`` as the driver takes them for this statement (a tuple or a dict)."""
        return self.plan(dialect).bind(params)

    def execute(self, conn: Connection, bound: Any) -> int:
        """Run with parameters from :meth:`bind`; how many rows it changed."""
        plan = self.plan(conn.dialect)
        cursor = driver_connection(conn).cursor()
        try:
            plan.run(cursor, bound, many=False)
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def executemany(self, conn: Connection, bound: Sequence[Any]) -> None:
        """Run once per parameter set from :meth:`bind` (no rows returned)."""
        if not bound:
            return
        plan = self.plan(conn.dialect)
        cursor = driver_connection(conn).cursor()
        try:
            plan.run(cursor, bound, many=True)
        finally:
            cursor.close()

    def rows(self, conn: Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Bind ``params``, run, and every row it returns, its values as SQLAlchemy reads them."""
        plan = self.plan(conn.dialect)
        cursor = driver_connection(conn).cursor()
        try:
            plan.run(cursor, plan.bind(params), many=False)
            return plan.fetch(cursor)
        finally:
            cursor.close()


def driver_connection(conn: Connection) -> Any:
    """The DBAPI connection under the SQLAlchemy connection (in its transaction)."""
    return conn.connection.dbapi_connection


@dataclasses.dataclass
class _Plan:
    """One statement for one dialect: its SQL, how to bind and how to read its rows."""

    dialect: Dialect
    sql: str
    positional: bool
    #: per parameter: (name, processor or None, constant: True when name holds its value)
    params: list[tuple[str, Any, Any]]
    exported_types: list[Any]
    nul_free: bool
    result_processors: list[Any] | None = None

    @classmethod
    def compile(cls, stmt: Any, keys: list[str] | None, dialect: Dialect) -> _Plan:
        table = getattr(stmt, "table", None) if isinstance(stmt, UpdateBase) else None
        if getattr(table, "name", None) in _WATCHED:
            raise ValueError(f"{getattr(table, 'name', '')} is watched: write it with conn.execute")
        # for_executemany: no implicit RETURNING of the new key (PostgreSQL's single-row insert)
        compiled: Any = stmt.compile(
            dialect=dialect, column_keys=keys, for_executemany=isinstance(stmt, UpdateBase)
        )
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("give every column with a Python-side default a value")
        names = (
            list(compiled.positiontup)
            if compiled.positional
            else list(dict.fromkeys(compiled.bind_names.values()))
        )
        by_name: dict[str, Any] = {}  # a name may stand for several copies: the typed one
        for bp, name in compiled.bind_names.items():
            if name not in by_name or by_name[name].type._isnull:
                by_name[name] = bp
        values = compiled.construct_params(_check=False)
        params: list[tuple[str, Any, Any]] = []
        for name in names:
            bindparam = by_name[name]
            processor = bindparam.type.dialect_impl(dialect).bind_processor(dialect)
            if not bindparam.required:
                # a value the statement carries (``aantal + 1``): bound once, here
                value = values.get(name)
                params.append((name, None, processor(value) if processor else value))
            else:
                params.append((name, processor, _PARAM))
        return cls(
            dialect,
            compiled.string,
            bool(compiled.positional),
            params,
            [column.type for column in getattr(stmt, "exported_columns", ())],
            dialect.name == "postgresql",
        )

    def bind(self, params: dict[str, Any]) -> Any:
        values = [
            (proc(params[name]) if proc else params[name]) if fixed is _PARAM else fixed
            for name, proc, fixed in self.params
        ]
        if self.nul_free:
            values = _nul_free(values)
        if self.positional:
            return tuple(values)
        return dict(zip((name for name, _, _ in self.params), values, strict=True))

    def run(self, cursor: Any, bound: Any, *, many: bool) -> None:
        with _as_sqlalchemy_error(self.dialect, self.sql, bound):
            if many:
                cursor.executemany(self.sql, bound)
            else:
                cursor.execute(self.sql, bound)

    def fetch(self, cursor: Any) -> list[tuple[Any, ...]]:
        rows = cursor.fetchall()
        if self.result_processors is None:
            coltypes = [d[1] for d in cursor.description or ()]
            self.result_processors = [
                t.dialect_impl(self.dialect).result_processor(self.dialect, coltype)
                for t, coltype in zip(self.exported_types, coltypes, strict=False)
            ]
        processors = self.result_processors
        if not any(processors):
            return [tuple(row) for row in rows]
        return [
            tuple(p(v) if p else v for p, v in zip(processors, row, strict=False)) for row in rows
        ]


_PARAM = object()  # in a _Plan's params: the value comes from the caller's parameters


@contextmanager
def _as_sqlalchemy_error(dialect: Dialect, sql: str, params: Any) -> Iterator[None]:
    """A driver call whose error is raised as SQLAlchemy's own (``IntegrityError`` …), as
    ``conn.execute`` raises it."""
    dbapi = dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, dbapi.Error) from exc


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
    cur.execute("PRAGMA busy_timeout=30000")  # first: a second connection may meet a lock
    if cur.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new file: before any table
        cur.execute("PRAGMA auto_vacuum=INCREMENTAL")  # freed pages go back (journal pruning)
    if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cur.execute("PRAGMA journal_mode=WAL")  # switching takes a lock: only when needed
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")  # the WAL shrinks back after a checkpoint
    cur.execute("PRAGMA wal_autocheckpoint=0")  # not inside a COMMIT: see _Checkpointer
    cur.close()


def _begin_immediate(conn: Connection) -> None:
    """BEGIN on the driver's connection: one C call, where ``exec_driver_sql`` is SQLAlchemy's
    whole execute path (a write pays it inside the write lock). A failure is SQLAlchemy's error,
    as before."""
    sql = "BEGIN" if conn.get_execution_options().get("koppeling_read_only") else "BEGIN IMMEDIATE"
    with _as_sqlalchemy_error(conn.dialect, sql, ()):
        conn.connection.dbapi_connection.execute(sql)  # type: ignore[union-attr]
