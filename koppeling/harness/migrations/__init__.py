"""Schema migrations of the store, with Alembic: a store made by an older koppeling is upgraded
in place (at ``koppeling up``, or ``koppeling store upgrade``); one made by a newer koppeling is
refused with a clear message.

- ``versions/0001_baseline.py`` is the schema of the last release before Alembic
  (``SCHEMA_VERSION`` 2). Such a store has no ``alembic_version`` table; its ``koppeling_schema``
  row says version 2, so it is stamped ``0001`` and upgraded from there.
- A new store is made from the tables the store modules declare (``metadata.create_all``) and
  stamped with the newest revision; ``tests/postgres/test_migrations.py`` checks that upgrading
  from the baseline gives exactly those tables, on SQLite and PostgreSQL.
- Everything runs in the caller's write transaction (:meth:`Database.begin`): processes that open
  the store at once (gunicorn workers, several hosts) wait for each other, and a failed
  migration leaves the store as it was (both engines have transactional DDL).
- A migration that changes tables also raises ``koppeling_schema.version``: the release before
  Alembic reads only that number and refuses the upgraded store.
- Alembic itself is imported only when a store needs a migration (or a revision unknown to the
  quick path): every ``koppeling up`` opens the store in each process, and for a store at the
  newest revision - or a new one - a few plain statements do (start-up time). :func:`head` reads
  the revisions from ``versions/`` without Alembic; a test checks it agrees with Alembic's, and
  that a store made here is one Alembic reads as its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
    select,
)

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent
#: Alembic's own table of the store's revision, laid out as Alembic makes it
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
#: the ``koppeling_schema.version`` of the last release before Alembic, and its revision here
BASELINE_VERSION = 2
BASELINE_REVISION = "0001"


class StoreRefused(RuntimeError):
    """The store was made by a newer koppeling, or by one too old to upgrade."""


@dataclass(frozen=True)
class Upgrade:
    """What opening a store did: from which revision (None: a new store) to which."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before is not None and self.before != self.after


@cache
def script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR))


_ASSIGNED = re.compile(
    r'^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:"([^"]*)"|\'([^\']*)\'|None)\s*$', re.M
)


@cache
def revisions() -> dict[str, str | None]:
    """Every revision in ``versions/`` and the one it revises, read from the files' own
    ``revision = "…"`` and ``down_revision = "…"`` lines (no Alembic import)."""
    found: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        values: dict[str, str | None] = {}
        for match in _ASSIGNED.finditer(path.read_text(encoding="utf-8")):
            values[match[1]] = match[2] if match[2] is not None else match[3]
        if values.get("revision"):
            found[str(values["revision"])] = values.get("down_revision")
    return found


@cache
def head() -> str:
    """The newest revision this koppeling knows: the one no other revision revises."""
    table = revisions()
    heads = set(table) - set(table.values())
    assert len(heads) == 1, f"the migrations have {len(heads)} heads: {sorted(heads)}"
    return heads.pop()


def known(revision: str) -> bool:
    return revision in revisions()


def current(conn: Connection) -> str | None:
    """The store's Alembic revision (None: none recorded)."""
    if VERSION_TABLE.name not in table_names(conn):
        return None
    found = conn.execute(select(VERSION_TABLE.c.version_num)).scalars().all()
    if len(found) <= 1:
        return found[0] if found else None
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()  # raises: several heads


def table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def legacy_revision(conn: Connection, url: str) -> str:
    """The revision of a store made before Alembic, from its ``koppeling_schema`` row."""
    from koppeling.harness.store import SCHEMA_VERSION, schema_table

    found = None
    if schema_table.name in table_names(conn):
        found = conn.execute(select(schema_table.c.version, schema_table.c.made_by)).first()
    if found is not None and found.version == BASELINE_VERSION:
        return BASELINE_REVISION
    if found is not None and found.version > SCHEMA_VERSION:
        raise StoreRefused(newer_message(url, f"schema version {found.version}"))
    what = "no schema version" if found is None else f"schema version {found.version}"
    raise StoreRefused(
        f"the store at {url} has {what}, older than any this koppeling can upgrade (the "
        f"oldest is schema version {BASELINE_VERSION}). Start with a fresh store (delete the "
        "state folder, or use --state-dir elsewhere / --memory / another --store)."
    )


def newer_message(url: str, what: str) -> str:
    return (
        f"the store at {url} was made by a newer koppeling ({what}); this koppeling knows "
        f"up to revision {head()}. Run that newer koppeling (or newer) on it, or start with "
        "a fresh store (another --state-dir, --memory or --store)."
    )


def check(conn: Connection, url: str) -> str | None:
    """The store's revision without changing anything (None: an empty store); StoreRefused for
    a store this koppeling cannot open or upgrade."""
    names = table_names(conn)
    if not names:
        return None
    revision = current(conn)
    if revision is None:
        return legacy_revision(conn, url)
    if not known(revision):
        raise StoreRefused(newer_message(url, f"schema revision {revision}"))
    from koppeling.harness.store import SCHEMA_VERSION, schema_table

    version = conn.execute(select(schema_table.c.version)).scalar()
    if version is not None and version > SCHEMA_VERSION:
        raise StoreRefused(newer_message(url, f"schema version {version}"))
    return revision


def config_for(conn: Connection) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def stamp(conn: Connection, revision: str) -> None:
    """Record ``revision`` as the store's (a store without Alembic's table: made here, as
    Alembic makes it)."""
    if VERSION_TABLE.name not in table_names(conn):
        VERSION_TABLE.create(conn)
        conn.execute(VERSION_TABLE.insert().values(version_num=revision))
        return
    from alembic.runtime.migration import MigrationContext

    MigrationContext.configure(conn).stamp(script(), revision)


def upgrade(conn: Connection, url: str) -> Upgrade:
    """Bring the store on ``conn`` (in a write transaction) to :func:`head`: a new store gets
    every table, an older one its migrations; a newer one is refused."""
    from koppeling.harness.store import create_tables

    before = check(conn, url)
    if before is None:
        create_tables(conn)
        stamp(conn, head())
        return Upgrade(None, head())
    if current(conn) is None:  # the release before Alembic
        stamp(conn, before)
    if before != head():
        from alembic import command

        command.upgrade(config_for(conn), "head")
    return Upgrade(before, head())
