"""`koppeling up --store`, `KOPPELING_UP_STORE`, `--service-option` and `koppeling store upgrade`:
what a user gets wrong is said clearly, before anything starts."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from koppeling.cli.main import main

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
