"""The multispectral image processor of GeoLLaVA: Sentinel-1/-2 arrays or GeoTIFFs -> normalised `pixel_values`.

transformers' image helpers infer the channel axis only for 1 or 3 channels and hold RGB statistics, so this
processor does every step itself, per band:

1. read: numpy/torch arrays (channels first or last, said explicitly or unambiguous from the band count), a dict
   `{band: 2-D array}` (bands may differ in size, as Sentinel-2's 10/20/60 m bands do), a GeoTIFF path (all bands
   in one file) or a list of single-band GeoTIFFs named `..._B04.tif` (BigEarthNet);
2. select and order the configured bands by name;
3. check the value type: integer digital numbers (S2 DN, 8-bit RGB) vs float physical values (reflectance, dB);
4. mask nodata (NaN, +-inf, and DN 0 for Sentinel-2, ESA's NODATA value) and fill it with the band's mean of
   valid pixels, or refuse images with too much of it;
5. scale to physical units (S2 reflectance = DN / 10000, as TorchGeo's Sentinel-2 weights expect) and either
   stop there ("reflectance": SSL4EO-S12 MoCo/DINO/DeCUR weights) or standardise with per-band mean/std;
6. centre-crop to a square and resize to `image_size` with `torch.nn.functional.interpolate` (bilinear,
   antialiased);
7. zero-pad the channels to the widest sensor so images of several sensors share one tensor.

Band subsets (`fill_missing_bands=True`, e.g. EuroSAT RGB JPEGs into a 12- or 13-band Sentinel-2 encoder): the
bands the input has go to their places in the encoder's band order, and each missing band is filled with its
per-band mean, which is zero after standardisation (and the band's mean reflectance in "reflectance" mode), so
the encoder sees "average" values there rather than an arbitrary number. When the input comes from another sensor
preset (`input_sensor="rgb"`: 8-bit true colour), its values are first standardised with that preset's statistics
and then moment-matched to the encoder's band: kept as z-scores in "standardize" mode, mapped to
`z * std + mean` of the Sentinel-2 band in "reflectance" mode. An encoder of physical values (the spectral
statistics, `rgb_input="true_colour"`) instead reads 8-bit true colour back as reflectance, value / 255 /
`TRUE_COLOUR_GAIN` (Sentinel Hub's standard rendering), so that band ratios keep their meaning. Without `fill_missing_bands`, a missing band is
an error, as before.

Per-band statistics and their sources (all in physical units after scaling):
- S2 L1C: SSL4EO-S12 top-of-atmosphere means/stds (`torchgeo.models.resnet._mean_s2/_std_s2`, from the
  SSL4EO-S12 repository), divided by 10000.
- S2 L2A: BigEarthNet-S2 bottom-of-atmosphere means/stds (`bigearthnet_common.constants.BAND_STATS_S2`, from
  the BigEarthNet models repository), divided by 10000.
- S1: SSL4EO-S12 GRD backscatter in dB (`torchgeo.models.resnet._mean_s1/_std_s1`, from DeCUR), what TorchGeo's
  Sentinel-1 weights expect.
- RGB (8-bit): ImageNet mean/std on [0, 1].
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from transformers.image_processing_base import BatchFeature
from transformers.image_processing_utils import BaseImageProcessor

from .configuration_geollava import SENSOR_BANDS, SentinelEncoderConfig, canonical_band_name, sensor_bands
from .geollava_errors import BadInputError, MissingAssetError

# SSL4EO-S12 Level-1C statistics in digital numbers, band order of SENSOR_BANDS["s2_l1c"].
_S2_L1C_MEAN_LIST = [1612.9, 1397.6, 1322.3, 1373.1, 1561.0, 2108.4, 2390.7, 2318.7, 2581.0, 837.7, 22.0, 2195.2, 1537.4]  # fmt: skip
_S2_L1C_STD_LIST = [791.0, 854.3, 878.7, 1144.9, 1127.5, 1164.2, 1276.0, 1249.5, 1345.9, 577.5, 47.5, 1340.0, 1142.9]  # fmt: skip
# BigEarthNet-S2 Level-2A statistics in digital numbers.
_S2_L2A_MEAN = {
    "B01": 340.76769064, "B02": 429.9430203, "B03": 614.21682446, "B04": 590.23569706, "B05": 950.68368468,
    "B06": 1792.46290469, "B07": 2075.46795189, "B08": 2218.94553375, "B8A": 2266.46036911,
    "B09": 2246.0605464, "B11": 1594.42694882, "B12": 1009.32729131,
}  # fmt: skip
_S2_L2A_STD = {
    "B01": 554.81258967, "B02": 572.41639287, "B03": 582.87945694, "B04": 675.88746967, "B05": 729.89827633,
    "B06": 1096.01480586, "B07": 1273.45393088, "B08": 1365.45589904, "B8A": 1356.13789355,
    "B09": 1302.3292881, "B11": 1079.19066363, "B12": 818.86747235,
}  # fmt: skip
_S2_L1C_MEAN = dict(zip(SENSOR_BANDS["s2_l1c"], _S2_L1C_MEAN_LIST, strict=True))
_S2_L1C_STD = dict(zip(SENSOR_BANDS["s2_l1c"], _S2_L1C_STD_LIST, strict=True))


def _reflectance(stats_dn: dict[str, float]) -> dict[str, float]:
    """Sentinel-2 statistics are published in digital numbers; reflectance is DN / 10000."""
    return {band: value / 10000 for band, value in stats_dn.items()}


SENSOR_DEFAULTS: dict[str, dict] = {
    # scale: physical value per digital number; value_range: plausible physical values of float input;
    # nodata_dn: the digital number that means "no data"; mean/std: per band, physical units.
    "s2_l1c": {
        "scale": 1e-4,
        "value_range": (-0.2, 3.0),
        "nodata_dn": 0,
        "mean": _reflectance(_S2_L1C_MEAN),
        "std": _reflectance(_S2_L1C_STD),
    },
    "s2_l2a": {
        "scale": 1e-4,
        "value_range": (-0.2, 3.0),
        "nodata_dn": 0,
        "mean": _reflectance(_S2_L2A_MEAN),
        "std": _reflectance(_S2_L2A_STD),
    },
    "s1": {
        "scale": None,  # backscatter comes as float dB: integer input is refused
        "value_range": (-80.0, 50.0),
        "nodata_dn": None,
        "mean": {"VV": -12.59, "VH": -20.26},
        "std": {"VV": 5.26, "VH": 5.91},
    },
    "rgb": {
        "scale": 1 / 255,
        "value_range": (0.0, 1.0),
        "nodata_dn": None,
        "mean": {"B04": 0.485, "B03": 0.456, "B02": 0.406},
        "std": {"B04": 0.229, "B03": 0.224, "B02": 0.225},
    },
}

_BAND_IN_FILE_NAME = re.compile(r"_(B\d[\dA]|B\d|VV|VH)\.tiff?$", re.IGNORECASE)


def _preset_for(sensor: str, bands: list[str]) -> str:
    """The preset whose statistics a sensor uses: its own, or the S2 one for Sentinel-2 band subsets."""
    if sensor in SENSOR_DEFAULTS:
        return sensor
    if set(bands) <= set(SENSOR_BANDS["s1"]):
        return "s1"
    if "l1c" in sensor.lower() or "B10" in bands:
        return "s2_l1c"
    return "s2_l2a"


def default_sensor_spec(
    sensor: str, bands: list[str] | None = None, weights: str | None = None, physical: bool = False
) -> dict:
    """Normalisation settings of one sensor: scale, nodata value, per-band mean/std, and the mode.

    Sentinel-2 with pretrained weights uses "reflectance" (DN / 10000 only, what TorchGeo's SSL4EO-S12
    Sentinel-2 weights were trained on); `physical=True` (an encoder that reads physical values, such as the
    spectral-statistics one) uses it for every sensor; otherwise "standardize" with the per-band statistics.
    """
    bands = sensor_bands(sensor, bands)
    preset = SENSOR_DEFAULTS[_preset_for(sensor, bands)]
    missing = [band for band in bands if band not in preset["mean"]]
    if missing:
        raise BadInputError(
            f"no statistics for bands {missing} of sensor '{sensor}': give mean/std explicitly"
        )
    is_s2 = preset["scale"] == 1e-4
    return {
        "sensor": sensor,
        "bands": bands,
        "scale": preset["scale"],
        "value_range": list(preset["value_range"]),
        "nodata_dn": preset["nodata_dn"],
        "normalization": "reflectance" if physical or (is_s2 and weights) else "standardize",
        "mean": [preset["mean"][band] for band in bands],
        "std": [preset["std"][band] for band in bands],
        # 8-bit true colour into this sensor: "moment" matching of statistics, or "true_colour": read back as
        # reflectance through the standard rendering's gain (what an encoder of physical values needs).
        "rgb_input": "true_colour" if physical and is_s2 else "moment",
    }


def read_geotiff(source: str | Path | Sequence[str | Path], input_bands: Sequence[str] | None = None) -> dict:
    """Read Sentinel bands from GeoTIFF into `{band: 2-D float/int array}`.

    Args:
        source: one multi-band GeoTIFF, or several single-band GeoTIFFs whose names end in the band
            (`..._B04.tif`, `..._VV.tif`, as BigEarthNet names them).
        input_bands: band names of a multi-band file in file order, when its band descriptions do not say.

    Raises:
        MissingAssetError: rasterio is not installed or a file cannot be read.
        BadInputError: the band names cannot be told.
    """
    try:
        import rasterio
    except ImportError as err:
        raise MissingAssetError("reading GeoTIFF needs rasterio: pip install rasterio") from err
    paths = [Path(source)] if isinstance(source, str | Path) else [Path(path) for path in source]
    bands: dict[str, np.ndarray] = {}
    for path in paths:
        try:
            with rasterio.open(path) as dataset:
                data = dataset.read()
                descriptions = dataset.descriptions
        except Exception as err:  # rasterio raises its own RasterioIOError, or OSError
            raise MissingAssetError(f"cannot read the GeoTIFF {path}: {err}") from err
        if len(paths) > 1 or (data.shape[0] == 1 and input_bands is None):
            match = _BAND_IN_FILE_NAME.search(path.name)
            if data.shape[0] != 1 or not match:
                raise BadInputError(
                    f"{path.name}: with one file per band, each file needs one band and a name ending in the band "
                    f"(e.g. '_B04.tif'); it has {data.shape[0]} bands"
                )
            bands[canonical_band_name(match.group(1))] = data[0]
            continue
        names = list(input_bands) if input_bands is not None else list(descriptions)
        if any(name is None for name in names):
            raise BadInputError(
                f"{path.name} has {data.shape[0]} bands without descriptions: pass input_bands (its band order)"
            )
        if len(names) != data.shape[0]:
            raise BadInputError(f"{path.name} has {data.shape[0]} bands, but input_bands names {len(names)}")
        bands.update({canonical_band_name(name): band for name, band in zip(names, data, strict=True)})
    return bands


TRUE_COLOUR_BANDS = ("B04", "B03", "B02")
TRUE_COLOUR_GAIN = 2.5
"""Sentinel Hub's standard true-colour rendering: 8-bit value = 255 * clip(2.5 * reflectance, 0, 1)."""


def true_colour_8bit(bands: Mapping[str, np.ndarray], gain: float = TRUE_COLOUR_GAIN) -> np.ndarray:
    """An 8-bit true-colour rendering `(3, H, W)` uint8 (bands B04, B03, B02) of Sentinel-2 reflectance.

    What RGB products of Sentinel-2 (EuroSAT RGB, web map tiles, screenshots) hold; training on such views, fed
    through `input_sensor="rgb"` and `fill_missing_bands=True` as RGB input is at inference, teaches a
    multispectral model the band subset users may give it.

    Raises:
        BadInputError: a true-colour band is missing.
    """
    missing = [band for band in TRUE_COLOUR_BANDS if band not in bands]
    if missing:
        raise BadInputError(f"a true-colour view needs bands {list(TRUE_COLOUR_BANDS)}; missing {missing}")
    stack = np.stack([np.asarray(bands[band], dtype=np.float32) for band in TRUE_COLOUR_BANDS])
    stack = np.nan_to_num(stack, nan=0.0, posinf=0.0, neginf=0.0)
    return np.round(255 * np.clip(gain * stack, 0.0, 1.0)).astype(np.uint8)


class GeoLlavaImageProcessor(BaseImageProcessor):
    r"""Turns Sentinel images into `pixel_values` (and `image_sensor_ids`) for GeoLLaVA.

    Args:
        sensors: one normalisation spec per sensor, in the encoder's order (see `default_sensor_spec`); default:
            Sentinel-2 L2A, standardised.
        image_size: side of the square output.
        nodata_policy: "fill" replaces nodata pixels by the band's mean of valid pixels; "error" refuses them.
        max_nodata_fraction: with "fill", images with more nodata than this fraction are refused.
        max_upscale: refuse inputs whose largest band is more than this many times smaller than `image_size`.
    """

    model_input_names = ["pixel_values", "image_sensor_ids"]

    def __init__(
        self,
        sensors: list[dict] | None = None,
        image_size: int = 128,
        nodata_policy: str = "fill",
        max_nodata_fraction: float = 0.25,
        max_upscale: float = 8.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.sensors = [dict(spec) for spec in sensors] if sensors else [default_sensor_spec("s2_l2a")]
        for spec in self.sensors:
            if len(spec["mean"]) != len(spec["bands"]) or len(spec["std"]) != len(spec["bands"]):
                raise BadInputError(
                    f"sensor '{spec['sensor']}': mean/std need one value per band {spec['bands']}"
                )
            if spec["normalization"] not in ("reflectance", "standardize"):
                raise BadInputError(
                    f"normalization must be 'reflectance' or 'standardize', got {spec['normalization']}"
                )
        if nodata_policy not in ("fill", "error"):
            raise BadInputError(f"nodata_policy must be 'fill' or 'error', got '{nodata_policy}'")
        self.image_size = image_size
        self.nodata_policy = nodata_policy
        self.max_nodata_fraction = max_nodata_fraction
        self.max_upscale = max_upscale

    @classmethod
    def from_encoder_config(cls, config: SentinelEncoderConfig, **kwargs) -> GeoLlavaImageProcessor:
        """The processor matching an encoder: same sensors, bands and image size; normalisation by weights."""
        physical = config.family == "spectral"
        sensors = [
            default_sensor_spec(spec["sensor"], spec["bands"], spec["weights"], physical)
            for spec in config.sensors
        ]
        return cls(sensors=sensors, image_size=config.image_size, **kwargs)

    @property
    def sensor_names(self) -> list[str]:
        """Sensor names in encoder order (the index is the sensor id)."""
        return [spec["sensor"] for spec in self.sensors]

    @property
    def max_in_chans(self) -> int:
        """Channels of the output tensor."""
        return max(len(spec["bands"]) for spec in self.sensors)

    def __call__(self, images, **kwargs) -> BatchFeature:
        """See `preprocess`."""
        return self.preprocess(images, **kwargs)

    def preprocess(
        self,
        images,
        sensor: str | None = None,
        input_bands: Sequence[str] | None = None,
        channels_first: bool | None = None,
        input_scale: str = "auto",
        return_tensors: str | None = "pt",
        input_sensor: str | None = None,
        fill_missing_bands: bool = False,
    ) -> BatchFeature:
        """Normalise and resize a list of images.

        Args:
            images: one image or a list. An image is an array/tensor, a `{band: 2-D array}` dict, a GeoTIFF path,
                a list of single-band GeoTIFF paths, or, for several sensors of one place, a dict
                `{sensor name: image}` (its images come out consecutively).
            sensor: the sensor of plain images; default: the first configured one.
            input_bands: band names of the input's channels in order, when they differ from the sensor's bands
                (e.g. EuroSAT's B01..B12, B8A); the configured bands are then selected by name.
            channels_first: axis layout of 3-D arrays; None infers it only when the band count is unambiguous.
            input_scale: "auto" (integers are digital numbers, floats physical values), "dn" or "physical".
            return_tensors: "pt" (torch) or None (lists of tensors).
            input_sensor: the preset whose units and statistics the input's values follow when it is not the
                encoder's sensor (e.g. "rgb" for 8-bit true colour fed to a Sentinel-2 encoder); see the module
                docstring for how values are matched.
            fill_missing_bands: accept inputs that lack some of the sensor's bands and fill each missing band with
                its mean (zero after standardisation); default False: a missing band is an error.

        Returns:
            `BatchFeature` with `pixel_values` `(num_images, max_bands, image_size, image_size)` float32,
            `image_sensor_ids` `(num_images,)` and `num_sensor_images` (images per input entry).
        """
        if input_scale not in ("auto", "dn", "physical"):
            raise BadInputError(f"input_scale must be 'auto', 'dn' or 'physical', got '{input_scale}'")
        if input_sensor is not None and input_sensor not in SENSOR_DEFAULTS:
            raise BadInputError(
                f"unknown input_sensor '{input_sensor}': use one of {sorted(SENSOR_DEFAULTS)}"
            )
        entries = self._as_list(images)
        default_sensor = sensor or self.sensors[0]["sensor"]
        pixel_values, sensor_ids, counts = [], [], []
        for position, entry in enumerate(entries):
            if isinstance(entry, Mapping) and entry and all(key in self.sensor_names for key in entry):
                per_sensor = list(entry.items())
            else:
                per_sensor = [(default_sensor, entry)]
            for sensor_name, image in per_sensor:
                sensor_id = self._sensor_id(sensor_name)
                label = f"image {position} ({sensor_name})"
                tensor = self._process_one(
                    image,
                    self.sensors[sensor_id],
                    label,
                    input_bands,
                    channels_first,
                    input_scale,
                    input_sensor=input_sensor,
                    fill_missing_bands=fill_missing_bands,
                )
                pixel_values.append(tensor)
                sensor_ids.append(sensor_id)
            counts.append(len(per_sensor))
        data = {"pixel_values": pixel_values, "image_sensor_ids": sensor_ids, "num_sensor_images": counts}
        if return_tensors == "pt":
            data = {
                "pixel_values": torch.stack(pixel_values),
                "image_sensor_ids": torch.tensor(sensor_ids, dtype=torch.long),
                "num_sensor_images": torch.tensor(counts, dtype=torch.long),
            }
        elif return_tensors is not None:
            raise BadInputError(f"return_tensors must be 'pt' or None, got '{return_tensors}'")
        return BatchFeature(data=data)

    @staticmethod
    def _as_list(images) -> list:
        if images is None:
            raise BadInputError("no images given")
        if isinstance(images, np.ndarray | torch.Tensor | str | Path | Mapping):
            return [images]
        images = list(images)
        if images and all(isinstance(item, str | Path) for item in images) and len(images) > 1:
            # A list of paths is one image when the paths are single-band files of one patch.
            if all(_BAND_IN_FILE_NAME.search(str(item)) for item in images):
                return [images]
        if not images:
            raise BadInputError("images is an empty list")
        return images

    def _sensor_id(self, sensor: str) -> int:
        if sensor not in self.sensor_names:
            raise BadInputError(f"unknown sensor '{sensor}': this processor knows {self.sensor_names}")
        return self.sensor_names.index(sensor)

    def _bands_of(
        self, image, spec, label, input_bands, channels_first, allow_missing: bool = False
    ) -> dict[str, torch.Tensor]:
        """`{band: 2-D tensor}` for the sensor's bands (those present only, with `allow_missing`)."""
        if isinstance(image, str | Path) or (
            isinstance(image, Sequence)
            and not isinstance(image, str)
            and image
            and isinstance(image[0], str | Path)
        ):
            image = read_geotiff(image, input_bands)
            input_bands = None
        if isinstance(image, Mapping):
            bands = {
                canonical_band_name(key): torch.as_tensor(np.asarray(value)) for key, value in image.items()
            }
            for band, value in bands.items():
                if value.ndim != 2:
                    raise BadInputError(f"{label}: band {band} must be 2-D, got shape {tuple(value.shape)}")
        else:
            array = torch.as_tensor(np.asarray(image) if not isinstance(image, torch.Tensor) else image)
            names = (
                [canonical_band_name(b) for b in input_bands] if input_bands is not None else spec["bands"]
            )
            if array.ndim == 2 and len(names) == 1:
                array = array[None]
            if array.ndim != 3:
                raise BadInputError(
                    f"{label}: expected a (bands, height, width) or (height, width, bands) array with "
                    f"{len(names)} bands {names}, got shape {tuple(array.shape)}"
                )
            first, last = array.shape[0] == len(names), array.shape[-1] == len(names)
            if channels_first is None:
                if first and last:
                    raise BadInputError(
                        f"{label}: shape {tuple(array.shape)} could be channels first or last: pass channels_first"
                    )
                channels_first = first
                if not (first or last):
                    raise BadInputError(
                        f"{label}: expected {len(names)} bands {names} on the first or last axis, "
                        f"got shape {tuple(array.shape)}"
                    )
            if not channels_first:
                array = array.permute(2, 0, 1)
            if array.shape[0] != len(names):
                raise BadInputError(
                    f"{label}: expected {len(names)} bands {names} on the {'first' if channels_first else 'last'} "
                    f"axis, got shape {tuple(array.shape)}"
                )
            bands = dict(zip(names, array, strict=True))
        missing = [band for band in spec["bands"] if band not in bands]
        if missing and allow_missing and len(missing) < len(spec["bands"]):
            return {band: bands[band] for band in spec["bands"] if band in bands}
        if missing:
            raise BadInputError(
                f"{label}: sensor '{spec['sensor']}' needs bands {spec['bands']}; missing {missing} "
                f"(the input has {list(bands)}); fill_missing_bands=True fills absent bands with their means"
            )
        return {band: bands[band] for band in spec["bands"]}

    def _to_physical(self, band: torch.Tensor, spec, label: str, name: str, input_scale: str):
        """Float physical values and the nodata mask of one band."""
        is_integer = not (band.is_floating_point() or band.is_complex())
        as_dn = input_scale == "dn" or (input_scale == "auto" and is_integer)
        values = band.to(torch.float32)
        if as_dn:
            if spec["scale"] is None:
                raise BadInputError(
                    f"{label}: sensor '{spec['sensor']}' expects float values (e.g. backscatter in dB), got "
                    f"{band.dtype} band {name}; convert to float first or pass input_scale='physical'"
                )
            nodata = ~torch.isfinite(values)
            if spec["nodata_dn"] is not None:
                nodata |= values == spec["nodata_dn"]
            return values * spec["scale"], nodata
        nodata = ~torch.isfinite(values)
        valid = values[~nodata]
        low, high = spec["value_range"]
        if valid.numel() and (float(valid.max()) > high or float(valid.min()) < low):
            raise BadInputError(
                f"{label}: float band {name} has values in [{float(valid.min()):.4g}, {float(valid.max()):.4g}], "
                f"outside the physical range [{low}, {high}] of sensor '{spec['sensor']}'"
                + (
                    ": these look like digital numbers; pass an integer array or input_scale='dn'"
                    if spec["scale"]
                    else ""
                )
            )
        return values, nodata

    def _process_one(
        self,
        image,
        spec,
        label,
        input_bands,
        channels_first,
        input_scale,
        input_sensor: str | None = None,
        fill_missing_bands: bool = False,
    ) -> torch.Tensor:
        bands = self._bands_of(
            image, spec, label, input_bands, channels_first, allow_missing=fill_missing_bands
        )
        source = None  # the input's own preset, when it is not the encoder's sensor
        if input_sensor is not None and input_sensor != spec["sensor"]:
            try:
                source = default_sensor_spec(input_sensor, list(bands))
            except BadInputError as err:
                raise BadInputError(f"{label}: {err}") from err
        largest = max(min(band.shape) for band in bands.values())
        if largest * self.max_upscale < self.image_size:
            raise BadInputError(
                f"{label}: {largest} pixels is too small for the encoder's {self.image_size}x{self.image_size} "
                f"input (more than {self.max_upscale:g}x upscaling)"
            )
        normalised = []
        for name, band in bands.items():
            index = spec["bands"].index(name)
            values, nodata = self._to_physical(band, source or spec, label, name, input_scale)
            if nodata.any():
                fraction = float(nodata.float().mean())
                if self.nodata_policy == "error" or fraction > self.max_nodata_fraction:
                    raise BadInputError(
                        f"{label}: band {name} has {fraction:.1%} nodata pixels (NaN, inf or DN "
                        f"{spec['nodata_dn']}); allowed: {0 if self.nodata_policy == 'error' else self.max_nodata_fraction:.0%}"
                    )
                values = torch.where(nodata, values[~nodata].mean(), values)
            if source is not None and input_sensor == "rgb" and spec.get("rgb_input") == "true_colour":
                # 8-bit true colour is 255 * clip(gain * reflectance): undo the gain (clipped highlights stay 1/gain).
                values = values / TRUE_COLOUR_GAIN
            elif source is not None:
                # Moment matching: a z-score in the input sensor's statistics becomes the same z-score of the
                # encoder's band (what "standardize" feeds), or that band's reflectance for "reflectance" weights.
                position = source["bands"].index(name)
                values = (values - source["mean"][position]) / source["std"][position]
                if spec["normalization"] == "reflectance":
                    values = values * spec["std"][index] + spec["mean"][index]
            elif spec["normalization"] == "standardize":
                values = (values - spec["mean"][index]) / spec["std"][index]
            normalised.append(self._square(values))
        if len(bands) < len(spec["bands"]):
            # Missing bands (fill_missing_bands): the band's mean, i.e. zero after standardisation.
            present = dict(zip(bands, normalised, strict=True))
            shape = normalised[0].shape
            normalised = [
                present[name]
                if name in present
                else torch.full(shape, 0.0 if spec["normalization"] == "standardize" else spec["mean"][i])
                for i, name in enumerate(spec["bands"])
            ]
        channels = [self._resize(group) for group in self._group_by_shape(normalised)]
        pixels = torch.cat(channels)[self._group_order(normalised)]
        if pixels.shape[0] < self.max_in_chans:
            pixels = F.pad(pixels, (0, 0, 0, 0, 0, self.max_in_chans - pixels.shape[0]))
        return pixels

    @staticmethod
    def _square(band: torch.Tensor) -> torch.Tensor:
        """Centre-crop to a square, so that resizing keeps the ground aspect."""
        height, width = band.shape
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        return band[top : top + side, left : left + side]

    @staticmethod
    def _group_by_shape(bands: list[torch.Tensor]) -> list[torch.Tensor]:
        """Stack bands of equal size together, so each resolution is resized in one call."""
        shapes = sorted({tuple(band.shape) for band in bands})
        return [torch.stack([band for band in bands if tuple(band.shape) == shape]) for shape in shapes]

    @staticmethod
    def _group_order(bands: list[torch.Tensor]) -> torch.Tensor:
        """Permutation from the grouped (by shape) order back to band order."""
        shapes = sorted({tuple(band.shape) for band in bands})
        grouped = [i for shape in shapes for i, band in enumerate(bands) if tuple(band.shape) == shape]
        return torch.argsort(torch.tensor(grouped))

    def _resize(self, stack: torch.Tensor) -> torch.Tensor:
        if stack.shape[-1] == self.image_size:
            return stack
        resized = F.interpolate(
            stack[None],
            size=(self.image_size, self.image_size),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
        return resized[0]


__all__ = [
    "SENSOR_DEFAULTS",
    "TRUE_COLOUR_BANDS",
    "TRUE_COLOUR_GAIN",
    "GeoLlavaImageProcessor",
    "default_sensor_spec",
    "read_geotiff",
    "true_colour_8bit",
]
