"""Geoparsing evaluation: benchmark corpus readers, metrics (`evaluate` modules in `metrics/`), the eval run."""

from data_builders.geotext.corpora import Corpus, Document, GoldToponym, load_corpus
from eval.geoparsing.coverage import coverage_cap
from eval.geoparsing.scoring import error_statistics, span_prf

__all__ = ["Corpus", "Document", "GoldToponym", "load_corpus", "coverage_cap", "error_statistics", "span_prf"]
