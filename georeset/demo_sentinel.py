"""The Sentinel half of `georeset demo`: instruction corpus -> GeoLLaVA training pushed to a local Hub -> the
trained model loaded back, answering about a real patch -> land-cover map evaluation.

Kept apart from `georeset.demo` so that the demo's table of contents stays short; each function is one step.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from georeset.errors import GeoresetError
from georeset.settings import REPO_ROOT, shared_data_dir

DEMO_REPO = "georeset-demo/geollava-sentinel-text"
DEMO_TOKEN = "georeset-demo"
# Steps of the demo's training run, as in the demo config: the projector learns to make the frozen LM's class answer
# depend on the image (forest vs grassland windows) in about 3.5 minutes on one CPU core.
DEMO_STEPS = 80


def build_corpus(out: Path) -> Path:
    """Build the default Sentinel <-> text instruction dataset (BigEarthNet examples, eo-learn Slovenia)."""
    from data_builders.imagery.dataset_io import build_instruction_dataset, load_instruction_dataset

    result = build_instruction_dataset(out, progress=False)
    print(result.summary())  # per task and language
    # The project's loader, not a plain folder load: datasets caches folders by name and would return a previous
    # demo's build of this same folder.
    row = load_instruction_dataset(out).with_format("numpy")[0]
    print(
        f"   row 0: {row['sensor']} pixels {tuple(row['pixels'].shape)}, task {row['task']} [{row['language']}]\n"
        f"   Q: {row['messages'][0]['content']}\n   A: {row['messages'][1]['content']}"
    )
    return out


def train_and_push(dataset: Path, out: Path, endpoint_env: dict[str, str], steps: int) -> None:
    """`accelerate launch training/train_geollava.py` on the demo config, pushing to the local Hub."""
    command = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--config_file", str(REPO_ROOT / "training" / "configs" / "cpu_1proc.yaml"),
        str(REPO_ROOT / "training" / "train_geollava.py"),
        str(REPO_ROOT / "training" / "configs" / "geollava_demo_cpu.yaml"),
        "--dataset", str(dataset), "--output_dir", str(out), "--max_steps", str(steps),
        "--save_steps", str(steps), "--logging_steps", "5",
        "--push_to_hub", "--hub_model_id", DEMO_REPO,
    ]  # fmt: skip
    print("$ accelerate launch training/train_geollava.py training/configs/geollava_demo_cpu.yaml "
          f"--max_steps {steps} --push_to_hub --hub_model_id {DEMO_REPO}", flush=True)  # fmt: skip
    shutil.rmtree(out, ignore_errors=True)  # the demo trains afresh each time (the script would resume)
    env = {**os.environ, **endpoint_env, "TQDM_DISABLE": "1", "PYTHONPATH": str(REPO_ROOT)}
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise GeoresetError(f"GeoLLaVA training failed:\n{completed.stderr[-3000:]}")
    losses = [
        line for line in completed.stdout.splitlines() + completed.stderr.splitlines() if "'loss'" in line
    ]
    for line in losses[:: max(1, len(losses) // 4)] + losses[-1:]:
        print("   " + line.strip()[:110])
    print(f"   trained {steps} steps in {time.perf_counter() - started:.0f} s; pushed to the local Hub")


def land_cover_question() -> tuple[str, str, list[str]]:
    """The closed-set land-cover prompt the demo model is trained on (the classification task of the instruction
    data): the system instruction listing eo-learn's land-cover classes, the question, and those classes."""
    from data_builders.imagery import templates as T

    options = list(dict.fromkeys(english for english, _ in T.EOLEARN_LULC_CLASSES.values()))
    instruction = T.CHOICE_INSTRUCTION["en"].format(
        subject="land cover", options=T.OPTION_SEPARATOR.join(options)
    )
    return instruction, T.CHOICE_QUESTIONS["en"].format(subject="land cover"), options


def answer_about_patch(repo: str) -> None:
    """Load the pushed model with the Auto classes and ask it the land-cover question about real BigEarthNet patches.

    The demo model trains its projector on the closed-set land-cover question only (the language model stays
    frozen), so it is asked that question, and its answer is read as zero-shot evaluation reads it: each class
    scored by the model's likelihood of it as the answer (free generation is the frozen SmolLM2's, and may ramble).
    """
    from transformers import AutoModelForImageTextToText, AutoProcessor

    import modeling.geollava  # noqa: F401  (registers the Auto classes)
    from data_builders.imagery.bigearthnet import read_bigearthnet_examples
    from eval.eo.model import EOModel, PatchClassifier

    model = AutoModelForImageTextToText.from_pretrained(repo).eval()
    processor = AutoProcessor.from_pretrained(repo)
    classifier = PatchClassifier(EOModel(model=model, processor=processor, name=repo))
    instruction, question, options = land_cover_question()
    prefix, query = classifier.prefix_and_query(instruction, [], question)
    patches = list(read_bigearthnet_examples("s2"))[:3]
    scores = classifier.score_answers(patches, query, options, classifier.encode_prefix(prefix))
    print(f"   system: {instruction}\n   Q: {question}")
    for patch, row in zip(patches, scores, strict=True):
        ranked = sorted(zip(row, options, strict=True), reverse=True)[:3]
        answers = ", ".join(f"{option} ({score:.2f})" for score, option in ranked)
        print(f"   A: {answers}   [{patch.id}; CORINE: {'; '.join(patch.labels)}]")
    print("   (mean log-likelihood per answer token, best first)")


def step_sentinel_training(args: argparse.Namespace, demo_out: Path) -> Path:
    """Corpus -> training -> push -> load back and answer. Returns the local copy of the trained model."""
    from georeset.hub.client import client_environ, hub_client_env
    from georeset.hub.server import serve_in_background

    dataset = build_corpus(demo_out / "sentinel-text")
    model_dir = demo_out / "geollava"
    # The client's HF_HOME (a model cache of ~1 GB) is scratch: removed when the step ends, even on error.
    with (
        serve_in_background(demo_out / "hub-geollava", token=DEMO_TOKEN) as server,
        tempfile.TemporaryDirectory(prefix="georeset-demo-hf-", ignore_cleanup_errors=True) as scratch,
    ):
        home = Path(scratch)
        train_and_push(
            dataset, model_dir, client_environ(server.endpoint, DEMO_TOKEN, home), args.train_steps
        )
        with hub_client_env(server.endpoint, DEMO_TOKEN, home):
            print(f"   from_pretrained({DEMO_REPO!r}) from {server.endpoint}:")
            answer_about_patch(DEMO_REPO)
    return model_dir


def step_eo_evaluation(model: Path, demo_out: Path) -> None:
    """Map the eo-learn Slovenia scene with the trained model and score it against the LULC reference."""
    from eval.eo.land_cover_map import run_land_cover_map

    if shared_data_dir() is None:
        print(
            "../shared/data is absent: the land-cover map needs the eo-learn Slovenia scene (set GEORESET_SHARED_DATA)"
        )
        return
    out = demo_out / "eo-land-cover"
    # Windows of 32 px side by side (stride 32): 9 per scene, so that zero-shot scoring stays about a minute on CPU.
    # Scene 4 (2015-09-09) is the clearest of the five dates; the first one is hazy (mean red reflectance 0.28,
    # NDVI 0.17 over forest, against 0.04 and 0.75 on 09-09).
    report = run_land_cover_map(
        model=str(model), out=out, mode=["zero-shot", "linear-probe"], scene=4, stride=32, progress=False
    )
    _print_eo_report(report, out)


def _print_eo_report(report: dict, out: Path) -> None:
    from eval.eo.run import format_summary

    print("   " + format_summary(report).replace("\n", "\n   "))
    print(f"   report: {out / 'report.json'}")
    for path in report.get("plots", []):
        print(f"   plot: {path}")


__all__ = ["DEMO_REPO", "DEMO_STEPS", "step_eo_evaluation", "step_sentinel_training"]
