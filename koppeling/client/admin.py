"""The ``/__admin`` API every service of the harness has: health, the journal, scripted faults
and the (per-school) clock. Scenarios and contract states use it; nothing here is a partner's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from koppeling.client.http import ApiClient, as_dict
from koppeling.client.school import SchoolRef


class HarnessAdmin(ApiClient):
    """``HarnessAdmin(base_url, service="schoolkr8")``: the admin API of one service."""

    def health(self) -> dict[str, Any]:
        return as_dict(self.get("/__admin/health"))

    def services(self) -> dict[str, str]:
        """The base URL of every service of the harness this service belongs to, by name."""
        return {
            str(k): str(v)
            for k, v in as_dict(self.get("/__admin/services")).get("services", {}).items()
        }

    def journal(
        self, *, school: str | None = None, kind: str | None = None, all_services: bool = True
    ) -> list[dict[str, Any]]:
        """Journal entries, oldest first: of every service (``all_services``) or this one,
        optionally only of one school (``99AB-00``) or one kind (``soap``, ``rest``, ``mail``)."""
        params = {"all": "1" if all_services else None, "school": school, "kind": kind}
        entries: list[dict[str, Any]] = []
        since: int | None = 0
        while since is not None:  # the service answers a page at a time
            page = as_dict(self.get("/__admin/requests", **params, since_id=since))
            entries.extend(page["requests"])
            since = page.get("next_since_id")
        return entries

    def faults(self) -> list[dict[str, Any]]:
        """The scripted faults not yet taken, in the order they will be."""
        return list(self.get("/__admin/faults")["faults"])

    def add_fault(
        self,
        path: str,
        fault: str,
        *,
        method: str | None = None,
        times: int | None = None,
        delay_ms: int = 0,
        code: str | None = None,
        school: SchoolRef | None = None,
    ) -> dict[str, Any]:
        """Script a fault; with ``school`` only that school's requests take it (a shared
        harness then keeps the fault from other tests)."""
        given = {"method": method, "times": times, "delay_ms": delay_ms or None, "code": code}
        body: dict[str, Any] = {"path": path, "fault": fault, **(school.args() if school else {})}
        body.update({k: v for k, v in given.items() if v is not None})
        return as_dict(self.post("/__admin/faults", body))

    def clear_faults(self) -> None:
        self.delete("/__admin/faults")

    def clock(self, school: SchoolRef | None = None) -> dict[str, Any]:
        """The harness clock, or the school's: ``now`` (ISO-8601), ``frozen`` …"""
        return as_dict(self.get("/__admin/clock", **(school.args() if school else {})))

    def now(self, school: SchoolRef | None = None) -> datetime:
        return datetime.fromisoformat(str(self.clock(school)["now"]))

    def set_clock(self, school: SchoolRef, now: datetime, *, frozen: bool = True) -> dict[str, Any]:
        """Put one school's own clock at ``now`` (other schools are not affected)."""
        body = {**school.args(), "now": now.isoformat(), "frozen": frozen}
        return as_dict(self.post("/__admin/clock", body))
