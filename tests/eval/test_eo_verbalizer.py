"""The two-level verbalizer of zero-/few-shot classification: land-cover words first, class phrases second."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # eo_tiny (pytest runs with --import-mode=importlib)
from eo_tiny import write_eurosat_rgb_classes  # noqa: E402

from data_builders.imagery.eurosat import EUROSAT_CLASSES, EUROSAT_LAND_COVER_WORDS  # noqa: E402
from eval.eo.land_use import load_land_use  # noqa: E402
from eval.eo.modes import LabelledPatches, land_cover_view, run_prompted  # noqa: E402
from georeset.errors import BadInputError  # noqa: E402


class ScriptedClassifier:
    """Scores set by hand: per image, a log-likelihood for every answer text, whatever the prompt."""

    def __init__(self, scores: list[dict[str, float]]):
        self.scores = scores
        self.prompts: list[str] = []

    def prefix_and_query(self, instruction, shots, question):
        self.prompts.append(instruction)
        return instruction, question

    def encode_prefix(self, prefix, images=()):
        return None

    def score_answers(self, patches, query, answers, cache=None, progress=None, pixels=None):
        return np.array([[self.scores[int(p)][a] for a in answers] for p in patches], dtype=float)


def test_the_word_decides_and_the_phrase_breaks_ties():
    classes = ["AnnualCrop", "PermanentCrop", "Forest", "River"]
    data = LabelledPatches(
        patches=["0", "1", "2"],  # the scripted classifier reads the image index from the "patch"
        targets=np.array([0, 1, 3]),
        classes=classes,
        phrases=["annual crop", "permanent crop", "forest", "river"],
        land_cover_words=["cultivated land", "cultivated land", "forest", "water"],
    )
    view, word_of = land_cover_view(data)
    assert view.classes == ["cultivated land", "forest", "water"] and word_of.tolist() == [0, 0, 1, 2]
    assert view.subject == "land cover" and view.targets.tolist() == [0, 0, 2]
    low = {"annual crop": -5.0, "permanent crop": -5.0, "forest": -5.0, "river": -5.0}
    scripted = ScriptedClassifier(
        [
            # "forest" is the best phrase, "cultivated land" the best word: annual crop wins within that word.
            {**low, "forest": -0.6, "annual crop": -2.0, "permanent crop": -3.0,
             "cultivated land": -0.5, "water": -4.0},
            {**low, "annual crop": -3.0, "permanent crop": -2.5, "cultivated land": -0.2, "water": -3.0},
            {**low, "forest": -1.0, "river": -6.0, "cultivated land": -3.0, "water": -0.3},
        ]
    )  # fmt: skip
    folds = [(np.array([], dtype=int), np.arange(3))]
    predictions = run_prompted("zero-shot", scripted, data, folds)
    assert predictions.tolist() == [0, 1, 3]
    # Without the words, the phrases alone decide.
    plain = LabelledPatches(patches=data.patches, targets=data.targets, classes=classes, phrases=data.phrases)
    assert run_prompted("zero-shot", scripted, plain, folds).tolist() == [2, 1, 2]
    # The word prompt lists the distinct words, in the format the classification task trains on.
    assert any("cultivated land; forest; water" in prompt for prompt in scripted.prompts)


def test_eurosat_gets_its_land_cover_words_unless_asked_not_to(tmp_path):
    assert set(EUROSAT_LAND_COVER_WORDS) == set(EUROSAT_CLASSES)
    root = write_eurosat_rgb_classes(tmp_path / "eurosat", per_class=2)
    data, _ = load_land_use(root)
    assert data.land_cover_words == [EUROSAT_LAND_COVER_WORDS[name] for name in data.classes]
    plain, _ = load_land_use(root, verbalizer="none")
    assert plain.land_cover_words is None
    with pytest.raises(BadInputError, match="verbalizer"):
        load_land_use(root, verbalizer="synonyms")
    with pytest.raises(BadInputError, match="land-cover words"):
        LabelledPatches(
            patches=["0"], targets=np.array([0]), classes=["a"], phrases=["a"], land_cover_words=[]
        )
