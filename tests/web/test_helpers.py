"""The page helpers that hold no business rule but must still be right: the chart, the error
placement, Dutch messages, dates, the Leerlingenoverzicht's tab counts from the API's answer."""

from __future__ import annotations

from datetime import UTC, date, datetime

from markupsafe import Markup

from koppeling.web import datum, tijd
from koppeling.web.api import FormErrors, ProblemError, dutch
from koppeling.web.chart import score_chart
from mocks.schoolkr8.pages import lijst_naam
from mocks.testcentrum.pages import herhalingen, import_melding, las_status, naam, overzicht


def test_chart_draws_one_point_per_result_in_date_order() -> None:
    svg = score_chart(
        [(date(2026, 6, 1), 150.0), (date(2026, 1, 20), 140), (date(2027, 1, 15), 161.5)]
    )
    assert isinstance(svg, Markup)
    assert svg.count("<circle") == 3
    assert "<polyline" in svg
    titles = [part.split("</title>")[0] for part in svg.split("<title>")[2:]]
    assert titles == ["20-1-2026: 140", "1-6-2026: 150", "15-1-2027: 161.5"]


def test_chart_without_results_says_so_and_one_result_has_no_line() -> None:
    assert "Nog geen resultaten" in score_chart([])
    single = score_chart([(date(2026, 6, 1), 150.0)])
    assert single.count("<circle") == 1 and "<polyline" not in single


def test_chart_escapes_its_title() -> None:
    assert "<script>" not in score_chart([(date(2026, 6, 1), 1.0)], title="<script>")


def test_problem_lands_next_to_the_field_it_names() -> None:
    fouten = FormErrors()
    problem = ProblemError(422, {"detail": "fout in sleutel", "field": "autorisatiesleutel"})
    fouten.add_problem(problem, {"autorisatiesleutel": "dashboard_sleutel"})
    fouten.add_problem(ProblemError(409, {"detail": "bestaat al", "field": "status"}), {})
    assert fouten == {"dashboard_sleutel": "fout in sleutel", "_": "bestaat al"}


def test_required_field_is_trimmed_or_reported() -> None:
    fouten = FormErrors()
    assert fouten.require({"a": "  x "}, "a", "A") == "x"
    assert fouten.require({"b": "   "}, "b", "Bee") == ""
    assert fouten == {"b": "Bee is verplicht."}


def test_schema_messages_in_dutch() -> None:
    assert dutch("beheerder_email: 'x' does not match '^a$'") == "'x' heeft niet de juiste vorm."
    assert dutch("las is required") == "Dit veld is verplicht."
    assert dutch("De sleutel is ongeldig") == "De sleutel is ongeldig"


def test_the_apis_english_messages_in_dutch() -> None:
    assert (
        dutch("ruwe_score for TTA is 0..200, got 999")
        == "De ruwe score voor TTA ligt tussen 0 en 200; 999 kan niet."
    )
    assert (
        dutch("afnames[1].ruwe_score: -5 is less than the minimum of 0")
        == "De ruwe score is minimaal 0; -5 kan niet."
    )
    assert dutch("tab must be one of mijn, gescoord, genormeerd, got 'x'") == (
        "Het tabblad 'x' bestaat niet (wel: mijn, gescoord, genormeerd)."
    )
    assert dutch("no message with ID 'abc'") == "Er is geen bericht met ID 'abc'."
    assert dutch("leerlingnummer 'x' is not among the pupils imported for 99AB-00") == (
        "Leerlingnummer 'x' hoort niet bij de leerlingen die voor 99AB-00 zijn geïmporteerd."
    )


def test_import_without_data_is_a_warning_not_a_success() -> None:
    counts = {"leerlingen": 8, "groepen": 10, "leerkrachten": 9, "waarschuwingen": []}
    assert import_melding(counts) == (
        "Gegevens geïmporteerd: 8 leerlingen, 10 groepen, 9 leerkrachten.",
        "",
    )
    gelukt, waarschuwing = import_melding(
        {**counts, "waarschuwingen": ["het LAS antwoordde geengegevens"]}, "2025-2026"
    )
    assert gelukt == ""
    assert "geen gegevens voor schooljaar 2025-2026" in waarschuwing


def test_a_repeat_of_an_afname_normed_before_activation_is_found() -> None:
    base = {"leerlingnummer": "1", "toets": "TTA", "afnamedatum": "2026-12-01", "ruwe_score": 70}
    afnames = [
        {**base, "id": "a", "doorsturing": "niet_van_toepassing"},
        {**base, "id": "b", "doorsturing": "verzonden"},
        {**base, "id": "c", "doorsturing": "verzonden", "ruwe_score": 71},
    ]
    assert {k: v["id"] for k, v in herhalingen(afnames).items()} == {"b": "a"}


def test_schoolkr8_list_name_lines_up_with_the_testcentrum() -> None:
    assert lijst_naam({"voornaam": "Jan", "achternaam": "van Dijk"}) == "Dijk, Jan van"
    assert lijst_naam({"voornaam": "Eva", "achternaam": "Jansen"}) == "Jansen, Eva"
    assert naam({"roepnaam": "Jan", "voorvoegsel": "van", "achternaam": "Dijk"}) == (
        "Dijk, Jan van"
    )


def test_dates_as_the_manual_writes_them_in_amsterdam_time() -> None:
    assert datum("2010-06-01") == "1-6-2010"
    assert datum(datetime(2026, 3, 29, 23, 30, tzinfo=UTC)) == "30-3-2026"
    assert ">30-3-2026 01:30</time>" in tijd("2026-03-29T23:30:00+00:00")
    assert datum(None) == ""


def test_name_is_achternaam_comma_roepnaam_voorvoegsel() -> None:
    assert (
        naam({"achternaam": "Dekker", "roepnaam": "Rover", "voorvoegsel": "de"})
        == "Dekker, Rover de"
    )
    assert naam({"achternaam": "Griffin"}) == "Griffin"


def test_las_status_line_comes_from_the_api() -> None:
    assert las_status(None) is None
    line = "U heeft een actieve koppeling met ParnasSys"
    assert las_status({"las": "parnassys", "melding": line, "actief": True}) == line
    assert "importeer" in (las_status({"las": "esis", "actief": False}) or "")


def test_overzicht_counts_tabs_from_the_pupils_tabs() -> None:
    pupils = [
        {"leerlingnummer": "1", "achternaam": "B", "groep": "7A", "tabs": ["genormeerd"]},
        {
            "leerlingnummer": "2",
            "achternaam": "A",
            "groep": "7B",
            "tabs": ["gescoord", "genormeerd"],
        },
    ]
    afnames = [
        {"id": "x", "leerlingnummer": "1", "toets": "TTA", "genormeerd_op": "2026"},
        {"id": "y", "leerlingnummer": "2", "toets": "LVS BL", "genormeerd_op": None},
        {"id": "z", "leerlingnummer": "2", "toets": "TTA", "genormeerd_op": "2026"},
    ]
    view = overzicht(pupils, pupils, afnames, tab="mijn", groep="")
    assert [c for _, _, c in view["tabs"]] == [2, 1, 2]
    assert [r["leerling"]["leerlingnummer"] for r in view["rijen"]] == ["2", "1"]
    assert view["rijen"][0]["tests"] == ["LVS BL", "TTA"]
    normed = overzicht(pupils, pupils, afnames, tab="genormeerd", groep="7B")
    assert [r["afname"]["id"] for r in normed["rijen"]] == ["z"]
