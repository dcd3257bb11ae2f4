"""Fixtures of the linking / instruction / dataset tests: a small real-coordinate gazetteer around Slovenia, patches
over it in UTM 33N, and geotext records that mention its places."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

# (record id, name, type, country, admin1 code, population, lat, lon, extra names, polygon box or None)
SLOVENIA_BOX = (13.38, 45.42, 16.60, 46.88)
PLACES = [
    (
        "geonames:3190538",
        "Slovenia",
        "country",
        "SI",
        "",
        2_067_372,
        46.12,
        14.82,
        [("Slovénie", "fr")],
        SLOVENIA_BOX,
    ),
    (
        "geonames:2782113",
        "Austria",
        "country",
        "AT",
        "",
        8_847_037,
        47.33,
        13.33,
        [("Autriche", "fr")],
        (9.5, 46.88, 17.2, 49.0),
    ),
    ("geonames:3202326", "Croatia", "country", "HR", "", 3_871_833, 45.17, 15.5, [("Croatie", "fr")], None),
    ("geonames:3239318", "Ljubljana", "admin1", "SI", "61", 275_010, 46.05, 14.5069, [("MOL", "en")], None),
    ("geonames:3201729", "Domžale", "admin1", "SI", "G7", 26_950, 46.1394, 14.5945, [], None),
    ("geonames:3337526", "Split-Dalmatia", "admin1", "HR", "15", 454_798, 43.5, 16.5, [], None),
    (
        "geonames:3196359",
        "Ljubljana",
        "settlement",
        "SI",
        "61",
        272_220,
        46.05108,
        14.50513,
        [("Lubiana", "it")],
        None,
    ),
    ("geonames:3202452", "Črna Vas", "settlement", "SI", "61", 817, 45.99694, 14.47056, [], None),
    (
        "geonames:3203338",
        "Brezovica pri Ljubljani",
        "settlement",
        "SI",
        "61",
        3_221,
        46.0233,
        14.41499,
        [],
        None,
    ),
    ("geonames:3201730", "Domžale", "settlement", "SI", "G7", 13_204, 46.13774, 14.59371, [], None),
    ("geonames:3197378", "Kranj", "settlement", "SI", "52", 37_941, 46.23887, 14.35561, [], None),
    ("geonames:3195506", "Maribor", "settlement", "SI", "98", 95_171, 46.55472, 15.64667, [], None),
    ("geonames:3196125", "Bled", "settlement", "SI", "03", 5_000, 46.36833, 14.11361, [], None),
    ("geonames:3190261", "Split", "settlement", "HR", "15", 160_577, 43.50891, 16.43915, [], None),
    (
        "geonames:3196000",
        "Lake Bled",
        "water",
        "SI",
        "03",
        0,
        46.3625,
        14.0937,
        [("Lac de Bled", "fr")],
        (14.085, 46.358, 14.102, 46.367),
    ),
    ("geonames:3190100", "Šmarna gora", "mountain", "SI", "61", 0, 46.1278, 14.4639, [], None),
    ("geonames:3190300", "Triglav", "mountain", "SI", "", 0, 46.3783, 13.8367, [], None),
]
PATCH_BANDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"]


def place_records():
    import shapely

    from data_builders.gazetteer.schema import PlaceName, PlaceRecord

    records = []
    for rid, name, ftype, cc, admin1, pop, lat, lon, alts, box in PLACES:
        records.append(
            PlaceRecord(
                record_id=rid,
                source="geonames",
                name=name,
                lat=lat,
                lon=lon,
                feature_type=ftype,
                names=[PlaceName(name, "", is_preferred=True)] + [PlaceName(n, lang) for n, lang in alts],
                country_code=cc,
                admin1_code=admin1,
                population=pop,
                geonames_id=int(rid.split(":")[1]),
                geometry_wkb=shapely.to_wkb(shapely.box(*box)) if box else None,
            )
        )
    return records


@pytest.fixture(scope="session")
def small_gazetteer_dir(tmp_path_factory) -> Path:
    """A gazetteer folder (data + index) of `PLACES`, written by the real builder."""
    from data_builders.gazetteer.build import write_gazetteer
    from data_builders.gazetteer.report import BuildReport

    folder = tmp_path_factory.mktemp("imagery-gazetteer") / "gaz"
    write_gazetteer(place_records(), folder, BuildReport(), progress=False)
    return folder


@pytest.fixture(scope="session")
def small_index(small_gazetteer_dir):
    from data_builders.gazetteer import load_gazetteer

    return load_gazetteer(small_gazetteer_dir)


@pytest.fixture(scope="session")
def spatial(small_index):
    from data_builders.imagery.link import spatial_gazetteer

    return spatial_gazetteer(small_index)


def utm_patch(
    lon: float,
    lat: float,
    *,
    size: int = 120,
    labels=("Coniferous forest", "Pastures"),
    sensor: str = "s2_l2a",
    patch_id: str = "p",
    source: str = "test",
    seed: int = 0,
):
    """A patch of `size` 10 m pixels centred on (lon, lat), on the EPSG:32633 grid (UTM 33N)."""
    from pyproj import Transformer

    from data_builders.imagery.patch import Patch

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True).transform(lon, lat)
    half = size * 10 / 2
    bands = PATCH_BANDS if sensor.startswith("s2") else (["VV", "VH"] if sensor == "s1" else ["R", "G", "B"])
    rng = np.random.default_rng(seed)
    if sensor == "s1":
        pixels = rng.uniform(-25, -5, (len(bands), size, size)).astype(np.float32)
    elif sensor == "rgb":
        pixels = rng.integers(0, 256, (len(bands), size, size)).astype(np.uint8)
    else:
        pixels = rng.integers(100, 4000, (len(bands), size, size)).astype(np.uint16)
    return Patch(
        id=patch_id,
        pixels=pixels,
        band_names=list(bands),
        sensor=sensor,
        crs="EPSG:32633",
        transform=(10.0, 0.0, x - half, 0.0, -10.0, y + half),
        labels=list(labels),
        source=source,
        path=f"/data/{patch_id}.tif",
    )


@pytest.fixture
def make_patch():
    return utm_patch


def _toponym(text: str, surface: str, entity_id: str = "", lat=None, lon=None, occurrence: int = 0):
    from data_builders.geotext.schema import make_toponym

    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    return make_toponym(
        text, start, start + len(surface), entity_id=entity_id, lat=lat, lon=lon, label_source="distant"
    )


@pytest.fixture(scope="session")
def geotext_records(small_index):
    """Three documents: one about Slovenia (country and capital), a list of towns, a benchmark-like text whose
    toponym has only coordinates."""
    from data_builders.geotext.schema import make_record

    def eid(name: str, ftype: str) -> str:
        return next(c.entity_id for c in small_index.lookup(name, top_k=5) if c.feature_type == ftype)

    about = (
        "Slovenia is a country in Central Europe with Alpine mountains and karst plateaus.\n"
        "Its capital, Ljubljana, lies in a basin between the Alps and the Dinaric karst. "
        "The city grew around a castle hill."
    )
    towns = "Towns: Ljubljana, Domžale, Kranj, Maribor, Bled, Split, Črna Vas and Brezovica pri Ljubljani."
    news = "Heavy rain flooded fields near Brezovica on Monday, the local police said."
    return [
        make_record(
            "test:slovenia",
            about,
            source="testtext",
            title="Slovenia",
            url="https://example.org/slovenia",
            toponyms=[
                _toponym(about, "Slovenia", eid("Slovenia", "country")),
                _toponym(about, "Ljubljana", eid("Ljubljana", "settlement")),
            ],
        ),
        make_record(
            "test:towns",
            towns,
            source="testtext",
            title="Towns",
            toponyms=[
                _toponym(towns, name, eid(name, "settlement"))
                for name in (
                    "Ljubljana",
                    "Domžale",
                    "Kranj",
                    "Maribor",
                    "Bled",
                    "Split",
                    "Črna Vas",
                    "Brezovica pri Ljubljani",
                )
            ],
        ),
        make_record(
            "test:news",
            news,
            source="testnews",
            title="Floods",
            toponyms=[_toponym(news, "Brezovica", lat=46.0233, lon=14.41499)],
        ),
    ]


@pytest.fixture(scope="session")
def passages(geotext_records):
    from data_builders.imagery.link import PassageIndex

    return PassageIndex.from_records(geotext_records)
