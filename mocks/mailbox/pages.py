"""Mailbox pages: the list of caught messages and one message, as text and as (sandboxed) HTML.

The beheerder's inbox in the demo: here the autorisatiesleutel from Schoolkr8 and the approval
from Boom klantenservice arrive. The pages read the mailbox's own Mailpit-style API over HTTP.
The HTML of a message is shown in an ``<iframe sandbox srcdoc>``: no scripts, no same-origin
access, so a hostile e-mail cannot touch the page that shows it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request
from werkzeug.wrappers import Response

from koppeling import web
from koppeling.client.http import ProblemError, Unreachable
from koppeling.harness.service import Core
from koppeling.web import Api
from mocks.mailbox.service import SERVICE


def register(app: Flask, core: Core, options: dict[str, Any] | None = None) -> None:
    """Mount the mailbox pages on the mailbox app."""
    web.install(app)
    bp = Blueprint("mailbox_pages", __name__, template_folder="templates")
    web.page_errors(bp, "Mailbox", "mailbox")
    api = Api(core, SERVICE)

    @bp.get("/")
    def berichten() -> str:
        """Every caught message, newest first; ``?aan=`` shows one recipient's inbox."""
        aan = (request.args.get("aan") or "").strip()
        try:
            data = (
                api.get("/api/v1/search", query=f"to:{aan}") if aan else api.get("/api/v1/messages")
            )
        except (ProblemError, Unreachable) as exc:
            return _render(
                "mailbox/lijst.html", berichten=[], aan=aan, onbereikbaar=web.uitleg(exc)
            )
        items = [_summary(m) for m in (data or {}).get("messages", [])]
        return _render(
            "mailbox/lijst.html",
            berichten=items,
            aan=aan,
            totaal=(data or {}).get("total", len(items)),
        )

    @bp.get("/berichten/<message_id>")
    def bericht(message_id: str) -> tuple[str, int] | str:
        """One message: headers, the text part and the HTML part."""
        try:
            data = api.get(f"/api/v1/message/{message_id}")
        except ProblemError as exc:
            return _render(
                "mailbox/bericht.html", bericht=None, onbereikbaar=web.dutch(exc.detail)
            ), exc.status
        except Unreachable as exc:
            return _render("mailbox/bericht.html", bericht=None, onbereikbaar=str(exc)), 502
        weergave = request.args.get("weergave", "html" if data.get("HTML") else "tekst")
        return _render("mailbox/bericht.html", bericht=_message(data), weergave=weergave)

    @bp.post("/berichten/verwijderen")
    def verwijderen() -> Response:
        """Empty the mailbox (every message)."""
        try:
            api.delete("/api/v1/messages")
        except (ProblemError, Unreachable):
            return redirect("/?melding=Verwijderen+mislukt", code=303)
        return redirect("/?melding=Alle+berichten+verwijderd", code=303)

    app.register_blueprint(bp)


def _render(template: str, **ctx: Any) -> str:
    ctx.setdefault("melding", request.args.get("melding"))
    return render_template(
        template,
        brand="Mailbox",
        theme="mailbox",
        nav=[{"label": "Berichten", "url": "/", "active": True}],
        **ctx,
    )


def _address(value: Any) -> str:
    """A Mailpit address object (or list of them) as ``Naam <adres>`` text."""
    if isinstance(value, list):
        return ", ".join(_address(v) for v in value)
    if isinstance(value, dict):
        name, addr = value.get("Name") or "", value.get("Address") or ""
        return f"{name} <{addr}>" if name else addr
    return "" if value is None else str(value)


def _summary(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": m.get("ID"),
        "van": _address(m.get("From")),
        "aan": _address(m.get("To")),
        "onderwerp": m.get("Subject") or "(geen onderwerp)",
        "ontvangen": m.get("Created") or m.get("Date"),
        "fragment": m.get("Snippet") or "",
        "gelezen": m.get("Read", False),
    }


def _message(m: dict[str, Any]) -> dict[str, Any]:
    return {
        **_summary(m),
        "tekst": m.get("Text") or "",
        "html": m.get("HTML") or "",
        "datum": m.get("Date") or m.get("Created"),
    }
