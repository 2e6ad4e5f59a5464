"""Provider states: every name declared once, each bound to the mocks' own setup API.

The consumer cases say ``given(LAS_SCHOOL, brincode=…)``; provider verification (of our mocks in the
test suite, or of a running harness with ``koppeling verify``) reaches those states through
:class:`StateServer`, a tiny HTTP state-change endpoint that calls :class:`Setup` — plain HTTP
calls to the partner's REST and ``/__admin`` API, the same vocabulary scenarios use. A real partner
implements the same names behind its own ``--state-change-url`` (docs/contracts.md lists them).

State values only the provider can know (a freshly issued key, an aanvraag id, the LAS's "now")
are returned to the verifier, which writes them into the replayed request (provider-state
generators). A handler that fails answers 400 — the verifier then fails that interaction at once
instead of retrying a 5xx for two minutes — and the error is recorded for the report.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, Response, jsonify, request

from contracts.beheerder import BeheerderMail, read_key
from contracts.pactkit import ESIS, KLANTENSERVICE, PARNASSYS, SCHOOLKR8
from koppeling.harness.server import ServerThread

# --- the state names (the one declaration) ------------------------------------------------------

LAS_SCHOOL = "the LAS has a school with pupils and an autorisatiesleutel for this klant"
LAS_SCHOOL_UNCHANGED = (
    "the LAS has a school whose data did not change since laatstontvangengegevens"
)
SK8_KOPPELING = "Schoolkr8 has an active koppeling for the school"
SK8_PUPIL = "Schoolkr8 has an active koppeling and a pupil with this leerlingnummer"
SK8_DELIVERED = "Schoolkr8 already received this result for this pupil"
KS_BY_HAND = "the klantenservice handles the school's requests by hand"
KS_APPROVED = "the klantenservice approved an aanvraag for the school"
KS_REJECTED = "the klantenservice rejected an aanvraag for the school with a reason"

# What each state means, for partners (docs/contracts.md is written from the same words).
MEANING: dict[str, str] = {
    LAS_SCHOOL: "School {brincode}-{dependancecode} exists for {schooljaar} with at least one "
    "group, pupil and teacher; a key is issued for klant {klantcode}/{klantnaam}. Returns "
    "{autorisatiesleutel}.",
    LAS_SCHOOL_UNCHANGED: "As above, and nothing changed after the moment returned as "
    "{laatstontvangengegevens} (ISO-8601 with offset). Returns {autorisatiesleutel, "
    "laatstontvangengegevens}.",
    SK8_KOPPELING: "School {brincode}-{dependancecode} has an activated koppeling; its key was "
    "issued. Returns {autorisatiesleutel}.",
    SK8_PUPIL: "As above, and a pupil of that school has leerlingnummer {leerlingnummer} "
    "(typed in via Wijzig leerlingnummer). Returns {autorisatiesleutel}.",
    SK8_DELIVERED: "As above, and the very result the interaction sends (the testcentrum's afname "
    "{afname_id}, same resultaat@key) was already received once. Returns {autorisatiesleutel}.",
    KS_BY_HAND: "Requests of school {brincode}-{dependancecode} wait for a human decision (the "
    "answer to a new request is status in_behandeling).",
    KS_APPROVED: "An aanvraag of school {brincode}-{dependancecode} for {type_dashboard} was "
    "approved. Returns {id}.",
    KS_REJECTED: "An aanvraag of school {brincode}-{dependancecode} was rejected with reason "
    "{reden}. Returns {id}.",
}

PROVIDER_STATES: dict[str, tuple[str, ...]] = {
    PARNASSYS: (LAS_SCHOOL, LAS_SCHOOL_UNCHANGED),
    ESIS: (LAS_SCHOOL, LAS_SCHOOL_UNCHANGED),
    SCHOOLKR8: (SK8_KOPPELING, SK8_PUPIL, SK8_DELIVERED),
    KLANTENSERVICE: (KS_BY_HAND, KS_APPROVED, KS_REJECTED),
}


class SetupError(RuntimeError):
    """A setup call to the mock failed; the message names the call and the answer."""


# --- the mocks' setup API ------------------------------------------------------------------------


@dataclass
class Setup:
    """HTTP calls to a harness's setup API: ``base_url`` is the provider, ``mailbox_url`` the
    SMTP sink's Mailpit-style API (for keys that only travel by e-mail)."""

    base_url: str
    mailbox_url: str | None = None
    timeout: float = 10.0
    session: requests.Session = field(default_factory=requests.Session)

    def close(self) -> None:
        """Close the HTTP session (its pooled connections)."""
        self.session.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        ok: tuple[int, ...] = (200, 201, 202),
        base: str | None = None,
        **kwargs: Any,
    ) -> Any:
        url = (base or self.base_url).rstrip("/") + path
        resp = self.session.request(method, url, timeout=self.timeout, **kwargs)
        if resp.status_code not in ok:
            raise SetupError(f"{method} {url} -> {resp.status_code}: {resp.text[:300]}")
        return resp.json() if resp.content else {}

    # LAS -------------------------------------------------------------------------------------

    def las_school(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Create (or reuse) the school in the LAS and issue a key for the klant."""
        brin, dep = params["brincode"], params.get("dependancecode", "00")
        self.call(
            "POST",
            "/api/scholen",
            ok=(201, 409),
            json={
                "brincode": brin,
                "dependancecode": dep,
                "schooljaar": params["schooljaar"],
                "naam": params.get("naam", f"Testschool {brin}"),
                "aantal_leerlingen": int(params.get("aantal_leerlingen", 3)),
                "seed": 2026,
            },
        )
        key = self.call(
            "POST",
            f"/api/scholen/{brin}/{dep}/sleutels",
            json={"klantcode": params["klantcode"], "klantnaam": params["klantnaam"]},
        )
        return {"autorisatiesleutel": key["autorisatiesleutel"]}

    def las_unchanged(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The school and key, plus a moment after which nothing changed (the school's now)."""
        values = self.las_school(params)
        brin, dep = params["brincode"], params.get("dependancecode", "00")
        clock = self.call("GET", f"/__admin/clock?brincode={brin}&dependancecode={dep}")
        values["laatstontvangengegevens"] = clock["now"]
        return values

    # Schoolkr8 -------------------------------------------------------------------------------

    def sk8_koppeling(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Request and activate a koppeling; the key is read from the e-mail it sends."""
        brin, dep = params["brincode"], params.get("dependancecode", "00")
        email = f"beheerder-{uuid.uuid4().hex[:12]}@{brin.lower()}.school.test"
        made = self.call(
            "POST",
            "/api/koppelingen",
            json={"brincode": brin, "dependancecode": dep, "contact_email": email},
        )
        self.call("POST", f"/api/koppelingen/{made['id']}/activeren")
        return {"autorisatiesleutel": read_key(self.mail_to(email))}

    def sk8_pupil(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """An active koppeling and a pupil carrying ``leerlingnummer``."""
        values = self.sk8_koppeling(params)
        brin, dep = params["brincode"], params.get("dependancecode", "00")
        pupil = self.call(
            "POST",
            f"/api/scholen/{brin}/{dep}/leerlingen",
            json={
                "voornaam": params.get("voornaam", "Sanne"),
                "achternaam": params.get("achternaam", "Jansen"),
                "geboortedatum": params.get("geboortedatum", "2016-03-14"),
                "groep": params.get("groep", "Dolfijnen"),
            },
        )
        # 409: a pupil of this school already carries the number (an earlier run) - state holds.
        self.call(
            "PUT",
            f"/api/leerlingen/{pupil['id']}/leerlingnummer",
            ok=(200, 409),
            json={"leerlingnummer": params["leerlingnummer"]},
        )
        return values

    def sk8_delivered(
        self, params: Mapping[str, Any], deliver: Callable[[str, str, Mapping[str, Any]], None]
    ) -> dict[str, Any]:
        """A pupil whose result was already received once (delivered with ``deliver``)."""
        values = self.sk8_pupil(params)
        deliver(self.base_url, values["autorisatiesleutel"], params)
        return values

    # klantenservice --------------------------------------------------------------------------

    def ks_by_hand(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Switch the school to manual handling."""
        brin, dep = params["brincode"], params.get("dependancecode", "00")
        self.call("PUT", f"/api/scholen/{brin}/{dep}/modus", json={"modus": "handmatig"})
        return {}

    def ks_decided(self, params: Mapping[str, Any], *, approve: bool) -> dict[str, Any]:
        """A fresh aanvraag (its own key and address) taken by hand, approved or rejected."""
        self.ks_by_hand(params)
        unique = uuid.uuid4().hex[:16]
        made = self.call(
            "POST",
            "/api/aanvragen",
            headers={"Idempotency-Key": unique},
            json={
                "brincode": params["brincode"],
                "dependancecode": params.get("dependancecode", "00"),
                "type_dashboard": params.get("type_dashboard", "Schoolkr8"),
                "autorisatiesleutel": params.get("autorisatiesleutel", f"sk8_contract{unique}"),
                "beheerder_email": params.get("beheerder_email", f"beheerder-{unique}@school.test"),
            },
        )
        if approve:
            self.call("POST", f"/api/aanvragen/{made['id']}/goedkeuren", json={})
        else:
            self.call(
                "POST", f"/api/aanvragen/{made['id']}/afwijzen", json={"reden": params["reden"]}
            )
        return {"id": made["id"]}

    # mailbox ---------------------------------------------------------------------------------

    def mail_to(self, address: str, *, wait_s: float = 5.0) -> BeheerderMail:
        """The newest e-mail to ``address`` in the mailbox (waits briefly for delivery)."""
        if not self.mailbox_url:
            raise SetupError(
                "this state needs the mailbox (the key travels only by e-mail); pass --mailbox-url"
            )
        deadline = time.monotonic() + wait_s
        while True:
            found = self.call(
                "GET", "/api/v1/search", base=self.mailbox_url, params={"query": f"to:{address}"}
            )
            messages = found.get("messages") or []
            if messages:
                message = self.call(
                    "GET", f"/api/v1/message/{messages[0]['ID']}", base=self.mailbox_url
                )
                return BeheerderMail.from_mailpit(message)
            if time.monotonic() > deadline:
                raise SetupError(f"no e-mail to {address} arrived within {wait_s:.0f} s")
            time.sleep(0.05)


StateHandler = Callable[[Mapping[str, Any]], dict[str, Any]]


def handlers(provider: str, setup: Setup) -> dict[str, StateHandler]:
    """The state handlers of one provider, bound to ``setup``."""
    from contracts.consumer_cases import deliver_once  # the codec the forwarder uses

    table: dict[str, StateHandler] = {
        LAS_SCHOOL: setup.las_school,
        LAS_SCHOOL_UNCHANGED: setup.las_unchanged,
        SK8_KOPPELING: setup.sk8_koppeling,
        SK8_PUPIL: setup.sk8_pupil,
        SK8_DELIVERED: lambda p: setup.sk8_delivered(p, deliver_once),
        KS_BY_HAND: setup.ks_by_hand,
        KS_APPROVED: lambda p: setup.ks_decided(p, approve=True),
        KS_REJECTED: lambda p: setup.ks_decided(p, approve=False),
    }
    return {name: table[name] for name in PROVIDER_STATES[provider]}


# --- the state-change endpoint -------------------------------------------------------------------


class StateServer:
    """``POST /_pact/state`` for the verifier: calls the handler, answers its values as JSON.

    Errors are recorded in :attr:`errors` and answered with 400, so the verifier fails the
    interaction at once (it would retry a 5xx for about two minutes).
    """

    def __init__(self, table: Mapping[str, StateHandler]) -> None:
        self.table = dict(table)
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._server = ServerThread(self._app())

    @property
    def url(self) -> str:
        return f"{self._server.url}/_pact/state"

    def _app(self) -> Flask:
        app = Flask("contracts.states")

        @app.post("/_pact/state")
        def change_state() -> Response:
            """Set up one provider state (teardown is not used: states are isolated by data)."""
            body = request.get_json(silent=True) or {}
            return self._change(
                str(body.get("state", "")),
                body.get("params") or {},
                str(body.get("action", "setup")),
            )

        return app

    def _change(self, state: str, params: dict[str, Any], action: str) -> Response:
        if action != "setup" or not state:
            return jsonify({})
        handler = self.table.get(state)
        try:
            if handler is None:
                raise SetupError(f"unknown provider state (known: {', '.join(self.table)})")
            return jsonify(handler(params))
        except Exception as exc:  # recorded and reported; never a 5xx (the verifier retries)
            message = f"state {state!r} {params}: {type(exc).__name__}: {exc}"
            with self._lock:
                self.errors.append(message)
            resp = jsonify({"error": message})
            resp.status_code = 400
            return resp

    def __enter__(self) -> StateServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
