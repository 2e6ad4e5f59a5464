"""``--against`` configs and plugging in a testcentrum driver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses

from scenarios import driver as drivers
from scenarios.config import load_against, parse_against
from scenarios.driver import DriverError, HttpTestcentrumDriver, SchoolRef, load_driver

URLS = {
    s: f"http://127.0.0.1:{9000 + i}"
    for i, s in enumerate(
        ("testcentrum", "parnassys", "esis", "schoolkr8", "klantenservice", "mailbox")
    )
}


def test_toml_config_with_driver(tmp_path: Path) -> None:
    services = "\n".join(f'{k} = "{v}/"' for k, v in URLS.items())
    path = tmp_path / "against.toml"
    path.write_text(
        f'[services]\n{services}\n[testcentrum]\ndriver = "pkg.mod:make"\n'
        "can_set_clock = false\n[driver_options]\ntimeout = 3\n"
    )
    config = load_against(path)
    assert config.urls["testcentrum"] == URLS["testcentrum"]
    assert (config.driver, config.can_set_clock) == ("pkg.mod:make", False)
    assert config.driver_options == {"timeout": 3}


def test_json_config_flat(tmp_path: Path) -> None:
    path = tmp_path / "against.json"
    path.write_text(json.dumps(URLS))
    config = load_against(path)
    assert config.urls == URLS and config.driver is None and config.can_set_clock


def test_missing_service_is_named() -> None:
    partial = {k: v for k, v in URLS.items() if k != "schoolkr8"}
    with pytest.raises(ValueError, match="no URL for schoolkr8"):
        parse_against(partial)


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        load_against(tmp_path / "nope.toml")


class OtherDriver(HttpTestcentrumDriver):
    """A driver for "another testcentrum" (here: the HTTP driver under another name)."""

    name = "other"


def make_other(base_url: str, **options: Any) -> OtherDriver:
    return OtherDriver(base_url, **options)


def make_nothing(base_url: str, **options: Any) -> object:
    return object()


def test_load_driver_default_and_by_module_path() -> None:
    assert isinstance(load_driver(None, "http://x"), HttpTestcentrumDriver)
    driver = load_driver(f"{__name__}:make_other", "http://x", timeout=2.0)
    assert isinstance(driver, drivers.TestcentrumDriver) and driver.name == "other"


def test_load_driver_refuses_non_drivers_and_unknown_names() -> None:
    with pytest.raises(TypeError, match="does not implement TestcentrumDriver"):
        load_driver(f"{__name__}:make_nothing", "http://x")
    with pytest.raises(ValueError, match="unknown testcentrum driver"):
        load_driver("no-such-entry-point", "http://x")
    with pytest.raises(ValueError, match="has no 'missing'"):
        load_driver(f"{__name__}:missing", "http://x")


@responses.activate
def test_driver_error_carries_the_problem() -> None:
    responses.put(
        "http://tc/api/scholen/99AB/00/las-koppeling",
        status=422,
        json={"title": "Ongeldig", "detail": "schooljaar klopt niet", "field": "schooljaar"},
    )
    driver = HttpTestcentrumDriver("http://tc")
    with pytest.raises(DriverError) as caught:
        driver.save_las_settings(
            SchoolRef("99AB"), las="esis", schooljaar="2026-2027", autorisatiesleutel="k"
        )
    assert caught.value.status == 422
    assert "schooljaar klopt niet (field schooljaar)" in str(caught.value)


@responses.activate
def test_dashboard_status_never_requested_is_none() -> None:
    responses.get(
        "http://tc/api/scholen/99AB/01/dashboard-koppeling",
        status=404,
        json={"title": "Niet gevonden"},
    )
    assert (
        HttpTestcentrumDriver("http://tc").dashboard_status(SchoolRef("99AB", "01")).status is None
    )
