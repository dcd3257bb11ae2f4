"""Instruction rows from patches (data_builders.imagery.instructions) and their templates."""

from __future__ import annotations

import json

import numpy as np
import pytest

from data_builders.imagery import templates as T
from data_builders.imagery.instructions import (
    MAX_OPTIONS,
    InstructionBuilder,
    InstructionSettings,
    class_phrase,
    french_of,
    join_list,
    prepare_pixels,
    quote_sentences,
)
from data_builders.imagery.link import link_footprint
from data_builders.imagery.patch import Patch
from data_builders.imagery.schema import TASKS
from georeset.errors import BadInputError


@pytest.fixture
def builder(spatial, passages):
    return InstructionBuilder(InstructionSettings(patch_size=32), spatial, passages)


def test_physical_units_resampling_and_gsd(make_patch):
    s2 = make_patch(14.5, 46.05, size=120)
    s2.pixels[:] = 2500
    prepared = prepare_pixels(s2, 64)
    assert prepared.pixels.shape == (12, 64, 64) and prepared.pixels.dtype == np.float32
    assert np.allclose(prepared.pixels, 0.25)  # DN / 10,000, area averages of a constant stay constant
    assert prepared.gsd_m == pytest.approx(18.75)  # 120 px at 10 m -> 64 px
    assert prepared.units == "reflectance"
    # The stored footprint is the patch's: resampling keeps the whole labelled area.
    from shapely import from_wkt

    assert from_wkt(prepared.footprint_wkt).equals_exact(s2.footprint(), 1e-9)
    s1 = make_patch(14.5, 46.05, size=64, sensor="s1")
    assert np.allclose(prepare_pixels(s1, 64).pixels, s1.pixels)  # dB as they are, same size: unchanged
    rgb = make_patch(14.5, 46.05, size=64, sensor="rgb")
    assert np.allclose(prepare_pixels(rgb, 32).pixels.mean(), rgb.pixels.mean() / 255, atol=1e-5)


def test_area_resampling_is_exact_on_blocks(make_patch):
    patch = make_patch(14.5, 46.05, size=4, labels=())
    patch.pixels[:] = (
        np.array([[1, 1, 3, 3], [1, 1, 3, 3], [5, 5, 7, 7], [5, 5, 7, 7]], dtype=np.uint16) * 1000
    )
    assert np.allclose(prepare_pixels(patch, 2).pixels[0], [[0.1, 0.3], [0.5, 0.7]])
    up = prepare_pixels(patch, 8).pixels[0]
    assert up.shape == (8, 8) and np.allclose(up[:4, :4], 0.1) and np.allclose(up[4:, 4:], 0.7)


def test_non_square_crop_and_nodata(make_patch):
    patch = make_patch(14.5, 46.05, size=100)
    patch = Patch(
        id="r",
        pixels=patch.pixels[:, :, :90].copy(),
        band_names=patch.band_names,
        sensor="s2_l2a",
        crs=patch.crs,
        transform=patch.transform,
        nodata=0,
    )
    patch.pixels[:, :50, :] = 0  # the top half is nodata
    prepared = prepare_pixels(patch, 30)
    assert prepared.crop == (5, 0, 90)  # centred square of the shorter side
    assert prepared.nodata_fraction == 0.5  # rows 5..49 of the crop: 15 of 30 output rows
    assert (prepared.pixels[:, -5:, :] > 0).all()  # valid pixels are averaged without the nodata ones
    patch.pixels[:] = 0
    with pytest.raises(BadInputError, match="nodata"):
        prepare_pixels(patch, 30)


def test_every_class_has_both_languages():
    for name, classes in T.NOMENCLATURES.items():
        for key, (english, french) in classes.items():
            assert key == T.normalize_class(key), (name, key)
            assert english and french and T.normalize_class(english), (name, key)
    assert class_phrase("Non-irrigated arable land", "fr") == (
        "terres arables hors périmètres d'irrigation",
        "corine",
    )
    assert class_phrase("AnnualCrop", "fr")[0] == "cultures annuelles"
    assert class_phrase("CULTIVATED_LAND", "fr")[0] == "terres cultivées"
    assert class_phrase("Beaches, dunes, sands", "en")[0] == "beaches, dunes, sands"
    assert class_phrase("Moon dust", "fr") == (None, None)
    assert join_list(["a", "b", "c"], "fr") == "a, b et c" and join_list(["a"], "en") == "a"
    assert french_of("Ivančna Gorica") == "d'" and french_of("Ljubljana") == "de "


def test_templates_are_complete_and_fillable():
    for task in TASKS:
        for lang in ("en", "fr"):
            templates = T.TEMPLATES[task][lang]
            assert len(templates) >= 3, (task, lang)
            ids = [t["id"] for t in templates]
            assert len(set(ids)) == len(ids) and all(i.startswith(f"{task}/{lang}/") for i in ids)


def test_georeferenced_labelled_patch_gets_every_task(builder, make_patch):
    rows = builder.rows(make_patch(14.50, 46.05, patch_id="lj"))
    # Two labels and no shares: no class is the one right answer, so no closed-set classification.
    expected = {(t, lang) for t in TASKS for lang in ("en", "fr") if t != "classification"}
    assert {(r["task"], r["language"]) for r in rows} == expected
    assert builder.report.missing[("classification", "no dominant class of a known nomenclature")] == 2
    by = {(r["task"], r["language"]): r for r in rows}
    caption_en = by[("caption", "en")]["messages"][1]["content"]
    assert "coniferous forest" in caption_en and "Ljubljana" in caption_en and "Slovenia" in caption_en
    caption_fr = by[("caption", "fr")]["messages"][1]["content"]
    assert "forêts de conifères" in caption_fr and "Slovénie" in caption_fr
    location = " ".join(m["content"] for m in by[("location", "en")]["messages"])
    assert "Ljubljana" in location or "Slovenia" in location
    assert len(by[("location", "en")]["messages"]) == 2 * builder.settings.qa_turns
    geotext = by[("geotext", "en")]
    provenance = json.loads(geotext["provenance"])
    passage = provenance["passages"][0]
    assert passage["doc_id"] == "test:slovenia" and passage["linked_by"] == "entity_id"
    assert provenance["gazetteer_ids"] and provenance["templates"][0].startswith("geotext/en/")
    row = by[("land_cover", "fr")]
    assert row["id"] == "test:lj/land_cover/fr/0" and row["patch_id"] == "test:lj"
    assert row["pixels"].shape == (12, 32, 32) and row["gsd_m"] == pytest.approx(37.5)
    assert row["footprint_wkt"].startswith("POLYGON")
    assert json.loads(row["provenance"])["source"] == "test"


def test_geotext_answers_quote_the_passage_verbatim(builder, spatial, passages, make_patch):
    links = link_footprint(make_patch(14.50, 46.05).footprint(), spatial)
    link = passages.passages_for(links)[0]
    quote = quote_sentences(link)
    assert quote in link.passage.text and "Ljubljana" in quote
    rows = builder.rows(make_patch(14.50, 46.05, patch_id="q"))
    for row in rows:
        if row["task"] == "geotext":
            answer = row["messages"][1]["content"]
            assert quote in answer
            if row["language"] == "fr":
                assert "(citation en anglais)" in answer  # an English passage quoted in a French answer
    long = type(link)(
        passage=type(link.passage)(
            **{**link.passage.__dict__, "text": "word " * 200 + "Ljubljana end " + "x " * 100}
        ),
        place=link.place,
        how=link.how,
        mentions=[{"start": 1000, "end": 1009, "surface": "Ljubljana"}],
        distance_km=0.0,
    )
    cut = quote_sentences(long, max_chars=80)
    assert "Ljubljana" in cut and cut.startswith("...") and len(cut) <= 90


def test_patch_without_georeferencing_gets_label_tasks_only(builder):
    patch = Patch(
        id="nogeo",
        pixels=np.full((3, 64, 64), 128, dtype=np.uint8),
        band_names=["R", "G", "B"],
        sensor="rgb",
        labels=["Forest"],
        source="test",
    )
    rows = builder.rows(patch)
    assert {r["task"] for r in rows} == {"caption", "land_cover", "classification"}
    assert all(r["footprint_wkt"] == "" for r in rows)
    caption = next(r for r in rows if r["task"] == "caption" and r["language"] == "en")["messages"][1][
        "content"
    ]
    assert caption == "Sentinel-2 true-colour image of forest." or "forest" in caption
    assert builder.report.missing[("location", "no georeferencing")] == 2


def test_patch_without_labels_gets_location_tasks(builder, make_patch):
    rows = builder.rows(make_patch(14.50, 46.05, labels=(), patch_id="unlabelled"))
    assert {r["task"] for r in rows} == {"caption", "location", "geotext"}
    assert builder.report.missing[("land_cover", "no labels")] == 2
    caption = next(r for r in rows if r["task"] == "caption" and r["language"] == "en")
    assert json.loads(caption["provenance"])["templates"][0].startswith("caption/en/place")


def test_untranslated_class_is_counted_not_mixed(builder, make_patch):
    rows = builder.rows(make_patch(14.50, 46.05, labels=("Moon dust",), patch_id="odd"))
    english = [r for r in rows if r["task"] == "land_cover" and r["language"] == "en"]
    assert english and "Moon dust" in english[0]["messages"][1]["content"]
    assert not [r for r in rows if r["task"] == "land_cover" and r["language"] == "fr"]
    assert builder.report.untranslated[("fr", "Moon dust")] == 1  # once per patch, not per task


def test_label_mask_gives_main_class_and_share(spatial, make_patch):
    patch = make_patch(14.50, 46.05, size=40, labels=("forest", "cultivated land"), patch_id="mask")
    mask = np.full((40, 40), 2, dtype=np.uint16)  # forest
    mask[:10] = 1  # a quarter cultivated land
    mask[:2] = 0  # no data
    patch.label_mask = mask
    patch.extra.update(mask_classes={"0": "no data", "1": "cultivated land", "2": "forest"}, mask_nodata=0)
    prepared = prepare_pixels(patch, 20)
    assert prepared.label_fractions == pytest.approx({"cultivated land": 8 / 38, "forest": 30 / 38})
    fields, reason = InstructionBuilder(InstructionSettings(patch_size=20), spatial)._label_fields(
        patch, prepared, "fr", np.random.default_rng(0)
    )
    assert reason == "" and fields["main"] == "forêt" and fields["share"] == "79"
    assert fields["absent"] not in ("forêt", "terres cultivées")  # drawn from the eo-learn nomenclature


def test_rows_are_deterministic_given_the_seed(spatial, passages, make_patch):
    def build(seed):
        b = InstructionBuilder(
            InstructionSettings(patch_size=16, examples_per_task=2, seed=seed), spatial, passages
        )
        return [
            (r["id"], json.dumps(r["messages"], ensure_ascii=False))
            for i in range(3)
            for r in b.rows(make_patch(14.4 + 0.05 * i, 46.05, patch_id=f"d{i}"))
        ]

    first, again, other = build(0), build(0), build(1)
    assert first == again
    assert [i for i, _ in first] == [i for i, _ in other] and first != other
    assert any(row_id.endswith("/1") for row_id, _ in first)  # examples_per_task=2


def test_settings_are_checked():
    with pytest.raises(BadInputError, match="patch-size"):
        InstructionSettings(patch_size=3)
    with pytest.raises(BadInputError, match="languages"):
        InstructionSettings(languages=("de",))


def test_classification_asks_the_zero_shot_prompt_with_the_dominant_class(builder, make_patch):
    from eval.eo.modes import LabelledPatches, instruction_for, question_for

    rows = builder.rows(make_patch(14.50, 46.05, patch_id="one", labels=("Coniferous forest",)))
    by = {(r["task"], r["language"]): r for r in rows}
    for lang in ("en", "fr"):
        system, user, answer = by[("classification", lang)]["messages"]
        assert (system["role"], user["role"], answer["role"]) == ("system", "user", "assistant")
        options = system["content"].split(": " if lang == "en" else " : ", 1)[1].rstrip(".").split("; ")
        expected = "coniferous forest" if lang == "en" else "forêts de conifères"
        assert answer["content"] == expected and expected in options
        assert len(options) == MAX_OPTIONS and len(set(options)) == MAX_OPTIONS  # CORINE has 43 classes
    # The English prompt is the evaluation's, word for word, for the same options and subject.
    system, user, answer = by[("classification", "en")]["messages"]
    options = system["content"].split(": ", 1)[1].rstrip(".").split("; ")
    template = json.loads(by[("classification", "en")]["provenance"])["templates"][0]
    subject = {"1": "land cover", "2": "land use", "3": "land cover class"}[template.rsplit("-", 1)[1]]
    data = LabelledPatches(patches=[None], targets=[0], classes=options, phrases=options, subject=subject)
    assert system["content"] == instruction_for(data) and user["content"] == question_for(data)


def test_classification_needs_a_class_over_half_the_pixels(builder, make_patch):
    patch = make_patch(14.50, 46.05, size=32, patch_id="tile", labels=("forest", "grassland"))
    mask = np.full((32, 32), 2, dtype=np.uint8)
    mask[:, :12] = 3  # 62.5 % forest
    patch.label_mask = mask
    patch.extra.update({"mask_classes": {"2": "forest", "3": "grassland"}, "mask_nodata": 0})
    rows = [r for r in builder.rows(patch) if r["task"] == "classification"]
    assert [r["messages"][-1]["content"] for r in rows] == ["forest", "forêt"]
    mask[:, :11], mask[:, 11:19] = 3, 4  # 40.6 % forest, 34.4 % grassland, 25 % shrubland: none dominates
    patch.extra["mask_classes"]["4"] = "shrubland"
    assert not [r for r in builder.rows(patch) if r["task"] == "classification"]


def test_a_source_can_restrict_its_patches_to_some_tasks(builder, make_patch):
    patch = make_patch(14.50, 46.05, patch_id="only", labels=("Pastures",))
    patch.extra["instruction_tasks"] = ["classification"]
    rows = builder.rows(patch)
    assert {r["task"] for r in rows} == {"classification"} and len(rows) == 2
