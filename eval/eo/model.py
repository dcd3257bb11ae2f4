"""GeoLLaVA as a patch classifier: images in, frozen-encoder features or answer log-likelihoods out.

Zero-shot and few-shot classification never parse generated text: each candidate answer (a class phrase followed
by the end-of-turn token) is scored by the model's log-likelihood given the conversation, and the best-scoring
class wins. The conversation is split into three parts, each run once:

1. the prefix (system instruction with the answer options, and for few-shot the k example turns with their images
   and answers): one forward pass, its key/value cache reused for every query;
2. the query turn (the image to classify and the question, then the assistant's turn opener): one pass per batch
   of images, on top of the prefix cache; every query has the same length, so no padding is needed;
3. the answers: the query cache repeated once per candidate answer, the answers right-padded (padding after the
   real tokens cannot change them under causal attention).

Scores are the mean log-probability per answer token (`length_normalize=True`, so that long class phrases are not
penalised for their length) or the sum.

Contextual calibration (`calibration="content-free"`, Zhao et al. 2021, "Calibrate Before Use"): a model's answer
log-likelihoods carry a bias towards some answers whatever the image (the classes frequent in its training data,
short or common words). Each score has the score of the same answer for a content-free image subtracted (in
probability terms: divided by p(answer | content-free input)); the content-free image is every band at its mean
(all zeros after standardisation), the input that says nothing. Nothing is fitted, on the evaluated data or any
other. It is not the default: on the demo model it turned "forest everywhere" on the eo-learn map (76.4%, the
majority) into 12.2%, and on EuroSAT RGB it did not beat the majority class either (see the session note).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from data_builders.imagery.patch import Patch
from georeset.errors import BadInputError, MissingAssetError
from modeling.answer_scoring import cache_tensors, pad_answers, repeated_cache

EMBEDDED = "embedded"
"""`--model embedded`: an untrained `build_geollava()` (random encoder and projector, embedded SmolLM2-135M)."""

CALIBRATIONS = ("content-free", "none")
RGB_BAND_NAMES = {"R": "B04", "G": "B03", "B": "B02"}
"""Patches of sensor "rgb" name their bands R, G, B; the encoder knows them as Sentinel-2's B04, B03, B02."""


@dataclass
class EOModel:
    """A GeoLLaVA, its processor, and what the report says about it."""

    model: torch.nn.Module
    processor: object
    name: str
    untrained: bool = False
    info: dict = field(default_factory=dict)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def load_eo_model(model_id: str | os.PathLike = EMBEDDED, device: str | None = None) -> EOModel:
    """Load a GeoLLaVA checkpoint (local folder or Hub id) or build the untrained embedded one.

    Raises:
        BadInputError: the checkpoint is not an image-text model with a Sentinel encoder.
        MissingAssetError: the checkpoint cannot be found.
    """
    import modeling.geollava  # noqa: F401  (registers the GeoLLaVA classes with the Auto classes)
    from modeling.geollava.build import build_geollava

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    name = str(model_id)
    if name == EMBEDDED:
        model, processor = build_geollava(load_encoder_weights=False, device=device)
        untrained = True
    else:
        from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

        try:
            config = AutoConfig.from_pretrained(name, trust_remote_code=True)
        except (OSError, ValueError) as err:
            raise MissingAssetError(f"model {name}: cannot load its config ({err})") from err
        if getattr(config, "vision_config", None) is None or getattr(config, "image_token_id", None) is None:
            raise BadInputError(
                f"model {name} ({getattr(config, 'model_type', type(config).__name__)}) has no image input: the EO "
                "evaluation needs a GeoLLaVA checkpoint (a vision_config and an image token)"
            )
        model = AutoModelForImageTextToText.from_pretrained(name, trust_remote_code=True).to(device).eval()
        processor = AutoProcessor.from_pretrained(name, trust_remote_code=True)
        untrained = False
    check_image_model(model, processor, name)
    vision = model.config.vision_config
    info = {
        "id": name,
        "untrained": untrained,
        "encoder": {
            "architecture": vision.architecture,
            "sensor": vision.sensor,
            "bands": list(vision.bands),
            "weights": vision.weights if not untrained else None,
            "image_size": vision.image_size,
        },
        "language_model": getattr(model.config.text_config, "_name_or_path", "")
        or model.config.text_config.model_type,
        "image_tokens": int(model.config.image_seq_length),
    }
    if untrained:
        info["note"] = (
            "untrained: random Sentinel encoder and projector on the embedded SmolLM2-135M-Instruct; its figures "
            "are a floor for the pipeline, not a model result"
        )
    return EOModel(model=model, processor=processor, name=name, untrained=untrained, info=info)


def check_image_model(model, processor, name: str = "model") -> None:
    """Refuse models that cannot take an image (no encoder, or a processor without an image processor)."""
    if not hasattr(model, "get_image_features") or getattr(model.config, "vision_config", None) is None:
        raise BadInputError(
            f"{name} ({type(model).__name__}) has no image input: the EO evaluation needs a GeoLLaVA "
            "(an image encoder and image tokens)"
        )
    if getattr(processor, "image_processor", None) is None:
        raise BadInputError(f"{name}: its processor has no image processor")


class PatchClassifier:
    """Turns patches into encoder features and scores candidate answers with a GeoLLaVA.

    Args:
        eo_model: the loaded model.
        batch_size: images per forward pass.
        length_normalize: score answers by mean (True) or summed (False) token log-probability.
        calibration: "none" (raw scores, the default) or "content-free" (subtract each answer's score for a
            content-free image; see the module docstring).
    """

    def __init__(
        self,
        eo_model: EOModel,
        batch_size: int = 16,
        length_normalize: bool = True,
        calibration: str = "none",
    ):
        if calibration not in CALIBRATIONS:
            raise BadInputError(f"unknown calibration '{calibration}': use one of {CALIBRATIONS}")
        self.calibration = calibration
        self.eo_model = eo_model
        self.model = eo_model.model
        self.processor = eo_model.processor
        self.tokenizer = self.processor.tokenizer
        self.batch_size = batch_size
        self.length_normalize = length_normalize
        self.filled_bands: set[str] = (
            set()
        )  # encoder bands the data lacked (filled with their mean): reported

    # -- images -----------------------------------------------------------------------------------------------
    def pixel_values(self, patches: Sequence[Patch]) -> torch.Tensor:
        """`(n, bands, size, size)` normalised inputs of the encoder's first sensor."""
        image_processor = self.processor.image_processor
        spec = image_processor.sensors[0]
        tensors = []
        for patch in patches:
            names = [RGB_BAND_NAMES.get(name, name) for name in patch.band_names]
            input_sensor = "rgb" if patch.sensor == "rgb" and spec["sensor"] != "rgb" else None
            self.filled_bands.update(band for band in spec["bands"] if band not in names)
            try:
                out = image_processor(
                    patch.pixels,
                    input_bands=names,
                    channels_first=True,
                    input_sensor=input_sensor,
                    fill_missing_bands=True,
                )
            except BadInputError as err:
                raise BadInputError(f"patch {patch.id} ({patch.path or patch.source}): {err}") from err
            tensors.append(out["pixel_values"][0])
        return torch.stack(tensors).to(self.eo_model.device, self.model.dtype)

    def content_free_pixels(self) -> torch.Tensor:
        """`(1, bands, size, size)`: every band of the first sensor at its mean (zero when standardised)."""
        image_processor = self.processor.image_processor
        spec = image_processor.sensors[0]
        size = image_processor.image_size
        pixels = torch.zeros((1, image_processor.max_in_chans, size, size))
        if spec["normalization"] == "reflectance":
            pixels[0, : len(spec["mean"])] = torch.tensor(spec["mean"], dtype=torch.float32)[:, None, None]
        return pixels.to(self.eo_model.device, self.model.dtype)

    @torch.inference_mode()
    def features(self, patches: Sequence[Patch], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """`(n, hidden)` pooled (token-mean) features of the frozen encoder, for the linear probe."""
        tower = self.model.model.vision_tower
        out = []
        for start in range(0, len(patches), self.batch_size):
            batch = patches[start : start + self.batch_size]
            pooled = tower(self.pixel_values(batch), return_dict=True).pooler_output
            out.append(pooled.float().cpu().numpy())
            if progress:
                progress(len(batch))
        return np.concatenate(out) if out else np.zeros((0, tower.config.hidden_size), np.float32)

    # -- conversations ----------------------------------------------------------------------------------------
    def _image_turn(self, question: str) -> list[dict]:
        return [{"type": "image"}, {"type": "text", "text": question}]

    def prefix_and_query(
        self, instruction: str | None, examples: Sequence[tuple[str, str]], question: str
    ) -> tuple[str, str]:
        """The rendered prefix (system + example turns) and query turn (user image + question + assistant opener).

        `examples` are (question, answer) pairs, each with one image placeholder before its question.
        """
        messages = [{"role": "system", "content": instruction}] if instruction else []
        for example_question, answer in examples:
            messages.append({"role": "user", "content": self._image_turn(example_question)})
            messages.append({"role": "assistant", "content": answer})
        query = [{"role": "user", "content": self._image_turn(question)}]
        full = self.processor.apply_chat_template(messages + query, add_generation_prompt=True)
        prefix = self.processor.apply_chat_template(messages) if messages else ""
        if not full.startswith(prefix):
            raise BadInputError(
                "the chat template renders the conversation differently with and without the query turn, so its "
                "prefix cannot be cached"
            )
        return prefix, full[len(prefix) :]

    def _ids(self, text: str) -> torch.Tensor:
        token = self.processor.image_token
        expanded = text.replace(token, token * self.processor.image_seq_length)
        ids = self.tokenizer(expanded, add_special_tokens=False, return_tensors="pt")["input_ids"]
        return ids.to(self.eo_model.device)

    @torch.inference_mode()
    def encode_prefix(self, prefix: str, images: Sequence[Patch] = ()) -> list | None:
        """Run the prefix once; its cache (per-layer keys and values) for `score_answers`. None when empty."""
        if not prefix:
            return None
        ids = self._ids(prefix)
        placeholders = prefix.count(self.processor.image_token)
        if placeholders != len(images):
            raise BadInputError(
                f"the prefix holds {placeholders} image placeholders for {len(images)} images"
            )
        pixels = self.pixel_values(images) if images else None
        out = self.model(input_ids=ids, pixel_values=pixels, use_cache=True, logits_to_keep=1)
        return cache_tensors(out.past_key_values)

    def answer_ids(self, answers: Sequence[str]) -> list[list[int]]:
        """Token ids of each answer followed by the end-of-turn token."""
        eos = self.tokenizer.eos_token or ""
        ids = [self.tokenizer(answer + eos, add_special_tokens=False)["input_ids"] for answer in answers]
        for answer, tokens in zip(answers, ids, strict=True):
            if not tokens:
                raise BadInputError(f"the answer {answer!r} has no tokens")
        if len({tuple(tokens) for tokens in ids}) != len(ids):
            raise BadInputError(f"two answers tokenize identically: {list(answers)}")
        return ids

    @torch.inference_mode()
    def score_answers(
        self,
        patches: Sequence[Patch],
        query: str,
        answers: Sequence[str],
        prefix_cache: list | None = None,
        progress: Callable[[int], None] | None = None,
        pixels: torch.Tensor | None = None,
    ) -> np.ndarray:
        """`(n_patches, n_answers)` log-likelihood of each answer given prefix, image and question.

        Args:
            patches: the images to classify, one per query.
            query: the rendered query turn with one image placeholder (`prefix_and_query`).
            answers: the candidate answers (class phrases).
            prefix_cache: `encode_prefix`'s result.
            progress: called with the number of patches done after each batch.
            pixels: the patches' `pixel_values`, when the caller asks several questions about the same images.
        """
        if query.count(self.processor.image_token) != 1:
            raise BadInputError("the query turn must hold exactly one image placeholder")
        query_ids = self._ids(query)
        answer_ids = self.answer_ids(answers)
        padded, mask = pad_answers(answer_ids, self.tokenizer.pad_token_id, self.eo_model.device)
        lengths = mask.sum(1).float()
        scores = []
        baseline = 0.0
        if self.calibration == "content-free":
            baseline = self._answer_scores(
                self.content_free_pixels(), query_ids, padded, mask, lengths, prefix_cache
            )
        for start in range(0, len(patches), self.batch_size):
            batch = patches[start : start + self.batch_size]
            batch_pixels = self.pixel_values(batch) if pixels is None else pixels[start : start + len(batch)]
            total = self._answer_scores(batch_pixels, query_ids, padded, mask, lengths, prefix_cache)
            scores.append(total - baseline)
            if progress:
                progress(len(batch))
        return np.concatenate(scores) if scores else np.zeros((0, len(answers)))

    def _answer_scores(self, pixels, query_ids, padded, mask, lengths, prefix_cache) -> np.ndarray:
        """`(images, answers)` scores of the padded answers for a batch of normalised images."""
        size, n_answers = len(pixels), len(padded)
        out = self.model(
            input_ids=query_ids.expand(size, -1),
            pixel_values=pixels,
            past_key_values=repeated_cache(prefix_cache, size),
            use_cache=True,
            logits_to_keep=1,
        )
        first = torch.log_softmax(out.logits[:, -1].float(), dim=-1)  # (size, vocab): the first answer token
        total = first[:, padded[:, 0]]  # (size, answers)
        if padded.shape[1] > 1:
            cache = repeated_cache(cache_tensors(out.past_key_values), n_answers)
            tiled = padded.repeat(size, 1)
            rest = self.model(input_ids=tiled[:, :-1], past_key_values=cache, use_cache=False).logits
            logp = torch.log_softmax(rest.float(), dim=-1).gather(-1, tiled[:, 1:, None])[..., 0]
            logp = (logp * mask.repeat(size, 1)[:, 1:]).sum(1).view(size, n_answers)
            total = total + logp
        if self.length_normalize:
            total = total / lengths
        return total.cpu().numpy()


__all__ = [
    "CALIBRATIONS",
    "EMBEDDED",
    "EOModel",
    "PatchClassifier",
    "RGB_BAND_NAMES",
    "check_image_model",
    "load_eo_model",
]
