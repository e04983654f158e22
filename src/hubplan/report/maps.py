"""Static maps of the report, drawn at their printed size.

Every map is drawn in metres (British National Grid, EPSG:27700, for areas in Great
Britain; a local equirectangular projection elsewhere), so its scale bar is exact. A map
is :data:`MAP_WIDTH_MM` wide, the width it is printed at in the PDF (half the text width
of an A4 page), and every text on it is at least :data:`MIN_FONT_PT` points there.

What a map shows:

* the areas coloured by class (polygons, or points where there is no boundary);
* the boundaries of the appraisal's regions (its ``region_type``, dissolved from the area
  polygons) with their names where a name fits inside its region without covering
  another label;
* the hubs (triangles) and spokes (circles); on a small option (up to
  :data:`MAX_NAMED_ON_MAP` sites) every site is named in full on the map, names wrapped
  and moved apart with adjustText; on a larger one the hubs are numbered on the map and
  named in a key below it;
* a scale bar of a round number of kilometres, the legend and the attribution.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from hubplan.geography.network import region_words
from hubplan.report.geometry import AreaShapes

#: Printed width of a map in the PDF (mm): half the text width of A4 with 15 mm margins.
MAP_WIDTH_MM = 87.0
#: Smallest text on any figure at its printed size (points).
MIN_FONT_PT = 7.0
#: Options with at most this many hubs and spokes have every site named on the map.
MAX_NAMED_ON_MAP = 12
#: Tallest map (mm), so that one fits the frame of an A4 page (297 mm less 30 mm of margins)
#: with room for a heading; a map whose keys would make it taller is drawn smaller.
MAX_HEIGHT_MM = 240.0
#: Resolution of the PNG pictures (dots per inch at the printed size).
MAP_DPI = 170
NO_ROUTE_COLOUR = "#9e9e9e"
_MM = 1 / 25.4


@dataclass(frozen=True)
class MapImage:
    """A rendered map: PNG bytes, its title, and how many areas it shows.

    ``names`` are the sites named on the map or in its key; ``svg`` the same map as SVG
    (areas rasterised, text as outlines) when it was asked for.
    """

    png: bytes
    title: str
    areas_drawn: int
    n_areas: int
    caption: str = ""
    names: tuple[str, ...] = ()
    svg: bytes | None = None
    width_mm: float = MAP_WIDTH_MM


def project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Metres east and north of longitude/latitude: British National Grid when every finite
    point lies in or near Great Britain, else a local equirectangular projection."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    finite = np.isfinite(lon) & np.isfinite(lat)
    if not finite.any():
        return lon.copy(), lat.copy(), "none"
    inside = (lon[finite] > -9.5).all() and (lon[finite] < 3.0).all() and (lat[finite] > 49.0).all() \
        and (lat[finite] < 61.5).all()
    if inside:
        from pyproj import Transformer

        x, y = _TRANSFORMER().transform(lon, lat)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float), "British National Grid"
    lat0 = float(np.mean(lat[finite]))
    r = 6371008.8
    return (np.radians(lon) * r * np.cos(np.radians(lat0)), np.radians(lat) * r,
            "equirectangular")


_transformer: Any = None


def _TRANSFORMER() -> Any:
    global _transformer
    if _transformer is None:
        from pyproj import Transformer

        _transformer = Transformer.from_crs(4326, 27700, always_xy=True)
    return _transformer


@dataclass(frozen=True, eq=False)
class MapGeometry:
    """Everything a map of one network draws, projected to metres once."""

    rings: list[np.ndarray]
    ring_area: np.ndarray
    point_areas: np.ndarray
    point_xy: np.ndarray
    n_areas: int
    site_xy: np.ndarray
    site_names: list[str]
    #: region name -> shapely (multi)polygon in metres
    regions: dict[str, Any]
    region_type: str
    projection: str

    @classmethod
    def build(cls, shapes: AreaShapes, site_lonlat: np.ndarray, site_names: Sequence[str],
              area_regions: Sequence[Any] | None = None, region_type: str = "") -> "MapGeometry":
        lengths = np.array([len(r) for r in shapes.rings], dtype=np.int64)
        parts = [np.asarray(site_lonlat, dtype=float).reshape(-1, 2), np.asarray(shapes.point_xy, dtype=float)]
        if len(lengths):
            parts.append(np.concatenate(shapes.rings).astype(float))
        allc = np.concatenate(parts)
        x, y, projection = project(allc[:, 0], allc[:, 1])
        xy = np.column_stack([x, y])
        n_sites, n_points = len(parts[0]), len(parts[1])
        site_xy, point_xy, ring_xy = xy[:n_sites], xy[n_sites:n_sites + n_points], xy[n_sites + n_points:]
        rings = np.split(ring_xy, np.cumsum(lengths)[:-1]) if len(lengths) else []
        regions = _dissolve(rings, lengths, shapes.ring_area, area_regions) if area_regions is not None else {}
        return cls(rings, shapes.ring_area, shapes.point_areas, point_xy, shapes.n_areas, site_xy,
                   list(site_names), regions, region_type, projection)


def _dissolve(rings: list[np.ndarray], lengths: np.ndarray, ring_area: np.ndarray,
              area_regions: Sequence[Any]) -> dict[str, Any]:
    """The outline of each region: its areas' polygons joined (gaps of up to 120 m between
    neighbouring simplified polygons closed), simplified to 250 m."""
    import shapely

    if not len(rings):
        return {}
    coords = np.concatenate(rings)
    ok = lengths >= 4
    polys = shapely.polygons(shapely.linearrings(coords, indices=np.repeat(np.arange(len(lengths)), lengths)))
    labels = np.array([("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
                       for v in area_regions], dtype=object)[ring_area]
    out: dict[str, Any] = {}
    for name in sorted(set(labels.tolist()) - {""}):
        chosen = polys[(labels == name) & ok]
        if not len(chosen):
            continue
        joined = shapely.union_all(shapely.buffer(chosen, 60, quad_segs=1)).buffer(-60, quad_segs=1)
        out[name] = joined.simplify(250)
    return out


def nice_km(span_m: float) -> float:
    """A round length (km) near a fifth of ``span_m`` metres: 1, 2 or 5 times a power of ten."""
    target = max(span_m / 5000.0, 1e-3)
    power = 10.0 ** np.floor(np.log10(target))
    return float(max(m * power for m in (1.0, 2.0, 5.0) if m * power <= target * 1.0000001) if target >= power
                 else power)


def _wrap(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters, its own line breaks kept."""
    return "\n".join("\n".join(textwrap.wrap(line, width)) or line for line in text.split("\n"))


def drawn_texts(fig: Any) -> list[Any]:
    """Every text artist that is drawn on ``fig`` and says something."""
    from matplotlib.axes import Axes
    from matplotlib.text import Text

    hidden: set[int] = set()
    for ax in fig.axes:
        if not ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                hidden.update(id(t) for t in axis.findobj(Text))
    return [t for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in hidden
            and not (isinstance(t.axes, Axes) and not t.axes.get_visible())]


def boxes_overlap(a: Any, b: Any) -> bool:
    return bool(a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)


class MapPainter:
    """Draws many maps of the same areas (one matplotlib figure, recoloured and relabelled).

    ``painter.labels`` are the label texts of the last map (site names or numbers, region
    names) and ``painter.scale_bar`` its scale bar's artists, for checks.
    """

    def __init__(self, geometry: MapGeometry, dpi: int = MAP_DPI) -> None:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import PolyCollection
        from matplotlib.figure import Figure

        self.g = geometry
        self.width_in = MAP_WIDTH_MM * _MM
        self.fig = Figure(figsize=(self.width_in, self.width_in * 1.4), dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0.01, 0.2, 0.98, 0.7))
        sizes = np.array([_shoelace(r) for r in geometry.rings]) if geometry.rings else np.zeros(0)
        order = np.argsort(-sizes, kind="stable")
        self._ring_area = geometry.ring_area[order] if len(order) else np.zeros(0, dtype=np.int64)
        self.polys = PolyCollection([geometry.rings[i] for i in order], closed=False, edgecolors="none",
                                    linewidths=0, antialiased=False, rasterized=True)
        self.ax.add_collection(self.polys)
        self.points = (self.ax.scatter(geometry.point_xy[:, 0], geometry.point_xy[:, 1], s=5, marker="s",
                                       linewidths=0, rasterized=True) if len(geometry.point_areas) else None)
        self._draw_regions()
        (x0, x1), (y0, y1) = self._extent()
        pad = max(x1 - x0, y1 - y0) * 0.03 + 500.0
        self.xlim, self.ylim = (x0 - pad, x1 + pad), (y0 - pad, y1 + pad)
        self.ax.set_xlim(*self.xlim)
        self.ax.set_ylim(*self.ylim)
        self.ax.set_aspect("equal")
        self.ax.axis("off")
        self.aspect = (self.ylim[1] - self.ylim[0]) / (self.xlim[1] - self.xlim[0])
        self.scale_bar: list[Any] = []
        self._draw_scale_bar()
        self._extras: list[Any] = []
        self.labels: list[Any] = []
        self.hub_key: list[Any] = []
        self.region_key: Any = None
        self._map_size: tuple[float, float] = (self.width_in - 0.04, (self.width_in - 0.04) * self.aspect)
        self._reserve: float | None = None
        self.title_text: Any = None
        self.legend: Any = None
        self.caption_text: Any = None
        #: Called with the painter and the image after each map is rendered (for checks).
        self.on_draw: Callable[["MapPainter", MapImage], None] | None = None

    # ------------------------------------------------------------------ fixed parts
    def _extent(self) -> tuple[tuple[float, float], tuple[float, float]]:
        parts = [r for r in self.g.rings] + [self.g.point_xy, self.g.site_xy]
        xy = np.concatenate([p for p in parts if len(p)]) if any(len(p) for p in parts) else np.zeros((0, 2))
        xy = xy[np.isfinite(xy).all(axis=1)]
        if not len(xy):
            return (0.0, 1000.0), (0.0, 1000.0)
        return (float(xy[:, 0].min()), float(xy[:, 0].max())), (float(xy[:, 1].min()), float(xy[:, 1].max()))

    def _draw_regions(self) -> None:
        from matplotlib.collections import LineCollection

        lines = []
        for geom in self.g.regions.values():
            for poly in getattr(geom, "geoms", [geom]):
                if hasattr(poly, "exterior"):
                    lines.append(np.asarray(poly.exterior.coords))
        if lines:
            self.ax.add_collection(LineCollection(lines, colors="#333333", linewidths=0.55, zorder=2))

    def _scale_bar_corner(self, width: float, height: float) -> tuple[float, float]:
        """Where the scale bar starts (data): the corner of the map, of bottom left, bottom
        right, top left and top right, whose box of ``width`` x ``height`` covers the fewest
        area outline points and sites (the first on a tie)."""
        (xa, xb), (ya, yb) = self.xlim, self.ylim
        mx, my = (xb - xa) * 0.04, (yb - ya) * 0.03
        corners = [(xa + mx, ya + my), (xb - mx - width, ya + my), (xa + mx, yb - my - height),
                   (xb - mx - width, yb - my - height)]
        parts = [r for r in self.g.rings] + [self.g.point_xy, self.g.site_xy]
        points = np.concatenate([p for p in parts if len(p)]) if any(len(p) for p in parts) else np.zeros((0, 2))
        counts = [int(((points[:, 0] >= x) & (points[:, 0] <= x + width) & (points[:, 1] >= y)
                       & (points[:, 1] <= y + height)).sum()) for x, y in corners]
        return corners[int(np.argmin(counts))]

    def _draw_scale_bar(self) -> None:
        from matplotlib.patches import Rectangle

        span = self.xlim[1] - self.xlim[0]
        km = nice_km(span)
        length = km * 1000.0
        h = span * 0.012
        half = length / 2
        x0, y0 = self._scale_bar_corner(length + span * 0.14, h * 1.6 + span * 0.04)
        self.scale_bar = [
            self.ax.add_patch(Rectangle((x0, y0), half, h, facecolor="black", edgecolor="black", lw=0.5, zorder=6)),
            self.ax.add_patch(Rectangle((x0 + half, y0), half, h, facecolor="white", edgecolor="black", lw=0.5,
                                        zorder=6)),
            self.ax.text(x0, y0 + h * 1.6, "0", fontsize=MIN_FONT_PT, ha="center", va="bottom", zorder=6),
            self.ax.text(x0 + length, y0 + h * 1.6, f"{km:g} km", fontsize=MIN_FONT_PT, ha="left", va="bottom",
                         zorder=6),
        ]
        self.scale_km = km

    # ------------------------------------------------------------------ one map
    def draw(self, classes: np.ndarray, colours: Sequence[str], labels: Sequence[str], *, title: str,
             legend_title: str, hubs: Sequence[int] = (), spokes: Sequence[int] = (), caption: str = "",
             missing_label: str = "no known road route", svg: bool = False) -> MapImage:
        """Colour every area by its class (``-1`` = no road route, or ``missing_label``) and render."""
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        for artist in self._extras:
            artist.remove()
        self._extras, self.labels = [], []
        fig, ax = self.fig, self.ax
        palette = np.array([*colours, NO_ROUTE_COLOUR])
        area_colour = palette[np.where(classes < 0, len(colours), classes)]
        self.polys.set_facecolor(area_colour[self._ring_area] if len(self._ring_area) else [])
        if self.points is not None:
            self.points.set_color(area_colour[self.g.point_areas])
        hubs, spokes = [int(h) for h in hubs], [int(s) for s in spokes]
        named_on_map = len(hubs) + len(spokes) <= MAX_NAMED_ON_MAP
        if spokes:
            xy = self.g.site_xy[spokes]
            self._extras.append(ax.scatter(xy[:, 0], xy[:, 1], s=16 if named_on_map else 7, marker="o",
                                           facecolor="white", edgecolor="black", linewidths=0.6, zorder=4))
        if hubs:
            xy = self.g.site_xy[hubs]
            self._extras.append(ax.scatter(xy[:, 0], xy[:, 1], s=42 if named_on_map else 22, marker="^",
                                           facecolor="black", edgecolor="white", linewidths=0.5, zorder=5))
        # ---- the parts around the map (inches from the top): title, map, legend, keys, caption
        title_text = fig.text(0.02, 0.99, title, fontsize=8, fontweight="bold", ha="left", va="top")
        self._fit(title_text, title)
        used = sorted(set(int(c) for c in np.unique(classes)))
        handles: list[Any] = [Patch(facecolor=colours[c], edgecolor="#777777", linewidth=0.3, label=labels[c])
                              for c in range(len(colours)) if c in used]
        if -1 in used:
            handles.append(Patch(facecolor=NO_ROUTE_COLOUR, label=missing_label))
        if hubs:
            handles.append(Line2D([], [], marker="^", color="none", markerfacecolor="black", markersize=6,
                                  label="hub"))
        if spokes:
            handles.append(Line2D([], [], marker="o", color="none", markerfacecolor="white",
                                  markeredgecolor="black", markersize=5, label="spoke"))
        if self.g.regions:
            handles.append(Line2D([], [], color="#333333", lw=0.8,
                                  label=f"{region_words(self.g.region_type)[0]} boundary"))
        legend = fig.legend(handles=handles, title=legend_title, loc="upper left", bbox_to_anchor=(0.02, 0.2),
                            fontsize=MIN_FONT_PT, title_fontsize=7.5, ncol=2, frameon=False, handlelength=1.2,
                            columnspacing=1.0, borderaxespad=0.0, alignment="left")
        names: list[str] = []
        numbered: list[int] = []
        hub_key: list[Any] = []
        if not named_on_map and hubs:
            numbered = sorted(hubs, key=lambda p: (-self.g.site_xy[p, 1], self.g.site_names[p]))
            names = [self.g.site_names[p] for p in numbered]
            hub_key = self._hub_key([f"{i + 1}  {name}" for i, name in enumerate(names)])
        cap = fig.text(0.02, 0.01, caption, fontsize=MIN_FONT_PT, color="#444444", ha="left", va="bottom")
        self._fit(cap, caption)
        self._extras += [title_text, legend, cap, *hub_key]
        blocks: list[list[Any]] = [[legend], hub_key, [cap]] if hub_key else [[legend], [cap]]
        self._layout(title_text, blocks, reserve_in=self._region_key_reserve())
        # ---- labels on the map
        if named_on_map:
            sites = [*hubs, *spokes]
            texts = [ax.text(float(self.g.site_xy[p, 0]), float(self.g.site_xy[p, 1]), _wrap(self.g.site_names[p], 22),
                             fontsize=MIN_FONT_PT, fontweight="bold" if p in hubs else "normal", ha="left",
                             va="bottom", zorder=7,
                             bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
                     for p in sites]
            names = [self.g.site_names[p] for p in sites]
        elif hubs:
            sites = numbered
            texts = [ax.text(float(self.g.site_xy[p, 0]), float(self.g.site_xy[p, 1]), str(i + 1),
                             fontsize=MIN_FONT_PT, ha="left", va="bottom", zorder=7,
                             bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.85})
                     for i, p in enumerate(sites)]
        else:
            sites, texts = [], []
        self._extras += texts
        self.labels = list(texts)
        if texts:
            self._place(texts, sites)
        lettered = self._name_regions()
        if lettered:
            key = self._region_key(lettered)
            self._extras.append(key)
            self.region_key = key
            self._layout(title_text, [*blocks[:-1], [key], blocks[-1]], keep_map=True)
        else:
            self.region_key = None
        self.hub_key = hub_key
        self.title_text, self.legend, self.caption_text = title_text, legend, cap
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=fig.dpi)
        png = _palette_png(png.getvalue())
        svg_bytes = None
        if svg:
            buffer = io.BytesIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None})
            svg_bytes = buffer.getvalue()
        drawn = len(set(self._ring_area.tolist()) | set(self.g.point_areas.tolist()))
        image = MapImage(png.getvalue(), title, drawn, self.g.n_areas, caption, tuple(names), svg_bytes)
        if self.on_draw is not None:
            self.on_draw(self, image)
        return image

    # ------------------------------------------------------------------ layout
    def _renderer(self) -> Any:
        return self.fig.canvas.get_renderer()  # type: ignore[attr-defined]

    def _fit(self, text: Any, raw: str, width_in: float | None = None) -> None:
        """Set ``text`` to ``raw`` wrapped at the most characters a line for which it is no
        wider than ``width_in`` inches (default: the figure's width less its margins)."""
        limit = (width_in if width_in is not None else self.width_in - 0.08) * self.fig.dpi
        renderer = self._renderer()
        for chars in range(90, 7, -3):
            text.set_text(_wrap(raw, chars))
            if text.get_window_extent(renderer).width <= limit:
                return

    def _hub_key(self, entries: list[str]) -> list[Any]:
        """The key of numbered hubs: two columns, each entry wrapped to its column's width
        (continuation lines indented)."""
        column = (len(entries) + 1) // 2
        width = (self.width_in - 0.08) / 2 - 0.05
        renderer = self._renderer()
        texts = []
        for c in range(2):
            part = entries[c * column:(c + 1) * column]
            if not part:
                continue
            text = self.fig.text(0.02 + 0.5 * c, 0.1, "", fontsize=MIN_FONT_PT, ha="left", va="top",
                                 linespacing=1.15)
            for chars in range(40, 7, -1):
                text.set_text("\n".join(_wrap(e, chars).replace("\n", "\n     ") for e in part))
                if text.get_window_extent(renderer).width <= width * self.fig.dpi:
                    break
            texts.append(text)
        return texts

    def _region_key(self, lettered: Sequence[tuple[str, str]]) -> Any:
        """The key of the regions named by a letter on the map, wrapped to the figure's width."""
        words = region_words(self.g.region_type)[1]
        entries = [f"{letter} {label}" for letter, label in lettered]
        key = self.fig.text(0.02, 0.01, "", fontsize=MIN_FONT_PT, ha="left", va="top", style="italic",
                            color="#222222")
        self._fit(key, f"{words[0].upper() + words[1:]} (letters on the map): " + "; ".join(entries))
        return key

    def _region_key_reserve(self) -> float:
        """Height (inches) of the key of regions if every region had a letter: room kept under
        the map so that it need not change size once the letters are known."""
        if not self.g.regions:
            return 0.0
        if self._reserve is None:
            labels = region_labels(list(self.g.regions))
            key = self._region_key([(_letter(i), labels[n]) for i, n in enumerate(self.g.regions)])
            self._reserve = float(key.get_window_extent(self._renderer()).height) / self.fig.dpi + 0.06
            key.remove()
        return self._reserve

    def _layout(self, title_text: Any, blocks: list[list[Any]], reserve_in: float = 0.0,
                keep_map: bool = False) -> None:
        """Size the figure and place, from the top: the title, the map (its full width at the
        map's aspect, or smaller and centred to keep the figure within :data:`MAX_HEIGHT_MM`
        with ``reserve_in`` inches to spare; as last time with ``keep_map``), then each block
        of ``blocks`` (artists side by side)."""
        fig, width, dpi = self.fig, self.width_in, self.fig.dpi
        renderer = self._renderer()

        def height(artist: Any) -> float:
            return float(artist.get_window_extent(renderer).height) / dpi

        gap = 0.06
        heights = [max((height(a) for a in block), default=0.0) for block in blocks]
        rest = 0.05 + height(title_text) + gap + sum(h + gap for h in heights if h) + 0.04
        if keep_map:
            map_w, map_h = self._map_size
        else:
            map_w = width - 0.04
            map_h = map_w * self.aspect
            room = MAX_HEIGHT_MM * _MM - rest - reserve_in
            if map_h > room:
                map_h = max(room, 0.3 * map_w * self.aspect)
                map_w = map_h / self.aspect
            self._map_size = (map_w, map_h)
        total = rest + map_h
        fig.set_size_inches(width, total)
        top = total - 0.05
        title_text.set_position((0.02 / width, top / total))
        top -= height(title_text) + gap
        self.ax.set_position(((width - map_w) / 2 / width, (top - map_h) / total, map_w / width, map_h / total))
        top -= map_h + gap
        for block, h in zip(blocks, heights):
            if not h:
                continue
            for artist in block:
                if hasattr(artist, "set_bbox_to_anchor"):
                    artist.set_bbox_to_anchor((0.04 / width, top / total), transform=fig.transFigure)
                else:
                    artist.set_va("top")
                    artist.set_y(top / total)
            top -= h + gap

    def _fixed_boxes(self) -> list[Any]:
        renderer = self.fig.canvas.get_renderer()  # type: ignore[attr-defined]
        from matplotlib.transforms import Bbox

        return [Bbox.union([a.get_window_extent(renderer) for a in self.scale_bar])]

    def _place(self, texts: list[Any], sites: list[int]) -> None:
        """Move the labels apart (adjustText), inside the map, off the markers and the scale bar."""
        from adjustText import adjust_text

        xy = self.g.site_xy[sites]
        adjust_text(texts, x=self.g.site_xy[:, 0][sites], y=self.g.site_xy[:, 1][sites],
                    target_x=xy[:, 0], target_y=xy[:, 1], objects=self._fixed_boxes(), ax=self.ax,
                    ensure_inside_axes=True, expand=(1.15, 1.35), force_text=(0.3, 0.5),
                    arrowprops={"arrowstyle": "-", "color": "#333333", "lw": 0.5}, iter_lim=400)
        self._extras += [p for p in self.ax.patches if p not in self.scale_bar and p not in self._extras]
        self._extras += [c for c in self.ax.texts if c not in self.scale_bar and c not in self._extras]
        self._extras += [c for c in self.ax.get_children() if type(c).__name__ == "FancyArrowPatch"
                         and c not in self._extras]
        self._resolve_overlaps(texts)

    def _resolve_overlaps(self, texts: list[Any]) -> None:
        """Any label still overlapping another (a crowded map) is moved down in steps of its own
        height below its place until it is clear; last resort, beside the map's lower edge."""
        renderer = self.fig.canvas.get_renderer()  # type: ignore[attr-defined]
        inv = self.ax.transData.inverted()
        axes_box = self.ax.get_window_extent(renderer)
        placed: list[Any] = self._fixed_boxes()
        for t in texts:
            for _ in range(60):
                box = t.get_window_extent(renderer)
                inside = box.x0 >= axes_box.x0 and box.x1 <= axes_box.x1 and box.y0 >= axes_box.y0 \
                    and box.y1 <= axes_box.y1
                if inside and not any(boxes_overlap(box, other) for other in placed):
                    break
                x, y = t.get_position()
                step = inv.transform((0, 0)) - inv.transform((0, box.height * 1.05))
                nx, ny = x, y + step[1]
                if not inside:
                    cx = min(max(box.x0, axes_box.x0 + 1), axes_box.x1 - box.width - 1)
                    cy = min(max(box.y0, axes_box.y0 + 1), axes_box.y1 - box.height - 1)
                    dx = inv.transform((cx, cy)) - inv.transform((box.x0, box.y0))
                    nx, ny = x + dx[0], y + dx[1]
                t.set_position((nx, ny))
            placed.append(t.get_window_extent(renderer))

    def _name_regions(self) -> list[tuple[str, str]]:
        """Name each region inside it, where the name fits inside the region and covers no
        other label (wrapped on two or three lines if that helps); a region whose name does
        not fit gets a letter inside it instead. Returns ``(letter, name)`` of those."""
        import shapely
        from matplotlib import patheffects
        from matplotlib.transforms import Bbox

        if not self.g.regions:
            return []
        renderer = self._renderer()
        taken = [t.get_window_extent(renderer) for t in self.labels] + self._fixed_boxes()
        axes_box = self.ax.get_window_extent(renderer)
        inv = self.ax.transData.inverted()
        labels = region_labels(list(self.g.regions))
        stroke = [patheffects.withStroke(linewidth=1.6, foreground="white")]
        regions = sorted(self.g.regions.items(), key=lambda kv: -kv[1].area)
        unnamed: list[tuple[str, Any]] = []

        sizes: dict[str, tuple[float, float]] = {}

        def new_text(text: str, x: float, y: float) -> Any:
            return self.ax.text(x, y, text, fontsize=MIN_FONT_PT, style="italic", color="#222222", ha="center",
                                va="center", zorder=6, path_effects=stroke)

        def place(text: str, points: Sequence[tuple[float, float]], geom: Any) -> Any:
            """``text`` centred at the first of ``points`` (data) where it lies inside ``geom``
            (a short one, up to 6 characters: its centre; anywhere without ``geom``), inside
            the map, and covers no other label; None if there is no such point. The text is
            measured once and each point tested on its box; only the chosen one is drawn."""
            if not len(points):
                return None
            if text not in sizes:
                probe = new_text(text, 0.0, 0.0)
                box = probe.get_window_extent(renderer)
                probe.remove()
                sizes[text] = (box.width, box.height)
            w, h = sizes[text]
            xy = np.asarray(points, dtype=float)
            centre = self.ax.transData.transform(xy)
            x0, y0 = centre[:, 0] - w / 2 - 0.5, centre[:, 1] - h / 2 - 0.5
            x1, y1 = x0 + w + 1.0, y0 + h + 1.0
            ok = (x0 >= axes_box.x0) & (x1 <= axes_box.x1) & (y0 >= axes_box.y0) & (y1 <= axes_box.y1)
            if geom is not None:
                inside = np.ones(len(xy), dtype=bool)
                for cx, cy in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
                    corner = inv.transform(np.column_stack([cx, cy]))
                    inside &= shapely.contains_xy(geom, corner[:, 0], corner[:, 1])
                if len(text) <= 6:
                    inside |= shapely.contains_xy(geom, xy[:, 0], xy[:, 1])
                ok &= inside
            for i in np.flatnonzero(ok):
                box = Bbox([[x0[i], y0[i]], [x1[i], y1[i]]])
                if any(boxes_overlap(box, other) for other in taken):
                    continue
                artist = new_text(text, float(xy[i, 0]), float(xy[i, 1]))
                drawn = artist.get_window_extent(renderer)
                if any(boxes_overlap(drawn, other) for other in taken):  # pragma: no cover - measured box differs
                    artist.remove()
                    continue
                taken.append(drawn)
                self._extras.append(artist)
                self.labels.append(artist)
                return artist
            return None

        for name, geom in regions:
            if geom.is_empty:
                continue
            if not any(place(_wrap(labels[name], width), _inner_points(geom), geom) is not None
                       for width in (60, 22, 14)):
                unnamed.append((name, geom))
        # a second chance for each, anywhere inside it, before falling back to a letter
        unnamed = [(name, geom) for name, geom in unnamed
                   if not any(place(_wrap(labels[name], width), _inner_points(geom, many=True)[2:], geom) is not None
                              for width in (60, 22, 14))]
        lettered: list[tuple[str, str]] = []
        unnamed.sort(key=lambda item: (-item[1].representative_point().y, item[0]))  # north to south
        for i, (name, geom) in enumerate(unnamed):
            letter = _letter(i)
            if place(letter, _inner_points(geom, many=True), geom) is None:
                # no room inside: the nearest clear place around the region's inner point
                x, y = _inner_points(geom)[0]
                cx, cy = self.ax.transData.transform((x, y))
                spots = [(cx, cy)] + [(cx + r * np.cos(t), cy + r * np.sin(t)) for r in range(4, 120, 4)
                                      for t in np.linspace(0, 2 * np.pi, 16, endpoint=False)]
                if place(letter, [tuple(p) for p in inv.transform(np.array(spots))], None) is None:
                    artist = new_text(letter, x, y)
                    self._extras.append(artist)
                    self.labels.append(artist)
            lettered.append((letter, labels[name]))
        return lettered


def _palette_png(data: bytes) -> io.BytesIO:
    """The PNG with at most 256 colours (a map has a few classes and their antialiased
    edges: it looks the same at about a quarter of the bytes)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        out, format="PNG", dpi=image.info.get("dpi", (MAP_DPI, MAP_DPI)))
    return out


def _letter(i: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


def _inner_points(geom: Any, many: bool = False) -> list[tuple[float, float]]:
    """Points inside ``geom`` to centre a label on: the pole of inaccessibility of its largest
    part, its representative point, then (``many``) points of a grid over it, nearest the
    pole first."""
    import shapely

    parts = sorted(getattr(geom, "geoms", [geom]), key=lambda g: -g.area)
    largest = parts[0]
    try:
        pole = shapely.maximum_inscribed_circle(largest, tolerance=max(largest.length / 500, 50.0))
        first = shapely.get_point(pole, 0)
        points = [(first.x, first.y)]
    except Exception:  # pragma: no cover - degenerate outline
        points = []
    rep = largest.representative_point()
    points.append((rep.x, rep.y))
    if many:
        x0, y0, x1, y1 = largest.bounds
        grid_x, grid_y = np.meshgrid(np.linspace(x0, x1, 17)[1:-1], np.linspace(y0, y1, 17)[1:-1])
        gx, gy = grid_x.ravel(), grid_y.ravel()
        inside = shapely.contains_xy(largest, gx, gy)
        cx, cy = points[0]
        order = np.argsort((gx[inside] - cx) ** 2 + (gy[inside] - cy) ** 2)
        points += [(float(gx[inside][k]), float(gy[inside][k])) for k in order]
    return points


def region_labels(names: Sequence[str]) -> dict[str, str]:
    """Shorter names for a map: "NHS Sussex Integrated Care Board" -> "Sussex"; sub-ICB
    locations "NHS Sussex ICB - 70F" -> "70F" when every one is of the same ICB, else
    "Sussex 70F"."""
    def short(name: str) -> str:
        out = name.removeprefix("NHS ").replace(" Integrated Care Board", "").replace("University Health Board", "UHB")
        return out

    parts = {n: short(n).rsplit(" ICB - ", 1) for n in names}
    sub_icb = all(len(p) == 2 for p in parts.values()) and bool(parts)
    if sub_icb:
        one_icb = len({p[0] for p in parts.values()}) == 1
        return {n: (p[1] if one_icb else f"{p[0]} {p[1]}") for n, p in parts.items()}
    return {n: short(n) for n in names}


def _shoelace(ring: np.ndarray) -> float:
    if len(ring) < 3:
        return 0.0
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
