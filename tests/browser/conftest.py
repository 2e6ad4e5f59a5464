"""Fixtures for the browser tests: one headless Debian Chromium per session, a fresh page per test,
screenshots of every step under test-artifacts/screenshots/, and helpers to wait for the harness.

Chromium is the system package (``apt-get install chromium``), never ``playwright install``: when it
is missing the tests FAIL with that instruction (CI's .ci/run installs it), they do not skip.
"""

from __future__ import annotations

import os
import random
import re
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from mocks.demo import LAS_KLANTCODE, LAS_KLANTNAAM, DemoSchool, seed_schoolkr8_pupils
from mocks.harness import Harness

CHROMIUM = Path(os.environ.get("KOPPELING_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WAIT_SECONDS = 20.0


def require_chromium(path: Path) -> Path:
    """``path`` if Chromium is there; else the test FAILS (never skips) saying how to install."""
    if not path.is_file():
        pytest.fail(f"Chromium not found at {path}: install it with "
                    "`apt-get install -y chromium` (CI's .ci/run does) or set KOPPELING_CHROMIUM; "
                    "never `playwright install`", pytrace=False)
    return path


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
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


class Shots:
    """Numbered full-page screenshots of one test: ``shots(page, "las-opgeslagen")``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.started = time.monotonic()

    def __call__(self, page: Page, step: str) -> Path:
        self.count += 1
        print(f"{time.monotonic() - self.started:6.2f}s {step}")
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9-]+', '-', step.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    """Where this test's screenshots go (test-artifacts/screenshots/<test>/, gitignored)."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Shots(folder)


def wait_until(check: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    """Poll ``check`` until it holds; fail saying ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def reload_until(page: Page, text: str, timeout: float = WAIT_SECONDS) -> None:
    """Reload the page until it shows ``text`` (background work: approval, forwarding)."""
    def shows() -> bool:
        if text in page.content():
            return True
        page.reload()
        return text in page.content()

    wait_until(shows, f"{text!r} on {page.url}", timeout)


def api(method: str, url: str, body: dict[str, object] | None = None) -> object:
    """A setup call to a partner's REST API (the prerequisites the manual takes as given)."""
    resp = requests.request(method, url, json=body, timeout=15)
    assert resp.status_code < 400, f"{method} {url}: {resp.status_code} {resp.text[:300]}"
    return resp.json() if resp.content else None


@dataclass
class DemoSchoolHandle:
    """A fresh school: in the LAS (with a key for the testcentrum) and its pupils in Schoolkr8."""

    brincode: str
    dependancecode: str
    las_sleutel: str
    beheerder_email: str
    leerlingen: list[dict[str, Any]]  # as the LAS made them (leerlingnummer, roepnaam, ...)

    @property
    def key(self) -> str:
        return f"{self.brincode}-{self.dependancecode}"

    def schoolkr8_naam(self, leerlingnummer: str) -> str:
        """How Schoolkr8 shows this pupil's name (voornaam + achternaam, as seeded)."""
        p = next(p for p in self.leerlingen if p["leerlingnummer"] == leerlingnummer)
        return " ".join(x for x in (p.get("roepnaam"), p.get("voorvoegsel"), p["achternaam"]) if x)


@pytest.fixture
def school(live: Harness) -> DemoSchoolHandle:
    """A school no other test in this session uses, seeded like ``koppeling up --demo``."""
    rng = random.SystemRandom()
    for _ in range(20):
        brin = "99" + "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
        dep = f"{rng.randrange(100):02d}"
        resp = requests.post(live.url("parnassys") + "/api/scholen", json={
            "brincode": brin, "dependancecode": dep, "aantal_leerlingen": 3,
            "seed": rng.randrange(2**31)}, timeout=15)
        if resp.status_code == 201:
            break
        assert resp.status_code == 409, resp.text
    else:
        pytest.fail("no free test school found")
    data = resp.json()
    demo = DemoSchool(brin, dep, "parnassys", "", f"beheerder.{brin.lower()}{dep}@browser.test",
                      str(data["schooljaar"]), leerlingen=list(data["leerlingen"]))
    key = api("POST", f"{live.url('parnassys')}/api/scholen/{brin}/{dep}/sleutels",
              {"klantcode": LAS_KLANTCODE, "klantnaam": LAS_KLANTNAAM})
    assert isinstance(key, dict)
    seed_schoolkr8_pupils(live.url("schoolkr8"), demo, data)
    print(f"browser test school {brin}-{dep}")
    return DemoSchoolHandle(brin, dep, str(key["autorisatiesleutel"]), demo.beheerder_email,
                            demo.leerlingen)
