"""Keys: random, hashed, constant-time compared, and never shown in full."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import koppeling.harness.keys as masker
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


def _reference_mask_flat(text: str) -> str:
    """The raw-text masker as written before its shortcut: every text run through the three
    decodings, whether it holds an encoding or not."""
    masked = masker._mask_raw(text)
    decoded = masked
    for _ in range(masker._DECODE_ROUNDS):
        previous = decoded
        decoded = masker._CHAR_REF.sub(masker._char_ref, decoded)
        decoded = masker._NAMED_REF.sub(lambda m: masker._NAMED_CHARS[m.group(1)], decoded)
        decoded = masker._JSON_ESCAPE.sub(
            lambda m: masker._char(int(m.group(1), 16), m.group(0)), decoded
        )
        if "%" in decoded:
            decoded = unquote(decoded, errors="replace")
        if decoded == previous:
            break
    revealed = masker._mask_raw(decoded)
    return revealed if revealed != decoded else masked


_FRAGMENTS = st.sampled_from(
    [
        "sk8_" + "AbCd" * 8,
        "pns_Zz9Y" + "q" * 12,
        "<aut:autorisatiesleutel>",
        "</aut:autorisatiesleutel>",
        '"password": "',
        '"',
        "?sleutel=",
        "&",
        "%73k8_",
        "%2573",
        "&#115;",
        "&#x6B;",
        "&quot;",
        "&lt;",
        "&amp;",
        "\\u0073",
        "…",
        "plain text ",
        "<a>",
        "=",
        "50%",
        "\\",
    ]
)


@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=6)), max_size=12).map("".join))
@settings(max_examples=600, derandomize=True, deadline=None)
def test_the_raw_text_maskers_shortcut_changes_no_result(text: str) -> None:
    """A text with no ``&#``, ``\\u`` or ``%`` skips the decoding, and the second pass too when
    the first masked nothing: never a different result than decoding and passing again gives."""
    assert masker._mask_flat(text) == _reference_mask_flat(text)


_ONE_FORM_PATTERN = re.compile(
    r"((?:^|[?&])(?:autorisatiesleutel|sleutel|password|wachtwoord)=)([^&#\s]*)", re.IGNORECASE
)


@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["?", "&", "=", "#", " ", "sleutel=", "PassWord=", "wachtwoord=", "ſleutel=", "x"]
            ),
            st.text(max_size=5),
        ),
        max_size=12,
    ).map("".join)
)
@settings(max_examples=600, derandomize=True, deadline=None)
def test_form_fields_are_masked_as_one_start_or_separator_pattern_masks_them(text: str) -> None:
    """The form-field masker searches with two patterns (the start, then after ``?``/``&``):
    the same result as the one pattern ``(?:^|[?&])name=value`` it stands for."""
    expected = _ONE_FORM_PATTERN.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    assert masker._mask_form_fields(text) == expected


def test_secret_names_are_remembered_only_when_short() -> None:
    """The walk asks for every element's name, so short names are cached; a long one (hostile
    input may bring megabytes of name) is judged as well but never kept."""
    long_name = "x" * 10_000 + "Sleutel"
    before = masker._remembered_secret_name.cache_info().currsize
    assert masker._secret_name(long_name) and not masker._secret_name("x" * 10_000)
    assert masker._remembered_secret_name.cache_info().currsize == before
    assert masker._secret_name("aut:autorisatiesleutel") and not masker._secret_name("groep")


@given(
    st.lists(
        st.one_of(
            _FRAGMENTS,
            st.sampled_from(
                ["SK8_", "Pns_", "ESIS_", "SLEUTEL", "PassWord", "\\U", "ſleutel", "K"]
            ),
            st.text(max_size=6),
        ),
        max_size=12,
    ).map("".join)
)
@settings(max_examples=800, derandomize=True, deadline=None)
def test_the_quick_look_for_a_secret_answers_as_the_pattern_does(text: str) -> None:
    """The masker leaves a text alone when nothing in it can be or hide a secret; the quick
    look (lower case and ``in`` for ASCII text) says so exactly when the case-insensitive
    pattern does, also for the non-ASCII letters that fold to ASCII ones (``ſ``, ``K``)."""
    assert masker._maybe_secret(text) == (masker._MAYBE_SECRET.search(text) is not None)


@given(
    st.lists(
        st.one_of(
            _FRAGMENTS,
            st.sampled_from(
                [
                    "<AutorisatieSleutel>",
                    "</AUTORISATIESLEUTEL>",
                    "<x.y-z:autorisatiesleutel a='1'>",
                    "</x.y-z:autorisatiesleutel>",
                    "<autorisatiesleutel:autorisatiesleutel>",
                    "<![CDATA[sk8_AbCdEfGh<]]>",
                    "autorisatiesleutel",
                    "<",
                    ">",
                    '"Sleutel" : "',
                    "WACHTWOORD=",
                    "esis_",
                    "SK8_",
                    "sk8_AbCd…",
                    "ſleutel",
                    "K",
                    "İ",
                    "Ω",
                ]
            ),
            st.text(max_size=6),
        ),
        max_size=14,
    ).map("".join)
)
@settings(max_examples=1500, derandomize=True, deadline=None)
def test_the_raw_masker_looks_where_the_patterns_would_match_and_finds_the_same(
    text: str,
) -> None:
    """The raw-text masker runs a pattern only where its name is and tries the XML and key
    patterns only where a match can start (ASCII text, ``…`` aside): the same result as
    searching every pattern across the whole text, also for names in any case, prefixed tags,
    CDATA, text masked already, and the non-ASCII letters that fold to ASCII ones."""
    assert masker._mask_raw(text) == masker._mask_raw_searched(text)
