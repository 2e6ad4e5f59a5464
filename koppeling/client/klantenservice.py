"""The API of the klantenservice mock that setup needs: a dashboard request as the testcentrum
sends it, the school's handling (automatisch or handmatig), and a decision taken by hand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from koppeling.client.http import SchoolApiClient, as_dict
from koppeling.client.school import SchoolRef


class KlantenserviceAdmin(SchoolApiClient):
    """``KlantenserviceAdmin(base_url)``: aanvragen, modus, goedkeuren and afwijzen."""

    service = "klantenservice"

    def aanvragen(
        self, school: SchoolRef, aanvraag: Mapping[str, str], *, idempotency_key: str
    ) -> dict[str, Any]:
        """A dashboard request as the testcentrum sends it on AANVRAGEN (``type_dashboard``,
        ``autorisatiesleutel``, ``beheerder_email``): 202, with its ``id`` and status so far."""
        return as_dict(
            self.call(
                "POST",
                "/api/aanvragen",
                body={**school.args(), **aanvraag},
                headers={"Idempotency-Key": idempotency_key},
            )
        )

    def set_modus(self, school: SchoolRef, modus: str) -> dict[str, Any]:
        """``automatisch`` (decide on the spot) or ``handmatig`` (wait for a person)."""
        return as_dict(self.put(f"{school.path}/modus", {"modus": modus}))

    def goedkeuren(self, aanvraag_id: str) -> dict[str, Any]:
        return as_dict(self.post(f"/api/aanvragen/{aanvraag_id}/goedkeuren", {}))

    def afwijzen(self, aanvraag_id: str, reden: str) -> dict[str, Any]:
        return as_dict(self.post(f"/api/aanvragen/{aanvraag_id}/afwijzen", {"reden": reden}))
