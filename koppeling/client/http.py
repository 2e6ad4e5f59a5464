"""JSON over HTTP to a service, the one way: base URL, optional session, timeout, one error per
kind of failure.

:class:`ApiClient` is the transport of every setup/admin client (and of the pages' API calls): any
4xx/5xx answer is a :class:`ProblemError` carrying the problem details (RFC 9457) or the answer's
text; no answer at all is :class:`Unreachable`. :class:`JsonHttpClient` is the older, lower layer
the partners' outbound clients build on: a connection error, a timeout or a 5xx raises the client's
own ``unreachable`` exception (the caller may try again later), and every other answer is returned
for the client to read, so a 4xx keeps its meaning per partner (refused, not found, not valid).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from koppeling.client.school import SchoolRef

if TYPE_CHECKING:  # requests is imported on first use (start-up time)
    import requests


def items(data: Any, *names: str) -> list[dict[str, Any]]:
    """The list in a JSON answer: the answer itself, or its first list under one of ``names``."""
    if isinstance(data, list):
        return data
    for name in names:
        if isinstance(data, dict) and isinstance(data.get(name), list):
            return list(data[name])
    return []


def as_dict(data: Any) -> dict[str, Any]:
    """A JSON object answer as a dict (an empty answer is an empty dict)."""
    return dict(data) if isinstance(data, dict) else {}


class Unreachable(ConnectionError):
    """The service gave no answer: not started, wrong URL, connection refused, timed out."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service} is niet bereikbaar: {reason}")
        self.service = service
        self.reason = reason


class ProblemError(Exception):
    """A 4xx/5xx answer, with the problem details it carried (``body``) and the field they name.

    ``request`` names the call (``schoolkr8 PUT /api/…``) for whoever reads a failing test; without
    it the message is the problem alone (``409 Conflict: …``), as a page shows it.
    """

    def __init__(
        self, status: int, body: Mapping[str, Any] | None = None, *, request: str = ""
    ) -> None:
        self.status = status
        self.body: dict[str, Any] = dict(body or {})
        self.title = str(self.body.get("title") or f"HTTP {status}")
        self.detail = str(self.body.get("detail") or self.title)
        field = self.body.get("field")
        self.field = str(field) if field else None
        self.request = request
        super().__init__(self._message())

    def _message(self) -> str:
        problem = f"{self.status} {self.title}: {self.detail}"
        if not self.request:
            return problem
        named = f" (field {self.field})" if self.field else ""
        return f"{self.request}: {problem}{named}"


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

    def _request(
        self, method: str, url: str, *, timeout: float | None = None, **kwargs: Any
    ) -> requests.Response:
        import requests

        sender = self.session.request if self.session else requests.request
        return sender(method, url, timeout=self.timeout if timeout is None else timeout, **kwargs)

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The answer below 500; no answer or a 5xx raises :attr:`unreachable`."""
        import requests

        url = self.base_url + path
        try:
            resp = self._request(method, url, **kwargs)
        except requests.RequestException as exc:
            error = type(exc).__name__
            raise self.unreachable(self.no_answer.format(url=url, error=error)) from None
        if resp.status_code >= 500:
            raise self.unreachable(f"{url} antwoordde {resp.status_code}")
        return resp


class ApiClient(JsonHttpClient):
    """JSON in and out of one service's REST API; ``service`` names it in messages."""

    service = "service"
    default_timeout: ClassVar[float] = 15.0

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: float | None = None,
        service: str | None = None,
    ) -> None:
        super().__init__(base_url, session=session, timeout=timeout)
        if service:
            self.service = service

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params or None)

    def get_or_none(self, path: str, **params: Any) -> Any:
        """Like :meth:`get`, but None where the API has no such resource (404 or 405)."""
        try:
            return self.get(path, **params)
        except ProblemError as exc:
            if exc.status in (404, 405):
                return None
            raise

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self.call("POST", path, body=body)

    def put(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self.call("PUT", path, body=body)

    def delete(self, path: str, **params: Any) -> Any:
        return self.call("DELETE", path, params=params or None)

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """The decoded JSON answer (None when empty, the text when not JSON); raises
        ProblemError or Unreachable."""
        import requests

        url = self._url(path)
        try:
            resp = self._request(
                method,
                url,
                json=None if body is None else dict(body),
                params=params,
                headers={**self._headers(), **(headers or {})},
                timeout=timeout,
            )
        except requests.RequestException as exc:
            raise Unreachable(self.service, type(exc).__name__) from None
        if resp.status_code >= 400:
            raise ProblemError(
                resp.status_code, _problem(resp), request=self._describe(method, path)
            )
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:  # a plain-text success, as Mailpit's "ok" to a DELETE
            return resp.text

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    def _describe(self, method: str, path: str) -> str:
        """How a failure names the call."""
        return f"{self.service} {method} {path}"


class SchoolApiClient(ApiClient):
    """A service that files data under ``/api/scholen/{brin}/{dep}`` and can forget a school."""

    def delete_school(self, school: SchoolRef) -> None:
        """Forget ``school`` with everything this service holds of it (also fine when there was
        nothing)."""
        self.delete(school.path)


def _problem(resp: requests.Response) -> dict[str, Any]:
    """The problem details of an answer, or its text as the detail when it has none."""
    try:
        data = resp.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        return data
    return {"title": f"HTTP {resp.status_code}", "detail": resp.text[:300]}
