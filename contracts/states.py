"""Provider states and e-mails bound to the mocks' own setup API: the ONE table of them.

The names and their meanings are declared once in :mod:`contracts.state_names`. :func:`handlers`
binds each to :class:`Setup` — the typed clients of :mod:`koppeling.client` on the partner's REST
and ``/__admin`` API, the same vocabulary scenarios use — and :func:`message_handlers` does the
same for the two e-mails of the message pacts. Two doors lead to that table, through the same
:func:`change_state`: :class:`StateServer`, the state-change endpoint of ``koppeling verify``'s
Python verifier, and the harness's own ``/__admin/pact/state`` and ``/__admin/pact/messages``
(:mod:`contracts.provider_endpoints`) for any other verifier. A real partner implements the same
names behind its own ``--state-change-url`` (docs/contracts.md lists them).

Every state is set up afresh (the school deleted and made again), so running it twice, or after a
school was made by hand, gives the same result. State values only the provider can know (a
freshly issued key, an aanvraag id, the LAS's "now") are returned to the verifier, which writes
them into the replayed request (provider-state generators). A handler that fails answers 400 —
the verifier then fails that interaction at once instead of retrying a 5xx for two minutes — and
the error is recorded for the report.
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
from contracts.consumer_cases import (
    APPROVAL_MAIL,
    KEY_MAIL,
    REJECTION_MAIL,
    REJECTION_REASON,
    deliver_once,  # the codec the forwarder uses
)
from contracts.pactkit import KLANTENSERVICE, SCHOOLKR8
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
    Schoolkr8Admin,
    SchoolRef,
)
from koppeling.client.flows import Schoolkr8Sleutel, create_las_school, schoolkr8_sleutel
from koppeling.harness.keys import mask_text
from koppeling.harness.server import ServerThread

# The school the e-mail contracts are produced for (apart from the HTTP states' 99AB).
MESSAGE_BRIN = "99AM"


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

    def __enter__(self) -> Setup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # LAS -------------------------------------------------------------------------------------

    def las_school(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The school made afresh in the LAS (whatever was there before is deleted, so the state
        is the same on every run) and a key issued for the klant."""
        school = _school(params)
        las = LasAdmin(self.base_url, session=self.session, timeout=self.timeout)
        las.delete_school(school)
        made = create_las_school(
            las,
            school,
            Klant(str(params["klantcode"]), str(params["klantnaam"])),
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
        """The school afresh at Schoolkr8 (pupils, results, keys and koppelingen of an earlier
        run deleted), a koppeling requested and activated; the key is read from its e-mail."""
        school = _school(params)
        self.schoolkr8.delete_school(school)
        mail = BeheerderMail.from_mailpit(self.activated_koppeling(school).mail)
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
        self.schoolkr8.set_leerlingnummer(str(pupil["id"]), params["leerlingnummer"])
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

    # the two e-mails (message pacts) -----------------------------------------------------------

    def key_mail(self) -> BeheerderMail:
        """Schoolkr8's key mail, as delivered: a koppeling of the message school activated."""
        return BeheerderMail.from_mailpit(self.activated_koppeling(SchoolRef(MESSAGE_BRIN)).mail)

    def decision_mail(self, *, approve: bool) -> BeheerderMail:
        """The klantenservice's approval or rejection mail, as delivered, for a fresh aanvraag."""
        email = unique_address(SchoolRef(MESSAGE_BRIN))
        params = {"brincode": MESSAGE_BRIN, "beheerder_email": email, "reden": REJECTION_REASON}
        self.ks_decided(params, approve=approve)
        return self.mail_to(email)

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
MessageHandler = Callable[[], BeheerderMail]

# The e-mails each provider sends, by the description of their message interaction.
MESSAGES: dict[str, tuple[str, ...]] = {
    SCHOOLKR8: (KEY_MAIL,),
    KLANTENSERVICE: (APPROVAL_MAIL, REJECTION_MAIL),
}


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


def message_handlers(provider: str, setup: Setup) -> dict[str, MessageHandler]:
    """The e-mails of one provider by description: each sent over the real path (SMTP into the
    mailbox) and read back as the beheerder receives it."""
    table: dict[str, MessageHandler] = {
        KEY_MAIL: setup.key_mail,
        APPROVAL_MAIL: lambda: setup.decision_mail(approve=True),
        REJECTION_MAIL: lambda: setup.decision_mail(approve=False),
    }
    return {name: table[name] for name in MESSAGES.get(provider, ())}


# --- one state-change request, as every Pact verifier sends it ---------------------------------


class StateRequestError(ValueError):
    """The state-change request itself is wrong; ``field`` names the part."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class StateChange:
    """``{"state", "params", "action"}`` (Pact V3+), or the older ``{"state", "states"}``; an
    empty ``state`` is what a verifier sends for an interaction without states."""

    states: tuple[str, ...]
    params: Mapping[str, Any]
    action: str = "setup"

    @classmethod
    def parse(cls, body: object) -> StateChange:
        if not isinstance(body, dict):
            raise StateRequestError("body", "expected a JSON object {state, params, action}")
        action = body.get("action", "setup")
        if action not in ("setup", "teardown"):
            raise StateRequestError("action", f"expected setup or teardown, got {action!r}")
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise StateRequestError("params", "expected a JSON object of state parameters")
        if "state" not in body and "states" not in body:
            raise StateRequestError("state", "name the provider state (state or states)")
        return cls(_names(body.get("state"), body.get("states")), params, action)


def _names(state: object, states: object) -> tuple[str, ...]:
    if state is not None and not isinstance(state, str):
        raise StateRequestError("state", "expected the state's name as a string")
    if states is not None and not (
        isinstance(states, list) and all(isinstance(n, str) for n in states)
    ):
        raise StateRequestError("states", "expected a list of state names")
    names = [state or "", *(states or [])]
    return tuple(dict.fromkeys(n for n in names if n))


def failure(exc: BaseException) -> str:
    """An error as a report line: its kind and message, any key in it masked."""
    return f"{type(exc).__name__}: {mask_text(str(exc))}"


def change_state(table: Mapping[str, StateHandler], body: object) -> dict[str, Any]:
    """Carry out one state-change request on ``table``: the values of the states set up (for
    ``fromProviderState``). :class:`StateRequestError` for a bad request, :class:`SetupError`
    when a handler failed (with the cause; a caller answers 4xx, never 5xx)."""
    change = StateChange.parse(body)
    for name in change.states:
        if name not in table:
            known = "; ".join(table) or "none"
            raise StateRequestError("state", f"unknown provider state {name!r} (known: {known})")
    values: dict[str, Any] = {}
    if change.action == "teardown":  # states are set up afresh; nothing to undo
        return values
    for name in change.states:
        try:
            values.update(table[name](change.params))
        except Exception as exc:  # reported, never a 5xx (the verifier retries those)
            raise SetupError(f"state {name!r} {dict(change.params)}: {failure(exc)}") from exc
    return values


# --- the state-change endpoint of the Python verifier -------------------------------------------


class StateServer:
    """``POST /_pact/state`` for pact-python's verifier: :func:`change_state` on a table.

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
        def state_change() -> Response:
            """Set up the provider states of one interaction."""
            try:
                return jsonify(change_state(self.table, request.get_json(silent=True)))
            except (StateRequestError, SetupError) as exc:
                with self._lock:
                    self.errors.append(str(exc))
                resp = jsonify({"error": str(exc)})
                resp.status_code = 400
                return resp

        return app

    def __enter__(self) -> StateServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
