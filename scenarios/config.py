"""Reading ``--against CONFIG``: where already-running services are, and which driver to use.

A TOML or JSON file::

    [services]                 # service -> base URL (all six)
    testcentrum = "http://127.0.0.1:8400"
    parnassys = "http://127.0.0.1:8401"
    ...
    [testcentrum]
    driver = "stand-in"        # or "package.module:factory", or an entry-point name
    can_set_clock = true       # false for a real testcentrum whose clock cannot be moved
    [driver_options]           # passed to the driver factory as keyword arguments

Service URLs may also sit at the top level (``testcentrum = "http://…"``).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.support.partners import SERVICES


@dataclass
class AgainstConfig:
    """Already-running services to run the scenarios against."""

    urls: dict[str, str]
    driver: str | None = None
    can_set_clock: bool = True
    driver_options: dict[str, Any] = field(default_factory=dict)


def load_against(path: Path) -> AgainstConfig:
    """Parse a config file; a clear ValueError names what is missing or wrong."""
    if not path.is_file():
        raise ValueError(f"--against: no such file {path}")
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"--against {path}: cannot parse: {exc}") from None
    return parse_against(data, str(path))


def parse_against(data: dict[str, Any], origin: str = "config") -> AgainstConfig:
    services = data.get("services")
    if not isinstance(services, dict):
        services = {k: v for k, v in data.items() if k in SERVICES and isinstance(v, str)}
    missing = [s for s in SERVICES if s not in services]
    if missing:
        raise ValueError(
            f"{origin}: no URL for {', '.join(missing)} (need all of {', '.join(SERVICES)})"
        )
    section = data.get("testcentrum")
    tc: dict[str, Any] = section if isinstance(section, dict) else {}
    return AgainstConfig(
        urls={k: str(v).rstrip("/") for k, v in services.items()},
        driver=tc.get("driver"),
        can_set_clock=bool(tc.get("can_set_clock", True)),
        driver_options=dict(data.get("driver_options") or {}),
    )


# Retries and polls tuned for scenarios: a Schoolkr8 outage of a few requests costs seconds, not
# minutes; the forwarder times out quickly so "slow Schoolkr8" is a short scenario.
SCENARIO_OPTIONS: dict[str, dict[str, Any]] = {
    "testcentrum": {
        "poll_interval": 0.05,
        "forwarder": {
            "backoff_base": 0.1,
            "backoff_max": 1.0,
            "timeout": 1.0,
            "poll_interval": 0.05,
            "hold_interval": 0.2,
        },
    },
}
