"""Unique test schools: the allocator never hands two workers of a run the same BRIN + vestiging."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from koppeling.harness.schools import check_brincode, check_dependancecode
from scenarios.support.schools import SPACE, SchoolAllocator, mail_address, school_at


def test_school_at_covers_the_test_range() -> None:
    assert school_at(0).key == "99AA-00"
    assert school_at(1).key == "99AA-01"
    assert school_at(100).key == "99AB-00"
    assert school_at(SPACE - 1).key == "99ZZ-99"
    assert school_at(SPACE).key == "99AA-00"


@settings(deadline=None)  # timing on a loaded CI box is not what is tested
@given(st.integers(0, SPACE - 1))
def test_every_school_is_a_valid_test_school(index: int) -> None:
    ref = school_at(index)
    assert check_brincode(ref.brincode).startswith("99")
    assert check_dependancecode(ref.dependancecode) == ref.dependancecode


@settings(deadline=None)
@given(nonce=st.integers(0, SPACE - 1), workers=st.integers(1, 8), per_worker=st.integers(1, 60))
def test_workers_of_one_run_never_share_a_school(nonce: int, workers: int, per_worker: int) -> None:
    seen: set[str] = set()
    for w in range(workers):
        allocator = SchoolAllocator(nonce, w, workers)
        for _ in range(per_worker):
            key = allocator.next().key
            assert key not in seen
            seen.add(key)


def test_mail_addresses_are_unique_per_call() -> None:
    ref = school_at(42)
    a, b = mail_address("beheerder", ref), mail_address("beheerder", ref)
    assert a != b
    assert a.startswith("beheerder.99aa42.") and a.endswith("@scenario.example")
