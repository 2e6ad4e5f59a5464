"""What every partner app shares: :func:`create_service_app`, on the :class:`Core` (defined in
:mod:`koppeling.harness.core`, without Flask, and named here too) every app is built on.

``create_service_app`` gives a fresh Flask app the harness behaviour every service must have: the
``/__admin`` endpoints, correlation ids, journaling, fault injection, and one error hook that
answers in the partner's dialect (SOAP Fault under the SOAP paths, problem details elsewhere),
also for routing errors — which is why each partner is its own app, not a blueprint.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import random
import re
import socket
import struct
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Request, Response, g, jsonify, request
from flask.signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    request_finished,
    request_started,
    request_tearing_down,
)
from werkzeug.exceptions import HTTPException

from koppeling.harness.clock import Clock, parse_instant
from koppeling.harness.core import Core as Core
from koppeling.harness.errors import PROBLEM_TYPE, ApiError, KoppelingError, SoapFault, invalid
from koppeling.harness.faults import parse_fault_request, school_of_request
from koppeling.harness.hosts import host_allowed
from koppeling.harness.journal import Entry
from koppeling.harness.schools import (
    check_brincode,
    check_dependancecode,
    school_key,
    school_not_found,
    school_of_path,
)
from koppeling.uwlr.soap import MAX_REQUEST_BYTES, SOAP_CONTENT_TYPE, fault_envelope

log = logging.getLogger("koppeling")

CORRELATION_HEADER = "X-Correlation-ID"

#: deeper JSON than this is refused: no body of ours nests more than a few levels
MAX_JSON_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: /__admin/requests answers at most this many entries by default, and never more than the max
JOURNAL_PAGE = 500
JOURNAL_PAGE_MAX = 5000
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def create_service_app(
    name: str,
    core: Core,
    *,
    soap_paths: Sequence[str] = (),
    import_name: str | None = None,
) -> Flask:
    """A Flask app for one partner, with the harness behaviour installed.

    ``soap_paths`` are path prefixes (case-insensitive) answered in SOAP; the rest is JSON.
    """
    app = Flask(import_name or f"mocks.{name}")
    app.config["SERVICE_NAME"] = name
    app.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["koppeling.core"] = core
    prefixes = tuple(p.lower() for p in soap_paths)
    app.config["SOAP_PATHS"] = prefixes

    def is_soap() -> bool:
        return request.path.lower().startswith(prefixes) if prefixes else False

    before, after = _before(name, core, is_soap), _after(name, core)
    teardown = app.teardown_request(lambda _exc: core.db.unpin())
    app.before_request(before)
    app.after_request(after)
    app.extensions["koppeling.hooks"] = (before, after, teardown)  # what a SoapLane does itself
    _install_errors(app, core, is_soap)
    _install_admin(app, name, core)
    return app


def soap_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type=SOAP_CONTENT_TYPE)


def fault_response(fault: SoapFault) -> Response:
    g.soap_fault = fault.code
    return soap_response(fault_envelope(fault), status=500)


def problem_response(error: ApiError) -> Response:
    resp = jsonify(error.as_problem())
    resp.status_code = error.status
    resp.content_type = PROBLEM_TYPE
    return resp


def json_body(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON object, or problem details saying what was wrong with it.

    Hostile JSON is refused here, for every endpoint at once: nesting deeper than
    :data:`MAX_JSON_DEPTH`, a lone surrogate in a string, an integer beyond 64 bits, NaN or
    Infinity — a 400 naming the field, before anything reads or stores the value.
    """
    raw = request.get_data(cache=True)
    if not raw and not required:
        return {}
    if not request.is_json:
        raise invalid("body", "expected a JSON object (Content-Type: application/json)", 400)
    return parse_json_object(raw)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """``raw`` as a JSON object that passes :func:`check_json_value`; else a 400 naming the field
    (``body`` when the text is not JSON or nests too deep to parse at all)."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise invalid("body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels", 400) from None
    except ValueError:  # also a UnicodeDecodeError, or an integer of over 4300 digits
        raise invalid("body", "the body is not JSON", 400) from None
    if not isinstance(data, dict):
        raise invalid("body", f"expected a JSON object, got {type(data).__name__}", 400)
    check_json_value(data)
    return data


def check_json_value(data: Any) -> None:
    """Refuse (400 naming the field) what no field of ours can hold; see :func:`json_body`."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        name = where or "body"
        if depth > MAX_JSON_DEPTH:
            raise invalid(name, f"JSON nested deeper than {MAX_JSON_DEPTH} levels", 400)
        if isinstance(value, str) and _SURROGATE.search(value):
            raise invalid(name, f"{name}: a lone surrogate is not text", 400)
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            raise invalid(name, f"{name}: integer out of range (64 bits)", 400)
        elif isinstance(value, float) and not math.isfinite(value):
            raise invalid(name, f"{name}: NaN and Infinity are not numbers", 400)
        elif isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    raise invalid(name, f"{name}: a lone surrogate in a key", 400)
                stack.append((item, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}.{i}", depth + 1) for i, item in enumerate(value))


def set_school(brincode: str, dependancecode: str | None) -> str:
    """Tag the current request with its school (for the journal); returns the school key."""
    key = school_key(brincode, dependancecode)
    g.school = key
    return key


def school_in_path(
    brincode: str,
    dependancecode: str,
    error: Callable[[str, str], ApiError] = school_not_found,
) -> tuple[str, str]:
    """The school of a REST path: checked (``error`` names the bad part, a 404 by default) and
    tagged on the request."""
    brin, dep = school_of_path(brincode, dependancecode, error)
    set_school(brin, dep)
    return brin, dep


def set_operation(operation: str) -> None:
    """Tag the current request with its SOAP operation (for the journal)."""
    g.soap_operation = operation


@dataclass
class RequestTags:
    """What a SOAP handler learns about its request for the journal: the operation asked and
    the school (its key). The Flask view copies them onto ``g`` (:meth:`apply`), where the
    after-hook reads them; a :class:`SoapLane` reads them itself."""

    operation: str | None = None
    school: str | None = None

    def apply(self) -> None:
        if self.operation is not None:
            g.soap_operation = self.operation
        if self.school is not None:
            g.school = self.school


#: A SOAP endpoint's work, with no Flask: the request body and its SOAPAction header (None when
#: absent) in, the answer's bytes out (or a SoapFault); it tags what it learns on the way.
SoapHandler = Callable[[bytes, str | None, RequestTags], bytes]


def soap_answer(handler: SoapHandler) -> Response:
    """The Flask view's answer for a SOAP endpoint served by ``handler`` (the one a
    :class:`SoapLane` in front of the app calls too), its tags copied onto ``g``."""
    tags = RequestTags()
    try:
        body = request.get_data(cache=True)
        return soap_response(handler(body, request.headers.get("SOAPAction"), tags))
    finally:
        tags.apply()


def soap_lane_option(config: Mapping[str, Any] | None) -> bool:
    """A service's ``soap_lane`` option (``--service-option SERVICE.soap_lane=false``): whether
    its hot SOAP endpoint gets a :class:`SoapLane` (default true); ValueError if not a bool."""
    lane = (config or {}).get("soap_lane", True)
    if not isinstance(lane, bool):
        raise ValueError(f"soap_lane must be true or false, got {lane!r}")
    return lane


# --- hooks -------------------------------------------------------------------------------------


#: a private generator for correlation ids: not the module-level ``random`` (tests that draw
#: from it, Hypothesis among them, must not see it move), reseeded from the OS in every fork
_IDS = random.Random()
os.register_at_fork(after_in_child=_IDS.seed)


#: the version and variant bits of a version-4 UUID (RFC 4122), as ``uuid.UUID`` sets them
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (4 << 76) | (0x8000 << 48)


def new_correlation_id() -> str:
    """A random version-4 UUID in hex, as ``uuid.uuid4().hex``, from a private
    :class:`random.Random` instead of a system call per request: an id to follow a request by,
    not a secret. The bits are set as ``uuid.UUID(int=…, version=4)`` sets them, without
    building the object (a test checks the two agree)."""
    return f"{_IDS.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET:032x}"


def _before(name: str, core: Core, is_soap: Callable[[], bool]) -> Callable[[], Any]:
    def before() -> Any:
        # the request and g read once (each read through Flask's proxies costs a context lookup)
        req, tags = _request(), _g()
        environ = req.environ
        tags.correlation_id = environ.get(_CORRELATION_ENVIRON) or new_correlation_id()
        tags.started = time.perf_counter()
        core.db.pin()  # the generations of clock, faults and cached answers: one read
        if not host_allowed(environ.get("HTTP_HOST"), core.allowed_hosts):
            tags.host_refused = True
            return _foreign_host(is_soap())
        path = req.path
        if path.startswith(_UNJOURNALLED):
            return None
        fault = core.faults.take(
            name,
            req.method,
            path,
            school=lambda: school_of_request(path, req.get_data(cache=True)),
        )
        if fault is None:
            return None
        tags.injected_fault = fault.fault
        if fault.fault == "delay":
            time.sleep(fault.delay_ms / 1000)
            return None
        if fault.fault == "connection_reset":
            _reset_connection()
            return Response(status=503)
        if fault.fault == "soap_fault" or is_soap():
            code = fault.code or "Server.TijdelijkNietBeschikbaar"
            if fault.fault == "http_503" and fault.code is None:
                code = "Server.TijdelijkNietBeschikbaar"
            resp = fault_response(SoapFault(code, "Geinjecteerde storing (koppeling fault)"))
            if fault.fault == "http_503":
                resp.status_code = 503
            return resp
        return problem_response(
            ApiError(503, "Tijdelijk niet beschikbaar", "Geinjecteerde storing (koppeling fault)")
        )

    return before


def _foreign_host(soap: bool) -> Response:
    """421 for a Host this harness is not known by (DNS rebinding), in the path's dialect."""
    detail = (
        "De Host-header noemt een naam waaronder deze harness niet bekend is; "
        "voeg die toe met koppeling up --allowed-host NAAM."
    )
    if soap:
        resp = fault_response(SoapFault("Client.OngeldigBericht", detail))
    else:
        resp = problem_response(ApiError(421, "Onbekende host", detail, field="Host"))
    resp.status_code = 421
    return resp


#: the environ key of a server's own way to reset the request's connection (granian gives the
#: app no socket: ``koppeling.harness.granian_server.reset_connection``)
RESET_CONNECTION = "koppeling.reset_connection"


def _reset_connection() -> None:
    """Abort the TCP connection with a RST (SO_LINGER 0), as a crashed peer would."""
    reset = request.environ.get(RESET_CONNECTION)
    if reset is not None:
        reset(request.environ)
        return
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if not isinstance(sock, socket.socket):
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _after(name: str, core: Core) -> Callable[[Response], Response]:
    texts = _AnswerTexts()

    def after(response: Response) -> Response:
        req, tags = _request(), _g()
        response.headers[CORRELATION_HEADER] = tags.get("correlation_id", "")
        if tags.get("host_refused") or req.path.startswith(_UNJOURNALLED):
            return response
        try:
            core.journal.record(_entry(name, core, req, tags, response, texts))
        except Exception as exc:  # the journal must never break an answer
            log.warning("journal write failed: %s", exc)
        return response

    return after


#: paths whose requests are neither faulted nor journalled: the harness's own and static files
_UNJOURNALLED = ("/__admin", "/static")
#: the WSGI environ key of :data:`CORRELATION_HEADER`
_CORRELATION_ENVIRON = "HTTP_" + CORRELATION_HEADER.upper().replace("-", "_")


def _request() -> Request:
    """The request being answered, read once from Flask's context (not through its proxy)."""
    return request._get_current_object()  # type: ignore[attr-defined, no-any-return]


def _g() -> Any:
    """The request's ``g``, read once from Flask's context (not through its proxy)."""
    return g._get_current_object()


class _AnswerTexts:
    """An answer's body as the journal keeps it, decoded once per bytes object: an answer kept
    by its service (the same bytes every time) is not decoded again, and the journal writer's
    masking cache then finds the same text object. One per app's after-hook and one per SOAP
    lane; a race between two threads at worst decodes the same body twice."""

    def __init__(self) -> None:
        self._last: tuple[bytes, str | None, str | None] = (b"", None, None)

    def text(self, data: bytes, content_type: str | None) -> str | None:
        kept, kept_type, text = self._last
        if kept is not data or kept_type != content_type:
            text = _text(data, content_type)
            self._last = (data, content_type, text)
        return text


def _entry(
    name: str, core: Core, req: Request, tags: Any, response: Response, texts: _AnswerTexts
) -> Entry:
    environ, path = req.environ, req.path
    return journal_entry(
        name,
        core,
        method=req.method,
        path=path,
        full_path=req.full_path.rstrip("?") if environ.get("QUERY_STRING") else path.rstrip("?"),
        status=response.status_code,
        operation=tags.get("soap_operation"),
        school=tags.get("school"),
        fault=tags.get("soap_fault"),
        injected_fault=tags.get("injected_fault"),
        correlation_id=tags.get("correlation_id"),
        started=tags.started,
        request_text=_text(req.get_data(cache=True), req.content_type)
        if _may_have_body(environ)
        else None,
        response_text=texts.text(_response_bytes(response), response.content_type),
    )


def journal_entry(
    name: str,
    core: Core,
    *,
    method: str,
    path: str,
    full_path: str,
    status: int,
    operation: str | None,
    school: str | None,
    fault: str | None,
    injected_fault: str | None,
    correlation_id: str | None,
    started: float,
    request_text: str | None,
    response_text: str | None,
) -> Entry:
    """The journal entry of one answered request (the after-hook's and the SOAP lane's):
    timed by the school's clock, ``started`` a :func:`time.perf_counter` reading; ``full_path``
    is ``path`` with its query string, if any."""
    brin, _, dep = (school or "").partition("-")
    summary = f"{method} {path} -> {status}"
    if operation:
        summary = f"{operation} -> {fault or 'ok'}"
    if injected_fault:
        summary += f" [fault: {injected_fault}]"
    data: dict[str, Any] = {"duration_ms": round((time.perf_counter() - started) * 1000, 2)}
    if fault:
        data["fault"] = fault
    return Entry(
        service=name,
        kind="soap" if operation else "http",
        at=core.clock.now(brin or None, dep or None),
        method=method,
        path=full_path,
        status=status,
        operation=operation,
        school=school,
        correlation_id=correlation_id,
        summary=summary,
        request=request_text,
        response=response_text,
        data=data,
    )


def _may_have_body(environ: dict[str, Any]) -> bool:
    """Whether the request can carry a body: a Content-Length other than 0, or a chunked one
    (werkzeug reads nothing without either; reading costs a stream and a read call)."""
    return environ.get("CONTENT_LENGTH") not in (None, "", "0") or (
        "HTTP_TRANSFER_ENCODING" in environ
    )


def _response_bytes(response: Response) -> bytes:
    if response.direct_passthrough or response.is_streamed:
        return b""
    return response.get_data()


def _text(data: bytes, content_type: str | None) -> str | None:
    if not data:
        return None
    ctype = (content_type or "").lower()
    if not any(t in ctype for t in ("json", "xml", "text", "form")):
        return f"[{len(data)} bytes {ctype or 'binary'}]"
    return data.decode("utf-8", errors="replace")


# --- the SOAP lane -----------------------------------------------------------------------------

#: Hooks other modules put on every harness app and mark with :func:`lane_safe`: ones that do
#: nothing to a plain SOAP post (koppeling.web's security headers go on HTML answers only, its
#: cross-site form check acts only on a request carrying Origin or Referer, which the lane
#: leaves to Flask)
_LANE_SAFE_HOOKS: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()
HookT = TypeVar("HookT", bound=Callable[..., Any])


def lane_safe(hook: HookT) -> HookT:
    """Mark a request hook as doing nothing to a plain SOAP post, so a :class:`SoapLane` in
    front of the app stays open (an unmarked hook of another module closes it: the lane would
    skip it). Said by the hook's own module, where what it does is known."""
    _LANE_SAFE_HOOKS.add(hook)
    return hook


#: the status lines Flask sends for the lane's answers: an answer, a SOAP Fault
_WSGI_STATUS = {200: "200 OK", 500: "500 INTERNAL SERVER ERROR"}


class _FailingInput(io.RawIOBase):
    """A request body whose reading failed in the lane: Flask's read fails the same way."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise self.error


class SoapLane:
    """A raw-WSGI lane in front of a service's Flask app, for its one hot SOAP endpoint.

    A *plain* request — POST to exactly ``path`` with no query string, a Content-Length of at
    most :data:`MAX_REQUEST_BYTES`, no chunked body, a Host this harness is known by, no Origin
    or Referer, and no fault scripted for the service — is answered here without Flask's
    routing, request context and Response object: the same ``handler`` the Flask view calls
    (:func:`soap_answer`) makes the answer, :func:`journal_entry` the journal entry, and the
    status, headers and body are those Flask sends for it (``tests/las/test_soap_lane.py`` and
    ``tests/schoolkr8/test_soap_lane.py`` compare the two byte for byte). Everything else goes
    to Flask untouched, before the handler runs: another path or method, a scripted fault
    (Flask takes it), a body that cannot be read.

    What happens to a SoapFault or error of the handler depends on ``writes``. A handler that
    only reads (``writes=False``, the LAS's Haal) has no effect but its answer: the lane hands
    Flask the body it read, and Flask answers the request from the start, fault and journal
    entry as ever (doing the work twice changes nothing but the CPU). A handler that writes
    (``writes=True``, Schoolkr8's BrengLeerresultaten intake) runs exactly once per request:
    once it has been called, the lane answers its outcome itself — a SoapFault, or any other
    error, with the fault and journal entry Flask's error hooks give it (:func:`soap_fault_of`;
    an unexpected error is logged and kept in ``core.errors`` as there, by
    :func:`note_unexpected`) — so an error after its write was stored cannot store it twice.

    The first request of the app always goes to Flask (after it Flask refuses to add hooks);
    the lane opens only if every request hook of the app is one it stands in for.
    """

    def __init__(
        self,
        app: Flask,
        name: str,
        core: Core,
        path: str,
        handler: SoapHandler,
        *,
        writes: bool = False,
    ) -> None:
        self.app = app
        self.flask = app.wsgi_app
        self.name = name
        self.core = core
        self.path = path
        self.handler = handler
        self.writes = writes  # the handler runs once per request: the lane answers its faults
        self.served = 0  # answered by the lane (a figure for tests and benches)
        self._open: bool | None = None  # None: not checked yet
        self._texts = _AnswerTexts()  # the last answer, as text

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = environ.get("CONTENT_LENGTH") or ""
        if (
            environ.get("PATH_INFO") != self.path
            or environ.get("REQUEST_METHOD") != "POST"
            or not self._open
            or environ.get("QUERY_STRING")
            or not (length.isascii() and length.isdigit())
            or not 0 < int(length) <= MAX_REQUEST_BYTES
            or "HTTP_TRANSFER_ENCODING" in environ
            or "HTTP_ORIGIN" in environ
            or "HTTP_REFERER" in environ
            or request_started.receivers  # someone listens to Flask's request signals
            or request_finished.receivers
            or request_tearing_down.receivers
            or appcontext_pushed.receivers
            or appcontext_popped.receivers
            or appcontext_tearing_down.receivers
            or not host_allowed(environ.get("HTTP_HOST"), self.core.allowed_hosts)
        ):
            if self._open is None:
                return self._first(environ, start_response)
            return self.flask(environ, start_response)
        correlation_id = environ.get("HTTP_X_CORRELATION_ID") or new_correlation_id()
        started = time.perf_counter()
        try:
            body = environ["wsgi.input"].read(int(length))
        except Exception as exc:  # Flask reads it again and fails as it would have
            environ["wsgi.input"] = _FailingInput(exc)
            return self.flask(environ, start_response)
        answered = self._answer(body, environ, correlation_id, started)
        if answered is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.flask(environ, start_response)
        status, answer = answered
        start_response(
            _WSGI_STATUS[status],
            [
                ("Content-Type", SOAP_CONTENT_TYPE),
                ("Content-Length", str(len(answer))),
                (CORRELATION_HEADER, correlation_id),
            ],
        )
        self.served += 1
        return [answer]

    def _answer(
        self, body: bytes, environ: dict[str, Any], correlation_id: str, started: float
    ) -> tuple[int, bytes] | None:
        """The status and answer, its journal entry queued; None: Flask answers this request."""
        core = self.core
        tags = RequestTags()
        core.db.pin()  # as the before-hook: one read of the generations for the request
        try:
            if core.faults.scripted(self.name):
                return None
            fault: SoapFault | None = None
            try:
                answer = self.handler(body, environ.get("HTTP_SOAPACTION"), tags)
            except Exception as exc:
                expected = isinstance(exc, KoppelingError | HTTPException)  # a fault, no bug
                if not self.writes:  # Flask does it again and answers; a test sees a bug here
                    if not expected:
                        log.exception("the SOAP lane of %s failed; Flask answers", self.name)
                        core.errors.append(exc)
                    return None
                if not expected:  # the handler ran once: its outcome is answered here
                    note_unexpected(self.name, core, exc)
                fault = soap_fault_of(exc)
                answer = fault_envelope(fault)
            status = 200 if fault is None else 500
            try:
                core.journal.record(
                    journal_entry(
                        self.name,
                        core,
                        method="POST",
                        path=self.path,
                        full_path=self.path,
                        status=status,
                        operation=tags.operation,
                        school=tags.school,
                        fault=None if fault is None else fault.code,
                        injected_fault=None,
                        correlation_id=correlation_id,
                        started=started,
                        request_text=_text(body, environ.get("CONTENT_TYPE")),
                        response_text=self._texts.text(answer, SOAP_CONTENT_TYPE),
                    )
                )
            except Exception as exc:  # the journal must never break an answer
                log.warning("journal write failed: %s", exc)
            return status, answer
        finally:
            core.db.unpin()

    def _first(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        result = self.flask(environ, start_response)
        self._open = self._stands_in_for_hooks()
        if not self._open:
            log.warning(
                "the SOAP lane of %s stays closed: the app has hooks it does not know", self.name
            )
        return result

    def _stands_in_for_hooks(self) -> bool:
        """Whether every request hook of the app is one the lane does the work of (its own
        service hooks) or one that does nothing to a plain SOAP post (:data:`_LANE_SAFE_HOOKS`)."""
        app = self.app
        own = app.extensions.get("koppeling.hooks", ())
        hooks = [  # a blueprint's hooks apply to its own endpoints only, not to the SOAP view
            *app.before_request_funcs.get(None, ()),
            *app.after_request_funcs.get(None, ()),
            *app.teardown_request_funcs.get(None, ()),
            *app.url_value_preprocessors.get(None, ()),
            *app.teardown_appcontext_funcs,
        ]
        return all(hook in own or hook in _LANE_SAFE_HOOKS for hook in hooks)


def add_soap_lane(
    app: Flask, name: str, core: Core, path: str, handler: SoapHandler, *, writes: bool = False
) -> SoapLane:
    """Put a :class:`SoapLane` for ``path`` in front of ``app`` (its ``wsgi_app``, the WSGI
    entry every server calls through ``app(environ, start_response)``: gunicorn's
    PortDispatcher, the werkzeug server threads and the test client alike); ``writes``: the
    handler has effects, so it runs once per request (see the class)."""
    lane = SoapLane(app, name, core, path, handler, writes=writes)
    app.wsgi_app = lane  # type: ignore[method-assign]
    app.extensions["koppeling.soap_lane"] = lane
    return lane


# --- errors ------------------------------------------------------------------------------------


def soap_fault_of(exc: Exception) -> SoapFault:
    """The SOAP Fault a SOAP path answers an error with: the error hooks' and a writing
    :class:`SoapLane`'s (an unexpected error also goes to :func:`note_unexpected`)."""
    if isinstance(exc, SoapFault):
        return exc
    if isinstance(exc, ApiError):
        return SoapFault("Client.OngeldigBericht", exc.detail or exc.title)
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        code = "Client.OngeldigBericht" if status < 500 else "Server.InterneFout"
        return SoapFault(code, f"{status} {exc.name}: {exc.description}")
    return SoapFault("Server.InterneFout", "Interne fout in de mock")


def note_unexpected(name: str, core: Core, exc: Exception) -> None:
    """An error nothing expected: logged with its traceback and kept in ``core.errors`` (a
    test fails on it); the client gets a fault or problem details without it."""
    log.error("unexpected error in %s", name, exc_info=exc)
    core.errors.append(exc)


def _install_errors(app: Flask, core: Core, is_soap: Callable[[], bool]) -> None:
    @app.errorhandler(SoapFault)
    def on_fault(exc: SoapFault) -> Response:
        return fault_response(exc)

    @app.errorhandler(ApiError)
    def on_api_error(exc: ApiError) -> Response:
        if is_soap():
            return fault_response(soap_fault_of(exc))
        return problem_response(exc)

    @app.errorhandler(HTTPException)
    def on_http(exc: HTTPException) -> Response:
        status = exc.code or 500
        if is_soap():
            return fault_response(soap_fault_of(exc))
        resp = problem_response(ApiError(status, exc.name, exc.description or ""))
        if status == 405 and exc.get_response().headers.get("Allow"):
            resp.headers["Allow"] = exc.get_response().headers["Allow"]
        return resp

    @app.errorhandler(Exception)
    def on_unexpected(exc: Exception) -> Response:
        if isinstance(exc, KoppelingError):  # pragma: no cover - handled above
            raise exc
        note_unexpected(app.config["SERVICE_NAME"], core, exc)
        if is_soap():
            return fault_response(soap_fault_of(exc))
        return problem_response(ApiError(500, "Interne fout", "Onverwachte fout in de mock"))


# --- /__admin ----------------------------------------------------------------------------------


def _install_admin(app: Flask, name: str, core: Core) -> None:
    @app.get("/__admin/health")
    def admin_health() -> Any:
        """Liveness: the service answers and can read its store."""
        core.clock.now()
        return {"status": "ok", "service": name}

    @app.get("/__admin/services")
    def admin_services() -> Any:
        """The base URL of every service this harness uses (its mailbox among them)."""
        return {"service": name, "services": dict(sorted(core.urls.items()))}

    @app.get("/__admin/requests")
    def admin_requests() -> Any:
        """The journal of this service (``?all=1`` for every service), newest last, bounded.

        At most ``limit`` entries (default :data:`JOURNAL_PAGE`, at most :data:`JOURNAL_PAGE_MAX`):
        the newest, or with ``since_id`` the oldest after it; ``next_since_id`` pages on."""
        args = request.args
        since = _int_arg(args, "since_id", 0, 0, INT64_MAX)
        limit = _int_arg(args, "limit", JOURNAL_PAGE, 1, JOURNAL_PAGE_MAX)
        entries = core.journal.entries(
            service=None if args.get("all") in ("1", "true") else name,
            school=args.get("school"),
            correlation_id=args.get("correlation_id"),
            kind=args.get("kind"),
            since_id=since,
            limit=limit + 1,
            from_oldest="since_id" in args,
        )
        more = len(entries) > limit
        page = (entries[:limit] if "since_id" in args else entries[1:]) if more else entries
        return {
            "service": name,
            "requests": [e.as_json() for e in page],
            "next_since_id": page[-1].id if more and "since_id" in args else None,
            "truncated": more,
        }

    @app.post("/__admin/reset")
    def admin_reset() -> Any:
        """Forget this service's journal and faults (stored data stays)."""
        core.journal.clear(name)
        core.faults.clear(name)
        return {"status": "reset", "service": name}

    @app.get("/__admin/faults")
    def admin_faults() -> Any:
        """The scripted faults of this service, in the order they will be taken."""
        return {"faults": [f.as_json() for f in core.faults.list(name)]}

    @app.post("/__admin/faults")
    def admin_add_fault() -> Any:
        """Script a fault: ``{"path", "method", "fault", "delay_ms", "times"}``."""
        fault = core.faults.add(name, parse_fault_request(json_body()))
        return fault.as_json(), 201

    @app.delete("/__admin/faults")
    def admin_clear_faults() -> Any:
        """Remove every scripted fault of this service."""
        core.faults.clear(name)
        return {"faults": []}

    @app.get("/__admin/clock")
    def admin_clock() -> Any:
        """The harness clock, or a school's (``?brincode=&dependancecode=``)."""
        brin, dep = _school_args(dict(request.args))
        return core.clock.state(brin, dep).as_json()

    @app.post("/__admin/clock")
    def admin_set_clock() -> Any:
        """Set (``now``, ``frozen``), advance (``advance_seconds``) or ``reset`` a clock."""
        body = json_body()
        brin, dep = _school_args(body)
        if body.get("reset") is True:
            return _reset_clock(core.clock, brin, dep)
        return _apply_clock(core.clock, body, brin, dep).as_json()


def _int_arg(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter in ``low..high`` (``default`` if absent), else a 422 naming it."""
    text = args.get(name)
    if text is None:
        return default
    digits = text.strip()
    if (
        not (digits.isascii() and digits.isdigit())
        or len(digits) > 19
        or not low <= int(digits) <= high
    ):
        raise invalid(name, f"{name} must be an integer {low}..{high}, got {text[:40]!r}")
    return int(digits)


def _school_args(source: dict[str, Any]) -> tuple[str | None, str | None]:
    brin = source.get("brincode")
    if brin is None:
        return None, None
    try:
        return check_brincode(brin), check_dependancecode(source.get("dependancecode"))
    except ValueError as exc:
        field_name = "brincode" if "brincode" in str(exc) else "dependancecode"
        raise invalid(field_name, str(exc)) from None


def _apply_clock(clock: Clock, body: dict[str, Any], brin: str | None, dep: str | None) -> Any:
    frozen = body.get("frozen")
    if frozen is not None and not isinstance(frozen, bool):
        raise invalid("frozen", f"frozen must be true or false, got {frozen!r}")
    if "now" in body:
        if not isinstance(body["now"], str):
            raise invalid("now", f"now must be an ISO-8601 date-time text, got {body['now']!r}")
        try:
            now = parse_instant(body["now"])
        except ValueError as exc:
            raise invalid("now", str(exc)) from None
        return clock.set(
            now, frozen=True if frozen is None else frozen, brincode=brin, dependancecode=dep
        )
    if "advance_seconds" in body:
        seconds = body["advance_seconds"]
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise invalid("advance_seconds", f"advance_seconds must be a number, got {seconds!r}")
        try:
            return clock.advance(float(seconds), brincode=brin, dependancecode=dep)
        except ValueError as exc:
            raise invalid("advance_seconds", str(exc)) from None
    if frozen is not None:
        current = clock.state(brin, dep)
        return clock.set(current.now, frozen=frozen, brincode=brin, dependancecode=dep)
    raise invalid("now", "give one of now, advance_seconds, frozen or reset")


def _reset_clock(clock: Clock, brin: str | None, dep: str | None) -> Any:
    clock.reset(brin, dep)
    return clock.state(brin, dep).as_json()
