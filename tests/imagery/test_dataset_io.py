"""Writing, resuming, publishing and loading the instruction dataset (data_builders.imagery.dataset_io)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from data_builders.imagery.dataset_io import (
    BUILD_REPORT,
    check_training_sources,
    load_instruction_dataset,
    push_instruction_dataset,
    write_instruction_dataset,
)
from data_builders.imagery.instructions import InstructionBuilder, InstructionSettings
from georeset.errors import BadInputError


def _patches(make_patch, n=6):
    return [make_patch(14.40 + 0.04 * i, 46.05, size=40, patch_id=f"t{i}", seed=i) for i in range(n)]


def _builder(spatial, passages, **settings):
    return InstructionBuilder(InstructionSettings(patch_size=16, **settings), spatial, passages)


def test_build_then_load_gives_arrays_with_band_names(tmp_path, spatial, passages, make_patch):
    result = write_instruction_dataset(
        _patches(make_patch, 3),
        tmp_path / "ds",
        _builder(spatial, passages),
        config={"test": 1},
        source_specs=["test"],
        progress=False,
    )
    assert result.rows == 3 * 8 and result.shards == ["data/train-00000-of-00001.parquet"]
    rows = load_instruction_dataset(tmp_path / "ds").with_format("numpy")
    assert len(rows) == 24
    row = rows[0]
    assert row["pixels"].shape == (12, 16, 16) and row["pixels"].dtype == np.float32
    assert list(row["band_names"])[:3] == ["B01", "B02", "B03"]
    card = (tmp_path / "ds" / "README.md").read_text()
    assert "configs:" in card and "path: data/train-*.parquet" in card
    assert "| caption | 6 |" in card and "| en | 12 |" in card  # 3 patches x 2 languages; 4 tasks x 3 patches
    report = json.loads((tmp_path / "ds" / BUILD_REPORT).read_text())
    assert report["instructions"]["examples"]["geotext/en"] == 3 and report["rows"] == 24
    assert not list(tmp_path.glob(".ds.partial*"))  # the staging folder was renamed into place


def test_eurosat_is_refused_unless_allowed(tmp_path, spatial, make_patch):
    with pytest.raises(BadInputError, match="evaluation"):
        check_training_sources(["bigearthnet", "eurosat_ms:/data/EuroSAT_MS"])
    check_training_sources(["eurosat_rgb:/x"], allow_eval_sources=True)
    patch = make_patch(14.5, 46.05, size=20, source="eurosat_ms", labels=("Forest",))
    with pytest.raises(BadInputError, match="evaluation-only"):
        write_instruction_dataset(
            [patch], tmp_path / "ds", _builder(spatial, None), config={}, progress=False
        )
    result = write_instruction_dataset(
        [patch], tmp_path / "ds", _builder(spatial, None), config={}, allow_eval_sources=True, progress=False
    )
    assert result.rows > 0 and "evaluation data" in (tmp_path / "ds" / "README.md").read_text()


def test_refuses_to_replace_a_folder_that_is_not_a_dataset(tmp_path, spatial, make_patch):
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "notes.txt").write_text("keep me")
    with pytest.raises(BadInputError, match="refusing"):
        write_instruction_dataset(
            _patches(make_patch, 1), tmp_path / "precious", _builder(spatial, None), config={}, progress=False
        )
    assert (tmp_path / "precious" / "notes.txt").read_text() == "keep me"


def test_no_rows_is_an_error_with_the_reasons(tmp_path, spatial):
    from data_builders.imagery.patch import Patch

    blank = Patch(id="blank", pixels=np.zeros((3, 8, 8), np.uint8), band_names=["R", "G", "B"], sensor="rgb")
    with pytest.raises(BadInputError, match="no labels and no georeferencing"):
        write_instruction_dataset(
            [blank], tmp_path / "ds", _builder(spatial, None), config={}, progress=False
        )


def test_interrupted_build_resumes_and_matches_a_fresh_one(tmp_path, spatial, passages, make_patch):
    patches = _patches(make_patch, 6)
    fresh = write_instruction_dataset(
        patches, tmp_path / "fresh", _builder(spatial, passages), config={}, shard_rows=8, progress=False
    )

    def killed_after(n):
        for i, patch in enumerate(patches):
            if i == n:
                raise KeyboardInterrupt  # as if the build were stopped here
            yield patch

    with pytest.raises(KeyboardInterrupt):
        write_instruction_dataset(
            killed_after(4),
            tmp_path / "ds",
            _builder(spatial, passages),
            config={},
            shard_rows=8,
            progress=False,
        )
    partial = tmp_path / ".ds.partial"
    kept = json.loads((partial / "progress.json").read_text())["shards"]
    assert [len(s["patches"]) for s in kept] == [1, 1, 1, 1] and not (tmp_path / "ds").exists()

    builder = _builder(spatial, passages)
    seen = []
    original = builder.rows
    builder.rows = lambda patch: seen.append(patch.id) or original(patch)
    resumed = write_instruction_dataset(
        patches, tmp_path / "ds", builder, config={}, shard_rows=8, progress=False
    )
    assert seen == ["t4", "t5"] and resumed.resumed_patches == 4
    assert resumed.rows == fresh.rows and resumed.report.examples == fresh.report.examples

    def content(folder):
        rows = load_instruction_dataset(folder)
        return sorted(zip(rows["id"], map(json.dumps, rows["messages"]), rows["provenance"], strict=True))

    assert content(tmp_path / "ds") == content(tmp_path / "fresh")
    # Another configuration never reuses those shards.
    other = write_instruction_dataset(
        patches[:1], tmp_path / "ds", _builder(spatial, passages, seed=3), config={}, progress=False
    )
    assert other.resumed_patches == 0 and other.rows == 8


@pytest.mark.slow
def test_push_to_local_hub_then_load_and_stream(tmp_path, hub_env, spatial, passages, make_patch):
    from datasets import load_dataset

    write_instruction_dataset(
        _patches(make_patch, 2), tmp_path / "ds", _builder(spatial, passages), config={}, progress=False
    )
    repo = "georeset-test/imagery-instructions"
    assert push_instruction_dataset(tmp_path / "ds", repo)
    rows = load_dataset(repo, split="train").with_format("numpy")
    assert len(rows) == 16 and rows[0]["pixels"].shape == (12, 16, 16)
    assert "B8A" in list(rows[0]["band_names"])
    stream = load_dataset(repo, split="train", streaming=True).with_format("numpy")
    first = next(iter(stream))
    assert isinstance(first["pixels"], np.ndarray) and first["pixels"].shape == (12, 16, 16)
    assert len(first["band_names"]) == 12
    assert load_instruction_dataset(repo)[0]["messages"][0]["role"] == "user"
