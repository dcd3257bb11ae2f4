"""Learning the ranker's weights from gold toponyms (training/ranker_fit.py, training/train_ranker.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from data_builders.geotext.corpora import Document, GoldToponym
from georeset.errors import BadInputError
from modeling.geoparsing.rank import FEATURES, RankerWeights
from training.ranker_fit import (
    CollectReport,
    RankingExample,
    _objective,
    accuracy,
    collect_examples,
    fit_weights,
    save_weights,
)

PARIS_TN = (36.302, -88.3267)  # the smallest Paris of the test gazetteer


def _local_news(n: int, start: int = 0) -> list[Document]:
    """Documents of a Tennessee local paper: "Paris" alone, meaning Paris, TN (no state named)."""
    docs = []
    for i in range(start, start + n):
        text = f"Story {i}: the council of Paris met on Monday about the new road."
        begin = text.index("Paris")
        docs.append(
            Document(
                f"doc{i}", text, [GoldToponym(begin, begin + 5, "Paris", lat=PARIS_TN[0], lon=PARIS_TN[1])]
            )
        )
    return docs


def test_objective_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    examples = [
        RankingExample("d", "x", rng.normal(size=(4, len(FEATURES))), np.array([False, True, False, True]))
        for _ in range(5)
    ]
    params = rng.normal(size=len(FEATURES))
    prior = np.zeros(len(FEATURES))
    loss, grad = _objective(params, examples, prior, 0.5, 2.0)
    eps = 1e-6
    numeric = np.array(
        [
            (_objective(params + eps * np.eye(len(FEATURES))[j], examples, prior, 0.5, 2.0)[0] - loss) / eps
            for j in range(len(FEATURES))
        ]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-3, atol=1e-4)


def test_fit_learns_a_decisive_feature():
    """Only `proximity` tells the right candidate: its weight grows and accuracy goes to 1."""
    col = FEATURES.index("proximity")
    rng = np.random.default_rng(1)
    examples = []
    for _ in range(60):
        features = rng.uniform(0, 1, size=(3, len(FEATURES)))
        features[:, col] = 0.0
        right = int(rng.integers(3))
        features[right, col] = 1.0
        examples.append(RankingExample("d", "x", features, np.arange(3) == right))
    prior = RankerWeights()
    fitted, report = fit_weights(examples, prior, strength=0.1)
    assert fitted.weights["proximity"] > prior.weights["proximity"] + 2
    assert report["train_accuracy_after"] == 1.0 > report["train_accuracy_before"]
    assert accuracy(examples, fitted) == 1.0


def test_fit_refuses_no_examples():
    with pytest.raises(BadInputError, match="no ranking example"):
        fit_weights([])


def test_collect_counts_what_it_skips(geoparser):
    docs = _local_news(2)
    docs.append(Document("nocoord", "Paris again.", [GoldToponym(0, 5, "Paris")]))
    docs.append(Document("far", "Paris again.", [GoldToponym(0, 5, "Paris", lat=-45.0, lon=170.0)]))
    report = CollectReport()
    examples = collect_examples(geoparser, docs, progress=False, report=report)
    assert len(examples) == 2 and report.used == 2 and report.toponyms == 4
    assert report.skipped == {
        "gold toponym without coordinates": 1,
        "no candidate within the distance (not covered)": 1,
    }
    example = examples[0]
    assert example.features.shape[1] == len(FEATURES) and example.correct.sum() == 1
    assert geoparser.ranker.__class__.__name__ == "Ranker"  # the recording ranker is removed afterwards


def test_learned_weights_change_the_decision_on_held_out_documents(geoparser):
    """A local corpus where bare "Paris" is Paris, TN: hand weights say France; fitted ones say Tennessee."""
    from modeling.geoparsing import Geoparser

    held_out = "Story 99: the council of Paris met on Monday about the new road."
    assert geoparser.resolve(held_out, [(25, 30)])[0].country_code == "FR"
    examples = collect_examples(geoparser, _local_news(20), progress=False)
    fitted, _ = fit_weights(examples, strength=0.1)
    tuned = Geoparser(geoparser.index, ranker_weights=fitted)
    assert tuned.resolve(held_out, [(25, 30)])[0].admin_path.endswith("Tennessee > Henry County")


def test_weights_file_round_trip_and_errors(tmp_path, memory_index):
    from modeling.geoparsing import Geoparser

    weights = RankerWeights(weights={**RankerWeights().weights, "capital": -1.5}, nil_score=6.0)
    path = save_weights(weights, tmp_path / "w" / "ranker.json", training={"corpora": ["x"]})
    loaded = RankerWeights.load(path)
    assert loaded.weights["capital"] == -1.5 and loaded.nil_score == 6.0
    assert json.loads(path.read_text())["training"] == {"corpora": ["x"]}
    assert Geoparser(memory_index, ranker_weights=str(path)).ranker.weights.weights["capital"] == -1.5

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(BadInputError, match="bad.json: cannot read"):
        RankerWeights.load(bad)
    bad.write_text(json.dumps({"weights": {"charm": 1.0}}))
    with pytest.raises(BadInputError, match="unknown features \\['charm'\\]"):
        RankerWeights.load(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(BadInputError, match="'weights' object"):
        RankerWeights.load(bad)


LGL_XML = """<?xml version="1.0" encoding="utf-8"?>
<articles>
{articles}
</articles>
"""


def test_train_ranker_script_end_to_end(tmp_path, built_gazetteer, capsys):
    """The script reads a gold corpus file, fits, validates on held-out documents and writes loadable weights."""
    from training.train_ranker import main

    articles = []
    for doc in _local_news(40):
        t = doc.toponyms[0]
        articles.append(
            f'<article docid="{doc.doc_id}"><text>{doc.text}</text><toponyms><toponym><start>{t.start}</start>'
            f'<end>{t.end}</end><phrase>Paris</phrase><gaztag geonameid="4655186"><name>Paris</name>'
            f"<lat>{t.lat}</lat><lon>{t.lon}</lon></gaztag></toponym></toponyms></article>"
        )
    corpus = tmp_path / "lgl.xml"
    corpus.write_text(LGL_XML.format(articles="\n".join(articles)), encoding="utf-8")
    out = tmp_path / "ranker.json"
    args = ["--corpus", str(corpus), "--gazetteer", str(built_gazetteer), "--out", str(out), "--quiet"]
    assert main([*args, "--strength", "0.1", "--rounds", "1", "--validation-fraction", "0.3"]) == 0
    saved = json.loads(out.read_text())
    validation = saved["training"]["validation_accuracy"]
    assert validation["fitted"] > validation["start"]
    assert saved["training"]["documents"]["train"] + saved["training"]["documents"]["validation"] == 40
    RankerWeights.load(out)

    with pytest.raises(BadInputError, match="--validation-fraction"):
        main([*args, "--validation-fraction", "1.5"])
    empty = tmp_path / "empty.xml"
    empty.write_text(LGL_XML.format(articles='<article docid="1"><text>Nothing.</text><toponyms/></article>'))
    with pytest.raises(BadInputError, match="no gold toponym with coordinates"):
        main(["--corpus", str(empty), "--gazetteer", str(built_gazetteer), "--out", str(out), "--quiet"])
