"""Footprint -> gazetteer places and geotext passages (data_builders.imagery.link)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from data_builders.imagery.link import (
    ADMIN_PATH,
    CONTAINS,
    NEARBY,
    OVERLAPS,
    WITHIN,
    LinkSettings,
    PassageIndex,
    SpatialGazetteer,
    bearing_deg,
    best_name,
    compass_point,
    haversine_km,
    link_footprint,
    point_footprint,
    spatial_gazetteer,
    split_passages,
)
from georeset.errors import BadInputError


def test_distance_bearing_and_compass():
    # Ljubljana -> Maribor: 104.05 km on the great circle (geopy.great_circle agrees), to the north-east.
    km = float(haversine_km(14.50513, 46.05108, 15.64667, 46.55472))
    assert abs(km - 104.047) < 0.01
    bearing = bearing_deg(14.50513, 46.05108, 15.64667, 46.55472)
    assert 50 < bearing < 65
    assert compass_point(bearing) == "NE"
    assert [compass_point(b) for b in (0, 44, 46, 180, 269, 359)] == ["N", "NE", "NE", "S", "W", "N"]
    assert compass_point(float("nan")) == ""


def test_best_name_prefers_language_names_but_not_codes():
    names = [
        {"name": "Slovenia", "lang": ""},
        {"name": "Slovénie", "lang": "fr"},
        {"name": "Republic of Slovenia", "lang": "en"},
        {"name": "MOL", "lang": "en"},
    ]
    assert best_name(names, "Slovenia", "fr") == "Slovénie"
    assert best_name(names, "Slovenia", "en") == "Slovenia"
    assert best_name([{"name": "MOL", "lang": "fr"}], "Ljubljana", "fr") == "Ljubljana"


def test_patch_over_ljubljana(spatial, make_patch):
    links = link_footprint(make_patch(14.50, 46.05).footprint(), spatial, languages=("en", "fr"))
    assert links.country.name == "Slovenia" and links.country.relation == WITHIN
    assert links.country.names["fr"] == "Slovénie"
    # No admin polygon: the admin path of the nearest settlement names the municipality.
    assert [(a.name, a.feature_type, a.relation) for a in links.admin] == [
        ("Ljubljana", "admin1", ADMIN_PATH)
    ]
    nearest = [(p.name, p.direction) for p in links.nearest]
    assert nearest[:4] == [
        ("Ljubljana", "E"),
        ("Črna Vas", "S"),
        ("Brezovica pri Ljubljani", "SW"),
        ("Domžale", "NE"),
    ]
    distances = [p.distance_km for p in links.nearest]
    assert distances == sorted(distances) and 6.0 < distances[1] < 6.7
    assert links.nearest[0].relation == CONTAINS and links.nearest[1].relation == NEARBY
    assert links.town.name == "Ljubljana" and links.anchor.name == "Ljubljana"
    assert [(p.name, p.relation) for p in links.natural] == [("Šmarna gora", NEARBY)]
    assert "geonames:3190538" in links.entity_ids()
    assert links.to_dict()["country"]["bearing_deg"] is None


def test_town_needs_population_and_anchor_prefers_nearby_town(spatial):
    # 3 km from Brezovica (3k people), 4.6 km from Ljubljana (272k): the nearest place is the village, the
    # town is Ljubljana, and a caption names the town (within twice the village's distance).
    links = link_footprint(point_footprint(14.45, 46.035, 500), spatial)
    assert links.nearest[0].name == "Brezovica pri Ljubljani"
    assert links.town.name == "Ljubljana" and links.town.population >= LinkSettings().town_population
    assert links.anchor.name == "Ljubljana"
    # 1.4 km from the village, 6.2 km from the town: the village is the anchor.
    assert (
        link_footprint(point_footprint(14.43, 46.03, 500), spatial).anchor.name == "Brezovica pri Ljubljani"
    )
    strict = link_footprint(
        point_footprint(14.45, 46.035, 500), spatial, LinkSettings(town_population=500_000)
    )
    assert strict.town is None and strict.anchor.name == "Brezovica pri Ljubljani"


def test_polygon_features_and_country_by_admin_path(spatial, make_patch):
    bled = link_footprint(make_patch(14.0937, 46.3625).footprint(), spatial)
    assert ("Lake Bled", OVERLAPS) in [(p.name, p.relation) for p in bled.natural]
    assert "Lake Bled" in [p.name for p in bled.contained]
    assert "Triglav" not in [p.name for p in bled.natural]  # ~20 km away, beyond natural_km
    wide = link_footprint(make_patch(14.0937, 46.3625).footprint(), spatial, LinkSettings(natural_km=25))
    assert "Triglav" in [p.name for p in wide.natural]
    # Croatia has no polygon in this gazetteer: its country comes from Split's admin path.
    split = link_footprint(point_footprint(16.44, 43.52, 1000), spatial)
    assert (split.country.name, split.country.relation) == ("Croatia", ADMIN_PATH)
    assert [a.name for a in split.admin] == ["Split-Dalmatia"]


def test_open_sea_links_nothing_but_says_so(spatial):
    links = link_footprint(point_footprint(-30.0, 40.0, 1000), spatial)
    assert links.country is None and not links.nearest and links.town is None and links.anchor is None


def test_bad_footprints_are_named(spatial):
    with pytest.raises(BadInputError, match="EPSG:4326"):
        link_footprint("POLYGON ((461000 5099000, 462000 5099000, 462000 5100000, 461000 5099000))", spatial)
    with pytest.raises(BadInputError, match="WKT"):
        link_footprint("not a polygon", spatial)
    with pytest.raises(BadInputError, match="longitude"):
        point_footprint(200.0, 10.0)


def test_spatial_gazetteer_is_cached(small_index, small_gazetteer_dir):
    assert spatial_gazetteer(small_index) is spatial_gazetteer(small_gazetteer_dir)


def test_lookup_stays_fast_on_300k_entities():
    """~300k entities (the embedded gazetteer's size): building once and 200 links in well under a second each."""
    import pyarrow as pa

    rng = np.random.default_rng(0)
    n = 300_000
    lat, lon = rng.uniform(35, 60, n), rng.uniform(-10, 30, n)
    types = np.where(rng.random(n) < 0.85, "settlement", "admin2")
    labels = pa.array(np.char.add("P", np.arange(n).astype(str)))
    one_name = pa.StructArray.from_arrays([labels, pa.array(np.full(n, ""))], ["name", "lang"])
    names = pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), one_name)
    table = pa.table(
        {
            "entity_id": pa.array(np.char.add("e", np.arange(n).astype(str))),
            "name": labels,
            "names": names,
            "feature_type": types,
            "country_code": np.full(n, "XX"),
            "admin1_code": np.full(n, ""),
            "admin1_name": np.full(n, ""),
            "admin2_code": np.full(n, ""),
            "admin2_name": np.full(n, ""),
            "population": rng.integers(0, 100_000, n),
            "geometry": pa.nulls(n, pa.binary()),
            "geometry_type": np.full(n, "Point"),
            "lat": lat,
            "lon": lon,
        }
    )
    started = time.perf_counter()
    gazetteer = SpatialGazetteer(table, "synthetic")
    built = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(200):
        links = link_footprint(point_footprint(rng.uniform(-5, 25), rng.uniform(40, 55), 1200), gazetteer)
        assert len(links.nearest) == 5
    per_link = (time.perf_counter() - started) / 200
    # Loose bounds for a shared 2-core machine; measured ~1.5 s to build and ~5 ms per link.
    assert built < 20 and per_link < 0.1, (built, per_link)


def test_split_passages_keeps_offsets(geotext_records):
    record = geotext_records[0]
    parts = split_passages(record, max_chars=90)
    assert len(parts) >= 2 and all(p.passage_id.startswith("test:slovenia#") for p in parts)
    for passage in parts:
        assert passage.text in record["text"]
        for toponym in passage.toponyms:
            assert passage.text[toponym["start"] : toponym["end"]] == toponym["surface"]
    assert sum(len(p.toponyms) for p in parts) == len(record["toponyms"])


def test_passages_rank_specific_places_and_skip_lists(spatial, passages, make_patch):
    links = link_footprint(make_patch(14.50, 46.05).footprint(), spatial)
    found = passages.passages_for(links, limit=5)
    ids = [link.passage.passage_id for link in found]
    # The capital's sentence first (a specific place), the country's next; the list of towns comes last.
    assert found[0].place.name == "Ljubljana" and found[0].how == "entity_id"
    assert "Ljubljana" in found[0].passage.text
    assert found[0].mentions and found[0].mentions[0]["surface"] == "Ljubljana"
    assert ids[-1].startswith("test:towns")
    assert any(link.place.feature_type == "country" for link in found)


def test_passages_by_coordinates_within_km(spatial, passages):
    near = link_footprint(point_footprint(14.41, 46.02, 1000), spatial)
    by_coordinates = [link for link in passages.passages_for(near) if link.how == "coordinates"]
    assert [link.passage.doc_id for link in by_coordinates] == ["test:news"]
    assert by_coordinates[0].distance_km < 1.0
    far = link_footprint(point_footprint(15.64, 46.55, 1000), spatial)  # Maribor: 100 km from the flood
    assert all(link.how != "coordinates" for link in passages.passages_for(far))


def test_empty_passage_index(spatial):
    index = PassageIndex([])
    assert len(index) == 0
    assert index.passages_for(link_footprint(point_footprint(14.5, 46.05, 1000), spatial)) == []


def test_mislabelled_country_names_are_not_linked(spatial, small_index, make_patch):
    """A distant label that put a country's name on a nearby village (as "Luxembourg" on the Paris district
    "Paris 06 Luxembourg") must not link the passage to the village, by id or by coordinates."""
    from data_builders.geotext.schema import make_record, make_toponym

    village = next(c for c in small_index.lookup("Črna Vas", top_k=3) if c.feature_type == "settlement")
    text = "Exports go mostly to Croatia."
    start = text.index("Croatia")
    wrong = make_toponym(
        text,
        start,
        start + 7,
        entity_id=village.entity_id,
        lat=village.lat,
        lon=village.lon,
        label_source="distant",
    )
    index = PassageIndex.from_records([make_record("bad:1", text, source="t", toponyms=[wrong])])
    links = link_footprint(make_patch(14.47, 46.0).footprint(), spatial)
    assert village.entity_id in links.entity_ids()
    assert index.passages_for(links, country_names=spatial.country_names) == []
    assert "croatia" in spatial.country_names and "slovénie" in spatial.country_names
