"""Stand-ins for the klantenservice's partners, typed by its Protocols (no HTTP, no SMTP)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from koppeling.harness.mail import Mail
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from mocks.klantenservice.clients import LasStatus, PartnerOnbereikbaar

GOOD_KEY = "sk8_GoodGoodGoodGoodGoodGoodGood12"


@dataclass
class Sleutels:
    """Schoolkr8's key check: ``valid`` keys per school; ``down`` = unreachable."""

    valid: dict[str, str] = field(default_factory=dict)
    down: bool = False
    calls: int = 0

    def controleer(self, brincode: str, dependancecode: str, autorisatiesleutel: str) -> bool:
        self.calls += 1
        if self.down:
            raise PartnerOnbereikbaar("schoolkr8 down")
        return self.valid.get(f"{brincode}-{dependancecode}") == autorisatiesleutel


@dataclass
class Las:
    """The testcentrum's view of LAS koppelingen: ``active`` schools; ``down`` = unreachable."""

    active: set[str] = field(default_factory=set)
    down: bool = False

    def las_koppeling(self, brincode: str, dependancecode: str) -> LasStatus:
        if self.down:
            raise PartnerOnbereikbaar("testcentrum down")
        school = f"{brincode}-{dependancecode}"
        return LasStatus(school in self.active, "parnassys", "OBS De Klimop")


@dataclass
class Outbox:
    """A mailer that keeps what it was given; ``fail`` makes it raise like a dead SMTP server,
    ``unbuildable`` like a message that cannot be built (the mail library's ValueError)."""

    sent: list[Mail] = field(default_factory=list)
    fail: bool = False
    unbuildable: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, mail: Mail) -> str:
        if self.fail:
            raise ConnectionRefusedError("smtp down")
        if self.unbuildable:
            raise ValueError("header Subject is longer than 998 characters")
        with self.lock:
            self.sent.append(mail)
            return f"<{len(self.sent)}@test>"


@pytest.fixture
def outbox() -> Outbox:
    """Mail the klantenservice sent."""
    return Outbox()


@pytest.fixture
def sleutels() -> Sleutels:
    """Schoolkr8's key check with one valid key for 99AB-00."""
    return Sleutels({"99AB-00": GOOD_KEY})


@pytest.fixture
def las() -> Las:
    """The testcentrum with an active LAS koppeling for 99AB-00."""
    return Las({"99AB-00"})


@pytest.fixture
def core(outbox: Outbox) -> Iterator[Core]:
    """A core on an in-memory store whose mail goes to ``outbox``."""
    db = Database.memory()
    yield Core.create(db, mailer=outbox)
    db.dispose()
