"""Small rasterio helpers shared by the imagery readers: read a GeoTIFF whole or by window, name its CRS."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from georeset.errors import BadInputError

Transform6 = tuple[float, float, float, float, float, float]


class RasterReadError(BadInputError):
    """A raster file that cannot be opened or read to the end (corrupt, truncated, not a raster)."""


@dataclass
class RasterData:
    """The pixels of one raster file (or window) with its georeferencing, as the readers need it."""

    pixels: np.ndarray  # (bands, height, width)
    crs: str | None
    transform: Transform6 | None
    nodata: float | None
    descriptions: list[str | None]


def crs_string(crs) -> str | None:
    """`"EPSG:n"` when the CRS has an EPSG code, else its WKT; None for no CRS."""
    if crs is None:
        return None
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    if epsg:
        return f"EPSG:{epsg}"
    return crs.to_wkt() if hasattr(crs, "to_wkt") else str(crs)


def affine_tuple(transform) -> Transform6:
    """GDAL's six numbers `(a, b, c, d, e, f)` of a `rasterio.Affine`."""
    return tuple(float(v) for v in tuple(transform)[:6])  # type: ignore[return-value]


def read_raster(path: str | Path, window=None, indexes: list[int] | None = None) -> RasterData:
    """Read a raster (all bands, or `indexes`, 1-based) whole or within a rasterio `Window`.

    A file without CRS comes back with `crs` and `transform` None (rasterio would give an identity transform).

    Raises:
        RasterReadError: the file cannot be opened, or its data cannot be read (truncated strips or tiles).
    """
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                pixels = src.read(indexes, window=window)
                crs = crs_string(src.crs)
                transform = src.window_transform(window) if window is not None else src.transform
                nodata = src.nodata
                descriptions = list(src.descriptions)
                if indexes is not None:
                    descriptions = [descriptions[i - 1] for i in indexes]
    except (RasterioError, OSError, ValueError, IndexError) as err:
        raise RasterReadError(f"{path}: unreadable or truncated raster ({err})") from err
    if pixels.ndim == 2:
        pixels = pixels[None]
    georeferenced = crs is not None and not transform.is_identity
    return RasterData(
        pixels=pixels,
        crs=crs if georeferenced else None,
        transform=affine_tuple(transform) if georeferenced else None,
        nodata=None if nodata is None else float(nodata),
        descriptions=descriptions,
    )


def is_all_nodata(pixels: np.ndarray, nodata: float | None) -> bool:
    """True when no pixel holds data: all equal to `nodata` (0 when none is declared) or NaN.

    Sentinel-2 products mark missing pixels with digital number 0, so 0 everywhere means no data even when the
    file declares no nodata value.
    """
    fill = 0 if nodata is None else nodata
    missing = pixels == fill
    if np.issubdtype(pixels.dtype, np.floating):
        missing |= np.isnan(pixels)
    return bool(missing.all())


_BAND_RE = re.compile(r"^B0?(\d{1,2})(A?)$", re.IGNORECASE)


def canonical_band_name(name: str) -> str:
    """One spelling per band: "B1", "b01" -> "B01"; "B8a" -> "B8A"; "vv" -> "VV"; "red" -> "R" (8-bit RGB)."""
    text = str(name).strip()
    match = _BAND_RE.match(text)
    if match:
        number, suffix = int(match.group(1)), match.group(2).upper()
        return f"B{number}{suffix}" if suffix else f"B{number:02d}"
    return {"RED": "R", "GREEN": "G", "BLUE": "B"}.get(text.upper(), text.upper())


def natural_key(name: str) -> tuple:
    """Sort key that puts `Forest_2` before `Forest_10` (the numbered file names of EuroSAT)."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


__all__ = [
    "RasterData",
    "RasterReadError",
    "Transform6",
    "affine_tuple",
    "canonical_band_name",
    "crs_string",
    "is_all_nodata",
    "natural_key",
    "read_raster",
]
