"""Cut a georeferenced patch (a scene, a tile) into sub-patches on a sliding grid, with their labels.

Conventions shared by the readers that give per-pixel labels (`Patch.label_mask`):
`extra["mask_classes"]` maps each mask value (as a string, for JSON) to a class name, and `extra["mask_nodata"]`
is the mask value meaning "no label" (ignored when labels are derived from the mask).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

import numpy as np

from georeset.errors import BadInputError

from .patch import Patch
from .raster_io import is_all_nodata
from .report import ALL_NODATA, ImageryReport


def window_starts(length: int, size: int, stride: int, cover_edges: bool = True) -> list[int]:
    """Start offsets of windows of `size` every `stride` along `length`; with `cover_edges`, one more window
    flush with the far edge when the grid does not reach it (so every pixel is covered)."""
    if size <= 0 or stride <= 0:
        raise BadInputError(f"patch size and stride must be positive, got size={size}, stride={stride}")
    if length < size:
        return []
    starts = list(range(0, length - size + 1, stride))
    if cover_edges and starts[-1] + size < length:
        starts.append(length - size)
    return starts


def mask_labels(
    mask: np.ndarray,
    classes: Mapping[str, str],
    *,
    nodata: int | None = None,
    min_fraction: float = 0.05,
) -> tuple[list[str], dict[str, float]]:
    """Labels of a per-pixel class mask: the majority class first, then every other class covering at least
    `min_fraction` of the labelled pixels, by decreasing share.

    Returns:
        (labels, fractions by class name over the labelled pixels); ([], {}) when no pixel is labelled.
        Values absent from `classes` are named "class <value>".
    """
    values, counts = np.unique(mask, return_counts=True)
    keep = values != nodata if nodata is not None else np.ones(len(values), bool)
    values, counts = values[keep], counts[keep]
    total = int(counts.sum())
    if total == 0:
        return [], {}
    fractions: dict[str, float] = {}
    for value, count in sorted(zip(values.tolist(), counts.tolist(), strict=True), key=lambda vc: -vc[1]):
        name = classes.get(str(int(value)), f"class {int(value)}")
        fractions[name] = fractions.get(name, 0.0) + count / total
    ordered = sorted(fractions.items(), key=lambda kv: -kv[1])
    labels = [ordered[0][0]] + [name for name, share in ordered[1:] if share >= min_fraction]
    return labels, {name: round(float(share), 4) for name, share in ordered}


def sub_transform(
    transform: tuple[float, float, float, float, float, float] | None, row: int, col: int
) -> tuple[float, float, float, float, float, float] | None:
    """The affine transform of the window whose top-left pixel is (`row`, `col`) of `transform`'s grid."""
    if transform is None:
        return None
    a, b, c, d, e, f = transform
    return (a, b, c + a * col + b * row, d, e, f + d * col + e * row)


def tile_patch(
    patch: Patch,
    size: int,
    stride: int | None = None,
    *,
    cover_edges: bool = True,
    min_fraction: float = 0.05,
    skip_nodata: bool = True,
    report: ImageryReport | None = None,
) -> Iterator[Patch]:
    """Sub-patches of `size` x `size` pixels every `stride` pixels (default: `size`, no overlap), row by row.

    Each sub-patch keeps the parent's sensor, bands, CRS and units, with its own transform, its cut of
    `label_mask`, and labels from that cut (majority class first, then classes above `min_fraction`; see
    `mask_labels`) when the parent has a mask and `extra["mask_classes"]`, else the parent's labels.
    `extra` gains {"parent_id", "row", "col", "label_fractions"}.

    Args:
        patch: the scene or tile to cut.
        size: sub-patch side in pixels.
        stride: step between windows in pixels (default `size`).
        cover_edges: add windows flush with the right/bottom edges when the grid stops short of them.
        min_fraction: share of labelled pixels a secondary class needs to be listed.
        skip_nodata: leave out (and report) windows with no data in any band.
        report: counts sub-patches read and skipped.

    Raises:
        BadInputError: `size`/`stride` not positive, or the patch is smaller than `size`.
    """
    stride = size if stride is None else stride
    height, width = patch.pixels.shape[1:]
    rows = window_starts(height, size, stride, cover_edges)
    cols = window_starts(width, size, stride, cover_edges)
    if not rows or not cols:
        raise BadInputError(f"patch {patch.id} ({height} x {width} px) is smaller than the tile size {size}")
    classes = patch.extra.get("mask_classes")
    mask_nodata = patch.extra.get("mask_nodata")
    for row in rows:
        for col in cols:
            pixels = patch.pixels[
                :, row : row + size, col : col + size
            ].copy()  # not a view pinning the scene
            tile_id = f"{patch.id}/r{row}_c{col}"
            if skip_nodata and is_all_nodata(pixels, patch.nodata):
                if report is not None:
                    report.skip(patch.source, ALL_NODATA, f"{patch.path} [{tile_id}]")
                continue
            extra = {**patch.extra, "parent_id": patch.id, "row": row, "col": col}
            mask = None
            labels = list(patch.labels)
            if patch.label_mask is not None:
                mask = patch.label_mask[row : row + size, col : col + size].copy()
                if classes is not None:
                    labels, fractions = mask_labels(
                        mask, classes, nodata=mask_nodata, min_fraction=min_fraction
                    )
                    extra["label_fractions"] = fractions
            if report is not None:
                report.count_read(patch.source)
            yield replace(
                patch,
                id=tile_id,
                pixels=pixels,
                transform=sub_transform(patch.transform, row, col),
                labels=labels,
                label_mask=mask,
                extra=extra,
            )


__all__ = ["mask_labels", "sub_transform", "tile_patch", "window_starts"]
