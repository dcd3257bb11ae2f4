"""The evaluation run with a stub geoparser (hand-computed figures) and the `georeset eval geoparsing` command."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from data_builders.geotext.corpora import load_corpus
from eval.geoparsing.run import evaluate_geoparser, format_summary
from eval.geoparsing.scoring import MAX_ERROR_KM, great_circle_km
from georeset.cli import main

LYON_WRONG = (40.2247, -105.2714, 5579368)  # a Lyons in Colorado: far from the gold Lyon
PLACES = {
    "Paris": (48.85341, 2.3488, 2988507),  # exactly gold
    "Lyon": LYON_WRONG,
    "Springfield": (37.21533, -93.29824, 4409896),  # exactly gold
    "Monday": (0.0, 0.0, None),  # a false positive in e2e mode
    # "Texas" is missing: unresolved in gold mode, not recognised in e2e mode.
}


class PointIndex:
    """A gazetteer index whose only candidates are the stub's own places."""

    def lookup(self, name, top_k=50, fuzzy=True):
        if name not in PLACES:
            return []
        lat, lon, _ = PLACES[name]
        return [SimpleNamespace(entity_id=name, lat=lat, lon=lon, bbox=None, has_polygon=False)]

    def geometry(self, entity_id):
        return None


@pytest.fixture
def corpus(tmp_path, kit):
    return load_corpus(kit.write_lgl(tmp_path / "lgl.xml"))


def lyon_error() -> float:
    return great_circle_km(LYON_WRONG[0], LYON_WRONG[1], 45.74846, 4.84671)


def test_gold_mode_hand_computed(corpus, kit):
    geoparser = kit.StubGeoparser(dict(PLACES))
    evaluation = evaluate_geoparser(corpus, geoparser, mode="gold", index=PointIndex(), progress=False)
    report = evaluation.report
    # Scored: Paris 0, Lyon far, Texas unresolved, Springfield 0 twice; "Memphis St." has no gold coordinates.
    assert (
        report["n_gold"],
        report["n_gold_with_coordinates"],
        report["n_scored"],
        report["n_resolved"],
    ) == (6, 5, 5, 4)
    assert report["acc_at_161km"] == pytest.approx(3 / 5)
    assert report["median_error_km"] == 0.0
    assert report["mean_error_km"] == pytest.approx((lyon_error() + MAX_ERROR_KM) / 5)
    assert report["geonames_id_accuracy"] == pytest.approx(3 / 5) and report["n_gold_with_geonames_id"] == 5
    # Coverage: Paris and Springfield (x2) have a candidate near gold; Lyon's only candidate is far; Texas none.
    assert report["coverage_cap"] == pytest.approx(3 / 5)
    assert report["resolution_over_coverage"] == pytest.approx(1.0)
    assert report["acc_at_161km_on_covered"] == 1.0
    assert report["precision"] is None and report["recall"] is None and report["f1"] is None
    assert report["llm_calls"] == 0 and report["stages"] == {"stub": 4, "no_match": 1}
    assert report["published"]["CamCoder"]["acc_at_161km"] == 0.76
    assert sorted(evaluation.errors_km)[-1] == MAX_ERROR_KM
    assert "Acc@161km 60.0" in format_summary(report)


def test_e2e_mode_hand_computed(corpus, kit):
    evaluation = evaluate_geoparser(corpus, kit.StubGeoparser(dict(PLACES)), mode="e2e", progress=False)
    report = evaluation.report
    # Predicted: Paris, Monday, Lyon | Springfield x2. Gold: Paris, Lyon, Texas | Springfield, Memphis St., Springfield.
    assert (report["recognition"]["exact"]["tp"], report["recognition"]["exact"]["fp"]) == (4, 1)
    assert report["recognition"]["exact"]["fn"] == 2
    assert report["precision"] == pytest.approx(4 / 5) and report["recall"] == pytest.approx(4 / 6)
    assert report["f1"] == pytest.approx(2 * 0.8 * (4 / 6) / (0.8 + 4 / 6))
    assert report["f1_overlap"] == report["f1"]
    # Resolution on matched gold toponyms with coordinates: Paris 0, Lyon far, Springfield 0 twice.
    assert report["n_scored"] == 4 and report["acc_at_161km"] == pytest.approx(3 / 4)
    assert report["n_predicted"] == 5 and report["coverage_cap"] is None
    unmatched = [o for o in evaluation.outcomes if o.gold is None]
    assert [o.prediction.text for o in unmatched] == ["Monday"]
    assert report["mention_sources"] == {"stub-ner": {"predicted": 5, "precision_overlap": 0.8}}


def test_footprint_accuracy_counts_gold_points_inside_the_predicted_polygon(corpus, kit):
    # The predicted Lyon point is far away, but its (made-up) polygon covers the gold point.
    square = {"type": "Polygon", "coordinates": [[[4, 45], [6, 45], [6, 46], [4, 46], [4, 45]]]}
    geoparser = kit.StubGeoparser(dict(PLACES), polygons={"Lyon": square})
    evaluation = evaluate_geoparser(corpus, geoparser, mode="gold", progress=False)
    assert evaluation.report["acc_at_161km"] == pytest.approx(3 / 5)
    assert evaluation.report["acc_at_161km_footprint"] == pytest.approx(4 / 5)
    lyon = next(o for o in evaluation.outcomes if o.gold.text == "Lyon")
    assert lyon.in_footprint is True and lyon.prediction.footprint is None  # dropped after scoring


def test_resolve_must_return_one_toponym_per_span(corpus, kit):
    class Dropping(kit.StubGeoparser):
        def resolve(self, text, spans):
            return super().resolve(text, spans)[:-1]

    with pytest.raises(Exception, match="must return one per span"):
        evaluate_geoparser(corpus, Dropping(dict(PLACES)), mode="gold", progress=False)
    with pytest.raises(ValueError, match="mode 'silver'"):
        evaluate_geoparser(corpus, Dropping(dict(PLACES)), mode="silver", progress=False)


def test_cli_writes_report_plot_and_details(tmp_path, kit, monkeypatch, capsys):
    corpus_path = kit.write_geovirus(tmp_path / "GeoVirus.xml")
    stub = kit.StubGeoparser({"Paris": (48.86, 2.35, None), "Lyon": (45.76, 4.84, None)})
    stub.index = PointIndex()
    monkeypatch.setattr("eval.cli._load_geoparser", lambda args: stub)
    out, plot, details = tmp_path / "out" / "report.json", tmp_path / "errors.png", tmp_path / "details.jsonl"
    code = main(
        [
            "eval",
            "geoparsing",
            "--corpus",
            str(corpus_path),
            "--mode",
            "gold",
            "--out",
            str(out),
            "--plot",
            str(plot),
            "--details",
            str(details),
            "--quiet",
        ]
    )
    assert code == 0
    report = json.loads(out.read_text())
    for key in (
        "acc_at_161km",
        "mean_error_km",
        "median_error_km",
        "auc",
        "precision",
        "recall",
        "f1",
        "n_gold",
        "n_resolved",
        "coverage_cap",
        "geonames_id_accuracy",
        "resolution_over_coverage",
        "mode",
        "corpus",
        "timing",
        "llm_calls",
    ):
        assert key in report
    assert (
        report["corpus"] == "geovirus"
        and report["n_gold"] == 3
        and report["acc_at_161km"] == pytest.approx(2 / 3)
    )
    assert report["corpus_notes"]["offset_shift"] == -1
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = [json.loads(line) for line in details.read_text().splitlines()]
    assert len(rows) == 3 and {r["gold"]["text"] for r in rows} == {"Paris", "Lyon", "Texas"}
    assert "published CamCoder: Acc@161km 82.0" in capsys.readouterr().out


def test_cli_bad_corpus_is_a_clear_error(tmp_path, capsys):
    assert (
        main(
            ["eval", "geoparsing", "--corpus", str(tmp_path / "nope.xml"), "--out", str(tmp_path / "r.json")]
        )
        == 1
    )
    assert "nope.xml: no such file or folder" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_eval_group_without_task_prints_help(capsys):
    assert main(["eval"]) == 2
    assert "geoparsing" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["eval", "geoparsing", "--corpus", "x", "--out", "r.json", "--limit", "0"])
    assert "must be 1 or more" in capsys.readouterr().err


def test_collection_context_passes_each_document_its_source(corpus, kit):
    assert [doc.source for doc in corpus.documents] == ["7", ""]  # LGL's <feedid>

    class Collecting(kit.StubGeoparser):
        def resolve_collection(self, documents, sources):
            self.sources = list(sources)
            return [self.resolve(text, spans) for text, spans in documents]

    geoparser = Collecting(dict(PLACES))
    with_context = evaluate_geoparser(corpus, geoparser, mode="gold", progress=False, collection_context=True)
    assert geoparser.sources == ["7", ""]
    alone = evaluate_geoparser(corpus, kit.StubGeoparser(dict(PLACES)), mode="gold", progress=False)
    assert with_context.report["acc_at_161km"] == alone.report["acc_at_161km"]


def test_collection_context_needs_sources(tmp_path, kit):
    geovirus = load_corpus(kit.write_geovirus(tmp_path / "GeoVirus.xml"))
    with pytest.raises(Exception, match="collection context needs documents that name their source"):
        evaluate_geoparser(geovirus, kit.StubGeoparser(dict(PLACES)), progress=False, collection_context=True)
