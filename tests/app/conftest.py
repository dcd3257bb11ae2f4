"""Fixtures of the app tests: a small gazetteer in the real on-disk format, and Sentinel-2 GeoTIFFs.

The gazetteer is a folder as `georeset gazetteer build` writes it (`data/*.parquet` rows of ENTITY_SCHEMA with
polygons, and the `index/` built by `GazetteerIndex.build`), holding a few known places and ambiguities, so the
app runs end to end (geoparser, basemap, footprint links) in seconds and without ../shared.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from data_builders.gazetteer.schema import ENTITY_SCHEMA

# A 640 m patch in UTM 31N whose centre lies in central Paris (about 48.857 N, 2.35 E).
PARIS_UTM = ("EPSG:32631", 451_900.0, 5_412_000.0)


def _names(*names: tuple[str, str]) -> list[dict]:
    return [
        {
            "name": name,
            "lang": lang,
            "is_preferred": lang == "en",
            "is_short": False,
            "is_historic": False,
            "is_colloquial": False,
            "source": "geonames",
        }
        for name, lang in names
    ]


def _row(
    entity_id, name, ftype, country, lat, lon, population=0, geometry=None, names=(), admin1="", **extra
):
    geometry = geometry if geometry is not None else shapely.Point(lon, lat)
    xmin, ymin, xmax, ymax = geometry.bounds
    row = {field.name: None for field in ENTITY_SCHEMA}
    row.update(
        entity_id=entity_id,
        name=name,
        names=_names((name, "en"), *names),
        feature_type=ftype,
        feature_code={"settlement": "P.PPL", "country": "A.PCLI", "admin1": "A.ADM1"}.get(ftype, ""),
        country_code=country,
        admin1_name=admin1,
        population=population,
        geometry=shapely.to_wkb(geometry),
        geometry_type=geometry.geom_type,
        lat=lat,
        lon=lon,
        bbox={"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax},
        sources=["geonames"],
        source_ids=[f"geonames:{entity_id}"],
        field_sources=[{"field": "name", "source": "geonames"}],
        **extra,
    )
    return row


FRANCE = shapely.Polygon([(-4.8, 48.4), (-1.5, 43.4), (3.2, 42.4), (7.6, 43.7), (8.2, 49.0), (2.5, 51.1)])
ILE_DE_FRANCE = shapely.box(1.45, 48.12, 3.56, 49.24)
TEXAS = shapely.Polygon([(-106.6, 31.8), (-103.0, 32.0), (-103.0, 36.5), (-100.0, 36.5), (-94.0, 33.6),
                         (-93.5, 29.7), (-97.2, 25.9), (-99.5, 27.5), (-104.5, 29.6)])  # fmt: skip
USA = shapely.box(-124.7, 24.5, -67.0, 49.4)

PLACES = [
    _row(
        "gn:3017382", "France", "country", "FR", 46.0, 2.0, 67_000_000, FRANCE, names=(("French", "demonym"),)
    ),
    _row("gn:3012874", "Île-de-France", "admin1", "FR", 48.5, 2.5, 12_000_000, ILE_DE_FRANCE),
    _row("gn:2988507", "Paris", "settlement", "FR", 48.8534, 2.3488, 2_138_551, admin1="Île-de-France"),
    _row("gn:2990363", "Nîmes", "settlement", "FR", 43.8367, 4.3601, 148_236, names=(("Nimes", "en"),)),
    _row("gn:4717560", "Paris", "settlement", "US", 33.6609, -95.5555, 24_782, admin1="Texas"),
    _row("gn:4736286", "Texas", "admin1", "US", 31.25, -99.25, 22_875_689, TEXAS),
    _row("gn:6252001", "United States", "country", "US", 39.76, -98.5, 327_000_000, USA),
    _row("gn:298795", "Turkey", "country", "TR", 39.0, 35.0, 82_000_000, names=(("Turkish", "demonym"),)),
    _row("gn:323786", "Ankara", "settlement", "TR", 39.9199, 32.8543, 3_517_182),
]
"""Entities of the small gazetteer: Paris (France) and Paris (Texas), polygons for countries and admin units."""


@pytest.fixture(scope="session")
def small_gazetteer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gazetteer folder (`data/` shards + `index/`) of `PLACES`."""
    from data_builders.gazetteer.index import GazetteerIndex

    folder = tmp_path_factory.mktemp("app-gazetteer")
    (folder / "data").mkdir()
    shard = folder / "data" / "entities-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(PLACES, schema=ENTITY_SCHEMA), shard)
    GazetteerIndex.build([shard], folder / "index", progress=False)
    return folder


def write_geotiff(
    path: Path,
    pixels: np.ndarray,
    crs: str | None = PARIS_UTM[0],
    origin: tuple[float, float] = PARIS_UTM[1:],
    resolution: float = 10.0,
    descriptions: list[str] | None = None,
) -> Path:
    """A north-up GeoTIFF of `(bands, h, w)` pixels (no CRS when `crs` is None)."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    profile = {
        "driver": "GTiff",
        "height": pixels.shape[1],
        "width": pixels.shape[2],
        "count": pixels.shape[0],
        "dtype": str(pixels.dtype),
    }
    if crs is not None:
        x, y = origin
        profile.update(crs=crs, transform=rasterio.Affine(resolution, 0.0, x, 0.0, -resolution, y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # the no-CRS case is what is wanted
        with rasterio.open(path, "w", **profile) as dataset:
            dataset.write(pixels)
            for i, description in enumerate(descriptions or [], start=1):
                dataset.set_band_description(i, description)
    return path


@pytest.fixture
def sentinel_tif(tmp_path: Path) -> Path:
    """A 13-band Sentinel-2 L1C patch (uint16 digital numbers, EuroSAT band order) over central Paris."""
    rng = np.random.default_rng(0)
    return write_geotiff(
        tmp_path / "Residential_1.tif", rng.integers(200, 4000, (13, 64, 64), dtype=np.uint16)
    )
