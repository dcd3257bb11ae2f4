"""Fixtures of the geotext tests: a small real gazetteer (built by the gazetteer builder) with known ambiguities."""

from __future__ import annotations

from pathlib import Path

import pytest

# record id, name, type, country, admin1 name, population, lat, lon, [(other name, lang)], wikipedia
PLACES = [
    (
        "geonames:2988507",
        "Paris",
        "settlement",
        "FR",
        "Île-de-France",
        2_138_551,
        48.8534,
        2.3488,
        [("Parigi", "it"), ("Lutetia", "la")],
        "en:Paris",
    ),
    (
        "geonames:4717560",
        "Paris",
        "settlement",
        "US",
        "Texas",
        24_171,
        33.6609,
        -95.5555,
        [],
        "en:Paris, Texas",
    ),
    (
        "geonames:3017382",
        "France",
        "country",
        "FR",
        "",
        66_987_244,
        46.0,
        2.0,
        [("French", "demonym"), ("Frankreich", "de"), ("Fr.", "abbr")],
        "en:France",
    ),
    (
        "geonames:6252001",
        "United States",
        "country",
        "US",
        "",
        327_167_434,
        39.76,
        -98.5,
        [("American", "demonym"), ("U.S.", "abbr"), ("Estados Unidos", "es")],
        "en:United States",
    ),
    (
        "geonames:4736286",
        "Texas",
        "admin1",
        "US",
        "Texas",
        28_701_845,
        31.25,
        -99.25,
        [("Tex.", "abbr"), ("Tejas", "es")],
        "en:Texas",
    ),
    (
        "geonames:4197000",
        "Georgia",
        "admin1",
        "US",
        "Georgia",
        10_519_475,
        32.75,
        -83.5,
        [("Ga.", "abbr")],
        "en:Georgia (U.S. state)",
    ),
    (
        "geonames:614540",
        "Georgia",
        "country",
        "GE",
        "",
        3_731_000,
        42.0,
        43.5,
        [("Georgian", "demonym"), ("Sakartvelo", "ka")],
        "en:Georgia (country)",
    ),
    (
        "geonames:611717",
        "Tbilisi",
        "settlement",
        "GE",
        "Tbilisi",
        1_049_498,
        41.6941,
        44.8337,
        [("Tiflis", "de")],
        "en:Tbilisi",
    ),
    (
        "geonames:2995469",
        "Marseille",
        "settlement",
        "FR",
        "Provence-Alpes-Côte d'Azur",
        870_018,
        43.2965,
        5.3698,
        [("Marsiglia", "it"), ("Marseilles", "en")],
        "en:Marseille",
    ),
    (
        "geonames:2996944",
        "Lyon",
        "settlement",
        "FR",
        "Auvergne-Rhône-Alpes",
        522_969,
        45.7485,
        4.8467,
        [("Lione", "it"), ("Lyons", "en")],
        "en:Lyon",
    ),
    (
        "geonames:4250542",
        "Springfield",
        "settlement",
        "US",
        "Illinois",
        116_565,
        39.8017,
        -89.6437,
        [],
        "en:Springfield, Illinois",
    ),
    (
        "geonames:4409896",
        "Springfield",
        "settlement",
        "US",
        "Missouri",
        169_176,
        37.2153,
        -93.2982,
        [],
        "en:Springfield, Missouri",
    ),
    (
        "geonames:4896861",
        "Illinois",
        "admin1",
        "US",
        "Illinois",
        12_671_821,
        40.0,
        -89.25,
        [("Ill.", "abbr")],
        "en:Illinois",
    ),
    (
        "geonames:4398678",
        "Missouri",
        "admin1",
        "US",
        "Missouri",
        6_137_428,
        38.25,
        -92.5,
        [("Mo.", "abbr")],
        "en:Missouri",
    ),
    ("geonames:1632978", "Parigi", "settlement", "ID", "Central Sulawesi", 11_000, -0.8, 120.18, [], ""),
    ("geonames:2775389", "Ill", "river", "FR", "Grand Est", 0, 48.6, 7.8, [], ""),
    (
        "geonames:2993458",
        "Rio Grande do Sul",
        "admin1",
        "BR",
        "Rio Grande do Sul",
        11_329_605,
        -30.0,
        -53.5,
        [],
        "en:Rio Grande do Sul",
    ),
    (
        "geonames:3469034",
        "Brazil",
        "country",
        "BR",
        "",
        209_469_333,
        -10.0,
        -55.0,
        [("Brazilian", "demonym"), ("Brasil", "pt")],
        "en:Brazil",
    ),
]


def place_records():
    from data_builders.gazetteer.schema import PlaceName, PlaceRecord

    records = []
    for rid, name, ftype, cc, admin1, pop, lat, lon, alts, wiki in PLACES:
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
                admin1_name=admin1,
                population=pop,
                geonames_id=int(rid.split(":")[1]),
                wikipedia=wiki,
            )
        )
    return records


@pytest.fixture(scope="session")
def gazetteer_dir(tmp_path_factory) -> Path:
    """A gazetteer folder (data + index) of `PLACES`, written by the real builder."""
    from data_builders.gazetteer.build import write_gazetteer
    from data_builders.gazetteer.report import BuildReport

    folder = tmp_path_factory.mktemp("geotext-gazetteer") / "gaz"
    write_gazetteer(place_records(), folder, BuildReport(), progress=False)
    return folder


@pytest.fixture(scope="session")
def gazetteer(gazetteer_dir):
    from data_builders.gazetteer import load_gazetteer

    return load_gazetteer(gazetteer_dir)
