"""What the journal's masker costs per body, in one process (prints figures, for A/B runs).

    .venv/bin/python bench/masker.py [--number 3000]

Why: a BrengLeerresultaten body is new with every message, so the journal writer masks each
one (a repeated body is remembered masked): ~0.1 ms a message, a tenth of a Breng's CPU. This
times :func:`koppeling.harness.keys.mask_text` and its two halves (the parsed walk and the raw
text patterns) on the side-by-side bench's Breng request and a HaalLeerlinggegevens request,
best of five runs of ``--number`` calls each. Run the two sides of an A/B interleaved.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import side_by_side as sbs  # noqa: E402

from koppeling.harness import keys  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=3000)
    args = parser.parse_args()
    bodies = {
        "Breng request": sbs.breng_request("sk8_" + "A" * 32).decode(),
        "Haal request": sbs.haal_request("pns_" + "A" * 32).decode(),
    }
    parts = {
        "mask_text": keys.mask_text,
        "of which the plain-XML path": keys._plain_xml_masked,
        "parsed walk (skipped for plain XML)": lambda text: keys._mask_parsed(text, 0),
        "raw patterns": keys._mask_flat,
    }
    for name, body in bodies.items():
        figures = []
        for part, masker in parts.items():
            runs = timeit.repeat(partial(masker, body), number=args.number, repeat=5)
            figures.append(f"{part} {min(runs) / args.number * 1e6:.1f} µs")
        print(f"{name} ({len(body):,} chars): " + ", ".join(figures))


if __name__ == "__main__":
    main()
