"""One route table registers the views and describes them in /openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Flask

from koppeling.harness.routes import Route, add_routes


def show(id: int) -> Any:
    """Show one thing.

    More text that is not the summary."""
    return {"id": id}


def rename(brincode: str, naam: str) -> Any:
    return {"brincode": brincode, "naam": naam}


def app_with_routes() -> Flask:
    app = Flask(__name__)
    add_routes(
        app,
        "Test",
        [
            Route("GET", "/dingen/{id:int}", show, responses={"200": "OK", "404": "Unknown"}),
            Route(
                "PUT",
                "/scholen/{brincode}/{naam}",
                rename,
                summary="Rename",
                request_schema="las_sleutel",
            ),
        ],
    )
    return app


def test_routes_are_served_with_their_converters() -> None:
    client = app_with_routes().test_client()
    assert client.get("/dingen/7").json == {"id": 7}
    assert client.get("/dingen/zeven").status_code == 404
    assert client.put("/scholen/99AB/x").json == {"brincode": "99AB", "naam": "x"}
    assert client.get("/scholen/99AB/x").status_code == 405


def test_openapi_comes_from_the_same_table() -> None:
    doc = app_with_routes().test_client().get("/openapi.json").json
    assert doc["info"]["title"] == "Test"
    assert set(doc["paths"]) == {"/dingen/{id}", "/scholen/{brincode}/{naam}"}
    get = doc["paths"]["/dingen/{id}"]["get"]
    assert get["summary"] == "Show one thing."
    assert get["parameters"][0]["schema"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 2**63 - 1,
    }
    assert "application/problem+json" in get["responses"]["404"]["content"]
    put = doc["paths"]["/scholen/{brincode}/{naam}"]["put"]
    assert put["summary"] == "Rename"
    assert [p["name"] for p in put["parameters"]] == ["brincode", "naam"]
    assert "$schema" not in put["requestBody"]["content"]["application/json"]["schema"]
