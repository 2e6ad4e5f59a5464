"""Provider verification, one verifier run per provider: for our mocks and for real partners.

``verify_provider`` replays every interaction of one provider from the pact files against a base
URL. Provider states go either to the partner's own state-change URL, or — when verifying a
harness — to a :class:`contracts.states.StateServer` bound to the mock's setup API. With a mailbox
URL the message contracts (the two e-mails) are verified as well: the message is produced by the
same setup calls and read back from the mailbox, exactly as a beheerder would receive it. When the
base URL is one of our mocks, its ``/__admin/services`` names the mailbox, so none need be given.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from contracts.beheerder import BeheerderMail
from contracts.pactkit import (
    BEHEERDER,
    PACT_DIR,
    PROVIDERS,
    Report,
    pact_files,
    run_verification,
)
from contracts.states import MessageHandler, Setup, StateServer, handlers, message_handlers
from koppeling.client import HarnessAdmin, ProblemError, Unreachable


@dataclass(frozen=True)
class Target:
    """What to verify and where: the provider's base URL and how its states are reached."""

    provider: str
    base_url: str
    pact_dir: Path = PACT_DIR
    state_change_url: str | None = None
    broker_url: str | None = None
    mailbox_url: str | None = None


def verify_provider(target: Target) -> Report:
    """Verify one provider; harness states unless the target brings its own state-change URL."""
    if target.provider not in PROVIDERS:
        raise ValueError(f"unknown provider {target.provider!r}; known: {', '.join(PROVIDERS)}")
    sources = [] if target.broker_url else pact_files(target.pact_dir, target.provider)
    if not sources and not target.broker_url:
        raise FileNotFoundError(f"no pact files for {target.provider} in {target.pact_dir}")
    if target.mailbox_url is None and target.state_change_url is None:
        target = replace(target, mailbox_url=harness_mailbox(target.base_url))
    setup = Setup(target.base_url, target.mailbox_url)
    try:
        messages = _messages(target.provider, setup) if target.mailbox_url else {}
        consumers = _consumers(sources, with_messages=bool(messages))
        if target.state_change_url:
            return _run(target, sources, consumers, target.state_change_url, [], messages)
        with StateServer(handlers(target.provider, setup)) as states:
            return _run(target, sources, consumers, states.url, states.errors, messages)
    finally:
        setup.close()


def harness_mailbox(base_url: str) -> str | None:
    """The mailbox of the harness ``base_url`` belongs to (its ``/__admin/services``), or None
    for a service that is not one of our mocks."""
    try:
        return HarnessAdmin(base_url, timeout=5).services().get("mailbox")
    except (ProblemError, Unreachable):
        return None


def _run(
    target: Target,
    sources: list[Path],
    consumers: list[str],
    state_url: str,
    state_errors: list[str],
    messages: dict[str, Callable[..., Any]],
) -> Report:
    report = run_verification(
        target.provider,
        target.base_url,
        sources=sources,
        state_change_url=state_url,
        broker_url=target.broker_url,
        consumers=consumers,
        message_handlers=messages,
        state_errors=state_errors,
    )
    return report


def _consumers(sources: list[Path], *, with_messages: bool) -> list[str]:
    """The consumers to verify: the message consumer only when messages can be produced."""
    names = []
    for path in sources:
        consumer = json.loads(path.read_text(encoding="utf-8"))["consumer"]["name"]
        if consumer != BEHEERDER or with_messages:
            names.append(consumer)
    return names


# --- the two e-mails, produced through the mocks' setup API ------------------------------------


def _messages(provider: str, setup: Setup) -> dict[str, Callable[[], dict[str, Any]]]:
    """The message table in the shape pact-python's message producer takes."""
    return {name: _producer(mail) for name, mail in message_handlers(provider, setup).items()}


def _producer(mail: MessageHandler) -> Callable[[], dict[str, Any]]:
    return lambda: _as_message(mail())


def _as_message(mail: BeheerderMail) -> dict[str, Any]:
    return {
        "contents": json.dumps(mail.as_message()).encode("utf-8"),
        "content_type": "application/json",
        "metadata": None,
    }
