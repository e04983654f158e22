"""The planner's map: areas coloured by minutes to the hub, sites by role. No tiles.

Areas are drawn as one picture (a PNG of one palette byte per pixel, each area a dot at its
centroid) laid under plain longitude/latitude axes whose aspect is fixed to the cosine of
the middle latitude, so shapes look right without a map projection or a tile server; the
country and ISDN outlines (:mod:`hubplan.web.geo`) and the sites are drawn over it. A click
sends a new picture (nationally about 60 kB, 8-10 ms to paint and encode) and the sites'
markers: the browser swaps an image instead of redrawing 34,752 WebGL points, which took
200-430 ms a click in headless Chromium without a GPU (as on many NHS virtual desktops).

Areas are coloured in the report's classes of minutes to hub (``TIME_BREAKS`` and
``TIME_COLOURS`` of :mod:`hubplan.report.figures`: light is near, dark red is far), so the
planner and the report read the same; a colour key beside the map names the classes.
"""

from __future__ import annotations

import base64
import io
import math
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from hubplan.access.evaluate import Evaluation
from hubplan.geography.network import Network
from hubplan.report.figures import NO_ROUTE_COLOUR, TIME_BREAKS, TIME_COLOURS, classify, time_labels
from hubplan.web.geo import country_outline, isdn_outlines

#: Trace order of the map (callbacks address traces by these positions).
OUTLINE_TRACE, ISDN_TRACE, AREA_TRACE, SITE_TRACE = 0, 1, 2, 3
#: Colour of each area class: the report's classes of minutes to hub, then "no route / no hub".
AREA_CLASS_COLOURS: tuple[str, ...] = (*TIME_COLOURS, NO_ROUTE_COLOUR)
#: The class of an area with no route to a hub (and of every area before a hub is chosen).
NO_ROUTE_CLASS = len(TIME_COLOURS)
#: Labels of the classes, for the colour bar.
AREA_CLASS_LABELS: tuple[str, ...] = (*time_labels(), "no route")


def _stepped_colourscale(colours: Sequence[str]) -> list[list[Any]]:
    """A plotly colour scale of equal steps, one flat colour per class (class i maps to
    colour i when ``cmin = -0.5`` and ``cmax = len(colours) - 0.5``)."""
    n = len(colours)
    scale: list[list[Any]] = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


AREA_COLOURSCALE = _stepped_colourscale(AREA_CLASS_COLOURS)
#: Sites as in the report's maps: hubs black with a white rim, spokes white with a black
#: rim (both stand out on the light-to-dark-red areas), closed sites grey rings.
ROLE_STYLE: dict[str, dict[str, Any]] = {
    "hub": {"color": "#000000", "size": 15, "symbol": "diamond", "line": "#ffffff"},
    "spoke": {"color": "#ffffff", "size": 10, "symbol": "circle", "line": "#000000"},
    "closed": {"color": "#7f7f7f", "size": 9, "symbol": "circle-open", "line": "#4d4d4d"},
}


def area_marker_size(n_areas: int) -> float:
    """Pixels per area point: bigger when there are fewer areas to show."""
    if n_areas <= 2000:
        return 7.0
    if n_areas <= 8000:
        return 4.5
    return 3.0


def area_classes(minutes_to_hub: np.ndarray | None, n_areas: int) -> np.ndarray:
    """The colour class (``uint8``) of each area: the report's class of its minutes to hub
    (:func:`hubplan.report.figures.classify` on ``TIME_BREAKS``), or :data:`NO_ROUTE_CLASS`
    where there is no route, or for every area when ``minutes_to_hub`` is ``None``."""
    if minutes_to_hub is None:
        return np.full(n_areas, NO_ROUTE_CLASS, dtype=np.uint8)
    classes = classify(np.asarray(minutes_to_hub, dtype=np.float64), TIME_BREAKS)
    return np.where(classes < 0, NO_ROUTE_CLASS, classes).astype(np.uint8)


#: Width in pixels of the area picture (shown about 630 px wide: sharp when zoomed in 1.3x).
AREA_IMAGE_WIDTH = 800
#: Index of the transparent background in the picture's palette.
_BACKGROUND = 255
#: Width in pixels at which the planner shows the map (the picture's dots are drawn so
#: that they show at :func:`area_marker_size` there).
_SHOWN_WIDTH = 630


@dataclass(frozen=True, eq=False)
class AreaRaster:
    """Where each area's dot falls in the picture of a network's areas (worked out once
    per network): the picture's size, its corners in longitude and latitude, and for each
    area the flat pixel indices of its dot (a disc at the area's centroid)."""

    width: int
    height: int
    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float
    pixels: np.ndarray  # (n_areas * dot,) flat indices, area by area in network order
    dot: int  # pixels per dot
    radius: int  # of the dot's disc, pixels

    def paint(self, classes: np.ndarray) -> np.ndarray:
        """The picture, ``(height, width)`` palette bytes: each area's class on its dot (a
        later area over an earlier where dots overlap), the background elsewhere."""
        image = np.full(self.width * self.height, _BACKGROUND, dtype=np.uint8)
        image[self.pixels] = np.repeat(np.asarray(classes, dtype=np.uint8), self.dot)
        return image.reshape(self.height, self.width)


def map_extent(network: Network) -> tuple[float, float, float, float]:
    """Longitude and latitude ranges of the map (areas and sites, padded)."""
    areas, sites = network.areas, network.sites
    lon = np.r_[areas["longitude"].to_numpy(dtype=np.float64), sites["longitude"].to_numpy(dtype=np.float64)]
    lat = np.r_[areas["latitude"].to_numpy(dtype=np.float64), sites["latitude"].to_numpy(dtype=np.float64)]
    lon_min, lon_max = float(np.nanmin(lon)), float(np.nanmax(lon))
    lat_min, lat_max = float(np.nanmin(lat)), float(np.nanmax(lat))
    pad_lon, pad_lat = max(0.05, 0.04 * (lon_max - lon_min)), max(0.03, 0.04 * (lat_max - lat_min))
    return lon_min - pad_lon, lon_max + pad_lon, lat_min - pad_lat, lat_max + pad_lat


_rasters: "weakref.WeakKeyDictionary[Network, AreaRaster]" = weakref.WeakKeyDictionary()
_rasters_lock = threading.Lock()


def area_raster(network: Network) -> AreaRaster:
    """The :class:`AreaRaster` of a network (worked out on first use, then kept)."""
    with _rasters_lock:
        kept = _rasters.get(network)
    if kept is not None:
        return kept
    lon_min, lon_max, lat_min, lat_max = map_extent(network)
    aspect = (lat_max - lat_min) / ((lon_max - lon_min) * math.cos(math.radians((lat_min + lat_max) / 2)))
    width = AREA_IMAGE_WIDTH
    height = max(1, int(round(width * aspect)))
    lon = network.areas["longitude"].to_numpy(dtype=np.float64)
    lat = network.areas["latitude"].to_numpy(dtype=np.float64)
    # pixel (column, row) of each centroid: pixel i covers [i, i + 1) of the scaled range
    col = np.clip(np.floor((lon - lon_min) / (lon_max - lon_min) * width), 0, width - 1).astype(np.intp)
    row = np.clip(np.floor((lat_max - lat) / (lat_max - lat_min) * height), 0, height - 1).astype(np.intp)
    across = area_marker_size(network.n_areas) * width / _SHOWN_WIDTH  # the dot's width in picture pixels
    radius = max(1, int(round((across - 1) / 2)))
    offsets = [(dr, dc) for dr in range(-radius, radius + 1) for dc in range(-radius, radius + 1)
               if dr * dr + dc * dc <= radius * radius + radius]
    dr = np.array([o[0] for o in offsets], dtype=np.intp)
    dc = np.array([o[1] for o in offsets], dtype=np.intp)
    rows = np.clip(row[:, None] + dr[None, :], 0, height - 1)
    cols = np.clip(col[:, None] + dc[None, :], 0, width - 1)
    pixels = (rows * width + cols).reshape(-1)
    pixels.setflags(write=False)
    raster = AreaRaster(width, height, lon_min, lon_max, lat_min, lat_max, pixels, len(offsets), radius)
    with _rasters_lock:
        return _rasters.setdefault(network, raster)


def _palette() -> list[int]:
    values: list[int] = []
    for colour in AREA_CLASS_COLOURS:
        values += [int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)]
    return values + [255, 255, 255] * (256 - len(AREA_CLASS_COLOURS))


_PALETTE = _palette()


def area_image_source(network: Network, minutes_to_hub: np.ndarray | None) -> str:
    """The area picture as a ``data:image/png`` address: palette PNG, transparent
    background (Pillow, fastest compression: nationally about 8 ms and 60-80 kB)."""
    from PIL import Image

    raster = area_raster(network)
    image = Image.fromarray(raster.paint(area_classes(minutes_to_hub, network.n_areas)), mode="P")
    image.putpalette(_PALETTE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=_BACKGROUND, compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def area_image(network: Network, minutes_to_hub: np.ndarray | None) -> dict[str, Any]:
    """The layout image of the areas, placed on the map's axes (it pans and zooms with them)."""
    raster = area_raster(network)
    return {
        "source": area_image_source(network, minutes_to_hub), "xref": "x", "yref": "y",
        "x": raster.lon_min, "y": raster.lat_max, "sizex": raster.lon_max - raster.lon_min,
        "sizey": raster.lat_max - raster.lat_min, "sizing": "stretch", "xanchor": "left", "yanchor": "top",
        "layer": "below", "name": "areas (LSOA)",
    }


def site_style(roles: Sequence[str]) -> dict[str, list[Any]]:
    """Marker colour, size, symbol and outline per site for a list of roles."""
    return {
        "color": [ROLE_STYLE[r]["color"] for r in roles],
        "size": [ROLE_STYLE[r]["size"] for r in roles],
        "symbol": [ROLE_STYLE[r]["symbol"] for r in roles],
        "line_color": [ROLE_STYLE[r]["line"] for r in roles],
    }


def site_hover(network: Network, roles: Sequence[str], ev: Evaluation | None = None) -> list[str]:
    """The label of each site when the pointer is on it: its name and code, its role and,
    with an evaluation, its minutes: for a hub the patient-weighted mean minutes to it of
    the patients it treats; for a spoke the mean minutes to hub of the patients first
    seen there and its transfer (hub and minutes by road); for a closed site the nearest
    hub by road."""
    names = network.sites["site_name"].astype(str).tolist()
    codes = network.site_codes
    lines = [f"<b>{name}</b> ({code})<br>{role}" for name, code, role in zip(names, codes, roles)]
    if ev is not None:
        r, weights, n = ev.routes, ev.patients_per_year, network.n_sites
        with np.errstate(invalid="ignore", divide="ignore"):
            at_hub = np.bincount(r.hub_site, weights=weights, minlength=n)
            hub_mean = np.bincount(r.hub_site, weights=weights * r.time_to_hub, minlength=n) / at_hub
            first = np.bincount(r.first_site, weights=weights, minlength=n)
            first_mean = np.bincount(r.first_site, weights=weights * r.time_to_hub, minlength=n) / first
        transfers = {int(s): int(h) for s, h in zip(ev.spoke_positions, r.spoke_hub)}
        road = network.site_site_minutes
        hubs = np.asarray(ev.hub_positions, dtype=np.intp)
        for i, role in enumerate(roles):
            if role == "hub":
                lines[i] += (f": {at_hub[i]:,.0f} patients a year, on average {hub_mean[i]:.1f} min to get "
                             "to this hub" if at_hub[i] > 0 else ": no patients a year come here")
            elif role == "closed" and road is not None and len(hubs) and np.isfinite(road[i, hubs]).any():
                nearest = int(hubs[np.argmin(road[i, hubs])])
                lines[i] += f": nearest hub {names[nearest]}, {road[i, nearest]:.0f} min by road"
            elif role == "spoke" and i in transfers:
                hub = transfers[i]
                lines[i] += (f": {first[i]:,.0f} patients a year first seen here, on average {first_mean[i]:.1f} "
                             f"min to hub" if first[i] > 0 else ": no patients first seen here")
                lines[i] += f"<br>transfers to {names[hub]}" + (
                    f", {road[i, hub]:.0f} min by road" if road is not None and np.isfinite(road[i, hub]) else "") + (
                    f" (+{ev.transfer_delay_minutes:.0f} min at the spoke)")
    return [line + "<br><i>click to change</i>" for line in lines]


def _float32(values: Any) -> np.ndarray:
    """Coordinates as float32 (about 1 m at these longitudes; gaps between lines stay NaN)."""
    return np.asarray(values, dtype=np.float64).astype(np.float32)


def map_figure(network: Network, minutes_to_hub: np.ndarray | None, roles: Sequence[str], title: str = "",
               ev: Evaluation | None = None) -> go.Figure:
    """The whole map for a network: outlines, areas and sites.

    Parameters
    ----------
    network:
        The (restricted) network being planned.
    minutes_to_hub:
        Minutes from each area to its hub, or ``None`` before any hub is chosen
        (areas are then grey).
    roles:
        ``hub``, ``spoke`` or ``closed`` for every site, in network order.
    ev:
        The evaluation of the option, for the minutes in the sites' labels (:func:`site_hover`).
    """
    site_lon = network.sites["longitude"].to_numpy(dtype=np.float64)
    site_lat = network.sites["latitude"].to_numpy(dtype=np.float64)
    fig = go.Figure()
    outline_lon, outline_lat = country_outline()
    fig.add_trace(go.Scatter(x=_float32(outline_lon), y=_float32(outline_lat), mode="lines", name="coast and border",
                             line={"color": "#8c8c8c", "width": 1}, hoverinfo="skip", showlegend=False))
    isdn_lon, isdn_lat = isdn_outlines()
    fig.add_trace(go.Scatter(x=_float32(isdn_lon), y=_float32(isdn_lat), mode="lines", name="ISDN boundaries",
                             line={"color": "#c8c8c8", "width": 0.7}, hoverinfo="skip", showlegend=False))
    n_classes = len(AREA_CLASS_COLOURS)
    # The areas themselves are the layout image (area_image); this trace carries only
    # their colour key (one point off the map).
    fig.add_trace(go.Scatter(
        x=[None], y=[None], mode="markers", name="areas (LSOA)",
        marker={
            "color": [0], "colorscale": AREA_COLOURSCALE, "cmin": -0.5, "cmax": n_classes - 0.5, "showscale": True,
            "colorbar": {"title": {"text": "minutes<br>to hub", "side": "top"}, "thickness": 12, "len": 0.6,
                         "x": 1.0, "tickvals": list(range(n_classes)), "ticktext": list(AREA_CLASS_LABELS),
                         "tickfont": {"size": 10}},
        },
        hoverinfo="skip", showlegend=False,
    ))
    style = site_style(roles)
    fig.add_trace(go.Scatter(
        x=site_lon, y=site_lat, mode="markers", name="sites",
        customdata=network.site_codes, hovertext=site_hover(network, roles, ev), hoverinfo="text",
        marker={"color": style["color"], "size": style["size"], "symbol": style["symbol"],
                "line": {"color": style["line_color"], "width": 1.5}},
        showlegend=False,
    ))
    lon_min, lon_max, lat_min, lat_max = map_extent(network)
    middle = math.radians((lat_min + lat_max) / 2)
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 14}} if title else None,
        margin={"l": 4, "r": 4, "t": 30 if title else 4, "b": 4},
        paper_bgcolor="#ffffff", plot_bgcolor="#f4f8fb", hovermode="closest", dragmode="pan",
        uirevision=title,  # keep the user's zoom while the option changes
        xaxis={"range": [lon_min, lon_max], "visible": False, "constrain": "domain"},
        yaxis={"range": [lat_min, lat_max], "visible": False,
               "scaleanchor": "x", "scaleratio": 1 / math.cos(middle), "constrain": "domain"},
        clickmode="event",
        images=[area_image(network, minutes_to_hub)],
    )
    return fig
