"""Earth-observation evaluation of GeoLLaVA: land use (EuroSAT MS / RGB, BigEarthNet 19 / 43), land-cover maps of
an area (classified GeoTIFF scored against a reference), and crop type per parcel.

Every task reads a public format, runs the asked modes on the same evaluation samples and scores them with the
`evaluate` modules in `metrics/` (loadable from the local path, no download):

- `zero-shot`: the class phrases listed in the instruction, each scored by the model's log-likelihood as the
  answer (`model.PatchClassifier.score_answers`, never by parsing generated text);
- `few-shot`: k labelled examples (image + answer turns) in the conversation before the query;
- `linear-probe`: logistic regression on the frozen encoder's pooled features;
- baselines `majority` and `random`, always in the same report.

The support / evaluation protocol (train/test split when the data has one, else stratified or spatial
cross-fitting) is described in `modes.py` and recorded in each report.

Command line:

    georeset eval eo --task land-use --data ../shared/data/sentinel2/eurosat-rgb-dev --model embedded \\
        --mode all --k 5 --max-samples 500 --out out/eurosat-rgb
    georeset eval eo --task land-use --data bigearthnet-examples --nomenclature 43 --out out/ben43
    georeset eval eo --task land-cover --data ../shared/data/sentinel2/eolearn-slovenia --mode zero-shot --out out/svn
    georeset eval eo --task land-cover --data scene.tif --reference lulc.gpkg --class-column name --out out/map
    georeset eval eo --task crop-type --data parcels.gpkg --image s2.tif --label-column EC_hcat_n --out out/crops

`--model embedded` is an untrained `build_geollava()` (random encoder and projector on SmolLM2-135M): its figures
are a floor for the pipeline, and the report says so. Any GeoLLaVA checkpoint folder or Hub id works; a model
without image input is refused.

Python:

    from eval.eo.run import run_eo
    report = run_eo("land-use", "path/to/EuroSAT_MS", model="embedded", mode="all", out="out", max_samples=500)
    from eval.eo.land_cover_map import run_land_cover_map   # the demo: eo-learn Slovenia -> report + map PNG
    report = run_land_cover_map(model="embedded", out="out/svn")
"""

from eval.eo.modes import BASELINES, MODES
from eval.eo.run import TASKS, run_eo

__all__ = ["BASELINES", "MODES", "TASKS", "run_eo"]
