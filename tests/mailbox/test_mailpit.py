"""The mailbox against Mailpit's published API (swagger.json, v1.29), field by field, over real
SMTP and HTTP: one message with Reply-To, Cc, a Bcc-only envelope recipient, an attachment, an old
Date header, a bounce address as envelope sender and a folded Subject; read status; ``latest``;
the endpoints Mailpit clients call; and its errors where a client looks at them."""

from __future__ import annotations

import hashlib
import smtplib
from collections.abc import Iterator

import pytest
import requests

from koppeling.client.mailbox import MailboxClient
from mocks.mailbox.smtp import SmtpSink

ATTACHMENT = b"%PDF-1.4 rapport\n"
HTML = "<html><head><title>t</title></head><body><p>Beste beheerder,</p><p>Uw sleutel.</p></body>"
TEXT = "Beste beheerder,\r\n\r\nUw sleutel.\r\n"

RAW = (
    "From: Schoolkr8 <noreply@schoolkr8.test>\r\n"
    "To: Beheerder <beheerder+sleutel@school.test>\r\n"
    "Cc: Directie <directie@school.test>\r\n"
    "Reply-To: Helpdesk <helpdesk@schoolkr8.test>\r\n"
    "Subject:\r\n Uw autorisatiesleutel\r\n\tvoor Schoolkr8\r\n"
    "Date: Wed, 01 Jan 2020 10:00:00 +0100\r\n"
    "Message-ID: <sleutel-1@schoolkr8.test>\r\n"
    "X-Tags: Sleutel, demo\r\n"
    "List-Unsubscribe: <mailto:af@schoolkr8.test>, <https://schoolkr8.test/af>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="MIX"\r\n'
    "\r\n"
    "--MIX\r\n"
    'Content-Type: multipart/alternative; boundary="ALT"\r\n'
    "\r\n"
    "--ALT\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    f"{TEXT}"
    "--ALT\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    f"{HTML}\r\n"
    "--ALT--\r\n"
    "--MIX\r\n"
    'Content-Type: application/pdf; name="rapport.pdf"\r\n'
    'Content-Disposition: attachment; filename="rapport.pdf"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQgcmFwcG9ydAo=\r\n"
    "--MIX--\r\n"
).encode()
#: the addresses of RAW as Mailpit shows them (Bcc: the envelope recipient no header names)
ADDRESSES = {
    "From": {"Name": "Schoolkr8", "Address": "noreply@schoolkr8.test"},
    "To": [{"Name": "Beheerder", "Address": "beheerder+sleutel@school.test"}],
    "Cc": [{"Name": "Directie", "Address": "directie@school.test"}],
    "Bcc": [{"Name": "", "Address": "archief@school.test"}],
    "ReplyTo": [{"Name": "Helpdesk", "Address": "helpdesk@schoolkr8.test"}],
}
RCPTS = ["beheerder+sleutel@school.test", "directie@school.test", "archief@school.test"]


def deliver(sink: SmtpSink, raw: bytes, sender: str, rcpts: list[str]) -> None:
    """One SMTP transaction with smtplib, as any mail client."""
    assert sink.smtp_port
    with smtplib.SMTP("127.0.0.1", sink.smtp_port, timeout=10) as smtp:
        smtp.sendmail(sender, rcpts, raw)


@pytest.fixture
def base(sink: SmtpSink, mailbox: MailboxClient) -> Iterator[str]:
    """The mailbox's URL, the full message delivered."""
    deliver(sink, RAW, "bounce@schoolkr8.test", RCPTS)
    yield mailbox.base_url


def get(url: str, **params: str) -> requests.Response:
    return requests.get(url, params=params, timeout=10)


def test_summary_has_every_mailpit_field(base: str) -> None:
    """``MessageSummary`` in a listing: every field, with Mailpit's values."""
    listing = get(base + "/api/v1/messages").json()
    (summary,) = listing["messages"]
    created = summary.pop("Created")
    assert created.endswith("Z") and not created.startswith("2020")  # received, not Date:
    assert summary == {
        "ID": summary["ID"],
        "MessageID": "sleutel-1@schoolkr8.test",
        "Read": False,
        **ADDRESSES,
        "Subject": "Uw autorisatiesleutel voor Schoolkr8",
        "Username": "",
        "Tags": ["demo", "Sleutel"],
        "Size": summary["Size"],
        "Attachments": 1,
        "Snippet": "Beste beheerder, Uw sleutel.",
    }
    assert len(summary["ID"]) == 22 and summary["Size"] > len(RAW)  # + stamped headers
    assert {k: listing[k] for k in listing if k != "messages"} == {
        "total": 1,
        "unread": 1,
        "count": 1,
        "messages_count": 1,
        "messages_unread": 1,
        "start": 0,
        "tags": ["demo", "Sleutel"],
    }


def test_message_has_every_mailpit_field_and_is_read_after(base: str) -> None:
    """``Message``: Date from the header, Return-Path from the envelope, the attachment."""
    detail = get(base + "/api/v1/message/latest").json()
    attachment = {
        "PartID": "2",
        "FileName": "rapport.pdf",
        "ContentType": "application/pdf",
        "ContentID": "",
        "Size": len(ATTACHMENT),
        "Checksums": {
            "MD5": hashlib.md5(ATTACHMENT).hexdigest(),
            "SHA1": hashlib.sha1(ATTACHMENT).hexdigest(),
            "SHA256": hashlib.sha256(ATTACHMENT).hexdigest(),
        },
    }
    assert detail == {
        "ID": detail["ID"],
        "MessageID": "sleutel-1@schoolkr8.test",
        **ADDRESSES,
        "ReturnPath": "bounce@schoolkr8.test",
        "Subject": "Uw autorisatiesleutel voor Schoolkr8",
        "ListUnsubscribe": {
            "Header": "<mailto:af@schoolkr8.test>, <https://schoolkr8.test/af>",
            "Links": ["mailto:af@schoolkr8.test", "https://schoolkr8.test/af"],
            "Errors": "",
            "HeaderPost": "",
        },
        "Date": "2020-01-01T10:00:00+01:00",
        "Tags": ["demo", "Sleutel"],
        "Username": "",
        "Text": "Beste beheerder,\n\nUw sleutel.",  # the CRLF before a boundary is its own
        "HTML": HTML,
        "Size": detail["Size"],
        "Inline": [],
        "Attachments": [attachment],
    }
    (summary,) = get(base + "/api/v1/messages").json()["messages"]
    assert summary["Read"] is True
    listing = get(base + "/api/v1/search", query="is:unread").json()
    assert (listing["unread"], listing["messages_count"], listing["messages_unread"]) == (0, 0, 0)


def test_headers_part_and_raw(base: str) -> None:
    """Headers unfolded by canonical name; the part with its own type; the stamped source."""
    headers = get(base + "/api/v1/message/latest/headers").json()
    assert list(headers) == sorted(headers)
    assert headers["Subject"] == ["Uw autorisatiesleutel voor Schoolkr8"]
    assert headers["Message-Id"] == ["<sleutel-1@schoolkr8.test>"]
    assert headers["Return-Path"] == ["<bounce@schoolkr8.test>"]
    assert headers["Bcc"] == ["archief@school.test"]
    part = get(base + "/api/v1/message/latest/part/2")
    assert part.status_code == 200 and part.content == ATTACHMENT
    assert part.headers["Content-Type"] == "application/pdf"
    assert part.headers["Content-Disposition"] == 'inline; filename="rapport.pdf"'
    raw = get(base + "/api/v1/message/latest/raw", dl="1")
    assert raw.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.headers["Content-Disposition"].endswith('.eml"')
    assert raw.content.endswith(RAW) and raw.content.startswith(b"Bcc: archief@school.test\r\n")
    (summary,) = get(base + "/api/v1/messages").json()["messages"]
    assert summary["Read"] is False  # only GET /message/{ID} marks read


def test_latest_takes_the_query(sink: SmtpSink, base: str) -> None:
    """``latest?query=`` is the newest match, on every endpoint that takes an ID."""
    deliver(
        sink,
        b"From: a@x.test\r\nTo: later@school.test\r\nSubject: Later\r\n\r\nx\r\n",
        "a@x.test",
        ["later@school.test"],
    )
    newest = get(base + "/api/v1/message/latest").json()
    assert newest["Subject"] == "Later"
    for suffix in ("", "/headers", "/raw", "/part/2"):
        answer = get(base + f"/api/v1/message/latest{suffix}", query="has:attachment")
        assert answer.status_code == 200, suffix
    matched = get(base + "/api/v1/message/latest", query="subject:autorisatiesleutel").json()
    assert matched["MessageID"] == "sleutel-1@schoolkr8.test"
    none = get(base + "/api/v1/message/latest/raw", query="subject:bestaatniet")
    assert none.status_code == 404


def test_read_status(sink: SmtpSink, base: str) -> None:
    """``PUT /api/v1/messages``: by IDs, by Search, all; both at once is a 400."""
    deliver(
        sink,
        b"From: a@x.test\r\nTo: b@school.test\r\nSubject: Twee\r\n\r\nx\r\n",
        "a@x.test",
        ["b@school.test"],
    )
    url = base + "/api/v1/messages"
    ids = {m["Subject"]: m["ID"] for m in get(url).json()["messages"]}

    def unread() -> set[str]:
        return {
            m["Subject"] for m in get(base + "/api/v1/search", query="is:unread").json()["messages"]
        }

    assert requests.put(url, json={"Read": True, "IDs": [ids["Twee"]]}, timeout=5).text == "ok"
    assert unread() == {"Uw autorisatiesleutel voor Schoolkr8"}
    requests.put(url, json={"Read": True, "Search": "has:attachment"}, timeout=5)
    assert unread() == set() and get(url).json()["unread"] == 0
    requests.put(url, json={}, timeout=5)  # Read defaults to false: every message unread
    assert len(unread()) == 2
    both = requests.put(url, json={"IDs": [ids["Twee"]], "Search": "x"}, timeout=5)
    assert both.status_code == 400
    assert requests.put(url, data=b"{nee", timeout=5).status_code == 400


def test_info(base: str) -> None:
    """``/api/v1/info``: Mailpit's AppInformation with this mailbox's totals and tags."""
    info = get(base + "/api/v1/info").json()
    assert set(info) == {
        "Version",
        "LatestVersion",
        "Database",
        "DatabaseSize",
        "Messages",
        "Unread",
        "Tags",
        "RuntimeStats",
    }
    assert (info["Messages"], info["Unread"], info["Tags"]) == (1, 1, {"demo": 1, "Sleutel": 1})
    assert set(info["RuntimeStats"]) == {
        "Uptime",
        "Memory",
        "MessagesDeleted",
        "SMTPAccepted",
        "SMTPAcceptedSize",
        "SMTPRejected",
        "SMTPIgnored",
    }
    assert info["RuntimeStats"]["SMTPAccepted"] >= 1


def test_errors_have_mailpit_status(base: str) -> None:
    """404 for an unknown message or part (also ``latest`` of nothing), 400 for bad input."""
    assert get(base + "/api/v1/message/nope/headers").status_code == 404
    assert get(base + "/api/v1/message/latest/part/9").status_code == 404
    assert get(base + "/api/v1/search").status_code == 400
    assert requests.delete(base + "/api/v1/search", timeout=5).status_code == 400
    for odd in (
        "before:99999999999999999999",
        "after:9999-12-31T23:59:59-23:59",
        "larger:" + "9" * 400 + "kb",
        "smaller:1e9",
        'subject:"open',
        "-",
        "%_",
    ):
        assert get(base + "/api/v1/search", query=odd, tz="../../etc").status_code == 200, odd
    requests.delete(base + "/api/v1/messages", timeout=5)
    assert get(base + "/api/v1/message/latest").status_code == 404


def test_plain_message_without_date_or_message_id(sink: SmtpSink, mailbox: MailboxClient) -> None:
    """No Date: the received time; no Message-ID: one made up ``…@mailpit``; From as sender."""
    deliver(
        sink,
        b"From: a@x.test\r\nTo: b@school.test\r\nSubject: Kaal\r\n\r\nHoi\r\n",
        "a@x.test",
        ["b@school.test"],
    )
    detail = mailbox.message("latest")
    assert detail["Date"].endswith("Z") and detail["MessageID"].endswith("@mailpit")
    assert detail["ReturnPath"] == "a@x.test" and detail["Bcc"] == [] and detail["ReplyTo"] == []
    assert detail["Text"] == "Hoi\n" and detail["HTML"] == "" and detail["Attachments"] == []


SLEUTEL, BEVESTIGING = "Uw autorisatiesleutel voor Schoolkr8", "Bevestiging"

#: Mailpit's search operators: for each, queries that must find a message and ones that must not
SEARCHES = [
    ("is:read", {SLEUTEL}),
    ("is:unread", {BEVESTIGING}),
    ("has:attachment", {SLEUTEL}),
    ("has:inline", set()),
    ("is:tagged", {SLEUTEL}),
    ("cc:directie@school.test", {SLEUTEL}),
    ("cc:anders@school.test", set()),  # in To, not Cc
    ("bcc:archief", {SLEUTEL}),
    ("bcc:directie@school.test", set()),  # in Cc, not Bcc
    ("to:anders@school.test", {BEVESTIGING}),
    ("to:directie@school.test", set()),  # Cc only: to: is the To header (as in Mailpit)
    ("to:archief@school.test", set()),  # Bcc only
    ("from:klantenservice", {BEVESTIGING}),
    ("from:helpdesk@schoolkr8.test", set()),  # Reply-To, not From
    ("reply-to:helpdesk", {SLEUTEL}),
    ("reply-to:noreply", set()),
    ("addressed:helpdesk@schoolkr8.test", {SLEUTEL}),
    ("addressed:nergens@school.test", set()),
    ('subject:"voor schoolkr8"', {SLEUTEL}),
    ("subject:beheerder", set()),  # in the body, not the subject
    ("message-id:sleutel-1", {SLEUTEL}),
    ("message-id:@mailpit", {BEVESTIGING}),  # made up on arrival
    ("message-id:noreply", set()),
    ("tag:sleutel", {SLEUTEL}),
    ("tag:DEMO", {SLEUTEL}),
    ("tag:sleu", set()),  # a tag matches whole
    ("after:2020-01-02", {SLEUTEL, BEVESTIGING}),  # received now, whatever the Date header says
    ("before:2020-01-02", set()),
    ('before:"2999-01-01 12:00"', {SLEUTEL, BEVESTIGING}),
    ("-after:2020-01-02", set()),
    ("larger:500", {SLEUTEL}),
    ("smaller:500", {BEVESTIGING}),
    ("-subject:bevestiging", {SLEUTEL}),
    ("!to:anders", {SLEUTEL}),
    ("-is:read", {BEVESTIGING}),
    ('"uw sleutel"', {SLEUTEL}),
    ('"sleutel uw"', set()),
    ("rapport.pdf", {SLEUTEL}),  # attachment names are searched
    ("bevestiging", {BEVESTIGING}),
    ("is:read has:attachment", {SLEUTEL}),
    ("is:read -has:attachment", set()),
]


@pytest.fixture
def two_messages(sink: SmtpSink, base: str) -> str:
    """The full message (read) and a plain one (unread) from the klantenservice."""
    deliver(
        sink,
        b"From: Klantenservice <klantenservice@boom.test>\r\nTo: anders@school.test\r\n"
        b"Subject: Bevestiging\r\n\r\nUw aanvraag is goedgekeurd.\r\n",
        "klantenservice@boom.test",
        ["anders@school.test"],
    )
    assert get(base + "/api/v1/message/latest", query="has:attachment").status_code == 200
    return base


@pytest.mark.parametrize(("query", "expected"), SEARCHES, ids=[q for q, _ in SEARCHES])
def test_search_operator(two_messages: str, query: str, expected: set[str]) -> None:
    """Each operator finds what Mailpit finds, and nothing Mailpit would not."""
    found = get(two_messages + "/api/v1/search", query=query).json()
    assert {m["Subject"] for m in found["messages"]} == expected
    assert found["messages_count"] == len(expected) and found["total"] == 2
