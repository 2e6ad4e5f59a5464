"""Pinned npm tools each get their own folder, and npm keeps the machine's global settings."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from koppeling import npmtools
from koppeling.npmtools import ToolMissing, ensure, folder, install_hint


def test_each_tool_has_its_own_folder() -> None:
    assert folder("@pact-foundation/pact-cli@18.1.2", Path(".tools")) == Path(".tools/pact-cli")
    assert folder("mailpit-api@2.1.0", Path(".tools")) == Path(".tools/mailpit-api")
    assert install_hint("wiremock@3.13.2") == "npm install --prefix .tools/wiremock wiremock@3.13.2"


def fake_npm(tmp_path: Path, global_config: Path) -> Path:
    """An ``npm`` that answers ``config get globalconfig`` and records its install arguments."""
    script = tmp_path / "bin" / "npm"
    script.parent.mkdir()
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = config ]; then echo {global_config}; exit 0; fi\n'
        f'echo "$@" > {tmp_path / "args"}\n'
        'prefix=$3; mkdir -p "$prefix/node_modules/tool"\n'
        'echo \'{"version": "1.0.0"}\' > "$prefix/node_modules/tool/package.json"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script.parent


def test_install_passes_the_machines_global_config_and_runs_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--prefix`` would move npm's global config (and with it the machine's CA file)."""
    npmrc = tmp_path / "npmrc"
    npmrc.write_text("cafile=/etc/ssl/certs/ca-certificates.crt\n")
    monkeypatch.setenv("PATH", f"{fake_npm(tmp_path, npmrc)}{os.pathsep}{os.environ['PATH']}")
    target = ensure("tool@1.0.0", tmp_path / "tools")
    assert target == tmp_path / "tools" / "tool"
    assert f"--globalconfig={npmrc}" in (tmp_path / "args").read_text()
    (tmp_path / "args").unlink()
    ensure("tool@1.0.0", tmp_path / "tools")  # installed: npm is not asked again
    assert not (tmp_path / "args").exists()


def test_without_npm_the_error_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(npmtools.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing, match=r"npm install --prefix \.tools/tool tool@1\.0\.0"):
        ensure("tool@1.0.0", tmp_path)
