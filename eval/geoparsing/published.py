"""Published figures on the standard corpora, printed beside georeset's own.

Gritta et al., "Which Melbourne? Augmenting Geocoding with Maps", ACL 2018, Table 1: each system scored on the
toponyms it recognised itself (not gold spans), with the full GeoNames. Mordecai 3 (Halterman 2023) was scored
with gold toponyms given. Acc@161km as a share in [0, 1]; AUC lower is better.
"""

from __future__ import annotations

PUBLISHED: dict[str, dict[str, dict[str, float]]] = {
    "lgl": {
        "CamCoder": {"acc_at_161km": 0.76, "auc": 0.22},
        "Edinburgh Geoparser": {"acc_at_161km": 0.76},
        "CLAVIN": {"acc_at_161km": 0.71},
        "population baseline": {"acc_at_161km": 0.70},
        "Mordecai 3 (gold toponyms)": {"acc_at_161km": 0.827},
    },
    "wiktor": {
        "CamCoder": {"acc_at_161km": 0.65, "auc": 0.33},
        "Edinburgh Geoparser": {"acc_at_161km": 0.42},
        "CLAVIN": {"acc_at_161km": 0.16},
        "population baseline": {"acc_at_161km": 0.22},
    },
    "geovirus": {
        "CamCoder": {"acc_at_161km": 0.82, "auc": 0.31},
        "Edinburgh Geoparser": {"acc_at_161km": 0.78},
        "CLAVIN": {"acc_at_161km": 0.79},
        "population baseline": {"acc_at_161km": 0.80},
    },
}

SOURCES = {
    "gritta2018": "Gritta et al., Which Melbourne? Augmenting Geocoding with Maps, ACL 2018, Table 1",
    "mordecai3": "Halterman, Mordecai 3: A Neural Geoparser and Event Geocoder, 2023",
}


def published_figures(corpus: str) -> dict[str, dict[str, float]]:
    """Published figures for a corpus short name (`lgl`, `geovirus`, `wiktor`); empty for other corpora."""
    return PUBLISHED.get(corpus, {})


__all__ = ["PUBLISHED", "SOURCES", "published_figures"]
