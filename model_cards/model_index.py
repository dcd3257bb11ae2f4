"""Evaluation reports -> the `model-index` of a Hub model card, through huggingface_hub's `EvalResult`.

Reports come from `georeset eval eo` (keys `task`, `dataset`, `mode`, `accuracy`, `macro_f1`, `per_class`,
`confusion`, `n`, `baselines`; a `--mode all` report may hold one block per mode under `modes`) and from
`georeset eval geoparsing` (keys `corpus`, `mode`, `acc_at_161km`, `auc`, ...; no `task`). Each becomes
`ResultEntry`s: one per (task, dataset, mode), holding the metrics found. Each metric becomes one `EvalResult`;
the mode goes into the metric's `config` and name, because the Hub groups results by task and dataset only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from georeset.errors import BadInputError
from model_cards.references import find_reference

# task -> (Hub task type, readable task name)
TASKS: dict[str, tuple[str, str]] = {
    "land-use": ("image-classification", "Land-use / land-cover classification of patches"),
    "land-cover": ("image-segmentation", "Land-cover mapping of an area"),
    "crop-type": ("image-classification", "Crop-type mapping of parcels"),
    "multi-label": ("image-classification", "Multi-label land-cover classification"),
    "geoparsing": ("token-classification", "Toponym resolution (geoparsing)"),
    "toponym-resolution": ("multiple-choice", "Toponym resolution among gazetteer candidates"),
}

# report key -> (Hub metric type, display name, metric args, higher is better)
METRICS: dict[str, tuple[str, str, dict[str, Any] | None, bool]] = {
    "accuracy": ("accuracy", "Accuracy", None, True),
    "overall_accuracy": ("accuracy", "Overall accuracy", None, True),
    "macro_f1": ("f1", "Macro-F1", {"average": "macro"}, True),
    "micro_f1": ("f1", "Micro-F1", {"average": "micro"}, True),
    "weighted_f1": ("f1", "Weighted F1", {"average": "weighted"}, True),
    "samples_f1": ("f1", "Samples F1", {"average": "samples"}, True),
    "mean_average_precision": ("mean_average_precision", "mAP", None, True),
    "kappa": ("cohen_kappa", "Cohen's kappa", None, True),
    "hamming_loss": ("hamming_loss", "Hamming loss (lower is better)", None, False),
    "acc_at_161km": ("acc_at_161km", "Acc@161km", None, True),
    "auc": ("auc", "AUC of the log error curve (lower is better)", None, False),
    "mean_error_km": ("mean_error_km", "Mean error (km)", None, False),
    "median_error_km": ("median_error_km", "Median error (km)", None, False),
    "geonames_id_accuracy": ("accuracy", "GeoNames-id accuracy", None, True),
    "f1": ("f1", "Recognition F1 (exact spans)", None, True),
}

# Metrics shown as percentages (shares in [0, 1] in the reports); the others (km, AUC) as they are.
PERCENT_METRICS = frozenset(
    {
        "accuracy",
        "overall_accuracy",
        "macro_f1",
        "micro_f1",
        "weighted_f1",
        "samples_f1",
        "mean_average_precision",
        "acc_at_161km",
        "geonames_id_accuracy",
        "f1",
    }
)

_MODE_BLOCK_KEYS = ("modes", "results")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
# Rows of these tasks come from the geoparser (the model as its resolver), not from the model alone.
_GEOPARSER_TASKS = frozenset({"geoparsing"})


@dataclass
class ResultEntry:
    """The figures of one (task, dataset, mode) evaluation.

    Attributes:
        task: georeset's task name (`land-use`, `land-cover`, `crop-type`, `geoparsing`...).
        dataset: the dataset as the report names it (path, Hub id or corpus name).
        mode: `zero-shot`, `few-shot`, `linear-probe`, `gold`, `e2e`...
        metrics: report key -> value (shares in [0, 1] for accuracies and F1s).
        n: number of items scored, when the report says.
        baselines: baseline name -> {metric key -> value} (majority, random, published systems...).
        split: the dataset split, when the report says.
        k: the number of in-context examples of a few-shot run.
        config: the dataset variant (e.g. BigEarthNet's `19`-class nomenclature), when the report says.
        model: the model the report evaluated, as it names it (`model.id`), and whether it was untrained.
        published: published figures the report sets beside its own (description -> accuracy in %).
    """

    task: str
    dataset: str
    mode: str
    metrics: dict[str, float]
    n: int | None = None
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)
    split: str | None = None
    k: int | None = None
    config: str | None = None
    published: dict[str, float] = field(default_factory=dict)
    model: str | None = None
    untrained: bool = False

    @property
    def dataset_key(self) -> str:
        """The model-index `dataset.type`: the Hub id when the report names one, else the known dataset's key,
        else the last path component."""
        if is_hub_id(self.dataset):
            return self.dataset
        reference = find_reference(self.dataset)
        if reference is not None:
            return reference.key
        return self.dataset.rstrip("/").rsplit("/", 1)[-1] or self.dataset

    @property
    def dataset_name(self) -> str:
        """The readable dataset name (the known dataset's name, else the report's)."""
        reference = find_reference(self.dataset)
        name = reference.name if reference is not None else self.dataset_key
        return f"{name} ({self.config})" if self.config else name

    @property
    def mode_label(self) -> str:
        """The mode, with k for few-shot runs (`few-shot k=5`)."""
        return f"{self.mode} k={self.k}" if self.k is not None else self.mode


def is_hub_id(text: str) -> bool:
    """Whether `text` reads as a Hub repo id (`ORG/NAME`) rather than a local folder: two parts, and no such
    folder here (a training run's `outputs/data` is a path, not a repo)."""
    value = str(text)
    return bool(_HUB_ID.match(value)) and not Path(value).expanduser().exists()


def _number(value: Any) -> float | None:
    """A finite float, or None for values that are not figures (None, NaN, strings)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _metrics_of(block: Mapping[str, Any]) -> dict[str, float]:
    return {key: value for key in METRICS if (value := _number(block.get(key))) is not None}


def _baselines_of(report: Mapping[str, Any], where: str) -> dict[str, dict[str, float]]:
    """`baselines` of an EO report (values: a metrics dict, or a bare number = accuracy) and the `published`
    figures of a geoparsing report."""
    baselines: dict[str, dict[str, float]] = {}
    raw = report.get("baselines") or {}
    if not isinstance(raw, Mapping):
        raise BadInputError(
            f"{where}: 'baselines' must be a mapping of name -> metrics, got {type(raw).__name__}"
        )
    for name, value in raw.items():
        # A baseline without figures still gets its row (all "-"): nothing in a report disappears silently.
        number = _number(value)
        baselines[str(name)] = (
            {"accuracy": number}
            if number is not None
            else _metrics_of(value)
            if isinstance(value, Mapping)
            else {}
        )
    published = report.get("published") or {}
    if isinstance(published, Mapping):  # geoparsing reports: figures of published systems, as shares
        for system, figures in published.items():
            if isinstance(figures, Mapping) and _metrics_of(figures):
                baselines[f"published: {system}"] = _metrics_of(figures)
    return baselines


def _dataset_of(report: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(the dataset as a name/id/path, its variant) of a report. `georeset eval eo` describes the dataset as a
    dict (`path`, `form` such as `eurosat-rgb`, `nomenclature` for BigEarthNet); geoparsing reports name the
    corpus."""
    dataset = report.get("dataset") or report.get("corpus") or report.get("data")
    if isinstance(dataset, Mapping):
        name = dataset.get("name") or dataset.get("repo_id") or dataset.get("form") or dataset.get("path")
        variant = dataset.get("config") or dataset.get("nomenclature")
        if dataset.get("nomenclature") and not dataset.get("config"):
            variant = f"{dataset['nomenclature']} classes"
        return (str(name) if name else None), (str(variant) if variant else None)
    return (str(dataset) if dataset else None), None


def _published_of(report: Mapping[str, Any]) -> dict[str, float]:
    """Published figures given as `{description: accuracy in %}` (the EO reports' form)."""
    published = report.get("published") or {}
    if not isinstance(published, Mapping):
        return {}
    return {str(k): float(v) for k, v in published.items() if _number(v) is not None}


def entries_from_report(report: Mapping[str, Any], where: str = "an eval report") -> list[ResultEntry]:
    """The (task, dataset, mode) entries of one report.

    Args:
        report: a parsed report.json.
        where: how to name the report in errors (its path).

    Raises:
        BadInputError: not a mapping, no task (and not a geoparsing report), no dataset, no mode, or no metric.
    """
    if not isinstance(report, Mapping):
        raise BadInputError(f"{where}: an eval report must be a JSON object, got {type(report).__name__}")
    task = report.get("task")
    if task is None and "corpus" in report and "acc_at_161km" in report:
        task = "geoparsing"  # `georeset eval geoparsing` reports name the corpus, not the task
    if not task:
        raise BadInputError(
            f"{where}: the report has no 'task' (expected one of {', '.join(TASKS)}, or a geoparsing report with "
            "'corpus' and 'acc_at_161km')"
        )
    if task not in TASKS:
        raise BadInputError(f"{where}: unknown task {task!r}; known tasks: {', '.join(TASKS)}")
    dataset, variant = _dataset_of(report)
    if not dataset:
        raise BadInputError(f"{where}: the report does not name its dataset ('dataset' or 'corpus')")
    baselines = _baselines_of(report, where)
    model = report.get("model")
    blocks = next((report[key] for key in _MODE_BLOCK_KEYS if isinstance(report.get(key), Mapping)), None)
    if blocks is not None:
        modes = [(str(mode), block) for mode, block in blocks.items() if isinstance(block, Mapping)]
    else:
        mode = report.get("mode")
        if not mode:
            raise BadInputError(
                f"{where}: the report has no 'mode' (zero-shot, few-shot, linear-probe, gold...)"
            )
        modes = [(str(mode), report)]
    entries = []
    for mode, block in modes:
        metrics = _metrics_of(block)
        if not metrics:
            raise BadInputError(
                f"{where}: no metric for task {task!r}, mode {mode!r}: expected at least one of "
                f"{', '.join(METRICS)} as a number"
            )
        n = block.get("n", block.get("n_scored", report.get("n")))
        settings = block.get("settings") if isinstance(block.get("settings"), Mapping) else {}
        k = block.get("k", settings.get("k", report.get("k") if mode.startswith("few-shot") else None))
        entries.append(
            ResultEntry(
                task=str(task),
                dataset=str(dataset),
                mode=mode,
                metrics=metrics,
                n=int(n) if _number(n) is not None else None,
                baselines={**baselines, **_baselines_of(block, where)} if block is not report else baselines,
                split=report.get("split"),
                k=int(k) if _number(k) is not None else None,
                config=variant,
                published=_published_of(report),
                model=str(model.get("id")) if isinstance(model, Mapping) and model.get("id") else None,
                untrained=bool(isinstance(model, Mapping) and model.get("untrained")),
            )
        )
    return entries


def collect_entries(
    reports: Iterable[Mapping[str, Any]], names: Iterable[str] | None = None
) -> list[ResultEntry]:
    """The entries of several reports, refusing two reports of the same (task, dataset, mode).

    Args:
        reports: parsed report.json dicts.
        names: how to name each report in errors (paths); default "eval report N".
    """
    reports = list(reports)
    labels = list(names) if names is not None else [f"eval report {i + 1}" for i in range(len(reports))]
    entries: list[ResultEntry] = []
    seen: dict[tuple[str, str, str], str] = {}
    for report, label in zip(reports, labels, strict=True):
        for entry in entries_from_report(report, label):
            key = (entry.task, entry.dataset_key, entry.config or "", entry.mode_label)
            if key in seen:
                raise BadInputError(
                    f"{label} and {seen[key]} both report task {entry.task!r} on {entry.dataset_key!r} in mode "
                    f"{entry.mode_label!r}: give one report per evaluation"
                )
            seen[key] = label
            entries.append(entry)
    return entries


def eval_results(entries: Iterable[ResultEntry]) -> list:
    """One `huggingface_hub.EvalResult` per (task, dataset, mode, metric) of the model itself (not baselines)."""
    from huggingface_hub import EvalResult

    results = []
    for entry in entries:
        task_type, task_name = TASKS[entry.task]
        for key, value in entry.metrics.items():
            metric_type, metric_name, metric_args, _ = METRICS[key]
            results.append(
                EvalResult(
                    task_type=task_type,
                    task_name=task_name,
                    dataset_type=entry.dataset_key,
                    dataset_name=entry.dataset_name,
                    dataset_split=entry.split,
                    dataset_config=entry.config,
                    metric_type=metric_type,
                    metric_name=f"{metric_name} ({entry.mode_label})",
                    metric_value=round(value, 4),
                    metric_config=entry.mode_label,
                    metric_args=metric_args,
                )
            )
    return results


def format_value(key: str, value: float | None) -> str:
    """A metric for a Markdown table: shares as percentages with one decimal, others with two decimals."""
    if value is None:
        return "-"
    return f"{100 * value:.1f}" if key in PERCENT_METRICS else f"{value:.2f}"


def results_table(entries: list[ResultEntry], model_label: str = "this model") -> str:
    """Markdown tables, one per task: for each dataset, one row per mode of the model, then one row per baseline
    of its reports (majority, random, published systems...), with the same metric columns side by side."""
    sections = []
    for task in dict.fromkeys(entry.task for entry in entries):
        rows = [entry for entry in entries if entry.task == task]
        metric_keys = list(dict.fromkeys(key for entry in rows for key in entry.metrics))
        header = ["dataset", "system", "n", *(METRICS[k][1] for k in metric_keys)]
        lines = [f"**{TASKS[task][1]}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for dataset in dict.fromkeys(entry.dataset_name for entry in rows):
            of_dataset = [entry for entry in rows if entry.dataset_name == dataset]
            for entry in of_dataset:
                system = "georeset geoparser" if entry.task in _GEOPARSER_TASKS else model_label
                cells = [entry.dataset_name, f"{system}, {entry.mode_label}", _count(entry.n)]
                lines.append(
                    "| "
                    + " | ".join(cells + [format_value(k, entry.metrics.get(k)) for k in metric_keys])
                    + " |"
                )
            baselines: dict[str, dict[str, float]] = {}
            for entry in of_dataset:  # the reports of each mode repeat the same baselines
                for name, figures in entry.baselines.items():
                    baselines.setdefault(name, figures)
            for name, figures in baselines.items():
                label = name if name.startswith("published") else f"baseline: {name}"
                cells = [of_dataset[0].dataset_name, label, "-"]
                lines.append(
                    "| " + " | ".join(cells + [format_value(k, figures.get(k)) for k in metric_keys]) + " |"
                )
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def _count(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


__all__ = [
    "METRICS",
    "PERCENT_METRICS",
    "TASKS",
    "ResultEntry",
    "collect_entries",
    "entries_from_report",
    "eval_results",
    "format_value",
    "is_hub_id",
    "results_table",
]
