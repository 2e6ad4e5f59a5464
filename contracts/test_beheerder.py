"""The beheerder's reading of the two e-mails (the consumer of the message contracts)."""

from __future__ import annotations

import pytest

from contracts.beheerder import BeheerderMail, MailNotUnderstood, read_decision, read_key

pytestmark = pytest.mark.contract

KS = "klantenservice@boomtestonderwijs.nl"


def _mail(text: str, sender: str = "noreply@schoolkr8.test") -> BeheerderMail:
    return BeheerderMail(sender, ("b@school.test",), "onderwerp", text)


@pytest.mark.parametrize(
    "text",
    [
        "Beste beheerder,\n\nUw autorisatiesleutel is:\n\n    sk8_AbCd1234EfGh\n\nGroet",
        "Autorisatiesleutel: sk8_AbCd1234EfGh\n",
        "autorisatiesleutel : sk8_AbCd1234EfGh",
        # CRLF line ends, as Mailpit keeps them in Text:
        "Uw autorisatiesleutel is:\r\n\r\n    sk8_AbCd1234EfGh\r\n\r\nGroet",
    ],
)
def test_read_key_in_either_layout(text: str) -> None:
    """The key is found after 'autorisatiesleutel:' on the same or a following line."""
    assert read_key(_mail(text)) == "sk8_AbCd1234EfGh"


def test_read_key_refuses_a_mail_without_key() -> None:
    """A mail that only mentions the word has no key to paste."""
    with pytest.raises(MailNotUnderstood, match="autorisatiesleutel"):
        read_key(_mail("Uw autorisatiesleutel volgt later per post."))


def test_read_decision_approved_and_rejected() -> None:
    """Approval carries no reason; a rejection carries the 'Reden:' line."""
    assert read_decision(_mail("De aanvraag is goedgekeurd.\nKenmerk: a-1\n", KS)).approved
    rejected = read_decision(_mail("De aanvraag is afgewezen.\n\nReden: sleutel onbekend\n", KS))
    assert (rejected.approved, rejected.reason) == (False, "sleutel onbekend")


def test_read_decision_only_trusts_the_klantenservice() -> None:
    """A decision from any other sender is not taken for Boom's."""
    with pytest.raises(MailNotUnderstood, match="klantenservice"):
        read_decision(_mail("De aanvraag is goedgekeurd.", "phish@example.test"))


def test_docs_list_every_provider_state() -> None:
    """docs/contracts.md names every state a partner must implement, verbatim."""
    from pathlib import Path

    from contracts.state_names import MEANING

    docs = (Path(__file__).resolve().parent.parent / "docs" / "contracts.md").read_text("utf-8")
    missing = [name for name in MEANING if f"`{name}`" not in docs]
    assert not missing, f"docs/contracts.md lacks states: {missing}"
