"""Two SOAP stacks nobody on this project wrote, run as partner developers run them: PHP's own
``SoapClient`` (Debian ``php-cli php-soap``) and node-soap (npm ``soap``, pinned in
:mod:`koppeling.npmtools`, installed into the git-ignored ``.tools/`` on first use).

Each stack has one script per service (``php/*.php``, ``node/*.cjs``) that loads a WSDL — the one
the mock serves at ``?wsdl``, or the official Edustandaard file with the endpoint overridden —,
makes every call and prints JSON of what it received. This module finds the stacks (a missing one
is a :class:`StackMissing` naming what to install) and runs the scripts with a timeout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from koppeling.npmtools import NODE_SOAP, ToolMissing, ensure, install_hint

HERE = Path(__file__).resolve().parent
PHP_DIR = HERE / "php"
NODE_DIR = HERE / "node"
PHP_HINT = "apt-get install php-cli php-soap (.ci/run does it on a CI machine)"
NODE_HINT = f"apt-get install nodejs npm, then {install_hint(NODE_SOAP)} (.ci/run does it)"
TIMEOUT = 180  # seconds for one script (every call of one service, both fault cases)

Stack = Literal["php", "node"]
WsdlKind = Literal["served", "official"]
STACKS: tuple[Stack, ...] = ("php", "node")
WSDL_KINDS: tuple[WsdlKind, ...] = ("official", "served")
OFFICIAL_WSDL = {
    "leerlinggegevens": "UWLR_Leerlinggegevens_v2p2.wsdl",
    "leerresultaten": "UWLR_Leerresultaten_v2p2.wsdl",
}


class StackMissing(RuntimeError):
    """A SOAP stack the tests need is not installed here; the message says how to get it."""


def php_binary() -> str:
    """``php`` with the soap extension loaded."""
    php = shutil.which("php")
    if php is None:
        raise StackMissing(f"PHP is not installed: {PHP_HINT}")
    done = subprocess.run([php, "-m"], capture_output=True, text=True, timeout=60)
    if "soap" not in done.stdout.split():
        raise StackMissing(f"PHP has no soap extension: {PHP_HINT}")
    return php


def node_soap() -> tuple[str, Path]:
    """``node`` and the folder holding node-soap at the pinned version (installed if needed)."""
    node = shutil.which("node")
    if node is None:
        raise StackMissing(f"Node.js is not installed: {NODE_HINT}")
    try:
        return node, ensure(NODE_SOAP)
    except ToolMissing as exc:
        raise StackMissing(f"node-soap: {exc}; {NODE_HINT}") from None


def official_wsdl(uwlr_dir: Path, name: str) -> Path:
    """The official WSDL ``name`` (leerlinggegevens | leerresultaten), loaded from its own folder
    (it imports ``../Schemas/*.xsd`` relatively)."""
    path = uwlr_dir / "wsdl" / OFFICIAL_WSDL[name]
    if not path.is_file():
        raise StackMissing(
            f"the official UWLR 2.2 WSDL {path} is absent: set KOPPELING_UWLR_DIR to the folder "
            "holding wsdl/ and Schemas/ (default ../shared/uwlr-2.2)"
        )
    return path


@dataclass(frozen=True)
class Runner:
    """How to start one stack's scripts: the interpreter and the arguments before the script's."""

    stack: Stack
    program: str
    lead: tuple[str, ...] = ()

    def script(self, service: str) -> Path:
        if self.stack == "php":
            return PHP_DIR / f"{service}_client.php"
        return NODE_DIR / f"{service}_client.cjs"

    def run(self, service: str, args: Sequence[str]) -> dict[str, Any]:
        """Run the ``service`` script (``las`` | ``schoolkr8``) with ``args``; its JSON."""
        command = [self.program, str(self.script(service)), *self.lead, *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
        if done.returncode != 0:
            raise AssertionError(
                f"{self.stack} {service} client exited {done.returncode}:\n"
                f"{done.stderr[-4000:]}\n{done.stdout[-2000:]}"
            )
        results: dict[str, Any] = json.loads(done.stdout)
        return results


def runner(stack: Stack) -> Runner:
    """The runner of ``stack``; :class:`StackMissing` when it is not installed."""
    if stack == "php":
        return Runner("php", php_binary())
    node, folder = node_soap()
    return Runner("node", node, (str(folder),))


def fault_code(outcome: dict[str, Any]) -> str | None:
    """The UWLR code of a SOAP fault outcome (``soap:Client.X`` -> ``Client.X``), else None."""
    fault = outcome.get("fault")
    if not fault:
        return None
    return str(fault["code"]).rpartition(":")[2]
