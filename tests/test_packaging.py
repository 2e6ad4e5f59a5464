"""A plain ``pip install`` of the project gives a working ``koppeling``: every verb runs from a
fresh venv, with nothing of the checkout on ``sys.path`` and none of its test configuration.

Everything a verb needs must be a dependency or package data: a verb that works in the dev venv
(where the test extras are installed and the checkout is importable) can still fail for a QA
engineer who ran ``pip install``. Slow (a venv and an install; pip reuses its wheel cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from koppeling.harness import migrations

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# What is not the project's source: pip's in-tree build writes build/ and *.egg-info, so it
# builds a copy, never this checkout.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "reports",
    ".koppeling", ".hypothesis",
)  # fmt: skip
INSTALL_TIMEOUT = 600
COMMAND_TIMEOUT = 300


def clean_env() -> dict[str, str]:
    """This environment without what would let the checkout or the outer run leak in."""
    leaky = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    return {
        key: value
        for key, value in os.environ.items()
        if key not in leaky and not key.startswith(("PYTEST_", "KOPPELING_"))
    }


def run(
    cmd: list[str], cwd: Path, timeout: int = COMMAND_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` in the clean environment; on a non-zero exit fail with its whole output."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} exited with {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}",
            pytrace=False,
        )
    return proc


@pytest.fixture(scope="module")
def venv_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with ``pip install <a copy of the checkout>``."""
    base = tmp_path_factory.mktemp("packaging")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    venv = base / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=base)
    bin_dir = venv / "bin"
    run([str(bin_dir / "python"), "-m", "pip", "install", str(source)], base, INSTALL_TIMEOUT)
    return bin_dir


def test_the_installed_package_and_its_data_are_what_runs(venv_bin: Path, tmp_path: Path) -> None:
    """The packages come from the venv, and so do the JSON schemas the services check bodies
    against (``contracts/schemas``, package data found by ``koppeling.harness.schemas``)."""
    probe = (
        "import scenarios; from koppeling.harness import schemas; "
        "schemas.load_schema('las_school'); print(scenarios.__file__); print(schemas.SCHEMA_DIR)"
    )
    output = run([str(venv_bin / "python"), "-c", probe], cwd=tmp_path).stdout
    for line in output.splitlines():
        assert Path(line).is_relative_to(venv_bin.parent), output


@pytest.mark.parametrize("verb", ["up", "verify"])
def test_help_of_every_server_verb(venv_bin: Path, tmp_path: Path, verb: str) -> None:
    output = run([str(venv_bin / "koppeling"), verb, "--help"], cwd=tmp_path).stdout
    assert f"Usage: koppeling {verb}" in output


def test_scenario_list_ignores_what_the_current_directory_holds(
    venv_bin: Path, tmp_path: Path
) -> None:
    """Run in a directory like a checkout whose pytest settings, conftest.py and scenarios
    package would all break pytest: the installed scenarios are listed, under their own settings."""
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "--no-such"\n')
    (tmp_path / "conftest.py").write_text('raise RuntimeError("the cwd conftest.py was loaded")\n')
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "__init__.py").write_text('raise RuntimeError("cwd scenarios")\n')
    output = run([str(venv_bin / "koppeling"), "scenario", "list"], cwd=tmp_path).stdout
    for name in ("key_issuance", "approval_email", "not_retroactive"):
        assert name in output
    assert "scenarios. Run: koppeling scenario run" in output


def test_scenario_run_writes_junit_and_report(venv_bin: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    output = run(
        [str(venv_bin / "koppeling"), "scenario", "run", "key_issuance", "--seed", "3"]
        + ["--out", str(out)],
        cwd=tmp_path,
    ).stdout
    assert "PASSED   key_issuance" in output
    assert f"JUnit XML:   {out / 'junit.xml'}" in output
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"
    assert "key_issuance" in (out / "report.html").read_text(encoding="utf-8")


def test_the_migrations_ship_in_the_package(venv_bin: Path, tmp_path: Path) -> None:
    """`koppeling store upgrade` makes a new store from the installed package's migrations."""
    url = f"sqlite:///{tmp_path}/state.sqlite"
    output = run([str(venv_bin / "koppeling"), "store", "upgrade", "--store", url], tmp_path)
    assert f"new, made at schema revision {migrations.head()}" in output.stdout
