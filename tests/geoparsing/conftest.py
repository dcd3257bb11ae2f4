"""Fixtures of the geoparser tests: a small in-memory gazetteer with the index contract, and the spaCy pipeline.

`MemoryIndex` implements the `GazetteerIndex` contract (lookup / has_name / entity / geometry / len) over
hand-made places, so each stage is tested on known ambiguities (Paris FR/TX, Georgia US/GE, Alexandria LA/EG)
without building the real gazetteer.
"""

from __future__ import annotations

import re

import pytest
import shapely
from rapidfuzz import fuzz
from unidecode import unidecode

from data_builders.gazetteer.index import Candidate


def _norm(text: str) -> str:
    text = unidecode(text).casefold()
    text = re.sub(r"\bst\.?\s", "saint ", text)
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


# entity_id, name, ftype, cc, admin1_code, admin1_name, admin2_name, pop, lat, lon, [(alt name, lang)], geonames_id
PLACES = [
    (
        "E1",
        "Paris",
        "settlement",
        "FR",
        "11",
        "Île-de-France",
        "Paris",
        2_138_551,
        48.8534,
        2.3488,
        [("Parigi", "it")],
        2988507,
    ),
    (
        "E2",
        "Paris",
        "settlement",
        "US",
        "TX",
        "Texas",
        "Lamar County",
        24_782,
        33.6609,
        -95.5555,
        [],
        4717560,
    ),
    (
        "E3",
        "Paris",
        "settlement",
        "US",
        "TN",
        "Tennessee",
        "Henry County",
        10_156,
        36.302,
        -88.3267,
        [],
        4655186,
    ),
    (
        "E4",
        "Texas",
        "admin1",
        "US",
        "TX",
        "Texas",
        "",
        22_875_689,
        31.2504,
        -99.2506,
        [("Tex.", "abbr"), ("TX", "code"), ("Texan", "demonym")],
        4736286,
    ),
    (
        "E5",
        "Tennessee",
        "admin1",
        "US",
        "TN",
        "Tennessee",
        "",
        6_346_105,
        35.7504,
        -86.2503,
        [("Tenn.", "abbr")],
        4662168,
    ),
    (
        "E6",
        "France",
        "country",
        "FR",
        "",
        "",
        "",
        66_987_244,
        46.0,
        2.0,
        [("French", "demonym"), ("République française", "fr")],
        3017382,
    ),
    (
        "E7",
        "United States",
        "country",
        "US",
        "",
        "",
        "",
        327_167_434,
        39.76,
        -98.5,
        [("USA", "abbr"), ("American", "demonym"), ("U.S.", "abbr")],
        6252001,
    ),
    (
        "E8",
        "Turkey",
        "country",
        "TR",
        "",
        "",
        "",
        82_319_724,
        39.0,
        35.0,
        [("Turkish", "demonym"), ("Türkiye", "tr"), ("Turks", "demonym")],
        298795,
    ),
    (
        "E9",
        "Georgia",
        "admin1",
        "US",
        "GA",
        "Georgia",
        "",
        9_919_945,
        32.75,
        -83.5,
        [("Ga.", "abbr")],
        4197000,
    ),
    ("E10", "Georgia", "country", "GE", "", "", "", 3_731_000, 42.0, 43.5, [("Georgian", "demonym")], 614540),
    (
        "E11",
        "Montpellier",
        "settlement",
        "FR",
        "76",
        "Occitanie",
        "Hérault",
        248_252,
        43.6109,
        3.8772,
        [],
        2992166,
    ),
    ("E12", "Tamil Nadu", "admin1", "IN", "25", "Tamil Nadu", "", 72_147_030, 11.0, 78.0, [], 1255053),
    (
        "E13",
        "India",
        "country",
        "IN",
        "",
        "",
        "",
        1_352_617_328,
        22.0,
        79.0,
        [("Indian", "demonym")],
        1269750,
    ),
    (
        "E14",
        "Mobile",
        "settlement",
        "US",
        "AL",
        "Alabama",
        "Mobile County",
        187_041,
        30.6944,
        -88.043,
        [],
        4076598,
    ),
    (
        "E15",
        "Reading",
        "settlement",
        "US",
        "PA",
        "Pennsylvania",
        "Berks County",
        88_082,
        40.3357,
        -75.9269,
        [],
        5207490,
    ),
    (
        "E16",
        "Reading",
        "settlement",
        "GB",
        "ENG",
        "England",
        "Reading",
        318_014,
        51.4566,
        -0.9731,
        [],
        2639577,
    ),
    (
        "E17",
        "Alexandria",
        "settlement",
        "US",
        "LA",
        "Louisiana",
        "Rapides Parish",
        47_723,
        31.3113,
        -92.4451,
        [],
        4314550,
    ),
    (
        "E18",
        "Alexandria",
        "settlement",
        "EG",
        "06",
        "Alexandria",
        "",
        3_811_516,
        31.2018,
        29.9158,
        [("Al Iskandariyah", "")],
        361058,
    ),
    (
        "E19",
        "Louisiana",
        "admin1",
        "US",
        "LA",
        "Louisiana",
        "",
        4_681_666,
        31.0,
        -92.0,
        [("La.", "abbr")],
        4331987,
    ),
    (
        "E20",
        "Rapides Parish",
        "admin2",
        "US",
        "LA",
        "Louisiana",
        "Rapides Parish",
        131_613,
        31.1669,
        -92.4835,
        [],
        4338356,
    ),
    (
        "E21",
        "Athens",
        "settlement",
        "US",
        "GA",
        "Georgia",
        "Clarke County",
        115_452,
        33.9609,
        -83.3779,
        [],
        4180386,
    ),
    ("E22", "Athens", "settlement", "GR", "ESYE31", "Attica", "", 664_046, 37.9838, 23.7278, [], 264371),
    ("E23", "Greece", "country", "GR", "", "", "", 10_727_668, 39.0, 22.0, [("Greek", "demonym")], 390903),
    (
        "E24",
        "Denver",
        "settlement",
        "US",
        "CO",
        "Colorado",
        "Denver County",
        715_522,
        39.7392,
        -104.9847,
        [],
        5419384,
    ),
    (
        "E25",
        "Boulder",
        "settlement",
        "US",
        "CO",
        "Colorado",
        "Boulder County",
        108_250,
        40.015,
        -105.2705,
        [],
        5574991,
    ),
    (
        "E26",
        "Colorado",
        "admin1",
        "US",
        "CO",
        "Colorado",
        "",
        5_029_196,
        39.0,
        -105.5,
        [("Colo.", "abbr")],
        5417618,
    ),
    ("E27", "Egypt", "country", "EG", "", "", "", 98_423_595, 27.0, 30.0, [("Egyptian", "demonym")], 357994),
    (
        "E28",
        "Alabama",
        "admin1",
        "US",
        "AL",
        "Alabama",
        "",
        4_903_185,
        32.75,
        -86.75,
        [("Ala.", "abbr")],
        4829764,
    ),
    ("E29", "Nîmes", "settlement", "FR", "76", "Occitanie", "Gard", 148_236, 43.8367, 4.3601, [], 2990363),
    (
        "E30",
        "Bath",
        "settlement",
        "GB",
        "ENG",
        "England",
        "Bath and North East Somerset",
        94_782,
        51.3751,
        -2.3618,
        [],
        2656173,
    ),
    (
        "E31",
        "Pennsylvania",
        "admin1",
        "US",
        "PA",
        "Pennsylvania",
        "",
        12_801_989,
        40.9,
        -77.75,
        [("Pa.", "abbr")],
        6254927,
    ),
]
POLYGON_IDS = {"E6": shapely.box(-5.0, 42.0, 8.0, 51.0)}


class MemoryIndex:
    """The `GazetteerIndex` contract over `PLACES` (exact by normalized name, fuzzy by rapidfuzz ratio)."""

    def __init__(self, places=PLACES) -> None:
        self.rows = {}
        self.names: dict[str, list[tuple[str, str, str]]] = {}
        for eid, name, ftype, cc, a1, a1n, a2n, pop, lat, lon, alts, gid in places:
            names = [(name, "")] + list(alts)
            self.rows[eid] = dict(
                entity_id=eid,
                name=name,
                feature_type=ftype,
                feature_code="",
                country_code=cc,
                admin1_code=a1,
                admin1_name=a1n,
                admin2_name=a2n,
                population=pop,
                lat=lat,
                lon=lon,
                n_names=len(names),
                geonames_id=gid,
                names=[{"name": n, "lang": lang} for n, lang in names],
            )
            for alt, lang in names:
                self.names.setdefault(_norm(alt), []).append((eid, alt, lang))
        self.lookups = 0

    def _candidate(self, eid, matched, lang, match_type, score) -> Candidate:
        row = self.rows[eid]
        geometry = self.geometry(eid)
        return Candidate(
            entity_id=eid,
            name=row["name"],
            matched_name=matched,
            matched_lang=lang,
            match_type=match_type,
            match_score=score,
            lat=row["lat"],
            lon=row["lon"],
            feature_type=row["feature_type"],
            feature_code="",
            country_code=row["country_code"],
            admin1_code=row["admin1_code"],
            admin1_name=row["admin1_name"],
            admin2_name=row["admin2_name"],
            population=row["population"],
            n_names=row["n_names"],
            geonames_id=row["geonames_id"],
            wikidata_id="",
            osm_id="",
            has_polygon=eid in POLYGON_IDS,
            bbox=tuple(geometry.bounds),
        )

    def lookup(self, name, top_k=10, *, fuzzy=True, prefix=False, country_code=None, feature_types=None):
        self.lookups += 1
        key = _norm(name)
        found = {}
        for eid, matched, lang in self.names.get(key, []):
            found.setdefault(eid, self._candidate(eid, matched, lang, "exact", 1.0))
        if not found and fuzzy and len(key) >= 4:
            for other, entries in self.names.items():
                score = fuzz.ratio(key, other) / 100
                if score >= 0.8:
                    for eid, matched, lang in entries:
                        if eid not in found or found[eid].match_score < score:
                            found[eid] = self._candidate(eid, matched, lang, "fuzzy", score)
        result = [
            c
            for c in found.values()
            if (country_code is None or c.country_code == country_code)
            and (feature_types is None or c.feature_type in feature_types)
        ]
        result.sort(key=lambda c: (-c.match_score, -c.population))
        return result[:top_k]

    def has_name(self, name) -> bool:
        return _norm(name) in self.names

    def entity(self, entity_id) -> dict:
        return self.rows[entity_id]

    def geometry(self, entity_id):
        if entity_id in POLYGON_IDS:
            return POLYGON_IDS[entity_id]
        row = self.rows[entity_id]
        return shapely.Point(row["lon"], row["lat"])

    def __len__(self) -> int:
        return len(self.rows)


@pytest.fixture(scope="session")
def memory_index() -> MemoryIndex:
    return MemoryIndex()


@pytest.fixture(scope="session")
def nlp_en():
    from georeset.assets import load_spacy

    return load_spacy("en")


@pytest.fixture(scope="session")
def geoparser(memory_index):
    from modeling.geoparsing import Geoparser

    return Geoparser(memory_index)


@pytest.fixture(scope="session")
def built_gazetteer(tmp_path_factory):
    """The same places written by the real builder (`write_gazetteer`): a folder with `index/`, as users have."""
    from data_builders.gazetteer.build import write_gazetteer
    from data_builders.gazetteer.report import BuildReport
    from data_builders.gazetteer.schema import PlaceName, PlaceRecord

    records = []
    for eid, name, ftype, cc, a1, a1n, a2n, pop, lat, lon, alts, gid in PLACES:
        polygon = POLYGON_IDS.get(eid)
        records.append(
            PlaceRecord(
                record_id=f"geonames:{gid}",
                source="geonames",
                name=name,
                lat=lat,
                lon=lon,
                feature_type=ftype,
                names=[PlaceName(name, "", is_preferred=True)] + [PlaceName(n, lang) for n, lang in alts],
                country_code=cc,
                admin1_code=a1,
                admin1_name=a1n,
                admin2_name=a2n,
                population=pop,
                geometry_wkb=polygon.wkb if polygon is not None else None,
                geonames_id=gid,
            )
        )
    folder = tmp_path_factory.mktemp("gazetteer") / "gaz"
    write_gazetteer(records, folder, BuildReport(), progress=False)
    return folder
