"""Country names by ISO code, for admin paths and for noticing a candidate's country named in the text."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=512)
def country_names(country_code: str) -> tuple[str, ...]:
    """English names of a country (common name first), or `()` for an unknown code.

    pycountry carries ISO names ("Korea, Republic of"); the short form before the comma is also how texts write it.
    """
    import pycountry

    record = pycountry.countries.get(alpha_2=(country_code or "").upper()) if country_code else None
    if record is None:
        return ()
    names = [getattr(record, "common_name", None), record.name, getattr(record, "official_name", None)]
    names += [n.split(",")[0] for n in names if n and "," in n]
    return tuple(dict.fromkeys(n for n in names if n))


def country_display_name(country_code: str) -> str:
    """The name to show for a country code, or the code itself when pycountry does not know it."""
    names = country_names(country_code)
    return names[0] if names else country_code


__all__ = ["country_display_name", "country_names"]
