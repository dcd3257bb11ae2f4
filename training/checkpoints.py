"""Checkpoints shared by the training scripts: which are complete, which to resume from, and the training time so
far (written into each checkpoint so that a resumed run reports the whole run's time)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from transformers import TrainerCallback

from georeset.errors import BadInputError


def complete_checkpoints(output_dir: str) -> list[Path]:
    """Checkpoint folders of `output_dir`, oldest first, that a kill did not leave half-written.

    The Trainer writes `trainer_state.json` last when it saves a checkpoint, so a folder without it was interrupted.
    """
    folder = Path(output_dir)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("checkpoint-*"):
        step = path.name.removeprefix("checkpoint-")
        if path.is_dir() and step.isdigit() and (path / "trainer_state.json").is_file():
            found.append((int(step), path))
    return [path for _, path in sorted(found)]


def resume_checkpoint(training_args) -> str | None:
    """`--resume_from_checkpoint last|true` -> the newest complete checkpoint of the output folder; a path as is."""
    wanted = training_args.resume_from_checkpoint
    if wanted is None or str(wanted).lower() in ("false", "no", ""):
        return None
    if str(wanted).lower() in ("last", "true", "yes"):
        complete = complete_checkpoints(training_args.output_dir)
        if not complete:
            raise BadInputError(
                f"--resume_from_checkpoint {wanted}: no complete checkpoint in {training_args.output_dir}"
            )
        return str(complete[-1])
    if not os.path.isdir(wanted):
        raise BadInputError(f"--resume_from_checkpoint {wanted}: no such checkpoint folder")
    if not (Path(wanted) / "trainer_state.json").is_file():
        raise BadInputError(
            f"--resume_from_checkpoint {wanted}: the checkpoint is incomplete (no trainer_state.json; "
            "the run was probably killed while saving it): resume from an earlier one or with 'last'"
        )
    return wanted


TIME_FILE = "georeset_train_seconds.json"


def previous_seconds(checkpoint: str | None) -> float:
    """Training seconds spent before a checkpoint (0 for a fresh run or a checkpoint without the record)."""
    path = Path(checkpoint) / TIME_FILE if checkpoint else None
    return float(json.loads(path.read_text())["seconds"]) if path is not None and path.is_file() else 0.0


class TrainingClock(TrainerCallback):
    """Writes the training time so far into each checkpoint, so that a resumed run reports the whole run's time."""

    def __init__(self, before: float) -> None:
        self.before = before
        self.started = time.perf_counter()

    def on_save(self, args, state, control, **kwargs):
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and folder.is_dir():
            seconds = self.before + time.perf_counter() - self.started
            (folder / TIME_FILE).write_text(json.dumps({"seconds": round(seconds, 1)}) + "\n")
        return control


__all__ = ["TIME_FILE", "TrainingClock", "complete_checkpoints", "previous_seconds", "resume_checkpoint"]
