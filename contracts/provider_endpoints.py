"""The standard Pact provider endpoints on every mock that is a Pact provider.

Partner teams verify our pacts with the verifier of their own language (the Rust ``pact
verifier``, pact-jvm, pact-js …). Every one of them speaks the same two plain-JSON protocols, so
the harness offers both on each provider's own port and nothing else is needed:

- ``POST /__admin/pact/state``: the verifier's state change ``{"state", "params", "action"}`` (or
  the older ``{"state", "states"}``). The states are the ones of :mod:`contracts.states` — the
  same table ``koppeling verify`` uses — set up afresh on every call, and the answer is their
  values for ``fromProviderState``.
- ``POST /__admin/pact/messages``: the verifier's ``{"description", "providerStates"}`` for a
  message pact. The e-mail is sent over the real path (SMTP into the harness mailbox) and
  answered as the beheerder received it, with the content type and metadata the pact expects.

A bad request is problem+json 400 naming the field; a state that cannot be set up is a 400 with
the cause — never a 5xx, which a verifier retries for minutes. The harness registers this module
on each app (:func:`register`); it is plain Flask and JSON and never imports pact. The state
table (:mod:`contracts.states`, with the consumer cases and the HTTP clients behind it) is
imported by the first state change, not when the apps are built (start-up time).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, Response

from contracts.pactkit import HARNESS_SERVICE, KLANTENSERVICE, SCHOOLKR8
from koppeling.harness.errors import ApiError, invalid
from koppeling.harness.service import Core, json_body

if TYPE_CHECKING:
    from contracts.states import MessageHandler, Setup

log = logging.getLogger("koppeling")

STATE_PATH = "/__admin/pact/state"
MESSAGES_PATH = "/__admin/pact/messages"
MESSAGE_CONTENT_TYPE = "application/json"
PROVIDER_OF = {service: provider for provider, service in HARNESS_SERVICE.items()}
#: the providers that send e-mails (the keys of ``contracts.states.MESSAGES``, a test checks)
MESSAGE_PROVIDERS = (SCHOOLKR8, KLANTENSERVICE)


def register(app: Flask, core: Core, options: dict[str, Any] | None = None) -> None:
    """Add the state endpoint (and, for a provider of e-mails, the message endpoint) to the app
    of a service that plays a Pact provider; other apps are left as they are."""
    service = str(app.config.get("SERVICE_NAME", ""))
    provider = PROVIDER_OF.get(service)
    if provider is None:
        return

    def setup() -> Setup:
        from contracts.states import Setup

        return Setup(core.url(service), core.urls.get("mailbox"))

    def pact_state() -> Any:
        """Set up (or tear down) provider states; their values for ``fromProviderState``."""
        from contracts.states import SetupError, StateRequestError, change_state, handlers

        body = json_body()
        with setup() as states:
            try:
                return change_state(handlers(provider, states), body)
            except StateRequestError as exc:
                raise invalid(exc.field, str(exc), 400) from None
            except SetupError as exc:
                log.warning("%s: provider state failed: %s", service, exc)
                raise ApiError(400, "Provider state failed", str(exc), field="state") from None

    app.add_url_rule(STATE_PATH, "pact_state", pact_state, methods=["POST"])
    if provider in MESSAGE_PROVIDERS:

        def pact_message() -> Response:
            """Produce the e-mail a message interaction describes, as it was delivered."""
            from contracts.states import message_handlers

            with setup() as states:
                return _message(message_handlers(provider, states), json_body())

        app.add_url_rule(MESSAGES_PATH, "pact_message", pact_message, methods=["POST"])


def _message(table: Mapping[str, MessageHandler], body: dict[str, Any]) -> Response:
    description = body.get("description")
    if not isinstance(description, str) or not description:
        raise invalid("description", "name the message interaction (its description)", 400)
    if not isinstance(body.get("providerStates", []), list):
        raise invalid("providerStates", "expected a list of provider states", 400)
    produce = table.get(description)
    if produce is None:
        known = "; ".join(table)
        raise invalid("description", f"unknown message {description!r} (known: {known})", 400)
    try:
        mail = produce()
    except Exception as exc:  # a 4xx with the cause: a verifier retries a 5xx for minutes
        from contracts.states import failure

        raise ApiError(400, "Message not produced", failure(exc)) from None
    metadata = {"contentType": MESSAGE_CONTENT_TYPE}
    return Response(
        json.dumps(mail.as_message()),
        content_type=MESSAGE_CONTENT_TYPE,
        headers={"Pact-Message-Metadata": base64.b64encode(json.dumps(metadata).encode()).decode()},
    )
