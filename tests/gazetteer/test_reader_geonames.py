"""The GeoNames reader on excerpts of the dump files written here in their real formats, malformed rows included."""

from __future__ import annotations

import functools
import gzip
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from data_builders.gazetteer.geonames import read_geonames
from data_builders.gazetteer.report import BuildReport
from georeset.errors import BadInputError


def _row(gid, name, ascii_name, alternates, lat, lon, fclass, fcode, cc, a1="", a2="", pop="0") -> str:
    return "\t".join(
        [str(gid), name, ascii_name, alternates, str(lat), str(lon), fclass, fcode, cc, "", a1, a2, "", "",
         str(pop), "", "27", "Europe/Paris", "2024-03-11"]
    )  # fmt: skip


GOOD_ROWS = [
    _row(2992166, "Montpellier", "Montpellier", "Clapas,MPL,Montpelhièr", 43.61092, 3.87723, "P", "PPLA2", "FR",
         "76", "34", 248252),
    _row(2988507, "Paris", "Paris", "Lutetia,Paname", 48.85341, 2.3488, "P", "PPLC", "FR", "11", "75", 2138551),
    _row(4717560, "Paris", "Paris", "", 33.66094, -95.55551, "P", "PPLA2", "US", "TX", "277", 24782),
    _row(3017382, "French Republic", "French Republic", "France,Frankreich", 46.0, 2.0, "A", "PCLI", "FR",
         "00", "", 66987244),
    _row(2993458, "Monaco", "Monaco", "", 43.73333, 7.41667, "P", "PPLC", "MC", "", "", "not-a-number"),
    _row(6255148, "", "Europe", "", 48.69096, 9.14062, "L", "CONT", "", "", "", 0),  # empty name: ascii name
    _row(2974842, "Sète", "Sete", "", 43.40280, 3.69278, "P", "PPLA3", "FR", "76", "34", 43620),
]  # fmt: skip
BAD_ROWS = [
    "\t".join(GOOD_ROWS[0].split("\t")[:18]),  # 18 columns
    _row(1, "Nowhere", "Nowhere", "", "north", 3.0, "P", "PPL", "FR"),  # non-numeric latitude
    _row(2, "Pole+", "Pole+", "", 91.5, 3.0, "P", "PPL", "FR"),  # latitude out of range
    _row("x3", "Bad id", "Bad id", "", 1.0, 1.0, "P", "PPL", "FR"),  # geonameid not an integer
    _row(4, "", "", "", 1.0, 1.0, "P", "PPL", "FR"),  # no name at all
]
LATIN1_ROW = _row(2993000, "Béziers", "Beziers", "", 43.34122, 3.21402, "P", "PPLA3", "FR", "76", "34", 74811)

ALTERNATE_ROWS = [
    "1\t2992166\tfr\tMontpellier\t1\t\t\t\t\t",
    "2\t2992166\toc\tMontpelhièr\t1\t\t\t\t\t",
    "3\t2992166\tlink\thttps://en.wikipedia.org/wiki/Montpellier\t\t\t\t\t\t",
    "4\t2992166\tlink\thttps://fr.wikipedia.org/wiki/Montpellier\t\t\t\t\t\t",
    "5\t2992166\twkdt\tQ6441\t\t\t\t\t\t",
    "6\t2992166\tpost\t34000\t\t\t\t\t\t",
    "7\t2992166\tiata\tMPL\t\t\t\t\t\t",
    "8\t2992166\tabbr\tMtp\t\t\t\t\t\t",
    "9\t2992166\tla\tMons Pessulanus\t\t\t\t1\t\t1800",
    "10\t2992166\ten\tMontpel\t\t1\t1\t\t\t",
    "11\t2992166\tphon\tmɔ̃pəlje\t\t\t\t\t\t",  # a pronunciation: not kept
    "17\t2992166\tfr_1793\tMontpellier-la-Montagne\t\t\t\t\t\t",
    "12\t4717560\tlink\thttps://de.wikipedia.org/wiki/Paris_(Texas)\t\t\t\t\t\t",
    "13\t3017382\ten\tFrance\t1\t1\t\t",  # the older 8-column format
    "14\t2992166\tfr\t",  # truncated row
    "15\tabc\tfr\tNowhere\t\t\t\t\t\t",  # geonameid not an integer
    "16\t2992166\tde\t\t\t\t\t\t\t",  # empty name
]
ADMIN1_ROWS = [
    "FR.76\tOccitanie\tOccitanie\t11071623",
    "US.TX\tTexas\tTexas\t4736286",
    "FR.11\tÎle-de-France",
]
ADMIN2_ROWS = ["FR.76.34\tHérault\tHerault\t3013500", "US.TX.277\tLamar County\tLamar County\t4705086"]
COUNTRY_INFO = [
    "# GeoNames.org Country Information",
    "#ISO\tISO3\tISO-Numeric\tfips\tCountry\tCapital\tArea(in sq km)\tPopulation\tContinent\ttld\tCurrencyCode"
    "\tCurrencyName\tPhone\tPostal Code Format\tPostal Code Regex\tLanguages\tgeonameid\tneighbours"
    "\tEquivalentFipsCode",
    "FR\tFRA\t250\tFR\tFrance\tParis\t547030\t66987244\tEU\t.fr\tEUR\tEuro\t33\t#####\t^(\\d{5})$\tfr-FR,frp,br\t"
    "3017382\tCH,DE,BE,LU,IT,AD,MC,ES\t",
    "XX\tbroken",
]
HIERARCHY_ROWS = ["3017382\t11071623\tADM", "11071623\t3013500\tADM", "3013500\t2992166\tADM", "oops"]


def _write(path: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(rows) + "\n", encoding=encoding)
    return path


def _main_file(folder: Path) -> Path:
    path = folder / "cities500.txt"
    body = ("\n".join(["# a comment line", *GOOD_ROWS[:4], *BAD_ROWS, *GOOD_ROWS[4:]]) + "\n").encode("utf-8")
    path.write_bytes(body + (LATIN1_ROW + "\n").encode("latin-1"))
    return path


def test_main_file_alone(tmp_path: Path) -> None:
    report = BuildReport()
    records = {r.record_id: r for r in read_geonames(_main_file(tmp_path), report)}
    assert len(records) == len(GOOD_ROWS) + 1  # + the latin-1 row, repaired

    montpellier = records["geonames:2992166"]
    assert (montpellier.name, montpellier.lat, montpellier.lon) == ("Montpellier", 43.61092, 3.87723)
    assert montpellier.feature_type == "settlement" and montpellier.feature_code == "P.PPLA2"
    assert (montpellier.country_code, montpellier.admin1_code, montpellier.admin2_code) == ("FR", "76", "34")
    assert montpellier.population == 248252 and montpellier.geonames_id == 2992166
    assert montpellier.admin1_name == ""  # no admin code files given
    assert {"Clapas", "MPL", "Montpelhièr"} <= {n.name for n in montpellier.names}
    assert montpellier.names[0].is_preferred and montpellier.names[0].name == "Montpellier"

    assert records["geonames:3017382"].feature_type == "country"
    assert (
        records["geonames:6255148"].name == "Europe"
        and records["geonames:6255148"].feature_type == "continent"
    )
    assert records["geonames:2993458"].population == 0
    assert records["geonames:2993000"].name == "Béziers"  # decoded as cp1252

    rejected = {reason: n for (_, reason), n in report.rejected.items()}
    assert rejected == {
        "wrong column count (expected 19)": 1,
        "non-numeric coordinates": 1,
        "coordinates out of range": 1,
        "geonameid not an integer": 1,
        "no name": 1,
    }
    repaired = {reason: n for (_, reason), n in report.repaired.items()}
    assert repaired == {
        "population not an integer, set to 0": 1,
        "line not valid UTF-8, decoded as cp1252": 1,
    }
    assert report.read["geonames"] == len(records)
    assert any(
        "Nowhere" in e or "north" in e
        for e in report.examples[("rejected", "geonames", "non-numeric coordinates")]
    )


def test_joined_with_side_files(tmp_path: Path) -> None:
    report = BuildReport()
    records = {
        r.record_id: r
        for r in read_geonames(
            _main_file(tmp_path),
            report,
            alternate_names=_write(tmp_path / "alternateNamesV2.txt", ALTERNATE_ROWS),
            admin1_codes=_write(tmp_path / "admin1CodesASCII.txt", ADMIN1_ROWS),
            admin2_codes=_write(tmp_path / "admin2Codes.txt", ADMIN2_ROWS),
            country_info=_write(tmp_path / "countryInfo.txt", COUNTRY_INFO),
            hierarchy=_write(tmp_path / "hierarchy.txt", HIERARCHY_ROWS),
        )
    }
    montpellier = records["geonames:2992166"]
    assert montpellier.admin1_name == "Occitanie" and montpellier.admin2_name == "Hérault"
    assert montpellier.wikidata_id == "Q6441" and montpellier.wikipedia == "en:Montpellier"
    assert montpellier.parent_ids == ["geonames:3013500"]
    names = {(n.name, n.lang): n for n in montpellier.names}
    assert names[("Montpelhièr", "oc")].is_preferred
    assert ("34000", "code") in names and ("MPL", "code") in names and ("Mtp", "abbr") in names
    assert names[("Mons Pessulanus", "la")].is_historic
    assert names[("Montpellier-la-Montagne", "fr")].is_historic
    assert names[("Montpel", "en")].is_short and names[("Montpel", "en")].is_colloquial
    assert not any(n.lang in ("link", "wkdt", "phon", "post", "iata") for n in montpellier.names)
    assert not any("wikipedia.org" in n.name for n in montpellier.names)
    assert "Clapas" not in {n.name for n in montpellier.names}  # the language-less column is replaced

    paris_texas = records["geonames:4717560"]
    assert paris_texas.admin1_name == "Texas" and paris_texas.admin2_name == "Lamar County"
    assert paris_texas.wikipedia == "de:Paris (Texas)"  # no English link: another language's
    sete = records["geonames:2974842"]  # no alternate names: the main file's column is kept
    assert sete.admin2_name == "Hérault" and sete.wikidata_id == ""
    france = records["geonames:3017382"]
    assert {("FR", "code"), ("FRA", "code"), ("France", "en"), ("France", "")} <= {
        (n.name, n.lang) for n in france.names
    }
    assert records["geonames:2988507"].admin1_name == ""  # its admin1 row was malformed, hence rejected

    rejected = {(source, reason): n for (source, reason), n in report.rejected.items()}
    assert (
        rejected[("geonames:alternateNames", "wrong column count (expected 10, or 8 in the old format)")] == 1
    )
    assert rejected[("geonames:alternateNames", "geonameid not an integer")] == 1
    assert rejected[("geonames:alternateNames", "empty alternate name")] == 1
    assert rejected[("geonames:countryInfo", "fewer than 17 columns")] == 1
    assert rejected[("geonames:hierarchy", "not parent<TAB>child<TAB>type")] == 1
    assert sum(n for (source, _), n in rejected.items() if source == "geonames:admin1") == 1


def test_official_zip_and_gzip(tmp_path: Path) -> None:
    plain = _main_file(tmp_path)
    archive = tmp_path / "cities500.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr("readme.txt", "GeoNames cities500\n")
        out.write(plain, "cities500.txt")
    compressed = tmp_path / "cities500.txt.gz"
    compressed.write_bytes(gzip.compress(plain.read_bytes()))
    expected = [r.record_id for r in read_geonames(plain, BuildReport())]
    assert [r.record_id for r in read_geonames(archive, BuildReport())] == expected
    assert [r.record_id for r in read_geonames(compressed, BuildReport())] == expected


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_read_from_url(tmp_path: Path, http_folder: str) -> None:
    plain = _main_file(tmp_path)
    (tmp_path / "FR.txt.gz").write_bytes(gzip.compress(plain.read_bytes()))
    with zipfile.ZipFile(tmp_path / "FR.zip", "w") as out:
        out.write(plain, "FR.txt")
    expected = [r.record_id for r in read_geonames(plain, BuildReport())]
    assert [r.record_id for r in read_geonames(f"{http_folder}/FR.txt.gz", BuildReport())] == expected
    assert [r.record_id for r in read_geonames(f"{http_folder}/FR.zip", BuildReport())] == expected
    with pytest.raises(BadInputError, match="cannot be downloaded"):
        list(read_geonames(f"{http_folder}/missing.txt", BuildReport()))


def test_bad_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file"):
        list(read_geonames(tmp_path / "allCountries.txt", BuildReport()))
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    with pytest.raises(BadInputError, match="not a valid zip archive"):
        list(read_geonames(tmp_path / "broken.zip", BuildReport()))


def test_truncated_and_corrupt_archives(tmp_path: Path) -> None:
    rows = [_row(i, f"Place {i}", f"Place {i}", "", 1.0, 1.0, "P", "PPL", "FR") for i in range(1, 5001)]
    data = gzip.compress(("\n".join(rows) + "\n").encode("utf-8"))
    truncated = tmp_path / "allCountries.txt.gz"
    truncated.write_bytes(data[: len(data) // 2])
    report = BuildReport()
    records = list(read_geonames(truncated, report))
    assert 0 < len(records) < 5000  # what came before the break stands
    assert report.rejected[("geonames", "file truncated or corrupt: the rest is unreadable")] == 1
    not_gzip = tmp_path / "cities500.txt.gz"
    not_gzip.write_bytes(b"geonameid\tname\n")
    with pytest.raises(BadInputError, match="cities500.txt.gz: cannot be read"):
        list(read_geonames(not_gzip, BuildReport()))
