"""`koppeling up --store`, `KOPPELING_UP_STORE`, `--service-option` and `koppeling store upgrade`:
what a user gets wrong is said clearly, before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
from click.testing import CliRunner

from koppeling.cli.main import main
from koppeling.testing.pgcluster import SUPERUSER, PgCluster

KOPPELING = str(Path(sys.executable).parent / "koppeling")

UNREACHABLE = "postgresql+psycopg://qa:hunter2@127.0.0.1:1/koppeling"


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, auto_envvar_prefix="KOPPELING")
    return result.exit_code, result.output


def test_memory_and_store_exclude_each_other() -> None:
    code, output = invoke("up", "--memory", "--store", "sqlite:///x.sqlite", "--port-base", "0")
    assert code == 2 and "--memory and --store exclude each other" in output


def test_a_store_url_that_is_no_url_is_named() -> None:
    code, output = invoke("up", "--store", "not a url", "--port-base", "0")
    assert code == 2 and "--store" in output


def test_an_unreachable_store_stops_up_before_anything_starts_and_hides_the_password() -> None:
    code, output = invoke("up", "--port-base", "0", env={"KOPPELING_UP_STORE": UNREACHABLE})
    assert code == 1
    assert "cannot open the store postgresql+psycopg://qa:***@127.0.0.1:1/koppeling" in output
    assert "hunter2" not in output


def test_a_sqlite_store_url_is_made_and_private(tmp_path: Path) -> None:
    path = tmp_path / "made" / "state.sqlite"
    code, output = invoke("store", "upgrade", "--store", f"sqlite:///{path}")
    assert code == 0 and "new, made at schema revision" in output
    assert path.stat().st_mode & 0o777 == 0o600
    code, output = invoke("store", "upgrade", "--state-dir", str(path.parent))
    assert code == 0 and "nothing to do" in output


def test_store_upgrade_without_a_store_says_so(tmp_path: Path) -> None:
    code, output = invoke("store", "upgrade", "--state-dir", str(tmp_path / "none"))
    assert code == 1 and "no store at" in output


def test_a_service_option_must_name_a_service_and_hold_json() -> None:
    for bad in ("testcentrum.poll_interval", "nobody.x=1", "testcentrum=1", "testcentrum.x={"):
        code, output = invoke("up", "--memory", "--port-base", "0", "--service-option", bad)
        assert code == 2 and "--service-option" in output, bad


def test_a_store_that_refuses_to_be_made_stops_up_and_its_arbiter(
    pg_database: Callable[[], str], pg_cluster: PgCluster
) -> None:
    """`up` makes the store while the server's arbiter (already forked) builds the apps; the
    arbiter binds and forks nothing until the store is ready. Here the store can be reached and
    read (the check before the fork passes) but not written: a role without CREATE on the
    schema. `up` reports why, and its arbiter ends without having served anything."""
    url = pg_database()
    role = f"reader_{os.getpid()}"
    with psycopg.connect(
        host=pg_cluster.host, port=pg_cluster.port, user=SUPERUSER, dbname=url.rsplit("/", 1)[1]
    ) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    reader = url.replace(f"//{SUPERUSER}@", f"//{role}@")
    proc = subprocess.run(
        [KOPPELING, "up", "--port-base", "0", "--store", reader],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cannot open the store" in proc.stderr and "permission denied" in proc.stderr
    assert "koppeling is up" not in proc.stdout
    assert "Traceback" not in proc.stderr and "Booting worker" not in proc.stderr
