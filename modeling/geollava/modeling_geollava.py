"""GeoLLaVA: Sentinel images -> TorchGeo encoder -> projector -> image tokens inside a causal language model.

Read top to bottom, as transformers' LLaVA: `get_image_features()` runs the Sentinel encoder and the projector,
`forward()` scatters the projected features into the text embeddings at the image-token positions (a count
mismatch is a clear error), and the language model does the rest. The loss covers text only: positions whose
label is -100 (the prompt and every image token) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoModel
from transformers.activations import ACT2FN
from transformers.cache_utils import Cache
from transformers.generation import GenerationMixin
from transformers.modeling_outputs import BaseModelOutputWithPast
from transformers.modeling_utils import PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_geollava import GeoLlavaConfig, SentinelEncoderConfig
from .geollava_errors import BadInputError
from .sentinel_encoder import SentinelEncoderModel

IGNORE_INDEX = -100
"""Label of positions the loss skips (PyTorch's cross-entropy default)."""


@dataclass
class GeoLlavaModelOutputWithPast(BaseModelOutputWithPast):
    """Output of `GeoLlavaModel`: the language model's output plus the projected image features.

    Args:
        image_hidden_states: `(num_images, num_image_tokens, text_hidden_size)` projected image features.
    """

    image_hidden_states: torch.Tensor | None = None


@dataclass
class GeoLlavaCausalLMOutputWithPast(ModelOutput):
    """Output of `GeoLlavaForConditionalGeneration`.

    Args:
        loss: next-token cross-entropy over the labelled text positions, when `labels` are given.
        logits: `(batch, sequence, vocab)` scores.
        past_key_values: the cache for generation.
        hidden_states: per-layer hidden states of the language model, when asked for.
        attentions: per-layer attentions of the language model, when asked for.
        image_hidden_states: `(num_images, num_image_tokens, text_hidden_size)` projected image features.
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    past_key_values: Cache | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None
    image_hidden_states: torch.Tensor | None = None


class GeoLlavaMultiModalProjector(nn.Module):
    """Maps encoder tokens to the language model's width: LLaVA-1.5's `mlp2x_gelu`, or one linear layer."""

    def __init__(self, config: GeoLlavaConfig):
        super().__init__()
        vision_size, text_size = config.vision_config.hidden_size, config.text_config.hidden_size
        bias = config.multimodal_projector_bias
        self.linear_1 = nn.Linear(vision_size, text_size, bias=bias)
        if config.projector_type == "mlp2x_gelu":
            self.act = ACT2FN[config.projector_hidden_act]
            self.linear_2 = nn.Linear(text_size, text_size, bias=bias)
        else:
            self.act = self.linear_2 = None

    def forward(self, image_features: torch.Tensor) -> torch.Tensor:
        hidden_states = self.linear_1(image_features)
        if self.linear_2 is not None:
            hidden_states = self.linear_2(self.act(hidden_states))
        return hidden_states


class GeoLlavaPreTrainedModel(PreTrainedModel):
    """Weight initialisation, loading and attention-backend flags shared by the GeoLLaVA models."""

    config_class = GeoLlavaConfig
    config: GeoLlavaConfig
    base_model_prefix = "model"
    input_modalities = ("image", "text")
    supports_gradient_checkpointing = True
    _skip_keys_device_placement = ["past_key_values"]
    _supports_flash_attn = True
    _supports_sdpa = True
    _supports_flex_attn = True
    _supports_attention_backend = True

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, SentinelEncoderModel):
            # The encoder's own config holds its initializer_range; its submodules use the default rules below.
            module._init_weights(module)
            return
        super()._init_weights(module)


class GeoLlavaModel(GeoLlavaPreTrainedModel):
    """The Sentinel encoder, the projector and the language model, without a language-modelling head."""

    def __init__(self, config: GeoLlavaConfig):
        super().__init__(config)
        self.vision_tower = SentinelEncoderModel(config.vision_config)
        self.multi_modal_projector = GeoLlavaMultiModalProjector(config)
        self.language_model = AutoModel.from_config(config.text_config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.language_model.set_input_embeddings(value)

    def get_image_features(
        self, pixel_values: torch.Tensor, image_sensor_ids: torch.Tensor | None = None, **kwargs
    ) -> torch.Tensor:
        """Encode images and project them to the language model's width.

        Args:
            pixel_values: `(num_images, bands, size, size)` from `GeoLlavaImageProcessor`.
            image_sensor_ids: `(num_images,)` sensor index of each image (multi-sensor encoders).

        Returns:
            `(num_images, num_image_tokens, text_hidden_size)` image features.
        """
        tokens = self.vision_tower(pixel_values, image_sensor_ids=image_sensor_ids, return_dict=True)
        return self.multi_modal_projector(tokens.last_hidden_state)

    def image_token_mask(self, input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor) -> torch.Tensor:
        """`(batch, sequence)` True where the image token stands (found by id, or by embedding when no ids)."""
        image_token_id = self.config.image_token_id
        if image_token_id is None:
            raise BadInputError(
                "config.image_token_id is not set: add the image token to the tokenizer and set it "
                "(GeoLlavaForConditionalGeneration.from_parts does both)"
            )
        if input_ids is not None:
            return input_ids == image_token_id
        image_embedding = self.get_input_embeddings()(
            torch.tensor(image_token_id, device=inputs_embeds.device)
        )
        return (inputs_embeds == image_embedding).all(-1)

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        pixel_values: torch.Tensor | None = None,
        image_sensor_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> GeoLlavaModelOutputWithPast | tuple:
        """Run the multimodal model.

        Args:
            input_ids: `(batch, sequence)` token ids, each image expanded to `config.image_seq_length` image
                tokens per sensor image (the processor does it).
            pixel_values: `(num_images, bands, size, size)`, images in the order their tokens appear.
            image_sensor_ids: `(num_images,)` sensor index of each image; default all 0.
            attention_mask, position_ids, past_key_values, inputs_embeds, use_cache: as for the language model.
            return_dict: False returns a tuple instead of the output dataclass.
        """
        if (input_ids is None) == (inputs_embeds is None):
            raise BadInputError("give exactly one of input_ids or inputs_embeds")
        if inputs_embeds is None:
            inputs_embeds = self.get_input_embeddings()(input_ids)
        image_features = None
        if pixel_values is not None:
            image_features = self.get_image_features(pixel_values, image_sensor_ids)
            features = image_features.reshape(-1, image_features.shape[-1]).to(
                inputs_embeds.device, inputs_embeds.dtype
            )
            mask = self.image_token_mask(input_ids, inputs_embeds)
            num_tokens = int(mask.sum())
            if num_tokens != features.shape[0]:
                raise BadInputError(
                    f"the prompts hold {num_tokens} image tokens (id {self.config.image_token_id}; per sample "
                    f"{mask.sum(-1).tolist()}), but {image_features.shape[0]} images give "
                    f"{image_features.shape[0]} x {image_features.shape[1]} = {features.shape[0]} image features: "
                    f"each image needs {self.config.image_seq_length} image tokens (GeoLlavaProcessor expands them)"
                )
            inputs_embeds = inputs_embeds.masked_scatter(mask.unsqueeze(-1), features)
        outputs = self.language_model(
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            return_dict=True,
            **kwargs,
        )
        output = GeoLlavaModelOutputWithPast(
            last_hidden_state=outputs.last_hidden_state,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            image_hidden_states=image_features,
        )
        return output if return_dict is not False else output.to_tuple()


class GeoLlavaForConditionalGeneration(GeoLlavaPreTrainedModel, GenerationMixin):
    """GeoLLaVA with a language-modelling head: answers questions about Sentinel images, trains with `labels`."""

    _tied_weights_keys = {"lm_head.weight": "model.language_model.embed_tokens.weight"}

    def __init__(self, config: GeoLlavaConfig):
        super().__init__(config)
        self.model = GeoLlavaModel(config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.text_config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.model.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Module) -> None:
        self.lm_head = value

    def get_image_features(
        self, pixel_values: torch.Tensor, image_sensor_ids: torch.Tensor | None = None, **kwargs
    ) -> torch.Tensor:
        """See `GeoLlavaModel.get_image_features`."""
        return self.model.get_image_features(pixel_values, image_sensor_ids)

    @classmethod
    def from_parts(
        cls,
        vision_config: SentinelEncoderConfig | dict,
        language_model: PreTrainedModel,
        tokenizer,
        *,
        image_token: str = "<image>",
        load_encoder_weights: bool = True,
        **config_kwargs,
    ) -> GeoLlavaForConditionalGeneration:
        """Assemble a GeoLLaVA from a pretrained causal LM and a (pretrained or random) Sentinel encoder.

        The tokenizer learns the image token (it is changed in place) and the LM's embeddings grow to match; the
        projector starts random, ready for alignment training.

        Args:
            vision_config: the encoder's config (or its dict); its `weights` are loaded when asked.
            language_model: a causal LM (`AutoModelForCausalLM`) whose modules are reused, not copied.
            tokenizer: its tokenizer.
            image_token: the placeholder string for images in prompts.
            load_encoder_weights: load `vision_config.weights` (TorchGeo enum or file) into the encoder.
            **config_kwargs: further `GeoLlavaConfig` fields (projector_type, ...).
        """
        from transformers import AddedToken

        if not hasattr(language_model, "get_decoder") or language_model.get_output_embeddings() is None:
            raise BadInputError(
                f"language_model must be a causal LM with a head, got {type(language_model).__name__}"
            )
        if image_token not in tokenizer.get_vocab():
            tokenizer.add_tokens(
                [AddedToken(image_token, special=True, normalized=False)], special_tokens=True
            )
        config = GeoLlavaConfig(
            vision_config=vision_config if isinstance(vision_config, dict) else vision_config.to_dict(),
            text_config=language_model.config.to_dict(),
            image_token=image_token,
            image_token_id=tokenizer.convert_tokens_to_ids(image_token),
            **config_kwargs,
        )
        model = cls(config).to(language_model.dtype)
        model.model.language_model = language_model.get_decoder()
        model.lm_head = language_model.get_output_embeddings()
        if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
            model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        if config.tie_word_embeddings:
            model.lm_head.weight = model.get_input_embeddings().weight
        if load_encoder_weights:
            model.model.vision_tower.load_backbone_weights()
        return model

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        pixel_values: torch.Tensor | None = None,
        image_sensor_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        return_dict: bool | None = None,
        **kwargs,
    ) -> GeoLlavaCausalLMOutputWithPast | tuple:
        """Run GeoLLaVA; with `labels`, also the next-token loss over labelled text.

        Args:
            labels: `(batch, sequence)` target ids, -100 where no loss is wanted; image-token positions are
                always ignored, whatever their label.
            logits_to_keep: compute logits for the last N positions only (0 = all), as in transformers' LMs.
            Other arguments: see `GeoLlavaModel.forward`.
        """
        outputs = self.model(
            input_ids=input_ids,
            pixel_values=pixel_values,
            image_sensor_ids=image_sensor_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            **kwargs,
        )
        hidden_states = outputs.last_hidden_state
        if isinstance(logits_to_keep, int) and logits_to_keep > 0:
            hidden_states = hidden_states[:, -logits_to_keep:]
        elif isinstance(logits_to_keep, torch.Tensor):
            hidden_states = hidden_states[:, logits_to_keep]
        logits = self.lm_head(hidden_states)
        loss = None
        if labels is not None:
            if input_ids is not None and self.config.image_token_id is not None:
                labels = labels.masked_fill(input_ids == self.config.image_token_id, IGNORE_INDEX)
            loss = self.loss_function(
                logits=logits, labels=labels, vocab_size=self.config.text_config.vocab_size
            )
        output = GeoLlavaCausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            image_hidden_states=outputs.image_hidden_states,
        )
        return output if return_dict is not False else output.to_tuple()

    def prepare_inputs_for_generation(
        self,
        input_ids: torch.LongTensor,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        pixel_values: torch.Tensor | None = None,
        image_sensor_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        is_first_iteration: bool | None = False,
        **kwargs,
    ) -> dict:
        """Images enter on the first step only: later steps read their features from the cache."""
        model_inputs = super().prepare_inputs_for_generation(
            input_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            is_first_iteration=is_first_iteration,
            **kwargs,
        )
        if is_first_iteration or not kwargs.get("use_cache", True):
            model_inputs["pixel_values"] = pixel_values
            model_inputs["image_sensor_ids"] = image_sensor_ids
        return model_inputs


__all__ = [
    "IGNORE_INDEX",
    "GeoLlavaCausalLMOutputWithPast",
    "GeoLlavaForConditionalGeneration",
    "GeoLlavaModel",
    "GeoLlavaModelOutputWithPast",
    "GeoLlavaMultiModalProjector",
    "GeoLlavaPreTrainedModel",
]
