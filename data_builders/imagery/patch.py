"""The one record every imagery reader yields: a georeferenced multi-band patch with its labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Sensor names shared with `modeling.geollava` (SENSOR_BANDS there); "rgb" is a 3-band true-colour subset (R, G, B
# = B04, B03, B02) such as EuroSAT RGB.
SENSORS = ("s2_l1c", "s2_l2a", "s1", "rgb")


@dataclass
class Patch:
    """One image patch.

    Attributes:
        id: stable identifier, unique within its source (file stem, BigEarthNet patch name, scene + tile index).
        pixels: `(bands, height, width)` array on one pixel grid (bands of coarser resolution are resampled to the
            finest one by the reader), in the file's own units: Sentinel-2 digital numbers (reflectance x 10,000),
            Sentinel-1 backscatter in dB, 8-bit RGB. `nodata` marks missing pixels.
        band_names: one canonical name per band: "B01".."B12", "B8A", "VV", "VH", or "R", "G", "B" for RGB.
        sensor: one of `SENSORS`.
        crs: the pixel grid's CRS as "EPSG:n" (or WKT), None when the file has no georeferencing.
        transform: the affine pixel -> CRS transform as GDAL's six numbers `(a, b, c, d, e, f)` of
            `rasterio.Affine` (x = a*col + b*row + c, y = d*col + e*row + f), None without georeferencing.
        labels: class names (several for multi-label sources such as BigEarthNet); empty when unlabelled.
        source: the dataset it came from ("eurosat_ms", "eurosat_rgb", "bigearthnet_s2", "eolearn_slovenia"...).
        path: the file or folder it was read from.
        nodata: value marking missing pixels, when the source declares one.
        label_mask: optional `(height, width)` per-pixel class raster aligned with `pixels` (map references).
        extra: source-specific metadata (acquisition date, tile, S1/S2 pairing key...), JSON-serialisable.
    """

    id: str
    pixels: np.ndarray
    band_names: list[str]
    sensor: str
    crs: str | None = None
    transform: tuple[float, float, float, float, float, float] | None = None
    labels: list[str] = field(default_factory=list)
    source: str = ""
    path: str = ""
    nodata: float | None = None
    label_mask: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.pixels.ndim != 3:
            raise ValueError(
                f"patch {self.id}: pixels must be (bands, height, width), got {self.pixels.shape}"
            )
        if len(self.band_names) != self.pixels.shape[0]:
            raise ValueError(
                f"patch {self.id}: {self.pixels.shape[0]} bands but {len(self.band_names)} band names"
            )
        if self.sensor not in SENSORS:
            raise ValueError(f"patch {self.id}: unknown sensor '{self.sensor}', use one of {SENSORS}")

    @property
    def georeferenced(self) -> bool:
        return self.crs is not None and self.transform is not None

    def footprint(self):
        """The patch outline as a shapely Polygon in EPSG:4326 (lon, lat), or None without georeferencing."""
        if not self.georeferenced:
            return None
        from pyproj import Transformer
        from shapely.geometry import Polygon

        a, b, c, d, e, f = self.transform
        height, width = self.pixels.shape[1:]
        # Densify the edges so the outline stays exact after reprojection from UTM.
        steps = np.linspace(0.0, 1.0, 9)
        cols = np.concatenate([steps * width, np.full(9, width), (1 - steps) * width, np.zeros(9)])
        rows = np.concatenate([np.zeros(9), steps * height, np.full(9, height), (1 - steps) * height])
        xs, ys = a * cols + b * rows + c, d * cols + e * rows + f
        transformer = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        lons, lats = transformer.transform(xs, ys)
        return Polygon(zip(lons, lats, strict=True))


__all__ = ["SENSORS", "Patch"]
