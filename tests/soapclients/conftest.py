"""The schools the SOAP stacks talk to, set up once per module over the admin APIs — on the
session harness (in-process, free ports of 127.0.0.1) and on a `koppeling up` of the module's
own (its default server, granian) — and each stack's runs cached so that every script runs once
per (harness, stack, WSDL, service)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from koppeling.client import STAND_IN_KLANT, Clients, SchoolRef
from koppeling.client.flows import create_las_school, number_leerlingen, schoolkr8_sleutel
from koppeling.harness.process import Harness
from koppeling.harness.services import SERVICES
from mocks.las.service import FLAVOURS
from tests.soapclients.stacks import (
    Runner,
    Stack,
    StackMissing,
    WsdlKind,
    official_wsdl,
    runner,
)

# The official EDEX schooljaar enumeration ends at 2024-2025 (docs/las.md); both stacks send it.
SCHOOLJAAR = "2024-2025"
LAS_SCHOOL = SchoolRef("97SC", "00")
SK8_SCHOOL = SchoolRef("97SK", "00")
SK8_CONTACT = "beheerder@97sk.school.test"
SK8_LEERLINGEN = ("0097000001", "0097000002")  # a plain score for the first, an osoresultaat
SCHOOLKR8_PATH = "/uwlr/leerresultaten"
KoppelingUp = Callable[..., AbstractContextManager[dict[str, str]]]


@dataclass(frozen=True)
class LasSetup:
    """One LAS flavour's school as its admin API shows it, and a key for the stand-in klant."""

    flavour: str
    endpoint: str
    school: dict[str, Any]
    leerlingen: list[dict[str, Any]]
    sleutel: str


@dataclass(frozen=True)
class Schoolkr8Setup:
    """The Schoolkr8 school: its key (from the activation mail) and the numbered pupils' ids."""

    endpoint: str
    sleutel: str
    ids: dict[str, str]  # leerlingnummer -> Schoolkr8 id


@pytest.fixture(scope="module", params=["in-process", "koppeling-up"])
def clients(request: pytest.FixtureRequest, koppeling_up: KoppelingUp) -> Iterator[Clients]:
    """The services the stacks talk to: the session's in-process harness (werkzeug), and
    `koppeling up` with its default server (granian, what a partner's developer runs): its
    HTTP (lower-case header names, hyper's framing) must suit PHP's and node's clients too."""
    if request.param == "in-process":
        harness: Harness = request.getfixturevalue("harness")
        assert harness.core is not None
        yield Clients(harness.core.urls, timeout=30)
        return
    with koppeling_up("--memory") as by_title:
        names = {spec.title: spec.name for spec in SERVICES}
        urls = {names[title]: url for title, url in by_title.items() if title in names}
        yield Clients(urls, timeout=30)


@pytest.fixture(scope="module")
def las_setups(clients: Clients) -> Iterator[dict[str, LasSetup]]:
    """School 97SC-00 with 30 pupils at ParnasSys and at ESIS, made afresh, and a key each."""
    setups = {}
    for flavour in sorted(FLAVOURS):
        las = clients.las(flavour)
        las.delete_school(LAS_SCHOOL)
        made = create_las_school(
            las, LAS_SCHOOL, STAND_IN_KLANT, schooljaar=SCHOOLJAAR, aantal_leerlingen=30, seed=11
        )
        setups[flavour] = LasSetup(
            flavour,
            clients.url(flavour) + FLAVOURS[flavour].path,
            las.school(LAS_SCHOOL),
            las.leerlingen(LAS_SCHOOL),
            made.sleutel,
        )
    yield setups
    for flavour in setups:
        clients.las(flavour).delete_school(LAS_SCHOOL)


@pytest.fixture(scope="module")
def schoolkr8_setup(clients: Clients) -> Iterator[Schoolkr8Setup]:
    """School 97SK-00 at Schoolkr8, made afresh: koppeling activated (key from the mail), two
    pupils with their leerlingnummer."""
    sk8 = clients.schoolkr8
    sk8.delete_school(SK8_SCHOOL)
    sleutel = schoolkr8_sleutel(sk8, clients.mailbox, SK8_SCHOOL, SK8_CONTACT)
    ids = number_leerlingen(sk8, SK8_SCHOOL, list(SK8_LEERLINGEN))
    yield Schoolkr8Setup(clients.url("schoolkr8") + SCHOOLKR8_PATH, sleutel.sleutel, ids)
    sk8.delete_school(SK8_SCHOOL)


@pytest.fixture(scope="module")
def runners() -> Callable[[Stack], Runner]:
    """``runners(stack)``: the stack's runner; the test FAILS (never skips) when the stack is
    missing, naming what to install."""
    found: dict[Stack, Runner] = {}

    def get(stack: Stack) -> Runner:
        if stack not in found:
            try:
                found[stack] = runner(stack)
            except StackMissing as exc:
                pytest.fail(str(exc), pytrace=False)
        return found[stack]

    return get


def wsdl_for(kind: WsdlKind, endpoint: str, uwlr_dir: Path, name: str) -> str:
    """The WSDL to load: the mock's own ``?wsdl``, or the official file (endpoint overridden)."""
    if kind == "served":
        return f"{endpoint}?wsdl"
    try:
        return str(official_wsdl(uwlr_dir, name))
    except StackMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def las_run(
    runners: Callable[[Stack], Runner], las_setups: dict[str, LasSetup], uwlr_dir: Path
) -> Callable[[Stack, WsdlKind, str], dict[str, Any]]:
    """``las_run(stack, wsdl, flavour)``: the JSON of that stack's LAS script (run once)."""
    cache: dict[tuple[Stack, WsdlKind, str], dict[str, Any]] = {}

    def run(stack: Stack, kind: WsdlKind, flavour: str) -> dict[str, Any]:
        if (stack, kind, flavour) not in cache:
            setup = las_setups[flavour]
            cache[(stack, kind, flavour)] = runners(stack).run(
                "las",
                [
                    wsdl_for(kind, setup.endpoint, uwlr_dir, "leerlinggegevens"),
                    setup.endpoint,
                    setup.sleutel,
                    STAND_IN_KLANT.code,
                    STAND_IN_KLANT.naam,
                    LAS_SCHOOL.brincode,
                    LAS_SCHOOL.dependancecode,
                    SCHOOLJAAR,
                ],
            )
        return cache[(stack, kind, flavour)]

    return run


@pytest.fixture(scope="module")
def schoolkr8_run(
    runners: Callable[[Stack], Runner], schoolkr8_setup: Schoolkr8Setup, uwlr_dir: Path
) -> Callable[[Stack, WsdlKind], dict[str, Any]]:
    """``schoolkr8_run(stack, wsdl)``: the JSON of that stack's Schoolkr8 script (run once);
    its results carry ``resultaat@key``s starting with ``<stack>-<wsdl>-``."""
    cache: dict[tuple[Stack, WsdlKind], dict[str, Any]] = {}

    def run(stack: Stack, kind: WsdlKind) -> dict[str, Any]:
        if (stack, kind) not in cache:
            setup = schoolkr8_setup
            cache[(stack, kind)] = runners(stack).run(
                "schoolkr8",
                [
                    wsdl_for(kind, setup.endpoint, uwlr_dir, "leerresultaten"),
                    setup.endpoint,
                    setup.sleutel,
                    STAND_IN_KLANT.code,
                    STAND_IN_KLANT.naam,
                    SK8_SCHOOL.brincode,
                    SK8_SCHOOL.dependancecode,
                    SCHOOLJAAR,
                    *SK8_LEERLINGEN,
                    f"{stack}-{kind}",
                ],
            )
        return cache[(stack, kind)]

    return run
