"""`georeset eval <task>`: evaluations on benchmark data: `geoparsing`, and `eo` (land use, land-cover maps, crop type)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from georeset.cli_types import positive_int
from georeset.errors import BadInputError


def _geoparsing(args: argparse.Namespace) -> int:
    """Load the corpus and the geoparser, evaluate, write the report (and plot / details), print a summary."""
    from data_builders.geotext.corpora import load_corpus
    from eval.geoparsing.run import evaluate_geoparser, format_summary, write_details, write_report

    corpus = load_corpus(args.corpus, limit=args.limit)
    if corpus.n_documents == 0:
        raise BadInputError(f"corpus {args.corpus}: no documents to evaluate")
    print(
        f"{corpus.name}: {corpus.n_documents} documents, {corpus.n_toponyms} gold toponyms "
        f"({corpus.n_toponyms_with_coordinates} with coordinates); offsets shifted by {corpus.offset_shift}, "
        f"{corpus.offset_mismatches} still disagree with the text",
        file=sys.stderr,
    )
    started = time.perf_counter()
    geoparser = _load_geoparser(args)
    index = None if args.no_coverage else _gazetteer_index(geoparser, args.gazetteer)
    load_s = time.perf_counter() - started
    if args.compare:
        return _compare(args, corpus, geoparser, index)
    evaluation = evaluate_geoparser(
        corpus,
        geoparser,
        mode=args.mode,
        index=index,
        progress=not args.quiet,
        collection_context=args.collection_context,
        n_process=args.n_process,
    )
    evaluation.report["timing"]["load_geoparser_s"] = round(load_s, 3)
    evaluation.report["settings"] = {
        "corpus_path": str(Path(args.corpus).resolve()),
        "limit": args.limit,
        "resolver": args.resolver,
        "gazetteer": str(args.gazetteer) if args.gazetteer else None,
        "lang": args.lang,
        "collection_context": args.collection_context,
        "n_process": args.n_process,
    }
    write_report(evaluation, args.out)
    if args.plot:
        from eval.geoparsing.plots import plot_errors

        plot_errors(evaluation.errors_km, args.plot, title=f"{corpus.name} ({args.mode})")
    if args.details:
        write_details(evaluation, args.details)
    print(format_summary(evaluation.report))
    print(f"report: {args.out}" + (f", plot: {args.plot}" if args.plot else ""), file=sys.stderr)
    return 0


def _compare(args: argparse.Namespace, corpus, geoparser, index) -> int:
    """`--compare A --compare B ...`: one report with every resolver, and their scores on the toponyms sent to the LLM."""
    import json

    from eval.geoparsing.compare import compare_resolvers, format_comparison
    from georeset.cli_types import write_atomic

    if args.mode != "gold":
        raise BadInputError("--compare runs in gold mode only (resolution is what differs between resolvers)")
    report = compare_resolvers(corpus, geoparser, args.compare, index=index, progress=not args.quiet)
    write_atomic(Path(args.out), json.dumps(report, indent=2, default=str) + "\n")
    print(format_comparison(report))
    print(f"report: {args.out}", file=sys.stderr)
    return 0


def _eo(args: argparse.Namespace) -> int:
    """Run one EO task (`eval.eo.run.run_eo`), write the report and plots, print a summary."""
    import json

    from eval.eo.run import format_summary, run_eo

    task_kwargs = {}
    if args.task_name == "land-use":
        task_kwargs.update(form=args.form, nomenclature=args.nomenclature, verbalizer=args.verbalizer)
    elif args.task_name == "land-cover":
        classes = args.classes
        if classes is not None and not Path(classes).is_file():
            try:
                classes = json.loads(classes)
            except ValueError:
                raise BadInputError(
                    f"--classes {classes!r} is neither a JSON file nor a JSON object"
                ) from None
        task_kwargs.update(
            scene=args.scene,
            reference=args.reference,
            classes=classes,
            class_column=args.class_column,
            patch_size=args.patch_size,
            stride=args.stride,
            reproject_reference=not args.no_reproject,
        )
    else:
        task_kwargs.update(image=args.image, label_column=args.label_column)
    if args.bands:
        if args.task_name == "land-use":
            raise BadInputError("--bands is for GeoTIFF scenes and images (land-cover, crop-type)")
        task_kwargs["band_names"] = [band.strip() for band in args.bands.split(",")]
    if args.max_samples is not None and args.task_name == "land-cover":
        raise BadInputError(
            "--max-samples applies to patch tasks (land-use, crop-type): a map covers its scene"
        )
    kwargs = {} if args.task_name == "land-cover" else {"max_samples": args.max_samples}
    report = run_eo(
        args.task_name,
        args.data,
        model=args.model,
        mode=args.mode,
        out=args.out,
        k=args.k,
        seed=args.seed,
        batch_size=args.batch_size,
        calibration=args.calibration,
        progress=not args.quiet,
        **kwargs,
        **task_kwargs,
    )
    print(format_summary(report))
    print(
        f"report: {Path(args.out) / 'report.json'}; plots: {', '.join(report.get('plots', []))}",
        file=sys.stderr,
    )
    return 0


def _load_geoparser(args: argparse.Namespace):
    from modeling.geoparsing import Geoparser

    kwargs = {"gazetteer": args.gazetteer, "lang": args.lang, "ranker_weights": args.ranker_weights}
    if args.resolver is not None:  # otherwise the Geoparser's own default applies
        kwargs["resolver"] = None if args.resolver.lower() == "none" else args.resolver
    return Geoparser(**kwargs)


def _gazetteer_index(geoparser, gazetteer: Path | None):
    """The geoparser's own index when it exposes one (no second copy in memory), else the gazetteer loaded anew."""
    for attribute in ("index", "gazetteer"):
        index = getattr(geoparser, attribute, None)
        if hasattr(index, "lookup") and hasattr(index, "geometry"):
            return index
    from data_builders.gazetteer import load_gazetteer

    return load_gazetteer(gazetteer)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `georeset eval` and its tasks."""
    parser = subparsers.add_parser("eval", help="evaluate georeset on benchmark data", description=__doc__)
    tasks = parser.add_subparsers(dest="task", metavar="TASK")
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)

    geo = tasks.add_parser(
        "geoparsing",
        help="score the geoparser on a corpus (LGL, GeoVirus, WikToR, EUPEG gold lines)",
        description="Run the geoparser over a benchmark corpus and write Acc@161km, mean / median error, AUC, "
        "recognition P/R/F1, GeoNames-id accuracy and gazetteer coverage to a JSON report.",
    )
    geo.add_argument(
        "--corpus", required=True, type=Path, help="corpus file or folder (format detected from it)"
    )
    geo.add_argument("--mode", choices=("gold", "e2e"), default="gold", help="gold spans given, or raw text")
    geo.add_argument("--limit", type=positive_int, help="evaluate only the first N documents")
    geo.add_argument("--resolver", help="LLM resolver: 'none', 'default', a Hub id or a local path")
    geo.add_argument(
        "--compare",
        action="append",
        metavar="RESOLVER",
        help="compare resolvers in one report (repeat: --compare none --compare default --compare ADAPTER); "
        "gold mode",
    )
    geo.add_argument("--gazetteer", type=Path, help="gazetteer folder (default: $GEORESET_HOME/gazetteer)")
    geo.add_argument("--ranker-weights", type=Path, help="ranker weights JSON from training/train_ranker.py")
    geo.add_argument(
        "--lang", choices=("en", "fr", "auto"), default="en", help="language of the corpus (default en)"
    )
    geo.add_argument("--out", required=True, type=Path, help="the JSON report to write")
    geo.add_argument("--plot", type=Path, help="also write the error-distance plot (PNG)")
    geo.add_argument("--details", type=Path, help="also write one JSON line per toponym, for error analysis")
    geo.add_argument("--no-coverage", action="store_true", help="skip the gazetteer coverage check")
    geo.add_argument(
        "--collection-context",
        action="store_true",
        help="documents of one source (LGL's feeds) inform each other: two passes, each document's home learnt "
        "from its source's other documents; published systems resolve each document alone",
    )
    geo.add_argument(
        "--n-process",
        type=positive_int,
        default=1,
        help="e2e mode: processes that each parse whole documents (same figures, about 1.3-1.8x faster on 2 cores)",
    )
    geo.add_argument("--quiet", action="store_true", help="no progress bars")
    geo.set_defaults(func=_geoparsing)

    eo = tasks.add_parser(
        "eo",
        help="score GeoLLaVA on Earth-observation tasks (land use, land-cover maps, crop type)",
        description="Zero-shot, few-shot and linear-probe evaluation of a GeoLLaVA beside majority and random "
        "baselines: EuroSAT (MS or RGB) and BigEarthNet patches, a classified map of a scene scored against its "
        "reference (GeoTIFF written in the scene's CRS), or per-parcel crop types. Writes OUT/report.json and PNGs.",
    )
    eo.add_argument(
        "--task", dest="task_name", required=True, choices=("land-use", "land-cover", "crop-type")
    )
    eo.add_argument(
        "--data",
        required=True,
        help="land-use: EuroSAT folder or BigEarthNet folder ('bigearthnet-examples' for the bundled ones); "
        "land-cover: eo-learn folder or a scene GeoTIFF; crop-type: parcels file, or a folder with parcels + GeoTIFF",
    )
    eo.add_argument(
        "--model", default="embedded", help="'embedded' (untrained build_geollava), a folder or Hub id"
    )
    eo.add_argument("--mode", default="all", choices=("zero-shot", "few-shot", "linear-probe", "all"))
    eo.add_argument("--k", type=positive_int, default=5, help="few-shot examples in context (default 5)")
    eo.add_argument("--max-samples", type=positive_int, help="evaluate a stratified sample of N patches")
    eo.add_argument("--out", required=True, type=Path, help="output folder (report.json, PNGs, maps)")
    eo.add_argument("--seed", type=int, default=0)
    eo.add_argument("--batch-size", type=positive_int, default=16, help="images per forward pass")
    eo.add_argument(
        "--calibration",
        default="none",
        choices=("none", "content-free"),
        help="zero-/few-shot: raw answer scores, or minus the scores given a content-free image (Zhao et al. 2021)",
    )
    eo.add_argument("--form", default="auto", choices=("auto", "eurosat-ms", "eurosat-rgb", "bigearthnet"))
    eo.add_argument(
        "--verbalizer",
        default="land-cover",
        choices=("land-cover", "none"),
        help="land-use, EuroSAT: answer with a plain land-cover word first, then the class (default), or the class",
    )
    eo.add_argument("--nomenclature", default="19", choices=("19", "43"), help="BigEarthNet CORINE classes")
    eo.add_argument("--scene", type=int, default=0, help="land-cover: scene index of an eo-learn folder")
    eo.add_argument(
        "--reference", type=Path, help="land-cover: label raster or vector file of a GeoTIFF scene"
    )
    eo.add_argument("--classes", help="land-cover: nomenclature as JSON {code: name} or a JSON file")
    eo.add_argument("--class-column", help="land-cover: class attribute of a vector reference")
    eo.add_argument("--patch-size", type=positive_int, default=32, help="land-cover: window side in pixels")
    eo.add_argument("--stride", type=positive_int, default=16, help="land-cover: window step in pixels")
    eo.add_argument("--no-reproject", action="store_true", help="refuse a reference in another CRS or grid")
    eo.add_argument("--image", type=Path, help="crop-type: the Sentinel-2 GeoTIFF under the parcels")
    eo.add_argument(
        "--label-column", help="crop-type: the crop attribute (default: EuroCrops EC_hcat_n, crop...)"
    )
    eo.add_argument("--bands", help="band names of a GeoTIFF without band descriptions, comma-separated")
    eo.add_argument("--quiet", action="store_true", help="no progress bars")
    eo.set_defaults(func=_eo)


__all__ = ["add_parser"]
