"""What the app loads once and shares between requests: the gazetteer, geoparsers, the basemap, GeoLLaVA.

Everything is loaded on first use under one lock per resource (so two first requests do not load twice), and
`warm_up()` loads the cheap parts at start so the first request does not wait for them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from georeset.app_support.text_results import DEFAULT_MAX_CHARS
from georeset.errors import BadInputError

if TYPE_CHECKING:
    from data_builders.gazetteer.index import GazetteerIndex
    from georeset.app_support.basemap import Basemap
    from georeset.app_support.imagery import UploadedImage
    from modeling.geoparsing import Geoparser

logger = logging.getLogger(__name__)

LANGUAGES = {"Auto (English or French)": "auto", "English": "en", "French": "fr"}
QUESTIONS = {
    "Describe this image": "Describe this Sentinel-2 image.",
    "Land cover": "What land cover classes does this Sentinel-2 image show?",
    "Where is this?": "Where was this Sentinel-2 image taken?",
}
"""The preset questions of the image tab (the page also takes free questions)."""
MAX_QUESTION_CHARS = 500


@dataclass
class AppSettings:
    """What `georeset app` can change.

    Attributes:
        gazetteer: a gazetteer folder or Hub id; None: the embedded default (built on first start).
        geollava: a GeoLLaVA checkpoint (folder or Hub id); None: an untrained build from the embedded parts.
        resolver: the geoparser's LLM resolver (None: ranker only; "default": the embedded LLM).
        naturalearth: a folder of Natural Earth GeoJSON layers added to the basemap (None: the gazetteer alone).
        max_chars: longest text accepted.
        max_new_tokens: longest GeoLLaVA answer, in tokens.
    """

    gazetteer: str | None = None
    geollava: str | None = None
    resolver: str | None = None
    naturalearth: str | None = None
    max_chars: int = DEFAULT_MAX_CHARS
    max_new_tokens: int = 48

    def __post_init__(self) -> None:
        if self.max_chars < 1:
            raise BadInputError(f"max_chars must be at least 1, got {self.max_chars}")
        if self.max_new_tokens < 1:
            raise BadInputError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")

    @property
    def geollava_description(self) -> str:
        """What the image tab says about the model that answers."""
        if self.geollava is None:
            return (
                "GeoLLaVA here is the **untrained embedded build** (SmolLM2-135M and a randomly initialised "
                "ResNet-18 joined by an untrained projector): its answers show the pipeline works, not what a "
                "trained model says. Start the app with `georeset app --geollava PATH_OR_ID` to use a checkpoint."
            )
        return f"GeoLLaVA checkpoint: `{self.geollava}`."


class AppModels:
    """Lazily loaded, shared resources of the app (thread-safe)."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self._locks: dict[str, threading.Lock] = {
            name: threading.Lock() for name in ("index", "geoparser", "basemap", "geollava", "spatial")
        }
        self._index: GazetteerIndex | None = None
        self._geoparsers: dict[str, Geoparser] = {}
        self._basemap: Basemap | None = None
        self._geollava: tuple[Any, Any] | None = None
        self._spatial = None
        self.load_seconds: dict[str, float] = {}

    # ------------------------------------------------------------------------------------------- gazetteer
    def index(self) -> GazetteerIndex:
        """The gazetteer's candidate index (the embedded default is built on first use, once)."""
        with self._locks["index"]:
            if self._index is None:
                started = time.perf_counter()
                from data_builders.gazetteer import load_gazetteer

                if self.settings.gazetteer is None:
                    from data_builders.gazetteer.build import ensure_gazetteer

                    logger.info("opening the embedded gazetteer (built once on first start: a few minutes)")
                    self._index = load_gazetteer(ensure_gazetteer())
                else:
                    self._index = load_gazetteer(self.settings.gazetteer)
                self.load_seconds["gazetteer"] = time.perf_counter() - started
            return self._index

    def gazetteer_folder(self) -> Path:
        """The gazetteer folder (the parent of its `index/`)."""
        return Path(self.index().path).parent

    def geoparser(self, lang: str) -> Geoparser:
        """The geoparser of a language code ("auto", "en", "fr"), all sharing one index."""
        if lang not in LANGUAGES.values():
            raise BadInputError(f"language '{lang}': use one of {', '.join(LANGUAGES.values())}")
        index = self.index()
        with self._locks["geoparser"]:
            if lang not in self._geoparsers:
                started = time.perf_counter()
                from modeling.geoparsing import Geoparser

                self._geoparsers[lang] = Geoparser(index, lang=lang, resolver=self.settings.resolver)
                self.load_seconds[f"geoparser_{lang}"] = time.perf_counter() - started
            return self._geoparsers[lang]

    def basemap(self) -> Basemap:
        """The basemap: the gazetteer's polygons, plus Natural Earth layers when a folder is set."""
        folder = self.gazetteer_folder()
        with self._locks["basemap"]:
            if self._basemap is None:
                started = time.perf_counter()
                from georeset.app_support.basemap import Basemap

                self._basemap = Basemap.from_sources(folder, self.settings.naturalearth)
                self.load_seconds["basemap"] = time.perf_counter() - started
            return self._basemap

    def spatial(self):
        """The spatial lookup of the gazetteer (`data_builders.imagery.link.SpatialGazetteer`)."""
        index = self.index()
        with self._locks["spatial"]:
            if self._spatial is None:
                started = time.perf_counter()
                from data_builders.imagery.link import spatial_gazetteer

                self._spatial = spatial_gazetteer(index)
                self.load_seconds["spatial"] = time.perf_counter() - started
            return self._spatial

    # -------------------------------------------------------------------------------------------- GeoLLaVA
    def geollava(self) -> tuple[Any, Any]:
        """(model, processor): the checkpoint of `settings.geollava`, or an untrained build of the embedded parts."""
        with self._locks["geollava"]:
            if self._geollava is None:
                started = time.perf_counter()
                import modeling.geollava  # noqa: F401  (registers the Auto classes)

                if self.settings.geollava is None:
                    from modeling.geollava.build import build_geollava

                    self._geollava = build_geollava(device="cpu")
                else:
                    from transformers import AutoModelForImageTextToText, AutoProcessor

                    model = AutoModelForImageTextToText.from_pretrained(
                        self.settings.geollava, trust_remote_code=True
                    ).eval()
                    processor = AutoProcessor.from_pretrained(self.settings.geollava, trust_remote_code=True)
                    self._geollava = (model, processor)
                self.load_seconds["geollava"] = time.perf_counter() - started
            return self._geollava

    def ask(self, image: UploadedImage, question: str) -> str:
        """GeoLLaVA's answer to a question about an uploaded image (greedy decoding).

        Bands the encoder reads but the image lacks are filled with their mean (an RGB image into a
        multispectral encoder); an image of another sensor preset is moment-matched to the encoder's statistics.

        Raises:
            BadInputError: an empty or too long question, or an image the processor refuses.
        """
        import torch

        question = (question or "").strip()
        if not question:
            raise BadInputError("question: pick a question or type one")
        if len(question) > MAX_QUESTION_CHARS:
            raise BadInputError(f"question: {len(question)} characters; keep it under {MAX_QUESTION_CHARS}")
        model, processor = self.geollava()
        encoder_sensor = processor.image_processor.sensors[0]["sensor"]
        conversation = [
            {
                "role": "user",
                "content": [{"type": "image", "image": image.bands}, {"type": "text", "text": question}],
            }
        ]
        inputs = processor.apply_chat_template(
            conversation,
            add_generation_prompt=True,
            tokenize=True,
            input_sensor=image.sensor if image.sensor != encoder_sensor else None,
            fill_missing_bands=True,
        )
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=self.settings.max_new_tokens, do_sample=False)
        answer = processor.tokenizer.decode(
            output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True
        )
        return answer.strip() or "(the model gave an empty answer)"

    def warm_up(self, geollava: bool = True) -> None:
        """Load the gazetteer, the English geoparser and the basemap now, then GeoLLaVA (the slowest, last)."""
        self.geoparser("auto").recognizer("en")
        self.basemap()
        if geollava:
            self.geollava()


__all__ = ["LANGUAGES", "MAX_QUESTION_CHARS", "QUESTIONS", "AppModels", "AppSettings"]
