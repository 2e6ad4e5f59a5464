"""``koppeling scenario list|run`` through click's CliRunner: progress, JUnit XML, the HTML report,
``--against`` already-running services, and a failing scenario's seed and replay command."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from koppeling.cli.scenario import scenario
from koppeling.harness.config import HarnessConfig
from koppeling.harness.process import Harness
from scenarios.config import SCENARIO_OPTIONS


@pytest.fixture(scope="module")
def running() -> Iterator[Harness]:
    """Services already running (here: a harness in this process) for ``--against``."""
    with Harness(HarnessConfig(port_base=0, state_dir=None, options=SCENARIO_OPTIONS)) as h:
        yield h


@pytest.fixture
def against(running: Harness, tmp_path: Path) -> Path:
    """A config file pointing every service at ``running``."""
    assert running.core is not None
    path = tmp_path / "against.json"
    path.write_text(json.dumps({"services": running.core.urls}))
    return path


def _junit(out: Path) -> ET.Element:
    return ET.parse(out / "junit.xml").getroot()


def test_list_names_every_core_scenario() -> None:
    result = CliRunner().invoke(scenario, ["list"])
    assert result.exit_code == 0, result.output
    for name in (
        "key_issuance",
        "approval_email",
        "pupil_number_mapping[esis]",
        "not_retroactive",
        "explorer",
    ):
        assert name in result.output
    assert "never forwarded" in result.output  # the docstrings say what each checks


def test_unknown_name_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(scenario, ["run", "no_such_scenario", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no scenario named 'no_such_scenario'" in result.output


def test_run_in_process_writes_junit_and_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(scenario, ["run", "key_issuance", "--seed", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "PASSED   key_issuance" in result.output  # progress line
    suite = _junit(out).find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["replay"] == "koppeling scenario run key_issuance --seed 5"
    html = (out / "report.html").read_text()
    assert "key_issuance" in html and "Schoolkr8 activates the koppeling" in html
    assert "<svg" in html


def test_run_against_running_services_in_parallel(against: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        scenario,
        [
            "run",
            "approval_email",
            "not_retroactive",
            "--against",
            str(against),
            "-n",
            "2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "against" in result.output
    suite = _junit(out).find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "0"


def test_failing_scenario_prints_seed_and_replay(
    against: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the activation rule broken in the running testcentrum, not_retroactive fails,
    saying what broke, with its seed and the command that replays it."""
    from mocks.testcentrum.beheer.service import DashboardKoppelingen

    monkeypatch.setattr(DashboardKoppelingen, "active_at", lambda self, school, at: True)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        scenario,
        ["run", "not_retroactive", "--against", str(against), "--seed", "11", "--out", str(out)],
    )
    assert result.exit_code == 1, result.output
    assert "must be 'niet_van_toepassing'" in result.output
    assert "FAILED not_retroactive: seed" in result.output
    assert (
        f"replay: koppeling scenario run not_retroactive --seed 11 --against {against}"
        in result.output
    )
    suite = _junit(out).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    html = (out / "report.html").read_text()
    assert "failed: <b>1</b>" in html


def test_a_run_that_did_not_run_claims_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest dying before it runs anything (here: a pytest that cannot start) makes ``run`` exit
    non-zero saying so; it names no JUnit XML or report, and a stale one is not left behind."""
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pytest.py").write_text('raise SystemExit("pytest cannot start here")\n')
    paths = [str(broken), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    out = tmp_path / "out"
    out.mkdir()
    (out / "junit.xml").write_text("<testsuites/>")  # left by an earlier run
    result = CliRunner().invoke(scenario, ["run", "key_issuance", "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "pytest cannot start here" in result.output
    assert "the scenarios did not run: pytest exited with code 1" in result.output
    assert "JUnit XML:" not in result.output and "HTML report:" not in result.output
    assert not (out / "junit.xml").exists() and not (out / "report.html").exists()
