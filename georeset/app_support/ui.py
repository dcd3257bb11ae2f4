"""The Gradio page: a text tab (places named in a text, on a map) and an image tab (a Sentinel-2 patch, its
footprint, the places it contains, and GeoLLaVA's answer to a question about it).

Nothing in the page reaches the internet: analytics are off, fonts are gradio's local ones, the map is inline SVG
drawn from the gazetteer (`basemap.py`). Requests run one at a time through gradio's queue with progress shown; a
failing request shows its error in the page and leaves the app running.
"""

from __future__ import annotations

import os

# Read by gradio at import time: no analytics or version checks leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import contextlib  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402

from georeset.app_support import imagery, text_results  # noqa: E402
from georeset.app_support.basemap import MapFeature, render_map  # noqa: E402
from georeset.app_support.models import LANGUAGES, QUESTIONS, AppModels, AppSettings  # noqa: E402
from georeset.errors import GeoresetError  # noqa: E402

logger = logging.getLogger(__name__)

TITLE = "GEO-ReSeT: places in text and satellite images"
HIGHLIGHT_COLOURS = {
    "settlement": "#f6b26b",
    "country": "#93c47d",
    "admin1": "#76a5af",
    "admin2": "#a4c2f4",
    "region": "#b4a7d6",
    "water": "#9fc5e8",
    "continent": "#d9ead3",
    text_results.NO_MATCH_LABEL: "#cccccc",
}
CSS = """
#text-map, #image-map {min-height: 300px}
#text-map svg, #image-map svg {border: 1px solid #c8d3dc; border-radius: 6px}
.georeset-feature {cursor: pointer}
/* gradio lays the segments out as flex items and breaks words anywhere: keep the prose flowing, words whole. */
#highlights .textfield {display: block !important; word-break: normal !important; line-height: 2}
#highlights .token-container {display: inline}
"""
EXAMPLES = [
    [
        "Flooding hit Paris, Texas, on Monday, while Turkish aid arrived in Ankara. Officials in Lagos and "
        "Nairobi said the storm had not reached East Africa.",
        "English",
    ],
    [
        "Les inondations ont touché Nîmes et Montpellier ; la préfecture du Gard a ouvert un centre d'accueil à "
        "Alès.",
        "French",
    ],
]
RELATION_WORDS = {
    "within": "contains the image",
    "overlaps": "crosses the image",
    "contains": "inside the image",
    "admin_path": "administrative area",
    "nearby": "nearby",
}
"""How `data_builders.imagery.link` relations read for people without GIS vocabulary."""
IMAGE_PLACE_HEADERS = ["place", "type", "relation", "distance (km)", "direction", "country", "admin1"]
_DOWNLOADS = Path(tempfile.gettempdir()) / "georeset-app-downloads"
DOWNLOAD_MAX_AGE_S = 3600.0
"""Downloads older than this are removed (ours as new ones are written, gradio's cache by `delete_cache`)."""


def _user_error(err: Exception) -> gr.Error:
    """A page error: the message of a georeset error as it is, an unexpected one with its type (logged in full)."""
    if isinstance(err, GeoresetError | ValueError):
        return gr.Error(str(err), title="Cannot do that")
    logger.error("request failed:\n%s", traceback.format_exc())
    return gr.Error(f"{type(err).__name__}: {err}", title="Internal error (the app is still running)")


def guarded(handler: Callable) -> Callable:
    """Run a handler and turn any exception into a `gr.Error` shown in the page (the app keeps serving)."""
    import functools

    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as err:  # noqa: BLE001 - every failure must reach the page, none may stop the server
            raise _user_error(err) from err

    return wrapper


class GeoresetPage:
    """The page's event handlers, bound to one set of shared models."""

    def __init__(self, models: AppModels) -> None:
        self.models = models

    # ---------------------------------------------------------------------------------------------- text tab
    def world_map(self, message: str = "The places found will appear here") -> str:
        """The basemap alone."""
        return render_map(self.models.basemap(), [], empty_message=message)

    def analyse_text(self, text: str, language: str, progress=gr.Progress()) -> tuple:  # noqa: B008
        """Geoparse a text: highlights, map, table, (no downloads yet), status, and the states for candidate clicks."""
        started = time.perf_counter()
        text = text_results.check_text(text, self.models.settings.max_chars)
        lang = LANGUAGES.get(language, language)
        progress(0.05, desc="loading the geoparser")
        geoparser = self.models.geoparser(lang)
        progress(0.2, desc="finding and resolving place names")
        doc = geoparser.parse(text)
        progress(0.8, desc="drawing the map")
        segments, owners = text_results.highlight_segments(doc)
        features = text_results.map_features(doc)
        map_svg = render_map(self.models.basemap(), features, empty_message="No place found in this text")
        language_used = lang if lang != "auto" else f"auto: {_language_of(text)}"
        status = text_results.summary_line(doc, time.perf_counter() - started, language_used)
        return (
            segments,
            map_svg,
            text_results.table_rows(doc),
            None,  # the downloads follow in a second step (`downloads_for`): full polygons take seconds to write
            status,
            doc,
            owners,
            "Click a highlighted name or a table row to see the candidates that were considered.",
            [],
        )

    def downloads_for(self, doc) -> list[str] | None:
        """The GeoJSON and CSV files of the last geoparsed text (None before the first one)."""
        if doc is None:
            return None
        return [str(p) for p in text_results.write_downloads(doc, fresh_download_folder(_DOWNLOADS))]

    def candidates_for_segment(self, doc, owners: list[int | None], evt: gr.SelectData) -> tuple[str, list]:
        """Candidates of the toponym whose highlight was clicked."""
        segment = text_results.select_row_index(evt.index)
        owner = owners[segment] if owners and segment is not None and 0 <= segment < len(owners) else None
        return self._candidates(doc, owner)

    def candidates_for_row(self, doc, evt: gr.SelectData) -> tuple[str, list]:
        """Candidates of the toponym whose table row was clicked."""
        return self._candidates(doc, text_results.select_row_index(evt.index))

    @staticmethod
    def _candidates(doc, index: int | None) -> tuple[str, list]:
        toponym = text_results.toponym_at(doc, index)
        if toponym is None:
            return "That is plain text, not a place name: click a highlighted name.", []
        return text_results.candidate_title(toponym), text_results.candidate_rows(toponym)

    @staticmethod
    def load_text_file(path: str | None, max_chars: int) -> str:
        """The text of an uploaded .txt file."""
        return text_results.read_text_file(path, max_chars)

    # --------------------------------------------------------------------------------------------- image tab
    def analyse_image(self, files: Any, band_order: str, progress=gr.Progress()) -> tuple:  # noqa: B008
        """Read an upload: preview, footprint map, places inside, description, and the image state."""
        paths = _as_paths(files)
        progress(0.1, desc="reading the image")
        image = imagery.read_upload(paths, band_order)
        return self._describe_image(image, progress)

    def analyse_sample(self, name: str, progress=gr.Progress()) -> tuple:  # noqa: B008
        """The same as `analyse_image` for one of the BigEarthNet examples that install with georeset."""
        samples = sample_patches()
        if name not in samples:
            raise GeoresetError(f"sample '{name}': not one of the installed BigEarthNet examples")
        progress(0.1, desc="reading the sample")
        return self._describe_image(imagery.read_upload(samples[name]), progress)

    def _describe_image(self, image: imagery.UploadedImage, progress) -> tuple:
        preview = imagery.true_colour(image)
        info = [image.describe(), *[f"- {note}" for note in image.notes]]
        footprint = image.footprint()
        rows: list[list[Any]] = []
        features: list[MapFeature] = []
        if footprint is None:
            info.append("- no georeferencing (CRS and transform): no footprint, no places")
            map_svg = self.world_map("This image has no georeferencing, so it cannot be placed on the map")
        else:
            progress(0.5, desc="finding the places in the footprint")
            from data_builders.imagery.link import link_footprint

            links = link_footprint(footprint, self.models.spatial())
            centre = links.centre
            info.append(
                f"- footprint centre {centre[1]:.4f}°N, {centre[0]:.4f}°E (EPSG:4326, reprojected from {image.crs})"
            )
            where = [p.name for p in (links.country, *reversed(links.admin)) if p is not None]
            if where:
                info.append(f"- lies in: {' > '.join(where)}")
            features.append(MapFeature(footprint, "image footprint", "image footprint", kind="footprint"))
            for place in links.places:
                rows.append(
                    [
                        place.name,
                        place.feature_type,
                        RELATION_WORDS.get(place.relation, place.relation),
                        round(place.distance_km, 2),
                        place.direction,
                        place.country_code,
                        place.admin1_name,
                    ]
                )
                if place.feature_type not in ("country", "admin1", "admin2", "admin3", "continent"):
                    import shapely

                    features.append(
                        MapFeature(
                            shapely.Point(place.lon, place.lat),
                            place.name,
                            f"{place.name} ({place.feature_type}, {place.relation}, {place.distance_km:.1f} km)",
                            kind="place",
                            entity_id=place.entity_id,
                        )
                    )
            map_svg = render_map(self.models.basemap(), features)
        progress(1.0, desc="done")
        return preview, map_svg, rows, "\n".join(info), image

    def ask(
        self, image: imagery.UploadedImage | None, preset: str, question: str, progress=gr.Progress()
    ) -> str:  # noqa: B008
        """GeoLLaVA's answer about the current image (a typed question wins over the preset)."""
        if image is None:
            raise GeoresetError("image: read an image (or a sample) before asking about it")
        text = (question or "").strip() or QUESTIONS.get(preset, "")
        progress(0.1, desc="loading GeoLLaVA (first time only)")
        self.models.geollava()
        progress(0.5, desc="GeoLLaVA is answering")
        started = time.perf_counter()
        answer = self.models.ask(image, text)
        return f"Q: {text}\nA: {answer}\n({time.perf_counter() - started:.1f} s)"


def fresh_download_folder(root: Path, max_age_s: float = DOWNLOAD_MAX_AGE_S) -> Path:
    """A new folder under `root` for one request's downloads. Folders older than `max_age_s` go first: each
    request writes full footprints (megabytes for a country), and a page that runs for months must not fill the
    disk."""
    cutoff = time.time() - max_age_s
    for old in _ensure(root).glob("places-*"):
        with contextlib.suppress(FileNotFoundError):  # another request removed it first
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="places-", dir=root))


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _language_of(text: str) -> str:
    from modeling.geoparsing.language import detect_language

    return detect_language(text)


def _as_paths(files: Any) -> list[str]:
    """Paths from a gr.File value (a path, a list of paths, or file objects with `.name`)."""
    if files is None:
        return []
    items = files if isinstance(files, list | tuple) else [files]
    return [str(getattr(item, "name", item)) for item in items if item]


def sample_patches() -> dict[str, list[Path]]:
    """The BigEarthNet Sentinel-2 examples that install with georeset (`bigearthnet-common`): name -> band files."""
    try:
        from modeling.geollava.sample_data import bigearthnet_patches

        return {patch.name: list(patch.s2_files) for patch in bigearthnet_patches()}
    except GeoresetError as err:
        logger.warning("no sample patches: %s", err)
        return {}


def build_app(settings: AppSettings | None = None, models: AppModels | None = None) -> gr.Blocks:
    """The page as a `gr.Blocks` (queue configured); launch it with `launch_app`."""
    settings = settings or AppSettings()
    models = models or AppModels(settings)
    page = GeoresetPage(models)
    samples = sample_patches()
    age = int(DOWNLOAD_MAX_AGE_S)
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(age, age)) as demo:
        demo.georeset_models = models  # for launch_app's warm-up and for tests
        gr.Markdown(
            f"# {TITLE}\n"
            "Paste a news article or any text in English or French to see the places it names on a map, or "
            "upload a Sentinel-2 image to see where it is and ask a question about it. Everything runs on this "
            "computer: no map tiles or data are fetched from the internet."
        )
        with gr.Tab("Text", id="text-tab"):
            doc_state = gr.State(None)
            owners_state = gr.State([])
            with gr.Row():
                with gr.Column(scale=2):
                    text_input = gr.Textbox(
                        label=f"Text (up to {settings.max_chars:,} characters)",
                        lines=12,
                        max_lines=30,
                        placeholder="Paste a text that names places…",
                        elem_id="text-input",
                    )
                    with gr.Row():
                        language = gr.Dropdown(
                            list(LANGUAGES), value=next(iter(LANGUAGES)), label="Language", elem_id="language"
                        )
                        text_file = gr.File(
                            label="…or upload a .txt file", file_types=[".txt"], elem_id="text-file"
                        )
                    find_button = gr.Button("Find places", variant="primary", elem_id="find-places")
                    gr.Examples(EXAMPLES, [text_input, language], label="Examples")
                with gr.Column(scale=3):
                    status = gr.Markdown("", elem_id="text-status")
                    text_map = gr.HTML(label="Map", elem_id="text-map")
            highlights = gr.HighlightedText(
                label="Text with the place names found (click one for its candidates)",
                color_map=HIGHLIGHT_COLOURS,
                show_legend=True,
                combine_adjacent=False,
                elem_id="highlights",
            )
            table = gr.Dataframe(
                headers=text_results.TABLE_HEADERS,
                label="Places (click a row for its candidates)",
                interactive=False,
                wrap=True,
                elem_id="places-table",
            )
            candidates_title = gr.Markdown(
                "Click a highlighted name or a table row to see the candidates that were considered.",
                elem_id="candidates-title",
            )
            candidates = gr.Dataframe(
                headers=text_results.CANDIDATE_HEADERS,
                label="Candidates considered",
                interactive=False,
                elem_id="candidates",
            )
            downloads = gr.File(label="Download (GeoJSON, CSV)", file_count="multiple", elem_id="downloads")

            text_outputs = [
                highlights,
                text_map,
                table,
                downloads,
                status,
                doc_state,
                owners_state,
                candidates_title,
                candidates,
            ]
            find_button.click(guarded(page.analyse_text), [text_input, language], text_outputs).success(
                guarded(page.downloads_for), doc_state, downloads
            )
            text_file.upload(
                guarded(lambda path: page.load_text_file(path, settings.max_chars)), text_file, text_input
            )
            highlights.select(
                guarded(page.candidates_for_segment),
                [doc_state, owners_state],
                [candidates_title, candidates],
            )
            table.select(guarded(page.candidates_for_row), [doc_state], [candidates_title, candidates])

        with gr.Tab("Image", id="image-tab"):
            image_state = gr.State(None)
            with gr.Row():
                with gr.Column(scale=2):
                    image_files = gr.File(
                        label="Sentinel-2 GeoTIFF (13 or 12 bands, or RGB), or all band files of one patch",
                        file_count="multiple",
                        file_types=[".tif", ".tiff", ".jpg", ".jpeg", ".png"],
                        elem_id="image-upload",
                    )
                    band_order = gr.Dropdown(
                        list(imagery.BAND_ORDERS),
                        value=next(iter(imagery.BAND_ORDERS)),
                        label="Band order of 13-band files without band names",
                        elem_id="band-order",
                    )
                    read_button = gr.Button("Read image", variant="primary", elem_id="read-image")
                    sample = gr.Dropdown(
                        list(samples),
                        value=next(iter(samples), None),
                        label="…or a BigEarthNet sample",
                        elem_id="sample",
                    )
                    sample_button = gr.Button("Use this sample", elem_id="use-sample")
                    image_info = gr.Markdown("", elem_id="image-info")
                with gr.Column(scale=1):
                    preview = gr.Image(
                        label="True colour (B04, B03, B02)", interactive=False, elem_id="image-preview"
                    )
                with gr.Column(scale=3):
                    image_map = gr.HTML(label="Footprint", elem_id="image-map")
            places = gr.Dataframe(
                headers=IMAGE_PLACE_HEADERS,
                label="Places in and around the image",
                interactive=False,
                elem_id="image-places",
            )
            gr.Markdown(settings.geollava_description, elem_id="geollava-note")
            with gr.Row():
                preset = gr.Radio(
                    list(QUESTIONS), value=next(iter(QUESTIONS)), label="Question", elem_id="preset"
                )
                question = gr.Textbox(label="…or your own question", elem_id="question")
            ask_button = gr.Button("Ask GeoLLaVA", variant="primary", elem_id="ask")
            answer = gr.Textbox(label="Answer", lines=4, interactive=False, elem_id="answer")

            image_outputs = [preview, image_map, places, image_info, image_state]
            read_button.click(guarded(page.analyse_image), [image_files, band_order], image_outputs)
            sample_button.click(guarded(page.analyse_sample), [sample], image_outputs)
            ask_button.click(guarded(page.ask), [image_state, preset, question], answer)

        demo.load(guarded(page.world_map), None, text_map)
        demo.load(guarded(lambda: page.world_map("The image footprint will appear here")), None, image_map)
    demo.queue(default_concurrency_limit=1, max_size=32)
    return demo


def launch_app(
    demo: gr.Blocks,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    warm_up: bool = True,
    block: bool = True,
) -> None:
    """Serve the page (offline settings: no SSR node server, no share link, local fonts and assets).

    Args:
        demo: what `build_app` returned.
        host, port: where to listen (port None: gradio's default 7860 or the next free one).
        warm_up: load the gazetteer, geoparser, basemap and GeoLLaVA in the background right away (requests that
            need one of them wait for it).
        block: wait until interrupted (False returns once the server is up, for tests).
    """
    import threading

    models: AppModels = demo.georeset_models
    if warm_up:
        threading.Thread(target=_safe_warm_up, args=(models,), daemon=True, name="georeset-warm-up").start()
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        show_error=True,
        css=CSS,
        theme=gr.themes.Default(),
        allowed_paths=[str(_ensure(_DOWNLOADS))],
        prevent_thread_lock=not block,
        footer_links=[],
        quiet=False,
    )


def _safe_warm_up(models: AppModels) -> None:
    try:
        models.warm_up()
    except Exception:  # noqa: BLE001 - a request will show the same error in the page
        logger.exception("warm-up failed")


__all__ = ["CSS", "EXAMPLES", "TITLE", "GeoresetPage", "build_app", "guarded", "launch_app", "sample_patches"]
