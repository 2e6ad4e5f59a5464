"""Alembic migrations: a store made by the release before Alembic (SCHEMA_VERSION 2) upgrades in
place without losing a row, on SQLite and PostgreSQL; the migrations give exactly the tables the
code declares; a store from a newer koppeling is refused with a clear message.

The old store is ``data/store_schema2.sql``: the SQLite dump of a store that release's own code
made (the demo seed). On PostgreSQL the same rows go into the baseline revision's tables, as that
release would have laid them out there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Connection, MetaData, Table, create_engine, func, insert, select, text

from koppeling.cli.main import main
from koppeling.harness import migrations
from koppeling.harness.config import HarnessConfig
from koppeling.harness.process import Harness
from koppeling.harness.services import import_stores
from koppeling.harness.store import SCHEMA_VERSION, Database, SchemaMismatch, metadata

OLD_STORE = Path(__file__).parent / "data" / "store_schema2.sql"
import_stores()  # every table on the metadata


def old_sqlite_store(folder: Path) -> Path:
    """A state folder holding the previous release's store."""
    folder.mkdir()
    path = folder / "state.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_STORE.read_text(encoding="utf-8"))
    return path


def row_counts(conn: Connection) -> dict[str, int]:
    names = set(migrations.table_names(conn))
    return {
        t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
        for t in metadata.sorted_tables
        if t.name in names
    }


def old_postgres_store(url: str, tmp_path: Path) -> dict[str, int]:
    """The previous release's rows in the baseline revision's tables on PostgreSQL, without an
    ``alembic_version`` (that release knew none); the row counts."""
    source = create_engine(f"sqlite:///{old_sqlite_store(tmp_path / 'old')}")
    target = create_engine(url)
    with target.begin() as conn:
        command.upgrade(migrations.config_for(conn), migrations.BASELINE_REVISION)
        conn.execute(text("DROP TABLE alembic_version"))
    with source.connect() as src, target.begin() as dst:
        names = migrations.table_names(src)
        for table in metadata.sorted_tables:
            if table.name in names:
                # the tables as that release made them (today's may have more columns)
                old = Table(table.name, MetaData(), autoload_with=src)
                baseline = Table(table.name, MetaData(), autoload_with=dst)
                rows = [dict(r._mapping) for r in src.execute(select(old))]
                if rows:
                    dst.execute(insert(baseline), rows)
        for table in metadata.sorted_tables:  # the serial columns go on after the copied ids
            if table.name in names and table.autoincrement_column is not None:
                col = table.autoincrement_column.name
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{col}'), "
                        f"(SELECT COALESCE(MAX({col}), 0) + 1 FROM {table.name}), false)"
                    )
                )
        counts = row_counts(dst)
    source.dispose()
    target.dispose()
    return counts


@pytest.fixture(params=["sqlite", "postgres"])
def old_store(
    request: pytest.FixtureRequest, tmp_path: Path, pg_database: Callable[[], str]
) -> tuple[str, list[str], dict[str, int]]:
    """(store URL, the `koppeling store upgrade` options for it, row counts before)."""
    if request.param == "sqlite":
        path = old_sqlite_store(tmp_path / "state")
        url = f"sqlite:///{path}"
        engine = create_engine(url)
        with engine.connect() as conn:
            counts = row_counts(conn)
        engine.dispose()
        return url, ["--state-dir", str(path.parent)], counts
    url = pg_database()
    return url, ["--store", url], old_postgres_store(url, tmp_path)


def test_a_store_of_the_previous_release_upgrades_without_loss(
    old_store: tuple[str, list[str], dict[str, int]],
) -> None:
    url, options, before = old_store
    assert before["las_leerlingen"] == 8 and before["journal"] == 13  # the demo school's store
    db = Database(url)
    with db.read() as conn:
        assert db.check_version(conn) == migrations.BASELINE_REVISION
    db.dispose()

    result = CliRunner().invoke(main, ["store", "upgrade", *options])
    assert result.exit_code == 0, result.output
    assert f"upgraded from schema revision 0001 to {migrations.head()}" in result.output

    db = Database(url)
    with db.read() as conn:
        after = row_counts(conn)
        assert migrations.current(conn) == migrations.head()
        assert conn.execute(text("SELECT version FROM koppeling_schema")).scalar() == (
            SCHEMA_VERSION
        )
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert {name: after[name] for name in before} == before
    assert after["leases"] == 0

    again = CliRunner().invoke(main, ["store", "upgrade", *options])
    assert again.exit_code == 0 and "nothing to do" in again.output

    # the harness serves the old data: the demo school's pupils, its journal, its mail
    with Harness(HarnessConfig(port_base=0, state_dir=None), db=db) as harness:
        assert harness.core is not None
        pupils = harness.core.urls["parnassys"] + "/api/scholen/99DE/00/leerlingen"
        import requests

        answer = requests.get(pupils, timeout=10)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["leerlingen"]) == 8
        assert len(harness.core.journal.entries(service="parnassys")) > 0
        mails = requests.get(harness.core.urls["mailbox"] + "/api/v1/messages", timeout=10)
        assert mails.json()["total"] == 1
    db.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_migrations_give_exactly_the_declared_tables(
    backend: str, tmp_path: Path, pg_database: Callable[[], str]
) -> None:
    """From nothing through every revision == what a new store gets from metadata.create_all."""
    url = pg_database() if backend == "postgres" else f"sqlite:///{tmp_path}/m.sqlite"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrations.config_for(conn), "head")
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


def test_a_store_of_a_newer_koppeling_is_refused(
    tmp_path: Path, pg_database: Callable[[], str]
) -> None:
    url = pg_database()
    db = Database(url)
    db.create_all()
    with db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaMismatch, match="made by a newer koppeling"):
        db.create_all()
    db.dispose()
    result = CliRunner().invoke(main, ["up", "--store", url, "--port-base", "0"])
    assert result.exit_code == 1
    assert "made by a newer koppeling (schema revision 9999_future)" in result.output
    assert "koppeling@" not in result.output or "***" in result.output or "@127" in result.output


def test_an_unreachable_store_is_a_clear_error() -> None:
    url = "postgresql+psycopg://someone:secret@127.0.0.1:1/nothing"
    result = CliRunner().invoke(main, ["store", "upgrade", "--store", url])
    assert result.exit_code == 1
    assert "cannot open the store postgresql+psycopg://someone:***@127.0.0.1:1/nothing" in (
        result.output
    )
    assert "secret" not in result.output


def test_the_quick_revision_table_is_alembics() -> None:
    """`koppeling up` reads the revisions from versions/ without importing Alembic: the same
    revisions, the same head."""
    script = migrations.script()
    assert migrations.head() == script.get_current_head()
    assert migrations.revisions() == {r.revision: r.down_revision for r in script.walk_revisions()}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_new_store_is_stamped_as_alembic_stamps_it(
    backend: str, tmp_path: Path, pg_database: Callable[[], str]
) -> None:
    """A new store (made and stamped without Alembic) is one Alembic reads as at the head, with
    nothing to upgrade, and its version table as Alembic lays it out."""
    url = pg_database() if backend == "postgres" else f"sqlite:///{tmp_path}/new.sqlite"
    db = Database(url)
    assert db.create_all() == migrations.Upgrade(None, migrations.head())
    with db.begin() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == migrations.head()
        assert compare_metadata(context, metadata) == []
        command.upgrade(migrations.config_for(conn), "head")  # nothing to do
        assert migrations.current(conn) == migrations.head()
    other = pg_database() if backend == "postgres" else f"sqlite:///{tmp_path}/alembic.sqlite"
    alembic_made = create_engine(other)
    with alembic_made.begin() as conn:
        MigrationContext.configure(conn).stamp(migrations.script(), migrations.head())
        theirs = Table("alembic_version", MetaData(), autoload_with=conn)
    with db.read() as conn:
        ours = Table("alembic_version", MetaData(), autoload_with=conn)
    assert [(c.name, str(c.type), c.nullable, c.primary_key) for c in ours.columns] == [
        (c.name, str(c.type), c.nullable, c.primary_key) for c in theirs.columns
    ]
    alembic_made.dispose()
    db.dispose()
    again = Database(url)
    assert again.create_all() == migrations.Upgrade(migrations.head(), migrations.head())
    again.dispose()
