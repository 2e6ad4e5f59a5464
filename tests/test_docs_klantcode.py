"""Every klantcode the docs show is the testcentrum's one klantcode (docs/testcentrum.md).

A LAS key works only with the klantcode it was issued for: a doc that issues keys for another
klant than the testcentrum sends by default leads a reader straight into
``Client.OngeldigeKlantIdentificatie``.
"""

from __future__ import annotations

import re
from pathlib import Path

from koppeling.client import STAND_IN_KLANT

ROOT = Path(__file__).resolve().parent.parent
# JSON and Python examples, prose ("klantcode `x`") and SOAP headers.
KLANTCODE = re.compile(r'"klantcode":\s*"([^"]*)"|klantcode `([^`]+)`|<aut:klantcode>([^<]*)<')


def test_every_documented_klantcode_is_the_testcentrums() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found = {
        f"{page.name}: {next(v for v in match.groups() if v is not None)}"
        for page in pages
        for match in KLANTCODE.finditer(page.read_text(encoding="utf-8"))
    }
    assert found, "the pattern finds the documented klantcodes"
    assert {f.split(": ", 1)[1] for f in found} == {STAND_IN_KLANT.code}, sorted(found)
    assert STAND_IN_KLANT.code == "boom-testcentrum"  # the value docs/testcentrum.md names
