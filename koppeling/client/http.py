"""The plumbing every partner's plain-``requests`` JSON client shares: base URL, optional session,
timeout, one rule for "no usable answer now", and reading the list out of an answer.

A connection error, a timeout or a 5xx raises the client's own ``unreachable`` exception (the
caller may try again later); every other answer is returned for the client to read, so a 4xx
keeps its meaning per partner (refused, not found, not valid).
"""

from __future__ import annotations

from typing import Any, ClassVar

import requests


def items(data: Any, *names: str) -> list[dict[str, Any]]:
    """The list in a JSON answer: the answer itself, or its first list under one of ``names``."""
    if isinstance(data, list):
        return data
    for name in names:
        if isinstance(data, dict) and isinstance(data.get(name), list):
            return list(data[name])
    return []


class JsonHttpClient:
    """Base for a client of one partner's REST API at ``base_url``."""

    unreachable: ClassVar[type[Exception]] = ConnectionError
    default_timeout: ClassVar[float] = 10.0
    no_answer: ClassVar[str] = "{url} niet bereikbaar: {error}"

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Without a session each call opens and closes its own connection (nothing leaks);
        # pass a Session to reuse connections, and close it yourself.
        self.session = session
        self.timeout = self.default_timeout if timeout is None else timeout

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The answer below 500; no answer or a 5xx raises :attr:`unreachable`."""
        url = self.base_url + path
        try:
            sender = self.session.request if self.session else requests.request
            resp = sender(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            error = type(exc).__name__
            raise self.unreachable(self.no_answer.format(url=url, error=error)) from None
        if resp.status_code >= 500:
            raise self.unreachable(f"{url} antwoordde {resp.status_code}")
        return resp
