"""The mappings of each source's categories to the shared feature types."""

from __future__ import annotations

import pytest

from data_builders.gazetteer.taxonomy import (
    FEATURE_TYPES,
    WIKIDATA_CLASSES,
    from_geonames,
    from_naturalearth,
    from_osm_tags,
    from_wikidata_classes,
)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"place": "city"}, "settlement"),
        ({"place": "suburb"}, "locality"),
        ({"place": "island"}, "island"),
        ({"boundary": "administrative", "admin_level": "2"}, "country"),
        ({"boundary": "administrative", "admin_level": "4"}, "admin1"),
        ({"boundary": "administrative", "admin_level": "6"}, "admin2"),
        ({"boundary": "administrative", "admin_level": "8"}, "admin3"),
        ({"boundary": "administrative", "admin_level": "x"}, "admin3"),
        ({"boundary": "national_park"}, "protected_area"),
        ({"leisure": "nature_reserve"}, "protected_area"),
        ({"natural": "peak"}, "mountain"),
        ({"natural": "water", "water": "lake"}, "water"),
        ({"natural": "bay"}, "water"),
        ({"waterway": "river"}, "river"),
        ({"landuse": "reservoir"}, "water"),
        ({"landuse": "forest"}, "landuse"),
        ({"leisure": "park"}, "landuse"),
        ({"aeroway": "aerodrome"}, "transport"),
        ({"railway": "station"}, "transport"),
        ({"highway": "primary"}, "transport"),
        ({"historic": "castle"}, "poi"),
        ({"amenity": "university"}, "poi"),
        ({"place": "square", "highway": "pedestrian"}, "locality"),
        ({"shop": "bakery"}, None),
        ({"amenity": "cafe"}, None),
        ({"highway": "bus_stop"}, None),
        ({"route": "bus"}, None),
        ({"building": "no"}, None),
        ({}, None),
    ],
)
def test_osm_tags(tags: dict, expected: str | None) -> None:
    assert from_osm_tags(tags) == expected


def test_wikidata_classes() -> None:
    assert from_wikidata_classes(["Q484170", "Q515", "Q6465"]) == "settlement"  # Paris: city beats department
    assert from_wikidata_classes(["Q6256", "Q3624078"]) == "country"
    assert from_wikidata_classes(["Q4022"]) == "river"
    assert from_wikidata_classes(["Q5", "Q123456789"]) == "other"
    assert from_wikidata_classes([]) == "other"
    assert set(WIKIDATA_CLASSES.values()) <= set(FEATURE_TYPES)


@pytest.mark.parametrize(
    ("layer", "featurecla", "expected"),
    [
        ("ne_10m_populated_places", "Admin-0 capital", "settlement"),
        ("ne_10m_populated_places", "Scientific station", "poi"),
        ("ne_50m_admin_0_countries", "Admin-0 country", "country"),
        ("ne_10m_admin_0_countries_deu", "Admin-0 country", "country"),
        ("ne_10m_admin_1_label_points", "Admin-1 scale rank", "admin1"),
        ("ne_10m_airports", "Airport", "transport"),
        ("ne_10m_ports", "Port", "transport"),
        ("ne_10m_lakes", "Reservoir", "water"),
        ("ne_10m_rivers_lake_centerlines", "Lake Centerline", "river"),
        ("ne_10m_geography_regions_polys", "Range/mtn", "mountain"),
        ("ne_10m_geography_regions_polys", "Island group", "island"),
        ("ne_10m_geography_regions_polys", "Continent", "continent"),
        ("ne_10m_geography_regions_polys", "Desert", "landform"),
        ("ne_10m_geography_regions_polys", "Geoarea", "region"),
        ("ne_10m_geography_regions_elevation_points", "mountain", "mountain"),
        ("ne_10m_geography_marine_polys", "gulf", "water"),
        ("ne_10m_geography_marine_polys", "river", "river"),
        ("ne_10m_parks_and_protected_lands_area", "National Park Service", "protected_area"),
        ("ne_10m_minor_islands", "Minor island", "island"),
    ],
)
def test_naturalearth(layer: str, featurecla: str, expected: str) -> None:
    assert from_naturalearth(layer, {"featurecla": featurecla}) == expected


def test_geonames_is_unchanged() -> None:
    assert from_geonames("P", "PPLA") == "settlement"
    assert from_geonames("A", "ADM1") == "admin1"
    assert from_geonames("H", "STM") == "river"
