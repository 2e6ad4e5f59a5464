"""Fault injection: scripted failures per service, path and method, permanent or counted.

Faults for the same request are taken in the order they were added, so a script like "first a SOAP
fault, then OK" is two calls: one fault with ``times: 1``, and nothing after it. A fault may be
scoped to one school (``brincode``/``dependancecode``), so scenarios sharing a harness do not take
each other's faults; the school of a request is read from its REST path or its body.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, String, Table, delete, select, update

from koppeling.harness.schemas import validate_body
from koppeling.harness.schools import school_key
from koppeling.harness.store import Database, from_row, inserted_id, metadata, watch

faults_table = Table(
    "faults",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(32), nullable=False, index=True),
    Column("path", String(512), nullable=False),
    Column("method", String(8)),
    Column("fault", String(32), nullable=False),
    Column("delay_ms", Integer, nullable=False, default=0),
    Column("code", String(64)),
    Column("remaining", Integer),  # None = every time
    Column("school", String(16)),  # None = any school
)
#: every write to the faults moves this generation: each process re-reads them only then
GENERATION = "faults"
watch(GENERATION, faults_table)

_PATH_SCHOOL = re.compile(r"/scholen/(\d{2}[A-Z]{2})/(\d{2})(?:/|$)")
_BODY_BRIN = re.compile(rb"""(?:<(?:[\w.-]+:)?brincode>|"brincode"\s*:\s*")\s*(\d{2}[A-Z]{2})""")
_BODY_DEP = re.compile(rb"""(?:<(?:[\w.-]+:)?dependancecode>|"dependancecode"\s*:\s*")\s*(\d{2})""")
_PEEK_BYTES = 64 * 1024


def school_of_request(path: str, body: bytes) -> str | None:
    """The school a request is about, as far as fault scoping needs to know: from a REST path
    (``…/scholen/99AB/00/…``), else the first ``brincode`` (+ ``dependancecode``) in a UWLR or
    JSON body. Only a peek: the views still validate everything."""
    match = _PATH_SCHOOL.search(path)
    if match:
        return school_key(match.group(1), match.group(2))
    head = body[:_PEEK_BYTES]
    brin = _BODY_BRIN.search(head)
    if brin is None:
        return None
    dep = _BODY_DEP.search(head)
    return school_key(brin.group(1).decode(), dep.group(1).decode() if dep else None)


@dataclass(frozen=True)
class Fault:
    """One scripted fault."""

    id: int
    path: str
    method: str | None
    fault: str
    delay_ms: int
    code: str | None
    remaining: int | None
    school: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "method": self.method,
            "fault": self.fault,
            "delay_ms": self.delay_ms,
            "code": self.code,
            "times": self.remaining,
            "school": self.school,
        }


def parse_fault_request(body: Any) -> dict[str, Any]:
    """Check a ``POST /__admin/faults`` body (schema ``fault``); problem details otherwise."""
    body = validate_body("fault", body)
    method = body.get("method")
    return {
        "path": body["path"],
        "method": method.upper() if method else None,
        "fault": body["fault"],
        "delay_ms": body.get("delay_ms", 0),
        "code": body.get("code"),
        "remaining": body.get("times"),
        "school": school_key(body["brincode"], body.get("dependancecode"))
        if "brincode" in body
        else None,
    }


class Faults:
    """The fault table of one harness: add, list, clear, and take the next one for a request."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # Asked once per faults generation: built once.
        self._scripted_services = select(faults_table.c.service).distinct()
        # (generation, the services with a scripted fault) as this process last read them
        self._seen: tuple[int, frozenset[str]] = (-1, frozenset())

    def add(self, service: str, spec: dict[str, Any]) -> Fault:
        with self._db.begin() as conn:
            result = conn.execute(faults_table.insert().values(service=service, **spec))
            new_id = inserted_id(result)
        return Fault(id=int(new_id), **spec)

    def list(self, service: str) -> list[Fault]:
        with self._db.read() as conn:
            rows = conn.execute(
                select(faults_table)
                .where(faults_table.c.service == service)
                .order_by(faults_table.c.id)
            )
            return [from_row(Fault, r) for r in rows]

    def clear(self, service: str | None = None) -> None:
        stmt = delete(faults_table)
        if service is not None:
            stmt = stmt.where(faults_table.c.service == service)
        with self._db.begin() as conn:
            conn.execute(stmt)

    def _scripted(self) -> frozenset[str]:
        """The services with a scripted fault, read from the store only when the faults'
        generation moved: a fault added by any process is taken by the very next request."""
        generation = self._db.generation(GENERATION)
        seen_generation, services = self._seen
        if seen_generation != generation:
            with self._db.read() as conn:
                services = frozenset(conn.execute(self._scripted_services).scalars())
            self._seen = (generation, services)
        return services

    def scripted(self, service: str) -> bool:
        """Whether ``service`` has any scripted fault (read as :meth:`take` reads it): when it
        has none, :meth:`take` takes none for any request of it."""
        return service in self._scripted()

    def take(
        self,
        service: str,
        method: str,
        path: str,
        school: Callable[[], str | None] = lambda: None,
    ) -> Fault | None:
        """The first live fault matching this request, counted down by one (if counted).

        ``school`` tells the request's school; it is only asked when a school-scoped fault is
        scripted."""
        t = faults_table
        asked: list[str | None] = []
        if not self.scripted(service):  # the common case: no fault, no write lock
            return None
        with self._db.begin() as conn:
            rows = list(conn.execute(select(t).where(t.c.service == service).order_by(t.c.id)))
            for row in rows:
                if row.method not in (None, method.upper()):
                    continue
                if not fnmatch.fnmatchcase(path, row.path):
                    continue
                if row.school is not None:
                    if not asked:
                        asked.append(school())
                    if asked[0] != row.school:
                        continue
                if row.remaining is not None:
                    if row.remaining <= 1:
                        conn.execute(delete(t).where(t.c.id == row.id))
                    else:
                        conn.execute(
                            update(t).where(t.c.id == row.id).values(remaining=row.remaining - 1)
                        )
                return from_row(Fault, row)
        return None
