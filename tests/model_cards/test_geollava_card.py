"""The GeoLLaVA model card: YAML that huggingface_hub reads back, a model-index built from the eval reports, prose
derived from the training config, and clear errors on bad input."""

from __future__ import annotations

import copy

import pytest
import yaml
from huggingface_hub import ModelCard
from huggingface_hub.repocard_data import model_index_to_eval_results

from georeset.errors import BadInputError
from model_cards.render import render_geollava_card, render_resolver_card

from .conftest import load_test_module

REPO = "georeset-test/geollava-card"

CONFIG = {
    "model": {
        "llm": "embedded",
        "vision_config": {"architecture": "resnet18", "sensor": "s2_l2a", "weights": None, "image_size": 64},
    },
    "data": {
        "dataset": "georeset-test/sentinel-text",
        "sources": ["bigearthnet", "eolearn"],
        "n_train_examples": 480,
    },
    "training": {
        "hardware": "1 x cpu",
        "stages": [
            {
                "stage": "align",
                "max_steps": 60,
                "learning_rate": 1e-3,
                "initial_loss": 4.25,
                "final_loss": 2.5,
                "samples_per_second": 3.1,
                "per_device_train_batch_size": 4,
            },
            {"stage": "instruct", "max_steps": 80, "learning_rate": 2e-4, "lora_r": 16, "lora_alpha": 32},
        ],
    },
}
BASELINES = {"majority": {"accuracy": 0.11, "macro_f1": 0.02}, "random": {"accuracy": 0.1, "macro_f1": 0.09}}
EUROSAT_ZERO_SHOT = {
    "task": "land-use",
    "dataset": "../shared/data/sentinel2/eurosat-rgb-dev",
    "mode": "zero-shot",
    "accuracy": 0.14,
    "macro_f1": 0.05,
    "per_class": {"Forest": {"f1": 0.3}},
    "confusion": [[1, 0], [0, 1]],
    "n": 500,
    "baselines": BASELINES,
}
EUROSAT_FEW_SHOT = {**EUROSAT_ZERO_SHOT, "mode": "few-shot", "k": 5, "accuracy": 0.09, "macro_f1": 0.04}
SLOVENIA_ALL_MODES = {
    "task": "land-cover",
    "dataset": "eolearn-slovenia",
    "modes": {
        "zero-shot": {"accuracy": 0.3, "macro_f1": 0.2},
        "linear-probe": {"accuracy": 0.6, "macro_f1": 0.4},
    },
    "n": 10100,
    "baselines": {"majority": 0.45, "random": 0.2},
    "map_geotiff": "out/map.tif",
}
GEOPARSING = {  # keys as `georeset eval geoparsing` writes them (no "task")
    "corpus": "lgl",
    "mode": "gold",
    "acc_at_161km": 0.71,
    "auc": 0.3,
    "mean_error_km": 300.0,
    "precision": None,
    "published": {"CamCoder": {"acc_at_161km": 0.76, "auc": 0.22}},
}
REPORTS = [EUROSAT_ZERO_SHOT, EUROSAT_FEW_SHOT, SLOVENIA_ALL_MODES, GEOPARSING]


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def metrics_of(card: ModelCard) -> dict[tuple[str, str, str], float]:
    """(dataset type, mode, metric type) -> value from the card's parsed model-index."""
    return {(r.dataset_type, r.metric_config, r.metric_type): r.metric_value for r in card.data.eval_results}


def test_yaml_parses_and_round_trips_through_model_card():
    text = render_geollava_card(CONFIG, REPORTS, REPO)
    meta = front_matter(text)
    assert meta["base_model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert meta["pipeline_tag"] == "image-text-to-text" and meta["library_name"] == "transformers"
    assert meta["datasets"] == ["georeset-test/sentinel-text"] and meta["license"] == "apache-2.0"
    assert {"georeset", "geollava", "lora"} <= set(meta["tags"])
    card = ModelCard(text)
    assert card.data.model_name == "geollava-card"
    # 2 EuroSAT modes x 2 metrics + 2 Slovenia modes x 2 metrics + 3 geoparsing metrics
    assert len(card.data.eval_results) == 11
    assert card.data.to_dict()["model-index"] == meta["model-index"]
    name, results = model_index_to_eval_results(meta["model-index"])
    assert name == "geollava-card" and len(results) == 11
    assert ModelCard(str(card)).data.to_dict() == card.data.to_dict()  # stable when re-serialised


def test_model_index_holds_one_result_per_task_dataset_mode_metric():
    card = ModelCard(render_geollava_card(CONFIG, REPORTS, REPO))
    metrics = metrics_of(card)
    assert metrics[("eurosat-rgb", "zero-shot", "accuracy")] == 0.14
    assert metrics[("eurosat-rgb", "few-shot k=5", "f1")] == 0.04
    assert metrics[("eolearn-slovenia", "linear-probe", "accuracy")] == 0.6
    assert metrics[("lgl", "gold", "acc_at_161km")] == 0.71
    tasks = {(r.dataset_type, r.task_type) for r in card.data.eval_results}
    assert tasks == {
        ("eurosat-rgb", "image-classification"),
        ("eolearn-slovenia", "image-segmentation"),
        ("lgl", "token-classification"),
    }
    macro = next(r for r in card.data.eval_results if r.metric_type == "f1")
    assert macro.metric_args == {"average": "macro"}
    # Baselines are in the table, never in the model's own results.
    assert 0.11 not in {r.metric_value for r in card.data.eval_results}


def test_results_table_puts_baselines_beside_the_model():
    text = render_geollava_card(CONFIG, REPORTS, REPO)
    assert "| EuroSAT RGB | GeoLLaVA, zero-shot | 500 | 14.0 | 5.0 |" in text
    assert "| EuroSAT RGB | baseline: majority | - | 11.0 | 2.0 |" in text
    assert "| eo-learn Slovenia LULC | baseline: majority | - | 45.0 | - |" in text
    assert "| LGL | georeset geoparser, gold | - | 71.0 | 0.30 | 300.00 |" in text
    assert "| LGL | published: CamCoder | - | 76.0 | 0.22 | - |" in text


def test_card_follows_the_reports():
    better = copy.deepcopy(REPORTS)
    better[0]["accuracy"] = 0.42
    before, after = render_geollava_card(CONFIG, REPORTS, REPO), render_geollava_card(CONFIG, better, REPO)
    assert before != after
    assert metrics_of(ModelCard(after))[("eurosat-rgb", "zero-shot", "accuracy")] == 0.42
    assert "| EuroSAT RGB | GeoLLaVA, zero-shot | 500 | 42.0 | 5.0 |" in after
    # The few-shot figure (9.0 %) is below the majority class (11.0 %): the card says so, and only for it.
    assert "(land-use, few-shot k=5) the accuracy 9.0 % does not beat the majority-class baseline" in before
    assert "(land-use, zero-shot) the accuracy" not in before


def test_limitations_and_training_details_follow_the_config():
    text = render_geollava_card(CONFIG, [], REPO)
    assert "untrained (random) weights" in text and "Trained on **480 examples** only" in text
    assert "140 optimisation steps in all" in text
    assert "| align | 60 | 0.001 | - / - | 4 x 1 | 4.25 -> 2.5 | 3.1 | - |" in text
    assert "| instruct | 80 | 0.0002 | 16 / 32 |" in text
    assert "unevaluated" in text and "model-index" not in text
    trained = copy.deepcopy(CONFIG)
    trained["model"]["vision_config"]["weights"] = "ResNet18_Weights.SENTINEL2_ALL_MOCO"
    trained["model"]["vision_config"]["sensor"] = "s2_l1c"
    trained["data"]["n_train_examples"] = 250_000
    trained["data"]["dataset"] = "georeset-test/eurosat-instructions"
    other = render_geollava_card(trained, [], REPO)
    assert "untrained (random) weights" not in other and "examples** only" not in other
    assert "B10" in other  # the L1C preset's bands
    assert "EuroSAT (georeset-test/eurosat-instructions) is in the training data" in other


def test_citations_name_what_was_used_and_nothing_else():
    text = render_geollava_card(CONFIG, REPORTS, REPO)
    citation = text.split("```bibtex")[1]
    for key in (
        "georeset",
        "liu2023llava",
        "stewart2022torchgeo",
        "allal2025smollm2smolgoesbig",
        "sumbul2019bigearthnet",
        "eolearn",
        "helber2019eurosat",
        "lieberman2010geotagging",
    ):
        assert f"{{{key}," in citation, key
    assert "gritta2018missing" not in citation  # WikToR was not evaluated
    assert "TODO" not in text and "placeholder" not in text.lower()
    other_lm = copy.deepcopy(CONFIG)
    other_lm["model"]["llm"] = "some-org/tiny-llm"
    other = render_geollava_card(other_lm, [], REPO)
    assert "howpublished = {\\url{https://huggingface.co/some-org/tiny-llm}}" in other
    assert front_matter(other)["base_model"] == "some-org/tiny-llm"


def test_hf_argument_dataclass_style_config():
    """The flat sections an HfArgumentParser run dumps (model_args / data_args / training_args) work too."""
    config = {
        "model_args": {"model_name_or_path": None, "encoder_architecture": "resnet50", "sensor": "s1"},
        "data_args": {"dataset_name": "outputs/sentinel-text", "max_train_samples": 64},
        "training_args": {"max_steps": 12, "learning_rate": 5e-4, "bf16": True, "train_loss": 1.25},
    }
    text = render_geollava_card(config, [EUROSAT_ZERO_SHOT], "outputs/geollava")
    assert "resnet50" in text and "VV, VH" in text and "precision bf16" in text
    assert "| stage 1 | 12 | 0.0005 |" in text and "-> 1.25" in text
    assert "sentinel-1" in front_matter(text)["tags"]


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ({"dataset": "x", "mode": "zero-shot", "accuracy": 0.5}, "has no 'task'"),
        ({"task": "land-use", "dataset": "x", "mode": "zero-shot", "n": 10}, "no metric"),
        ({"task": "land-use", "dataset": "x", "mode": "zero-shot", "accuracy": "high"}, "no metric"),
        ({"task": "ocean-colour", "dataset": "x", "mode": "zero-shot", "accuracy": 0.5}, "unknown task"),
        ({"task": "land-use", "mode": "zero-shot", "accuracy": 0.5}, "does not name its dataset"),
        ({"task": "land-use", "dataset": "x", "accuracy": 0.5}, "no 'mode'"),
        (
            {"task": "land-use", "dataset": "x", "mode": "zero-shot", "accuracy": 0.5, "baselines": [1]},
            "baselines",
        ),
        (["not", "a", "mapping"], "JSON object"),
    ],
)
def test_bad_reports_are_refused_clearly(report, message):
    with pytest.raises(BadInputError, match=message):
        render_geollava_card(CONFIG, [report], REPO)


def test_bad_configs_and_duplicates_are_refused_clearly():
    with pytest.raises(BadInputError, match="both report task 'land-use'"):
        render_geollava_card(CONFIG, [EUROSAT_ZERO_SHOT, dict(EUROSAT_ZERO_SHOT)], REPO)
    no_llm = copy.deepcopy(CONFIG)
    del no_llm["model"]["llm"]
    with pytest.raises(BadInputError, match="no base language model"):
        render_geollava_card(no_llm, [], REPO)
    no_encoder = copy.deepcopy(CONFIG)
    del no_encoder["model"]["vision_config"]
    with pytest.raises(BadInputError, match="no encoder architecture"):
        render_geollava_card(no_encoder, [], REPO)
    with pytest.raises(BadInputError, match="expected a mapping"):
        render_geollava_card(["not a config"], [], REPO)


def test_resolver_card_model_index_uses_the_same_helper():
    resolver_tests = load_test_module("training/test_model_card.py")  # the resolver card's own test context
    context = {
        **resolver_tests.CONTEXT,
        "datasets": ["georeset-test/examples"],
        "metrics": {"base all": 0.25, "LoRA all": 0.5, "base abbreviation": 0.0, "LoRA abbreviation": 1.0},
    }
    card = ModelCard(render_resolver_card(**context))
    assert card.data.library_name == "peft" and card.data.datasets == ["georeset-test/examples"]
    assert {(r.metric_config, r.metric_value) for r in card.data.eval_results} == {
        ("all", 0.5),
        ("abbreviation", 1.0),
    }
    assert {r.dataset_split for r in card.data.eval_results} == {"validation"}
    assert "allal2025smollm2smolgoesbig" in str(card)


def test_config_as_train_geollava_writes_it():
    """The shape `training/train_geollava.py` passes: top-level summary keys, an `encoder` section, one dict per
    stage (earlier stages from the metrics file of `--init_from`), notes, and the raw argument dataclasses."""
    config = {
        "base_model": "embedded:SmolLM2-135M-Instruct",  # as georeset.assets names it
        "encoder": {
            "architecture": "resnet18",
            "sensor": "s2_l2a",
            "bands": None,
            "weights": None,
            "image_size": 64,
            "frozen": True,
            "extra_sensors": None,
        },
        "image_tokens": 4,
        "datasets": ["outputs/sentinel-text"],
        "n_train_examples": 96,
        "stages": [
            {
                "stage": "align",
                "steps": 20,
                "max_steps": 20,
                "learning_rate": 1e-3,
                "per_device_train_batch_size": 2,
                "gradient_accumulation_steps": 2,
                "lora_r": None,
                "initial_loss": 5.5,
                "final_loss": 3.25,
                "train_seconds": 40.0,
                "samples_per_second": 2.0,
                "_base_model": "embedded",
            },
            {
                "stage": "instruct",
                "steps": 30,
                "max_steps": 30,
                "learning_rate": 2e-4,
                "lora_r": 8,
                "lora_alpha": 16,
                "initial_loss": 3.0,
                "final_loss": 2.0,
                "train_seconds": 70.0,
                "samples_per_second": 1.7,
            },
        ],
        "hardware": "2 x cpu",
        "precision": "fp32",
        "command": "training/train_geollava.py training/configs/geollava_demo_cpu.yaml --stage instruct",
        "notes": ["random encoder (no --encoder_weights)", "started from outputs/align"],
        "model_args": {"llm": "embedded", "stage": "instruct", "lora_r": 8},
        "data": {"split": "train", "languages": ["en", "fr"], "rows_used": 96},
    }
    text = render_geollava_card(config, [EUROSAT_ZERO_SHOT], "georeset-test/geollava-demo")
    assert "| align | 20 | 0.001 | - / - | 2 x 2 | 5.5 -> 3.25 | 2 | 40 |" in text
    assert "| instruct | 30 | 0.0002 | 8 / 16 |" in text
    assert "Run notes: random encoder (no --encoder_weights); started from outputs/align." in text
    assert "training/train_geollava.py training/configs/geollava_demo_cpu.yaml --stage instruct" in text
    assert "50 optimisation steps in all" in text and "Trained on **96 examples** only" in text
    assert ModelCard(text).data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"


def _mode(metrics: dict, **settings) -> dict:
    """A mode or baseline block as `georeset eval eo` writes it: metrics, wall time, settings."""
    return {**metrics, "per_class": {}, "confusion": [], "wall_s": 1.5, "settings": settings}


def test_reports_as_georeset_eval_eo_writes_them():
    """`--mode all` reports: the dataset as a dict (path, form, nomenclature), one block per mode with its settings
    (k), baselines with wall times, and published figures in % keyed by description."""
    eurosat_ms = {
        "task": "land-use",
        "mode": "zero-shot",
        "accuracy": 0.2,
        "macro_f1": 0.1,
        "n": 131,
        "modes": {
            "zero-shot": _mode({"accuracy": 0.2, "macro_f1": 0.1, "n": 131}),
            "few-shot": _mode({"accuracy": 0.25, "macro_f1": 0.15, "n": 131}, k=4),
            "linear-probe": _mode({"accuracy": 0.8, "macro_f1": 0.75, "n": 131}, folds=5),
        },
        "baselines": {"majority": _mode({"accuracy": 0.12, "macro_f1": 0.02, "n": 131}), "random": _mode({})},
        "dataset": {
            "path": "../shared/data/sentinel2/eurosat-ms-subset",
            "form": "eurosat-ms",
            "published": "eurosat",
        },
        "published": {"zero-shot accuracy, EuroSAT RGB, LHRS-Bot (Muhtar et al. 2024)": 51.4},
        "model": {"id": "embedded", "untrained": True},
    }
    bigearthnet = {
        "task": "land-use",
        "mode": "zero-shot",
        "modes": {
            "zero-shot": _mode(
                {
                    "accuracy": 0.0,
                    "micro_f1": 0.3,
                    "macro_f1": 0.1,
                    "samples_f1": 0.25,
                    "exact_match": 0.0,
                    "hamming_loss": 0.2,
                    "n": 6,
                }
            )
        },
        "baselines": {"majority": _mode({"accuracy": 0.0, "micro_f1": 0.35, "n": 6})},
        "dataset": {"path": "bigearthnet-common examples", "form": "bigearthnet", "nomenclature": "19"},
    }
    text = render_geollava_card(CONFIG, [eurosat_ms, bigearthnet], REPO)
    card = ModelCard(text)
    metrics = metrics_of(card)
    assert metrics[("eurosat-ms", "few-shot k=4", "accuracy")] == 0.25
    assert metrics[("eurosat-ms", "linear-probe", "f1")] == 0.75
    assert metrics[("bigearthnet", "zero-shot", "hamming_loss")] == 0.2
    assert {r.dataset_config for r in card.data.eval_results if r.dataset_type == "bigearthnet"} == {
        "19 classes"
    }
    assert "random" not in {
        r.metric_config for r in card.data.eval_results
    }  # baselines stay out of model-index
    assert "| EuroSAT MS (13 bands) | GeoLLaVA, few-shot k=4 | 131 | 25.0 | 15.0 |" in text
    assert "| EuroSAT MS (13 bands) | baseline: random | - | - | - |" in text
    assert "| BigEarthNet (19 classes) | baseline: majority | - | 0.0 | - | 35.0 |" in text
    assert (
        "| EuroSAT MS (13 bands) | zero-shot accuracy, EuroSAT RGB, LHRS-Bot (Muhtar et al. 2024) | 51.4 |"
        in text
    )
    assert "(land-use, zero-shot) the accuracy 0.0 % does not beat the majority-class baseline" in text
    assert "The figures on EuroSAT MS (13 bands) (land-use) were measured on an **untrained** model" in text
    assert "BigEarthNet (19 classes) (land-use) were measured" not in text
