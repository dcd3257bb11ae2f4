"""`georeset card render`: files in, card out; `--push` replaces the card of a repo on the local Hub server."""

from __future__ import annotations

import json

import pytest
from huggingface_hub import DatasetCard, HfApi, ModelCard

from georeset.cli import main
from model_cards.cli import render_from_files
from model_cards.render import render_geollava_card

CONFIG = {
    "model": {"llm": "embedded", "vision_config": {"architecture": "resnet18", "sensor": "s2_l2a"}},
    "data": {"dataset": "outputs/sentinel-text", "n_train_examples": 64},
    "training": {"max_steps": 10, "learning_rate": 1e-3, "final_loss": 2.0, "hardware": "1 x cpu"},
}
REPORT = {
    "task": "land-use",
    "dataset": "eurosat-rgb-dev",
    "mode": "zero-shot",
    "accuracy": 0.2,
    "macro_f1": 0.1,
    "n": 50,
    "baselines": {"majority": {"accuracy": 0.12}},
}


@pytest.fixture
def files(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    (tmp_path / "report.json").write_text(json.dumps(REPORT))
    return tmp_path


def test_render_to_file_matches_the_function(files, capsys):
    out = files / "card" / "README.md"
    argv = ["card", "render", "--kind", "geollava", "--config", str(files / "config.json")]
    assert main([*argv, "--eval", str(files / "report.json"), "--repo-id", "org/m", "--out", str(out)]) == 0
    assert out.read_text() == render_geollava_card(CONFIG, [REPORT], "org/m")
    assert main(argv) == 0  # no --out, no --push: printed
    assert "No evaluation report was given" in capsys.readouterr().out


def test_yaml_config_and_dataset_kind(files):
    (files / "stats.yaml").write_text("rows: 3\nsources:\n  factbook: 3\n")
    text = render_from_files("dataset", files / "stats.yaml", [], "org/geo", "geotext")
    assert "| factbook | 3 |" in text and 'load_dataset("org/geo"' in text


def test_bad_files_give_one_clear_message(files, capsys):
    (files / "broken.json").write_text("{not json")
    argv = ["card", "render", "--kind", "geollava", "--config", str(files / "config.json"), "--eval"]
    assert main([*argv, str(files / "broken.json")]) == 1
    assert f"--eval {files / 'broken.json'}: does not parse" in capsys.readouterr().err
    (files / "no_task.json").write_text(json.dumps({"dataset": "x", "mode": "zero-shot", "accuracy": 0.5}))
    assert main([*argv, str(files / "no_task.json")]) == 1
    assert f"{files / 'no_task.json'}: the report has no 'task'" in capsys.readouterr().err
    assert main(["card", "render", "--kind", "dataset", "--config", str(files / "config.json")]) == 1
    assert "--dataset-kind" in capsys.readouterr().err
    assert main(["card", "render", "--kind", "geollava", "--config", str(files / "missing.json")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_push_replaces_only_the_card_on_the_hub(hub_env, files, capsys):
    repo = "georeset-test/card-push-model"
    api = HfApi()
    api.create_repo(repo)
    api.upload_file(path_or_fileobj=b'{"model_type": "geollava"}', path_in_repo="config.json", repo_id=repo)
    argv = ["card", "render", "--kind", "geollava", "--config", str(files / "config.json"), "--repo-id", repo]
    assert main([*argv, "--eval", str(files / "report.json"), "--push"]) == 0
    card = ModelCard.load(repo)
    assert {(r.dataset_type, r.metric_type, r.metric_value) for r in card.data.eval_results} == {
        ("eurosat-rgb", "accuracy", 0.2),
        ("eurosat-rgb", "f1", 0.1),
    }
    assert card.data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert set(api.list_repo_files(repo)) >= {"README.md", "config.json"}
    # A new report, pushed again: the Hub card follows.
    (files / "report.json").write_text(json.dumps({**REPORT, "accuracy": 0.3}))
    assert main([*argv, "--eval", str(files / "report.json"), "--push"]) == 0
    assert ("accuracy", 0.3) in {
        (r.metric_type, r.metric_value) for r in ModelCard.load(repo).data.eval_results
    }


def test_push_dataset_card_and_missing_repo(hub_env, files, capsys):
    repo = "georeset-test/card-push-dataset"
    HfApi().create_repo(repo, repo_type="dataset")
    (files / "stats.json").write_text(json.dumps({"rows": 4, "sources": {"wikipedia": 4}}))
    argv = [
        "card",
        "render",
        "--kind",
        "dataset",
        "--dataset-kind",
        "geotext",
        "--config",
        str(files / "stats.json"),
    ]
    assert main([*argv, "--repo-id", repo, "--push"]) == 0
    card = DatasetCard.load(repo, repo_type="dataset")
    assert card.data.license == "cc-by-sa-4.0" and card.data.configs[0]["config_name"] == "default"
    assert main([*argv, "--repo-id", "georeset-test/card-push-nowhere", "--push"]) == 1
    assert "no such dataset repo on the Hub" in capsys.readouterr().err
