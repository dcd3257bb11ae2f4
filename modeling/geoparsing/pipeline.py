"""The `transformers` pipeline "geoparsing", registered when `modeling.geoparsing` is imported.

```python
import modeling.geoparsing  # registers the task
from transformers import pipeline

geoparse = pipeline("geoparsing", model=Geoparser())                 # ranker only, default gazetteer
geoparse = pipeline("geoparsing", model="HuggingFaceTB/SmolLM2-360M-Instruct", gazetteer="gaz/")  # LLM resolver
geoparse("Flooding hit Paris, Texas.")          # {"text": ..., "toponyms": [...]}
geoparse({"text": text, "spans": [(13, 18)]})   # gold mode
```

Why this shape: a transformers pipeline is built around a `model` with a device. The geoparser's only neural
network that benefits from a device is the optional LLM resolver, so a model id given to `pipeline()` is that LLM
(loaded by transformers as a causal LM, with its tokenizer), and the gazetteer, language and NER are pipeline
arguments. Without an LLM, the model is a `Geoparser`, wrapped in `GeoparserModule` (a parameter-free
`torch.nn.Module` that carries the LLM as a submodule when there is one), so that transformers' device handling
works unchanged. There is no default model to download: `pipeline("geoparsing")` alone has nothing to load, so a
model (a `Geoparser` or an LLM) must be given.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import AutoModelForCausalLM, Pipeline, PreTrainedModel
from transformers.pipelines import PIPELINE_REGISTRY

from modeling.geoparsing.geoparser import Geoparser
from modeling.geoparsing.output import to_geojson
from modeling.geoparsing.resolve_llm import LLMResolver
from modeling.geoparsing.text_input import as_text
from modeling.geoparsing.types import GeoparsedDoc

TASK = "geoparsing"


class GeoparserModule(torch.nn.Module):
    """A `Geoparser` as a `torch.nn.Module`: no parameters of its own; the LLM resolver, if any, is a submodule."""

    def __init__(self, geoparser: Geoparser) -> None:
        super().__init__()
        self.geoparser = geoparser
        resolver = geoparser.resolver
        self.llm = resolver.model if resolver is not None else None

    @property
    def device(self) -> torch.device:
        """Where the LLM runs; the CPU when there is none."""
        return self.llm.device if self.llm is not None else torch.device("cpu")

    def can_generate(self) -> bool:
        """The geoparser scores, it does not generate text."""
        return False

    def forward(
        self, texts: list[str], spans: list[list[tuple[int, int]]] | None = None
    ) -> list[GeoparsedDoc]:
        """Parse texts end to end, or resolve given spans (gold mode) when `spans` is set."""
        if spans is None:
            return self.geoparser.parse_batch(texts)
        return [
            GeoparsedDoc(text, self.geoparser.resolve(text, s)) for text, s in zip(texts, spans, strict=True)
        ]


class GeoparsingPipeline(Pipeline):
    """Text in, toponyms out: `{"text": ..., "toponyms": [...]}` (or a GeoJSON FeatureCollection).

    Args:
        model: a `Geoparser`, a `GeoparserModule`, or a causal LM (loaded by `pipeline()` from a Hub id or folder)
            that becomes the LLM resolver.
        tokenizer: the LLM's tokenizer (given by `pipeline()` with an LLM).
        gazetteer, lang, ner, llm_margin: passed to the `Geoparser` built around an LLM.
    """

    _load_tokenizer = None  # soft: loaded with an LLM id, absent for a Geoparser object
    _load_processor = False
    _load_image_processor = False
    _load_feature_extractor = False
    _load_video_processor = False
    _pipeline_calls_generate = False

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        *,
        gazetteer: Any = None,
        lang: str = "en",
        ner: Any = None,
        llm_margin: float = 0.2,
        **kwargs: Any,
    ) -> None:
        if isinstance(model, GeoparserModule):
            module = model
        elif isinstance(model, Geoparser):
            module = GeoparserModule(model)
        elif isinstance(model, PreTrainedModel):
            if tokenizer is None:
                raise ValueError("a causal LM given to the geoparsing pipeline needs its tokenizer")
            resolver = LLMResolver.from_loaded(model, tokenizer)
            module = GeoparserModule(
                Geoparser(gazetteer, lang=lang, ner=ner, resolver=resolver, llm_margin=llm_margin)
            )
        else:
            raise TypeError(
                f"model: expected a Geoparser or a causal LM, got {type(model).__name__}; "
                "use pipeline('geoparsing', model=Geoparser(...)) or an LLM id/folder"
            )
        kwargs.setdefault("device", module.device)
        super().__init__(model=module, tokenizer=tokenizer, **kwargs)

    @property
    def geoparser(self) -> Geoparser:
        """The geoparser behind the pipeline."""
        return self.model.geoparser

    def _sanitize_parameters(
        self, with_candidates: bool | None = None, output_format: str | None = None, **kwargs: Any
    ) -> tuple[dict, dict, dict]:
        if kwargs:
            raise TypeError(f"unknown geoparsing pipeline arguments: {', '.join(sorted(kwargs))}")
        postprocess: dict[str, Any] = {}
        if with_candidates is not None:
            postprocess["with_candidates"] = with_candidates
        if output_format is not None:
            if output_format not in ("json", "geojson"):
                raise ValueError(f"output_format: '{output_format}' is not 'json' or 'geojson'")
            postprocess["output_format"] = output_format
        return {}, {}, postprocess

    def preprocess(self, inputs: Any) -> dict[str, Any]:
        if isinstance(inputs, dict):
            if "text" not in inputs:
                raise ValueError("a dict input needs a 'text' key (and optionally 'spans')")
            spans = inputs.get("spans")
            return {"text": as_text(inputs["text"]), "spans": None if spans is None else list(spans)}
        return {"text": as_text(inputs), "spans": None}

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        spans = model_inputs["spans"]
        doc = self.model([model_inputs["text"]], None if spans is None else [spans])[0]
        return {"doc": doc}

    def postprocess(
        self, model_outputs: dict[str, Any], with_candidates: bool = False, output_format: str = "json"
    ) -> dict[str, Any]:
        doc: GeoparsedDoc = model_outputs["doc"]
        if output_format == "geojson":
            return to_geojson(doc)
        return doc.to_dict(with_candidates=with_candidates)


def register_pipeline() -> None:
    """Register the "geoparsing" task with transformers (idempotent)."""
    if TASK not in PIPELINE_REGISTRY.get_supported_tasks() or (
        PIPELINE_REGISTRY.supported_tasks[TASK]["impl"] is not GeoparsingPipeline
    ):
        PIPELINE_REGISTRY.register_pipeline(
            TASK, pipeline_class=GeoparsingPipeline, pt_model=AutoModelForCausalLM, type="text"
        )


__all__ = ["TASK", "GeoparserModule", "GeoparsingPipeline", "register_pipeline"]
