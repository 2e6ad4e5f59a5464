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


@pytest.mark.parametrize(
    "encoded",
    [
        '{{"autorisatie\\u0073leutel": "\\u0073k8_{rest}"}}',  # JSON unicode escapes
        "<aut:autorisatiesleutel>&#115;k8_{rest}</aut:autorisatiesleutel>",  # char refs
        "<x>&#x73;&#x6B;&#56;_{rest}</x>",  # hexadecimal char refs, outside a named field
        "/api/messages?query=%73k8_{rest}",  # percent-encoded in a query string
        "/api/messages?query=%2573k8_{rest}",  # percent-encoded twice
        "naam=x&tekst=zie+%73k8_{rest}",  # a form body
    ],
)
def test_encoded_keys_are_masked(encoded: str) -> None:
    key = new_key("sk8")
    rest = key.removeprefix("sk8_")
    masked = mask_text(encoded.format(rest=rest))
    assert rest[4:] not in masked
    assert "…" in masked


@pytest.mark.parametrize(
    "text",
    [
        '{"autorisatie\\u0073leutel": "geheim-van-de-school"}',
        "<autorisatiesleutel><![CDATA[geheim-van-de-school]]></autorisatiesleutel>",
        "/?autorisatiesleutel=geheim-van-de-school&x=1",
        "brincode=99AB&sleutel=geheim%2Dvan%2Dde%2Dschool",
    ],
)
def test_secret_fields_are_masked_however_written(text: str) -> None:
    assert "van-de-school" not in mask_text(text).replace("%2D", "-")


def test_masking_twice_changes_nothing_and_plain_text_keeps_its_encoding() -> None:
    once = mask_text("sleutel=geheimgeheim&x=1")
    assert once == "sleutel=gehe…&x=1"
    assert mask_text(once) == once
    assert mask_text("sleutel=geheimgeheim…") == "sleutel=gehe…"  # an ellipsis is no disguise
    plain = '{"naam": "a+b %20 \\u00e9", "x": "&#233;"}'
    assert mask_text(plain) == plain
