"""coverage_cap on a hand-made index: distance threshold, polygon footprints, missing names, lookup caching."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from shapely import Polygon

from data_builders.geotext.corpora import GoldToponym
from eval.geoparsing.coverage import CoverageChecker, coverage_cap


class FakeIndex:
    """An index with a few candidates; a big square 'Texas' polygon whose point lies far from the gold point."""

    def __init__(self):
        self.lookups = []
        self.entries = {
            "Paris": [
                SimpleNamespace(entity_id="paris-tx", lat=33.66, lon=-95.56, bbox=None, has_polygon=False),
                SimpleNamespace(entity_id="paris-fr", lat=48.8534, lon=2.3488, bbox=None, has_polygon=False),
            ],
            "Texas": [
                SimpleNamespace(
                    entity_id="texas",
                    lat=31.0,
                    lon=-100.0,
                    bbox={"xmin": -107, "ymin": 25, "xmax": -93, "ymax": 37},
                    has_polygon=True,
                )
            ],
            "Lyon": [SimpleNamespace(entity_id="lyon-far", lat=47.5, lon=4.8, bbox=None, has_polygon=False)],
        }

    def lookup(self, name, top_k=50, fuzzy=True):
        self.lookups.append((name, top_k, fuzzy))
        return self.entries.get(name, [])

    def geometry(self, entity_id):
        assert entity_id == "texas"
        return Polygon([(-107, 25), (-93, 25), (-93, 37), (-107, 37)])


def topo(text, lat, lon):
    return GoldToponym(0, len(text), text, lat, lon)


def test_coverage_cap_hand_computed():
    index = FakeIndex()
    toponyms = [
        topo("Paris", 48.8566, 2.3522),  # covered: the French candidate is < 1 km away
        topo("Texas", 35.5, -106.0),  # covered: inside the polygon though ~700 km from its point
        topo("Lyon", 45.76, 4.84),  # not covered: the only candidate is ~194 km away
        topo("Atlantis", 0.0, 0.0),  # not covered: no candidate
        GoldToponym(0, 4, "Nowhere"),  # no gold coordinates: not counted
    ]
    assert coverage_cap(index, toponyms) == pytest.approx(2 / 4)
    assert ("Paris", 50, True) in index.lookups


def test_nearest_distances_and_cache():
    index = FakeIndex()
    checker = CoverageChecker(index)
    assert checker.nearest_km(topo("Texas", 35.5, -106.0)) == 0.0
    assert checker.nearest_km(topo("Texas", 45.0, -100.0)) == pytest.approx(1556.9, abs=1.0)  # outside bbox
    assert checker.nearest_km(topo("Lyon", 45.76, 4.84)) == pytest.approx(193.5, abs=1.0)
    assert checker.nearest_km(topo("Atlantis", 0.0, 0.0)) is None
    assert [name for name, _, _ in index.lookups].count("Texas") == 1
    with pytest.raises(ValueError, match="no coordinates"):
        checker.nearest_km(GoldToponym(0, 4, "Nowhere"))
    assert coverage_cap(index, [GoldToponym(0, 4, "Nowhere")]) is None
