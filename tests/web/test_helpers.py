"""The page helpers that hold no business rule but must still be right: the chart, the error
placement, Dutch messages, dates, the Leerlingenoverzicht's tab counts from the API's answer."""

from __future__ import annotations

from datetime import UTC, date, datetime

from markupsafe import Markup

from koppeling.web import datum, tijd
from koppeling.web.api import FormErrors, ProblemError, dutch
from koppeling.web.chart import score_chart
from mocks.testcentrum.pages import las_status, naam, overzicht


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


def test_dates_as_the_manual_writes_them_in_amsterdam_time() -> None:
    assert datum("2010-06-01") == "1-6-2010"
    assert datum(datetime(2026, 3, 29, 23, 30, tzinfo=UTC)) == "30-3-2026"
    assert "30-03-2026 01:30:00" in tijd("2026-03-29T23:30:00+00:00")
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
