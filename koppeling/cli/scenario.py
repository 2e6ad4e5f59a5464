"""``koppeling scenario list`` / ``koppeling scenario run``: the scenario suite for QA, by name.

A standalone click group (``scenario``) that :mod:`koppeling.cli.main` attaches to the
``koppeling`` group.
``run`` starts pytest on the ``scenarios`` package in a child process (a clean interpreter: the
in-process harness, xdist workers and the ``--against`` services all behave as under plain
pytest), streams its progress, then writes the self-contained HTML report from the per-scenario
records the scenario plugin wrote, beside pytest's JUnit XML. A failing scenario is listed with its
seed and the command that replays it; a run that did not get as far as the JUnit XML reports no
files and exits non-zero.

The child finds the scenarios where this process imports them from — a checkout or an installed
package (site-packages) alike — and takes its pytest settings from ``scenarios/pytest-run.ini``
(shipped with the package), never from whatever configuration the current directory holds.
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

UNKNOWN_NAME_EXIT = 4  # pytest.exit code of the scenario plugin for an unknown name


def scenarios_dir() -> Path:
    """The folder of the ``scenarios`` package: in the checkout, or in site-packages."""
    import scenarios

    return Path(scenarios.__path__[0]).resolve()


def pytest_command(*args: str) -> list[str]:
    """pytest on the scenarios package with its own settings, rooted at the package's parent."""
    package = scenarios_dir()
    return [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(package / "pytest-run.ini"),
        "--rootdir",
        str(package.parent),
        str(package),
        *args,
    ]


def collect(extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The scenarios pytest collects: ``name``, ``nodeid``, ``doc``, ``markers``."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "list.json"
        proc = subprocess.run(
            pytest_command(
                "-m",
                "scenario",
                "--collect-only",
                "-q",
                "--scenario-list",
                str(target),
                *extra,
            ),
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
    records, junit, report = out / "records", out / "junit.xml", out / "report.html"
    _clear(records, junit, report)
    if names and workers:  # xdist workers collect on their own: check the names here, up front
        _check_names(names)
    click.echo(
        f"running {', '.join(names) or 'all scenarios'}, seed {seed}"
        + (f", against {against}" if against else ", in-process harness")
    )
    code = _stream(
        pytest_command(
            *_run_args(seed, records, junit), *_target_args(names, against, driver, workers)
        )
    )
    if code == UNKNOWN_NAME_EXIT:
        raise click.UsageError("pytest refused the run (see above), e.g. an unknown scenario name")
    if not junit.is_file():
        raise click.ClickException(
            f"the scenarios did not run: pytest exited with code {code} before writing "
            f"{junit.name} (its output is above); no JUnit XML or HTML report was written"
        )
    # the report (jinja2) only here: every other command, `up` among them, starts without it
    from koppeling.report import load_records, write_report

    write_report(records, report, run_seed=seed)
    _summary(load_records(records), junit, report)
    ctx.exit(code)


def _clear(records: Path, junit: Path, report: Path) -> None:
    """Remove what an earlier run wrote: nothing stale may pass for this run's results."""
    shutil.rmtree(records, ignore_errors=True)
    junit.unlink(missing_ok=True)
    report.unlink(missing_ok=True)
    records.mkdir(parents=True)


def _run_args(seed: int, records: Path, junit: Path) -> list[str]:
    """The scenario selection, seeds, per-scenario records and JUnit XML of a run."""
    return [
        "-m",
        "scenario",
        "-q",
        "--no-header",
        "--scenario-progress",
        "--scenario-seed",
        str(seed),
        "--hypothesis-seed",
        str(seed),
        "--scenario-out",
        str(records),
        "--junitxml",
        str(junit),
    ]


def _target_args(
    names: tuple[str, ...], against: Path | None, driver: str | None, workers: int
) -> list[str]:
    """Which scenarios, against what, with which driver, on how many workers."""
    args = ["--scenario-names", ",".join(names)] if names else []
    if against is not None:
        args += ["--against", str(against.resolve())]
    if driver:
        args += ["--testcentrum-driver", driver]
    if workers:
        args += ["-n", str(workers)]
    return args


def _check_names(names: tuple[str, ...]) -> None:
    known = {row["name"] for row in collect()}
    bases = {n.split("[")[0] for n in known}
    for name in names:
        if name not in known and name not in bases:
            raise click.UsageError(f"no scenario named {name!r}. Known: {', '.join(sorted(bases))}")


def _stream(cmd: list[str]) -> int:
    """Run ``cmd``, echoing its output line by line as it comes."""
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
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
