"""Fixtures for the browser tests: one headless Debian Chromium per session, a fresh page per test,
screenshots of every step under test-artifacts/screenshots/, a fresh school per test.

Chromium is the system package (``apt-get install chromium``), never ``playwright install``: when it
is missing the tests FAIL with that instruction (CI's .ci/run installs it), they do not skip.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from koppeling.client import STAND_IN_KLANT, ProblemError, SchoolRef
from koppeling.client.flows import LasSchool, create_las_school
from koppeling.demo import DemoSchool, seed_schoolkr8_pupils
from koppeling.harness.process import Harness
from tests.browser.support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    STEP_TIMEOUT_MS,
    DemoSchoolHandle,
    Shots,
    clients,
    require_chromium,
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, started once per session (per xdist worker)."""
    executable = require_chromium(CHROMIUM)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live: Harness) -> Iterator[Page]:
    """A fresh browser context and page for one test (cookies and cache not shared)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    tab = context.new_page()
    tab.set_default_timeout(STEP_TIMEOUT_MS)
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    yield tab
    context.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    """Where this test's screenshots go (test-artifacts/screenshots/<test>/, gitignored)."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Shots(folder)


@pytest.fixture
def school(live: Harness) -> DemoSchoolHandle:
    """A school no other test in this session uses, seeded like ``koppeling up --demo``."""
    ref, made = _fresh_las_school(live)
    demo = DemoSchool(
        ref.brincode,
        ref.dependancecode,
        "parnassys",
        made.sleutel,
        f"beheerder.{ref.brincode.lower()}{ref.dependancecode}@browser.test",
        str(made.data["schooljaar"]),
        leerlingen=list(made.data["leerlingen"]),
    )
    seed_schoolkr8_pupils(clients(live).schoolkr8, demo, made.data)
    print(f"browser test school {ref.key}")
    return DemoSchoolHandle(
        ref.brincode, ref.dependancecode, made.sleutel, demo.beheerder_email, demo.leerlingen
    )


def _fresh_las_school(live: Harness) -> tuple[SchoolRef, LasSchool]:
    """A random test school the LAS does not know yet, made there with a key for the stand-in."""
    rng = random.SystemRandom()
    las = clients(live).las("parnassys")
    for _ in range(20):
        brin = "99" + "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
        ref = SchoolRef(brin, f"{rng.randrange(100):02d}")
        try:
            made = create_las_school(
                las, ref, STAND_IN_KLANT, aantal_leerlingen=3, seed=rng.randrange(2**31)
            )
        except ProblemError as exc:
            if exc.status != 409:
                raise
            continue
        return ref, made
    pytest.fail("no free test school found")
