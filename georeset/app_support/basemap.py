"""An offline map: the gazetteer's own polygons (and Natural Earth layers when present) drawn as inline SVG.

No tile server, no CDN, no JavaScript: the page gets one `<svg>` element in which every result is a
`<g class="georeset-feature">` with a `<title>` tooltip, so the map works air-gapped and a browser test can count
what it shows. The projection is equirectangular with the longitude scaled by the cosine of the view's central
latitude, which keeps shapes right at the zoom levels of news places (a country, a region, a city).
Views that cross the antimeridian are not split: they are drawn from -180 to 180 degrees.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from georeset.errors import BadInputError

MAP_WIDTH = 900
MAP_HEIGHT = 520
MIN_VIEW_DEGREES = 1.0
"""The smallest side of a view: a single city is shown with about 50 km of its surroundings."""
VIEW_PADDING = 0.15
"""Margin added around the results, as a fraction of their extent."""
MAX_LABELS = 40
"""Points labelled by name; more would hide the map."""
BASEMAP_FEATURE_TYPES = ("country", "admin1", "admin2")
"""Gazetteer feature types whose polygons form the basemap."""

# layer name -> (CSS class, largest view side in degrees at which it is drawn, pre-simplification in degrees)
_LAYER_STYLE: dict[str, tuple[str, float, float]] = {
    "country": ("bm-country", 400.0, 0.02),
    "admin1": ("bm-admin1", 40.0, 0.005),
    "admin2": ("bm-admin2", 8.0, 0.002),
    "lakes": ("bm-water", 60.0, 0.005),
    "rivers": ("bm-river", 25.0, 0.005),
}
# Natural Earth GeoJSON layers read when a folder of them is given (the `../shared/data/naturalearth` layout).
NATURAL_EARTH_LAYERS = {
    "admin1": "ne_50m_admin_1_states_provinces.json",
    "lakes": "ne_10m_lakes.json",
    "rivers": "ne_10m_rivers_lake_centerlines.json",
}
_STYLE = (
    "<style>"
    ".georeset-map{background:#dbe9f4;font-family:ui-sans-serif,system-ui,sans-serif}"
    ".bm-country{fill:#f3efe4;stroke:#8c8c8c;stroke-width:0.7}"
    ".bm-admin1{fill:none;stroke:#b5aea0;stroke-width:0.5;stroke-dasharray:3 2}"
    ".bm-admin2{fill:none;stroke:#d0c9bb;stroke-width:0.4}"
    ".bm-water{fill:#dbe9f4;stroke:#9cb8cf;stroke-width:0.4}"
    ".bm-river{fill:none;stroke:#9cb8cf;stroke-width:0.7}"
    ".bm-grid{stroke:#c3d4e2;stroke-width:0.5;fill:none}"
    ".bm-grid-label{fill:#5f7587;font-size:12px}"
    ".georeset-feature .area{fill:rgba(214,69,65,0.18);stroke:#b3261e;stroke-width:1.2}"
    ".georeset-feature .dot{fill:#d64541;stroke:#fff;stroke-width:1.5}"
    ".georeset-feature.low .dot{fill:#f0a202}"
    ".georeset-feature .label{font-size:11px;fill:#222;paint-order:stroke;stroke:#fff;stroke-width:3px}"
    ".georeset-footprint .area{fill:rgba(30,99,214,0.25);stroke:#1e63d6;stroke-width:2}"
    ".georeset-footprint .ring{fill:none;stroke:#1e63d6;stroke-width:2;stroke-dasharray:4 3}"
    ".georeset-place .dot{fill:#2e7d32;stroke:#fff;stroke-width:1.2}"
    ".georeset-place .label{font-size:10px;fill:#1b4d1e;paint-order:stroke;stroke:#fff;stroke-width:3px}"
    ".georeset-empty{font-size:16px;fill:#4a5b6a}"
    "</style>"
)


@dataclass
class MapFeature:
    """Something to draw on top of the basemap.

    Attributes:
        geometry: the footprint in EPSG:4326 (a point, a line or a polygon).
        label: the name written next to it (and in its tooltip).
        tooltip: the text shown when the pointer rests on it.
        kind: "feature" (a place found in a text), "footprint" (an image outline) or "place" (a place in it).
        entity_id: the gazetteer id, written in a `data-entity-id` attribute.
        low_confidence: drawn in another colour (a guess the user should check).
    """

    geometry: BaseGeometry
    label: str = ""
    tooltip: str = ""
    kind: str = "feature"
    entity_id: str = ""
    low_confidence: bool = False


@dataclass
class BasemapLayer:
    """Named geometries of one basemap layer with a spatial index."""

    name: str
    geometries: np.ndarray
    tree: shapely.STRtree = field(init=False)

    def __post_init__(self) -> None:
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.geometries)


class Basemap:
    """The layers drawn under the results: countries, admin units, and Natural Earth water when present."""

    def __init__(self, layers: Sequence[BasemapLayer]) -> None:
        self.layers = {layer.name: layer for layer in layers if len(layer)}

    @classmethod
    def from_sources(
        cls, gazetteer_folder: str | Path | None, naturalearth_folder: str | Path | None = None
    ) -> Basemap:
        """Read the basemap from a gazetteer folder (its GeoParquet shards) and an optional Natural Earth folder.

        Args:
            gazetteer_folder: a built gazetteer (`DIR/data/*.parquet`); its country, admin1 and admin2 polygons.
            naturalearth_folder: a folder of Natural Earth GeoJSON layers (`NATURAL_EARTH_LAYERS`); missing
                files are skipped.
        """
        by_layer: dict[str, list[BaseGeometry]] = {name: [] for name in _LAYER_STYLE}
        if gazetteer_folder is not None:
            for name, geometries in gazetteer_polygons(gazetteer_folder).items():
                by_layer[name].extend(geometries)
        if naturalearth_folder is not None:
            for name, file_name in NATURAL_EARTH_LAYERS.items():
                path = Path(naturalearth_folder) / file_name
                if path.is_file():
                    by_layer[name].extend(read_geojson_geometries(path))
        layers = []
        for name, geometries in by_layer.items():
            if not geometries:
                continue
            array = np.asarray(geometries, dtype=object)
            # Simplify once at load: the world view then draws 250 countries in milliseconds.
            array = shapely.simplify(array, _LAYER_STYLE[name][2], preserve_topology=True)
            layers.append(BasemapLayer(name, array[~shapely.is_empty(array)]))
        return cls(layers)

    def __repr__(self) -> str:
        return f"Basemap({', '.join(f'{k}={len(v)}' for k, v in self.layers.items())})"


def gazetteer_polygons(folder: str | Path) -> dict[str, list[BaseGeometry]]:
    """The polygons of the basemap feature types in a gazetteer's GeoParquet shards, by feature type.

    Raises:
        BadInputError: the folder has no `data/*.parquet` shards.
    """
    import pyarrow.parquet as pq

    shards = sorted((Path(folder) / "data").glob("*.parquet"))
    if not shards:
        raise BadInputError(f"{folder}: no gazetteer shards in data/*.parquet to draw the basemap from")
    found: dict[str, list[BaseGeometry]] = {name: [] for name in BASEMAP_FEATURE_TYPES}
    for shard in shards:
        table = pq.read_table(
            shard,
            columns=["feature_type", "geometry"],
            filters=[
                ("feature_type", "in", list(BASEMAP_FEATURE_TYPES)),
                ("geometry_type", "in", ["Polygon", "MultiPolygon"]),
            ],
        )
        geometries = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
        for feature_type, geometry in zip(table.column("feature_type").to_pylist(), geometries, strict=True):
            if geometry is not None:
                found[feature_type].append(geometry)
    return found


def read_geojson_geometries(path: str | Path) -> list[BaseGeometry]:
    """The geometries of a GeoJSON FeatureCollection file (features without geometry are skipped)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    geometries = []
    for feature in data.get("features", []):
        geometry = feature.get("geometry")
        if geometry:
            geometries.append(shapely.geometry.shape(geometry))
    return geometries


# ------------------------------------------------------------------------------------------------ the view
@dataclass(frozen=True)
class View:
    """A lon/lat window and the pixel size it is drawn at."""

    west: float
    south: float
    east: float
    north: float
    width: int = MAP_WIDTH
    height: int = MAP_HEIGHT

    @property
    def x_scale(self) -> float:
        """Cosine of the central latitude: how much shorter a degree of longitude is than one of latitude."""
        return max(math.cos(math.radians((self.south + self.north) / 2)), 0.2)

    def to_pixels(self, coords: np.ndarray) -> np.ndarray:
        """(n, 2) lon/lat -> (n, 2) pixel x/y."""
        x = (coords[:, 0] - self.west) / (self.east - self.west) * self.width
        y = (self.north - coords[:, 1]) / (self.north - self.south) * self.height
        return np.column_stack([x, y])

    @property
    def degrees_per_pixel(self) -> float:
        return (self.north - self.south) / self.height


def fit_view(geometries: Iterable[BaseGeometry], width: int = MAP_WIDTH, height: int = MAP_HEIGHT) -> View:
    """The window that shows every geometry with a margin, at the map's aspect ratio (the world when none)."""
    bounds = [g.bounds for g in geometries if g is not None and not g.is_empty]
    if not bounds:
        return View(-180.0, -60.0, 180.0, 85.0, width, height)
    array = np.asarray(bounds, dtype=float)
    west, south = array[:, 0].min(), array[:, 1].min()
    east, north = array[:, 2].max(), array[:, 3].max()
    lon_span = max(east - west, MIN_VIEW_DEGREES) * (1 + 2 * VIEW_PADDING)
    lat_span = max(north - south, MIN_VIEW_DEGREES) * (1 + 2 * VIEW_PADDING)
    center_lon, center_lat = (west + east) / 2, (south + north) / 2
    x_scale = max(math.cos(math.radians(center_lat)), 0.2)
    # Grow the shorter side so that one degree of latitude and x_scale degrees of longitude take the same pixels.
    aspect = width / height
    if lon_span * x_scale / lat_span < aspect:
        lon_span = lat_span * aspect / x_scale
    else:
        lat_span = lon_span * x_scale / aspect
    lat_span = min(lat_span, 170.0)
    lon_span = min(lon_span, 360.0)
    south = min(max(center_lat - lat_span / 2, -85.0), 85.0 - lat_span)
    west = min(max(center_lon - lon_span / 2, -180.0), 180.0 - lon_span)
    return View(west, south, west + lon_span, south + lat_span, width, height)


# ------------------------------------------------------------------------------------------------ drawing
def _path_data(geometry: BaseGeometry, view: View) -> str:
    """SVG path data of a (multi)polygon or (multi)line in the view's pixels."""
    parts = []
    for part in getattr(geometry, "geoms", [geometry]):
        if isinstance(part, shapely.Polygon):
            rings = [part.exterior, *part.interiors]
            closed = True
        elif isinstance(part, shapely.LineString | shapely.LinearRing):
            rings, closed = [part], False
        elif hasattr(part, "geoms"):
            parts.append(_path_data(part, view))
            continue
        else:
            continue
        for ring in rings:
            coords = np.asarray(ring.coords)[:, :2]
            if len(coords) < 2:
                continue
            pixels = view.to_pixels(coords)
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in pixels)
            parts.append(f"M{points}{'Z' if closed else ''}")
    return "".join(parts)


def _draw_layer(layer: BasemapLayer, view: View, css_class: str) -> list[str]:
    box = shapely.box(view.west, view.south, view.east, view.north)
    hits = layer.tree.query(box)
    if not len(hits):
        return []
    margin = 2 * view.degrees_per_pixel
    clipped = shapely.clip_by_rect(
        layer.geometries[hits],
        view.west - margin,
        view.south - margin,
        view.east + margin,
        view.north + margin,
    )
    simplified = shapely.simplify(clipped, view.degrees_per_pixel * 0.5, preserve_topology=False)
    out = []
    for geometry in simplified:
        if geometry is None or geometry.is_empty:
            continue
        data = _path_data(geometry, view)
        if data:
            out.append(f'<path class="{css_class}" d="{data}" fill-rule="evenodd"/>')
    return out


def _nice_step(span: float) -> float:
    """A graticule step that gives 3-8 lines across `span` degrees."""
    for step in (0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 45, 90):
        if span / step <= 8:
            return float(step)
    return 90.0


def _graticule(view: View) -> list[str]:
    out = []
    lon_step, lat_step = _nice_step(view.east - view.west), _nice_step(view.north - view.south)
    lon = math.ceil(view.west / lon_step) * lon_step
    while lon < view.east:
        ((x, _),) = view.to_pixels(np.array([[lon, view.south]]))
        out.append(f'<line class="bm-grid" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{view.height}"/>')
        out.append(
            f'<text class="bm-grid-label" x="{x + 2:.1f}" y="{view.height - 4}">{_degrees(lon, "EW")}</text>'
        )
        lon += lon_step
    lat = math.ceil(view.south / lat_step) * lat_step
    while lat < view.north:
        ((_, y),) = view.to_pixels(np.array([[view.west, lat]]))
        out.append(f'<line class="bm-grid" x1="0" y1="{y:.1f}" x2="{view.width}" y2="{y:.1f}"/>')
        out.append(f'<text class="bm-grid-label" x="3" y="{y - 2:.1f}">{_degrees(lat, "NS")}</text>')
        lat += lat_step
    return out


def _degrees(value: float, hemispheres: str) -> str:
    text = f"{abs(value):.2f}".rstrip("0").rstrip(".")
    return f"{text}°{hemispheres[0] if value >= 0 else hemispheres[1]}" if value else "0°"


def _fit_to_view(geometry: BaseGeometry, view: View) -> BaseGeometry:
    """The part of a geometry inside the view, simplified to the pixel size (a country at 10 m resolution is
    megabytes of coordinates, a few kilobytes once drawn)."""
    margin = 2 * view.degrees_per_pixel
    clipped = shapely.clip_by_rect(
        geometry, view.west - margin, view.south - margin, view.east + margin, view.north + margin
    )
    return shapely.simplify(clipped, view.degrees_per_pixel * 0.5, preserve_topology=False)


def _draw_feature(index: int, feature: MapFeature, view: View, with_label: bool) -> str:
    classes = {"feature": "georeset-feature", "footprint": "georeset-footprint", "place": "georeset-place"}
    css = classes.get(feature.kind, "georeset-feature") + (" low" if feature.low_confidence else "")
    entity = f' data-entity-id="{html.escape(feature.entity_id)}"' if feature.entity_id else ""
    parts = [
        f'<g class="{css}" data-index="{index}"{entity}><title>{html.escape(feature.tooltip or feature.label)}</title>'
    ]
    geometry = feature.geometry
    if geometry.geom_type not in ("Point", "MultiPoint"):
        data = _path_data(_fit_to_view(geometry, view), view)
        if data:
            parts.append(f'<path class="area" d="{data}" fill-rule="evenodd"/>')
    point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
    ((x, y),) = view.to_pixels(np.array([[point.x, point.y]]))
    if feature.kind == "footprint":
        # A ring around the outline, which is a few pixels wide on a map that also shows the nearby towns.
        parts.append(f'<circle class="ring" cx="{x:.1f}" cy="{y:.1f}" r="12"/>')
    else:
        radius = 5 if feature.kind == "feature" else 3.5
        parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="{radius}"/>')
        if with_label and feature.label:
            parts.append(
                f'<text class="label" x="{x + 7:.1f}" y="{y + 4:.1f}">{html.escape(feature.label)}</text>'
            )
    parts.append("</g>")
    return "".join(parts)


def render_map(
    basemap: Basemap | None,
    features: Sequence[MapFeature],
    *,
    view: View | None = None,
    empty_message: str = "",
    width: int = MAP_WIDTH,
    height: int = MAP_HEIGHT,
) -> str:
    """The map as an `<svg>` string: basemap layers, graticule, then the features (zoomed to them by default).

    Args:
        basemap: the layers to draw under the features (None: the graticule alone).
        features: what to show; each becomes one `<g>` of class `georeset-feature`, `-footprint` or `-place`.
        view: the window; default: fitted to the features.
        empty_message: written in the middle of the map when there are no features.
    """
    view = view or fit_view((f.geometry for f in features), width, height)
    extent = max(view.east - view.west, view.north - view.south)
    parts = [
        f'<svg class="georeset-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {view.width} {view.height}" '
        f'width="100%" role="img" aria-label="map of {len(features)} features" '
        f'data-view="{view.west:.4f},{view.south:.4f},{view.east:.4f},{view.north:.4f}">',
        _STYLE,
        f'<rect width="{view.width}" height="{view.height}" fill="#dbe9f4"/>',
    ]
    for name, layer in basemap.layers.items() if basemap is not None else []:
        css_class, max_extent, _ = _LAYER_STYLE[name]
        if extent <= max_extent:
            parts.extend(_draw_layer(layer, view, css_class))
    parts.extend(_graticule(view))
    # Areas first, then points, so that a large polygon never hides a city's dot.
    order = sorted(
        range(len(features)), key=lambda i: features[i].geometry.geom_type in ("Point", "MultiPoint")
    )
    labelled = 0
    for i in order:
        with_label = features[i].kind != "footprint" and labelled < MAX_LABELS
        labelled += with_label
        parts.append(_draw_feature(i, features[i], view, with_label))
    if not features and empty_message:
        parts.append(
            f'<text class="georeset-empty" x="{view.width / 2}" y="{view.height / 2}" text-anchor="middle">'
            f"{html.escape(empty_message)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


__all__ = [
    "BASEMAP_FEATURE_TYPES",
    "MAP_HEIGHT",
    "MAP_WIDTH",
    "NATURAL_EARTH_LAYERS",
    "Basemap",
    "BasemapLayer",
    "MapFeature",
    "View",
    "fit_view",
    "gazetteer_polygons",
    "read_geojson_geometries",
    "render_map",
]
