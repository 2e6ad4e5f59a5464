"""Without Chromium the browser tests must fail loudly with the install hint, never skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.support import CHROMIUM, require_chromium

pytestmark = pytest.mark.browser


def test_missing_chromium_fails_with_install_hint(tmp_path: Path) -> None:
    """The ``browser`` fixture's check raises pytest's *failure* (not a skip) with the hint."""
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium"):
        require_chromium(tmp_path / "no-chromium")


def test_chromium_is_installed_here() -> None:
    """On this machine (and in CI, after .ci/run) the system Chromium is there."""
    assert require_chromium(CHROMIUM) == CHROMIUM
