"""Helpers of the browser tests: where Chromium is, screenshots, waiting for background work,
the clients for setup calls to the partners' APIs, and the handle of a test's school."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from koppeling.client import Clients, SchoolRef
from koppeling.harness.process import Harness

CHROMIUM = Path(os.environ.get("KOPPELING_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WAIT_SECONDS = 30.0  # background work: approval poller, forwarder (generous: CI is shared)
STEP_TIMEOUT_MS = 15_000  # one click, one page (several API calls behind it)


def require_chromium(path: Path) -> Path:
    """``path`` if Chromium is there; else the test FAILS (never skips) saying how to install."""
    if not path.is_file():
        pytest.fail(
            f"Chromium not found at {path}: install it with "
            "`apt-get install -y chromium` (CI's .ci/run does) or set KOPPELING_CHROMIUM; "
            "never `playwright install`",
            pytrace=False,
        )
    return path


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
        for attempt in range(3):  # the record of a step, not a check: a busy Chromium may
            try:  # fail to capture mid-paint ("Unable to capture screenshot"); try again
                page.screenshot(path=str(path), full_page=True)
                return path
            except PlaywrightError as exc:
                if "Unable to capture screenshot" not in str(exc) or attempt == 2:
                    raise
                page.wait_for_load_state()
                time.sleep(0.2)
        return path


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


def clients(live: Harness) -> Clients:
    """Clients of the harness's services, for the setup the manual takes as given."""
    assert live.core is not None
    return Clients(live.core.urls)


@dataclass
class DemoSchoolHandle:
    """A fresh school: in the LAS (with a key for the testcentrum) and its pupils in Schoolkr8."""

    brincode: str
    dependancecode: str
    las_sleutel: str
    beheerder_email: str
    leerlingen: list[dict[str, Any]]  # as the LAS made them (leerlingnummer, roepnaam, ...)

    @property
    def ref(self) -> SchoolRef:
        return SchoolRef(self.brincode, self.dependancecode)

    @property
    def key(self) -> str:
        return self.ref.key

    def schoolkr8_naam(self, leerlingnummer: str) -> str:
        """How Schoolkr8's pupil list shows this pupil: as the testcentrum does, Achternaam,
        Roepnaam voorvoegsel (so the two lists line up)."""
        p = next(p for p in self.leerlingen if p["leerlingnummer"] == leerlingnummer)
        rest = " ".join(x for x in (p.get("roepnaam"), p.get("voorvoegsel")) if x)
        return f"{p['achternaam']}, {rest}" if rest else str(p["achternaam"])
