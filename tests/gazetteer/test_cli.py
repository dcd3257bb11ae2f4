"""`georeset gazetteer build | lookup | info` on a small Natural Earth layer written by the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from georeset import cli
from georeset.errors import BadInputError


def main(argv: list[str]) -> int:
    """The real `georeset` entry point (it imports only the gazetteer command's module for these argv)."""
    return cli.main(argv)


PLACES = [
    ("Montpellier", 43.611, 3.877, 2992166, "Q6441", 248252, "FR"),
    ("Paris", 48.857, 2.352, 2988507, "Q90", 2138551, "FR"),
    ("Paris", 33.661, -95.556, 4717560, "Q830149", 24782, "US"),
    ("Saint Petersburg", 59.939, 30.314, 498817, "Q656", 5351935, "RU"),
]


def write_places(path: Path) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {
                "NAME": name,
                "NE_ID": 1159150000 + i,
                "GEONAMEID": geonameid,
                "WIKIDATAID": qid,
                "POP_MAX": population,
                "ISO_A2": country,
                "FEATURECLA": "Populated place",
            },
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }
        for i, (name, lat, lon, geonameid, qid, population, country) in enumerate(PLACES)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    layer = write_places(folder / "ne_10m_populated_places.json")
    out = folder / "gazetteer"
    assert (
        main(
            [
                "gazetteer",
                "build",
                "--out",
                str(out),
                "--sources",
                f"naturalearth:{layer}",
                "--shard-rows",
                "2",
                "--quiet",
            ]
        )
        == 0
    )
    return out


def test_build_writes_the_folder(built, capsys):
    assert sorted(p.name for p in (built / "data").iterdir()) == [
        "entities-00000-of-00002.parquet",
        "entities-00001-of-00002.parquet",
    ]
    assert (built / "index").is_dir() and (built / "README.md").is_file()


def test_lookup_table_and_json(built, capsys):
    assert main(["gazetteer", "lookup", "Paris", "--gazetteer", str(built)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:3] == ["#", "name", "matched"]
    assert "geonames:2988507" in table and "geonames:4717560" in table
    assert (
        main(["gazetteer", "lookup", "St. Petersburg", "--gazetteer", str(built), "--json", "--top", "1"])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert [r["entity_id"] for r in rows] == ["geonames:498817"] and rows[0]["match_type"] == "exact"


def test_lookup_without_match_and_filters(built, capsys):
    assert main(["gazetteer", "lookup", "Atlantis", "--gazetteer", str(built), "--no-fuzzy"]) == 1
    assert "no candidate for 'Atlantis'" in capsys.readouterr().out
    assert main(["gazetteer", "lookup", "Paris", "--gazetteer", str(built), "--country", "US", "--json"]) == 0
    assert [r["country_code"] for r in json.loads(capsys.readouterr().out)] == ["US"]


def test_info(built, capsys):
    assert main(["gazetteer", "info", "--gazetteer", str(built)]) == 0
    out = capsys.readouterr().out
    assert "entities: 4 from 4 records" in out and "naturalearth 4" in out
    assert main(["gazetteer", "info", "--gazetteer", str(built), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["entities"] == 4


@pytest.mark.parametrize(
    "argv, message",
    [
        (["gazetteer", "build", "--sources", "atlas:x.txt"], "unknown source 'atlas'"),
        (["gazetteer", "build", "--sources", "geonames"], "geonames needs a file or URL"),
        (["gazetteer", "build", "--sources", "geonames:/no/such/cities500.zip"], "no such file"),
        (["gazetteer", "lookup", "Paris", "--gazetteer", "/no/such/folder"], "georeset gazetteer build"),
        (["gazetteer", "info", "--gazetteer", "/no/such/folder"], "georeset gazetteer build"),
        (["gazetteer", "lookup", "Paris", "--top", "0"], "--top 0"),
    ],
)
def test_bad_input_gives_one_clear_error(argv, message, capsys, tmp_path):
    if argv[1] == "build":
        argv = [*argv, "--out", str(tmp_path / "out"), "--quiet"]
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith("georeset: error:") and message in error
    assert not (tmp_path / "out").exists()


def test_source_specs_accept_urls_options_and_lists(tmp_path):
    from data_builders.gazetteer.source_specs import parse_sources

    (tmp_path / "cities500.zip").write_bytes(b"")
    (tmp_path / "admin1CodesASCII.txt").write_text("")
    specs = parse_sources(
        [
            "embedded:cities500+admin,geonames:https://download.geonames.org/export/dump/cities500.zip;hierarchy=h.zip",
            f"geonames:{tmp_path / 'cities500.zip'}",
        ]
    )
    assert [(s.name, s.location, s.options) for s in specs] == [
        ("embedded", "cities500+admin", {}),
        ("geonames", "https://download.geonames.org/export/dump/cities500.zip", {"hierarchy": "h.zip"}),
        ("geonames", str(tmp_path / "cities500.zip"), {}),
    ]
    for spec in specs:
        assert callable(spec.reader())
    with pytest.raises(BadInputError, match="not KEY=VALUE"):
        parse_sources("geonames:x.zip;hierarchy")
    with pytest.raises(BadInputError, match="unknown option"):
        parse_sources("geonames:x.zip;colour=blue")[0].reader()
    with pytest.raises(BadInputError, match="unknown embedded source"):
        parse_sources("embedded:atlantis")[0].reader()


def test_default_naturalearth_source_reads_the_shared_layers(shared_data):
    import itertools

    from data_builders.gazetteer.report import BuildReport
    from data_builders.gazetteer.source_specs import parse_sources

    if not (shared_data / "naturalearth").is_dir():
        pytest.skip("../shared/data/naturalearth is absent")
    report = BuildReport()
    records = list(itertools.islice(parse_sources("naturalearth")[0].reader()(report, False), 200))
    assert len(records) == 200 and all(r.source == "naturalearth" for r in records)
    assert report.read["naturalearth"] == 200
