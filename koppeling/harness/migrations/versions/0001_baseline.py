"""baseline: the store as koppeling made it with SCHEMA_VERSION 2 (before Alembic)

A store of that release has no ``alembic_version`` table; it is recognised by its
``koppeling_schema`` row (version 2) and stamped with this revision, then upgraded.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from koppeling.harness.store import UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clock",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("frozen_at", UtcDateTime(), nullable=True),
        sa.Column("offset_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    op.create_table(
        "faults",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=True),
        sa.Column("fault", sa.String(length=32), nullable=False),
        sa.Column("delay_ms", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("remaining", sa.Integer(), nullable=True),
        sa.Column("school", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("faults", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_faults_service"), ["service"], unique=False)

    op.create_table(
        "journal",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=True),
        sa.Column("path", sa.String(length=512), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("operation", sa.String(length=64), nullable=True),
        sa.Column("school", sa.String(length=16), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.String(length=512), nullable=True),
        sa.Column("request", sa.Text(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_correlation_id"), ["correlation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_journal_school"), ["school"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_service"), ["service"], unique=False)

    op.create_table(
        "koppeling_schema",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("made_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ks_aanvragen",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("brincode", sa.String(length=4), nullable=False),
        sa.Column("dependancecode", sa.String(length=2), nullable=False),
        sa.Column("type_dashboard", sa.String(length=64), nullable=False),
        sa.Column("sleutel_hash", sa.String(length=64), nullable=False),
        sa.Column("sleutel", sa.String(length=64), nullable=True),
        sa.Column("sleutel_masker", sa.String(length=16), nullable=False),
        sa.Column("beheerder_email", sa.String(length=254), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("modus", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reden", sa.Text(), nullable=True),
        sa.Column("controles", sa.Text(), nullable=True),
        sa.Column("school_naam", sa.String(length=128), nullable=True),
        sa.Column("ontvangen_op", UtcDateTime(), nullable=False),
        sa.Column("besloten_op", UtcDateTime(), nullable=True),
        sa.Column("mail_status", sa.String(length=16), nullable=False),
        sa.Column("mail_message_id", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("ks_aanvragen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ks_aanvragen_school"), ["school"], unique=False)

    op.create_table(
        "ks_modus",
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("modus", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("school"),
    )
    op.create_table(
        "las_scholen",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("las", sa.String(length=16), nullable=False),
        sa.Column("brincode", sa.String(length=4), nullable=False),
        sa.Column("dependancecode", sa.String(length=2), nullable=False),
        sa.Column("schooljaar", sa.String(length=9), nullable=False),
        sa.Column("naam", sa.String(length=128), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("samengestelde_groepen", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("las", "brincode", "dependancecode", name="uq_las_school"),
    )
    op.create_table(
        "mailbox_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "mailbox_messages",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=512), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("from_json", sa.Text(), nullable=False),
        sa.Column("to_json", sa.Text(), nullable=False),
        sa.Column("cc_json", sa.Text(), nullable=False),
        sa.Column("bcc_json", sa.Text(), nullable=False),
        sa.Column("reply_to_json", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("inline", sa.Integer(), nullable=False),
        sa.Column("attachments", sa.Integer(), nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("tag_keys", sa.Text(), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    op.create_table(
        "sk8_koppelingen",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("brincode", sa.String(length=4), nullable=False),
        sa.Column("dependancecode", sa.String(length=2), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("aangevraagd_op", UtcDateTime(), nullable=False),
        sa.Column("geactiveerd_op", UtcDateTime(), nullable=True),
        sa.Column("ingetrokken_op", UtcDateTime(), nullable=True),
        sa.Column("sleutel_masker", sa.String(length=16), nullable=True),
        sa.Column("aantal_sleutels", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sk8_koppelingen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sk8_koppelingen_school"), ["school"], unique=False)

    op.create_table(
        "sk8_leerlingen",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("voornaam", sa.String(length=128), nullable=False),
        sa.Column("achternaam", sa.String(length=128), nullable=False),
        sa.Column("geboortedatum", sa.Date(), nullable=False),
        sa.Column("groep", sa.String(length=64), nullable=False),
        sa.Column("leerlingnummer", sa.String(length=256), nullable=True),
        sa.Column("aangemaakt_op", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school", "leerlingnummer", name="uq_sk8_leerlingnummer"),
    )
    with op.batch_alter_table("sk8_leerlingen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sk8_leerlingen_school"), ["school"], unique=False)

    op.create_table(
        "sk8_scholen",
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("brincode", sa.String(length=4), nullable=False),
        sa.Column("dependancecode", sa.String(length=2), nullable=False),
        sa.Column("niet_gekoppeld", sa.String(length=16), nullable=False),
        sa.Column("aangemaakt_op", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("school"),
    )
    op.create_table(
        "tc_afnames",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("brincode", sa.String(length=4), nullable=False),
        sa.Column("dependancecode", sa.String(length=2), nullable=False),
        sa.Column("leerlingnummer", sa.String(length=64), nullable=False),
        sa.Column("toets", sa.String(length=64), nullable=False),
        sa.Column("ruwe_score", sa.Integer(), nullable=False),
        sa.Column("afnamedatum", sa.Date(), nullable=False),
        sa.Column("groep", sa.Integer(), nullable=False),
        sa.Column("ingevoerd_op", UtcDateTime(), nullable=False),
        sa.Column("eerst_genormeerd_op", UtcDateTime(), nullable=True),
        sa.Column("genormeerd_op", UtcDateTime(), nullable=True),
        sa.Column("normeringen", sa.Integer(), nullable=False),
        sa.Column("normering", sa.Text(), nullable=True),
        sa.Column("doorsturing", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tc_afnames", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tc_afnames_school"), ["school"], unique=False)

    op.create_table(
        "tc_dashboard_koppelingen",
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("type_dashboard", sa.String(length=64), nullable=False),
        sa.Column("sleutel", sa.String(length=64), nullable=False),
        sa.Column("beheerder_email", sa.String(length=254), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("aanvraag_id", sa.String(length=64), nullable=True),
        sa.Column("aangevraagd_op", UtcDateTime(), nullable=False),
        sa.Column("geactiveerd_op", UtcDateTime(), nullable=True),
        sa.Column("gedeactiveerd_op", UtcDateTime(), nullable=True),
        sa.Column("reden", sa.Text(), nullable=True),
        sa.Column("laatste_fout", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("school"),
    )
    op.create_table(
        "tc_dashboard_perioden",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("start", UtcDateTime(), nullable=False),
        sa.Column("eind", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tc_dashboard_perioden", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tc_dashboard_perioden_school"), ["school"], unique=False
        )

    op.create_table(
        "tc_groepen",
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("naam", sa.String(length=128), nullable=False),
        sa.Column("jaargroep", sa.String(length=8), nullable=True),
        sa.Column("samengesteld", sa.Boolean(), nullable=False),
        sa.Column("actief", sa.Boolean(), nullable=False),
        sa.Column("bijgewerkt_op", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("school", "key"),
    )
    op.create_table(
        "tc_las_koppelingen",
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("las", sa.String(length=16), nullable=False),
        sa.Column("schooljaar", sa.String(length=9), nullable=False),
        sa.Column("sleutel", sa.String(length=64), nullable=False),
        sa.Column("klantcode", sa.String(length=64), nullable=False),
        sa.Column("klantnaam", sa.String(length=64), nullable=False),
        sa.Column("opgeslagen_op", UtcDateTime(), nullable=False),
        sa.Column("actief", sa.Boolean(), nullable=False),
        sa.Column("laatste_import_op", UtcDateTime(), nullable=True),
        sa.Column("laatste_import", sa.Text(), nullable=True),
        sa.Column("laatste_fout", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("school"),
    )
    op.create_table(
        "tc_leerkrachten",
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("achternaam", sa.String(length=128), nullable=False),
        sa.Column("voorvoegsel", sa.String(length=32), nullable=True),
        sa.Column("roepnaam", sa.String(length=128), nullable=True),
        sa.Column("emailadres", sa.String(length=254), nullable=True),
        sa.Column("groepen", sa.Text(), nullable=True),
        sa.Column("actief", sa.Boolean(), nullable=False),
        sa.Column("bijgewerkt_op", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("school", "key"),
    )
    op.create_table(
        "tc_leerlingen",
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("leerlingnummer", sa.String(length=256), nullable=False),
        sa.Column("achternaam", sa.String(length=128), nullable=False),
        sa.Column("voorvoegsel", sa.String(length=32), nullable=True),
        sa.Column("roepnaam", sa.String(length=128), nullable=True),
        sa.Column("geboortedatum", sa.Date(), nullable=True),
        sa.Column("geslacht", sa.String(length=1), nullable=True),
        sa.Column("jaargroep", sa.String(length=8), nullable=True),
        sa.Column("groep_key", sa.String(length=256), nullable=True),
        sa.Column("actief", sa.Boolean(), nullable=False),
        sa.Column("bijgewerkt_op", UtcDateTime(), nullable=False),
        sa.Column("vertrokken_op", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("school", "leerlingnummer"),
    )
    op.create_table(
        "tc_scholen",
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("brincode", sa.String(length=4), nullable=False),
        sa.Column("dependancecode", sa.String(length=2), nullable=False),
        sa.Column("naam", sa.String(length=128), nullable=True),
        sa.Column("aangemaakt_op", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("school"),
    )
    op.create_table(
        "las_groepen",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("naam", sa.String(length=64), nullable=False),
        sa.Column("jaargroep", sa.String(length=4), nullable=True),
        sa.Column("samengesteld", sa.Boolean(), nullable=False),
        sa.Column("omschrijving", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["las_scholen.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "key", name="uq_las_groep"),
    )
    with op.batch_alter_table("las_groepen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_las_groepen_school_id"), ["school_id"], unique=False)

    op.create_table(
        "las_leerkrachten",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("roepnaam", sa.String(length=64), nullable=True),
        sa.Column("voorvoegsel", sa.String(length=10), nullable=True),
        sa.Column("achternaam", sa.String(length=200), nullable=False),
        sa.Column("emailadres", sa.String(length=256), nullable=True),
        sa.Column("groepen", sa.JSON(), nullable=False),
        sa.Column("samengestelde_groepen", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["las_scholen.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("las_leerkrachten", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_las_leerkrachten_school_id"), ["school_id"], unique=False
        )

    op.create_table(
        "las_leerlingen",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("leerlingnummer", sa.String(length=64), nullable=False),
        sa.Column("roepnaam", sa.String(length=64), nullable=False),
        sa.Column("voorvoegsel", sa.String(length=10), nullable=True),
        sa.Column("achternaam", sa.String(length=200), nullable=False),
        sa.Column("geboortedatum", sa.Date(), nullable=True),
        sa.Column("geslacht", sa.String(length=1), nullable=True),
        sa.Column("jaargroep", sa.String(length=4), nullable=True),
        sa.Column("groep", sa.String(length=64), nullable=True),
        sa.Column("samengestelde_groepen", sa.JSON(), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=True),
        sa.Column("mutatiedatum", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["las_scholen.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "leerlingnummer", name="uq_las_leerling"),
    )
    with op.batch_alter_table("las_leerlingen", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_las_leerlingen_school_id"), ["school_id"], unique=False
        )

    op.create_table(
        "las_sleutels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("klantcode", sa.String(length=64), nullable=False),
        sa.Column("klantnaam", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["las_scholen.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("las_sleutels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_las_sleutels_school_id"), ["school_id"], unique=False)

    op.create_table(
        "sk8_leerlingnummer_historie",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("leerling_id", sa.Integer(), nullable=False),
        sa.Column("oud", sa.String(length=256), nullable=True),
        sa.Column("nieuw", sa.String(length=256), nullable=True),
        sa.Column("gewijzigd_op", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leerling_id"],
            ["sk8_leerlingen.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sk8_leerlingnummer_historie", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sk8_leerlingnummer_historie_leerling_id"), ["leerling_id"], unique=False
        )

    op.create_table(
        "sk8_resultaten",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("leerlingid", sa.String(length=256), nullable=False),
        sa.Column("leerlingid_norm", sa.String(length=256), nullable=False),
        sa.Column("leerling_id", sa.Integer(), nullable=True),
        sa.Column("toetscode", sa.String(length=256), nullable=False),
        sa.Column("toetsnaam", sa.String(length=128), nullable=True),
        sa.Column("afnamedatum", sa.Date(), nullable=False),
        sa.Column("gegevens", sa.Text(), nullable=False),
        sa.Column("ontvangen_op", UtcDateTime(), nullable=False),
        sa.Column("bijgewerkt_op", UtcDateTime(), nullable=False),
        sa.Column("aantal_ontvangen", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leerling_id"],
            ["sk8_leerlingen.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school", "key", name="uq_sk8_resultaat_key"),
    )
    with op.batch_alter_table("sk8_resultaten", schema=None) as batch_op:
        batch_op.create_index("ix_sk8_resultaten_leerling", ["leerling_id"], unique=False)
        batch_op.create_index(
            "ix_sk8_resultaten_parked", ["school", "leerlingid_norm"], unique=False
        )

    op.create_table(
        "sk8_sleutels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("koppeling_id", sa.String(length=40), nullable=False),
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("masker", sa.String(length=16), nullable=False),
        sa.Column("uitgegeven_op", UtcDateTime(), nullable=False),
        sa.Column("ingetrokken_op", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["koppeling_id"],
            ["sk8_koppelingen.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sk8_sleutels", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sk8_sleutels_school_live", ["school", "ingetrokken_op"], unique=False
        )

    op.create_table(
        "tc_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("afname_id", sa.String(length=32), nullable=False),
        sa.Column("school", sa.String(length=16), nullable=False),
        sa.Column("normering_nr", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.Column("reden", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["afname_id"],
            ["tc_afnames.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tc_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tc_outbox_afname_id"), ["afname_id"], unique=False)
        batch_op.create_index("ix_tc_outbox_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tc_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_tc_outbox_due")
        batch_op.drop_index(batch_op.f("ix_tc_outbox_afname_id"))

    op.drop_table("tc_outbox")
    with op.batch_alter_table("sk8_sleutels", schema=None) as batch_op:
        batch_op.drop_index("ix_sk8_sleutels_school_live")

    op.drop_table("sk8_sleutels")
    with op.batch_alter_table("sk8_resultaten", schema=None) as batch_op:
        batch_op.drop_index("ix_sk8_resultaten_parked")
        batch_op.drop_index("ix_sk8_resultaten_leerling")

    op.drop_table("sk8_resultaten")
    with op.batch_alter_table("sk8_leerlingnummer_historie", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sk8_leerlingnummer_historie_leerling_id"))

    op.drop_table("sk8_leerlingnummer_historie")
    with op.batch_alter_table("las_sleutels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_las_sleutels_school_id"))

    op.drop_table("las_sleutels")
    with op.batch_alter_table("las_leerlingen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_las_leerlingen_school_id"))

    op.drop_table("las_leerlingen")
    with op.batch_alter_table("las_leerkrachten", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_las_leerkrachten_school_id"))

    op.drop_table("las_leerkrachten")
    with op.batch_alter_table("las_groepen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_las_groepen_school_id"))

    op.drop_table("las_groepen")
    op.drop_table("tc_scholen")
    op.drop_table("tc_leerlingen")
    op.drop_table("tc_leerkrachten")
    op.drop_table("tc_las_koppelingen")
    op.drop_table("tc_groepen")
    with op.batch_alter_table("tc_dashboard_perioden", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tc_dashboard_perioden_school"))

    op.drop_table("tc_dashboard_perioden")
    op.drop_table("tc_dashboard_koppelingen")
    with op.batch_alter_table("tc_afnames", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tc_afnames_school"))

    op.drop_table("tc_afnames")
    op.drop_table("sk8_scholen")
    with op.batch_alter_table("sk8_leerlingen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sk8_leerlingen_school"))

    op.drop_table("sk8_leerlingen")
    with op.batch_alter_table("sk8_koppelingen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sk8_koppelingen_school"))

    op.drop_table("sk8_koppelingen")
    op.drop_table("mailbox_messages")
    op.drop_table("mailbox_counters")
    op.drop_table("las_scholen")
    op.drop_table("ks_modus")
    with op.batch_alter_table("ks_aanvragen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ks_aanvragen_school"))

    op.drop_table("ks_aanvragen")
    op.drop_table("koppeling_schema")
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_service"))
        batch_op.drop_index(batch_op.f("ix_journal_school"))
        batch_op.drop_index(batch_op.f("ix_journal_correlation_id"))

    op.drop_table("journal")
    with op.batch_alter_table("faults", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faults_service"))

    op.drop_table("faults")
    op.drop_table("clock")
