"""`georeset eval geoparsing --compare`: several resolvers in one gold-mode report, scored on the toponyms sent to
the LLM, with a real gazetteer, a real corpus file and the tiny random Llama as the LLM."""

from __future__ import annotations

import json

import pytest

from georeset.errors import BadInputError

PLACES = [  # record id, name, country, admin1, population, lat, lon
    ("geonames:2988507", "Paris", "FR", "Île-de-France", 2_138_551, 48.8534, 2.3488),
    ("geonames:4717560", "Paris", "US", "Texas", 24_171, 33.6609, -95.5555),
    ("geonames:4736286", "Texas", "US", "Texas", 28_701_845, 31.25, -99.25),
]


@pytest.fixture
def gazetteer_dir(tmp_path):
    from data_builders.gazetteer.build import write_gazetteer
    from data_builders.gazetteer.report import BuildReport
    from data_builders.gazetteer.schema import PlaceName, PlaceRecord

    records = [
        PlaceRecord(
            record_id=rid,
            source="geonames",
            name=name,
            lat=lat,
            lon=lon,
            feature_type="admin1" if name == "Texas" else "settlement",
            names=[PlaceName(name, "", is_preferred=True)],
            country_code=cc,
            admin1_name=admin1,
            population=pop,
            geonames_id=int(rid.split(":")[1]),
        )
        for rid, name, cc, admin1, pop, lat, lon in PLACES
    ]
    write_gazetteer(records, tmp_path / "gaz", BuildReport(), progress=False)
    return tmp_path / "gaz"


@pytest.fixture
def corpus_dir(tmp_path):
    """A WikToR-layout corpus: texts/N plus gold.txt lines `title,,name,,lat,,lon,,start,,end||`."""
    texts = ["Storms hit Paris in Texas.", "Paris is the capital of France."]
    golds = ["Paris,,Paris,,33.66,,-95.55,,11,,16||", "Paris,,Paris,,48.85,,2.35,,0,,5||"]
    folder = tmp_path / "WikToR"
    (folder / "texts").mkdir(parents=True)
    for i, text in enumerate(texts):
        (folder / "texts" / str(i)).write_text(text, encoding="utf-8")
    (folder / "gold.txt").write_text("\n".join(golds) + "\n", encoding="utf-8")
    return folder


def test_compare_ranker_and_llm(tmp_path, gazetteer_dir, corpus_dir, tiny_model):
    from data_builders.geotext.corpora import load_corpus
    from eval.geoparsing.compare import compare_resolvers, format_comparison
    from modeling.geoparsing import Geoparser

    geoparser = Geoparser(gazetteer=gazetteer_dir, llm_margin=1.0, with_geometry=False)  # ask the LLM always
    report = compare_resolvers(load_corpus(corpus_dir), geoparser, ["none", str(tiny_model)], progress=False)
    assert report["n_sent_to_llm"] == 2
    assert report["all_toponyms"][str(tiny_model)]["llm_calls"] == 2
    assert report["all_toponyms"]["none"]["llm_calls"] == 0
    for spec in ("none", str(tiny_model)):
        assert report["sent_to_llm"][spec]["n"] == 2
    table = format_comparison(report)
    assert "| none |" in table and "2 toponyms sent to the LLM" in table
    json.dumps(report, default=str)
    with pytest.raises(BadInputError, match="two distinct"):
        compare_resolvers(load_corpus(corpus_dir), geoparser, ["none"], progress=False)


def test_cli_compare_writes_one_report(tmp_path, gazetteer_dir, corpus_dir, tiny_model):
    from georeset.cli import main

    out = tmp_path / "report.json"
    status = main(
        [
            "eval",
            "geoparsing",
            "--corpus",
            str(corpus_dir),
            "--gazetteer",
            str(gazetteer_dir),
            "--compare",
            "none",
            "--compare",
            str(tiny_model),
            "--out",
            str(out),
            "--no-coverage",
            "--quiet",
        ]
    )
    assert status == 0
    report = json.loads(out.read_text())
    assert report["resolvers"] == ["none", str(tiny_model)] and set(report["reports"]) == {
        "none",
        str(tiny_model),
    }
