"""Configurations of GeoLLaVA: the Sentinel encoder (`SentinelEncoderConfig`) and the whole model (`GeoLlavaConfig`).

Everything a user changes lives here: which TorchGeo/timm backbone, which sensor and bands, which pretrained
weights, which feature map becomes image tokens, the projector, and the image token. The number of image tokens
follows from these settings (`SentinelEncoderConfig.num_image_tokens`), so processor and model always agree.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig
from transformers.configuration_utils import PreTrainedConfig, SubConfigSpec

from .geollava_errors import BadInputError

# Band order of each sensor preset: the order TorchGeo's SSL4EO-S12 weights expect (`torchgeo.models.resnet`
# `_sentinel2_toa_bands`, with B8A after B08), so presets feed pretrained weights without reordering.
SENSOR_BANDS: dict[str, tuple[str, ...]] = {
    # Sentinel-2 Level-1C, top-of-atmosphere reflectance: all 13 bands.
    "s2_l1c": ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"),
    # Sentinel-2 Level-2A, bottom-of-atmosphere reflectance: B10 (cirrus) is dropped by sen2cor, 12 bands.
    "s2_l2a": ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"),
    # Sentinel-1 GRD backscatter in dB, dual polarisation.
    "s1": ("VV", "VH"),
    # 8-bit true colour (red, green, blue), e.g. EuroSAT RGB JPEGs or a quicklook.
    "rgb": ("B04", "B03", "B02"),
}

# timm architectures that TorchGeo publishes Sentinel weights for. `stage_channels` are the widths of the four
# ResNet stages (layer1..layer4); `stage_strides` their downsampling factors.
ARCHITECTURES: dict[str, dict] = {
    "resnet18": {"family": "resnet", "stage_channels": (64, 128, 256, 512), "stage_strides": (4, 8, 16, 32)},
    "resnet50": {
        "family": "resnet",
        "stage_channels": (256, 512, 1024, 2048),
        "stage_strides": (4, 8, 16, 32),
    },
    "vit_small_patch16_224": {"family": "vit", "embed_dim": 384, "depth": 12, "patch_size": 16},
    # Not a network: per-cell spectral statistics (`spectral_encoder.py`), informative without any weights.
    "spectral_stats": {"family": "spectral", "default_token_grid": 2, "min_cell": 2},
}

_BAND_RE = re.compile(r"^B0?(\d{1,2})(A?)$", re.IGNORECASE)


def canonical_band_name(name: str) -> str:
    """Spell a band name one way: "B1", "b01" -> "B01"; "B8a" -> "B8A"; "vv" -> "VV".

    Sources disagree (TorchGeo writes "B1" and "B8a", BigEarthNet and ESA "B01" and "B8A"), so every band list
    is compared in this spelling.
    """
    text = str(name).strip()
    match = _BAND_RE.match(text)
    if match:
        number, suffix = int(match.group(1)), match.group(2).upper()
        return f"B{number}{suffix}" if suffix else f"B{number:02d}"
    return text.upper()


def sensor_bands(sensor: str, bands: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """The band list of a sensor preset, or the canonical spelling of an explicit band subset.

    Raises:
        BadInputError: unknown sensor preset with no bands given, or a repeated band.
    """
    if bands is None:
        if sensor not in SENSOR_BANDS:
            raise BadInputError(
                f"unknown sensor '{sensor}': use one of {sorted(SENSOR_BANDS)} or give `bands` explicitly"
            )
        return list(SENSOR_BANDS[sensor])
    names = [canonical_band_name(band) for band in bands]
    if not names or len(set(names)) != len(names):
        raise BadInputError(
            f"bands for sensor '{sensor}' must be a non-empty list without repeats, got {bands}"
        )
    return names


@strict
class SentinelEncoderConfig(PreTrainedConfig):
    r"""Configuration of the Sentinel encoder: one TorchGeo/timm backbone per sensor, returning image tokens.

    Args:
        architecture: timm/TorchGeo backbone: "resnet18", "resnet50" or "vit_small_patch16_224"; or
            "spectral_stats", per-cell spectral statistics that need no weights (`spectral_encoder.py`; it reads
            physical values, so its processor does not standardise).
        sensor: preset of the main sensor: "s2_l1c" (13 bands), "s2_l2a" (12), "s1" (VV, VH), "rgb", or any name
            when `bands` is given.
        bands: band names in the order the backbone sees them; default: the preset's bands. Any subset works
            (e.g. `["B04", "B03", "B02", "B08"]`).
        in_chans: number of input channels; derived from `bands` (an explicit value must agree).
        weights: initial backbone weights for `GeoLlavaForConditionalGeneration.from_parts` /
            `SentinelEncoderModel.load_backbone_weights`: a TorchGeo weight enum name such as
            "ResNet18_Weights.SENTINEL2_ALL_MOCO", a local checkpoint path, or None for random initialisation.
        extra_sensors: further sensors imaged at the same place, each a dict with "sensor" and optionally "bands"
            and "weights" (e.g. `[{"sensor": "s1", "weights": "ResNet50_Weights.SENTINEL1_ALL_MOCO"}]`). Each gets
            its own backbone of the same architecture; a learned sensor embedding tells their tokens apart.
        image_size: side of the square input in pixels (the image processor resizes to it).
        feature_layer: which stage (ResNet: 0-3 = layer1-layer4) or block (ViT: 0-11) gives the tokens; negative
            values count from the end (-1 = last).
        feature_select_strategy: "default" drops the ViT CLS token, "full" keeps every token. ResNets have no CLS
            token and need "full".
        token_grid: average-pool the feature map to `token_grid x token_grid` tokens (None keeps its native size);
            for "spectral_stats", the cells per side (None: 2, four tokens).
        frozen: keep the backbones frozen (no gradients, BatchNorm statistics fixed).
        initializer_range: std of the normal initialisation of the sensor embedding.
        hidden_size: width of the tokens; derived from the architecture and `feature_layer`.
    """

    model_type = "geollava_sentinel_encoder"
    base_config_key = "vision_config"

    architecture: Literal["resnet18", "resnet50", "vit_small_patch16_224", "spectral_stats"] = "resnet18"
    sensor: str = "s2_l2a"
    bands: list[str] | None = None
    in_chans: int | None = None
    weights: str | None = None
    extra_sensors: list[dict] | None = None
    image_size: int = 128
    feature_layer: int = -1
    feature_select_strategy: Literal["default", "full"] = "full"
    token_grid: int | None = None
    frozen: bool = True
    initializer_range: float = 0.02
    hidden_size: int | None = None

    def __post_init__(self, **kwargs):
        self.bands = sensor_bands(self.sensor, self.bands)
        if self.in_chans is not None and self.in_chans != len(self.bands):
            raise BadInputError(
                f"in_chans={self.in_chans} does not match the {len(self.bands)} bands {self.bands} "
                f"of sensor '{self.sensor}'"
            )
        self.in_chans = len(self.bands)
        extra = []
        for spec in self.extra_sensors or []:
            if not isinstance(spec, dict) or "sensor" not in spec:
                raise BadInputError(f"each entry of extra_sensors needs a 'sensor' key, got {spec!r}")
            extra.append(
                {
                    "sensor": spec["sensor"],
                    "bands": sensor_bands(spec["sensor"], spec.get("bands")),
                    "weights": spec.get("weights"),
                }
            )
        names = [self.sensor] + [spec["sensor"] for spec in extra]
        if len(set(names)) != len(names):
            raise BadInputError(f"each sensor may appear once, got {names}")
        self.extra_sensors = extra or None
        arch = ARCHITECTURES[self.architecture]
        if arch["family"] == "spectral":
            if self.weights or any(spec["weights"] for spec in extra):
                raise BadInputError(f"{self.architecture} computes statistics and takes no weights")
            if self.feature_select_strategy != "full" or self.feature_layer not in (0, -1):
                raise BadInputError(
                    f"{self.architecture} has one feature map and no CLS token: keep feature_layer=-1 and "
                    "feature_select_strategy='full'"
                )
            self.token_grid = self.token_grid or arch["default_token_grid"]
            num_stages = 1
        elif arch["family"] == "resnet":
            if self.feature_select_strategy != "full":
                raise BadInputError(
                    f"{self.architecture} has no CLS token: set feature_select_strategy='full' "
                    f"(got '{self.feature_select_strategy}')"
                )
            num_stages = len(arch["stage_channels"])
        else:
            num_stages = arch["depth"]
            if self.image_size % arch["patch_size"]:
                raise BadInputError(
                    f"image_size={self.image_size} must be a multiple of the patch size {arch['patch_size']} "
                    f"of {self.architecture}"
                )
        if not -num_stages <= self.feature_layer < num_stages:
            raise BadInputError(
                f"feature_layer={self.feature_layer} is out of range for {self.architecture} "
                f"({num_stages} {'stages' if arch['family'] == 'resnet' else 'blocks'})"
            )
        if self.image_size < self.min_image_size:
            raise BadInputError(
                f"image_size={self.image_size} is too small for {self.architecture} at feature_layer="
                f"{self.feature_layer}: it needs at least {self.min_image_size} pixels"
            )
        if self.token_grid is not None and not 1 <= self.token_grid <= self.feature_grid:
            raise BadInputError(
                f"token_grid={self.token_grid} must be between 1 and the feature map side {self.feature_grid}"
            )
        self.hidden_size = self._feature_channels()
        super().__post_init__(**kwargs)

    @property
    def family(self) -> str:
        """ "resnet", "vit" or "spectral"."""
        return ARCHITECTURES[self.architecture]["family"]

    @property
    def stage_index(self) -> int:
        """`feature_layer` as a non-negative stage/block index."""
        arch = ARCHITECTURES[self.architecture]
        if arch["family"] == "spectral":
            return 0
        count = len(arch["stage_channels"]) if arch["family"] == "resnet" else arch["depth"]
        return self.feature_layer % count

    @property
    def min_image_size(self) -> int:
        """Smallest input side whose selected feature map is not made of padding alone."""
        arch = ARCHITECTURES[self.architecture]
        if self.family == "spectral":
            return arch["min_cell"] * (self.token_grid or arch["default_token_grid"])
        return arch["stage_strides"][self.stage_index] if self.family == "resnet" else arch["patch_size"]

    @property
    def feature_grid(self) -> int:
        """Side of the selected feature map before `token_grid` pooling."""
        arch = ARCHITECTURES[self.architecture]
        if self.family == "spectral":
            return self.image_size // arch["min_cell"]  # cells of at least `min_cell` pixels a side
        if self.family == "resnet":
            # Every strided layer of a timm ResNet maps a side of n pixels to ceil(n / 2).
            return math.ceil(self.image_size / arch["stage_strides"][self.stage_index])
        return self.image_size // arch["patch_size"]

    @property
    def num_image_tokens(self) -> int:
        """Tokens that one image of one sensor becomes."""
        grid = self.token_grid or self.feature_grid
        cls_token = 1 if self.family == "vit" and self.feature_select_strategy == "full" else 0
        return grid * grid + cls_token

    @property
    def sensors(self) -> list[dict]:
        """Every sensor as `{"sensor", "bands", "weights"}`, the main one first (its index is its sensor id)."""
        main = {"sensor": self.sensor, "bands": list(self.bands), "weights": self.weights}
        return [main] + [dict(spec) for spec in self.extra_sensors or []]

    @property
    def max_in_chans(self) -> int:
        """Channels of a `pixel_values` tensor that holds images of every sensor (smaller ones zero-padded)."""
        return max(len(spec["bands"]) for spec in self.sensors)

    def _feature_channels(self) -> int:
        arch = ARCHITECTURES[self.architecture]
        if self.family == "spectral":
            from .spectral_encoder import spectral_feature_count

            return max(spectral_feature_count(spec["bands"]) for spec in self.sensors)
        if self.family == "resnet":
            return arch["stage_channels"][self.stage_index]
        return arch["embed_dim"]


@strict
class GeoLlavaConfig(PreTrainedConfig):
    r"""Configuration of GeoLLaVA: a Sentinel encoder, a projector and any causal language model.

    Args:
        vision_config: a `SentinelEncoderConfig` or its dict.
        text_config: the causal LM's config or its dict (`model_type` picks the class; default llama).
        image_token_id: vocabulary id of the image placeholder token (set when the tokenizer learns it).
        image_token: the placeholder string in prompts.
        image_seq_length: tokens per sensor image; derived from `vision_config`.
        projector_type: "mlp2x_gelu" (LLaVA-1.5: linear, GELU, linear) or "linear".
        projector_hidden_act: activation between the two projector layers.
        multimodal_projector_bias: whether the projector layers have biases.
        tie_word_embeddings: tie the LM head to the input embeddings (inherited from text_config when set there).
    """

    model_type = "geollava"
    attribute_map = {"image_token_index": "image_token_id"}
    sub_configs_defaults = {
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="llama"),
        "vision_config": SubConfigSpec(config_class=SentinelEncoderConfig),
    }

    vision_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    image_token_id: int | None = None
    image_token: str = "<image>"
    image_seq_length: int | None = None
    projector_type: Literal["mlp2x_gelu", "linear"] = "mlp2x_gelu"
    projector_hidden_act: str = "gelu"
    multimodal_projector_bias: bool = True
    tie_word_embeddings: bool = False

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        self.image_seq_length = self.vision_config.num_image_tokens
        # LLaVA's workaround: checkpoints keep `tie_word_embeddings` in the text config (SmolLM2 ties them).
        if not self.tie_word_embeddings and getattr(self.text_config, "tie_word_embeddings", False):
            self.tie_word_embeddings = True


__all__ = [
    "ARCHITECTURES",
    "SENSOR_BANDS",
    "GeoLlavaConfig",
    "SentinelEncoderConfig",
    "canonical_band_name",
    "sensor_bands",
]
