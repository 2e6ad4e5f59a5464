"""Fixtures of the scenario suite: partners, driver, a fresh school per scenario, step records.

Layers, each overridable by name: ``scenario_options`` / ``partners`` (session: the scenarios' own
in-process harness, ``scenario_harness``, or ``--against CONFIG``) -> ``driver`` (session: the
testcentrum driver) -> ``scenario`` (per test: seed, steps, fresh schools; its record and the
journal of its schools go to the report). Scenarios never reset the shared journal or clear
faults wholesale, so they can run in parallel against one harness.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from koppeling.client import ProblemError
from koppeling.harness.config import HarnessConfig
from koppeling.harness.process import Harness
from koppeling.testing.pgfixtures import pg_cluster, pg_database, store_under_test  # noqa: F401
from scenarios.config import SCENARIO_OPTIONS, AgainstConfig, load_against
from scenarios.driver import TestcentrumDriver, load_driver
from scenarios.plugin import (  # noqa: F401  (hooks re-exported for pytest)
    RECORD,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_configure_node,
    pytest_report_teststatus,
    pytest_runtest_makereport,
    replay_command,
    run_seed,
    scenario_name,
    scenario_seed,
    worker_slot,
    write_record,
)
from scenarios.support.partners import Partners
from scenarios.support.restart import Restarter
from scenarios.support.schools import SchoolAllocator
from scenarios.support.steps import Options, Scenario


@pytest.fixture(scope="session")
def against_config(pytestconfig: pytest.Config) -> AgainstConfig | None:
    """The ``--against`` config (already-running services), or None for in-process."""
    path = pytestconfig.getoption("--against")
    if not path:
        return None
    try:
        return load_against(Path(path))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def scenario_harness_config(store_under_test: str | None) -> HarnessConfig:  # noqa: F811
    """Free ports, in-memory store (PostgreSQL with KOPPELING_TEST_STORE=postgres), embedded SMTP
    sink, fast retries (see SCENARIO_OPTIONS)."""
    return HarnessConfig(
        port_base=0, state_dir=None, store=store_under_test, options=SCENARIO_OPTIONS
    )


@pytest.fixture(scope="session")
def scenario_harness(scenario_harness_config: HarnessConfig) -> Iterator[Harness]:
    """The scenarios' own in-process harness, once per session (per xdist worker). Separate
    from the root ``harness``: tests there reset the journal, scenarios never do."""
    with Harness(scenario_harness_config) as running:
        yield running


@pytest.fixture(scope="session")
def partners(
    request: pytest.FixtureRequest, against_config: AgainstConfig | None
) -> Iterator[Partners]:
    """Clients of every partner: the in-process harness, or the ``--against`` services."""
    if against_config is not None:
        clients = Partners(dict(against_config.urls), in_process=False)
    else:
        harness = request.getfixturevalue("scenario_harness")
        clients = Partners(dict(harness.core.urls), in_process=True)
    yield clients
    clients.close()


@pytest.fixture(scope="session")
def scenario_options(
    pytestconfig: pytest.Config, partners: Partners, against_config: AgainstConfig | None
) -> Options:
    """Seed of the run and what the target allows (moving the clock, restarting the testcentrum)."""
    return Options(
        seed=run_seed(pytestconfig),
        can_set_clock=against_config.can_set_clock if against_config else True,
        can_restart=partners.in_process,
    )


@pytest.fixture(scope="session")
def driver(
    pytestconfig: pytest.Config, partners: Partners, against_config: AgainstConfig | None
) -> TestcentrumDriver:
    """The testcentrum driver: the stand-in's HTTP driver unless configured otherwise."""
    spec = pytestconfig.getoption("--testcentrum-driver") or (
        against_config.driver if against_config else None
    )
    options: dict[str, Any] = dict(against_config.driver_options) if against_config else {}
    if spec in (None, "", "stand-in"):
        options.setdefault("session", partners.pool)  # one connection pool, closed once
    return load_driver(spec, partners.urls["testcentrum"], **options)


@pytest.fixture(scope="session")
def school_allocator(pytestconfig: pytest.Config) -> SchoolAllocator:
    """Unique BRIN + vestiging per scenario, disjoint across xdist workers and runs."""
    worker, workers = worker_slot(pytestconfig)
    return SchoolAllocator(pytestconfig.koppeling_nonce, worker, workers)  # type: ignore[attr-defined]


@pytest.fixture
def scenario(
    request: pytest.FixtureRequest,
    partners: Partners,
    driver: TestcentrumDriver,
    school_allocator: SchoolAllocator,
    scenario_options: Options,
) -> Iterator[Scenario]:
    """The scenario handle: steps, fresh schools, seeded data; recorded for the report."""
    item = request.node
    name = scenario_name(item)
    seed = scenario_seed(scenario_options.seed, name)
    handle = Scenario(name, seed, partners, driver, school_allocator, scenario_options)
    against = request.config.getoption("--against")
    record: dict[str, Any] = {
        "name": name,
        "nodeid": item.nodeid,
        "seed": seed,
        "run_seed": scenario_options.seed,
        "schools": handle.school_keys,
        "doc": (item.obj.__doc__ or "").strip(),
        "replay": replay_command(name, scenario_options.seed, against),
    }
    item.stash[RECORD] = record
    item.user_properties.append(("seed", seed))
    item.user_properties.append(("replay", record["replay"]))
    yield handle
    record.update(handle.record())
    record["journal"] = handle.captured_journal or _journal(partners, record["schools"])
    for school in record["schools"]:
        item.user_properties.append(("school", school))
    write_record(request.config, item, record)


def _journal(partners: Partners, schools: list[str]) -> list[dict[str, Any]]:
    """The journal entries of the scenario's schools, all services, in order."""
    entries: dict[int, dict[str, Any]] = {}
    for school in schools:
        try:
            for entry in partners.admin("schoolkr8").journal(school=school):
                entries[int(entry["id"])] = entry
        except (ProblemError, OSError):
            continue
    return [entries[k] for k in sorted(entries)]


@pytest.fixture
def restarter(request: pytest.FixtureRequest, scenario_options: Options) -> Restarter:
    """Stop/start the stand-in testcentrum's forwarder (in-process harness only)."""
    if not scenario_options.can_restart:
        pytest.skip("restarting the testcentrum needs the in-process harness")
    return Restarter(request.getfixturevalue("scenario_harness"))
