"""The image tab's logic: read an uploaded Sentinel-2 patch, draw a true-colour preview, find its footprint.

Accepted uploads (what people download from Copernicus Browser, EuroSAT_MS, BigEarthNet...):

- one multi-band GeoTIFF: 13 bands (Sentinel-2 L1C), 12 (L2A, no B10) or 3 (true colour R, G, B; 8-bit or
  digital numbers); band names come from the file's band descriptions when it has them, else from the band order
  chosen in the page (EuroSAT's B01..B12, B8A by default for 13 bands; ESA's B01..B08, B8A, B09..B12 otherwise);
- several single-band GeoTIFFs of one patch whose names end in the band (`..._B04.tif`, BigEarthNet's layout);
- a JPEG/PNG true-colour image (EuroSAT RGB): no georeferencing, so no footprint.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from georeset.errors import BadInputError
from modeling.geollava.configuration_geollava import SENSOR_BANDS, canonical_band_name

BAND_ORDERS: dict[str, tuple[str, ...]] = {
    "EuroSAT (B01…B12, B8A)": (
        "B01",
        "B02",
        "B03",
        "B04",
        "B05",
        "B06",
        "B07",
        "B08",
        "B09",
        "B10",
        "B11",
        "B12",
        "B8A",
    ),  # fmt: skip
    "ESA (B01…B08, B8A, B09…B12)": SENSOR_BANDS["s2_l1c"],
}
"""Orders of 13-band files without band descriptions; the first is the default (EuroSAT_MS is the usual case)."""
L2A_ORDER = SENSOR_BANDS["s2_l2a"]
RGB_ORDER = ("B04", "B03", "B02")
MAX_UPLOAD_PIXELS = 2048 * 2048
"""Largest image (per band) the page reads: a Sentinel-2 patch is 64-1,000 pixels a side."""
PREVIEW_SIZE = 256
_BAND_SUFFIX = re.compile(r"_(B\d[\dA]|B\d|VV|VH)\.tiff?$", re.IGNORECASE)
_FINE_BANDS = ("B04", "B03", "B02", "B08")  # the 10 m bands: their grid gives the footprint


@dataclass
class UploadedImage:
    """An uploaded patch as named bands with its georeferencing.

    Attributes:
        bands: `{canonical band name: 2-D array}` (bands may differ in size, as Sentinel-2's 10/20/60 m do).
        sensor: "s2_l1c" (B10 present), "s2_l2a" (multispectral without B10) or "rgb" (8-bit true colour).
        crs, transform: the grid of the finest band (GDAL's six numbers), None without georeferencing.
        names: the uploaded file names.
        notes: what was assumed (band order...), shown in the page.
    """

    bands: dict[str, np.ndarray]
    sensor: str
    crs: str | None
    transform: tuple[float, float, float, float, float, float] | None
    names: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def georeferenced(self) -> bool:
        return self.crs is not None and self.transform is not None

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the finest band."""
        return max((band.shape for band in self.bands.values()), key=lambda s: s[0] * s[1])

    def footprint(self):
        """The outline in EPSG:4326 (shapely Polygon), None without georeferencing."""
        if not self.georeferenced:
            return None
        from data_builders.imagery.patch import Patch

        height, width = self.shape
        # Patch.footprint needs only the grid; a one-band placeholder of the right size carries it.
        grid = Patch(
            id="upload",
            pixels=np.zeros((1, height, width), dtype=np.uint8),
            band_names=["B04"],
            sensor="rgb" if self.sensor == "rgb" else self.sensor,
            crs=self.crs,
            transform=self.transform,
        )
        return grid.footprint()

    def describe(self) -> str:
        """One Markdown line: size, bands, sensor, CRS."""
        height, width = self.shape
        crs = self.crs if self.crs and len(self.crs) < 40 else ("custom CRS" if self.crs else "no CRS")
        if len(self.names) > 1:
            # Band files of one patch share their name up to the band suffix.
            shown = f"{_BAND_SUFFIX.sub('', self.names[0])} ({len(self.names)} band files)"
        else:
            shown = self.names[0]
        return (
            f"**{shown}**: {width}×{height} px, "
            f"{len(self.bands)} band(s) ({', '.join(self.bands)}), read as `{self.sensor}`, {crs}."
        )


def _read(path: Path) -> tuple[np.ndarray, list[str | None], str | None, tuple | None]:
    """Pixels `(bands, h, w)`, band descriptions, CRS and transform of one raster file."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as dataset:
                if dataset.width * dataset.height > MAX_UPLOAD_PIXELS:
                    raise BadInputError(
                        f"{path.name}: {dataset.width}×{dataset.height} pixels is larger than this page reads "
                        f"({MAX_UPLOAD_PIXELS:,} pixels per band); crop a patch first"
                    )
                pixels = dataset.read()
                descriptions = list(dataset.descriptions)
                crs = None
                if dataset.crs is not None:
                    epsg = dataset.crs.to_epsg()
                    crs = f"EPSG:{epsg}" if epsg else dataset.crs.to_wkt()
                transform = tuple(float(v) for v in tuple(dataset.transform)[:6]) if crs else None
    except RasterioIOError as err:
        raise BadInputError(
            f"{path.name}: not an image this page can read (GeoTIFF, JPEG or PNG): {err}"
        ) from err
    return pixels, descriptions, crs, transform


def _names_from_descriptions(descriptions: list[str | None]) -> list[str] | None:
    """Band names from the file's descriptions, when every band has one that names a Sentinel band."""
    if not descriptions or any(not d for d in descriptions):
        return None
    names = [canonical_band_name(d) for d in descriptions]
    known = set(SENSOR_BANDS["s2_l1c"])
    return names if all(name in known for name in names) and len(set(names)) == len(names) else None


def read_upload(paths: Sequence[str | Path], band_order: str | None = None) -> UploadedImage:
    """Read an uploaded patch (see the module docstring for the accepted forms).

    Args:
        paths: one multi-band file, or the single-band files of one patch.
        band_order: a key of `BAND_ORDERS` for 13-band files without band descriptions (default: the first).

    Raises:
        BadInputError: no file, an unreadable file, a band count or file set this page cannot interpret.
    """
    paths = [Path(p) for p in paths or [] if p]
    if not paths:
        raise BadInputError("image: upload a GeoTIFF (or the band files of one patch) first")
    if band_order is not None and band_order not in BAND_ORDERS:
        raise BadInputError(f"band order '{band_order}': use one of {', '.join(BAND_ORDERS)}")
    names = [p.name for p in paths]
    if len(paths) > 1:
        return _read_band_files(paths)
    path = paths[0]
    pixels, descriptions, crs, transform = _read(path)
    count = pixels.shape[0]
    notes = []
    described = _names_from_descriptions(descriptions)
    if described is not None:
        bands = described
        notes.append("band names from the file's band descriptions")
    elif count == 13:
        order = band_order or next(iter(BAND_ORDERS))
        bands = list(BAND_ORDERS[order])
        notes.append(f"13 bands without descriptions: read in the {order} order (change it above if wrong)")
    elif count == 12:
        bands = list(L2A_ORDER)
        notes.append("12 bands without descriptions: read as Sentinel-2 L2A (B01…B08, B8A, B09, B11, B12)")
    elif count in (3, 4):
        bands = list(RGB_ORDER)
        pixels = pixels[:3]  # a 4th band of a PNG is alpha
        notes.append("3 bands: read as true colour (red, green, blue)")
    elif count == 1 and _BAND_SUFFIX.search(path.name):
        raise BadInputError(
            f"{path.name}: one band of a patch; upload all the band files of the patch together (select them all)"
        )
    else:
        raise BadInputError(
            f"{path.name}: {count} band(s); this page reads Sentinel-2 files of 13 bands (L1C), 12 (L2A) or 3 "
            "(true colour), or the single-band files of one patch together"
        )
    band_dict = {name: pixels[i] for i, name in enumerate(bands)}
    sensor = _sensor_of(band_dict)
    return UploadedImage(band_dict, sensor, crs, transform, names, notes)


def _read_band_files(paths: list[Path]) -> UploadedImage:
    bands: dict[str, np.ndarray] = {}
    grids: dict[str, tuple[str | None, tuple | None]] = {}
    for path in paths:
        match = _BAND_SUFFIX.search(path.name)
        if not match:
            raise BadInputError(
                f"{path.name}: with several files, each must be one band whose name ends in the band (e.g. "
                "'_B04.tif', as BigEarthNet names them)"
            )
        pixels, _, crs, transform = _read(path)
        if pixels.shape[0] != 1:
            raise BadInputError(
                f"{path.name}: {pixels.shape[0]} bands; with several files each holds one band"
            )
        name = canonical_band_name(match.group(1))
        if name in bands:
            raise BadInputError(f"{path.name}: band {name} was uploaded twice")
        bands[name] = pixels[0]
        grids[name] = (crs, transform)
    if {"VV", "VH"} & set(bands):
        raise BadInputError("Sentinel-1 bands (VV, VH): this page reads Sentinel-2 patches")
    finest = next((b for b in _FINE_BANDS if b in bands), max(bands, key=lambda b: bands[b].size))
    crs, transform = grids[finest]
    notes = [f"{len(bands)} band files; footprint from the grid of {finest}"]
    return UploadedImage(bands, _sensor_of(bands), crs, transform, [p.name for p in paths], notes)


def _sensor_of(bands: dict[str, np.ndarray]) -> str:
    if set(bands) == set(RGB_ORDER) and all(b.dtype == np.uint8 for b in bands.values()):
        return "rgb"
    return "s2_l1c" if "B10" in bands else "s2_l2a"


def true_colour(image: UploadedImage, size: int = PREVIEW_SIZE) -> np.ndarray:
    """An 8-bit `(size, size', 3)` true-colour preview (B04, B03, B02), contrast-stretched at the 2nd-98th percentile.

    Raises:
        BadInputError: the image lacks one of the red, green and blue bands.
    """
    from PIL import Image

    missing = [b for b in RGB_ORDER if b not in image.bands]
    if missing:
        raise BadInputError(f"no true-colour preview: the image lacks band(s) {', '.join(missing)}")
    height, width = image.bands["B04"].shape
    channels = []
    for name in RGB_ORDER:
        band = image.bands[name].astype(np.float32)
        if band.shape != (height, width):
            band = np.asarray(Image.fromarray(band).resize((width, height), Image.Resampling.BILINEAR))
        channels.append(band)
    rgb = np.stack(channels, axis=-1)
    if image.sensor != "rgb":
        valid = rgb[np.isfinite(rgb) & (rgb > 0)]
        low, high = np.percentile(valid, [2, 98]) if valid.size else (0.0, 1.0)
        rgb = np.clip((rgb - low) / max(high - low, 1e-6), 0, 1) * 255
    rgb = np.nan_to_num(rgb).astype(np.uint8)
    scale = size / max(height, width)
    out = Image.fromarray(rgb).resize(
        (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.NEAREST
    )
    return np.asarray(out)


__all__ = [
    "BAND_ORDERS",
    "L2A_ORDER",
    "MAX_UPLOAD_PIXELS",
    "PREVIEW_SIZE",
    "RGB_ORDER",
    "UploadedImage",
    "read_upload",
    "true_colour",
]
