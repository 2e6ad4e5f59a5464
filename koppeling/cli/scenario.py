"""``koppeling scenario list`` / ``koppeling scenario run``: the scenario suite for QA, by name.

A standalone click group (``scenario``) that :mod:`koppeling.cli.main` attaches to the
``koppeling`` group.
``run`` starts pytest on the ``scenarios`` package in a child process (a clean interpreter: the
in-process harness, xdist workers and the ``--against`` services all behave as under plain
pytest), streams its progress, then writes the JUnit XML and the self-contained HTML report from
the per-scenario records the scenario plugin wrote. A failing scenario is listed with its seed and
the command that replays it.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import click

from koppeling.report import load_records, write_report

ROOT = Path(__file__).resolve().parent.parent.parent
SCENARIOS = "scenarios"
UNKNOWN_NAME_EXIT = 4  # pytest.exit code of the scenario plugin for an unknown name


def pytest_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]


def collect(extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The scenarios pytest collects: ``name``, ``nodeid``, ``doc``, ``markers``."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "list.json"
        proc = subprocess.run(
            pytest_command(
                SCENARIOS,
                "-m",
                "scenario",
                "--collect-only",
                "-q",
                "--scenario-list",
                str(target),
                *extra,
            ),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if not target.exists():
            raise click.ClickException(
                "could not collect the scenarios:\n" + (proc.stdout + proc.stderr)[-3000:]
            )
        return list(json.loads(target.read_text(encoding="utf-8")))


@click.group("scenario")
def scenario() -> None:
    """Named end-to-end scenarios across SOAP, REST and SMTP, with JUnit XML and an HTML report."""


@scenario.command("list")
def list_scenarios() -> None:
    """List the scenarios with what each checks."""
    rows = collect()
    width = max((len(r["name"]) for r in rows), default=10)
    for row in rows:
        lines = textwrap.wrap(row["doc"], max(40, 110 - width)) or [""]
        click.echo(f"{row['name']:<{width}}  {lines[0]}")
        for line in lines[1:]:
            click.echo(" " * (width + 2) + line)
    click.echo(f"\n{len(rows)} scenarios. Run: koppeling scenario run [NAMES] [--against CONFIG]")


@scenario.command("run")
@click.argument("names", nargs=-1)
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML/JSON config: already-running services (service -> URL), driver.",
)
@click.option(
    "--driver",
    "driver",
    default=None,
    help="Testcentrum driver: 'stand-in', 'module:factory' or an entry-point name.",
)
@click.option("--seed", type=int, default=None, help="Seed of the run (default: random).")
@click.option(
    "-n",
    "--workers",
    type=int,
    default=0,
    show_default=True,
    help="Run in parallel with pytest-xdist on this many workers.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/scenarios"),
    show_default=True,
    help="Folder for junit.xml, report.html and the per-scenario records.",
)
@click.pass_context
def run(
    ctx: click.Context,
    names: tuple[str, ...],
    against: Path | None,
    driver: str | None,
    seed: int | None,
    workers: int,
    out: Path,
) -> None:
    """Run scenarios (all, or NAMES) in-process or --against running services."""
    seed = seed if seed is not None else secrets.randbelow(2**31)
    out = out.resolve()
    records = out / "records"
    shutil.rmtree(records, ignore_errors=True)
    records.mkdir(parents=True)
    args = [
        SCENARIOS,
        "-m",
        "scenario",
        "-q",
        "--no-header",
        "-o",
        "console_output_style=classic",
        "--scenario-progress",
        "--scenario-seed",
        str(seed),
        "--hypothesis-seed",
        str(seed),
        "--scenario-out",
        str(records),
        "--junitxml",
        str(out / "junit.xml"),
        "-o",
        "junit_family=xunit2",
    ]
    if against is not None:
        args += ["--against", str(against.resolve())]
    if driver:
        args += ["--testcentrum-driver", driver]
    if workers:
        args += ["-n", str(workers)]
    if names:
        if workers:  # xdist workers collect on their own: check the names here, up front
            _check_names(names)
        args += ["--scenario-names", ",".join(names)]
    click.echo(
        f"running {', '.join(names) or 'all scenarios'}, seed {seed}"
        + (f", against {against}" if against else ", in-process harness")
    )
    code = _stream(pytest_command(*args))
    if code == UNKNOWN_NAME_EXIT:
        raise click.UsageError("pytest refused the run (see above), e.g. an unknown scenario name")
    report = write_report(records, out / "report.html", run_seed=seed)
    _summary(load_records(records), out / "junit.xml", report)
    ctx.exit(code)


def _check_names(names: tuple[str, ...]) -> None:
    known = {row["name"] for row in collect()}
    bases = {n.split("[")[0] for n in known}
    for name in names:
        if name not in known and name not in bases:
            raise click.UsageError(f"no scenario named {name!r}. Known: {', '.join(sorted(bases))}")


def _stream(cmd: list[str]) -> int:
    """Run ``cmd`` in the project root, echoing its output line by line as it comes."""
    with subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            click.echo(line.rstrip("\n"))
        return proc.wait()


def _summary(records: list[dict[str, Any]], junit: Path, report: Path) -> None:
    failed = [r for r in records if r.get("outcome") == "failed"]
    for r in failed:
        click.secho(
            f"FAILED {r['name']}: seed {r['seed']} (run seed {r['run_seed']}), "
            f"school(s) {', '.join(r.get('schools') or []) or '-'}",
            fg="red",
        )
        click.echo(f"  replay: {r['replay']}")
    click.echo(f"JUnit XML:   {junit}")
    click.echo(f"HTML report: {report}")
