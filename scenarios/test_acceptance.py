"""Acceptance of the suite itself: each core scenario FAILS, with a clear message, when the
behaviour it guards is broken in the stand-in (mutation testing by hand).

Each case breaks one rule in the in-process harness (monkeypatch, undone after the test), runs the
scenario's body against it, and checks it fails saying what broke. Not marked ``scenario`` (they
are tests of the scenarios, not scenarios); in-process only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koppeling.harness.process import Harness
from scenarios import test_core, test_keys
from scenarios.support.steps import Scenario

Mutation = Callable[[pytest.MonkeyPatch, Harness], None]


def forward_everything(mp: pytest.MonkeyPatch, harness: Harness) -> None:
    """The activation rule flipped: the testcentrum treats the koppeling as always active."""
    from mocks.testcentrum.beheer.service import DashboardKoppelingen

    mp.setattr(DashboardKoppelingen, "active_at", lambda self, school, instant: True)


def journal_unmasked(mp: pytest.MonkeyPatch, harness: Harness) -> None:
    """Secrets no longer masked in the journal."""
    import koppeling.harness.journal as journal

    mp.setattr(journal, "mask_text", lambda text: text)
    mp.setattr(journal, "mask_data", lambda data: data)


def klantenservice_mails_twice(mp: pytest.MonkeyPatch, harness: Harness) -> None:
    """Klantenservice sends its decision e-mail twice."""
    core = harness.core
    assert core is not None
    original = core.send_mail

    def twice(service: str, mail: Any, *, school: str | None = None) -> str:
        if service == "klantenservice":
            original(service, mail, school=school)
        return original(service, mail, school=school)

    mp.setattr(core, "send_mail", twice)


def results_on_first_pupil(mp: pytest.MonkeyPatch, harness: Harness) -> None:
    """Schoolkr8's intake puts every result on one pupil instead of the one with that number."""
    from mocks.schoolkr8.store import Schoolkr8Store

    original = Schoolkr8Store.pupils_by_number

    def first(self: Any, conn: Any, school: str, numbers: set[str]) -> dict[str, int]:
        ids = original(self, conn, school, numbers)
        everyone = original(self, conn, school, _all_numbers(self, conn, school))
        target = min(everyone.values()) if everyone else None
        return {n: target for n in ids} if target is not None else ids

    mp.setattr(Schoolkr8Store, "pupils_by_number", first)


def _all_numbers(store: Any, conn: Any, school: str) -> set[str]:
    from sqlalchemy import select

    from mocks.schoolkr8.store import leerlingen_table as t

    rows = conn.execute(select(t.c.leerlingnummer).where(t.c.school == school))
    return {r.leerlingnummer for r in rows if r.leerlingnummer}


def any_key_valid(mp: pytest.MonkeyPatch, harness: Harness) -> None:
    """Schoolkr8's key check accepts any key for any school."""
    from mocks.schoolkr8.service import Schoolkr8Service

    mp.setattr(Schoolkr8Service, "key_valid", lambda self, brin, dep, presented: True)


CASES: dict[str, tuple[Mutation, Callable[[Scenario], None], str]] = {
    "not_retroactive": (
        forward_everything,
        test_core.test_not_retroactive,
        "normed before activation but its forwarding status is",
    ),
    "key_issuance": (
        journal_unmasked,
        test_core.test_key_issuance,
        "the key appears in full in journal entries",
    ),
    "approval_email": (
        klantenservice_mails_twice,
        test_core.test_approval_email,
        "exactly one mail to",
    ),
    "pupil_number_mapping": (
        results_on_first_pupil,
        lambda sc: test_core.test_pupil_number_mapping(sc, "parnassys"),
        "Schoolkr8 pupil",
    ),
    "refused_key[foreign]": (
        any_key_valid,
        lambda sc: test_keys.test_refused_key(sc, "foreign"),
        "afgewezen",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_scenario_fails_when_rule_broken(
    case: str, scenario: Scenario, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Break the rule the scenario guards; the scenario must fail and say what broke."""
    if not scenario.partners.in_process:
        pytest.skip("mutations need the in-process harness")
    mutate, run, expected = CASES[case]
    mutate(monkeypatch, request.getfixturevalue("scenario_harness"))
    with pytest.raises(AssertionError) as caught:
        run(scenario)
    message = str(caught.value)
    assert expected in message, f"scenario {case} failed, but unclearly: {message[:400]}"
    assert message.startswith("step '") or "timed out" in message, message[:400]
