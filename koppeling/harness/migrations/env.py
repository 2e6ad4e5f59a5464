"""Alembic's environment for the store: the harness passes an open connection (its write
transaction) in ``config.attributes["connection"]``; the ``alembic`` command line of a developer
(``alembic -x url=sqlite:///…``, see docs/postgres.md) gets one from a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from koppeling.harness.services import import_stores
from koppeling.harness.store import metadata

import_stores()
config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters a table by copying it
        compare_type=False,
    )
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the store: alembic -x url=sqlite:///path/state.sqlite …")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
