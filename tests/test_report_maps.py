"""The report's maps at print size: no label covers another, every hub and region named,
text at least 7 pt where printed, a scale bar as long as it says; the PDF's text at least
7 pt; the HTML's interactive map carrying every area with its minutes and hospital.

The three worked examples run here; the national demo's maps are checked in the slow tests.
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from hubplan.planning.scenario import load_scenario, run_scenario
from hubplan.report import write_report
from hubplan.report.figures import map_painter, option_maps, outcome_maps
from hubplan.report.geometry import area_shapes

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MM_PER_INCH = 25.4
PRINTED_MAP_MM = 87.0  # half the text width of A4 with 15 mm margins: (210 - 30 - 6) / 2
EXAMPLE_NAMES = ["hampshire_vascular", "essex_vascular", "shropshire_maternity"]


def _normal(text: str) -> str:
    return " ".join(text.split())


class DrawnMap:
    """What one rendered map shows, read back from its matplotlib figure."""

    def __init__(self, painter, image) -> None:
        from matplotlib.text import Text

        fig = painter.fig
        renderer = fig.canvas.get_renderer()
        self.title = image.title
        self.width_mm = fig.get_size_inches()[0] * MM_PER_INCH
        self.dpi = fig.dpi
        # every text drawn (the map's axes are off, so not their tick labels)
        ticks = {id(t) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) for t in axis.findobj(Text)}
        assert not any(ax.axison for ax in fig.axes)
        self.texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in ticks]
        self.boxes = [t.get_window_extent(renderer) for t in self.texts]
        self.sizes = [float(t.get_fontsize()) for t in self.texts]
        self.strings = [t.get_text() for t in self.texts]
        bar = painter.scale_bar
        rects = [a for a in bar if type(a).__name__ == "Rectangle"]
        self.bar_boxes = [r.get_window_extent(renderer) for r in rects]
        self.bar_metres = sum(r.get_width() for r in rects)
        self.bar_label = [a.get_text() for a in bar if hasattr(a, "get_text") and "km" in a.get_text()]
        self.bar_pixels = sum(b.width for b in self.bar_boxes)
        self.to_pixels = painter.ax.transData.frozen().transform  # this map's layout (the next may differ)
        self.site_xy = painter.g.site_xy
        self.axes_texts = [t.get_text() for t in painter.ax.texts]
        self.figure_texts = [t.get_text() for t in fig.texts]


def overlaps(boxes) -> list[tuple[int, int]]:
    """Pairs of boxes that intersect (with any area), worked out pairwise."""
    out = []
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            if a.x0 < b.x1 - 0.01 and b.x0 < a.x1 - 0.01 and a.y0 < b.y1 - 0.01 and b.y0 < a.y1 - 0.01:
                out.append((i, j))
    return out


def draw_maps(appraisal):
    shapes = area_shapes(appraisal.network)
    painter = map_painter(appraisal, shapes)
    drawn: list[DrawnMap] = []
    painter.on_draw = lambda p, image: drawn.append(DrawnMap(p, image))
    time_maps, change_maps = option_maps(appraisal, shapes, painter)
    more = outcome_maps(appraisal, shapes, painter)
    images = [*time_maps, *change_maps, *more]
    assert len(drawn) == len(images) > 0
    # which hubs each map shows, in drawing order: options, comparisons, then the outcome maps
    hubs = [ev.hub_positions.tolist() for ev in appraisal.evaluations]
    hubs += [c.b.hub_positions.tolist() for c in appraisal.comparisons.values()]
    if more:
        hubs += [appraisal.evaluation(appraisal.scores.top).hub_positions.tolist()]
        hubs += [c.b.hub_positions.tolist() for c in appraisal.comparisons.values()]
    return drawn, images, hubs


def check_maps(appraisal) -> None:
    from pyproj import Geod, Transformer

    drawn, images, hubs_per_map = draw_maps(appraisal)
    network = appraisal.network
    names = network.sites["site_name"].astype(str).tolist()
    lon = network.sites["longitude"].to_numpy(dtype=float)
    lat = network.sites["latitude"].to_numpy(dtype=float)
    bng = Transformer.from_crs(4326, 27700, always_xy=True)
    east, north = bng.transform(lon, lat)
    regions = sorted(set(network.areas[appraisal.region_type].dropna().astype(str)) - {""})
    for m, image, hubs in zip(drawn, images, hubs_per_map):
        where = m.title
        # printed at 87 mm, so a figure point is a printed point
        assert m.width_mm == pytest.approx(PRINTED_MAP_MM, abs=0.01), where
        small = [(s, size) for s, size in zip(m.strings, m.sizes) if size < 7.0]
        assert small == [], (where, small)
        # no text covers another, nor the scale bar
        pairs = overlaps(m.boxes + m.bar_boxes)
        n = len(m.boxes)
        named = [(m.strings[i] if i < n else "scale bar", m.strings[j] if j < n else "scale bar") for i, j in pairs
                 if not (i >= n and j >= n)]
        assert named == [], (where, named)
        # every text inside the figure
        width_px = m.width_mm / MM_PER_INCH * m.dpi
        assert all(b.x0 >= -0.5 and b.x1 <= width_px + 0.5 for b in m.boxes), where
        # every hub named: in full on the map, or numbered on the map with its name in the key
        shown = _normal(" ".join(m.figure_texts + m.axes_texts))
        key = _normal(" ".join(m.figure_texts))
        for h in hubs:
            name = _normal(names[h])
            if name in _normal(" ".join(m.axes_texts)):
                continue
            found = re.search(rf"(?:^| )(\d+) {re.escape(name)}(?: |$)", key)
            assert found, (where, names[h])
            assert found.group(1) in [t.strip() for t in m.axes_texts], (where, names[h], found.group(1))
        assert set(image.names) >= {names[h] for h in hubs}, where
        # every region of the appraisal's type named (in it, or by a letter and the key)
        for region in regions:
            short = region.split(" - ")[-1] if " ICB - " in region else \
                region.removeprefix("NHS ").replace(" Integrated Care Board", "")
            assert short in shown, (where, region)
        # the map is in British National Grid metres: sites where pyproj puts them
        assert np.allclose(m.site_xy[:, 0], east, atol=0.5) and np.allclose(m.site_xy[:, 1], north, atol=0.5)
        # the scale bar: as long as its label says, and as long on the map as that distance is
        # between two sites (their BNG distance, and the geodesic one within BNG's scale error)
        (label,) = m.bar_label
        km = float(label.removesuffix(" km"))
        assert m.bar_metres == pytest.approx(km * 1000.0, rel=1e-9), where
        if len(lon) >= 2:
            a, b = int(np.argmin(east)), int(np.argmax(east))
            pa, pb = m.to_pixels([(east[a], north[a])])[0], m.to_pixels([(east[b], north[b])])[0]
            km_on_map = float(np.hypot(*(pb - pa))) / m.bar_pixels * km
            assert km_on_map == pytest.approx(np.hypot(east[b] - east[a], north[b] - north[a]) / 1000, rel=1e-6)
            _, _, metres = Geod(ellps="WGS84").inv(lon[a], lat[a], lon[b], lat[b])
            assert km_on_map == pytest.approx(metres / 1000, rel=0.003), where


def check_pdf(pdf: bytes) -> None:
    """Every piece of text in the PDF is at least 7 pt, and every map is printed 87 mm wide."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    small: list[tuple[int, str, float]] = []
    map_widths: list[float] = []
    map_pixels = round(PRINTED_MAP_MM / MM_PER_INCH * 170)

    def times(m, n):
        return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3], m[2] * n[0] + m[3] * n[2],
                m[2] * n[1] + m[3] * n[3], m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]

    for number, page in enumerate(reader.pages, start=1):
        def text(t, cm, tm, font, size, number=number):
            if not t.strip() or not size:
                return
            m = times(tm, cm)
            printed = size * float(np.hypot(m[2], m[3]))
            if printed < 7.0 - 1e-6:
                small.append((number, t.strip()[:40], round(printed, 2)))

        page.extract_text(visitor_text=text)
        xobjects = page["/Resources"].get("/XObject", {}) if "/Resources" in page else {}
        sizes = {name: (int(x.get_object()["/Width"]), int(x.get_object()["/Height"]))
                 for name, x in xobjects.items() if x.get_object().get("/Subtype") == "/Image"}

        def op(operator, args, cm, tm):
            if operator == b"Do" and args and args[0] in sizes and sizes[args[0]][0] == map_pixels:
                map_widths.append(float(np.hypot(cm[0], cm[1])))

        page.extract_text(visitor_operand_before=op)
    assert small == []
    assert map_widths and all(w == pytest.approx(PRINTED_MAP_MM / MM_PER_INCH * 72, abs=0.5) for w in map_widths)


def interactive_data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="interactive-map-data">(.*?)</script>', html, re.S)
    assert found, "no interactive map data"
    return json.loads(found.group(1))


def u16(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<u2")


def decode_codes(value: dict) -> list[str]:
    if "list" in value:
        return value["list"]
    prefix = np.frombuffer(base64.b64decode(value["prefix"]), dtype=np.uint8)
    number = np.frombuffer(base64.b64decode(value["number"]), dtype="<u4")
    return [f"{value['prefixes'][p]}{n:06d}" for p, n in zip(prefix, number)]


def decode_names(value: dict) -> list[str]:
    if "list" in value:
        return value["list"]
    heads = [value["heads"][h] for h in u16(value["head"])]
    return [f"{h} {t}" if h else t for h, t in zip(heads, value["tails"])]


def site_numbers(value: dict) -> np.ndarray:
    """Site positions as the page decodes them: uint8 (255 = none) or uint16 (65535 = none)."""
    if "u8" in value:
        raw = np.frombuffer(base64.b64decode(value["u8"]), dtype=np.uint8).astype(np.int64)
        return np.where(raw == 255, 65535, raw)
    return u16(value["u16"]).astype(np.int64)


def decode_rings(d: dict) -> list[np.ndarray]:
    """The outlines of the interactive map in metres, decoded as the page's script does."""
    p = d["polygons"]
    absolute = np.column_stack([u16(p["x"]), u16(p["y"])]).astype(np.int64)
    steps = np.column_stack([np.frombuffer(base64.b64decode(p["dx"]), dtype=np.int8),
                             np.frombuffer(base64.b64decode(p["dy"]), dtype=np.int8)]).astype(np.int64)
    rings, at, a = [], 0, 0
    for length in u16(p["length"]).tolist():
        points, here = [], np.zeros(2, dtype=np.int64)
        for step in steps[at:at + length]:
            if step[0] == -128:
                here = absolute[a].copy()
                a += 1
            else:
                here = here + step
            points.append(here)
        at += length
        rings.append(np.array(points) * d["unit"] + (d["x0"], d["y0"]))
    assert a == len(absolute) and at == len(steps)
    return rings


def check_interactive(appraisal, html: str) -> None:
    from pyproj import Transformer

    d = interactive_data(html)
    areas = appraisal.network.areas
    codes = decode_codes(d["codes"])
    assert codes == areas.index.astype(str).tolist()  # every area of the region, in order
    assert decode_names(d["names"]) == areas["area_name"].astype(str).tolist()
    bng = Transformer.from_crs(4326, 27700, always_xy=True)
    east, north = bng.transform(areas["longitude"].to_numpy(dtype=float), areas["latitude"].to_numpy(dtype=float))
    x = d["x0"] + u16(d["x"]) * d["unit"]
    y = d["y0"] + u16(d["y"]) * d["unit"]
    assert np.abs(x - east).max() <= d["unit"] / 2 + 1e-6 and np.abs(y - north).max() <= d["unit"] / 2 + 1e-6
    assert "minutes to hub: {minutes}" in d["hover"] and "hospital (hub): {hub}" in d["hover"]
    assert "{code}" in d["hover"] and "{name}" in d["hover"]
    assert "first hospital: {first}" in d["hover_first"]
    sites = appraisal.network.sites["site_name"].astype(str).tolist()
    assert d["sites"] == sites
    assert [o["name"] for o in d["options"]] == appraisal.option_names
    # the outlines: every ring of the static maps' areas, point by point within half a grid step
    rings = decode_rings(d)
    shapes = area_shapes(appraisal.network)
    assert sorted(u16(d["polygons"]["area"]).tolist()) == sorted(shapes.ring_area.tolist())
    assert len(rings) == len(shapes.rings)
    originals: dict[int, list[np.ndarray]] = {}
    for ring, area in zip(shapes.rings, shapes.ring_area.tolist()):
        e, nn = bng.transform(ring[:, 0].astype(float), ring[:, 1].astype(float))
        originals.setdefault(area, []).append(np.column_stack([e, nn]))
    half = d["unit"] / 2 * 1.0001 + 1e-6
    for ring, area in zip(rings, u16(d["polygons"]["area"]).tolist()):
        # on the grid within half a step of the original (the same first point; repeats dropped)
        assert any(len(ring) <= len(o) and np.abs(ring[0] - o[0]).max() <= half
                   and np.sqrt(((ring[:, None, :] - o[None, :, :]) ** 2).sum(axis=2)).min(axis=1).max() <= half * 1.5
                   for o in originals[area]), (codes[area])
    minutes = appraisal.network.area_site_minutes
    for option, ev in zip(d["options"], appraisal.evaluations):
        hub = site_numbers(option["hub"])
        tenths = u16(option["hub_minutes"])
        t = np.asarray(ev.routes.time_to_hub, dtype=float)
        finite = np.isfinite(t)
        assert np.all(tenths[~finite] == d["missing"])
        assert np.abs(tenths[finite] / 10 - t[finite]).max() <= 0.05 + 1e-9
        assert set(hub[finite].tolist()) <= set(option["hubs"]) == set(ev.hub_positions.tolist())
        assert np.all(hub[~finite] == 65535) and np.array_equal(hub[finite], ev.routes.hub_site[finite])
        if option["first"] is not None:
            first = site_numbers(option["first"])
            assert np.array_equal(first[finite], ev.routes.first_site[finite])
            assert np.abs(u16(option["first_minutes"])[finite] / 10 - ev.routes.time_to_first[finite]).max() <= 0.05 + 1e-9
        else:
            assert np.array_equal(ev.routes.first_site, ev.routes.hub_site)
        if ev.option.pathway.value == "direct":
            # worked out directly: the nearest hub by road, and its minutes
            cols = np.asarray(option["hubs"])
            nearest = minutes[:, cols].min(axis=1)
            assert np.abs(tenths[finite] / 10 - nearest[finite]).max() <= 0.05 + 1e-6
            assert np.allclose(minutes[np.flatnonzero(finite), hub[finite]], nearest[finite])
    assert '<canvas id="interactive-map"' in html
    assert re.findall(r"<script[^>]*\bsrc=", html) == []  # nothing loaded from elsewhere: works offline


@pytest.fixture(scope="module", params=EXAMPLE_NAMES)
def example(request, tmp_path_factory):
    appraisal = run_scenario(load_scenario(EXAMPLES / f"{request.param}.toml"))
    folder = tmp_path_factory.mktemp(request.param)
    files = write_report(appraisal, folder)
    return appraisal, files


def test_example_maps_are_readable_at_print_size(example):
    appraisal, _ = example
    check_maps(appraisal)


def test_example_pdf_text_is_at_least_7pt(example):
    _, files = example
    check_pdf(files.pdf.read_bytes())


def test_example_interactive_map(example):
    appraisal, files = example
    check_interactive(appraisal, files.html.read_text(encoding="utf-8"))


def test_overlap_check_finds_overlaps():
    """The overlap check itself, on boxes worked out by hand."""
    from matplotlib.transforms import Bbox

    boxes = [Bbox([[0, 0], [10, 5]]), Bbox([[9, 4], [20, 8]]), Bbox([[10, 0], [12, 3]]), Bbox([[30, 30], [31, 31]])]
    assert overlaps(boxes) == [(0, 1)]  # 2 only touches 0 along an edge


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    appraisal = run_scenario(load_scenario(EXAMPLES / "national_thrombectomy.toml"))
    files = write_report(appraisal, tmp_path_factory.mktemp("national"))
    return appraisal, files


@pytest.mark.slow
def test_national_maps_are_readable_at_print_size(national):
    appraisal, _ = national
    check_maps(appraisal)


@pytest.mark.slow
def test_national_pdf_and_interactive_map(national):
    appraisal, files = national
    check_pdf(files.pdf.read_bytes())
    html = files.html.read_text(encoding="utf-8")
    check_interactive(appraisal, html)
    data = re.search(r'id="interactive-map-data">(.*?)</script>', html, re.S).group(1)
    assert len(data.encode()) < 3_500_000  # the interactive map's data for 32,843 areas stays small
