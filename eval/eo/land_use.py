"""Land-use / land-cover classification of patches: EuroSAT (MS GeoTIFF or RGB JPEG) and BigEarthNet (19 / 43).

Data forms (`form="auto"` tells them apart from the files):

- `eurosat-ms`: EuroSAT_MS class folders of 13-band GeoTIFFs (`data_builders.imagery.eurosat.read_eurosat_ms`);
  `train/` and `test/` split folders, when present, give the support / evaluation protocol;
- `eurosat-rgb`: EuroSAT RGB class folders of JPEGs (`read_eurosat_rgb`); a multispectral encoder reads R, G, B as
  B04, B03, B02 and its other bands are filled with their means (see `GeoLlavaImageProcessor`);
- `bigearthnet`: BigEarthNet v1/v2 Sentinel-2 patch folders (`read_bigearthnet`), multi-label, in the CORINE
  `nomenclature` "19" or "43"; `data="bigearthnet-examples"` reads the 6 real patches of `bigearthnet-common`.

`max_samples` keeps a stratified sample (equal quotas per class, reservoir-sampled with `seed`) while streaming, so
memory holds only the kept patches. EuroSAT is evaluation data only: the few-shot examples and the linear probe's
training samples come from the evaluated folder itself, under the cross-fitting protocol of `eval.eo.modes`, and
the report says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from data_builders.imagery.patch import Patch
from data_builders.imagery.report import ImageryReport
from eval.eo.model import PatchClassifier
from eval.eo.modes import DEFAULT_FOLDS, DEFAULT_K, LabelledPatches, evaluate_modes
from georeset.errors import BadInputError

FORMS = ("auto", "eurosat-ms", "eurosat-rgb", "bigearthnet")
BIGEARTHNET_EXAMPLES = "bigearthnet-examples"


def stratified_sample(
    patches: Iterable[Patch],
    key: Callable[[Patch], str],
    keys: Sequence[str] | None,
    max_samples: int | None,
    seed: int = 0,
) -> list[Patch]:
    """Keep at most `max_samples` patches while streaming: equal quotas per key (reservoir sampling), in stream order.

    Without `keys` (multi-label data), one reservoir over all patches.
    """
    if max_samples is None:
        return list(patches)
    rng = np.random.default_rng(seed)
    groups = list(keys) if keys else [None]
    quotas = {g: max_samples // len(groups) + (i < max_samples % len(groups)) for i, g in enumerate(groups)}
    reservoirs: dict = {g: [] for g in groups}
    seen: dict = dict.fromkeys(groups, 0)
    for order, patch in enumerate(patches):
        group = key(patch) if keys else None
        if group not in reservoirs:
            continue
        seen[group] += 1
        reservoir, quota = reservoirs[group], quotas[group]
        if len(reservoir) < quota:
            reservoir.append((order, patch))
        else:
            slot = int(rng.integers(0, seen[group]))
            if slot < quota:
                reservoir[slot] = (order, patch)
    kept = sorted((item for reservoir in reservoirs.values() for item in reservoir), key=lambda item: item[0])
    return [patch for _, patch in kept]


def detect_form(path: Path) -> str:
    """`eurosat-ms`, `eurosat-rgb` or `bigearthnet`, from the files under `path`."""
    if str(path) == BIGEARTHNET_EXAMPLES:
        return "bigearthnet"
    if not path.exists():
        raise BadInputError(f"land-use data {path}: no such file or folder")
    for pattern, form in (("*_B02.tif", "bigearthnet"), ("*.jpg", "eurosat-rgb"), ("*.tif", "eurosat-ms")):
        for depth in ("*/", "*/*/", "*/*/*/"):
            if next(path.glob(depth + pattern), None) is not None:
                return form
    raise BadInputError(
        f"land-use data {path}: found neither EuroSAT class folders (.tif / .jpg) nor BigEarthNet patch folders "
        "(*_B02.tif)"
    )


VERBALIZERS = ("land-cover", "none")


def load_land_use(
    data: str | Path,
    form: str = "auto",
    nomenclature: str = "19",
    max_samples: int | None = None,
    seed: int = 0,
    verbalizer: str = "land-cover",
) -> tuple[LabelledPatches, dict]:
    """Read a land-use dataset into `LabelledPatches` and a description (counts read / skipped) for the report.

    `verbalizer="land-cover"` gives EuroSAT's classes their plain land-cover words
    (`eurosat.EUROSAT_LAND_COVER_WORDS`, a two-level verbalizer for zero-/few-shot); "none" scores the class
    phrases alone.
    """
    from data_builders.imagery import bigearthnet, eurosat

    if form not in FORMS:
        raise BadInputError(f"unknown land-use form '{form}': use one of {FORMS}")
    if verbalizer not in VERBALIZERS:
        raise BadInputError(f"unknown verbalizer '{verbalizer}': use one of {VERBALIZERS}")
    words = None
    path = Path(data)
    form = detect_form(path) if form == "auto" else form
    report = ImageryReport()
    info: dict = {"path": str(data), "form": form}
    if form.startswith("eurosat"):
        classes = list(eurosat.EUROSAT_CLASSES)
        present = eurosat.class_names(path)
        reader = eurosat.read_eurosat_ms if form == "eurosat-ms" else eurosat.read_eurosat_rgb
        patches = stratified_sample(
            reader(path, report=report), lambda p: p.labels[0], present, max_samples, seed
        )
        targets = np.array([classes.index(p.labels[0]) for p in patches])
        phrases = [eurosat.EUROSAT_CLASS_PHRASES[name] for name in classes]
        if verbalizer == "land-cover":
            words = [eurosat.EUROSAT_LAND_COVER_WORDS[name] for name in classes]
        splits = [p.extra.get("split") for p in patches]
        info.update(
            {
                "classes_absent": [name for name in classes if name not in present],
                "note": "EuroSAT is evaluation data only: few-shot examples and probe training samples are taken "
                "from this folder under the protocol below, never from training data",
                "published": "eurosat",
            }
        )
        subject = "land use"
    else:
        if nomenclature not in ("19", "43"):
            raise BadInputError(f"BigEarthNet nomenclature must be '19' or '43', got {nomenclature!r}")
        stream = (
            bigearthnet.read_bigearthnet_examples("s2", report=report, nomenclature=nomenclature)
            if str(data) == BIGEARTHNET_EXAMPLES
            else bigearthnet.read_bigearthnet(path, "s2", report=report, nomenclature=nomenclature)
        )
        patches = stratified_sample(stream, lambda p: "", None, max_samples, seed)
        classes = list(
            bigearthnet.BIGEARTHNET_19_CLASSES if nomenclature == "19" else bigearthnet.BIGEARTHNET_43_CLASSES
        )
        targets = np.zeros((len(patches), len(classes)), dtype=np.int8)
        for row, patch in enumerate(patches):
            unknown = [label for label in patch.labels if label not in classes]
            if unknown:
                raise BadInputError(
                    f"BigEarthNet patch {patch.id} ({patch.path}): labels {unknown} are not in the {nomenclature}-class "
                    "nomenclature"
                )
            targets[row, [classes.index(label) for label in patch.labels]] = 1
        phrases = [name.lower() for name in classes]
        splits = [p.extra.get("split") for p in patches]
        present = [name for c, name in enumerate(classes) if targets[:, c].any()]
        info.update(
            {"nomenclature": nomenclature, "classes_absent": [n for n in classes if n not in present]}
        )
        subject = "land cover"
    if not patches:
        raise BadInputError(f"land-use data {data}: no readable patches ({report.skipped or 'none found'})")
    info.update(
        {
            "n_read": report.n_read,
            "skipped": {f"{s}:{r}": n for (s, r), n in report.skipped.items()},
            "flagged": {f"{s}:{r}": n for (s, r), n in report.flagged.items()},
            "n_kept": len(patches),
            "max_samples": max_samples,
            "sampling": "stratified by class, reservoir" if max_samples and form.startswith("eurosat") else
            ("uniform reservoir" if max_samples else "all"),
            "sensor": patches[0].sensor,
            "bands": list(patches[0].band_names),
        }
    )  # fmt: skip
    labelled = LabelledPatches(
        patches=patches,
        targets=targets,
        classes=classes,
        phrases=phrases,
        subject=subject,
        splits=splits,
        land_cover_words=words,
    )
    return labelled, info


def evaluate_land_use(
    data: str | Path,
    classifier: PatchClassifier,
    modes: Sequence[str],
    k: int = DEFAULT_K,
    max_samples: int | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    form: str = "auto",
    nomenclature: str = "19",
    n_folds: int = DEFAULT_FOLDS,
    progress_factory=None,
    verbalizer: str = "land-cover",
) -> dict:
    """Evaluate the modes and baselines on a land-use dataset; with `out`, also write the plots there.

    `verbalizer`: see `load_land_use`.

    Returns:
        The report (see `eval.eo.run.build_report`).
    """
    from eval.eo.plots import write_report_plots
    from eval.eo.run import build_report

    started = time.perf_counter()
    labelled, info = load_land_use(data, form, nomenclature, max_samples, seed, verbalizer)
    read_s = time.perf_counter() - started
    results, baselines, protocol = evaluate_modes(
        classifier, labelled, modes, k=k, n_folds=n_folds, seed=seed, progress_factory=progress_factory
    )
    report = build_report(
        "land-use",
        info,
        dict(classifier.eo_model.info),
        results,
        baselines,
        protocol,
        timing={"read_s": round(read_s, 3), "evaluate_s": round(time.perf_counter() - started - read_s, 3)},
    )
    report["classes"] = labelled.classes
    if out is not None:
        report["plots"] = write_report_plots(report, labelled.classes, out)
    return report


__all__ = [
    "BIGEARTHNET_EXAMPLES",
    "FORMS",
    "VERBALIZERS",
    "detect_form",
    "evaluate_land_use",
    "load_land_use",
    "stratified_sample",
]
