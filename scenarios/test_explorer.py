"""Property-based explorer: Hypothesis interleaves activation, deactivation, norming, re-norming,
pupil mapping, Schoolkr8 faults and testcentrum restarts on a fresh school per example, and checks
the not-retroactive invariants in docs/architecture.md after every step and at the end:

* an afname first normed while the koppeling was not active is never at Schoolkr8 (no
  BrengLeerresultaten ever carried it), whatever happens afterwards;
* every other afname reaches Schoolkr8 exactly once (re-normings update the same result); one
  still waiting when the koppeling was deactivated is held, and goes out once re-activated.

Bounded (few examples, short programs) so it runs in seconds; ``--hypothesis-seed`` replays it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from scenarios.support import flows
from scenarios.support.checks import brengleerresultaten, deliveries, results_for
from scenarios.support.restart import Restarter
from scenarios.support.schools import School
from scenarios.support.steps import Scenario
from scenarios.support.waits import eventually

pytestmark = pytest.mark.scenario

EXAMPLES = 4
STEPS = 8
PUPILS = 2
FAULTS: dict[str, dict[str, Any]] = {
    "503": {"fault": "http_503", "times": 1},
    "reset": {"fault": "connection_reset", "times": 1},
    "server_fault": {"fault": "soap_fault", "code": "Server.InterneFout", "times": 1},
}


@dataclass
class Modelled:
    """What the model knows of one afname: its pupil and whether it may ever be forwarded."""

    afname_id: str
    pupil: str
    eligible: bool


def build_machine(sc: Scenario, restarter: Restarter | None) -> type[RuleBasedStateMachine]:
    """The state machine class, bound to this scenario's partners and driver."""

    class Explorer(RuleBasedStateMachine):
        afnames = Bundle("afnames")

        def __init__(self) -> None:
            super().__init__()
            self.school: School | None = None
            self.active = False
            self.requested = False
            self.model: dict[str, Modelled] = {}
            self.mapped: set[str] = set()

        @initialize()
        def school_ready(self) -> None:
            """A fresh school: LAS koppeling and a Schoolkr8 key, nothing requested yet."""
            with sc.step(f"example {len(sc.schools) + 1}: a fresh school"):
                self.school = sc.new_school(pupils=PUPILS)
                flows.las_koppeling(sc, self.school)
                flows.issue_sk8_key(sc, self.school)
                flows.register_pupils(sc, self.school, only=[])

        @property
        def s(self) -> School:
            assert self.school is not None
            return self.school

        @precondition(lambda self: not self.active)
        @rule()
        def activate(self) -> None:
            """AANVRAGEN (again) and wait until actief."""
            with sc.step("explorer: activate"):
                flows.request_dashboard(sc, self.s)
                flows.wait_decided(sc, self.s, "actief")
                self.active = True

        @precondition(lambda self: self.active)
        @rule()
        def deactivate(self) -> None:
            with sc.step("explorer: deactivate"):
                sc.driver.deactivate_dashboard(self.s.ref)
                self.active = False

        @rule(target=afnames, pupil=st.integers(0, PUPILS - 1), score=st.integers(0, 60))
        def norm(self, pupil: int, score: int) -> str:
            """Score and norm a new afname; eligible iff the koppeling is active right now."""
            number = self.s.numbers()[pupil]
            with sc.step(
                f"explorer: norm for pupil {pupil} ({'active' if self.active else 'inactive'})"
            ):
                normed = flows.norm(sc, self.s, number, ruwe_score=score)
                sc.note(f"afname {normed.afname_id}")
            self.model[normed.afname_id] = Modelled(normed.afname_id, number, self.active)
            return normed.afname_id

        @rule(afname=afnames)
        def renorm(self, afname: str) -> None:
            with sc.step(f"explorer: re-norm {afname}"):
                sc.driver.norm(afname)

        @rule(pupil=st.integers(0, PUPILS - 1))
        def map_pupil(self, pupil: int) -> None:
            """Wijzig leerlingnummer for a pupil (parked results attach)."""
            number = self.s.numbers()[pupil]
            with sc.step(f"explorer: Wijzig leerlingnummer for pupil {pupil}"):
                sc.partners.schoolkr8.set_leerlingnummer(self.s.sk8_pupils[number], number)
            self.mapped.add(number)

        @precondition(lambda self: sc.partners.in_process)
        @rule(kind=st.sampled_from(sorted(FAULTS)))
        def schoolkr8_fault(self, kind: str) -> None:
            with sc.step(f"explorer: Schoolkr8 fault {kind}"):
                sc.partners.admin("schoolkr8").add_fault(
                    "/uwlr/leerresultaten", method="POST", school=self.s.ref, **FAULTS[kind]
                )

        @precondition(lambda self: restarter is not None)
        @rule()
        def restart(self) -> None:
            """Stop and start the testcentrum's background workers (outbox survives)."""
            assert restarter is not None
            with sc.step("explorer: restart the testcentrum"):
                restarter.restart()

        @invariant()
        def never_before_activation(self) -> None:
            """No afname normed while inactive was ever carried to Schoolkr8."""
            ineligible = [m for m in self.model.values() if not m.eligible]
            if self.school is None or not ineligible:
                return
            carried = [e.get("request") or "" for e in brengleerresultaten(sc, self.s)]
            for m in ineligible:
                sent = sum(1 for body in carried if m.afname_id in body)
                assert not sent, (
                    f"afname {m.afname_id} normed while the koppeling was not "
                    f"active was sent to Schoolkr8 ({sent}x)"
                )

        @invariant()
        def at_most_once(self) -> None:
            """No result is ever at Schoolkr8 twice."""
            if self.school is None:
                return
            for number in self.mapped:
                results = sc.partners.schoolkr8.resultaten(self.s.sk8_pupils[number])
                for m in self.model.values():
                    n = sum(1 for r in results if m.afname_id in str(r))
                    assert n <= 1, f"afname {m.afname_id} {n}x at Schoolkr8"

        def teardown(self) -> None:
            """Everything settles: eligible exactly once, the rest never."""
            if self.school is None:
                return
            try:
                if restarter is not None:
                    restarter.start()
                with sc.step("explorer: everything settles (eligible once, the rest never)"):
                    self._settle()
            finally:
                if sc.partners.in_process:
                    sc.partners.admin("schoolkr8").clear_faults()

        def _settle(self) -> None:
            if not self.active:
                # Eligible results normed before a deactivation wait (held) until the koppeling
                # is active again; re-activate so they must arrive now, exactly once.
                sc.note("re-activate to release held results")
                flows.request_dashboard(sc, self.s)
                flows.wait_decided(sc, self.s, "actief")
                self.active = True
            flows.register_pupils(sc, self.s)  # map everyone so every result is visible
            ids = list(self.model)
            found = flows.wait_settled(sc, self.s, ids, timeout=20)
            for m in self.model.values():
                status = found[m.afname_id].status
                if not m.eligible:
                    assert status == "niet_van_toepassing", (
                        f"afname {m.afname_id} normed while inactive has status {status!r}"
                    )
                    assert not deliveries(sc, self.s, m.afname_id)
                    continue
                assert status == "verzonden", f"afname {m.afname_id}: {status!r}"
                found_at = eventually(
                    partial(results_for, sc, self.s, m.pupil, m.afname_id),
                    lambda r: len(r) == 1,
                    what=f"afname {m.afname_id} exactly once at its pupil",
                )
                assert len(found_at) == 1

    return Explorer


def test_explorer(scenario: Scenario, request: pytest.FixtureRequest) -> None:
    """Random interleavings of activation, norming, re-norming, mapping, faults and restarts keep
    the not-retroactive rule: normed before activation never at Schoolkr8, the rest exactly once."""
    restarter: Any = None
    if scenario.options.can_restart:
        restarter = request.getfixturevalue("restarter")
    machine = build_machine(scenario, restarter)
    # No shrinking: each step costs real HTTP round trips and a failing program (printed in
    # full, replayable with --hypothesis-seed) is short already; shrinking could take minutes.
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
