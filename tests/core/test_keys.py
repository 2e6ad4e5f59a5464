"""Keys: random, hashed, constant-time compared, and never shown in full."""

from __future__ import annotations

import pytest

from koppeling.harness.keys import key_hash, key_matches, mask, mask_data, mask_text, new_key


def test_new_keys_are_long_random_and_prefixed() -> None:
    keys = {new_key("sk8") for _ in range(50)}
    assert len(keys) == 50
    assert all(k.startswith("sk8_") and len(k) >= 20 for k in keys)
    with pytest.raises(ValueError, match="prefix"):
        new_key("xyz")


def test_hash_and_match() -> None:
    key = new_key("pns")
    stored = key_hash(key)
    assert key not in stored
    assert key_matches(key, stored)
    assert not key_matches(key + "x", stored)


def test_masking_everywhere() -> None:
    key = new_key("esis")
    assert mask(key) == key[:9] + "…"
    text = f'{{"autorisatiesleutel": "ImVowXsh2g71qvUilAaw", "x": "zie {key}"}}'
    masked = mask_text(text)
    assert "ImVowXsh2g71qvUilAaw" not in masked and key not in masked
    xml = "<aut:autorisatiesleutel>geheim-geheim</aut:autorisatiesleutel>"
    assert "geheim-geheim" not in mask_text(xml)
    data = mask_data({"Autorisatiesleutel": "abcdefghijkl", "lijst": [key]})
    assert data == {"Autorisatiesleutel": "abcd…", "lijst": [mask(key)]}
