"""Data for GeoLLaVA training: the Sentinel <-> text instruction dataset checked, filtered and batched.

The dataset layout is `data_builders.imagery.schema.instruction_features`: one row = one patch (`pixels`
`(bands, S, S)` float32 in physical units, `band_names`, `sensor`) + one conversation (`messages`: optional system
turns, then user and assistant turns, ending with an answer). Everything that can make training fail is checked
here, before the first step: the dataset exists, is not empty, has the columns, every conversation ends with an
answer, and the encoder finds its bands in the rows (`route_sensors`). `GeoLlavaCollator` then turns rows into
batches (the image placeholder before the first user text, the loss on every assistant answer).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from georeset.errors import BadInputError

TRAINING_COLUMNS = ("pixels", "band_names", "sensor", "messages")
"""Columns the trainer reads; `task` and `language` too when the run filters on them."""

# RGB datasets may name their bands by colour; the "rgb" encoder preset names them by Sentinel-2 band.
_RGB_ALIASES = {"R": "B04", "RED": "B04", "G": "B03", "GREEN": "B03", "B": "B02", "BLUE": "B02"}


def _local_cache_dir(folder: Path) -> Path:
    """A datasets cache folder for one local dataset folder and its current files.

    datasets keys the cache of a local folder by its base name and layout, so two folders named alike (two runs'
    `out/`) would share one cache and the second would silently train on the first's rows.
    """
    import hashlib

    import datasets

    digest = hashlib.sha1(str(folder.resolve()).encode())
    for file in sorted(folder.rglob("*")):
        if file.is_file() and ".cache" not in file.parts:
            stat = file.stat()
            digest.update(f"{file.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return Path(datasets.config.HF_DATASETS_CACHE) / "georeset-local" / digest.hexdigest()[:16]


def load_instruction_dataset(source: str | os.PathLike, split: str = "train"):
    """One split of an instruction dataset: a folder written by `georeset imagery build`, a parquet file, or a
    Hub dataset id.

    Raises:
        BadInputError: nothing is found under that name, the split does not exist, or the split is empty.
    """
    from datasets import load_dataset
    from datasets.exceptions import DatasetNotFoundError

    text = str(source)
    path = Path(text).expanduser()
    try:
        if path.is_file() and path.suffix == ".parquet":
            dataset = load_dataset("parquet", data_files=str(path), split="train")
        elif path.is_dir():
            dataset = load_dataset(str(path), split=split, cache_dir=str(_local_cache_dir(path)))
        elif text.count("/") == 1 and not text.startswith((".", "/", "~")):
            dataset = load_dataset(text, split=split)
        else:
            raise BadInputError(
                f"--dataset {text}: no such folder or parquet file, and not a Hub id (ORG/NAME)"
            )
    except DatasetNotFoundError as err:
        raise BadInputError(f"--dataset {text}: no such dataset on the Hub or on disk ({err})") from err
    except ValueError as err:  # unknown split, no data files, or an empty parquet shard
        if "corresponds to no data" in str(err):
            raise BadInputError(f"--dataset {text}: split '{split}' is empty") from err
        raise BadInputError(f"--dataset {text} (split '{split}'): {err}") from err
    except (FileNotFoundError, ConnectionError, OSError) as err:
        raise BadInputError(f"--dataset {text}: cannot be read ({type(err).__name__}: {err})") from err
    if len(dataset) == 0:
        raise BadInputError(f"--dataset {text}: split '{split}' is empty")
    return dataset


def check_columns(dataset, source: str, filters: Sequence[str] = ()) -> None:
    """Refuse a dataset without the columns training (and the asked filters) need."""
    needed = list(TRAINING_COLUMNS) + list(filters)
    missing = [name for name in needed if name not in dataset.column_names]
    if missing:
        raise BadInputError(
            f"--dataset {source}: missing columns {missing} (it has {dataset.column_names}); GeoLLaVA trains on "
            "the layout of data_builders.imagery.schema.instruction_features (`georeset imagery build`)"
        )


def check_conversation(messages: Sequence[dict]) -> None:
    """A conversation to train on: user/assistant (optionally system) turns, the first non-system one the user's,
    ending with a non-empty assistant answer. Every assistant turn is a target.

    Raises:
        BadInputError: anything else.
    """
    roles = [message.get("role") for message in messages]
    turns = [role for role in roles if role != "system"]
    if len(turns) < 2 or turns[0] != "user" or turns[-1] != "assistant" or set(turns) - {"user", "assistant"}:
        raise BadInputError(
            f"expected [system...] user, assistant[, user, assistant...] turns, got roles {roles}"
        )
    if any(not str(m.get("content") or "").strip() for m in messages if m.get("role") == "assistant"):
        raise BadInputError("an assistant turn is empty")


def image_conversation(messages: Sequence[dict]) -> list[dict]:
    """The conversation for the processor: the image placeholder goes before the first user turn's text."""
    converted, placed = [], False
    for message in messages:
        if message["role"] == "user" and not placed:
            parts = [{"type": "image"}, {"type": "text", "text": message["content"]}]
            converted.append({"role": "user", "content": parts})
            placed = True
        else:
            converted.append({"role": message["role"], "content": message["content"]})
    return converted


@dataclass
class SensorRoute:
    """How rows of one `(sensor, band_names)` group reach the encoder."""

    data_sensor: str
    data_bands: tuple[str, ...]
    encoder_sensor: str | None  # None: no encoder sensor finds its bands in these rows
    band_names: tuple[str, ...] = ()  # the data's bands, spelt as the encoder spells them
    missing: tuple[str, ...] = ()  # bands of the main encoder sensor that these rows lack
    rows: int = 0


@dataclass
class DataReport:
    """What the checks kept and dropped, for the run's summary and card."""

    rows_in: int = 0
    rows_after_filters: int = 0
    rows_unreadable: int = 0
    rows_too_long: int = 0
    rows_used: int = 0
    max_tokens: int = 0
    routes: list[SensorRoute] = field(default_factory=list)
    tasks: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    balanced: dict[str, int] | None = None  # rows per task/class after `balance_classes`


def _canonical_bands(bands: Sequence[str], data_sensor: str, encoder_sensor: str) -> tuple[str, ...]:
    from modeling.geollava import canonical_band_name

    names = [canonical_band_name(band) for band in bands]
    if encoder_sensor == "rgb" and data_sensor == "rgb":
        names = [_RGB_ALIASES.get(name, name) for name in names]
    return tuple(names)


def route_sensors(groups: Counter, encoder_sensors: list[dict]) -> list[SensorRoute]:
    """Pick, for each `(sensor, band_names)` group of rows, the encoder sensor that reads it.

    The encoder sensor of the same name is preferred; otherwise the first one whose bands all appear in the rows
    (a Sentinel-2 L1C patch holds every L2A band name, for instance). Groups that no encoder sensor can read get
    `encoder_sensor=None` and the main sensor's missing bands.
    """
    routes = []
    for (data_sensor, bands), count in sorted(groups.items()):
        ordered = sorted(encoder_sensors, key=lambda spec: spec["sensor"] != data_sensor)
        chosen = None
        for spec in ordered:
            names = _canonical_bands(bands, data_sensor, spec["sensor"])
            if set(spec["bands"]) <= set(names):
                chosen = SensorRoute(data_sensor, tuple(bands), spec["sensor"], names, (), count)
                break
        if chosen is None:
            main = encoder_sensors[0]
            names = _canonical_bands(bands, data_sensor, main["sensor"])
            missing = tuple(band for band in main["bands"] if band not in names)
            chosen = SensorRoute(data_sensor, tuple(bands), None, names, missing, count)
        routes.append(chosen)
    return routes


def prepare_dataset(
    dataset,
    source: str,
    processor,
    encoder_sensors: list[dict],
    *,
    tasks: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    max_samples: int | None = None,
    max_length: int | None = None,
    on_missing_bands: str = "error",
    balance_classes: bool = False,
    seed: int = 0,
):
    """Filter and check a loaded split; returns `(dataset, routes by (sensor, bands), DataReport)`.

    Args:
        dataset: the split from `load_instruction_dataset`.
        source: its name, for messages.
        processor: the model's `GeoLlavaProcessor` (token counts include the image tokens).
        encoder_sensors: `SentinelEncoderConfig.sensors` of the model.
        tasks, languages: keep only these values of the `task` / `language` columns.
        max_samples: keep at most N rows (a seeded random choice, the same on every process).
        max_length: drop rows whose prompt + answer is longer than this many tokens (counted in the report).
        on_missing_bands: "error" refuses rows the encoder cannot read; "skip" drops and counts them.
        balance_classes: resample the rows (seeded, with replacement, same total) so that within each task every
            dominant class (a row's first label) gets the same share; see `balanced_indices`.
        seed: for `max_samples` and `balance_classes`.

    Raises:
        BadInputError: missing columns, malformed conversations, unreadable bands (with "error"), or nothing
            left to train on.
    """
    if on_missing_bands not in ("error", "skip"):
        raise BadInputError(f"--on_missing_bands must be 'error' or 'skip', got '{on_missing_bands}'")
    filters = [name for name, wanted in (("task", tasks), ("language", languages)) if wanted]
    check_columns(dataset, source, filters)
    report = DataReport(rows_in=len(dataset))
    if filters:
        wanted_tasks, wanted_languages = set(tasks or ()), set(languages or ())

        def keep(*values) -> bool:
            row = dict(zip(filters, values, strict=True))
            return (not wanted_tasks or row["task"] in wanted_tasks) and (
                not wanted_languages or row["language"] in wanted_languages
            )

        dataset = dataset.filter(keep, input_columns=filters)
        if len(dataset) == 0:
            raise BadInputError(
                f"--dataset {source}: no rows left after the filters tasks={list(tasks or [])} "
                f"languages={list(languages or [])}"
            )
    report.rows_after_filters = len(dataset)
    if max_samples is not None and max_samples < len(dataset):
        dataset = dataset.shuffle(seed=seed).select(range(max_samples)).flatten_indices()

    light = dataset.select_columns(
        [
            c
            for c in ("id", "sensor", "band_names", "messages", "task", "language", "labels")
            if c in dataset.column_names
        ]
    )
    groups: Counter = Counter()
    keys, lengths, labels, classes = [], [], [], []
    for index, row in enumerate(light):
        name = row.get("id", f"row {index}")
        try:
            check_conversation(row["messages"])
        except BadInputError as err:
            raise BadInputError(f"--dataset {source}: row {name}: {err}") from err
        key = (row["sensor"], tuple(row["band_names"]))
        groups[key] += 1
        keys.append(key)
        lengths.append(conversation_tokens(processor, image_conversation(row["messages"])))
        labels.append((row.get("task", ""), row.get("language", "")))
        classes.append((row.get("task", ""), (row.get("labels") or [""])[0]))
    routes = route_sensors(groups, encoder_sensors)
    report.routes = routes
    unreadable = {(r.data_sensor, r.data_bands): r for r in routes if r.encoder_sensor is None}
    if unreadable and on_missing_bands == "error":
        details = "; ".join(
            f"{r.rows} rows of sensor '{r.data_sensor}' with bands {list(r.data_bands)} lack {list(r.missing)}"
            for r in unreadable.values()
        )
        raise BadInputError(
            f"--dataset {source}: the encoder reads {[s['sensor'] for s in encoder_sensors]} with bands "
            f"{encoder_sensors[0]['bands']}, but {details}. Choose an encoder sensor/bands the data has "
            "(--encoder_sensor, --encoder_bands) or drop those rows with --on_missing_bands skip"
        )
    keep_rows = []
    for index, (key, length) in enumerate(zip(keys, lengths, strict=True)):
        if key in unreadable:
            report.rows_unreadable += 1
        elif max_length is not None and length > max_length:
            report.rows_too_long += 1
        else:
            keep_rows.append(index)
            report.max_tokens = max(report.max_tokens, length)
            task, language = labels[index]
            report.tasks[task] = report.tasks.get(task, 0) + 1
            report.languages[language] = report.languages.get(language, 0) + 1
    if not keep_rows:
        raise BadInputError(
            f"--dataset {source}: no row left to train on ({report.rows_unreadable} unreadable by the encoder, "
            f"{report.rows_too_long} longer than --max_length {max_length})"
        )
    if balance_classes:
        chosen = balanced_indices([classes[i] for i in keep_rows], seed)
        report.balanced = dict(
            sorted(Counter(f"{classes[keep_rows[i]][0]}/{classes[keep_rows[i]][1]}" for i in chosen).items())
        )
        keep_rows = [keep_rows[i] for i in chosen]
    if len(keep_rows) < len(dataset) or balance_classes:
        dataset = dataset.select(keep_rows).flatten_indices()
    report.rows_used = len(dataset)
    route_map = {(r.data_sensor, r.data_bands): r for r in routes if r.encoder_sensor is not None}
    return dataset.with_format("numpy", columns=["pixels"], output_all_columns=True), route_map, report


def balanced_indices(keys: Sequence[tuple[str, str]], seed: int = 0) -> list[int]:
    """Indices that resample rows so each `(task, class)` key gets an equal share of its task's rows.

    Each task keeps its number of rows; within it, rows are drawn with replacement with weight 1 / (rows of their
    class), so a class of 20 rows weighs as much as one of 600 (the eo-learn scene is three quarters forest).
    Seeded; the order is shuffled.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    counts = Counter(keys)
    chosen: list[int] = []
    for task in sorted({task for task, _ in keys}):
        members = np.array([i for i, key in enumerate(keys) if key[0] == task])
        weights = np.array([1.0 / counts[keys[i]] for i in members])
        chosen.extend(
            rng.choice(members, size=len(members), replace=True, p=weights / weights.sum()).tolist()
        )
    return [chosen[i] for i in rng.permutation(len(chosen))]


def conversation_tokens(processor, conversation: list[dict], add_generation_prompt: bool = False) -> int:
    """Tokens of a rendered conversation once each image placeholder is expanded into the image tokens."""
    text = processor.apply_chat_template(conversation, add_generation_prompt=add_generation_prompt)
    placeholders = text.count(processor.image_token)
    return len(processor.tokenizer(text)["input_ids"]) + placeholders * (processor.image_seq_length - 1)


class GeoLlavaCollator:
    """Rows of the instruction dataset -> a GeoLLaVA training batch, the loss on every assistant answer.

    Each answer's token span is found by rendering the conversation up to its turn (with the assistant opener)
    and up to its end, so the labels cover the answer and the chat template's end-of-turn token (the model learns
    to stop) and nothing of the prompts, system text or image tokens. Sequences are right-padded.

    RGB views (`rgb_view_fraction`): that share of the Sentinel-2 rows reach the encoder as an 8-bit true-colour
    rendering of B04, B03, B02 (`true_colour_8bit`, gain `TRUE_COLOUR_GAIN` x 2^u, u uniform in [-0.5, 0.5]:
    renderings differ in brightness), processed exactly as RGB input is at inference (`input_sensor="rgb"`,
    the other bands filled with their means), so the model learns from the bands a user may give. Which rows,
    and their gain, follow from the row id: the same row always gets the same view (resume stays exact).

    Args:
        processor: the model's `GeoLlavaProcessor`.
        routes: `(sensor, band_names) -> SensorRoute` from `prepare_dataset`.
        rgb_view_fraction: share of the rows with B04, B03 and B02 shown as true-colour RGB (0: none).
    """

    def __init__(
        self,
        processor,
        routes: dict[tuple[str, tuple[str, ...]], SensorRoute],
        rgb_view_fraction: float = 0.0,
    ):
        if not 0.0 <= rgb_view_fraction <= 1.0:
            raise BadInputError(f"--rgb_view_fraction must lie in [0, 1], got {rgb_view_fraction}")
        self.processor = processor
        self.routes = routes
        self.rgb_view_fraction = rgb_view_fraction

    def rgb_view_gain(self, row_id: str) -> float | None:
        """The true-colour gain of this row's RGB view, or None when the row keeps its bands."""
        import hashlib

        from modeling.geollava.image_processing_geollava import TRUE_COLOUR_GAIN

        digest = hashlib.sha256(str(row_id).encode()).digest()
        draw, spread = (int.from_bytes(digest[i : i + 4], "little") / 2**32 for i in (0, 4))
        if draw >= self.rgb_view_fraction:
            return None
        return TRUE_COLOUR_GAIN * 2.0 ** (spread - 0.5)

    def rgb_view(self, bands: dict, gain: float):
        """`pixel_values[0]` of the true-colour rendering, processed as RGB input is at inference."""
        from modeling.geollava.image_processing_geollava import TRUE_COLOUR_BANDS, true_colour_8bit

        image_processor = self.processor.image_processor
        out = image_processor(
            true_colour_8bit(bands, gain),
            sensor=image_processor.sensor_names[0],
            input_bands=list(TRUE_COLOUR_BANDS),
            channels_first=True,
            input_sensor="rgb",
            fill_missing_bands=True,
        )
        return out["pixel_values"][0]

    def answer_spans(self, conversation: list[dict]) -> list[tuple[int, int]]:
        """`(start, end)` token positions of each assistant answer in the rendered conversation."""
        spans = []
        for turn, message in enumerate(conversation):
            if message["role"] == "assistant":
                start = conversation_tokens(self.processor, conversation[:turn], add_generation_prompt=True)
                spans.append((start, conversation_tokens(self.processor, conversation[: turn + 1])))
        return spans

    def __call__(self, rows: list[dict]):
        import numpy as np
        import torch

        from modeling.geollava import IGNORE_INDEX

        texts, spans, images, views = [], [], [], {}
        main_sensor = self.processor.image_processor.sensor_names[0]
        for index, row in enumerate(rows):
            conversation = image_conversation(row["messages"])
            texts.append(self.processor.apply_chat_template(conversation))
            spans.append(self.answer_spans(conversation))
            route = self.routes[(str(row["sensor"]), tuple(str(b) for b in row["band_names"]))]
            pixels = np.asarray(row["pixels"], dtype=np.float32)
            bands = dict(zip(route.band_names, pixels, strict=True))
            images.append({route.encoder_sensor: bands})
            if self.rgb_view_fraction and route.encoder_sensor == main_sensor and str(row["sensor"]) != "rgb":
                gain = self.rgb_view_gain(row.get("id", texts[-1]))
                if gain is not None and {"B04", "B03", "B02"} <= set(bands):
                    views[index] = self.rgb_view(bands, gain)
        tokenizer = self.processor.tokenizer
        side, tokenizer.padding_side = tokenizer.padding_side, "right"
        try:
            batch = self.processor(text=texts, images=images, padding=True, input_scale="physical")
        finally:
            tokenizer.padding_side = side
        for index, view in views.items():  # one sensor image per row: pixel row `index` is this row's image
            batch["pixel_values"][index] = view.to(batch["pixel_values"].dtype)
        labels = torch.full_like(batch["input_ids"], IGNORE_INDEX)
        for index, row_spans in enumerate(spans):
            for start, end in row_spans:
                labels[index, start:end] = batch["input_ids"][index, start:end]
        labels[batch["attention_mask"] == 0] = IGNORE_INDEX
        labels[batch["input_ids"] == self.processor.image_token_id] = IGNORE_INDEX
        batch["labels"] = labels
        return batch


__all__ = [
    "TRAINING_COLUMNS",
    "balanced_indices",
    "DataReport",
    "GeoLlavaCollator",
    "SensorRoute",
    "check_columns",
    "check_conversation",
    "conversation_tokens",
    "image_conversation",
    "load_instruction_dataset",
    "prepare_dataset",
    "route_sensors",
]
