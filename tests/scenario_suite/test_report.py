"""The HTML report: self-contained (opens offline), steps and sequence diagrams per scenario."""

from __future__ import annotations

import json
import re
from pathlib import Path

from koppeling.report import load_records, render_report, write_report
from koppeling.report.sequence import collapse, messages, render_svg


def _entry(id_: int, service: str, kind: str = "http", **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": id_,
        "service": service,
        "kind": kind,
        "method": "POST",
        "path": "/api/x",
        "status": 200,
        "operation": None,
        "correlation_id": None,
        "data": {},
        "summary": "s",
        "at": "2026-11-29T10:00:00+00:00",
    }
    base.update(extra)
    return base


JOURNAL = [
    _entry(1, "parnassys", "soap", operation="HaalLeerlinggegevens", correlation_id="c1"),
    _entry(2, "testcentrum", path="/api/scholen/99AB/00/las-koppeling/import", correlation_id="c1"),
    _entry(3, "schoolkr8", path="/api/sleutels/controle"),
    _entry(4, "klantenservice", "email", data={"to": ["b@x.example"], "subject": "Goedgekeurd"}),
    _entry(
        5,
        "schoolkr8",
        "soap",
        operation="BrengLeerresultaten",
        status=500,
        data={"fault": "Client.AutorisatieOngeldig"},
    ),
    _entry(6, "testcentrum", method="GET", path="/api/scholen/99AB/00/doorsturing"),
    _entry(7, "testcentrum", method="GET", path="/api/scholen/99AB/00/doorsturing"),
]

RECORDS = [
    {
        "name": "not_retroactive",
        "outcome": "failed",
        "seed": 7,
        "run_seed": 3,
        "schools": ["99AB-00"],
        "doc": "Never before activation.",
        "replay": "koppeling scenario run not_retroactive --seed 3",
        "duration": 1.5,
        "failure": "AssertionError: afname <x> was sent",
        "journal": JOURNAL,
        "steps": [
            {"title": "a fresh school", "outcome": "passed", "duration": 0.1, "detail": []},
            {
                "title": "the early afname is never sent",
                "outcome": "failed",
                "duration": 0.2,
                "detail": ["AssertionError: sent"],
            },
        ],
    },
    {
        "name": "key_issuance",
        "outcome": "passed",
        "seed": 8,
        "run_seed": 3,
        "schools": [],
        "replay": "r",
        "steps": [],
        "journal": [],
    },
]


def test_senders_are_inferred() -> None:
    arrows = messages(JOURNAL)
    pairs = [(m.sender, m.receiver) for m in arrows]
    # the import (parent, by correlation id) is drawn before the SOAP call it caused
    assert pairs[0] == ("scenario", "testcentrum")
    assert pairs[1] == ("testcentrum", "parnassys")
    assert ("klantenservice", "schoolkr8") in pairs
    assert ("klantenservice", "mailbox") in pairs
    failed = [m for m in arrows if m.failed]
    assert len(failed) == 1 and "Client.AutorisatieOngeldig" in failed[0].label


def test_polling_is_collapsed() -> None:
    rows = collapse(messages(JOURNAL))
    assert rows[-1][1] == 2 and "…/doorsturing" in rows[-1][0].label


def test_svg_has_one_arrow_per_row_and_escapes() -> None:
    svg = render_svg(JOURNAL + [_entry(8, "schoolkr8", path="/api/<script>")])
    assert svg.count("<line") - 7 == len(collapse(messages(JOURNAL))) + 1  # 7 lifelines
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_report_is_self_contained(tmp_path: Path) -> None:
    html = render_report(RECORDS, run_seed=3)
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html), "external reference"
    assert "<style>" in html and "<svg" in html
    assert "the early afname is never sent" in html
    assert "koppeling scenario run not_retroactive --seed 3" in html
    assert html.index("not_retroactive") < html.index("key_issuance")  # failures first
    assert "failed: <b>1</b>" in html and "passed: <b>1</b>" in html


def test_write_report_from_record_files(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    for r in RECORDS:
        (records / f"{r['name']}.json").write_text(json.dumps(r))
    (records / "broken.json").write_text("{")
    assert [r["name"] for r in load_records(records)] == ["not_retroactive", "key_issuance"]
    out = write_report(records, tmp_path / "out" / "report.html")
    assert out.read_text().startswith("<!doctype html>")
