"""The Sentinel encoder: TorchGeo/timm backbones (one per sensor) turned into a transformers vision model.

The backbones are timm ResNets / ViTs as TorchGeo builds them, or `SpectralStatsBackbone` (per-cell spectral
statistics, no weights; `spectral_encoder.py`).

`SentinelEncoderModel(pixel_values, image_sensor_ids)` returns one sequence of tokens per image: the flattened
feature map of the configured ResNet stage, or the patch tokens (and CLS) of the configured ViT block. Images of
several sensors can share one batch: `pixel_values` then has as many channels as the widest sensor (narrower ones
zero-padded by the processor) and `image_sensor_ids` says which backbone reads each image; a learned sensor
embedding is added to the tokens so the language model can tell S1 tokens from S2 tokens.

Pretrained weights are loaded explicitly (`load_backbone_weights`), never in `__init__`: `from_pretrained` of a
saved GeoLLaVA must not try to download the TorchGeo weights it already holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import timm
import torch
import torch.nn.functional as F
from torch import nn
from transformers import initialization as init
from transformers.modeling_utils import PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_geollava import SentinelEncoderConfig, canonical_band_name
from .geollava_errors import BadInputError, MissingAssetError
from .spectral_encoder import SpectralStatsBackbone


@dataclass
class SentinelEncoderOutput(ModelOutput):
    """Output of `SentinelEncoderModel`.

    Args:
        last_hidden_state: `(num_images, num_image_tokens, hidden_size)` tokens of the selected feature map,
            sensor embedding included.
        pooler_output: `(num_images, hidden_size)` mean of the tokens.
        hidden_states: with `output_hidden_states=True`, the tokens after every stage/block up to the selected one
            (all images of one sensor at a time when sensors are mixed: only for single-sensor batches).
    """

    last_hidden_state: torch.Tensor | None = None
    pooler_output: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None


def build_backbone(architecture: str, in_chans: int, image_size: int) -> nn.Module:
    """A randomly initialised timm backbone without classification head, as TorchGeo's model factories build it."""
    kwargs = {"in_chans": in_chans, "num_classes": 0}
    if architecture.startswith("vit"):
        kwargs["img_size"] = image_size
    return timm.create_model(architecture, pretrained=False, **kwargs)


def _checkpoint_hint(url: str) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(url).path)


def _torchgeo_state_dict(name: str, architecture: str, bands: list[str]) -> dict[str, torch.Tensor]:
    """Resolve a TorchGeo weight enum by name, check it fits the backbone, and fetch its state dict."""
    try:
        from torchgeo.models import get_weight
    except ImportError as err:
        raise MissingAssetError(f"weights '{name}' need torchgeo: pip install torchgeo==0.8.1") from err
    try:
        weights = get_weight(name)
    except ValueError as err:
        raise MissingAssetError(
            f"weights '{name}' are neither a local checkpoint file nor a TorchGeo weight enum "
            "(e.g. 'ResNet18_Weights.SENTINEL2_ALL_MOCO')"
        ) from err
    meta = weights.meta
    if meta.get("model") not in (None, architecture):
        raise BadInputError(f"weights '{name}' are for {meta['model']}, but the encoder is {architecture}")
    if meta.get("in_chans") not in (None, len(bands)):
        raise BadInputError(
            f"weights '{name}' expect {meta['in_chans']} bands {meta.get('bands', '')}, "
            f"but the encoder is configured with {len(bands)}: {bands}"
        )
    if meta.get("bands") is not None:
        expected = [canonical_band_name(band) for band in meta["bands"]]
        if expected != bands:
            raise BadInputError(f"weights '{name}' expect the bands {expected} in this order, got {bands}")
    try:
        return weights.get_state_dict(progress=False)
    except Exception as err:  # urllib/http errors, or a broken file: all mean "not available here"
        raise MissingAssetError(
            f"cannot download the TorchGeo weights '{name}' from {weights.url} ({type(err).__name__}: {err}). "
            f"Offline, put the file at {_checkpoint_hint(weights.url)} (TORCH_HOME={torch.hub.get_dir()}/..), "
            "or give a local checkpoint path as `weights`"
        ) from err


def _file_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise MissingAssetError(f"cannot read the checkpoint {path}: {type(err).__name__}: {err}") from err
    for key in ("state_dict", "model"):  # common wrappers (Lightning, training scripts)
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise MissingAssetError(f"the checkpoint {path} holds a {type(state).__name__}, not a state dict")
    return state


def load_backbone_state(
    backbone: nn.Module, weights: str, architecture: str, bands: list[str], image_size: int
) -> None:
    """Load pretrained weights (TorchGeo enum name or checkpoint path) into a backbone from `build_backbone`.

    Raises:
        MissingAssetError: the weights cannot be found or downloaded.
        BadInputError: the weights do not fit the backbone (architecture, bands, tensor shapes).
    """
    path = Path(weights).expanduser()
    state = _file_state_dict(path) if path.is_file() else _torchgeo_state_dict(weights, architecture, bands)
    if (
        "pos_embed" in state
        and hasattr(backbone, "pos_embed")
        and state["pos_embed"].shape != backbone.pos_embed.shape
    ):
        from timm.layers import resample_abs_pos_embed

        grid = backbone.patch_embed.grid_size
        state["pos_embed"] = resample_abs_pos_embed(
            state["pos_embed"], new_size=list(grid), num_prefix_tokens=backbone.num_prefix_tokens
        )
    try:
        missing, unexpected = backbone.load_state_dict(state, strict=False)
    except RuntimeError as err:
        raise BadInputError(
            f"weights '{weights}' do not fit {architecture} with {len(bands)} bands: {err}"
        ) from err
    heads = ("fc.", "head.")  # classification heads the encoder does not have
    unexpected = [key for key in unexpected if not key.startswith(heads)]
    if missing or unexpected:
        raise BadInputError(
            f"weights '{weights}' do not fit {architecture}: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )


class SentinelEncoderPreTrainedModel(PreTrainedModel):
    """Weight initialisation and loading for the Sentinel encoder."""

    config_class = SentinelEncoderConfig
    config: SentinelEncoderConfig
    base_model_prefix = "sentinel_encoder"
    main_input_name = "pixel_values"
    input_modalities = ("image",)
    supports_gradient_checkpointing = False

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, SentinelEncoderModel) and module.sensor_embedding is not None:
            init.normal_(module.sensor_embedding.weight, mean=0.0, std=self.config.initializer_range)


class SentinelEncoderModel(SentinelEncoderPreTrainedModel):
    """TorchGeo/timm backbones for Sentinel-1/-2 images, returning image tokens as hidden states."""

    def __init__(self, config: SentinelEncoderConfig):
        super().__init__(config)
        if config.family == "spectral":
            self.towers = nn.ModuleList(
                SpectralStatsBackbone(spec["bands"], config.token_grid, config.hidden_size)
                for spec in config.sensors
            )
        else:
            self.towers = nn.ModuleList(
                build_backbone(config.architecture, len(spec["bands"]), config.image_size)
                for spec in config.sensors
            )
        num_sensors = len(config.sensors)
        self.sensor_embedding = nn.Embedding(num_sensors, config.hidden_size) if num_sensors > 1 else None
        if config.frozen:
            self.towers.requires_grad_(False)
        self.post_init()

    def train(self, mode: bool = True) -> SentinelEncoderModel:
        """Like `nn.Module.train`, but frozen backbones stay in eval mode (fixed BatchNorm statistics)."""
        super().train(mode)
        if self.config.frozen:
            self.towers.eval()
        return self

    def load_backbone_weights(self) -> list[str]:
        """Load each sensor's `weights` (TorchGeo enum name or checkpoint path) into its backbone.

        Returns:
            The weights loaded, one entry per sensor that has any.
        """
        loaded = []
        for tower, spec in zip(self.towers, self.config.sensors, strict=True):
            if spec["weights"]:
                load_backbone_state(
                    tower, spec["weights"], self.config.architecture, spec["bands"], self.config.image_size
                )
                loaded.append(spec["weights"])
        return loaded

    def _check_pixels(
        self, pixel_values: torch.Tensor, image_sensor_ids: torch.Tensor | None
    ) -> torch.Tensor:
        config = self.config
        if not isinstance(pixel_values, torch.Tensor) or pixel_values.ndim != 4:
            shape = (
                tuple(pixel_values.shape) if isinstance(pixel_values, torch.Tensor) else type(pixel_values)
            )
            raise BadInputError(f"pixel_values must be a (images, bands, height, width) tensor, got {shape}")
        if not pixel_values.is_floating_point():
            raise BadInputError(
                f"pixel_values must be float (normalised by GeoLlavaImageProcessor), got {pixel_values.dtype}"
            )
        height, width = pixel_values.shape[-2:]
        if (height, width) != (config.image_size, config.image_size):
            raise BadInputError(
                f"pixel_values are {height}x{width} pixels, but the encoder expects {config.image_size}x"
                f"{config.image_size} (resize with GeoLlavaImageProcessor; {config.architecture} needs at least "
                f"{config.min_image_size})"
            )
        num_images = pixel_values.shape[0]
        if image_sensor_ids is None:
            image_sensor_ids = torch.zeros(num_images, dtype=torch.long, device=pixel_values.device)
        image_sensor_ids = torch.as_tensor(image_sensor_ids, device=pixel_values.device).long().reshape(-1)
        if image_sensor_ids.numel() != num_images:
            raise BadInputError(
                f"image_sensor_ids has {image_sensor_ids.numel()} entries for {num_images} images in pixel_values"
            )
        sensors = config.sensors
        if num_images and not (
            0 <= int(image_sensor_ids.min()) and int(image_sensor_ids.max()) < len(sensors)
        ):
            raise BadInputError(
                f"image_sensor_ids must lie in 0..{len(sensors) - 1} ({[s['sensor'] for s in sensors]}), "
                f"got {sorted(set(image_sensor_ids.tolist()))}"
            )
        channels = pixel_values.shape[1]
        allowed = {config.max_in_chans} | ({len(sensors[0]["bands"])} if len(sensors) == 1 else set())
        if channels not in allowed:
            layout = ", ".join(f"{spec['sensor']}: {spec['bands']}" for spec in sensors)
            raise BadInputError(
                f"pixel_values have {channels} bands, but the encoder expects {config.max_in_chans} ({layout})"
            )
        return image_sensor_ids

    def _encode(self, tower: nn.Module, pixels: torch.Tensor, keep_hidden: bool):
        """Tokens of the selected stage/block of one backbone, and the tokens of every stage before it."""
        config = self.config
        hidden = []
        if config.family == "spectral":
            tokens = tower(pixels)
            return tokens, [tokens] if keep_hidden else []
        if config.family == "resnet":
            x = tower.maxpool(tower.act1(tower.bn1(tower.conv1(pixels))))
            for layer in (tower.layer1, tower.layer2, tower.layer3, tower.layer4)[: config.stage_index + 1]:
                x = layer(x)
                if keep_hidden:
                    hidden.append(x.flatten(2).transpose(1, 2))
            if config.token_grid:
                x = F.adaptive_avg_pool2d(x, config.token_grid)
            return x.flatten(2).transpose(1, 2), hidden
        x = tower.norm_pre(tower.patch_drop(tower._pos_embed(tower.patch_embed(pixels))))
        for block in tower.blocks[: config.stage_index + 1]:
            x = block(x)
            if keep_hidden:
                hidden.append(x)
        if config.stage_index == len(tower.blocks) - 1:
            x = tower.norm(x)
        prefix, patches = x[:, : tower.num_prefix_tokens], x[:, tower.num_prefix_tokens :]
        if config.token_grid:
            side = config.feature_grid
            grid = patches.transpose(1, 2).reshape(patches.shape[0], -1, side, side)
            patches = F.adaptive_avg_pool2d(grid, config.token_grid).flatten(2).transpose(1, 2)
        if config.feature_select_strategy == "full":
            patches = torch.cat([prefix[:, :1], patches], dim=1)
        return patches, hidden

    def forward(
        self,
        pixel_values: torch.Tensor,
        image_sensor_ids: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SentinelEncoderOutput | tuple:
        """Encode images into tokens.

        Args:
            pixel_values: `(num_images, bands, image_size, image_size)` float tensor from the image processor.
            image_sensor_ids: `(num_images,)` index of each image's sensor in `config.sensors`; default all 0.
            output_hidden_states: also return the tokens after every stage/block (single-sensor batches).
            return_dict: return a `SentinelEncoderOutput` (default) or a tuple.
        """
        image_sensor_ids = self._check_pixels(pixel_values, image_sensor_ids)
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        sensors = self.config.sensors
        hidden_states = None
        if len(sensors) == 1:
            tokens, hidden = self._encode(self.towers[0], pixel_values, bool(output_hidden_states))
            hidden_states = tuple(hidden) if output_hidden_states else None
        else:
            tokens = None
            for sensor_id, (tower, spec) in enumerate(zip(self.towers, sensors, strict=True)):
                index = (image_sensor_ids == sensor_id).nonzero().squeeze(1)
                if index.numel() == 0:
                    continue
                sensor_pixels = pixel_values.index_select(0, index)[:, : len(spec["bands"])]
                sensor_tokens, _ = self._encode(tower, sensor_pixels, keep_hidden=False)
                sensor_tokens = sensor_tokens + self.sensor_embedding.weight[sensor_id]
                if tokens is None:
                    tokens = sensor_tokens.new_zeros((pixel_values.shape[0], *sensor_tokens.shape[1:]))
                tokens = tokens.index_copy(0, index, sensor_tokens)
        output = SentinelEncoderOutput(
            last_hidden_state=tokens, pooler_output=tokens.mean(dim=1), hidden_states=hidden_states
        )
        return output if return_dict else output.to_tuple()


__all__ = [
    "SentinelEncoderModel",
    "SentinelEncoderOutput",
    "SentinelEncoderPreTrainedModel",
    "build_backbone",
    "load_backbone_state",
]
