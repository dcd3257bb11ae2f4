"""Distant supervision: the geoparser's own questions with known answers, hard cases, splits without leakage."""

from __future__ import annotations

from collections import Counter

import pytest

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.distant import (
    DistantSettings,
    DistantSupervision,
    check_splits,
    is_validation_place,
)
from data_builders.geotext.examples_io import write_examples
from data_builders.geotext.schema import make_record, make_toponym
from georeset.errors import BadInputError
from modeling.geoparsing.resolve_llm import DEFAULT_MAX_OPTIONS
from training.resolver_data import load_examples

TEXTS = [
    (
        "Floods in Paris, Texas reached the United States border with Georgia.",
        [
            ("Paris", "geonames:4717560"),
            ("Texas", "geonames:4736286"),
            ("United States", "geonames:6252001"),
            ("Georgia", "geonames:4197000"),
        ],
    ),
    (
        "Paris and Marseille and Lyon are in France; Tbilisi is in Georgia.",
        [
            ("Paris", "geonames:2988507"),
            ("Marseille", "geonames:2995469"),
            ("Lyon", "geonames:2996944"),
            ("France", "geonames:3017382"),
            ("Tbilisi", "geonames:611717"),
            ("Georgia", "geonames:614540"),
        ],
    ),
    (
        "Springfield is the capital of Illinois, far from Rio Grande do Sul in Brazil.",
        [
            ("Springfield", "geonames:4250542"),
            ("Illinois", "geonames:4896861"),
            ("Rio Grande do Sul", "geonames:2993458"),
            ("Brazil", "geonames:3469034"),
        ],
    ),
]


def corpus(copies: int = 12, source: str = "factbook", label_source: str = "distant"):
    records = []
    for copy in range(copies):
        for n, (text, names) in enumerate(TEXTS):
            toponyms, cursor = [], 0
            for surface, entity in names:
                start = text.index(surface, cursor)
                cursor = start + len(surface)
                toponyms.append(
                    make_toponym(text, start, cursor, entity_id=entity, label_source=label_source)
                )
            records.append(make_record(f"{source}:{copy}-{n}", text, source=source, toponyms=toponyms))
    return records


@pytest.fixture(scope="module")
def examples(gazetteer):
    settings = DistantSettings(max_per_entity=50, validation_place_share=0.4, validation_doc_share=0.2)
    supervision = DistantSupervision(gazetteer, settings, BuildReport())
    return list(supervision.examples(corpus(), progress=False)), settings, supervision


def test_questions_in_the_resolver_format(examples):
    found, settings, _ = examples
    assert found
    for ex in found:
        assert 2 <= len(ex["options"]) <= settings.max_options == DEFAULT_MAX_OPTIONS
        assert (
            len(ex["options"]) == len(ex["option_ids"]) and ex["option_ids"][ex["answer"]] == ex["entity_id"]
        )
        # the ranker's probabilities of the options, in option order: what the LLM weight is fitted against
        assert len(ex["option_probs"]) == len(ex["options"]) and all(0 <= p <= 1 for p in ex["option_probs"])
        if ex["ranker_top"]:
            assert ex["option_probs"][ex["answer"]] == max(ex["option_probs"])
        assert f"[[{ex['mention']}]]" in ex["context"]
        assert all("(" in option and option.endswith(")") for option in ex["options"])  # describe_candidate


def test_hard_cases_and_shuffled_answers(examples):
    found, _, _ = examples
    kinds = Counter(ex["kind"] for ex in found)
    assert kinds["ambiguous"] > 0  # Paris, Georgia
    for kind in ("misspelling", "abbreviation", "demonym", "other_language"):
        assert kinds[kind] > 0, kind
    perturbed = [ex for ex in found if ex["kind"] not in ("exact", "ambiguous")]
    assert all(ex["mention"] != ex["original"] for ex in perturbed)
    demonym = next(ex for ex in found if ex["kind"] == "demonym")
    assert demonym["mention"] in ("French", "American", "Georgian", "Brazilian")
    assert len({ex["answer"] for ex in found}) >= 2  # the answer's letter carries no information


def test_splits_by_place_and_document(examples):
    found, settings, _ = examples
    splits = {ex["split"] for ex in found}
    assert splits == {"train", "validation"}
    counts = check_splits(found, settings)
    assert counts["train"]["examples"] + counts["validation"]["examples"] == len(found)
    validation_places = {ex["entity_id"] for ex in found if is_validation_place(ex["entity_id"], settings)}
    assert validation_places, "the draw should hold out some places"
    assert not validation_places & {ex["entity_id"] for ex in found if ex["split"] == "train"}
    leaked = [dict(found[0], split="train", entity_id=next(iter(validation_places)))]
    with pytest.raises(BadInputError, match="leakage"):
        check_splits(leaked, settings)


def test_benchmarks_never_train_unless_allowed(gazetteer):
    report = BuildReport()
    supervision = DistantSupervision(gazetteer, DistantSettings(), report)
    assert list(supervision.examples(corpus(1, source="lgl", label_source="gold"), progress=False)) == []
    assert report.to_dict()["rejected"][0]["count"] == 3
    allowed = DistantSupervision(gazetteer, DistantSettings(allow_sources=frozenset({"lgl"})), BuildReport())
    assert list(allowed.examples(corpus(1, source="lgl", label_source="gold"), progress=False))


def test_write_examples_and_refuse_empty(tmp_path, examples, gazetteer):
    from datasets import load_dataset

    found, settings, supervision = examples
    counts = write_examples(
        found, tmp_path / "ex", settings=settings, report=supervision.report, sources=["x"]
    )
    loaded = {split: load_examples(str(tmp_path / "ex"), split) for split in ("train", "validation")}
    assert loaded["train"].num_rows == counts["train"]["examples"]
    assert loaded["validation"].num_rows == counts["validation"]["examples"]
    assert "option_probs" in loaded["train"].column_names
    card = load_dataset(str(tmp_path / "ex"), split="validation", cache_dir=tmp_path / "c")
    assert card.num_rows == counts["validation"]["examples"]  # the card's configs load with `datasets` too
    with pytest.raises(BadInputError, match="no training example"):
        write_examples([], tmp_path / "none", settings=settings, report=BuildReport())
    unusable = [make_record("t:1", "Nothing here.", source="text")]
    assert list(DistantSupervision(gazetteer).examples(unusable, progress=False)) == []
