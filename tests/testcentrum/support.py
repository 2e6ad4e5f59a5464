"""Putting a school's dashboard koppeling in a state directly in the store, for the afnames and
forwarder tests (the AANVRAGEN round trip itself is tested in test_dashboard_koppeling)."""

from __future__ import annotations

from datetime import datetime, timedelta

from koppeling.harness.store import Database
from mocks.testcentrum.beheer.store import BeheerStore

DEFAULT_KEY = "sk8_" + "a" * 32


def activate(db: Database, school: str, at: datetime, *, key: str = DEFAULT_KEY) -> None:
    """An aanvraag an hour before ``at``, approved and processed at ``at``."""
    store, idempotency_key = BeheerStore(), f"k-{at.timestamp()}"
    with db.begin() as conn:
        store.aanvragen(
            conn,
            school,
            type_dashboard="Schoolkr8",
            autorisatiesleutel=key,
            beheerder_email="beheerder@example.test",
            idempotency_key=idempotency_key,
            now=at - timedelta(hours=1),
        )
        assert store.activate(conn, school, idempotency_key, at)


def deactivate(db: Database, school: str, at: datetime) -> None:
    """Switch the school's koppeling off at ``at``."""
    with db.begin() as conn:
        assert BeheerStore().deactivate(conn, school, at) is not None
