"""PNG plots of an EO evaluation: scores of every mode and baseline, confusion matrices, map beside reference."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    """Save atomically: a partial PNG never replaces a good one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".png", dir=path.parent)
    os.close(handle)
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def plot_scores(report: dict, path: str | Path) -> Path:
    """Bars of accuracy and macro-F1 for every mode and baseline of a report."""
    plt = _pyplot()
    rows = [(name, m) for group in ("modes", "baselines") for name, m in report[group].items()]
    names = [name for name, _ in rows]
    accuracy = [100 * (m.get("accuracy") or 0) for _, m in rows]
    macro = [100 * (m.get("macro_f1") or 0) for _, m in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(1.4 * len(rows) + 3, 4))
    ax.bar(x - 0.2, accuracy, 0.4, label="accuracy", color="#4477aa")
    ax.bar(x + 0.2, macro, 0.4, label="macro-F1", color="#ee6677")
    for xi, value in zip(x, accuracy, strict=True):
        ax.annotate(f"{value:.1f}", (xi - 0.2, value), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, names)
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    untrained = " (untrained model)" if (report.get("model") or {}).get("untrained") else ""
    ax.set_title(f"{report['task']}: n = {report['n']}{untrained}")
    ax.legend()
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_confusion(
    confusion: Sequence[Sequence[int]], classes: Sequence[str], path: str | Path, title: str
) -> Path:
    """A row-normalised confusion matrix (rows: reference) with the counts written in the cells."""
    plt = _pyplot()
    counts = np.asarray(confusion, dtype=float)
    rows = counts.sum(1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    size = 2.5 + 0.45 * len(classes)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for (i, j), value in np.ndenumerate(counts):
        if value:
            ax.text(j, i, f"{int(value)}", ha="center", va="center", fontsize=7,
                    color="white" if share[i, j] > 0.5 else "black")  # fmt: skip
    ax.set_xticks(range(len(classes)), classes, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(classes)), classes, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("reference")
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the reference row")
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_map_and_reference(
    predicted: np.ndarray,
    reference: np.ndarray | None,
    class_values: Sequence[int],
    class_names: Sequence[str],
    path: str | Path,
    title: str,
    nodata: int = 0,
    rgb: np.ndarray | None = None,
) -> Path:
    """The classified map beside the reference (and a true-colour view when given), one colour per class.

    Args:
        predicted, reference: `(h, w)` class values (`nodata` where there is none).
        class_values, class_names: the nomenclature's values and names, in legend order.
        rgb: optional `(h, w, 3)` float image in 0..1.
    """
    plt = _pyplot()
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch as LegendPatch

    palette = plt.get_cmap("tab20").colors
    values = [nodata, *class_values]
    colours = ["#ffffff"] + [palette[i % len(palette)] for i in range(len(class_values))]
    lookup = {value: index for index, value in enumerate(values)}

    def indexed(raster: np.ndarray) -> np.ndarray:
        out = np.zeros(raster.shape, dtype=np.int32)
        for value, index in lookup.items():
            out[raster == value] = index
        return out

    cmap = ListedColormap(colours)
    norm = BoundaryNorm(np.arange(len(values) + 1) - 0.5, len(values))
    panels = ([("true colour", rgb)] if rgb is not None else []) + [("classified map", predicted)]
    if reference is not None:
        panels.append(("reference", reference))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 2.2, 4.4))
    axes = np.atleast_1d(axes)
    for ax, (name, raster) in zip(axes, panels, strict=True):
        if name == "true colour":
            ax.imshow(np.clip(raster, 0, 1))
        else:
            ax.imshow(indexed(raster), cmap=cmap, norm=norm, interpolation="nearest")
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    handles = [LegendPatch(color=colours[i + 1], label=name) for i, name in enumerate(class_names)]
    fig.legend(handles=handles, loc="center right", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.82, 1))
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def write_report_plots(report: dict, classes: Sequence[str], out: str | Path) -> list[str]:
    """`scores.png` and one `confusion_<mode>.png` per single-label mode; returns the paths written."""
    out = Path(out)
    paths = [str(plot_scores(report, out / "scores.png"))]
    for group in ("modes", "baselines"):
        for name, metrics in report[group].items():
            confusion = metrics.get("confusion")
            if isinstance(confusion, list) and group == "modes":
                title = f"{report['task']} {name}: accuracy {100 * (metrics.get('accuracy') or 0):.1f}%"
                paths.append(str(plot_confusion(confusion, classes, out / f"confusion_{name}.png", title)))
    return paths


__all__ = ["plot_confusion", "plot_map_and_reference", "plot_scores", "write_report_plots"]
