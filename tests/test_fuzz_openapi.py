"""Schemathesis over every service's ``/openapi.json``, over real HTTP: no 5xx on any generated
request, and every answer conforms to the document (status code, content type, body schema).

Bounded for ``./dev test``: a few examples per operation, generation only, no deadline, no
example database, derandomized (the same examples every run).

Also checked (schemathesis's ``positive_data_acceptance``): a request valid by the document is
accepted — answered 2xx/3xx, or 401/403/404/409/429, never 400 or 422. So the documents say
every rule the services check on a single request (a schooljaar's years follow each other, a
date exists, a mailbox search needs a query, IDs or a Search but not both). An answer that
depends on what is stored rather than on the request (no pupils imported yet, a LAS that
refuses the saved key) is listed per operation as ``x-depends-on-state`` and allowed there only.
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
        stateful = {int(code) for code in operation.definition.raw.get("x-depends-on-state", ())}
        failed_calls: list[str] = []

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
            response = case.call(base_url=base)
            by_state = response.status_code in stateful  # noqa: B023 (check() runs right here)
            try:
                case.validate_response(
                    response, excluded_checks=[positive_data_acceptance] if by_state else []
                )
            except BaseException:  # kept: Hypothesis may call it flaky and show nothing of it
                failed_calls.append(  # noqa: B023
                    f"{case.method} {case.formatted_path} body={case.body!r} -> "
                    f"{response.status_code} {response.text[:500]!r}"
                )
                raise

        try:
            check()
        except BaseException as exc:  # the FailureGroup of one operation: collect them all
            calls = "".join(f"\n  failed call: {call}" for call in failed_calls)
            failures.append(f"{operation.label}: {exc}{calls}")
        failures.extend(f"{operation.label}: {error!r}" for error in core.errors)
        core.errors.clear()
    assert not failures, "\n\n".join(failures)
