"""The Pact plumbing every contract module shares: names, quiet logging, stable files, reports.

Kept apart from the consumer cases and the provider states so that ``koppeling verify`` (for a
partner's real service) and the test suite (for our mocks) run the very same verification code:
:func:`run_verification` builds one :class:`pact.Verifier` per provider, points it at a base URL
and a state-change URL, and turns the verifier's JSON results into a :class:`Report` that names
each failing interaction, the field (the body path) and what was expected versus what came.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PACT_DIR = Path(__file__).resolve().parent / "pacts"

CONSUMER = "boom-testcentrum"
BEHEERDER = "school-beheerder"
PARNASSYS = "parnassys-uwlr"
ESIS = "esis-uwlr"
SCHOOLKR8 = "schoolkr8"
KLANTENSERVICE = "boom-klantenservice"
PROVIDERS = (PARNASSYS, ESIS, SCHOOLKR8, KLANTENSERVICE)

# Which harness service plays which Pact provider (the harness names are docs/architecture.md's).
HARNESS_SERVICE = {
    PARNASSYS: "parnassys",
    ESIS: "esis",
    SCHOOLKR8: "schoolkr8",
    KLANTENSERVICE: "klantenservice",
}

# Pact-file metadata that changes with the installed pact-ffi, not with the contract.
_VOLATILE_METADATA = ("pactRust", "pact-python", "pactPython")


def quiet() -> None:
    """Raise the FFI's chatty INFO loggers to WARNING (call before the first Pact/Verifier)."""
    for name in ("pact", "pact.ffi", "pact._server", "pact.verifier", "pact.pact"):
        logging.getLogger(name).setLevel(logging.WARNING)


def pact_files(directory: Path, provider: str | None = None) -> list[Path]:
    """The pact files in ``directory`` (for one provider, if given), in name order."""
    pattern = f"*-{provider}.json" if provider else "*.json"
    return sorted(p for p in directory.glob(pattern) if p.is_file())


def normalise_file(path: Path) -> None:
    """Rewrite a pact file in a stable form: no tool versions, interactions sorted, keys sorted.

    The FFI's merging write keeps interactions in test-execution order and stamps its own
    version; neither is part of the contract, and both would make regeneration drift.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    metadata = data.get("metadata", {})
    for key in _VOLATILE_METADATA:
        metadata.pop(key, None)
    data["interactions"] = sorted(
        data.get("interactions", []),
        key=lambda i: (i.get("description", ""), json.dumps(i.get("providerStates", []))),
    )
    path.write_text(
        json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


# --- verification ------------------------------------------------------------------------------


@dataclass
class Mismatch:
    """One difference the verifier found in one interaction."""

    interaction: str
    kind: str
    field: str
    detail: str

    def line(self) -> str:
        where = f" at {self.field}" if self.field else ""
        return f"  - [{self.kind}]{where}: {self.detail}"


@dataclass
class Report:
    """The outcome of one provider verification, readable by a partner developer."""

    provider: str
    base_url: str
    interactions: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    state_errors: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    output: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.state_errors or self.errors)

    def render(self) -> str:
        """A plain-text report: per failing interaction, which field, expected vs got."""
        lines = [f"Verifying provider {self.provider} at {self.base_url}"]
        failed = {m.interaction for m in self.mismatches}
        for name in self.interactions:
            lines.append(f"  {'FAILED' if name in failed else 'ok    '}  {name}")
        lines.extend(f"  state error: {e}" for e in self.state_errors)
        lines.extend(f"  error: {e}" for e in self.errors)
        for name in sorted(failed):
            lines.append(f"\nInteraction: {name}")
            lines.extend(m.line() for m in self.mismatches if m.interaction == name)
        total, bad = len(self.interactions), len(failed)
        verdict = "PASSED" if self.ok else "FAILED"
        lines.append(f"\n{verdict}: {total - bad} of {total} interactions verified")
        return "\n".join(lines)


def loopback_host(url: str) -> str:
    """The host of a base URL (the verifier's host must equal the transport's)."""
    host = urlsplit(url).hostname
    if not host:
        raise ValueError(f"not an absolute URL: {url!r}")
    return host


def run_verification(
    provider: str,
    base_url: str,
    *,
    sources: Sequence[str | Path],
    state_change_url: str | None = None,
    broker_url: str | None = None,
    consumers: Iterable[str] = (),
    message_handlers: Mapping[str, Callable[..., Any]] | None = None,
    state_errors: Sequence[str] = (),
    timeout_ms: int = 10_000,
) -> Report:
    """Replay every interaction of ``provider`` against ``base_url`` in one verifier run."""
    quiet()
    from pact import Verifier  # imported late: only contract code loads the FFI

    verifier = Verifier(provider, host=loopback_host(base_url))
    verifier.add_transport(url=base_url.rstrip("/") + "/")
    verifier.set_coloured_output(enabled=False)
    verifier.set_request_timeout(timeout_ms)
    for source in sources:
        verifier.add_source(str(source))
    if broker_url:
        verifier.broker_source(broker_url)
    if consumers:
        verifier.filter_consumers(*consumers)
    if state_change_url:
        verifier.state_handler(state_change_url, body=True, teardown=False)
    if message_handlers:
        verifier.message_handler(dict(message_handlers))
    report = Report(provider=provider, base_url=base_url)
    try:
        with _stdout_silenced():
            verifier.verify()
    except RuntimeError as exc:  # the FFI raises a bare RuntimeError on any failure
        report.errors.append(str(exc))
    finally:
        _close_relay(verifier)
    report.output = str(verifier.output(strip_ansi=True))
    _read_results(report, verifier.results)
    report.state_errors.extend(state_errors)
    if report.mismatches or report.state_errors:
        report.errors = [e for e in report.errors if not e.startswith("Failed to execute")]
    return report


def _close_relay(verifier: Any) -> None:
    """pact-python 4.2 shuts its message relay server down without closing the socket (an
    unclosed-socket ResourceWarning later); close it here."""
    relay = getattr(getattr(verifier, "_message_producer", None), "_server", None)
    if relay is not None:
        relay.server_close()


@contextmanager
def _stdout_silenced() -> Iterator[None]:
    """The FFI prints its own report on file descriptor 1 (ours is built from the results), and
    pact's message relay logs each request on stderr."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull, redirect_stderr(io.StringIO()):
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _read_results(report: Report, results: dict[str, Any]) -> None:
    for item in results.get("interactionResults", []):
        name = str(item.get("description", "?"))
        report.interactions.append(name)
        if item.get("result") != "Ok" and item.get("mismatch"):
            report.mismatches.extend(_mismatches(name, item["mismatch"]))
    if not report.interactions and not report.errors:
        report.errors.append("no interactions were verified (no pact for this provider?)")


def _mismatches(name: str, mismatch: dict[str, Any]) -> list[Mismatch]:
    if mismatch.get("type") != "mismatches":
        message = mismatch.get("message") or json.dumps(mismatch)
        return [Mismatch(name, mismatch.get("type", "error"), "", str(message))]
    found = []
    for item in mismatch.get("mismatches", []):
        kind = item.get("type", "mismatch")
        where = item.get("path") or item.get("key") or item.get("parameter") or ""
        detail = item.get("mismatch") or _expected_got(item)
        found.append(Mismatch(name, kind, _readable_path(str(where)), str(detail)))
    return found


def _expected_got(item: dict[str, Any]) -> str:
    return f"expected {item.get('expected')!r}, got {item.get('actual')!r}"


_URI_STEP = re.compile(r"\['(?:[a-z]+:)?[^'\]]*?:([A-Za-z_][\w.-]*)'\]")


def _readable_path(path: str) -> str:
    """``$['http://…/envelope/:Envelope']…['#text']`` → ``$.Envelope.Body….#text``."""
    if "['" not in path:
        return path
    short = _URI_STEP.sub(lambda m: "." + m.group(1), path)
    return re.sub(r"\['([^']*)'\]", lambda m: "." + m.group(1), short)
