"""Provider states bound to the mocks' own setup API, behind a state-change endpoint.

The names and their meanings are declared once in :mod:`contracts.state_names`. Provider
verification (of our mocks in the test suite, or of a running harness with ``koppeling verify``)
reaches those states through :class:`StateServer`, a tiny HTTP state-change endpoint that calls
:class:`Setup` — the typed clients of :mod:`koppeling.client` on the partner's REST and
``/__admin`` API, the same vocabulary scenarios use. A real partner implements the same names
behind its own ``--state-change-url`` (docs/contracts.md lists them).

State values only the provider can know (a freshly issued key, an aanvraag id, the LAS's "now")
are returned to the verifier, which writes them into the replayed request (provider-state
generators). A handler that fails answers 400 — the verifier then fails that interaction at once
instead of retrying a 5xx for two minutes — and the error is recorded for the report.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, Response, jsonify, request

from contracts.beheerder import BeheerderMail, read_key
from contracts.consumer_cases import deliver_once  # the codec the forwarder uses
from contracts.state_names import (
    KS_APPROVED,
    KS_BY_HAND,
    KS_REJECTED,
    LAS_SCHOOL,
    LAS_SCHOOL_UNCHANGED,
    PROVIDER_STATES,
    SK8_DELIVERED,
    SK8_KOPPELING,
    SK8_PUPIL,
)
from koppeling.client import (
    HarnessAdmin,
    Klant,
    KlantenserviceAdmin,
    LasAdmin,
    MailboxClient,
    ProblemError,
    Schoolkr8Admin,
    SchoolRef,
)
from koppeling.client.flows import Schoolkr8Sleutel, create_las_school, schoolkr8_sleutel
from koppeling.harness.server import ServerThread


class SetupError(RuntimeError):
    """A state cannot be set up here (unknown, or it needs what was not given)."""


def _school(params: Mapping[str, Any]) -> SchoolRef:
    return SchoolRef(str(params["brincode"]), str(params.get("dependancecode", "00")))


def unique_address(school: SchoolRef) -> str:
    """A beheerder address no other state uses (mail is matched by address)."""
    return f"beheerder-{uuid.uuid4().hex[:12]}@{school.brincode.lower()}.school.test"


@dataclass
class Setup:
    """The harness's setup API: ``base_url`` is the provider, ``mailbox_url`` the SMTP sink's
    Mailpit-style API (for keys that only travel by e-mail)."""

    base_url: str
    mailbox_url: str | None = None
    timeout: float = 10.0
    session: requests.Session = field(default_factory=requests.Session)

    def close(self) -> None:
        """Close the HTTP session (its pooled connections)."""
        self.session.close()

    # LAS -------------------------------------------------------------------------------------

    def las_school(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Create (or reuse) the school in the LAS and issue a key for the klant."""
        school = _school(params)
        made = create_las_school(
            LasAdmin(self.base_url, session=self.session, timeout=self.timeout),
            school,
            Klant(str(params["klantcode"]), str(params["klantnaam"])),
            reuse=True,
            schooljaar=params["schooljaar"],
            naam=params.get("naam", f"Testschool {school.brincode}"),
            aantal_leerlingen=int(params.get("aantal_leerlingen", 3)),
            seed=2026,
        )
        return {"autorisatiesleutel": made.sleutel}

    def las_unchanged(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The school and key, plus a moment after which nothing changed (the school's now)."""
        values = self.las_school(params)
        admin = HarnessAdmin(self.base_url, session=self.session, timeout=self.timeout)
        values["laatstontvangengegevens"] = admin.clock(_school(params))["now"]
        return values

    # Schoolkr8 -------------------------------------------------------------------------------

    @property
    def schoolkr8(self) -> Schoolkr8Admin:
        return Schoolkr8Admin(self.base_url, session=self.session, timeout=self.timeout)

    def activated_koppeling(self, school: SchoolRef) -> Schoolkr8Sleutel:
        """A koppeling requested for a fresh contact address and activated; its key mail."""
        return schoolkr8_sleutel(self.schoolkr8, self.mailbox, school, unique_address(school))

    def sk8_koppeling(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Request and activate a koppeling; the key is read from the e-mail it sends."""
        mail = BeheerderMail.from_mailpit(self.activated_koppeling(_school(params)).mail)
        return {"autorisatiesleutel": read_key(mail)}

    def sk8_pupil(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """An active koppeling and a pupil carrying ``leerlingnummer``."""
        values = self.sk8_koppeling(params)
        pupil = self.schoolkr8.add_leerling(
            _school(params),
            voornaam=params.get("voornaam", "Sanne"),
            achternaam=params.get("achternaam", "Jansen"),
            geboortedatum=params.get("geboortedatum", "2016-03-14"),
            groep=params.get("groep", "Dolfijnen"),
        )
        try:
            self.schoolkr8.set_leerlingnummer(str(pupil["id"]), params["leerlingnummer"])
        except ProblemError as exc:
            if exc.status != 409:  # 409: a pupil of this school already carries the number
                raise  # (an earlier run) - the state holds
        return values

    def sk8_delivered(
        self, params: Mapping[str, Any], deliver: Callable[[str, str, Mapping[str, Any]], None]
    ) -> dict[str, Any]:
        """A pupil whose result was already received once (delivered with ``deliver``)."""
        values = self.sk8_pupil(params)
        deliver(self.base_url, values["autorisatiesleutel"], params)
        return values

    # klantenservice --------------------------------------------------------------------------

    @property
    def klantenservice(self) -> KlantenserviceAdmin:
        return KlantenserviceAdmin(self.base_url, session=self.session, timeout=self.timeout)

    def ks_by_hand(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Switch the school to manual handling."""
        self.klantenservice.set_modus(_school(params), "handmatig")
        return {}

    def ks_decided(self, params: Mapping[str, Any], *, approve: bool) -> dict[str, Any]:
        """A fresh aanvraag (its own key and address) taken by hand, approved or rejected."""
        self.ks_by_hand(params)
        unique = uuid.uuid4().hex[:16]
        aanvraag = {
            "type_dashboard": params.get("type_dashboard", "Schoolkr8"),
            "autorisatiesleutel": params.get("autorisatiesleutel", f"sk8_contract{unique}"),
            "beheerder_email": params.get("beheerder_email", f"beheerder-{unique}@school.test"),
        }
        made = self.klantenservice.aanvragen(_school(params), aanvraag, idempotency_key=unique)
        if approve:
            self.klantenservice.goedkeuren(made["id"])
        else:
            self.klantenservice.afwijzen(made["id"], params["reden"])
        return {"id": made["id"]}

    # mailbox ---------------------------------------------------------------------------------

    @property
    def mailbox(self) -> MailboxClient:
        if not self.mailbox_url:
            raise SetupError(
                "this state needs the mailbox (the key travels only by e-mail); pass --mailbox-url"
            )
        return MailboxClient(self.mailbox_url, session=self.session, timeout=self.timeout)

    def mail_to(self, address: str, *, wait_s: float = 5.0) -> BeheerderMail:
        """The newest e-mail to ``address`` in the mailbox (waits briefly for delivery)."""
        return BeheerderMail.from_mailpit(self.mailbox.wait_for(address, timeout=wait_s))


StateHandler = Callable[[Mapping[str, Any]], dict[str, Any]]


def handlers(provider: str, setup: Setup) -> dict[str, StateHandler]:
    """The state handlers of one provider, bound to ``setup``."""
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
