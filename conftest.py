"""Fixtures shared by tests/ and contracts/ (the environment is read here, once).

Layers, each overridable by name: configuration (session) -> harness (session, started once on
free ports of 127.0.0.1) -> per-test handles (journal and faults reset before each test).
The scenarios use none of these: they bring their own fixtures and plugin (scenarios/conftest.py,
scenarios/plugin.py), because they also run from an installed package, where this file is absent.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from contracts.uwlr_xsd import DEFAULT_UWLR_DIR, UwlrFilesMissing, UwlrSchemas  # noqa: E402
from koppeling.harness.config import HarnessConfig  # noqa: E402
from koppeling.harness.process import Harness  # noqa: E402
from koppeling.testing.pgfixtures import pg_cluster, pg_database, store_under_test  # noqa: E402, F401


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
def harness_config(store_under_test: str | None) -> HarnessConfig:  # noqa: F811
    """Free ports on 127.0.0.1, an in-memory store (PostgreSQL with KOPPELING_TEST_STORE),
    the embedded SMTP sink."""
    return HarnessConfig(port_base=0, state_dir=None, store=store_under_test)


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


# --- `koppeling up` as a user runs it ------------------------------------------------------------

KOPPELING = str(Path(sys.executable).parent / "koppeling")
URL_LINE = re.compile(r"^  (.+?)\s{2,}(http://127\.0\.0\.1:\d+)$")


@contextmanager
def _koppeling_up(*args: str) -> Iterator[dict[str, str]]:
    """Run `koppeling up ARGS` until it has announced its services; yield title -> URL."""
    proc = subprocess.Popen(
        [KOPPELING, "up", "--port-base", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(x) for x in proc.stdout] + [lines.put(None)],  # type: ignore[union-attr,func-returns-value]
        daemon=True,
    ).start()
    urls: dict[str, str] = {}
    try:
        while True:
            line = lines.get(timeout=60)
            if line is None:
                raise AssertionError(f"koppeling up exited: {proc.wait()} {proc.stderr.read()}")  # type: ignore[union-attr]
            if line.startswith("  store:"):
                break
            match = URL_LINE.match(line.rstrip("\n"))
            if match:
                urls[match.group(1)] = match.group(2)
        yield urls
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    assert code == 0


@pytest.fixture(scope="session")
def koppeling_up() -> Callable[..., AbstractContextManager[dict[str, str]]]:
    """`koppeling up --port-base 0 ARGS` in a real process: ``with koppeling_up(*args) as
    urls`` gives service title -> base URL; at the end SIGTERM, and it must exit with 0."""
    return _koppeling_up
