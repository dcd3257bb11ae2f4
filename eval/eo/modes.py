"""The evaluation modes and baselines, and the support / evaluation protocol they share.

Modes (all scored on the same evaluation samples, so their figures sit side by side in one report):

- `zero-shot`: class phrases (and optional descriptions) listed in the system instruction; each image is scored
  against every class phrase by the model's log-likelihood of that answer (`PatchClassifier.score_answers`), the
  best one wins. With `land_cover_words` (EuroSAT: `EUROSAT_LAND_COVER_WORDS`), a two-level verbalizer: the
  distinct plain land-cover words are scored first under the land-cover prompt the instruction data's
  classification task trains on ("forest", "grassland", "cultivated land"...), and the class phrases then choose
  among the classes of the winning word. Multi-label data (BigEarthNet): one yes/no question per class, "yes"
  when log p(yes) > log p(no).
- `few-shot`: as zero-shot, with k labelled support examples (image + question + answer turns) in the
  conversation before the query; the examples cycle through the support classes, most frequent first.
- `linear-probe`: logistic regression (scikit-learn, standardised features, L2, C=1) on the frozen encoder's
  pooled features of the support samples; one-vs-rest for multi-label data.
- baselines `majority` (the support set's most frequent class; multi-label: the labels held by more than half of
  the support samples, else the most frequent one) and `random` (uniform over classes; multi-label: each class
  with its support prevalence), seeded.

Protocol (`make_folds`): when the data has both a train and a test split, the train split is the support set and
the test split is evaluated. Otherwise every sample is evaluated by cross-fitting: the samples are dealt into
`n_folds` stratified folds (or given groups, e.g. spatial blocks of a map); each fold is evaluated with support
drawn from the other folds only. Zero-shot needs no support but is scored on the same samples.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from data_builders.imagery import templates as T
from data_builders.imagery.patch import Patch
from eval.eo.model import PatchClassifier
from eval.eo.scoring import classification_metrics, multilabel_metrics
from georeset.errors import BadInputError

MODES = ("zero-shot", "few-shot", "linear-probe")
BASELINES = ("majority", "random")
DEFAULT_K = 5
DEFAULT_FOLDS = 5
YES, NO = "yes", "no"

Fold = tuple[np.ndarray, np.ndarray]  # (support indices, evaluation indices)


@dataclass
class LabelledPatches:
    """Patches with their classes, ready for every mode.

    Attributes:
        patches: the images (any sequence; a lazy one keeps memory bounded).
        targets: `(n,)` class indices, or `(n, classes)` 0/1 for multi-label data.
        classes: class names (report keys), index order.
        phrases: the answer text of each class in prompts ("annual crop").
        subject: what is classified, for prompts ("land use", "crop type").
        descriptions: optional one-line description per class, added to the instruction.
        land_cover_words: optional plain land-cover word per class (several classes may share one), for a
            two-level verbalizer: zero-/few-shot first score the distinct words under the land-cover prompt the
            instruction data's classification task trains on, then pick, among the classes of the best word,
            the one whose own phrase scores best (see `_score_single_label`).
        splits: optional split name per sample ("train"/"test"/None).
        groups: optional fold id per sample (spatial blocks); overrides stratified folds.
    """

    patches: Sequence[Patch]
    targets: np.ndarray
    classes: list[str]
    phrases: list[str]
    subject: str = "land use"
    descriptions: list[str] | None = None
    land_cover_words: list[str] | None = None
    splits: list[str | None] | None = None
    groups: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.targets = np.asarray(self.targets)
        if len(self.targets) != len(self.patches):
            raise BadInputError(f"{len(self.targets)} targets for {len(self.patches)} patches")
        if len(self.phrases) != len(self.classes):
            raise BadInputError(f"{len(self.phrases)} phrases for {len(self.classes)} classes")
        if len(set(self.phrases)) != len(self.phrases):
            raise BadInputError(f"two classes share one answer phrase: {self.phrases}")
        if self.land_cover_words is not None and len(self.land_cover_words) != len(self.classes):
            raise BadInputError(
                f"{len(self.land_cover_words)} land-cover words for {len(self.classes)} classes"
            )

    @property
    def multilabel(self) -> bool:
        return self.targets.ndim == 2


@dataclass
class ModeResult:
    """Predictions of one mode over the evaluation samples, and its metrics."""

    name: str
    predictions: np.ndarray
    metrics: dict
    wall_s: float
    settings: dict = field(default_factory=dict)

    def report(self) -> dict:
        return {**self.metrics, "wall_s": round(self.wall_s, 3), "settings": self.settings}


def make_folds(data: LabelledPatches, n_folds: int = DEFAULT_FOLDS, seed: int = 0) -> tuple[list[Fold], dict]:
    """The (support, evaluation) index pairs and a description of the protocol for the report."""
    n = len(data.targets)
    if n < 2:
        raise BadInputError(f"{n} labelled sample(s): the evaluation needs at least 2")
    splits = [(s or "").lower() for s in data.splits] if data.splits is not None else None
    if splits and "train" in splits and "test" in splits:
        support = np.array([i for i, s in enumerate(splits) if s == "train"])
        evaluate = np.array([i for i, s in enumerate(splits) if s == "test"])
        other = n - len(support) - len(evaluate)
        protocol = {
            "kind": "train/test split",
            "support": int(len(support)),
            "evaluated": int(len(evaluate)),
            "unused_other_splits": other,
        }
        return [(support, evaluate)], protocol
    rng = np.random.default_rng(seed)
    if data.groups is not None:
        groups = np.asarray(data.groups)
        fold_of = {g: i for i, g in enumerate(sorted(set(groups.tolist())))}
        assignment = np.array([fold_of[g] for g in groups.tolist()])
        kind = f"cross-fitting over {len(fold_of)} given groups (spatial blocks)"
    else:
        n_folds = max(2, min(n_folds, n))
        assignment = np.empty(n, dtype=int)
        # Stratified: deal each class's shuffled samples round-robin, continuing where the last class stopped.
        keys = data.targets.argmax(1) if data.multilabel else data.targets
        offset = 0
        for value in np.unique(keys):
            members = rng.permutation(np.flatnonzero(keys == value))
            assignment[members] = (offset + np.arange(len(members))) % n_folds
            offset += len(members)
        kind = f"stratified {n_folds}-fold cross-fitting"
    folds = []
    for fold in np.unique(assignment):
        folds.append((np.flatnonzero(assignment != fold), np.flatnonzero(assignment == fold)))
    protocol = {"kind": kind, "folds": len(folds), "evaluated": n, "seed": seed}
    return folds, protocol


def _evaluated(folds: list[Fold]) -> np.ndarray:
    return np.concatenate([evaluate for _, evaluate in folds])


def instruction_for(data: LabelledPatches) -> str:
    """The system instruction: the task and the answer options (with descriptions when given)."""
    if data.multilabel:
        head = (
            f"You see a Sentinel image. Answer yes or no: does the image show the {data.subject} asked about?"
        )
    else:  # the closed-set prompt the instruction data's classification task trains on
        head = T.CHOICE_INSTRUCTION["en"].format(
            subject=data.subject, options=T.OPTION_SEPARATOR.join(data.phrases)
        )
    if data.descriptions:
        head += "\n" + "\n".join(
            f"- {phrase}: {text}"
            for phrase, text in zip(data.phrases, data.descriptions, strict=True)
            if text
        )
    return head


def question_for(data: LabelledPatches, class_index: int | None = None) -> str:
    """The user question (multi-label: about one class)."""
    if class_index is None:
        return T.CHOICE_QUESTIONS["en"].format(subject=data.subject)
    return f"Does this image show {data.phrases[class_index]}?"


def few_shot_support(
    targets: np.ndarray, support: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """k support indices cycling through the classes (most frequent first), each class's order shuffled."""
    if k <= 0 or len(support) == 0:
        return np.array([], dtype=int)
    keys = targets[support].argmax(1) if targets.ndim == 2 else targets[support]
    values, counts = np.unique(keys, return_counts=True)
    pools = [list(rng.permutation(support[keys == v])) for v in values[np.argsort(-counts, kind="stable")]]
    chosen: list[int] = []
    while len(chosen) < min(k, len(support)):
        for pool in pools:
            if pool and len(chosen) < k:
                chosen.append(int(pool.pop()))
    return np.array(chosen, dtype=int)


LAND_COVER_SUBJECT = "land cover"
"""The subject of the land-cover-word prompt of the two-level verbalizer."""


def land_cover_view(data: LabelledPatches) -> tuple[LabelledPatches, np.ndarray]:
    """The data relabelled with its distinct land-cover words (first-seen order) and each class's word index."""
    words = list(dict.fromkeys(data.land_cover_words or []))
    word_of = np.array([words.index(word) for word in data.land_cover_words], dtype=int)
    view = LabelledPatches(
        patches=data.patches,
        targets=word_of[data.targets],
        classes=words,
        phrases=words,
        subject=LAND_COVER_SUBJECT,
    )
    return view, word_of


def _answer_scores(
    classifier: PatchClassifier,
    data: LabelledPatches,
    indices: np.ndarray,
    examples: np.ndarray,
    progress: Callable[[int], None] | None,
) -> np.ndarray:
    """`(len(indices), classes)` log-likelihood of each class phrase under the closed-set prompt."""
    question = question_for(data)
    shots = [(question, data.phrases[int(data.targets[i])]) for i in examples]
    prefix, query = classifier.prefix_and_query(instruction_for(data), shots, question)
    cache = classifier.encode_prefix(prefix, [data.patches[int(i)] for i in examples])
    subset = _Subset(data.patches, indices)
    return classifier.score_answers(subset, query, data.phrases, cache, progress=progress)


def _score_single_label(
    classifier: PatchClassifier,
    data: LabelledPatches,
    indices: np.ndarray,
    examples: np.ndarray,
    progress: Callable[[int], None] | None,
) -> np.ndarray:
    scores = _answer_scores(classifier, data, indices, examples, progress)
    if not data.land_cover_words:
        return scores.argmax(1)
    # Two-level verbalizer: the land-cover word decides first; the class phrases only break ties among the
    # classes that share the winning word (the words are what the classification task trained on).
    view, word_of = land_cover_view(data)
    word_scores = _answer_scores(classifier, view, indices, examples, None)
    best_word = word_scores.argmax(1)
    allowed = word_of[None, :] == best_word[:, None]
    return np.where(allowed, scores, -np.inf).argmax(1)


def _score_multilabel(
    classifier: PatchClassifier,
    data: LabelledPatches,
    indices: np.ndarray,
    examples: np.ndarray,
    rng: np.random.Generator,
    progress: Callable[[int], None] | None,
) -> np.ndarray:
    # Few-shot examples: one yes/no question each, about a class the image has (even turns) or lacks (odd ones).
    shots, images = [], []
    for turn, i in enumerate(examples):
        row = data.targets[int(i)].astype(bool)
        pool = np.flatnonzero(row if turn % 2 == 0 else ~row)
        if len(pool) == 0:
            pool = np.flatnonzero(~row if turn % 2 == 0 else row)
        c = int(rng.choice(pool))
        shots.append((question_for(data, c), YES if row[c] else NO))
        images.append(data.patches[int(i)])
    out = np.zeros((len(indices), len(data.classes)), dtype=np.int8)
    queries = [
        classifier.prefix_and_query(instruction_for(data), shots, question_for(data, c))
        for c in range(len(data.classes))
    ]
    prefix_cache = classifier.encode_prefix(queries[0][0], images)  # the prefix does not depend on the class
    # One chunk of images at a time, normalised once and asked about every class.
    for start in range(0, len(indices), classifier.batch_size):
        chunk = [data.patches[int(i)] for i in indices[start : start + classifier.batch_size]]
        pixels = classifier.pixel_values(chunk)
        for c, (_, query) in enumerate(queries):
            scores = classifier.score_answers(chunk, query, [YES, NO], prefix_cache, pixels=pixels)
            out[start : start + len(chunk), c] = scores[:, 0] > scores[:, 1]
            if progress:
                progress(len(chunk))
    return out


class _Subset(Sequence):
    """A view of some patches of a (possibly lazy) sequence, read in order."""

    def __init__(self, patches: Sequence[Patch], indices: np.ndarray):
        self.patches, self.indices = patches, np.asarray(indices, dtype=int)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, item):
        if isinstance(item, slice):
            return [self.patches[int(i)] for i in self.indices[item]]
        return self.patches[int(self.indices[item])]


def run_prompted(
    mode: str,
    classifier: PatchClassifier,
    data: LabelledPatches,
    folds: list[Fold],
    k: int = DEFAULT_K,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Zero-shot or few-shot predictions for the evaluated samples, in `_evaluated(folds)` order."""
    rng = np.random.default_rng(seed)
    outputs = []
    fold_list = folds if mode == "few-shot" else [(np.array([], dtype=int), _evaluated(folds))]
    for support, evaluate in fold_list:
        examples = (
            few_shot_support(data.targets, support, k, rng) if mode == "few-shot" else np.array([], int)
        )
        if data.multilabel:
            outputs.append(_score_multilabel(classifier, data, evaluate, examples, rng, progress))
        else:
            outputs.append(_score_single_label(classifier, data, evaluate, examples, progress))
    return np.concatenate(outputs)


def fit_probe(features: np.ndarray, targets: np.ndarray, seed: int = 0):
    """A fitted probe: `predict(features) -> targets`. Constant where the support holds one class only."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def single(y: np.ndarray):
        values = np.unique(y)
        if len(values) == 1:
            constant = values[0]
            return lambda x: np.full(len(x), constant)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, random_state=seed))
        model.fit(features, y)
        return model.predict

    if targets.ndim == 2:
        heads = [single(targets[:, c]) for c in range(targets.shape[1])]
        return lambda x: np.stack([head(x) for head in heads], axis=1).astype(np.int8)
    return single(targets)


def run_linear_probe(
    features: np.ndarray, data: LabelledPatches, folds: list[Fold], seed: int = 0
) -> np.ndarray:
    """Out-of-fold probe predictions for the evaluated samples (see the protocol)."""
    outputs = []
    for support, evaluate in folds:
        if len(support) == 0:
            raise BadInputError("the linear probe needs support samples: none in this fold")
        predict = fit_probe(features[support], data.targets[support], seed)
        outputs.append(predict(features[evaluate]))
    return np.concatenate(outputs)


def run_baseline(name: str, data: LabelledPatches, folds: list[Fold], seed: int = 0) -> np.ndarray:
    """`majority` or `random` predictions for the evaluated samples, from each fold's support set."""
    rng = np.random.default_rng(seed)
    outputs = []
    n_classes = len(data.classes)
    for support, evaluate in folds:
        y = data.targets[support]
        if data.multilabel:
            prevalence = y.mean(0) if len(y) else np.zeros(n_classes)
            if name == "majority":
                row = (prevalence > 0.5).astype(np.int8)
                if not row.any() and len(y):
                    row[int(prevalence.argmax())] = 1
                outputs.append(np.tile(row, (len(evaluate), 1)))
            else:
                outputs.append((rng.random((len(evaluate), n_classes)) < prevalence).astype(np.int8))
        elif name == "majority":
            counts = np.bincount(y, minlength=n_classes) if len(y) else np.zeros(n_classes)
            outputs.append(np.full(len(evaluate), int(counts.argmax())))
        else:
            outputs.append(rng.integers(0, n_classes, len(evaluate)))
    return np.concatenate(outputs)


def score(data: LabelledPatches, folds: list[Fold], predictions: np.ndarray) -> dict:
    """Metrics of predictions made in `_evaluated(folds)` order."""
    references = data.targets[_evaluated(folds)]
    if data.multilabel:
        metrics = multilabel_metrics(predictions, references, data.classes)
        # Multi-label accuracy is the exact-match ratio; the confusion is per class (tn, fp, fn, tp).
        pred, ref = np.asarray(predictions, bool), np.asarray(references, bool)
        metrics["accuracy"] = metrics["exact_match"]
        metrics["confusion"] = {
            name: [int((~pred[:, c] & ~ref[:, c]).sum()), int((pred[:, c] & ~ref[:, c]).sum()),
                   int((~pred[:, c] & ref[:, c]).sum()), int((pred[:, c] & ref[:, c]).sum())]
            for c, name in enumerate(data.classes)
        }  # fmt: skip
        return metrics
    return classification_metrics(predictions, references, data.classes)


def evaluate_modes(
    classifier: PatchClassifier | None,
    data: LabelledPatches,
    modes: Sequence[str],
    k: int = DEFAULT_K,
    n_folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    progress_factory: Callable[[str, int], Callable[[int], None]] | None = None,
) -> tuple[dict[str, ModeResult], dict[str, ModeResult], dict]:
    """Run the asked modes and both baselines on the same evaluation samples.

    Args:
        classifier: the model wrapper (None only when no model mode is asked).
        data: the labelled patches.
        modes: a subset of `MODES`.
        k: few-shot examples per query.
        n_folds: cross-fitting folds when the data has no train/test split.
        seed: for folds, few-shot examples and the random baseline.
        progress_factory: `(description, total) -> update(n)`, for progress bars.

    Returns:
        (mode results, baseline results, protocol description)
    """
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown:
        raise BadInputError(f"unknown mode(s) {unknown}: use {MODES}")
    if modes and classifier is None:
        raise BadInputError("the model modes need a model")
    folds, protocol = make_folds(data, n_folds, seed)
    n_eval = len(_evaluated(folds))
    protocol.update({"k": k if "few-shot" in modes else None, "multilabel": data.multilabel})
    results: dict[str, ModeResult] = {}
    for mode in modes:
        started = time.perf_counter()
        if mode == "linear-probe":
            update = progress_factory(f"{mode} features", len(data.patches)) if progress_factory else None
            features = classifier.features(data.patches, progress=update)
            predictions = run_linear_probe(features, data, folds, seed)
            settings = {
                "features": f"pooled encoder tokens ({features.shape[1]})",
                "classifier": "logistic, C=1",
            }
        else:
            total = n_eval * (len(data.classes) if data.multilabel else 1)
            update = progress_factory(mode, total) if progress_factory else None
            predictions = run_prompted(mode, classifier, data, folds, k, seed, progress=update)
            settings = {"k": k} if mode == "few-shot" else {}
            settings["length_normalize"] = classifier.length_normalize
            if data.land_cover_words and not data.multilabel:
                settings["verbalizer"] = dict(zip(data.classes, data.land_cover_words, strict=True))
            settings["calibration"] = classifier.calibration
        results[mode] = ModeResult(
            mode, predictions, score(data, folds, predictions), time.perf_counter() - started, settings
        )
    baselines = {}
    for name in BASELINES:
        started = time.perf_counter()
        predictions = run_baseline(name, data, folds, seed)
        baselines[name] = ModeResult(
            name, predictions, score(data, folds, predictions), time.perf_counter() - started
        )
    return results, baselines, protocol


__all__ = [
    "BASELINES",
    "LAND_COVER_SUBJECT",
    "DEFAULT_FOLDS",
    "DEFAULT_K",
    "MODES",
    "LabelledPatches",
    "ModeResult",
    "evaluate_modes",
    "few_shot_support",
    "fit_probe",
    "instruction_for",
    "land_cover_view",
    "make_folds",
    "question_for",
    "run_baseline",
    "run_linear_probe",
    "run_prompted",
    "score",
]
