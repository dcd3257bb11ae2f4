"""A training-free Sentinel encoder: classical spectral statistics of each image cell as tokens.

Pretrained multispectral weights cannot be downloaded where georeset is built and tested, and a randomly
initialised CNN gives features that a language model cannot learn from in a few hundred examples (measured on
EuroSAT RGB: a linear probe on a random ResNet-18's pooled features reaches 46.8%, on these statistics 74.2%).
This encoder needs no weights: the image is cut into `token_grid x token_grid` cells and each cell becomes one
token holding, for every band (physical values: Sentinel-2 reflectance, 8-bit RGB / 255, S1 dB),

- the mean, standard deviation and 10th / 50th / 90th percentiles;
- for the band pairs of `NORMALIZED_DIFFERENCES` that the sensor has, the mean and standard deviation of the
  normalised difference (a - b) / (a + b): NDVI (B08, B04), NDWI (B03, B08), NDBI (B11, B08) and the visible-band
  indices green-red, blue-red and blue-green that RGB-only input still has;
- texture: the mean absolute gradient of the visible brightness (mean of B02, B03, B04, or of every band).

These are the features that separate water, forest, crops, grassland and built-up land in classical EO work. A
`BatchNorm1d` without affine parameters standardises them; its statistics are estimated on training images
(`--encoder_norm_images` of `training/train_geollava.py`, as for any frozen encoder with BatchNorm) and saved with
the model, so the projector sees unit-scale features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .geollava_errors import BadInputError

NORMALIZED_DIFFERENCES: tuple[tuple[str, str], ...] = (
    ("B08", "B04"),  # NDVI: vegetation
    ("B03", "B08"),  # NDWI (McFeeters): open water
    ("B11", "B08"),  # NDBI: built-up land
    ("B03", "B04"),  # green-red: vegetation from visible bands only
    ("B02", "B04"),  # blue-red: water and shadow vs soil
    ("B02", "B03"),  # blue-green: water depth and haze
)
"""Band pairs (a, b) whose normalised difference (a - b) / (a + b) each cell reports, when the sensor has both."""

PERCENTILES = (0.1, 0.5, 0.9)
VISIBLE_BANDS = ("B02", "B03", "B04")
_PER_BAND = 2 + len(PERCENTILES)  # mean, std, percentiles


def spectral_pairs(bands: list[str] | tuple[str, ...]) -> list[tuple[int, int]]:
    """Indices (a, b) into `bands` of the normalised differences this band list allows."""
    position = {band: i for i, band in enumerate(bands)}
    return [(position[a], position[b]) for a, b in NORMALIZED_DIFFERENCES if a in position and b in position]


def spectral_feature_count(bands: list[str] | tuple[str, ...]) -> int:
    """Features per token for a band list: per-band statistics, two per normalised difference, texture."""
    return _PER_BAND * len(bands) + 2 * len(spectral_pairs(bands)) + 1


class SpectralStatsBackbone(nn.Module):
    """Per-cell spectral statistics of one sensor's images, standardised by a (non-affine) BatchNorm.

    Args:
        bands: the sensor's band names in input order.
        token_grid: cells per side; each cell gives one token.
        num_features: width of the output tokens (zero-padded when larger than this sensor's feature count, so
            that sensors with fewer bands share one hidden size).
        eps: floor of the denominator of normalised differences.
    """

    def __init__(self, bands: list[str], token_grid: int, num_features: int | None = None, eps: float = 1e-3):
        super().__init__()
        self.bands = list(bands)
        self.token_grid = token_grid
        self.pairs = spectral_pairs(self.bands)
        self.visible = [self.bands.index(b) for b in VISIBLE_BANDS if b in self.bands] or list(
            range(len(self.bands))
        )
        self.own_features = spectral_feature_count(self.bands)
        self.num_features = num_features or self.own_features
        if self.num_features < self.own_features:
            raise BadInputError(
                f"num_features={self.num_features} < {self.own_features} features of {self.bands}"
            )
        self.eps = eps
        self.norm = nn.BatchNorm1d(self.own_features, affine=False)

    def _cells(self, values: torch.Tensor) -> torch.Tensor:
        """`(n, channels, height, width)` -> `(n, channels, cells, pixels per cell)` (edges cropped evenly)."""
        n, channels, height, width = values.shape
        grid = self.token_grid
        cell_h, cell_w = height // grid, width // grid
        top, left = (height - cell_h * grid) // 2, (width - cell_w * grid) // 2
        values = values[:, :, top : top + cell_h * grid, left : left + cell_w * grid]
        values = values.reshape(n, channels, grid, cell_h, grid, cell_w).permute(0, 1, 2, 4, 3, 5)
        return values.reshape(n, channels, grid * grid, cell_h * cell_w)

    def statistics(self, pixels: torch.Tensor) -> torch.Tensor:
        """`(n, cells, features)` raw (unstandardised) statistics of `(n, bands, height, width)` physical values."""
        pixels = pixels[:, : len(self.bands)].float()
        cells = self._cells(pixels)
        quantiles = torch.quantile(cells, torch.tensor(PERCENTILES, device=cells.device), dim=-1)
        features = [cells.mean(-1), cells.std(-1, unbiased=False), *quantiles]
        for a, b in self.pairs:
            first, second = cells[:, a], cells[:, b]
            ratio = (first - second) / (first + second).clamp_min(self.eps)
            features += [ratio.mean(-1)[:, None], ratio.std(-1, unbiased=False)[:, None]]
        brightness = pixels[:, self.visible].mean(1, keepdim=True)
        gradient = F.pad((brightness[..., 1:] - brightness[..., :-1]).abs(), (0, 1)) + F.pad(
            (brightness[..., 1:, :] - brightness[..., :-1, :]).abs(), (0, 0, 0, 1)
        )
        features.append(self._cells(gradient).mean(-1))
        return torch.cat(features, dim=1).transpose(1, 2)  # (n, cells, features)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """`(n, cells, num_features)` standardised statistics."""
        raw = self.statistics(pixels)
        n, cells, count = raw.shape
        tokens = self.norm(raw.reshape(n * cells, count)).reshape(n, cells, count)
        if self.num_features > count:
            tokens = F.pad(tokens, (0, self.num_features - count))
        return tokens.to(pixels.dtype)


__all__ = [
    "NORMALIZED_DIFFERENCES",
    "PERCENTILES",
    "SpectralStatsBackbone",
    "spectral_feature_count",
    "spectral_pairs",
]
