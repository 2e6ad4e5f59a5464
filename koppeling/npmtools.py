"""Pinned tools from the npm registry, each in its own folder under the git-ignored ``.tools/``.

The test suite drives the harness with clients nobody here wrote (the Rust Pact verifier, Mailpit's
npm client, node-soap) and the benchmark runs WireMock; all come from npm. Each package gets its own
``--prefix`` (``.tools/<name>/``), because npm prunes from a prefix whatever its last install did
not ask for. ``--prefix`` also moves npm's *global* config to the prefix, which would drop the
machine's settings (its CA file, its registry), so the machine's global config is passed on.
Installs take a file lock: pytest-xdist workers install a tool once.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent.parent / ".tools"

# node-soap, the SOAP stack of partner developers in JavaScript: tests/soapclients/ and
# docs/soap-clients.md load the served and the official UWLR WSDLs with it.
NODE_SOAP = "soap@1.13.0"


class ToolMissing(RuntimeError):
    """A pinned npm tool is not installed and cannot be (no npm here, or npm failed)."""


def folder(spec: str, tools: Path = TOOLS_DIR) -> Path:
    """Where ``spec`` (``name@version``) is installed: ``tools/<name without scope>``."""
    name = spec.rpartition("@")[0]
    return tools / name.rpartition("/")[2]


def install_hint(spec: str) -> str:
    """The command that installs ``spec`` by hand, for error messages and docs."""
    return f"npm install --prefix .tools/{folder(spec, Path()).name} {spec}"


def ensure(spec: str, tools: Path = TOOLS_DIR) -> Path:
    """The folder holding ``spec`` at its pinned version, installed with npm first if needed."""
    target = folder(spec, tools)
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_version(spec, target) != spec.rpartition("@")[2]:
            _npm_install(spec, target)
    return target


def installed_version(spec: str, target: Path) -> str | None:
    """The version of ``spec``'s package in ``target``, or None."""
    manifest = target / "node_modules" / spec.rpartition("@")[0] / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text(encoding="utf-8")).get("version"))


def _npm_install(spec: str, target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise ToolMissing(f"{spec} is missing and npm is not on PATH: {install_hint(spec)}")
    args = [npm, "install", "--prefix", str(target), "--no-audit", "--no-fund"]
    global_config = _global_config(npm)
    if global_config:
        args.append(f"--globalconfig={global_config}")
    done = subprocess.run([*args, spec], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise ToolMissing(f"npm could not install {spec}: {done.stderr[-2000:]}")


def _global_config(npm: str) -> str | None:
    """The machine's global npmrc (read before ``--prefix`` moves it), if it exists."""
    done = subprocess.run(
        [npm, "config", "get", "globalconfig"], capture_output=True, text=True, timeout=60
    )
    path = done.stdout.strip()
    return path if done.returncode == 0 and path and Path(path).is_file() else None
