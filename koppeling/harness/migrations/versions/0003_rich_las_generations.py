"""rich LAS pupils (profiel, voornamen, voorletters, eckid, instroomdatum) and the generation
numbers of derived answers (koppeling_generation)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

schema = sa.table("koppeling_schema", sa.column("version", sa.Integer))


def upgrade() -> None:
    # A school made before the rich profile existed answered with the minimal content: it keeps
    # doing so (its pupils have none of the rich values), new schools default to rijk.
    op.add_column(
        "las_scholen",
        sa.Column("profiel", sa.String(length=16), nullable=False, server_default="minimaal"),
    )
    with op.batch_alter_table("las_leerlingen") as batch:
        batch.add_column(sa.Column("voornamen", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("voorletters", sa.String(length=6), nullable=True))
        batch.add_column(sa.Column("eckid", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("instroomdatum", sa.Date(), nullable=True))
    op.create_table(
        "koppeling_generation",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    op.execute(schema.update().values(version=4))


def downgrade() -> None:
    op.drop_table("koppeling_generation")
    with op.batch_alter_table("las_leerlingen") as batch:
        for name in ("instroomdatum", "eckid", "voorletters", "voornamen"):
            batch.drop_column(name)
    op.drop_column("las_scholen", "profiel")
    op.execute(schema.update().values(version=3))
