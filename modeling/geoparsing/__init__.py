"""Geoparsing: text -> toponyms -> gazetteer entities with footprints.

Stages (each replaceable alone): `recognize` (spaCy NER + gazetteer-aware recovery) -> `candidates` (gazetteer
lookup) -> `rank` (features, hand weights, calibrated probabilities with an explicit no-match) -> `resolve_llm`
(a causal LM scores the options of unsure mentions) -> `output` (toponyms, GeoJSON). `Geoparser` runs them all.
Importing this package registers the `transformers` pipeline task "geoparsing".
"""

from modeling.geoparsing.geoparser import Geoparser, open_gazetteer
from modeling.geoparsing.output import to_geojson
from modeling.geoparsing.pipeline import GeoparsingPipeline, register_pipeline
from modeling.geoparsing.resolve_llm import LLMResolver
from modeling.geoparsing.types import GeoparsedDoc, Mention, ScoredCandidate, Toponym

register_pipeline()

__all__ = [
    "GeoparsedDoc",
    "Geoparser",
    "GeoparsingPipeline",
    "LLMResolver",
    "Mention",
    "ScoredCandidate",
    "Toponym",
    "open_gazetteer",
    "register_pipeline",
    "to_geojson",
]
