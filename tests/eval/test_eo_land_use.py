"""Land-use evaluation: band subsets into a multispectral encoder, cached answer scoring, protocol, every mode."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # eo_tiny (pytest runs with --import-mode=importlib)
from eo_tiny import (  # noqa: E402
    EUROSAT_COLOURS,
    L2A_BANDS,
    build_tiny_eo_model,
    save_tiny_checkpoint,
    signature_pixels,
    write_eurosat_rgb_classes,
)

from data_builders.imagery.patch import Patch  # noqa: E402
from eval.eo.land_use import evaluate_land_use, load_land_use
from eval.eo.model import PatchClassifier
from eval.eo.modes import LabelledPatches, make_folds
from georeset.errors import BadInputError
from modeling.geollava import GeoLlavaImageProcessor, default_sensor_spec

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def tiny():
    return build_tiny_eo_model()


def test_rgb_fills_the_missing_bands_of_a_multispectral_encoder():
    rgb = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    standardize = GeoLlavaImageProcessor(sensors=[default_sensor_spec("s2_l2a")], image_size=64)
    kwargs = {"input_bands": ["B04", "B03", "B02"], "input_sensor": "rgb", "fill_missing_bands": True}
    pixels = standardize(rgb, **kwargs)["pixel_values"][0]
    bands = standardize.sensors[0]["bands"]
    present = [bands.index(b) for b in ("B04", "B03", "B02")]
    missing = [i for i in range(len(bands)) if i not in present]
    assert pixels.shape == (12, 64, 64)
    assert torch.all(pixels[missing] == 0)  # the band mean after standardisation
    # R, G, B are standardised with the RGB statistics and keep their place in the encoder's order.
    expected_red = (rgb[..., 0] / 255 - 0.485) / 0.229
    assert torch.allclose(
        pixels[bands.index("B04")], torch.as_tensor(expected_red, dtype=torch.float32), atol=1e-5
    )
    # With pretrained-weights normalisation ("reflectance"), missing bands get the band's mean reflectance.
    reflectance = GeoLlavaImageProcessor(sensors=[default_sensor_spec("s2_l2a", weights="x")], image_size=64)
    spec = reflectance.sensors[0]
    out = reflectance(rgb, **kwargs)["pixel_values"][0]
    assert out[bands.index("B08")].mean().item() == pytest.approx(spec["mean"][bands.index("B08")])
    with pytest.raises(BadInputError, match="fill_missing_bands"):
        standardize(rgb, input_bands=["B04", "B03", "B02"])


def test_cached_answer_scores_equal_full_forward_passes(tiny):
    rng = np.random.default_rng(0)
    patches = [Patch(str(i), signature_pixels(n, (64, 64), rng), L2A_BANDS, "s2_l2a") for i, n in
               enumerate(["water", "forest", "urban"])]  # fmt: skip
    classifier = PatchClassifier(tiny, batch_size=2)
    prefix, query = classifier.prefix_and_query(
        "Options: water; forest.", [("What is it?", "forest")], "What is it?"
    )
    answers = ["water", "forest", "urban area"]
    scores = classifier.score_answers(
        patches[1:], query, answers, classifier.encode_prefix(prefix, patches[:1])
    )
    for row, patch in enumerate(patches[1:]):
        for column, answer in enumerate(answers):
            prompt = classifier._ids(prefix + query)
            target = torch.tensor([classifier.answer_ids([answer])[0]])
            with torch.no_grad():
                logits = tiny.model(
                    input_ids=torch.cat([prompt, target], 1),
                    pixel_values=classifier.pixel_values([patches[0], patch]),
                ).logits
            logp = torch.log_softmax(logits[0, prompt.shape[1] - 1 : -1], -1).gather(-1, target[0][:, None])
            assert scores[row, column] == pytest.approx(logp.mean().item(), abs=1e-4)


def test_content_free_calibration_subtracts_the_scores_of_an_all_mean_image(tiny):
    rng = np.random.default_rng(1)
    patches = [Patch(str(i), signature_pixels(n, (64, 64), rng), L2A_BANDS, "s2_l2a") for i, n in
               enumerate(["water", "forest", "urban"])]  # fmt: skip
    raw = PatchClassifier(tiny, batch_size=2)
    assert raw.calibration == "none"  # the default
    calibrated = PatchClassifier(tiny, batch_size=2, calibration="content-free")
    prefix, query = raw.prefix_and_query("Options: water; forest.", [], "What is it?")
    answers = ["water", "forest", "urban area"]
    scores = raw.score_answers(patches, query, answers, raw.encode_prefix(prefix))
    blank = raw.content_free_pixels()
    assert blank.shape == (1, 12, 32, 32) and torch.all(blank == 0)  # every band at its mean, standardised
    baseline = raw.score_answers(patches[:1], query, answers, raw.encode_prefix(prefix), pixels=blank)
    np.testing.assert_allclose(
        calibrated.score_answers(patches, query, answers, calibrated.encode_prefix(prefix)),
        scores - baseline,
        atol=1e-5,
    )
    with pytest.raises(BadInputError, match="calibration"):
        PatchClassifier(tiny, calibration="platt")


def test_protocol_uses_splits_or_stratified_cross_fitting():
    patches = [None] * 10
    split = LabelledPatches(patches, np.array([0, 1] * 5), ["a", "b"], ["a", "b"],
                            splits=["train"] * 6 + ["test"] * 4)  # fmt: skip
    folds, protocol = make_folds(split)
    assert protocol["kind"] == "train/test split" and [len(f) for f in folds[0]] == [6, 4]
    folds, protocol = make_folds(
        LabelledPatches(patches, np.array([0] * 5 + [1] * 5), ["a", "b"], ["a", "b"]), 5
    )
    evaluated = np.sort(np.concatenate([e for _, e in folds]))
    assert list(evaluated) == list(range(10))  # every sample once
    for support, evaluate in folds:
        assert not set(support) & set(evaluate)
        assert sorted(np.array([0] * 5 + [1] * 5)[evaluate]) == [0, 1]  # stratified


def test_eurosat_rgb_every_mode_and_baseline_in_one_report(tmp_path, tiny):
    root = write_eurosat_rgb_classes(tmp_path / "eurosat", per_class=6)
    report = evaluate_land_use(
        root, PatchClassifier(tiny), ["zero-shot", "few-shot", "linear-probe"], k=2, out=tmp_path / "out"
    )
    assert report["n"] == 18 and report["mode"] == "zero-shot"
    assert set(report["modes"]) == {"zero-shot", "few-shot", "linear-probe"}
    assert set(report["baselines"]) == {"majority", "random"}
    assert all(m["n"] == 18 for m in [*report["modes"].values(), *report["baselines"].values()])
    # The classes differ in colour: a probe on the frozen (random) encoder separates them, the majority cannot.
    assert report["modes"]["linear-probe"]["accuracy"] > report["baselines"]["majority"]["accuracy"] + 0.3
    assert report["dataset"]["classes_absent"] == [c for c in report["classes"] if c not in EUROSAT_COLOURS]
    assert all((tmp_path / "out" / name).is_file() for name in ("scores.png", "confusion_zero-shot.png"))


def test_max_samples_is_stratified(tmp_path):
    root = write_eurosat_rgb_classes(tmp_path / "eurosat", per_class=8)
    labelled, info = load_land_use(root, max_samples=6)
    assert sorted(np.bincount(labelled.targets, minlength=10).tolist()) == [0] * 7 + [2, 2, 2]
    assert info["n_read"] == 24 and info["n_kept"] == 6


def test_eurosat_ms_train_test_split(tmp_path, tiny):
    from data_builders.imagery.synthetic import write_eurosat_ms

    write_eurosat_ms(tmp_path / "ms", classes=("AnnualCrop", "Forest"), per_class=3, splits=("train", "test"))
    report = evaluate_land_use(tmp_path / "ms", PatchClassifier(tiny), ["linear-probe"])
    assert report["protocol"]["kind"] == "train/test split" and report["n"] == 6
    assert report["dataset"]["form"] == "eurosat-ms"


def test_bigearthnet_multilabel_19_and_43(tmp_path, tiny):
    from data_builders.imagery.synthetic import write_bigearthnet_s2

    labels = [["Coniferous forest", "Pastures"], ["Sea and ocean"], ["Coniferous forest"], ["Pastures"]]
    for n, patch_labels in enumerate(labels):
        write_bigearthnet_s2(tmp_path / "ben", f"S2A_MSIL2A_20170613T101031_{n}_1", patch_labels, seed=n)
    labelled, _ = load_land_use(tmp_path / "ben", nomenclature="43")
    assert labelled.targets.shape == (4, 43) and labelled.targets.sum(1).min() >= 1
    report = evaluate_land_use(tmp_path / "ben", PatchClassifier(tiny), ["zero-shot", "linear-probe"])
    assert report["dataset"]["form"] == "bigearthnet" and report["protocol"]["multilabel"]
    assert len(report["classes"]) == 19
    zero_shot = report["modes"]["zero-shot"]
    assert {"micro_f1", "macro_f1", "samples_f1", "exact_match"} <= set(zero_shot) and zero_shot["n"] == 4
    assert report["per_class"]["Pastures"]["support"] == 2
    assert report["baselines"]["majority"]["n"] == 4


@pytest.mark.slow
def test_cli_with_a_saved_checkpoint_and_a_model_without_images(tmp_path, capsys):
    from transformers import AutoModelForCausalLM, LlamaConfig

    from georeset.cli import main

    root = write_eurosat_rgb_classes(tmp_path / "eurosat", per_class=4)
    checkpoint = save_tiny_checkpoint(tmp_path / "ckpt")
    out = tmp_path / "out"
    argv = ["eval", "eo", "--task", "land-use", "--data", str(root), "--mode", "zero-shot", "--quiet"]
    assert main([*argv, "--model", str(checkpoint), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert {"accuracy", "macro_f1", "per_class", "confusion", "n", "baselines"} <= set(report)
    assert report["n"] == 12 and report["model"]["untrained"] is False
    assert "zero-shot" in capsys.readouterr().out
    calibrated = tmp_path / "calibrated"
    assert (
        main([*argv, "--model", str(checkpoint), "--out", str(calibrated), "--calibration", "content-free"])
        == 0
    )
    assert "content-free" in (calibrated / "report.json").read_text()
    text_only = tmp_path / "llama"
    AutoModelForCausalLM.from_config(LlamaConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                                 num_attention_heads=2, vocab_size=64)).save_pretrained(text_only)  # fmt: skip
    assert main([*argv, "--model", str(text_only), "--out", str(tmp_path / "bad")]) != 0
    assert "has no image input" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.shared_data
def test_real_eurosat_rgb_and_ms(shared_data, tiny):
    folder = shared_data / "sentinel2"
    rgb, info = load_land_use(folder / "eurosat-rgb-dev", max_samples=20)
    assert info["form"] == "eurosat-rgb" and len(rgb.patches) == 20 and len(set(rgb.targets.tolist())) == 10
    report = evaluate_land_use(
        folder / "eurosat-ms-subset", PatchClassifier(tiny), ["zero-shot"], max_samples=20
    )
    assert report["dataset"]["form"] == "eurosat-ms" and report["n"] > 0
