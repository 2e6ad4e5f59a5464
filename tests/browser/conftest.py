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
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from koppeling.demo import LAS_KLANTCODE, LAS_KLANTNAAM, DemoSchool, seed_schoolkr8_pupils
from koppeling.harness.process import Harness
from tests.browser.support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    STEP_TIMEOUT_MS,
    DemoSchoolHandle,
    Shots,
    api,
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
    rng = random.SystemRandom()
    for _ in range(20):
        brin = "99" + "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
        dep = f"{rng.randrange(100):02d}"
        resp = requests.post(
            live.url("parnassys") + "/api/scholen",
            json={
                "brincode": brin,
                "dependancecode": dep,
                "aantal_leerlingen": 3,
                "seed": rng.randrange(2**31),
            },
            timeout=15,
        )
        if resp.status_code == 201:
            break
        assert resp.status_code == 409, resp.text
    else:
        pytest.fail("no free test school found")
    data = resp.json()
    demo = DemoSchool(
        brin,
        dep,
        "parnassys",
        "",
        f"beheerder.{brin.lower()}{dep}@browser.test",
        str(data["schooljaar"]),
        leerlingen=list(data["leerlingen"]),
    )
    key = api(
        "POST",
        f"{live.url('parnassys')}/api/scholen/{brin}/{dep}/sleutels",
        {"klantcode": LAS_KLANTCODE, "klantnaam": LAS_KLANTNAAM},
    )
    assert isinstance(key, dict)
    seed_schoolkr8_pupils(live.url("schoolkr8"), demo, data)
    print(f"browser test school {brin}-{dep}")
    return DemoSchoolHandle(
        brin, dep, str(key["autorisatiesleutel"]), demo.beheerder_email, demo.leerlingen
    )
