"""`georeset demo`: the main job end to end on the embedded defaults, printing what it made.

Each step is a small function so that the demo reads as a table of contents of what georeset does today.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from georeset.settings import REPO_ROOT

DEMO_OUT = REPO_ROOT / "outputs" / "demo"

QUESTION = "In which country is the city of Montpellier?"
SENTENCES = {
    "en": "Flooding hit Montpellier and the Hérault valley on Monday, while Tamil Nadu braced for a cyclone.",
    "fr": "Les inondations ont touché Montpellier et Nîmes, près du Rhône, avant d'atteindre Avignon.",
}


def _banner(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 72 - len(title)), flush=True)


def step_embedded_models(args: argparse.Namespace) -> None:
    """The embedded LLM answers a question; spaCy tags places in an English and a French sentence."""
    from georeset.assets import load_causal_lm, load_spacy

    started = time.perf_counter()
    model, tokenizer = load_causal_lm(args.llm)
    print(
        f"causal LM loaded in {time.perf_counter() - started:.1f} s ({model.num_parameters() / 1e6:.0f} M params)"
    )
    inputs = tokenizer.apply_chat_template(
        [{"role": "user", "content": QUESTION}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    ).to(model.device)
    output = model.generate(**inputs, max_new_tokens=40, do_sample=False)
    answer = tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True).strip()
    print(f"Q: {QUESTION}\nA: {answer}   (untuned 135M model: the geoparser does not trust it blindly)")
    for lang, sentence in SENTENCES.items():
        doc = load_spacy(lang)(sentence)
        print(f"spaCy [{lang}] {sentence}")
        print("   entities: " + ", ".join(f"{ent.text} ({ent.label_})" for ent in doc.ents))


STEPS: list[tuple[str, Callable[[argparse.Namespace], None]]] = [
    ("Embedded models, offline", step_embedded_models),
]


def run_demo(args: argparse.Namespace) -> int:
    """Run every step in order; stop at the first failure with its message."""
    DEMO_OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for title, step in STEPS:
        _banner(title)
        step(args)
    print(
        f"\nDemo finished in {time.perf_counter() - started:.0f} s; outputs in {DEMO_OUT.relative_to(Path.cwd()) if DEMO_OUT.is_relative_to(Path.cwd()) else DEMO_OUT}"
    )
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `georeset demo`."""
    parser = subparsers.add_parser("demo", help="run the main job end to end on the embedded defaults")
    parser.add_argument(
        "--llm", default=None, help="causal LM (Hub id or folder); default: embedded SmolLM2-135M"
    )
    parser.set_defaults(func=run_demo)


__all__ = ["add_parser", "run_demo"]
