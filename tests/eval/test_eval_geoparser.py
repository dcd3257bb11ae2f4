"""`georeset eval geoparsing` end to end: the real Geoparser on a tiny corpus with a tiny built gazetteer."""

from __future__ import annotations

import json

import pytest
import shapely

from data_builders.gazetteer.build import write_gazetteer
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import PlaceName, PlaceRecord
from data_builders.gazetteer.taxonomy import ADMIN1, COUNTRY, SETTLEMENT
from georeset.cli import main

pytestmark = pytest.mark.slow  # builds a gazetteer index and loads spaCy

TEXAS = shapely.box(-106.6, 25.8, -93.5, 36.5)


def records() -> list[PlaceRecord]:
    def rec(record_id, name, lat, lon, feature_type=SETTLEMENT, **fields):
        return PlaceRecord(record_id, "geonames", name, lat, lon, feature_type, **fields)

    return [
        rec(
            "geonames:2988507",
            "Paris",
            48.8534,
            2.3488,
            country_code="FR",
            population=2138551,
            geonames_id=2988507,
        ),
        rec(
            "geonames:4717560",
            "Paris",
            33.6609,
            -95.5555,
            country_code="US",
            admin1_code="TX",
            population=24782,
            geonames_id=4717560,
        ),
        rec(
            "geonames:2996944",
            "Lyon",
            45.7485,
            4.8467,
            country_code="FR",
            population=472317,
            geonames_id=2996944,
        ),
        rec(
            "geonames:4736286",
            "Texas",
            31.0,
            -100.0,
            ADMIN1,
            country_code="US",
            admin1_code="TX",
            population=22875689,
            geonames_id=4736286,
            geometry_wkb=shapely.to_wkb(TEXAS),
            names=[PlaceName("TX", "abbr")],
        ),
        rec(
            "geonames:6252001",
            "United States",
            39.76,
            -98.5,
            COUNTRY,
            country_code="US",
            population=310232863,
            geonames_id=6252001,
        ),
        rec(
            "geonames:4409896",
            "Springfield",
            37.2153,
            -93.2982,
            country_code="US",
            admin1_code="MO",
            population=166810,
            geonames_id=4409896,
        ),
        rec(
            "geonames:4250542",
            "Springfield",
            39.8017,
            -89.6437,
            country_code="US",
            admin1_code="IL",
            population=116565,
            geonames_id=4250542,
        ),
    ]


@pytest.fixture(scope="module")
def gazetteer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gazetteer") / "gaz"
    write_gazetteer(records(), folder, BuildReport(), progress=False)
    return folder


@pytest.mark.parametrize("mode", ["gold", "e2e"])
def test_eval_command_with_the_real_geoparser(tmp_path, kit, gazetteer, mode, capsys):
    corpus = kit.write_lgl(tmp_path / "lgl.xml")
    out, plot = tmp_path / "report.json", tmp_path / "errors.png"
    argv = ["eval", "geoparsing", "--corpus", str(corpus), "--mode", mode, "--gazetteer", str(gazetteer)]
    assert main([*argv, "--out", str(out), "--plot", str(plot), "--quiet"]) == 0
    report = json.loads(out.read_text())
    assert report["mode"] == mode and report["n_gold"] == 6 and report["n_gold_with_coordinates"] == 5
    # Every gold place is in the gazetteer within 161 km of gold (Texas by its polygon or its point).
    assert report["coverage_cap"] == 1.0
    assert report["llm_calls"] == 0  # the default geoparser runs the ranker only
    assert report["timing"]["documents_per_s"] > 0
    assert plot.stat().st_size > 1000
    if mode == "gold":
        assert report["n_scored"] == 5 and report["n_resolved"] >= 4
        # Paris (France by population and context), Lyon and Texas have only one sensible reading.
        assert report["acc_at_161km"] >= 0.6 and report["geonames_id_accuracy"] >= 0.6
        assert report["precision"] is None
    else:
        assert report["recall_overlap"] >= 0.5 and report["precision_overlap"] > 0
        assert report["f1"] is not None and report["n_predicted"] >= 3
    assert "Acc@161km" in capsys.readouterr().out


def test_e2e_in_two_processes_gives_the_same_figures(tmp_path, kit, gazetteer, capsys):
    corpus = kit.write_lgl(tmp_path / "lgl.xml")
    argv = [
        "eval",
        "geoparsing",
        "--corpus",
        str(corpus),
        "--mode",
        "e2e",
        "--gazetteer",
        str(gazetteer),
        "--quiet",
    ]
    reports = {}
    for n in (1, 2):
        out = tmp_path / f"report-{n}.json"
        assert (
            main(
                [*argv, "--n-process", str(n), "--out", str(out), "--details", str(tmp_path / f"d{n}.jsonl")]
            )
            == 0
        )
        reports[n] = json.loads(out.read_text())
    figures = (
        "acc_at_161km",
        "mean_error_km",
        "precision",
        "recall",
        "f1",
        "n_gold",
        "n_resolved",
        "n_predicted",
    )
    assert {k: reports[2][k] for k in figures} == {k: reports[1][k] for k in figures}
    assert (tmp_path / "d1.jsonl").read_text() == (tmp_path / "d2.jsonl").read_text()
    assert reports[2]["settings"]["n_process"] == 2 and reports[2]["timing"]["geoparse_cpu_s"] > 0
    gold = ["eval", "geoparsing", "--corpus", str(corpus), "--mode", "gold", "--n-process", "2"]
    assert main([*gold, "--gazetteer", str(gazetteer), "--out", str(tmp_path / "g.json")]) == 1
    assert "applies to --mode e2e" in capsys.readouterr().err
