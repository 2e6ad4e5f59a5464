"""SOAPAction as the vendors' SOAP stacks check it (docs/las.md#soapaction).

ParnasSys runs on Apache CXF: an absent or empty action is dispatched on the body; an action
naming another operation, or none at all, is a fault. ESIS runs on WCF, which dispatches on the
action alone: an absent or empty action is a fault too. Every fault carries the UWLR code
``Client.OngeldigBericht`` with the stack's own wording, and the stack's native code in
``detail``; the right action, quoted or not, is answered.
"""

from __future__ import annotations

import pytest

from koppeling.uwlr.leerlinggegevens import NS, OPERATIONS, parse_answer
from koppeling.uwlr.soap import read_fault
from tests.las.conftest import Las

OFFICIAL = {
    "HaalLeerlinggegevens": "HaalLeerlinggegevens",
    "HaalStructuur": NS + "/structuur_verzoek",
    "HaalLeerlingen": NS + "/leerlingen_verzoek",
    "HaalLeerkrachten": NS + "/leerkrachten_verzoek",
}


def fault(las: Las, operation: str, action: str | None) -> tuple[str, str, str]:
    resp = las.post(las.request(operation), action)
    got = read_fault(resp.data)
    assert resp.status_code == 500 and got is not None, resp.data
    return got.code, got.message, got.detail or ""


def test_the_official_actions_are_the_wsdls() -> None:
    """The codec's actions are the official WSDL's soapAction values (written out here)."""
    assert {name: op.soap_action for name, op in OPERATIONS.items()} == OFFICIAL


@pytest.mark.parametrize("operation", sorted(OFFICIAL))
@pytest.mark.parametrize("quoted", [True, False])
def test_the_right_action_is_answered_quoted_or_not(las: Las, operation: str, quoted: bool) -> None:
    """Each of the four operations with its official action, with or without quotes."""
    action = OFFICIAL[operation]
    resp = las.post(las.request(operation), f'"{action}"' if quoted else f"  {action} ")
    assert resp.status_code == 200, resp.data
    assert parse_answer(resp.data, operation).kind == "gegevens"


@pytest.mark.parametrize("action", [None, '""', ""])
def test_parnassys_dispatches_on_the_body_without_an_action(
    parnassys: Las, action: str | None
) -> None:
    """CXF: no SOAPAction header, or an empty one, is answered from the body."""
    resp = parnassys.post(parnassys.request("HaalStructuur"), action)
    assert resp.status_code == 200, resp.data
    assert parse_answer(resp.data, "HaalStructuur").kind == "gegevens"


@pytest.mark.parametrize("action", [None, '""', ""])
def test_esis_refuses_a_message_without_an_action(esis: Las, action: str | None) -> None:
    """WCF: no action is a ContractFilter mismatch for Action ''."""
    code, message, detail = fault(esis, "HaalLeerlinggegevens", action)
    assert code == "Client.OngeldigBericht"
    assert message.startswith("The message with Action '' cannot be processed at the receiver")
    assert "ContractFilter mismatch at the EndpointDispatcher" in message
    assert detail == "WCF: a:ActionNotSupported"


def test_another_operations_action_is_a_fault_on_parnassys(parnassys: Las) -> None:
    """The issue's case: a leerlinggegevens_verzoek sent with HaalStructuur's action gets no
    data but CXF's fault for a body part the operation does not have."""
    code, message, detail = fault(
        parnassys, "HaalLeerlinggegevens", f'"{OFFICIAL["HaalStructuur"]}"'
    )
    assert code == "Client.OngeldigBericht"
    assert message == (
        f"Message part {{{NS}}}leerlinggegevens_verzoek was not recognized.  "
        "(Does it exist in service WSDL?)"
    )
    assert detail.startswith("Apache CXF")


def test_another_operations_action_is_a_fault_on_esis(esis: Las) -> None:
    """WCF dispatches on the action to HaalStructuur and cannot read the body."""
    code, message, detail = fault(esis, "HaalLeerlinggegevens", f'"{OFFICIAL["HaalStructuur"]}"')
    assert code == "Client.OngeldigBericht"
    assert "Error in deserializing body of request message for operation 'HaalStructuur'" in message
    assert "Expected to find node type 'Element' with name 'structuur_verzoek'" in message
    assert "Found node type 'Element' with name 'leerlinggegevens_verzoek'" in message
    assert detail == "WCF: a:DeserializationFailed"


@pytest.mark.parametrize("operation", sorted(OFFICIAL))
def test_every_wrong_pairing_is_a_fault(las: Las, operation: str) -> None:
    """Each body with each other operation's action: a fault, on both flavours."""
    for other in OFFICIAL:
        if other != operation:
            code, _, _ = fault(las, operation, f'"{OFFICIAL[other]}"')
            assert code == "Client.OngeldigBericht", (operation, other)


@pytest.mark.parametrize("action", ['"HaalStructuur"', '"urn:x"', '"haalleerlinggegevens"'])
def test_an_action_that_names_no_operation(las: Las, action: str) -> None:
    """An unknown action (the operation's name instead of HaalStructuur's URI, another case):
    CXF's "does not match an operation", WCF's ActionNotSupported naming it."""
    code, message, detail = fault(las, "HaalStructuur", action)
    assert code == "Client.OngeldigBericht"
    bare = action.strip('"')
    if las.flavour == "parnassys":
        assert message == f"The given SOAPAction {bare} does not match an operation."
    else:
        assert message.startswith(f"The message with Action '{bare}' cannot be processed")
        assert detail == "WCF: a:ActionNotSupported"


def test_the_action_is_checked_before_the_key(las: Las) -> None:
    """A wrong action with a wrong key is the action's fault (the stack dispatches first)."""
    data = las.request("HaalLeerlinggegevens", autorisatie=las.autorisatie("pns_niet_uitgegeven"))
    assert las.fault_code(data) == "Client.AutorisatieOngeldig"
    resp = las.post(data, '"urn:x"')
    got = read_fault(resp.data)
    assert got is not None and got.code == "Client.OngeldigBericht"
    assert "urn:x" in got.message


def test_a_refused_action_is_journaled_with_its_operation(esis: Las) -> None:
    """The journal shows which operation was sent with which refused action."""
    fault(esis, "HaalStructuur", None)
    entry = esis.core.journal.entries(service="esis", kind="soap")[-1]
    assert entry.operation == "HaalStructuur"
    assert entry.status == 500
