"""GeoLLaVA training as users launch it: a run killed with SIGKILL resumes with the same loss curve as an
uninterrupted one, and `accelerate launch` runs the script unchanged on two CPU processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from geollava_helpers import instruction_rows, write_instruction_dataset

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "training" / "train_geollava.py"
SIZE = 32


pytestmark = pytest.mark.usefixtures("one_thread")


def run_args(dataset: Path, model: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--dataset", str(dataset), "--llm", str(model), "--image_size", str(SIZE), "--output_dir", str(out),
        "--per_device_train_batch_size", "2", "--logging_steps", "1", "--learning_rate", "5e-3", "--lora_r", "4",
        "--stage", "instruct", "--save_steps", "3", "--save_total_limit", "100", *extra,
    ]  # fmt: skip


def loss_curve(out: Path) -> list[tuple[int, float]]:
    record = json.loads((out / "geollava_training.json").read_text())
    return [tuple(pair) for pair in record["stages"][-1]["loss_curve"]]


def environment() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")


@pytest.mark.slow
def test_killed_run_resumes_with_the_same_losses(tmp_path, tiny_model):
    """SIGKILL after a checkpoint, `--resume_from_checkpoint last`, and per-step losses equal to ~1e-5 (cosine
    schedule, LoRA dropout and data shuffling all restored)."""
    from training.train_geollava import main

    dataset = write_instruction_dataset(tmp_path / "data", instruction_rows(SIZE, repeat=2), SIZE)
    steps = "24"
    reference = tmp_path / "reference"
    assert main(run_args(dataset, tiny_model, reference, "--max_steps", steps)) == 0

    killed = tmp_path / "killed"
    command = [sys.executable, str(SCRIPT), *run_args(dataset, tiny_model, killed, "--max_steps", steps)]
    log = tmp_path / "killed.log"
    with open(log, "wb") as stderr:  # a file, not a pipe: a full pipe would stall the run's progress bars
        process = subprocess.Popen(
            command, env=environment(), start_new_session=True, stdout=subprocess.DEVNULL, stderr=stderr
        )
    deadline = time.time() + 240
    while not (killed / "checkpoint-3" / "trainer_state.json").is_file() and time.time() < deadline:
        if process.poll() is not None:
            pytest.fail(f"training exited early with {process.returncode}: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed / "geollava_training.json").exists(), "the run finished before it could be killed"
    last = max(int(path.parent.name.split("-")[1]) for path in killed.glob("checkpoint-*/trainer_state.json"))
    assert last < int(steps)

    assert (
        main(
            [*run_args(dataset, tiny_model, killed, "--max_steps", steps), "--resume_from_checkpoint", "last"]
        )
        == 0
    )
    expected, got = loss_curve(reference), loss_curve(killed)
    assert [step for step, _ in got] == list(range(1, int(steps) + 1))
    np.testing.assert_allclose([loss for _, loss in got], [loss for _, loss in expected], atol=1e-5)


@pytest.mark.slow
def test_accelerate_launch_two_cpu_processes(tmp_path, tiny_model):
    dataset = write_instruction_dataset(tmp_path / "data", instruction_rows(SIZE), SIZE)
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--config_file", str(REPO / "training" / "configs" / "cpu_2proc.yaml"),
        "--main_process_port", "0",
        str(SCRIPT), *run_args(dataset, tiny_model, out, "--max_steps", "3"),
    ]  # fmt: skip
    result = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((out / "geollava_training.json").read_text())
    assert record["hardware"].startswith("2 x cpu")
    assert record["stages"][-1]["steps"] == 3 and len(loss_curve(out)) == 3
    assert (out / "model.safetensors").is_file() and (out / "checkpoint-3" / "trainer_state.json").is_file()


def test_accelerate_configs_parse():
    """Every accelerate config of training/configs loads with accelerate's own reader; DeepSpeed files exist."""
    from accelerate.commands.config.config_args import load_config_from_file

    configs = [
        path
        for path in (REPO / "training" / "configs").glob("*.yaml")
        if "compute_environment" in path.read_text()
    ]
    kinds = {path.name: str(load_config_from_file(str(path)).distributed_type) for path in configs}
    assert {"deepspeed_zero2.yaml", "deepspeed_zero3.yaml", "fsdp.yaml", "fsdp_multinode.yaml"} <= set(kinds)
    for name in ("deepspeed_zero2.yaml", "deepspeed_zero3.yaml"):
        ds_file = load_config_from_file(str(REPO / "training" / "configs" / name)).deepspeed_config[
            "deepspeed_config_file"
        ]
        stage = json.loads((REPO / ds_file).read_text())["zero_optimization"]["stage"]
        assert stage == int(name[-6])
