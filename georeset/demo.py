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


def step_geollava(args: argparse.Namespace) -> None:
    """A small GeoLLaVA (embedded LM + ResNet-18 Sentinel-2 encoder) reads a real BigEarthNet patch and answers."""
    from modeling.geollava.build import build_geollava
    from modeling.geollava.sample_data import bigearthnet_patches

    patch = bigearthnet_patches()[0]
    started = time.perf_counter()
    model, processor = build_geollava(llm=args.llm)
    encoder = model.config.vision_config
    print(
        f"GeoLLaVA built in {time.perf_counter() - started:.1f} s: {encoder.architecture} on {encoder.sensor} "
        f"({encoder.in_chans} bands, {encoder.image_size} px -> {model.config.image_seq_length} image tokens), "
        f"{model.num_parameters() / 1e6:.0f} M params"
    )
    question = "What land cover does this Sentinel-2 image show?"
    conversation = [
        {
            "role": "user",
            "content": [{"type": "image", "image": patch.s2_files}, {"type": "text", "text": question}],
        }
    ]
    inputs = processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=True)
    output = model.generate(**inputs, max_new_tokens=24, do_sample=False)
    answer = processor.tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    print(
        f"patch {patch.name}: {len(patch.s2_files)} band GeoTIFFs; CORINE labels: {'; '.join(patch.labels)}"
    )
    print(
        f"Q: {question}\nA: {answer.strip()}   (projector not trained yet: the answer is not grounded in the image)"
    )


def step_local_hub(args: argparse.Namespace) -> None:
    """A dataset and a model published to a local Hub server on loopback, then loaded back identical."""
    from georeset.hub.roundtrip_demo import run_hub_roundtrip

    report = run_hub_roundtrip(DEMO_OUT / "hub")
    print(f"local Hub at {report.endpoint} (root: {DEMO_OUT / 'hub' / 'hub-root'})")
    print(
        f"dataset {report.dataset_repo}: {report.dataset_rows} GeoNames cities pushed, load_dataset gave them back"
    )
    print(
        f"model {report.model_repo}: {report.model_parameters:,} parameters pushed, "
        f"from_pretrained gave them back bit-identical ({report.seconds:.1f} s in all)"
    )


LOOKUPS = ("Montpellier", "Paris", "St Petersburg", "Turkish", "W.Va.")
GEOPARSE_TEXTS = [
    ("en", "The Paris Police Department said Turkish investors had bought land near Paris, Texas."),
    (
        "en",
        "Flooding closed roads between Montpellier and Nîmes in the south of France, and Tamil Nadu braced for a cyclone.",
    ),
    (
        "fr",
        "Les inondations ont touché Montpellier et Nîmes, près du Rhône, avant d'atteindre Avignon et Marseille.",
    ),
]

LOCAL_PAPER = [
    "Rapides Parish deputies said the fire started in a mobile home in Pineville.",
    "Louisiana State Police closed a road in Rapides Parish after a crash near Ball.",
    "Students from Pineville High School travelled to Baton Rouge for the state finals.",
    "An Alexandria woman was charged with arson on Friday.",
]
"""Four articles of one local paper: the last says nothing of which Alexandria, the others say where the paper is."""


def step_gazetteer(args: argparse.Namespace) -> None:
    """Build (or reuse) the embedded gazetteer and show a few lookups from its index."""
    from data_builders.gazetteer import load_gazetteer
    from data_builders.gazetteer.build import ensure_gazetteer

    started = time.perf_counter()
    ensure_gazetteer()
    index = load_gazetteer()
    print(f"gazetteer ready in {time.perf_counter() - started:.1f} s: {len(index):,} entities")
    for name in LOOKUPS:
        found = index.lookup(name, top_k=3)
        shown = "; ".join(
            f"{c.name} ({c.feature_type}, {c.admin1_name + ', ' if c.admin1_name else ''}{c.country_code}, "
            f"pop {c.population:,}, {c.match_type}{' ' + c.matched_lang if c.matched_lang else ''})"
            for c in found
        )
        print(f"  lookup {name!r:16} -> {shown}")


def step_geoparse(args: argparse.Namespace) -> None:
    """Geoparse an English and a French text; print each toponym and write the GeoJSON maps."""
    import json

    from modeling.geoparsing import Geoparser, to_geojson

    parsers = {lang: Geoparser(lang=lang) for lang in {lang for lang, _ in GEOPARSE_TEXTS}}
    for number, (lang, text) in enumerate(GEOPARSE_TEXTS, start=1):
        doc = parsers[lang].parse(text)
        print(f"[{lang}] {text}")
        for t in doc.toponyms:
            where = f"{t.lat:.3f}, {t.lon:.3f}" if t.lat is not None else "no match"
            print(
                f"   {t.text!r:22} -> {t.name or '-'} ({t.feature_type or '-'}; {t.admin_path or '-'}) "
                f"[{where}] conf {t.confidence:.2f} by {t.stage}"
            )
        out = DEMO_OUT / f"geoparse-{number}-{lang}.geojson"
        out.write_text(json.dumps(to_geojson(doc), ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"   map: {out}")
    print("collection context: four articles of one local paper, the last one alone and with the others")
    alone = parsers["en"].parse_batch(LOCAL_PAPER)[-1]
    together = parsers["en"].parse_collection(LOCAL_PAPER, ["local-paper"] * len(LOCAL_PAPER))[-1]
    print(f"   {LOCAL_PAPER[-1]}")
    for label, doc in (("alone", alone), ("with its paper", together)):
        for t in doc.toponyms:
            print(f"   {label:15} {t.text!r} -> {t.name} ({t.admin_path or '-'}) conf {t.confidence:.2f}")
    _geoparse_a_file([text for lang, text in GEOPARSE_TEXTS if lang == "en"] + LOCAL_PAPER)


def _geoparse_a_file(texts: list[str]) -> None:
    """The batch workflow: a JSONL file in, a JSONL file out, through the command line with two processes."""
    import json

    from georeset.cli import main

    articles, parsed = DEMO_OUT / "articles.jsonl", DEMO_OUT / "articles-geoparsed.jsonl"
    articles.write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)), "utf-8"
    )
    command = [
        "geoparse",
        "--input",
        str(articles),
        "--output",
        str(parsed),
        "--n-process",
        "2",
        "--no-geometry",
    ]
    print(f"$ georeset {' '.join(command)}")
    if main(command) != 0:
        raise RuntimeError(f"georeset {' '.join(command)} failed")
    lines = [json.loads(line) for line in parsed.read_text(encoding="utf-8").splitlines()]
    names = sorted({t["name"] for line in lines for t in line["toponyms"] if t["name"]})
    print(f"   {len(lines)} documents -> {parsed} (a killed run resumes where it stopped)")
    print(f"   places: {', '.join(names)}")


def step_sentinel_training(args: argparse.Namespace) -> None:
    """Sentinel <-> text corpus, a short GeoLLaVA training run pushed to a local Hub, the result answering."""
    from georeset.demo_sentinel import step_sentinel_training as run

    args.trained_geollava = run(args, DEMO_OUT)


def step_eo_evaluation(args: argparse.Namespace) -> None:
    """The trained model maps land cover over a real Sentinel-2 scene, scored against its reference."""
    from georeset.demo_sentinel import step_eo_evaluation as run

    run(args.trained_geollava, DEMO_OUT)


STEPS: list[tuple[str, Callable[[argparse.Namespace], None]]] = [
    ("Embedded models, offline", step_embedded_models),
    ("Gazetteer: embedded default, candidate index", step_gazetteer),
    ("Geoparser: text -> toponyms -> gazetteer entities", step_geoparse),
    ("GeoLLaVA on a real Sentinel-2 patch", step_geollava),
    ("Publish to and load from a local Hub", step_local_hub),
    ("Sentinel <-> text corpus, GeoLLaVA training pushed to a local Hub", step_sentinel_training),
    ("Land-cover map of a Sentinel-2 scene with the trained GeoLLaVA", step_eo_evaluation),
]


def run_demo(args: argparse.Namespace) -> int:
    """Run every step in order; stop at the first failure with its message."""
    from georeset.demo_sentinel import DEMO_STEPS

    DEMO_OUT.mkdir(parents=True, exist_ok=True)
    args.train_steps = args.train_steps or DEMO_STEPS
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
    parser.add_argument(
        "--train-steps", type=int, default=None, help="steps of the GeoLLaVA demo training (default: 40)"
    )
    parser.set_defaults(func=run_demo)


__all__ = ["add_parser", "run_demo"]
