"""A small client of the mailbox API (works against a real Mailpit too, minus the long poll).

Scenarios and contract tests use :meth:`MailboxClient.wait_for` to wait for a message without
sleeping: it long-polls ``/api/v1/search?wait=`` and, when the message does not come, fails with
a message listing what did arrive for that address. An address is looked up with Mailpit's
``addressed:`` and then matched exactly against To, Cc and Bcc, so a Cc or Bcc recipient is found
on a real Mailpit too (whose ``to:`` matches the To header only).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from koppeling.client.http import ApiClient

LONG_POLL_SECONDS = 5.0


class MailNotFound(AssertionError):
    """The awaited message did not arrive in time; the message says what did arrive."""


class MailboxClient(ApiClient):
    """``MailboxClient(base_url)``: read, search, wait for and delete mail."""

    service = "mailbox"
    default_timeout = 10.0

    def messages(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest messages (summaries), newest first."""
        return list(self.get("/api/v1/messages", limit=limit)["messages"])

    def message(self, message_id: str) -> dict[str, Any]:
        """One message with ``Text`` and ``HTML``."""
        return dict(self.get(f"/api/v1/message/{message_id}"))

    def search(self, query: str, *, wait: float = 0.0, limit: int = 50) -> dict[str, Any]:
        """The search answer (``messages``, ``messages_count``); ``wait`` long-polls server-side."""
        params: dict[str, Any] = {"query": query, "limit": limit}
        if wait > 0:
            params["wait"] = round(wait, 3)
        found = self.call("GET", "/api/v1/search", params=params, timeout=self.timeout + wait)
        return dict(found)

    def messages_to(self, to: str, subject_contains: str | None = None) -> list[dict[str, Any]]:
        """Summaries of every message for exactly ``to`` (To, Cc or Bcc), newest first."""
        found = self.search(_query(to), limit=1000)["messages"]
        return [m for m in found if _matches(m, to, subject_contains)]

    def wait_for(
        self,
        to: str,
        subject_contains: str | None = None,
        timeout: float = 10.0,
        ignore: Collection[str] = (),
    ) -> dict[str, Any]:
        """The newest message for ``to`` (whose subject contains ``subject_contains``), with
        ``Text`` and ``HTML``; IDs in ``ignore`` are skipped. Raises :class:`MailNotFound`."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            answer = self.search(_query(to), wait=max(0.0, min(LONG_POLL_SECONDS, remaining)))
            for summary in answer["messages"]:
                if summary["ID"] not in ignore and _matches(summary, to, subject_contains):
                    return self.message(summary["ID"])
            if time.monotonic() >= deadline:
                raise MailNotFound(_explain(to, subject_contains, timeout, answer["messages"]))
            time.sleep(0.05)  # mail for ``to`` exists but not the one awaited: poll gently

    def delete_all(self) -> None:
        """Delete every message (all tests' mail: prefer :meth:`delete_to`)."""
        self.delete("/api/v1/messages")

    def delete_to(self, to: str) -> None:
        """Delete the messages for ``to`` only."""
        self.delete("/api/v1/search", query=_query(to))


def _query(to: str) -> str:
    """Mailpit's ``addressed:`` (From, To, Cc, Bcc, Reply-To): ``to:`` matches only To there."""
    return f'addressed:"{to}"' if '"' not in to else f"addressed:{to}"


def _matches(summary: dict[str, Any], to: str, subject_contains: str | None) -> bool:
    addresses = {
        a["Address"].lower() for kind in ("To", "Cc", "Bcc") for a in summary.get(kind) or []
    }
    if to.lower() not in addresses:
        return False
    return subject_contains is None or subject_contains in summary.get("Subject", "")


def _explain(to: str, subject: str | None, timeout: float, seen: list[dict[str, Any]]) -> str:
    wanted = f"a message to {to}" + (f" with {subject!r} in the subject" if subject else "")
    if not seen:
        return f"no mail for {to} arrived within {timeout:g} s (waited for {wanted})"
    lines = "\n".join(
        f"  - {m['Created']}  {m['Subject']!r} to "
        f"{', '.join(a['Address'] for a in m.get('To') or [])}"
        for m in seen[:10]
    )
    return f"waited {timeout:g} s for {wanted}; what arrived for {to}:\n{lines}"
