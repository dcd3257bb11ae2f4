"""GeoLLaVA's processor: the multispectral image processor and a tokenizer, paired as in transformers' LLaVA.

It expands each image placeholder (`<image>`) into as many image tokens as the encoder gives features
(`image_seq_length` per sensor image: a place seen by S1 and S2 together takes twice as many), applies the chat
template to messages whose content holds images, and builds training batches whose labels cover only the answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from transformers.image_processing_base import BatchFeature
from transformers.processing_utils import ProcessorMixin

from .geollava_errors import BadInputError
from .modeling_geollava import IGNORE_INDEX


class GeoLlavaProcessor(ProcessorMixin):
    r"""Pairs a `GeoLlavaImageProcessor` with a tokenizer.

    Args:
        image_processor: the `GeoLlavaImageProcessor`.
        tokenizer: the language model's tokenizer; it must know `image_token` as one token.
        chat_template: a Jinja chat template; default: the tokenizer's.
        image_token: the placeholder string in prompts.
        image_seq_length: image tokens per sensor image (`GeoLlavaConfig.image_seq_length`).
    """

    def __init__(
        self,
        image_processor=None,
        tokenizer=None,
        chat_template: str | None = None,
        image_token: str = "<image>",
        image_seq_length: int = 16,
        **kwargs,
    ):
        self.image_token = image_token
        self.image_seq_length = image_seq_length
        super().__init__(image_processor, tokenizer, chat_template=chat_template, **kwargs)
        ids = tokenizer.encode(image_token, add_special_tokens=False) if tokenizer is not None else [None]
        if len(ids) != 1:
            raise BadInputError(
                f"the tokenizer splits the image token '{image_token}' into {len(ids)} tokens: add it as a special "
                "token first (GeoLlavaForConditionalGeneration.from_parts does)"
            )
        self.image_token_id = ids[0]

    def __call__(
        self,
        text: str | list[str] | None = None,
        images=None,
        sensor: str | None = None,
        input_bands: Sequence[str] | None = None,
        channels_first: bool | None = None,
        input_scale: str = "auto",
        return_tensors: str | None = "pt",
        input_sensor: str | None = None,
        fill_missing_bands: bool = False,
        **tokenizer_kwargs,
    ) -> BatchFeature:
        """Tokenise prompts and process their images.

        Args:
            text: prompt(s) with one `image_token` per image entry.
            images: the image entries in the order of their placeholders over all prompts (see
                `GeoLlavaImageProcessor.preprocess`; a `{sensor: image}` dict is one entry of several sensors).
            sensor, input_bands, channels_first, input_scale, input_sensor, fill_missing_bands: passed to the
                image processor (the last two feed band subsets such as RGB to a multispectral encoder).
            return_tensors: "pt" or None.
            **tokenizer_kwargs: passed to the tokenizer (padding, truncation, max_length...). Truncation that
                cuts image tokens is caught by the model's token/feature check.

        Returns:
            `BatchFeature` with `input_ids`, `attention_mask` and, with images, `pixel_values` and
            `image_sensor_ids`.
        """
        if text is None and images is None:
            raise BadInputError("give text, images, or both")
        image_inputs, counts = self._process_images(
            images,
            sensor=sensor,
            input_bands=input_bands,
            channels_first=channels_first,
            input_scale=input_scale,
            return_tensors=return_tensors,
            input_sensor=input_sensor,
            fill_missing_bands=fill_missing_bands,
        )
        if text is None:
            return BatchFeature(data=image_inputs)
        texts = self._expand_image_tokens([text] if isinstance(text, str) else list(text), counts)
        if return_tensors is not None and len(texts) > 1:
            tokenizer_kwargs.setdefault("padding", True)
        text_inputs = self.tokenizer(texts, return_tensors=return_tensors, **tokenizer_kwargs)
        return BatchFeature(data={**text_inputs, **image_inputs})

    def _process_images(self, images, **kwargs) -> tuple[dict, list[int]]:
        """Image tensors, and how many sensor images each entry gave."""
        if images is None:
            return {}, []
        processed = self.image_processor(images, **kwargs)
        counts = [int(count) for count in processed.pop("num_sensor_images")]
        return dict(processed), counts

    def _expand_image_tokens(self, texts: list[str], counts: list[int]) -> list[str]:
        """Replace each placeholder by `image_seq_length` image tokens per sensor image of its entry."""
        placeholders = sum(sample.count(self.image_token) for sample in texts)
        if placeholders != len(counts):
            raise BadInputError(
                f"the prompts hold {placeholders} '{self.image_token}' placeholders, but {len(counts)} images were "
                "given: give one image entry (or one {sensor: image} dict) per placeholder"
            )
        expanded, entry = [], 0
        for sample in texts:
            parts = sample.split(self.image_token)
            pieces = [parts[0]]
            for part in parts[1:]:
                pieces.append(self.image_token * (self.image_seq_length * counts[entry]) + part)
                entry += 1
            expanded.append("".join(pieces))
        return expanded

    def _flatten_messages(self, conversation: list[dict]) -> tuple[list[dict], list]:
        """Messages with string content (images as placeholders) and the images found in them."""
        messages, images = [], []
        for message in conversation:
            content = message.get("content")
            if isinstance(content, str):
                messages.append({"role": message["role"], "content": content})
                continue
            if not isinstance(content, Sequence):
                raise BadInputError(
                    f"message content must be a string or a list of parts, got {type(content)}"
                )
            pieces = []
            for part in content:
                kind = part.get("type") if isinstance(part, Mapping) else None
                if kind == "text":
                    pieces.append(part["text"])
                elif kind == "image":
                    pieces.append(self.image_token)
                    if part.get("image") is not None:
                        images.append(part["image"])
                else:
                    raise BadInputError(f"unknown message part {part!r}: use {{'type': 'text'|'image', ...}}")
            messages.append({"role": message["role"], "content": "\n".join(pieces)})
        return messages, images

    def apply_chat_template(
        self,
        conversation: list[dict],
        add_generation_prompt: bool = False,
        tokenize: bool = False,
        return_tensors: str | None = "pt",
        **kwargs,
    ) -> str | BatchFeature:
        """Render a conversation whose content parts may be `{"type": "image", "image": ...}`.

        Args:
            conversation: `[{"role": ..., "content": str | [{"type": "text", "text": ...}, {"type": "image"}]}]`.
            add_generation_prompt: end with the assistant's turn opener.
            tokenize: False returns the prompt string; True runs the processor on it and the images in the
                messages (or `images=` in kwargs).
            return_tensors: with `tokenize`, "pt" or None.
            **kwargs: with `tokenize`, passed to `__call__` (images, sensor, input_bands...).
        """
        messages, images = self._flatten_messages(conversation)
        template = self.chat_template if isinstance(self.chat_template, str) else None
        prompt = self.tokenizer.apply_chat_template(
            messages, chat_template=template, add_generation_prompt=add_generation_prompt, tokenize=False
        )
        if not tokenize:
            return prompt
        images = kwargs.pop("images", None) or images or None
        return self(text=prompt, images=images, return_tensors=return_tensors, **kwargs)

    def training_batch(self, prompts: list[str], answers: list[str], images=None, **kwargs) -> BatchFeature:
        """A batch for training: `prompt + answer + eos`, right-padded, labels on the answer only.

        Args:
            prompts: rendered prompts (e.g. `apply_chat_template(..., add_generation_prompt=True)`), with the
                image placeholders.
            answers: the target answers.
            images: image entries in placeholder order, as for `__call__`.
            **kwargs: passed to the image processor (sensor, input_bands...).

        Returns:
            `BatchFeature` with `input_ids`, `attention_mask`, `labels` (-100 on prompt, image tokens, padding)
            and the image tensors.
        """
        if len(prompts) != len(answers):
            raise BadInputError(f"{len(prompts)} prompts but {len(answers)} answers")
        eos = self.tokenizer.eos_token or ""
        image_inputs, counts = self._process_images(images, **kwargs)
        full = self._expand_image_tokens(
            [prompt + answer + eos for prompt, answer in zip(prompts, answers, strict=True)], counts
        )
        side = self.tokenizer.padding_side
        self.tokenizer.padding_side = "right"
        try:
            batch = self.tokenizer(full, padding=True, return_tensors="pt")
        finally:
            self.tokenizer.padding_side = side
        # The prompt alone gives the length to mask (chat prompts end in a newline or special token, so the
        # answer's first token does not merge with the prompt's last one).
        prompt_only = self.tokenizer(self._expand_image_tokens(list(prompts), counts))
        prompt_lengths = torch.tensor([len(ids) for ids in prompt_only["input_ids"]])
        batch = BatchFeature(data={**batch, **image_inputs})
        labels = batch["input_ids"].clone()
        positions = torch.arange(labels.shape[1])[None]
        labels[positions < prompt_lengths[:, None]] = IGNORE_INDEX
        labels[batch["attention_mask"] == 0] = IGNORE_INDEX
        labels[batch["input_ids"] == self.image_token_id] = IGNORE_INDEX
        batch["labels"] = labels
        return batch

    @property
    def model_input_names(self) -> list[str]:
        return list(dict.fromkeys(self.tokenizer.model_input_names + self.image_processor.model_input_names))


__all__ = ["GeoLlavaProcessor"]
