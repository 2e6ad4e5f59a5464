"""The Rust Pact verifier, as a partner team runs it: npm ``@pact-foundation/pact-cli``.

Partners on the JVM, in JS or in Rust do not run ``koppeling verify``; they point the verifier of
their own stack at ``koppeling up``, with nothing of ours but the harness's standard provider
endpoints (:mod:`contracts.provider_endpoints`). The test suite does the same with the Rust
verifier, pinned here (and read from here by ``.ci/run``), installed with npm into the git-ignored
``.tools/`` on first use (:mod:`koppeling.npmtools`). :func:`verifier_command` is the very command
docs/contracts.md tells a partner to run.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from contracts.pactkit import PACT_DIR
from koppeling.npmtools import TOOLS_DIR, ToolMissing, ensure, install_hint

PACT_CLI = "@pact-foundation/pact-cli@18.1.2"
INSTALL_HINT = f"run .ci/run, or: {install_hint(PACT_CLI)}"


class VerifierMissing(RuntimeError):
    """The Rust verifier is not installed and cannot be (no npm here, or npm failed)."""


def pact_cli(tools: Path = TOOLS_DIR) -> Path:
    """The pinned ``pact`` binary, installed with npm into ``tools`` first if it is not there."""
    try:
        return ensure(PACT_CLI, tools) / "node_modules" / ".bin" / "pact"
    except ToolMissing as exc:
        raise VerifierMissing(f"the Rust Pact verifier: {exc}; {INSTALL_HINT}") from None


def verifier_command(
    binary: Path | str, provider: str, base_url: str, pact_dir: Path = PACT_DIR
) -> list[str]:
    """``pact verifier`` for one provider of a running harness: its HTTP interactions at
    ``base_url``, states at ``/__admin/pact/state``, messages at ``/__admin/pact/messages``."""
    url = urlsplit(base_url)
    port = str(url.port or (443 if url.scheme == "https" else 80))
    return [
        str(binary),
        "verifier",
        "--dir",
        str(pact_dir),
        "--provider-name",
        provider,
        "--hostname",
        url.hostname or "127.0.0.1",
        "--port",
        port,
        "--state-change-url",
        f"{base_url.rstrip('/')}/__admin/pact/state",
        "--transports",
        f"message:{port}/__admin/pact/messages",
        "--no-colour",
    ]


@dataclass
class RustReport:
    """What the verifier said: its exit code, its text output and each interaction's result."""

    exit_code: int
    output: str
    results: dict[str, str] = field(default_factory=dict)  # description -> "OK" / "Failed" …

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and all(r == "OK" for r in self.results.values())


def run_verifier(command: Sequence[str], json_report: Path, *, timeout: float = 300) -> RustReport:
    """Run ``command`` with a JSON report written to ``json_report``; its outcome."""
    done = subprocess.run(
        [*command, "--json", str(json_report)], capture_output=True, text=True, timeout=timeout
    )
    report = RustReport(done.returncode, done.stdout + done.stderr)
    if json_report.exists():
        data = json.loads(json_report.read_text(encoding="utf-8"))
        for item in data.get("interactionResults", []):
            report.results[str(item.get("description"))] = str(item.get("result"))
    return report
