"""Mailpit's text rules without a server: Snippet, HTML to text, search words, tags, headers;
and our own sender, whose headers never fold into a leading space."""

from __future__ import annotations

import pytest

from koppeling.harness.mail import MAX_LINE, Mail
from mocks.mailbox import mime
from mocks.mailbox.search import size_to_bytes, split_args


def test_snippet_prefers_html_and_cuts_at_200_bytes() -> None:
    """HTML (head and style dropped, blocks spaced) wins over text; 200 bytes, then ``...``."""
    html = "<head><title>T</title><style>p{}</style></head><p>Eén</p><p>twee<br>drie</p>"
    assert mime.snippet("tekst", html) == "Eén twee drie"
    assert mime.snippet("  a \n\n b\t c ", "") == "a b c"
    long = mime.snippet("é" * 150, "")
    assert long == "é" * 100 + "..."  # 200 bytes of UTF-8, never half a character
    assert mime.snippet("", "") == ""


def test_html_text_with_links_for_search() -> None:
    """Search text keeps http links; script text and a bare ``title`` text node go (as Go's)."""
    html = '<a href="https://x.test/a">klik</a><script>geheim()</script><b>title</b>&amp;'
    assert mime.html_text(html, include_links=True) == "https://x.test/a klik&"
    assert mime.html_text(html) == "klik&"


def test_tags_from_x_tags_and_plus_addresses() -> None:
    """X-Tags split on commas and plus-addresses, cleaned, unique, Mailpit's order."""
    addresses = [
        {"Name": "", "Address": "a+Rood+blauw@x.test"},
        {"Name": "", "Address": "b@x.test"},
    ]
    assert mime.tags(" groen, rood ,g/eel", addresses) == ["blauw", "g eel", "groen", "rood"]


def test_headers_unfold_like_go() -> None:
    """Folded lines join with one space; keys become canonical; values are trimmed."""
    raw = b"subject:\r\n  Uw\r\n\tsleutel \r\nx-koppeling-id: 1\r\n\r\nSubject: body\r\n"
    assert mime.raw_headers(raw) == [("Subject", "Uw sleutel"), ("X-Koppeling-Id", "1")]
    assert mime.decode_words("=?utf-8?q?Caf=C3=A9?= open") == "Café open"


def test_search_arguments_and_sizes() -> None:
    """Quotes group words (and are dropped); sizes read as Mailpit reads them."""
    assert split_args('subject:"uw  sleutel" -"a b"  c') == ["subject:uw  sleutel", "-a b", "c"]
    assert (size_to_bytes("2kb"), size_to_bytes("1.5m"), size_to_bytes("3 gb")) == (
        2048,
        1572864,
        0,
    )


def test_our_mail_never_folds_a_header() -> None:
    """A long subject, a long address and a long URL header stay on one line each, unencoded."""
    subject = "Uw autorisatiesleutel voor het dashboard Schoolkr8 van basisschool De Regenboog"
    url = "<https://schoolkr8.test/afmelden/" + "q" * 80 + ">"
    mail = Mail(
        "Schoolkr8 <noreply@schoolkr8.test>",
        ["Beheerder van basisschool De Regenboog <beheerder.regenboog.amsterdam@99ab.school.test>"],
        subject,
        "tekst",
        headers={"List-Unsubscribe": url},
    )
    raw = bytes(mail.to_message())
    head = raw.split(b"\n\n", 1)[0].decode()
    assert not any(line[:1] in (" ", "\t") for line in head.splitlines())
    assert f"Subject: {subject}" in head and f"List-Unsubscribe: {url}" in head
    assert dict(mime.raw_headers(raw))["Subject"] == subject


def test_our_mail_refuses_a_header_longer_than_a_line() -> None:
    """Past RFC 5322's 998 characters a header would have to fold: refused instead."""
    mail = Mail("a@x.test", ["b@x.test"], "x" * MAX_LINE, "tekst")
    with pytest.raises(ValueError, match="Subject"):
        mail.to_message()
