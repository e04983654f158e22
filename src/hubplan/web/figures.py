"""The planner's map: areas coloured by minutes to the hub, sites by role. No tiles.

Areas are drawn at their centroids as one WebGL scatter layer (34,752 points nationally
draw in a few milliseconds) on plain longitude/latitude axes whose aspect is fixed to
the cosine of the middle latitude, so shapes look right without a map projection or a
tile server. The country and ISDN outlines come from :mod:`hubplan.web.geo`.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from hubplan.geography.network import Network
from hubplan.web.geo import country_outline, isdn_outlines

#: Trace order of the map (callbacks address traces by these positions).
OUTLINE_TRACE, ISDN_TRACE, AREA_TRACE, SITE_TRACE = 0, 1, 2, 3
#: Minutes at which the colour scale saturates.
COLOUR_MAX_MINUTES = 120.0
#: Light (near) to dark (far): readable on white, and sites in red/orange stand out.
AREA_COLOURSCALE = [
    [0.0, "#fff7bc"], [0.25, "#fec44f"], [0.5, "#41b6c4"], [0.75, "#225ea8"], [1.0, "#081d58"],
]
ROLE_STYLE: dict[str, dict[str, Any]] = {
    "hub": {"color": "#d7191c", "size": 16, "symbol": "diamond", "line": "#ffffff"},
    "spoke": {"color": "#ff9f1c", "size": 11, "symbol": "circle", "line": "#5c3a00"},
    "closed": {"color": "#7f7f7f", "size": 9, "symbol": "circle-open", "line": "#4d4d4d"},
}


def area_marker_size(n_areas: int) -> float:
    """Pixels per area point: bigger when there are fewer areas to show."""
    if n_areas <= 2000:
        return 7.0
    if n_areas <= 8000:
        return 4.5
    return 3.0


def rounded_minutes(minutes: np.ndarray) -> list[float | None]:
    """Minutes to one decimal for the browser; unreachable areas as ``None``."""
    values = np.round(np.asarray(minutes, dtype=np.float64), 1)
    out: list[float | None] = values.tolist()
    bad = ~np.isfinite(values)
    if bad.any():
        for i in np.flatnonzero(bad):
            out[i] = None
    return out


def site_style(roles: Sequence[str]) -> dict[str, list[Any]]:
    """Marker colour, size, symbol and outline per site for a list of roles."""
    return {
        "color": [ROLE_STYLE[r]["color"] for r in roles],
        "size": [ROLE_STYLE[r]["size"] for r in roles],
        "symbol": [ROLE_STYLE[r]["symbol"] for r in roles],
        "line_color": [ROLE_STYLE[r]["line"] for r in roles],
    }


def site_hover(network: Network, roles: Sequence[str]) -> list[str]:
    names = network.sites["site_name"].astype(str).tolist()
    return [f"<b>{name}</b> ({code})<br>{role} — click to change" for name, code, role
            in zip(names, network.site_codes, roles)]


def map_figure(network: Network, minutes_to_hub: np.ndarray | None, roles: Sequence[str], title: str = "") -> go.Figure:
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
    """
    areas = network.areas
    lon = areas["longitude"].to_numpy(dtype=np.float64)
    lat = areas["latitude"].to_numpy(dtype=np.float64)
    site_lon = network.sites["longitude"].to_numpy(dtype=np.float64)
    site_lat = network.sites["latitude"].to_numpy(dtype=np.float64)
    fig = go.Figure()
    outline_lon, outline_lat = country_outline()
    fig.add_trace(go.Scattergl(x=outline_lon, y=outline_lat, mode="lines", name="coast and border",
                               line={"color": "#8c8c8c", "width": 1}, hoverinfo="skip", showlegend=False))
    isdn_lon, isdn_lat = isdn_outlines()
    fig.add_trace(go.Scattergl(x=isdn_lon, y=isdn_lat, mode="lines", name="ISDN boundaries",
                               line={"color": "#c8c8c8", "width": 0.7}, hoverinfo="skip", showlegend=False))
    if minutes_to_hub is None:
        colour: Any = "#d9d9d9"
    else:
        colour = rounded_minutes(minutes_to_hub)
    fig.add_trace(go.Scattergl(
        x=np.round(lon, 4), y=np.round(lat, 4), mode="markers", name="areas (LSOA)",
        marker={
            "size": area_marker_size(len(areas)), "color": colour, "colorscale": AREA_COLOURSCALE,
            "cmin": 0, "cmax": COLOUR_MAX_MINUTES, "showscale": True,
            "colorbar": {"title": {"text": "minutes<br>to hub", "side": "top"}, "thickness": 12, "len": 0.6,
                         "x": 1.0, "ticksuffix": ""},
        },
        # Areas take no hover or clicks: a click always goes to the nearest site.
        hoverinfo="skip", showlegend=False,
    ))
    style = site_style(roles)
    fig.add_trace(go.Scattergl(
        x=site_lon, y=site_lat, mode="markers", name="sites",
        customdata=network.site_codes, hovertext=site_hover(network, roles), hoverinfo="text",
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
