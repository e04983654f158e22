"""The planner's map: areas coloured by minutes to the hub, sites by role. No tiles.

Areas are drawn at their centroids as one WebGL scatter layer (34,752 points nationally
draw in a few milliseconds) on plain longitude/latitude axes whose aspect is fixed to
the cosine of the middle latitude, so shapes look right without a map projection or a
tile server. The country and ISDN outlines come from :mod:`hubplan.web.geo`.

Areas are coloured in the report's classes of minutes to hub (``TIME_BREAKS`` and
``TIME_COLOURS`` of :mod:`hubplan.report.figures`: light is near, dark red is far), so the
planner and the report read the same. The browser gets each area's class as one byte
(a base64 typed array, ``{"dtype": "u1", "bdata": ...}``, which plotly.js decodes) and a
fixed stepped colour scale: a click sends about 1.4 bytes per area, not a number per
area written out as text, and the positions (float32, sent once) never again.
"""

from __future__ import annotations

import base64
import math
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


def typed_array(values: np.ndarray) -> dict[str, str]:
    """A numpy array as plotly.js's typed-array JSON, ``{"dtype": "u1", "bdata": base64}``
    (``u1``, ``f4`` or ``f8``: the array's own type, little-endian)."""
    array = np.ascontiguousarray(values)
    codes = {np.dtype(np.uint8): "u1", np.dtype(np.float32): "f4", np.dtype(np.float64): "f8"}
    if array.dtype not in codes:
        raise ValueError(f"typed_array: unsupported dtype {array.dtype}")
    return {"dtype": codes[array.dtype], "bdata": base64.b64encode(array.astype(array.dtype.newbyteorder("<"))
                                                                      .tobytes()).decode("ascii")}


def area_colour_update(minutes_to_hub: np.ndarray | None, n_areas: int) -> dict[str, str]:
    """What a click sends for the area layer's ``marker.color``: one byte per area."""
    return typed_array(area_classes(minutes_to_hub, n_areas))


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
    areas = network.areas
    lon = areas["longitude"].to_numpy(dtype=np.float64)
    lat = areas["latitude"].to_numpy(dtype=np.float64)
    site_lon = network.sites["longitude"].to_numpy(dtype=np.float64)
    site_lat = network.sites["latitude"].to_numpy(dtype=np.float64)
    fig = go.Figure()
    outline_lon, outline_lat = country_outline()
    fig.add_trace(go.Scattergl(x=_float32(outline_lon), y=_float32(outline_lat), mode="lines", name="coast and border",
                               line={"color": "#8c8c8c", "width": 1}, hoverinfo="skip", showlegend=False))
    isdn_lon, isdn_lat = isdn_outlines()
    fig.add_trace(go.Scattergl(x=_float32(isdn_lon), y=_float32(isdn_lat), mode="lines", name="ISDN boundaries",
                               line={"color": "#c8c8c8", "width": 0.7}, hoverinfo="skip", showlegend=False))
    n_classes = len(AREA_CLASS_COLOURS)
    fig.add_trace(go.Scattergl(
        x=lon.astype(np.float32), y=lat.astype(np.float32), mode="markers", name="areas (LSOA)",
        marker={
            "size": area_marker_size(len(areas)), "color": area_classes(minutes_to_hub, len(areas)),
            "colorscale": AREA_COLOURSCALE, "cmin": -0.5, "cmax": n_classes - 0.5, "showscale": True,
            "colorbar": {"title": {"text": "minutes<br>to hub", "side": "top"}, "thickness": 12, "len": 0.6,
                         "x": 1.0, "tickvals": list(range(n_classes)), "ticktext": list(AREA_CLASS_LABELS),
                         "tickfont": {"size": 10}},
        },
        # Areas take no hover or clicks: a click always goes to the nearest site.
        hoverinfo="skip", showlegend=False,
    ))
    style = site_style(roles)
    fig.add_trace(go.Scattergl(
        x=site_lon, y=site_lat, mode="markers", name="sites",
        customdata=network.site_codes, hovertext=site_hover(network, roles, ev), hoverinfo="text",
        marker={"color": style["color"], "size": style["size"], "symbol": style["symbol"],
                "line": {"color": style["line_color"], "width": 1.5}},
        showlegend=False,
    ))
    lon_min, lon_max = float(np.nanmin(np.r_[lon, site_lon])), float(np.nanmax(np.r_[lon, site_lon]))
    lat_min, lat_max = float(np.nanmin(np.r_[lat, site_lat])), float(np.nanmax(np.r_[lat, site_lat]))
    pad_lon, pad_lat = max(0.05, 0.04 * (lon_max - lon_min)), max(0.03, 0.04 * (lat_max - lat_min))
    middle = math.radians((lat_min + lat_max) / 2)
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 14}} if title else None,
        margin={"l": 4, "r": 4, "t": 30 if title else 4, "b": 4},
        paper_bgcolor="#ffffff", plot_bgcolor="#f4f8fb", hovermode="closest", dragmode="pan",
        uirevision=title,  # keep the user's zoom while the option changes
        xaxis={"range": [lon_min - pad_lon, lon_max + pad_lon], "visible": False, "constrain": "domain"},
        yaxis={"range": [lat_min - pad_lat, lat_max + pad_lat], "visible": False,
               "scaleanchor": "x", "scaleratio": 1 / math.cos(middle), "constrain": "domain"},
        clickmode="event",
    )
    return fig
