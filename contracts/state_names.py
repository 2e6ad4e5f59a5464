"""The provider states: every name declared once, with what it means and which provider has it.

The consumer cases say ``given(LAS_SCHOOL, brincode=…)``; :mod:`contracts.states` binds each name to
the mocks' setup API, and a real partner implements the same names behind its own
``--state-change-url`` (docs/contracts.md lists them, written from :data:`MEANING`). Kept apart
from both so neither imports the other for the names.
"""

from __future__ import annotations

from contracts.pactkit import ESIS, KLANTENSERVICE, PARNASSYS, SCHOOLKR8

LAS_SCHOOL = "the LAS has a school with pupils and an autorisatiesleutel for this klant"
LAS_SCHOOL_UNCHANGED = (
    "the LAS has a school whose data did not change since laatstontvangengegevens"
)
SK8_KOPPELING = "Schoolkr8 has an active koppeling for the school"
SK8_PUPIL = "Schoolkr8 has an active koppeling and a pupil with this leerlingnummer"
SK8_DELIVERED = "Schoolkr8 already received this result for this pupil"
KS_BY_HAND = "the klantenservice handles the school's requests by hand"
KS_APPROVED = "the klantenservice approved an aanvraag for the school"
KS_REJECTED = "the klantenservice rejected an aanvraag for the school with a reason"

# What each state means, for partners (docs/contracts.md is written from the same words).
MEANING: dict[str, str] = {
    LAS_SCHOOL: "School {brincode}-{dependancecode} exists for {schooljaar} with at least one "
    "group, pupil and teacher; a key is issued for klant {klantcode}/{klantnaam}. Returns "
    "{autorisatiesleutel}.",
    LAS_SCHOOL_UNCHANGED: "As above, and nothing changed after the moment returned as "
    "{laatstontvangengegevens} (ISO-8601 with offset). Returns {autorisatiesleutel, "
    "laatstontvangengegevens}.",
    SK8_KOPPELING: "School {brincode}-{dependancecode} has an activated koppeling; its key was "
    "issued. Returns {autorisatiesleutel}.",
    SK8_PUPIL: "As above, and a pupil of that school has leerlingnummer {leerlingnummer} "
    "(typed in via Wijzig leerlingnummer). Returns {autorisatiesleutel}.",
    SK8_DELIVERED: "As above, and the very result the interaction sends (the testcentrum's afname "
    "{afname_id}, same resultaat@key) was already received once. Returns {autorisatiesleutel}.",
    KS_BY_HAND: "Requests of school {brincode}-{dependancecode} wait for a human decision (the "
    "answer to a new request is status in_behandeling).",
    KS_APPROVED: "An aanvraag of school {brincode}-{dependancecode} for {type_dashboard} was "
    "approved. Returns {id}.",
    KS_REJECTED: "An aanvraag of school {brincode}-{dependancecode} was rejected with reason "
    "{reden}. Returns {id}.",
}

PROVIDER_STATES: dict[str, tuple[str, ...]] = {
    PARNASSYS: (LAS_SCHOOL, LAS_SCHOOL_UNCHANGED),
    ESIS: (LAS_SCHOOL, LAS_SCHOOL_UNCHANGED),
    SCHOOLKR8: (SK8_KOPPELING, SK8_PUPIL, SK8_DELIVERED),
    KLANTENSERVICE: (KS_BY_HAND, KS_APPROVED, KS_REJECTED),
}
