"""Partner-side witnesses of the invariants (docs/architecture.md), stated so a failure reads as a
sentence.

What reached Schoolkr8 is read at Schoolkr8 (results per pupil, the niet-gekoppeld list) and in
the journal (every BrengLeerresultaten carrying the afname's stable ``resultaat@key``) — never in
the testcentrum, which is the system under test.
"""

from __future__ import annotations

import json
from typing import Any

from scenarios.support.schools import School
from scenarios.support.steps import Scenario


def _mentions(item: Any, afname_id: str) -> bool:
    return afname_id in json.dumps(item, default=str)


def results_for(sc: Scenario, school: School, number: str, afname_id: str) -> list[dict[str, Any]]:
    """The results at the Schoolkr8 pupil with ``number`` that stem from ``afname_id``."""
    return [
        r
        for r in sc.partners.schoolkr8.resultaten(school.sk8_pupils[number])
        if _mentions(r, afname_id)
    ]


def deliveries(sc: Scenario, school: School, afname_id: str) -> list[dict[str, Any]]:
    """BrengLeerresultaten requests in the journal that carried ``afname_id``'s result."""
    return [e for e in brengleerresultaten(sc, school) if afname_id in (e.get("request") or "")]


def brengleerresultaten(sc: Scenario, school: School) -> list[dict[str, Any]]:
    """Every BrengLeerresultaten for the school in the journal (answered or refused)."""
    entries = sc.partners.admin("schoolkr8").journal(school=school.key, kind="soap")
    return [e for e in entries if e.get("operation") == "BrengLeerresultaten"]


def assert_exactly_once_at_sk8(sc: Scenario, school: School, number: str, afname_id: str) -> None:
    """The afname's result is at pupil ``number`` at Schoolkr8 exactly once."""
    found = results_for(sc, school, number, afname_id)
    assert len(found) == 1, (
        f"afname {afname_id} should be at Schoolkr8 pupil {number} exactly once, found "
        f"{len(found)} result(s)"
    )


def assert_not_at_pupil(sc: Scenario, school: School, number: str, afname_id: str) -> None:
    """The afname's result is not at the Schoolkr8 pupil with ``number``."""
    found = results_for(sc, school, number, afname_id)
    assert not found, (
        f"afname {afname_id} of another pupil landed on Schoolkr8 pupil {number}: {found}"
    )


def assert_never_at_sk8(sc: Scenario, school: School, number: str | None, afname_id: str) -> None:
    """The afname's result is nowhere at Schoolkr8 (not at ``number``, not parked) and no
    BrengLeerresultaten ever carried it."""
    if number is not None and number in school.sk8_pupils:
        found = results_for(sc, school, number, afname_id)
        assert not found, f"afname {afname_id} reached Schoolkr8 pupil {number}: {found}"
    parked = [
        r for r in sc.partners.schoolkr8.niet_gekoppeld(school.ref) if _mentions(r, afname_id)
    ]
    assert not parked, f"afname {afname_id} reached Schoolkr8 (parked as niet-gekoppeld)"
    sent = deliveries(sc, school, afname_id)
    assert not sent, (
        f"afname {afname_id} must never be forwarded, but "
        f"{len(sent)} BrengLeerresultaten carried it"
    )


def key_leaks(sc: Scenario, school: School, key: str) -> list[str]:
    """Journal entries of the school whose stored text contains ``key`` in full."""
    entries = sc.partners.admin("schoolkr8").journal(school=school.key)
    return [
        f"#{e['id']} {e['service']} {e.get('summary')}"
        for e in entries
        if key in json.dumps(e, default=str)
    ]
