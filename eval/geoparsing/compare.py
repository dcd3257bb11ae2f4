"""Compare resolvers on one corpus in gold mode: the ranker alone, the ranker + an LLM, the ranker + a tuned LLM.

The LLM is asked only about the mentions the ranker is unsure of; those toponyms are the ones where resolvers
differ, so the report gives, besides each run's full report, the figures on exactly the toponyms sent to the LLM
(the same set for every LLM run, since the ranker and the margin are shared). One geoparser is built and its
resolver swapped between runs, so the gazetteer and the candidate cache are loaded once.
"""

from __future__ import annotations

from typing import Any

from data_builders.geotext.corpora import Corpus
from eval.geoparsing.run import evaluate_geoparser
from eval.geoparsing.scoring import error_statistics
from georeset.errors import BadInputError

RANKER_ONLY = "none"


def _resolver(spec: str):
    """None for "none"; else an `LLMResolver` for "MODEL" or "MODEL@WEIGHT" (the LLM's weight against the ranker;
    without it, the weight fitted for an adapter or the default; a negative weight: the LLM alone decides)."""
    if spec.lower() == RANKER_ONLY:
        return None
    from modeling.geoparsing.resolve_llm import LLMResolver

    model, _, weight = spec.rpartition("@") if "@" in spec else (spec, "", "")
    try:
        llm_weight = float(weight) if weight else None
    except ValueError as err:
        raise BadInputError(f"resolver {spec!r}: the weight after @ must be a number") from err
    # a base model, "default", or a LoRA adapter (its base model is loaded under it)
    return LLMResolver(model, llm_weight=llm_weight)


def compare_resolvers(
    corpus: Corpus, geoparser: Any, resolvers: list[str], *, index: Any = None, progress: bool = True
) -> dict[str, Any]:
    """Run gold-mode evaluation once per resolver spec and score all of them on the toponyms sent to the LLM.

    Args:
        corpus: the benchmark corpus.
        geoparser: a `Geoparser`; its `resolver` is replaced for each run.
        resolvers: specs: "none" (ranker alone), "default" (the embedded LLM), a model or adapter id / folder;
            "SPEC@WEIGHT" sets the LLM's weight against the ranker (see `LLMResolver`).
        index: the gazetteer index for coverage figures (None leaves coverage out).
        progress: show progress bars.

    Raises:
        BadInputError: fewer than two specs, or a spec given twice.
    """
    if len(resolvers) < 2 or len(set(resolvers)) != len(resolvers):
        raise BadInputError(f"--compare needs two distinct resolvers or more, got {resolvers}")
    runs: dict[str, Any] = {}
    for spec in resolvers:
        geoparser.resolver = _resolver(spec)
        geoparser.reset_stats()
        runs[spec] = evaluate_geoparser(corpus, geoparser, mode="gold", index=index, progress=progress)
    llm_runs = [spec for spec in resolvers if spec.lower() != RANKER_ONLY]
    sent: set[int] = set()
    for spec in llm_runs:
        sent |= {i for i, o in enumerate(runs[spec].outcomes) if o.prediction and o.prediction.stage == "llm"}
    on_sent: dict[str, Any] = {}
    for spec, evaluation in runs.items():
        errors = [evaluation.outcomes[i].error_km for i in sorted(sent)]
        on_sent[spec] = error_statistics([e for e in errors if e is not None])
    return {
        "corpus": corpus.name,
        "mode": "gold",
        "resolvers": resolvers,
        "n_sent_to_llm": len(sent),
        "sent_to_llm": on_sent,
        "all_toponyms": {
            spec: {
                k: runs[spec].report[k]
                for k in ("acc_at_161km", "mean_error_km", "median_error_km", "auc", "n_scored", "llm_calls")
            }
            for spec in resolvers
        },
        "reports": {spec: evaluation.report for spec, evaluation in runs.items()},
    }


def format_comparison(report: dict[str, Any]) -> str:
    """A Markdown table: Acc@161km and mean error per resolver, on the toponyms sent to the LLM and on all."""

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}"

    def km(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f}"

    lines = [
        f"{report['corpus']} (gold mode), {report['n_sent_to_llm']} toponyms sent to the LLM",
        "",
        "| resolver | Acc@161 sent | mean km sent | Acc@161 all | mean km all |",
        "|---|---|---|---|---|",
    ]
    for spec in report["resolvers"]:
        sent, every = report["sent_to_llm"][spec], report["all_toponyms"][spec]
        lines.append(
            f"| {spec} | {pct(sent['acc_at_161km'])} | {km(sent['mean_error_km'])} | {pct(every['acc_at_161km'])} "
            f"| {km(every['mean_error_km'])} |"
        )
    return "\n".join(lines)


__all__ = ["RANKER_ONLY", "compare_resolvers", "format_comparison"]
