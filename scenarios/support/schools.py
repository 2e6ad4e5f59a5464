"""Fresh schools for scenarios: a unique BRIN + vestiging each, unique mailbox addresses.

Isolation is by data (docs/architecture.md): every scenario makes its own school, so scenarios run
in parallel against one harness. A school is numbered ``index`` in a space of 676 test BRINs
(``99AA`` … ``99ZZ``) × 100 vestigingen. Each run draws a random ``nonce`` (shared by every xdist
worker of the run); worker ``w`` of ``n`` takes indices ``nonce + w + k*n`` — so workers never
collide, and runs against a long-lived harness start elsewhere. A school the LAS already knows (HTTP
409) is
skipped, which makes uniqueness hold even against a harness that has seen earlier runs.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from koppeling.client import SchoolRef

LETTERS = string.ascii_uppercase
VESTIGINGEN = 100
SPACE = len(LETTERS) ** 2 * VESTIGINGEN
MAIL_DOMAIN = "scenario.example"


def school_at(index: int) -> SchoolRef:
    """The ``index``-th school of the test space: 99AA-00, 99AA-01, …, 99ZZ-99."""
    index %= SPACE
    brin_no, dep = divmod(index, VESTIGINGEN)
    first, second = divmod(brin_no, len(LETTERS))
    return SchoolRef(f"99{LETTERS[first]}{LETTERS[second]}", f"{dep:02d}")


def new_nonce() -> int:
    return secrets.randbelow(SPACE)


class SchoolAllocator:
    """Hands out school identities, unique across the xdist workers of one run."""

    def __init__(self, nonce: int, worker: int = 0, workers: int = 1) -> None:
        if not 0 <= worker < workers:
            raise ValueError(f"worker must be in 0..{workers - 1}, got {worker}")
        self.nonce = nonce
        self.worker = worker
        self.workers = workers
        self.count = 0

    def next(self) -> SchoolRef:
        index = self.nonce + self.worker + self.count * self.workers
        self.count += 1
        return school_at(index)


def mail_address(role: str, school: SchoolRef, token: str | None = None) -> str:
    """A mail address unique to this school and scenario: ``role.99ab07.k3x9@scenario.example``."""
    token = token or secrets.token_hex(3)
    return f"{role}.{school.brincode.lower()}{school.dependancecode}.{token}@{MAIL_DOMAIN}"


@dataclass
class School:
    """Everything a scenario knows about its school, gathered as the flow goes."""

    ref: SchoolRef
    las: str
    schooljaar: str
    naam: str
    beheerder_email: str
    contact_email: str
    pupils: list[dict[str, Any]] = field(default_factory=list)
    las_key: str | None = None
    koppeling_id: str | None = None
    sk8_key: str | None = None
    sk8_pupils: dict[str, str] = field(default_factory=dict)  # leerlingnummer -> Schoolkr8 id

    @property
    def key(self) -> str:
        return self.ref.key

    def numbers(self) -> list[str]:
        return [str(p["leerlingnummer"]) for p in self.pupils]
