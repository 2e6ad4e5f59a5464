"""Without PHP or Node.js the SOAP-stack tests fail (never skip), saying what to install."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from koppeling.npmtools import NODE_SOAP
from tests.soapclients import stacks
from tests.soapclients.stacks import StackMissing, runner


def test_without_php_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(StackMissing, match=r"apt-get install php-cli php-soap"):
        runner("php")


def test_php_without_the_soap_extension_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "php"
    fake.write_text("#!/bin/sh\necho '[PHP Modules]'; echo json\n")
    fake.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake) if name == "php" else None)
    with pytest.raises(StackMissing, match=r"no soap extension: apt-get install php-cli php-soap"):
        runner("php")


def test_without_node_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(StackMissing, match=r"npm install --prefix \.tools/soap soap@"):
        runner("node")


def test_the_official_wsdl_missing_is_named() -> None:
    with pytest.raises(StackMissing, match=r"KOPPELING_UWLR_DIR"):
        stacks.official_wsdl(stacks.HERE / "absent", "leerlinggegevens")


def test_the_docs_name_the_pinned_node_soap_and_the_php_packages() -> None:
    """docs/soap-clients.md tells partners what the tests install; it must not drift."""
    text = (stacks.HERE.parent.parent / "docs" / "soap-clients.md").read_text(encoding="utf-8")
    assert f"npm install --prefix .tools/soap {NODE_SOAP}" in text
    assert "apt-get install php-cli php-soap" in text
