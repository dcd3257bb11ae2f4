"""The error-distance plot of a geoparsing evaluation: histogram and cumulative share of log-scaled errors."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from eval.geoparsing.scoring import ACC_THRESHOLD_KM, MAX_ERROR_KM


def plot_errors(errors_km: Sequence[float], path: str | Path, title: str = "Geocoding error") -> Path:
    """Write a PNG with the histogram and the cumulative distribution of errors on a log km axis.

    Args:
        errors_km: one error per scored toponym (unresolved ones at the maximum error).
        path: the PNG to write (atomically: a partial file never replaces a good one).
        title: the figure title (corpus and mode).

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    path = Path(path)
    shifted = sorted(e + 1.0 for e in errors_km)  # log axis: 0 km plots at 1
    fig, (hist_ax, cdf_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    if shifted:
        bins = [10 ** (i / 8) for i in range(0, int(8 * math.log10(MAX_ERROR_KM + 1)) + 2)]
        hist_ax.hist(shifted, bins=bins, color="#4477aa")
        cdf_ax.step(
            shifted, [(i + 1) / len(shifted) for i in range(len(shifted))], where="post", color="#4477aa"
        )
        share = sum(e < ACC_THRESHOLD_KM for e in errors_km) / len(errors_km)
        cdf_ax.annotate(
            f"Acc@161km = {share:.1%}",
            xy=(ACC_THRESHOLD_KM + 1, share),
            xytext=(8, -14),
            textcoords="offset points",
        )
    for ax in (hist_ax, cdf_ax):
        ax.set_xscale("log")
        ax.set_xlim(1, MAX_ERROR_KM + 1)
        ax.axvline(ACC_THRESHOLD_KM + 1, color="#cc3311", linestyle="--", linewidth=1)
        ax.set_xlabel("error + 1 (km, log scale)")
    hist_ax.set_ylabel("toponyms")
    at_max = sum(
        e >= MAX_ERROR_KM for e in errors_km
    )  # mostly unresolved toponyms, counted at the maximum error
    hist_ax.set_title(f"{title}: errors (n = {len(shifted)}, {at_max} at max error)")
    cdf_ax.set_ylabel("share of toponyms with error below x")
    cdf_ax.set_ylim(0, 1)
    cdf_ax.set_title("cumulative share")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".png", dir=path.parent)
    os.close(handle)
    try:
        fig.savefig(tmp, format="png", dpi=110)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


__all__ = ["plot_errors"]
