"""Schemathesis over every service's ``/openapi.json``, over real HTTP: no 5xx on any generated
request, and every answer conforms to the document (status code, content type, body schema).

Bounded for ``./dev test``: a few examples per operation, generation only, no deadline, no
example database, derandomized (the same examples every run). Not checked: that every
schema-valid request is accepted — some rules (a schooljaar's years follow each other, a date
exists, a mailbox search needs a query) are the service's, beyond what JSON Schema can say, and
they answer a documented 4xx problem.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import positive_data_acceptance

from koppeling.harness.process import Harness
from koppeling.harness.services import SERVICES

EXAMPLES_PER_OPERATION = 6


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Harness]:
    """A harness of its own: the fuzzer's schools and mails meet no other test's."""
    with Harness() as running:
        yield running


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_openapi_conformance_and_no_5xx(fuzzed: Harness, service: str) -> None:
    base = fuzzed.url(service)
    core = fuzzed.core
    assert core is not None
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples every run: a gate, not a slot machine
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=base, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except BaseException as exc:  # the FailureGroup of one operation: collect them all
            failures.append(f"{operation.label}: {exc}")
        failures.extend(f"{operation.label}: {error!r}" for error in core.errors)
        core.errors.clear()
    assert not failures, "\n\n".join(failures)
