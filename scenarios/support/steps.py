"""The scenario handle: named steps (for the report), the school(s) it made, its seed and data.

A scenario is a pytest test taking the ``scenario`` fixture. Each ``with scenario.step("…"):``
becomes a row in the HTML report and the JUnit properties; the first failing step is named in the
failure message, so a red scenario says in plain words where it broke.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from faker import Faker

from koppeling.client import HarnessAdmin, Klant, ProblemError, SchoolRef
from koppeling.harness.schools import schooljaar_of
from scenarios.driver import TestcentrumDriver
from scenarios.support.partners import Partners
from scenarios.support.schools import School, SchoolAllocator, mail_address


@dataclass
class Step:
    """One named step of a scenario, as run."""

    title: str
    outcome: str = "running"
    started: str = ""
    duration: float = 0.0
    detail: list[str] = field(default_factory=list)


class StepFailed(AssertionError):
    """A step failed; the message names the step and the cause."""


@dataclass
class Options:
    """What the run was configured with (from the command line / config file)."""

    seed: int
    can_set_clock: bool = True
    can_restart: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Scenario:
    """Per-test handle: ``step()``, ``new_school()``, the driver, the partners, a seeded Faker."""

    def __init__(
        self,
        name: str,
        seed: int,
        partners: Partners,
        driver: TestcentrumDriver,
        allocator: SchoolAllocator,
        options: Options,
    ) -> None:
        self.name = name
        self.seed = seed
        self.partners = partners
        self.driver = driver
        self.allocator = allocator
        self.options = options
        self.fake = Faker("nl_NL")
        self.fake.seed_instance(seed)
        self.steps: list[Step] = []
        self.schools: list[School] = []
        self.school_keys: list[str] = []  # shared with the report record, filled as schools come
        self._current: Step | None = None
        self.captured_journal: list[dict[str, Any]] = []

    @property
    def admin(self) -> HarnessAdmin:
        """The admin API of the testcentrum (clock; any stand-in service shares it)."""
        return self.partners.admin("testcentrum")

    @property
    def klant(self) -> Klant:
        """Who the testcentrum is at a LAS: the LAS key is issued for it."""
        return Klant(self.driver.klantcode, self.driver.klantnaam)

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        """A named step: recorded with its outcome and duration."""
        step = Step(title, started=datetime.now(UTC).isoformat())
        self.steps.append(step)
        outer, self._current = self._current, step
        begin = time.perf_counter()
        try:
            yield step
        except Exception as exc:
            step.outcome = "failed"
            step.detail.append(_one_line(exc))
            if isinstance(exc, StepFailed | ProblemError) or outer is not None:
                raise
            raise StepFailed(f"step '{title}' failed: {exc}") from exc
        else:
            step.outcome = "passed"
        finally:
            step.duration = round(time.perf_counter() - begin, 3)
            self._current = outer

    def note(self, text: str) -> None:
        """Add a line of detail to the current step (shown in the report)."""
        if self._current is not None:
            self._current.detail.append(text)

    def new_school(self, *, las: str = "parnassys", pupils: int = 4) -> School:
        """A fresh school at the LAS (unique BRIN + vestiging) with unique mail addresses."""
        for _ in range(50):
            ref = self.allocator.next()
            school = self._school(ref, las)
            try:
                data = self.partners.las(las).create_school(
                    ref,
                    naam=school.naam,
                    schooljaar=school.schooljaar,
                    aantal_leerlingen=pupils,
                    seed=self.seed,
                )
            except ProblemError as exc:
                if exc.status == 409:
                    continue
                raise
            school.pupils = list(data.get("leerlingen") or [])
            self.schools.append(school)
            self.school_keys.append(school.key)
            self.note(f"school {ref.key} ({las}, {len(school.pupils)} leerlingen)")
            return school
        raise RuntimeError("no free test school found after 50 tries")

    def _school(self, ref: SchoolRef, las: str) -> School:
        now = self.admin.now(ref) if self.options.can_set_clock else datetime.now(UTC)
        return School(
            ref=ref,
            las=las,
            schooljaar=schooljaar_of(now.year, now.month),
            naam=f"{self.fake.last_name()}school {self.fake.city()}",
            beheerder_email=mail_address("beheerder", ref),
            contact_email=mail_address("contact", ref),
        )

    def capture_journal(self) -> None:
        """Keep the journal of this scenario's schools now (before its harness goes away)."""
        for key in self.school_keys:
            self.captured_journal += self.partners.admin("schoolkr8").journal(school=key)

    def record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seed": self.seed,
            "driver": getattr(self.driver, "name", type(self.driver).__name__),
            "schools": self.school_keys,
            "steps": [asdict(s) for s in self.steps],
        }


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]
