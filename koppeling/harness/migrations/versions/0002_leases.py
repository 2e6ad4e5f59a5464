"""leases: one forwarder and one aanvraag poller per store (several harness hosts)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from koppeling.harness.store import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

schema = sa.table("koppeling_schema", sa.column("version", sa.Integer))


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    # the release before Alembic reads only this number: it refuses the upgraded store
    op.execute(schema.update().values(version=3))


def downgrade() -> None:
    op.drop_table("leases")
    op.execute(schema.update().values(version=2))
