"""Instruction examples from patches: captions, land-cover QA, location QA and geotext-grounded descriptions.

One row per (patch, task, language, n), with the patch's pixels in physical units, in the layout of `schema.py`.
What each task needs:

| task | needs | from |
|---|---|---|
| caption | labels and/or a footprint | labels + `link.link_footprint` |
| land_cover | labels (multi-label aware; shares when a per-pixel label mask comes with them) | `Patch.labels` |
| location | a footprint and a gazetteer | country, admin units, nearest town, natural features |
| geotext | a footprint, a gazetteer and passages | `link.PassageIndex.passages_for`, quoted verbatim |
| classification | a dominant class (>= half the labelled pixels, or a single label) of a known nomenclature | the closed-set prompt of zero-shot evaluation: the class among <= 10 of its nomenclature |

So a patch without georeferencing gets only label tasks, a patch without labels only location tasks (and a
place-only caption). Every example is a deterministic function of (seed, patch, task, language, n); its
provenance records the source file, the template ids, the gazetteer ids and the passages it used.

Pixels (`prepare_pixels`): converted to physical units (Sentinel-2 digital numbers / 10,000 = reflectance,
Sentinel-1 dB as they are, 8-bit RGB / 255), then made square by a centred crop of the longer side (at most a
few pixels for real patches) and resampled to the builder's size by exact area averaging. Resampling rather than
cropping keeps the whole labelled footprint, so patch-level labels stay true; `gsd_m` grows by the same factor
(BigEarthNet's 120 px at 10 m become 64 px at 18.75 m). Nodata pixels are left out of the averages; output pixels
with no valid input are 0 and their share is recorded in the provenance.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from data_builders.imagery import templates as T
from data_builders.imagery.link import (
    CONTAINS,
    LinkSettings,
    PassageIndex,
    PassageLink,
    PlaceLinks,
    SpatialGazetteer,
    link_footprint,
    sentence_spans,
)
from data_builders.imagery.patch import Patch
from data_builders.imagery.schema import LANGUAGES, TASKS
from georeset.errors import BadInputError

# Sensor -> (unit name, factor from the file's units to physical units).
PHYSICAL_UNITS: dict[str, tuple[str, float]] = {
    "s2_l1c": ("reflectance", 1e-4),
    "s2_l2a": ("reflectance", 1e-4),
    "s1": ("backscatter_db", 1.0),
    "rgb": ("fraction_of_255", 1.0 / 255.0),
}
NOMINAL_GSD_M = 10.0  # Sentinel-1/-2 10 m grids: the GSD assumed for a patch without georeferencing
NEAR_KM = (
    10.0  # captions say "near <place>" only within this distance; beyond, they give distance and direction
)
MAX_QUOTE_CHARS = 320
# Classification examples: a class is the one right answer when it covers at least half of the labelled pixels;
# the options list it among at most 10 classes of its nomenclature (a closed-set prompt of common size).
DOMINANT_SHARE = 0.5
MAX_OPTIONS = 10
LABEL_TASKS = frozenset({"land_cover", "classification"})  # tasks made from labels alone, with no place links
MAX_QUOTE_SENTENCES = 2


@dataclass(frozen=True)
class InstructionSettings:
    """What the builder makes.

    Attributes:
        patch_size: side of the stored square pixels.
        languages: languages of the examples (each in `schema.LANGUAGES`).
        tasks: tasks to make (each in `schema.TASKS`).
        examples_per_task: examples per (patch, task, language), each drawn from different templates when there
            are enough.
        qa_turns: question/answer pairs per land-cover or location conversation.
        passages_per_patch: geotext examples use up to this many linked passages (one per example).
        passage_km: passages whose toponyms are known only by coordinates are linked within this distance.
        seed: the seed that, with the patch id, fixes every choice.
    """

    patch_size: int = 64
    languages: tuple[str, ...] = LANGUAGES
    tasks: tuple[str, ...] = TASKS
    examples_per_task: int = 1
    qa_turns: int = 3
    passages_per_patch: int = 2
    passage_km: float = 5.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.patch_size, int) or not 8 <= self.patch_size <= 1024:
            raise BadInputError(
                f"--patch-size {self.patch_size}: use a whole number of pixels from 8 to 1024"
            )
        unknown = [lang for lang in self.languages if lang not in LANGUAGES]
        if unknown or not self.languages:
            raise BadInputError(f"--languages {list(self.languages)}: choose among {', '.join(LANGUAGES)}")
        bad_tasks = [task for task in self.tasks if task not in TASKS]
        if bad_tasks or not self.tasks:
            raise BadInputError(f"tasks {list(self.tasks)}: choose among {', '.join(TASKS)}")
        if self.examples_per_task < 1 or self.qa_turns < 1 or self.passages_per_patch < 0:
            raise BadInputError(
                "examples_per_task and qa_turns must be 1 or more, passages_per_patch 0 or more"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "patch_size": self.patch_size,
            "languages": list(self.languages),
            "tasks": list(self.tasks),
            "examples_per_task": self.examples_per_task,
            "qa_turns": self.qa_turns,
            "passages_per_patch": self.passages_per_patch,
            "passage_km": self.passage_km,
            "seed": self.seed,
        }


# ---------------------------------------------------------------------------------------------------- pixels


@dataclass
class PreparedPixels:
    """A patch's pixels as stored: physical units, square, `size` pixels a side."""

    pixels: np.ndarray
    gsd_m: float
    footprint_wkt: str
    crop: tuple[int, int, int]  # (first row, first column, side) of the square taken from the original
    original_shape: tuple[int, int]
    units: str
    nodata_fraction: float
    label_fractions: dict[str, float] = field(default_factory=dict)


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix whose rows average the input cells each output cell covers (exact area overlap)."""
    edges = np.arange(n_out + 1) * (n_in / n_out)
    cells = np.arange(n_in)
    overlap = np.minimum(edges[1:, None], cells[None, :] + 1) - np.maximum(edges[:-1, None], cells[None, :])
    return np.clip(overlap, 0.0, None)


def _gsd_m(patch: Patch) -> float:
    """Pixel size in metres of the patch's grid (nominal 10 m without georeferencing)."""
    if not patch.georeferenced:
        return float(patch.extra.get("gsd_m") or NOMINAL_GSD_M)
    a, b, _, d, e, _ = patch.transform
    size = (math.hypot(a, d) + math.hypot(b, e)) / 2
    from pyproj import CRS

    crs = CRS.from_user_input(patch.crs)
    if crs.is_geographic:  # degrees: metres at the patch's latitude
        footprint = patch.footprint()
        lat = footprint.centroid.y if footprint is not None else 0.0
        return size * 111_320.0 * math.sqrt(max(math.cos(math.radians(lat)), 1e-6))
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return size * factor


def prepare_pixels(patch: Patch, size: int) -> PreparedPixels:
    """Physical units, centred square crop, area resampling to `size` (see the module docstring).

    Raises:
        BadInputError: an unknown sensor, or no valid pixel at all (all nodata / NaN).
    """
    if patch.sensor not in PHYSICAL_UNITS:
        raise BadInputError(f"patch {patch.id}: no physical units known for sensor {patch.sensor!r}")
    units, factor = PHYSICAL_UNITS[patch.sensor]
    height, width = patch.pixels.shape[1:]
    side = min(height, width)
    row0, col0 = (height - side) // 2, (width - side) // 2
    raw = np.asarray(patch.pixels[:, row0 : row0 + side, col0 : col0 + side], dtype=np.float64)
    valid = np.isfinite(raw)
    if patch.nodata is not None and not (isinstance(patch.nodata, float) and math.isnan(patch.nodata)):
        valid &= raw != patch.nodata
    if not valid.any():
        raise BadInputError(f"patch {patch.id} ({patch.path}): every pixel is nodata")
    weights = _area_weights(side, size)
    values = np.where(valid, raw * factor, 0.0)
    # Two matrix products per band (rows, then columns): separable, so O(size * side^2), not O(size^2 * side^2).
    total = weights @ values @ weights.T
    cover = weights @ valid.astype(np.float64) @ weights.T
    pixels = np.where(cover > 0, total / np.maximum(cover, 1e-12), 0.0).astype(np.float32)

    transform = patch.transform
    footprint_wkt = ""
    if patch.georeferenced:
        a, b, c, d, e, f = patch.transform
        c, f = c + a * col0 + b * row0, f + d * col0 + e * row0
        scale = side / size
        transform = (a * scale, b * scale, c, d * scale, e * scale, f)
        footprint = Patch(
            id=patch.id,
            pixels=pixels,
            band_names=patch.band_names,
            sensor=patch.sensor,
            crs=patch.crs,
            transform=transform,
        ).footprint()
        footprint_wkt = footprint.wkt
    fractions: dict[str, float] = {}
    if patch.label_mask is not None and patch.label_mask.shape == (height, width):
        fractions = _label_fractions(patch, patch.label_mask[row0 : row0 + side, col0 : col0 + side])
    return PreparedPixels(
        pixels=pixels,
        gsd_m=_gsd_m(patch) * side / size,
        footprint_wkt=footprint_wkt,
        crop=(row0, col0, side),
        original_shape=(height, width),
        units=units,
        nodata_fraction=round(float((cover == 0).mean()), 4),
        label_fractions=fractions,
    )


def _label_fractions(patch: Patch, mask: np.ndarray) -> dict[str, float]:
    """Class name -> share of the labelled pixels of a per-pixel mask (the `tiling` conventions:
    `extra["mask_classes"]` maps codes to names, `extra["mask_nodata"]` is the "no label" code)."""
    classes = patch.extra.get("mask_classes") or {}
    nodata = patch.extra.get("mask_nodata")
    codes, counts = np.unique(mask, return_counts=True)
    named: dict[str, int] = {}
    for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
        name = classes.get(str(code))
        if nodata is not None and code == nodata or not name:
            continue
        named[name] = named.get(name, 0) + count
    total = sum(named.values())
    return {name: count / total for name, count in sorted(named.items())} if total else {}


# ---------------------------------------------------------------------------------------------------- words


def class_phrase(label: str, lang: str) -> tuple[str | None, str | None]:
    """(phrase in `lang`, nomenclature) of a class name; (None, None) when no nomenclature knows it."""
    key = T.normalize_class(label)
    for name, classes in T.NOMENCLATURES.items():
        if key in classes:
            english, french = classes[key]
            return (english if lang == "en" else french), name
    return None, None


def nomenclature_of(labels: Sequence[str]) -> str | None:
    """The first nomenclature that knows every label (for negatives drawn from the same class list)."""
    keys = [T.normalize_class(label) for label in labels]
    for name, classes in T.NOMENCLATURES.items():
        if keys and all(key in classes for key in keys):
            return name
    return None


def join_list(items: Sequence[str], lang: str) -> str:
    """ "a", "a and b", "a, b and c" ("et" in French)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {T.LIST_AND[lang]} {items[-1]}"


def french_of(name: str) -> str:
    """ "de " or "d'" before a name: elision before a vowel only (whether an initial h is mute cannot be told
    from a foreign place name: "de Hambourg", "d'Hérault")."""
    return "d'" if re.match(r"[aeiouyàâäéèêëîïôöùûüœAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒ]", name) else "de "


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _distance(km: float) -> str:
    return str(max(1, round(km)))


def _coordinate(value: float, positive: str, negative: str, lang: str) -> str:
    text = f"{abs(value):.2f}°"
    if lang == "fr":
        text = text.replace(".", ",") + " "
    return f"{text}{positive if value >= 0 else negative}"


def _dedupe(names: Sequence[str]) -> list[str]:
    seen, out = set(), []
    for name in names:
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
    return out


def stable_rng(seed: int, *parts: object) -> np.random.Generator:
    """A generator fixed by the seed and the parts (patch id, task...), independent of Python's hash salt."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in (seed, *parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def quote_sentences(link: PassageLink, max_chars: int = MAX_QUOTE_CHARS) -> str:
    """The sentences of a passage that contain its mentions of the place, verbatim.

    At most `MAX_QUOTE_SENTENCES` sentences and `max_chars` characters; a longer sentence is cut at word
    boundaries around the first mention, with "..." where text was left out, so the quote always names the place.
    """
    text = link.passage.text
    spans = sentence_spans(text)
    mentions = sorted(link.mentions, key=lambda m: m["start"])
    picked = [(s, e) for s, e in spans if any(s <= m["start"] and m["end"] <= e for m in mentions)] or spans[
        :1
    ]
    quote = ""
    for start, end in picked[:MAX_QUOTE_SENTENCES]:
        candidate = f"{quote} {text[start:end]}".strip()
        if quote and len(candidate) > max_chars:
            break
        quote = candidate
    if len(quote) <= max_chars:
        return quote
    start, end = picked[0]
    anchor = mentions[0] if mentions and start <= mentions[0]["start"] else {"start": start, "end": start}
    left = max(start, anchor["start"] - max_chars // 3)
    right = min(end, left + max_chars)
    if left > start:  # start on a word boundary
        space = text.find(" ", left, anchor["start"])
        left = space + 1 if space >= 0 else left
    if right < end:
        space = text.rfind(" ", anchor["end"], right)
        right = space if space >= 0 else right
    piece = text[left:right].strip().rstrip(",;:")
    return ("..." if left > start else "") + piece + ("..." if right < end else "")


# ---------------------------------------------------------------------------------------------------- builder


@dataclass
class InstructionReport:
    """Counts of what the builder made and why it made less."""

    patches: Counter = field(default_factory=Counter)  # source -> patches turned into examples
    skipped: Counter = field(default_factory=Counter)  # (source, reason) -> patches left out
    examples: Counter = field(default_factory=Counter)  # (task, language) -> examples
    missing: Counter = field(default_factory=Counter)  # (task, reason) -> patch x language without that task
    untranslated: Counter = field(default_factory=Counter)  # (language, label) -> times

    def merge(self, other: InstructionReport) -> None:
        for name in ("patches", "skipped", "examples", "missing", "untranslated"):
            getattr(self, name).update(getattr(other, name))

    def to_dict(self) -> dict[str, Any]:
        def pairs(counter: Counter) -> dict[str, int]:
            return {"/".join(map(str, key)): n for key, n in sorted(counter.items())}

        return {
            "patches": dict(sorted(self.patches.items())),
            "examples_total": sum(self.examples.values()),
            "examples": pairs(self.examples),
            "skipped": pairs(self.skipped),
            "missing": pairs(self.missing),
            "untranslated": pairs(self.untranslated),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InstructionReport:
        report = cls()
        report.patches.update(data.get("patches", {}))
        for name in ("examples", "skipped", "missing", "untranslated"):
            for key, n in data.get(name, {}).items():
                getattr(report, name)[tuple(key.split("/", 1))] += n
        return report

    def summary(self) -> str:
        lines = [
            f"{sum(self.patches.values()):,} patches -> {sum(self.examples.values()):,} examples"
            + (
                " (" + ", ".join(f"{s} {n}" for s, n in sorted(self.patches.items())) + ")"
                if self.patches
                else ""
            )
        ]
        by_task: dict[str, list[str]] = {}
        for (task, lang), n in sorted(self.examples.items()):
            by_task.setdefault(task, []).append(f"{lang} {n:,}")
        lines += [f"  {task}: {', '.join(parts)}" for task, parts in by_task.items()]
        lines += [
            f"  skipped {n:,} {source} patches: {reason}"
            for (source, reason), n in sorted(self.skipped.items())
        ]
        lines += [
            f"  no {task} for {n:,} patch-languages: {reason}"
            for (task, reason), n in sorted(self.missing.items())
        ]
        return "\n".join(lines)


class InstructionBuilder:
    """Turns patches into instruction rows (see the module docstring).

    Args:
        settings: what to make.
        gazetteer: spatial lookups for location tasks (None: label tasks only).
        passages: linked geotext passages for the geotext task (None: no geotext task).
        link_settings: radii of the footprint linking.
    """

    def __init__(
        self,
        settings: InstructionSettings | None = None,
        gazetteer: SpatialGazetteer | None = None,
        passages: PassageIndex | None = None,
        link_settings: LinkSettings | None = None,
    ) -> None:
        self.settings = settings or InstructionSettings()
        self.gazetteer = gazetteer
        self.passages = passages
        self.link_settings = link_settings or LinkSettings()
        self.report = InstructionReport()

    def rows(self, patch: Patch) -> list[dict[str, Any]]:
        """The instruction rows of one patch (empty, and counted in `report.skipped`, when it has none)."""
        source = patch.source or "unknown"
        try:
            prepared = prepare_pixels(patch, self.settings.patch_size)
        except BadInputError as error:
            self.report.skipped[(source, "all nodata" if "nodata" in str(error) else str(error))] += 1
            return []
        if not patch.labels and not prepared.label_fractions and not patch.georeferenced:
            self.report.skipped[(source, "no labels and no georeferencing")] += 1
            return []
        links = None
        only = patch.extra.get("instruction_tasks")
        needs_places = not only or bool(set(only) - LABEL_TASKS)
        if patch.georeferenced and self.gazetteer is not None and needs_places:
            links = link_footprint(
                prepared.footprint_wkt, self.gazetteer, self.link_settings, languages=self.settings.languages
            )
        passage_links: list[PassageLink] = []
        if links is not None and self.passages is not None and "geotext" in self.settings.tasks:
            passage_links = self.passages.passages_for(
                links,
                within_km=self.settings.passage_km,
                limit=max(1, self.settings.passages_per_patch),
                country_names=self.gazetteer.country_names,
            )
        patch_uid = f"{source}:{patch.id}"
        # Label and place fields once per language and example number, shared by the tasks (and counted once).
        facts = {
            lang: [
                (
                    *self._label_fields(
                        patch, prepared, lang, stable_rng(self.settings.seed, patch_uid, lang, n)
                    ),
                    *self._place_fields(links, lang),
                )
                for n in range(self.settings.examples_per_task)
            ]
            for lang in self.settings.languages
        }
        rows = []
        # A source may restrict its patches to some tasks (`read_sources`' `tasks=` option).
        for task in [t for t in self.settings.tasks if not only or t in only]:
            for lang in self.settings.languages:
                made = self._task_rows(
                    task, lang, patch, patch_uid, prepared, links, passage_links, facts[lang]
                )
                rows.extend(made)
                self.report.examples[(task, lang)] += len(made)
        if rows:
            self.report.patches[source] += 1
        else:
            self.report.skipped[(source, "no task applies")] += 1
        return rows

    # -- fields

    def _label_fields(self, patch: Patch, prepared: PreparedPixels, lang: str, rng) -> tuple[dict, str]:
        """Fields from the labels, and "" or the reason they are missing."""
        labels = list(patch.labels) or list(prepared.label_fractions)
        if not labels:
            return {}, "no labels"
        phrases = []
        for label in labels:
            phrase, _ = class_phrase(label, lang)
            if phrase is None:
                if lang != "en":
                    self.report.untranslated[(lang, label)] += 1
                    return {}, f"class names without a {lang} translation"
                phrase = label
            phrases.append(phrase)
        phrases = _dedupe(phrases)
        fields: dict[str, Any] = {
            "land": join_list(phrases, lang),
            "land_list": join_list(phrases, lang),
            "n_classes": str(len(phrases)),
            "present": phrases[int(rng.integers(len(phrases)))],
        }
        nomenclature = nomenclature_of(labels)
        if nomenclature:
            own = {T.normalize_class(label) for label in labels}
            index = 0 if lang == "en" else 1
            absent = sorted(
                {v[index] for k, v in T.NOMENCLATURES[nomenclature].items() if k not in own} - set(phrases)
            )
            if absent:
                fields["absent"] = absent[int(rng.integers(len(absent)))]
        dominant = None  # the class phrase a closed-set question can take as its one right answer
        if prepared.label_fractions:
            main, share = max(prepared.label_fractions.items(), key=lambda item: (item[1], item[0]))
            main_phrase, _ = class_phrase(main, lang)
            if main_phrase is not None or lang == "en":
                fields["main"] = main_phrase or main
                fields["share"] = str(round(100 * share))
                if main_phrase is not None and share >= DOMINANT_SHARE:
                    dominant = main_phrase
        elif len(phrases) == 1:
            fields["main"] = phrases[0]
            dominant = phrases[0] if nomenclature else None
        if dominant is not None and nomenclature:
            fields |= self._choice_fields(dominant, nomenclature, lang, rng)
        return fields, ""

    @staticmethod
    def _choice_fields(dominant: str, nomenclature: str, lang: str, rng) -> dict[str, str]:
        """`main_option` and `options`: the dominant class among at most `MAX_OPTIONS` classes of its
        nomenclature, in a seeded order (lower case, as the zero-shot evaluation lists class phrases)."""
        index = 0 if lang == "en" else 1
        others = sorted({v[index] for v in T.NOMENCLATURES[nomenclature].values()} - {dominant})
        picked = [others[i] for i in rng.permutation(len(others))[: MAX_OPTIONS - 1]]
        options = [dominant, *picked]
        options = [options[i] for i in rng.permutation(len(options))]
        return {"main_option": dominant, "options": T.OPTION_SEPARATOR.join(options)}

    def _place_fields(self, links: PlaceLinks | None, lang: str) -> tuple[dict, str]:
        if links is None:
            return {}, "no gazetteer" if self.gazetteer is None else "no georeferencing"
        fields: dict[str, Any] = {}
        country = links.country.name_in(lang) if links.country else ""
        region_admin = next((p for p in reversed(links.admin) if p.feature_type == "admin1"), None)
        region_admin = region_admin or (links.admin[0] if links.admin else None)
        admin = region_admin.name_in(lang) if region_admin else ""
        anchor = links.anchor
        place = anchor.name_in(lang) if anchor else ""
        if admin.casefold() in (place.casefold(), country.casefold()):
            admin = ""
        if country:
            fields["country"] = country
        if admin and country:
            fields["admin"] = admin
        region = ", ".join(_dedupe([admin, country]))
        if region:
            fields["region"] = region
        if anchor is not None:
            where = ", ".join(_dedupe([place, admin, country]))
            if anchor.distance_km <= NEAR_KM:  # farther, only "39 km east of X" is honest
                fields["near_where"] = T.RELATIVE[lang]["near_where"].format(where=where, of=french_of(where))
            if anchor.relation == CONTAINS or anchor.distance_km < 1.0:
                fields["relative"] = T.RELATIVE[lang]["at"].format(place=place)
            else:
                fields["relative"] = T.RELATIVE[lang]["near"].format(
                    distance=_distance(anchor.distance_km),
                    direction=T.COMPASS_WORDS[lang][anchor.direction_from_place],
                    place=place,
                    of=french_of(place),
                )
        town = links.town
        if town is not None:
            if town.relation == CONTAINS or town.distance_km < 1.0:
                fields["town_at"] = town.name_in(lang)
            else:
                fields["town"] = town.name_in(lang)
                fields["town_distance"] = _distance(town.distance_km)
                fields["town_direction"] = T.COMPASS_WORDS[lang][town.direction]
        natural = _dedupe([p.name_in(lang) for p in links.natural])
        if natural:
            fields["natural_list"] = join_list(natural, lang)
        lon, lat = links.centre
        fields["lat"] = _coordinate(lat, "N", "S", lang)
        fields["lon"] = _coordinate(lon, "E", "O" if lang == "fr" else "W", lang)
        if not (fields.keys() - {"lat", "lon"}):
            return {}, "no gazetteer place near the footprint"
        return fields, ""

    def _common_fields(self, patch: Patch, lang: str) -> dict[str, str]:
        return {
            "image": T.IMAGE_NOUNS[patch.sensor][lang],
            "sensor": T.SENSOR_NAMES[patch.sensor][lang],
        }

    # -- tasks

    def _task_rows(
        self,
        task: str,
        lang: str,
        patch: Patch,
        patch_uid: str,
        prepared: PreparedPixels,
        links: PlaceLinks | None,
        passage_links: list[PassageLink],
        facts: list[tuple[dict, str, dict, str]],
    ) -> list[dict[str, Any]]:
        settings = self.settings
        rows = []
        for n, (label_fields, label_reason, place_fields, place_reason) in enumerate(facts):
            rng = stable_rng(settings.seed, patch_uid, task, lang, n)
            fields = self._common_fields(patch, lang)
            passage = None
            if task == "caption":
                fields |= label_fields | place_fields
                reason = "" if (label_fields or place_fields) else f"{label_reason}; {place_reason}"
            elif task == "land_cover":
                fields |= label_fields
                reason = label_reason
            elif task == "location":
                fields |= place_fields
                reason = place_reason
            elif task == "classification":
                fields |= label_fields
                reason = label_reason or (
                    "" if "main_option" in label_fields else "no dominant class of a known nomenclature"
                )
            else:
                reason = place_reason or ("" if passage_links else "no passage mentions the linked places")
                if not reason:
                    if n >= len(passage_links):
                        break  # fewer linked passages than examples asked: none is repeated
                    passage = passage_links[n]
                    fields |= place_fields | self._passage_fields(passage, lang)
            if reason:
                if n == 0:
                    self.report.missing[(task, reason)] += 1
                break
            turns = settings.qa_turns if task in ("land_cover", "location") else 1
            chosen = self._choose(task, lang, fields, rng, turns)
            if not chosen:
                if n == 0:
                    self.report.missing[(task, "no template fits the available fields")] += 1
                break
            messages = (
                [{"role": "system", "content": _fill(chosen[0]["system"], fields)}]
                if "system" in chosen[0]
                else []
            )
            for template in chosen:
                messages.append({"role": "user", "content": _fill(template["user"], fields)})
                messages.append({"role": "assistant", "content": _fill(template["assistant"], fields)})
            rows.append(
                self._row(patch, patch_uid, prepared, task, lang, n, messages, chosen, links, passage)
            )
        return rows

    def _passage_fields(self, link: PassageLink, lang: str) -> dict[str, str]:
        fields = {
            "quote": quote_sentences(link),
            "subject": link.place.name_in(lang),
            "title": link.passage.title or link.passage.source or link.passage.doc_id,
        }
        note = ""
        if lang == "fr" and link.passage.lang and link.passage.lang != "fr":
            name = T.LANGUAGE_NAMES["fr"].get(link.passage.lang, link.passage.lang)
            note = T.QUOTE_NOTES["fr"].format(lang_name=name)
        fields["quote_note"] = note
        return fields

    def _choose(self, task: str, lang: str, fields: dict, rng, turns: int) -> list[dict]:
        """Up to `turns` distinct templates whose required fields are all present, in a seeded order."""
        if task == "geotext":
            relative, region = fields.get("relative", ""), fields.get("region", "")
            fields["placement"] = f"{relative} ({region})" if relative and region else relative or region
            if not fields["placement"]:
                return []
        fitting = [t for t in T.TEMPLATES[task][lang] if all(fields.get(name) for name in t["requires"])]
        if not fitting:
            return []
        if task == "caption":  # the fullest caption the fields allow: full > place-only > land-only
            kinds = {_kind(t) for t in fitting}
            best = next(kind for kind in ("full", "place", "land") if kind in kinds)
            fitting = [t for t in fitting if _kind(t) == best]
        order = rng.permutation(len(fitting)).tolist()
        picked = [fitting[i] for i in order[:turns]]
        if task == "land_cover":  # a yes and a no question never share a conversation
            kinds = [_kind(t) for t in picked]
            if "present" in kinds and "absent" in kinds:
                picked = [t for t in picked if _kind(t) != "absent"]
        return picked

    def _row(
        self,
        patch: Patch,
        patch_uid: str,
        prepared: PreparedPixels,
        task: str,
        lang: str,
        n: int,
        messages: list[dict],
        templates: list[dict],
        links: PlaceLinks | None,
        passage: PassageLink | None,
    ) -> dict[str, Any]:
        provenance: dict[str, Any] = {
            "source": patch.source,
            "path": str(patch.path),
            "patch_id": patch.id,
            "templates": [t["id"] for t in templates],
            "seed": self.settings.seed,
            "pixels": {
                "units": prepared.units,
                "original_shape": list(prepared.original_shape),
                "crop": list(prepared.crop),
                "resampled_to": self.settings.patch_size,
                "nodata_fraction": prepared.nodata_fraction,
            },
        }
        if patch.crs:
            provenance["crs"] = patch.crs
        if prepared.label_fractions:
            provenance["label_fractions"] = {k: round(v, 4) for k, v in prepared.label_fractions.items()}
        if links is not None and task != "land_cover":
            provenance["gazetteer_ids"] = links.entity_ids()
            anchor = links.anchor
            if anchor is not None:
                provenance["anchor"] = {
                    "entity_id": anchor.entity_id,
                    "distance_km": round(anchor.distance_km, 2),
                    "direction": anchor.direction,
                }
        if passage is not None:
            provenance["passages"] = [
                {
                    **passage.passage.provenance(),
                    "linked_by": passage.how,
                    "entity_id": passage.place.entity_id,
                }
            ]
        return {
            "id": f"{patch_uid}/{task}/{lang}/{n}",
            "patch_id": patch_uid,
            "pixels": prepared.pixels,
            "band_names": list(patch.band_names),
            "sensor": patch.sensor,
            "gsd_m": float(prepared.gsd_m),
            "footprint_wkt": prepared.footprint_wkt,
            "labels": list(patch.labels) or list(prepared.label_fractions),
            "task": task,
            "language": lang,
            "messages": messages,
            "provenance": json.dumps(provenance, ensure_ascii=False, sort_keys=True),
        }


def _kind(template: Mapping[str, Any]) -> str:
    """The kind of a template from its id: "caption/en/full-2" -> "full"."""
    return template["id"].rsplit("/", 1)[-1].split("-")[0]


def _fill(text: str, fields: Mapping[str, Any]) -> str:
    """`str.format` with every field also available capitalised ("{Land_list}")."""
    values = dict(fields)
    for key, value in fields.items():
        if isinstance(value, str):
            values.setdefault(key[:1].upper() + key[1:], _capitalize(value))
    return text.format(**values)


__all__ = [
    "DOMINANT_SHARE",
    "MAX_OPTIONS",
    "MAX_QUOTE_CHARS",
    "NEAR_KM",
    "NOMINAL_GSD_M",
    "PHYSICAL_UNITS",
    "InstructionBuilder",
    "InstructionReport",
    "InstructionSettings",
    "PreparedPixels",
    "class_phrase",
    "french_of",
    "join_list",
    "nomenclature_of",
    "prepare_pixels",
    "quote_sentences",
    "stable_rng",
]
