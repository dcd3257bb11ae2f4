"""`georeset eval eo`: run one EO task in the asked modes, write `report.json` and the PNG plots.

The report holds, for the primary mode (the first model mode asked), `accuracy`, `macro_f1`, `per_class`,
`confusion` and `n` at the top level; every mode under `modes`, the majority and random baselines under
`baselines` (same evaluation samples, same metrics), the protocol, the model (flagged when untrained), the data
read and skipped, wall times, published anchors to compare with, and the paths of the plots (and, for maps, of
the classified GeoTIFF).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tqdm import tqdm

from eval.eo.modes import BASELINES, MODES, ModeResult
from georeset.cli_types import write_atomic
from georeset.errors import BadInputError

TASKS = ("land-use", "land-cover", "crop-type")
MODE_CHOICES = (*MODES, "all")

PUBLISHED = {
    "eurosat": {
        "zero-shot accuracy, EuroSAT RGB, LHRS-Bot (Muhtar et al. 2024)": 51.4,
        "zero-shot accuracy, EuroSAT, Llama3-MS-CLIP multispectral (Marimo et al. 2025)": 67.9,
        "zero-shot accuracy, EuroSAT RGB, LLaVA-1.5": 26.0,
        "zero-shot accuracy, EuroSAT RGB, RemoteCLIP": 34.0,
        "linear probe accuracy, EuroSAT 13-band, frozen pretrained encoders (SSL4EO-S12 and others)": 97.0,
    }
}
"""Published figures (accuracy in %) to set beside ours; none of them was measured here."""


def parse_modes(mode: str | Sequence[str]) -> list[str]:
    """`"all"` -> every model mode; a name or list of names -> validated list."""
    names = [mode] if isinstance(mode, str) else list(mode)
    if "all" in names:
        return list(MODES)
    unknown = [name for name in names if name not in MODES]
    if unknown:
        raise BadInputError(f"unknown mode(s) {unknown}: use one of {MODE_CHOICES}")
    return names


def progress_bars(enabled: bool = True) -> Callable[[str, int], Callable[[int], None]]:
    """A factory of tqdm bars: `(description, total) -> update(n)`; the bar closes when it reaches its total."""

    def factory(description: str, total: int) -> Callable[[int], None]:
        bar = tqdm(total=total, desc=description, unit="img", disable=not enabled, leave=False)

        def update(n: int) -> None:
            bar.update(n)
            if bar.n >= total:
                bar.close()

        return update

    return factory


def build_report(
    task: str,
    dataset: dict,
    model_info: dict | None,
    results: dict[str, ModeResult],
    baselines: dict[str, ModeResult],
    protocol: dict,
    timing: dict | None = None,
) -> dict:
    """The JSON-ready report: the primary mode's metrics at the top, every mode and baseline below."""
    primary = next(iter(results), None)
    top = results[primary].metrics if primary else baselines[BASELINES[0]].metrics
    report = {
        "task": task,
        "mode": primary,
        "accuracy": top.get("accuracy"),
        "macro_f1": top.get("macro_f1"),
        "per_class": top.get("per_class"),
        "confusion": top.get("confusion"),
        "n": top.get("n"),
        "modes": {name: result.report() for name, result in results.items()},
        "baselines": {name: result.report() for name, result in baselines.items()},
        "protocol": protocol,
        "model": model_info,
        "dataset": dataset,
        "timing": timing or {},
    }
    if dataset.get("published"):
        report["published"] = PUBLISHED[dataset["published"]]
    return report


def write_report(report: dict, out: Path) -> Path:
    """`out/report.json`, written atomically."""
    return write_atomic(
        Path(out) / "report.json", json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
    )


def _pct(value) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def format_summary(report: dict) -> str:
    """A table of accuracy and macro-F1 per mode and baseline."""
    lines = [f"{report['task']} on {report['dataset'].get('path', '')} (n = {report['n']})"]
    if report.get("model", {}) and report["model"].get("untrained"):
        lines.append("model: UNTRAINED (random encoder and projector): figures are a floor, not a result")
    lines.append(f"{'':14s} {'accuracy':>9s} {'macro-F1':>9s} {'wall s':>8s}")
    for group in ("modes", "baselines"):
        for name, metrics in report[group].items():
            lines.append(
                f"{name:14s} {_pct(metrics.get('accuracy')):>9s} {_pct(metrics.get('macro_f1')):>9s} "
                f"{metrics.get('wall_s', 0):8.1f}"
            )
    if report.get("map_geotiff"):
        lines.append(f"map: {report['map_geotiff']}")
    return "\n".join(lines)


def run_eo(
    task: str,
    data: str | Path,
    model: str = "embedded",
    mode: str | Sequence[str] = "zero-shot",
    out: str | Path = "eo-eval",
    k: int = 5,
    max_samples: int | None = None,
    seed: int = 0,
    batch_size: int = 16,
    progress: bool = True,
    calibration: str = "none",
    **task_kwargs,
) -> dict:
    """Run one task end to end: load the model, evaluate, write `report.json` and the plots into `out`.

    Args:
        task: "land-use", "land-cover" or "crop-type".
        data: the data folder or file (see each task's module for the formats).
        model: "embedded" (untrained `build_geollava`), a local checkpoint folder or a Hub id.
        mode: "zero-shot", "few-shot", "linear-probe", "all", or a list of them.
        out: output folder.
        k: few-shot examples.
        max_samples: evaluate a stratified sample of this many patches (patch tasks).
        seed: folds, sampling, few-shot examples, random baseline.
        batch_size: images per forward pass.
        progress: tqdm bars.
        calibration: zero-/few-shot answer scores "content-free" (contextual calibration) or "none" (raw); see
            `eval.eo.model`.
        **task_kwargs: passed to the task (e.g. `scene`, `patch_size`, `reference`, `label_column`).

    Returns:
        The report (also written to `out/report.json`).
    """
    from eval.eo.model import PatchClassifier, load_eo_model

    if task not in TASKS:
        raise BadInputError(f"unknown task '{task}': use one of {TASKS}")
    modes = parse_modes(mode)
    out = Path(out)
    started = time.perf_counter()
    eo_model = load_eo_model(model)
    load_s = time.perf_counter() - started
    classifier = PatchClassifier(eo_model, batch_size=batch_size, calibration=calibration)
    factory = progress_bars(progress)
    common = {"modes": modes, "k": k, "seed": seed, "progress_factory": factory}
    if task == "land-use":
        from eval.eo.land_use import evaluate_land_use

        report = evaluate_land_use(
            data, classifier, max_samples=max_samples, out=out, **common, **task_kwargs
        )
    elif task == "crop-type":
        from eval.eo.crop_type import evaluate_crop_type

        report = evaluate_crop_type(
            data, classifier, max_samples=max_samples, out=out, **common, **task_kwargs
        )
    else:
        from eval.eo.land_cover_map import evaluate_land_cover_map

        report = evaluate_land_cover_map(data, classifier, out=out, **common, **task_kwargs)
    report["timing"]["load_model_s"] = round(load_s, 3)
    report["timing"]["total_s"] = round(time.perf_counter() - started, 3)
    if classifier.filled_bands:
        report["model"]["bands_filled_with_mean"] = sorted(classifier.filled_bands)
    report["settings"] = {"task": task, "data": str(data), "model": str(model), "modes": modes, "k": k,
                          "max_samples": max_samples, "seed": seed, "batch_size": batch_size, "calibration": calibration,
                          **task_kwargs}  # fmt: skip
    write_report(report, out)
    return report


__all__ = [
    "MODE_CHOICES",
    "PUBLISHED",
    "TASKS",
    "build_report",
    "format_summary",
    "parse_modes",
    "progress_bars",
    "run_eo",
    "write_report",
]
