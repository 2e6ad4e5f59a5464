"""The floor under `koppeling up`: one Flask route answering fixed bytes, nothing else.

bench/side_by_side.py serves it with the server `koppeling up` runs (granian, or gunicorn with
its worker class) at its settings (2 workers x 32 threads), so the table shows how much of the
distance to WireMock is the server and the framework, and how much is the harness's own work
(the key check, the journal, the generations, the answer). The answer is the file named by
KOPPELING_FLOOR_ANSWER.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, request

ANSWER = Path(os.environ["KOPPELING_FLOOR_ANSWER"]).read_bytes()
app = Flask(__name__)


@app.post("/<path:_path>")
def answer(_path: str) -> Response:
    request.get_data()  # read the request as the harness does
    return Response(ANSWER, content_type="text/xml; charset=utf-8")


@app.get("/__admin/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
