"""The scenario suite's pytest plugin: options, seeds, unique schools per worker, step records.

Loaded by ``scenarios/conftest.py`` (its hooks are re-exported there), so it is active wherever
the package is, in a checkout or installed. What it adds:

* the ``scenario`` marker;
* ``--against CONFIG``: run against already-running services instead of the in-process harness;
  ``--testcentrum-driver SPEC``: which testcentrum driver to use (see scenarios/driver.py).
* ``--scenario-seed N``: the run's seed; each scenario's seed is derived from it and its name, so
  ``koppeling scenario run NAME --seed N`` replays a scenario with the same data.
* a run-wide nonce handed to every xdist worker, so each worker allocates disjoint schools.
* per scenario a record (steps, schools, seed, outcome, the journal of its schools) written to
  ``--scenario-out DIR`` for the HTML report; JUnit properties ``seed``/``school``/``replay``; on
  failure a "scenario replay" section with the seed and the command that replays it.
* ``--scenario-progress``: one line per finished scenario (also with xdist).
"""

from __future__ import annotations

import json
import re
import secrets
import zlib
from pathlib import Path
from typing import Any

import pytest

from scenarios.support.schools import new_nonce

RECORD = pytest.StashKey[dict[str, Any]]()
NAME_RE = re.compile(r"[^A-Za-z0-9_.\-\[\]]+")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("koppeling scenarios")
    group.addoption(
        "--against",
        metavar="CONFIG",
        default=None,
        help="run against already-running services (TOML/JSON: service -> URL)",
    )
    group.addoption(
        "--testcentrum-driver",
        metavar="SPEC",
        default=None,
        help="testcentrum driver: 'stand-in', 'module:factory' or an entry-point name",
    )
    group.addoption(
        "--scenario-seed",
        type=int,
        default=None,
        help="seed of the run (default: random, printed on failure)",
    )
    group.addoption(
        "--scenario-out",
        metavar="DIR",
        default=None,
        help="write one JSON record per scenario (steps, journal) into DIR",
    )
    group.addoption(
        "--scenario-progress",
        action="store_true",
        default=False,
        help="print one line per finished scenario",
    )
    group.addoption(
        "--scenario-names",
        metavar="A,B",
        default=None,
        help="run only these scenarios (a name, or a base name for all its variants)",
    )
    group.addoption(
        "--scenario-list",
        metavar="FILE",
        default=None,
        help="write the collected scenarios (name, doc, markers) as JSON to FILE",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario: end-to-end scenario tests across all mocks")
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "koppeling_seed" in workerinput:
        config.koppeling_seed = int(workerinput["koppeling_seed"])  # type: ignore[attr-defined]
        config.koppeling_nonce = int(workerinput["koppeling_nonce"])  # type: ignore[attr-defined]
        return
    seed = config.getoption("--scenario-seed", None)
    config.koppeling_seed = seed if seed is not None else secrets.randbelow(2**31)  # type: ignore[attr-defined]
    config.koppeling_nonce = new_nonce()  # type: ignore[attr-defined]
    if config.getoption("--scenario-progress", False):
        config.pluginmanager.register(Progress(config), "koppeling-scenario-progress")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist (controller): give every worker the run's seed and school nonce."""
    node.workerinput["koppeling_seed"] = node.config.koppeling_seed
    node.workerinput["koppeling_nonce"] = node.config.koppeling_nonce


def run_seed(config: pytest.Config) -> int:
    return int(config.koppeling_seed)  # type: ignore[attr-defined]


def worker_slot(config: pytest.Config) -> tuple[int, int]:
    """(this worker's index, number of workers); (0, 1) without xdist."""
    workerinput = getattr(config, "workerinput", None)
    if not workerinput:
        return 0, 1
    index = int(str(workerinput.get("workerid", "gw0")).removeprefix("gw") or 0)
    return index, int(workerinput.get("workercount", 1))


def scenario_name(item: pytest.Item) -> str:
    """``test_key_issuance[esis]`` -> ``key_issuance[esis]``."""
    return item.name.removeprefix("test_")


def scenario_seed(run: int, name: str) -> int:
    return zlib.crc32(f"{run}:{name}".encode()) & 0x7FFFFFFF


def replay_command(name: str, run: int, against: str | None = None) -> str:
    base = name.split("[")[0]
    cmd = f"koppeling scenario run {base} --seed {run}"
    return cmd + (f" --against {against}" if against else "")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    record = item.stash.get(RECORD, None)
    if record is None:
        return report
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        record["outcome"] = "xfailed" if hasattr(report, "wasxfail") else report.outcome
        record["duration"] = round(report.duration, 3)
        if report.failed:
            record["failure"] = str(report.longreprtext)[-6000:]
            report.sections.append(("scenario replay", _replay_text(record)))
    return report


def _replay_text(record: dict[str, Any]) -> str:
    return (
        f"scenario {record['name']}: seed {record['seed']} (run seed {record['run_seed']}), "
        f"school(s) {', '.join(record.get('schools') or []) or '-'}\n"
        f"replay: {record['replay']}"
    )


def write_record(config: pytest.Config, item: pytest.Item, record: dict[str, Any]) -> None:
    """Write the scenario's record (for the HTML report), if ``--scenario-out`` was given."""
    out = config.getoption("--scenario-out", None)
    if not out:
        return
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    name = NAME_RE.sub("_", item.nodeid)[-150:]
    (folder / f"{name}.json").write_text(
        json.dumps(record, indent=1, default=str), encoding="utf-8"
    )


@pytest.hookimpl(wrapper=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    """With ``--scenario-progress`` the per-scenario lines replace pytest's dots."""
    result = yield
    if result and config.getoption("--scenario-progress", False) and config.get_verbosity() <= 0:
        category, _letter, word = result
        return category, "", word
    return result


class Progress:
    """With ``--scenario-progress``: ``PASSED   key_issuance (1.2s)`` per finished scenario.

    Registered on the controller only; with xdist it sees the workers' reports too."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.done = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        self.done += 1
        name = report.nodeid.split("::")[-1].removeprefix("test_")
        reporter.write_line(
            f"[{self.done:3}] {report.outcome.upper():8} {name} ({report.duration:.1f}s)"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--scenario-names`` selection; ``--scenario-list FILE`` for ``koppeling scenario list``."""
    _select(config, items)
    _write_list(config, items)


UNKNOWN_NAME_EXIT = 4


def _select(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = [
        n.strip()
        for n in (config.getoption("--scenario-names", None) or "").split(",")
        if n.strip()
    ]
    if not wanted:
        return
    scenarios = [i for i in items if i.get_closest_marker("scenario") is not None]
    names = {scenario_name(i) for i in scenarios}
    unknown = [w for w in wanted if w not in names and w not in {n.split("[")[0] for n in names}]
    if unknown:
        known = ", ".join(sorted({n.split("[")[0] for n in names}))
        pytest.exit(f"no scenario named {unknown[0]!r}. Known: {known}", UNKNOWN_NAME_EXIT)
    keep = [
        i
        for i in scenarios
        if scenario_name(i) in wanted or scenario_name(i).split("[")[0] in wanted
    ]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


def _write_list(config: pytest.Config, items: list[pytest.Item]) -> None:
    target = config.getoption("--scenario-list", None)
    if not target:
        return
    rows = []
    for item in items:
        if item.get_closest_marker("scenario") is None:
            continue
        doc = (getattr(item, "obj", None).__doc__ or "").strip()
        summary = " ".join(doc.split("\n\n")[0].split())  # the first paragraph, on one line
        rows.append(
            {
                "name": scenario_name(item),
                "nodeid": item.nodeid,
                "doc": summary,
                "markers": sorted(
                    {m.name for m in item.iter_markers()} - {"scenario", "parametrize"}
                ),
            }
        )
    Path(target).write_text(json.dumps(rows, indent=1), encoding="utf-8")
