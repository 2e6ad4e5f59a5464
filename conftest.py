"""Fixtures shared by tests/ and contracts/ (the environment is read here, once).

Layers, each overridable by name: configuration (session) -> harness (session, started once on
free ports of 127.0.0.1) -> per-test handles (journal and faults reset before each test).
The scenarios use none of these: they bring their own fixtures and plugin (scenarios/conftest.py,
scenarios/plugin.py), because they also run from an installed package, where this file is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from contracts.uwlr_xsd import DEFAULT_UWLR_DIR, UwlrFilesMissing, UwlrSchemas  # noqa: E402
from koppeling.harness.config import HarnessConfig  # noqa: E402
from koppeling.harness.process import Harness  # noqa: E402


@pytest.fixture(scope="session")
def uwlr_dir() -> Path:
    """Where the official UWLR 2.2 files are (KOPPELING_UWLR_DIR, default ../shared/uwlr-2.2)."""
    return Path(os.environ.get("KOPPELING_UWLR_DIR", str(DEFAULT_UWLR_DIR)))


@pytest.fixture(scope="session")
def uwlr_schemas(uwlr_dir: Path) -> UwlrSchemas:
    """The official XSDs, compiled; fails clearly when the files are absent."""
    try:
        return UwlrSchemas(uwlr_dir)
    except UwlrFilesMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def harness_config() -> HarnessConfig:
    """Free ports on 127.0.0.1, an in-memory store, the embedded SMTP sink."""
    return HarnessConfig(port_base=0, state_dir=None)


@pytest.fixture(scope="session")
def harness(harness_config: HarnessConfig) -> Iterator[Harness]:
    """Every available service, started once per session (per xdist worker)."""
    with Harness(harness_config) as running:
        yield running


@pytest.fixture
def live(harness: Harness) -> Iterator[Harness]:
    """The session harness, its journal and faults reset before the test; server-side errors
    (exceptions inside the apps) are re-raised at teardown."""
    assert harness.core is not None
    harness.core.journal.clear()
    harness.core.faults.clear()
    harness.core.errors.clear()
    yield harness
    errors = list(harness.core.errors)
    harness.core.errors.clear()
    if errors:
        raise errors[0]
