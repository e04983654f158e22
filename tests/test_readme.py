"""The README's figures are true: its demo table, its bypass sentence and its Python example.

Every expected value is worked out here from the bundled network's minutes and demand with
numpy (nearest hub, nearest spoke, bypass, transfer to the spoke's nearest hub), without
calling ``hubplan.access.evaluate``, and compared with the README to the rounding it shows.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
TOLERANCE_MINUTES = 1e-4  # ties and thresholds, as docs/pathways.md

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Routes:
    time_to_first: np.ndarray
    time_to_hub: np.ndarray
    via_spoke: np.ndarray  # bool: first seen at a spoke


def route(network, hubs: list[str], spokes: list[str], bypass: float, delay: float) -> Routes:
    """The pathway rules of docs/pathways.md, written out again with numpy."""
    minutes = network.area_site_minutes.astype(np.float64)
    between = network.site_site_minutes.astype(np.float64)
    hub_cols = np.array(sorted(network.site_codes.index(c) for c in hubs))
    to_nearest_hub = minutes[:, hub_cols].min(axis=1)
    if not spokes:
        return Routes(to_nearest_hub, to_nearest_hub, np.zeros(len(minutes), dtype=bool))
    spoke_cols = np.array(sorted(network.site_codes.index(c) for c in spokes))
    spoke = spoke_cols[minutes[:, spoke_cols].argmin(axis=1)]  # first in site order on a tie
    to_spoke = minutes[np.arange(len(minutes)), spoke]
    hub_of_spoke = hub_cols[between[spoke][:, hub_cols].argmin(axis=1)]  # nearest hub by road
    via_spoke = to_nearest_hub > to_spoke + bypass + TOLERANCE_MINUTES  # a tie goes to the hub
    transferred = to_spoke + delay + between[spoke, hub_of_spoke]
    return Routes(np.where(via_spoke, to_spoke, to_nearest_hub), np.where(via_spoke, transferred, to_nearest_hub),
                  via_spoke)


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    return float((values * weights).sum() / weights.sum())


def share_within(values: np.ndarray, weights: np.ndarray, minutes: float) -> float:
    return float(weights[values <= minutes + TOLERANCE_MINUTES].sum() / weights.sum())


def lower_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest time reached by at least a share q of patients (areas without patients left out)."""
    keep = weights > 0
    order = np.argsort(values[keep], kind="stable")
    cumulative = np.cumsum(weights[keep][order])
    return float(values[keep][order][np.searchsorted(cumulative, q * cumulative[-1] * (1 - 1e-12))])


@pytest.fixture(scope="module")
def setting(england):
    import hubplan

    service = hubplan.Service.preset("thrombectomy")
    hubs = england.sites_with("thrombectomy")
    spokes = [c for c in england.sites_with("ivt") if c not in set(hubs)]
    demand = england.areas["stroke_admissions"].to_numpy(dtype=np.float64)
    return service, hubs, spokes, demand


def demo_rows() -> list[tuple[str, list[str]]]:
    """The rows of the README's "What the demo shows" table: (option, [four figures])."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## What the demo shows", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[\d.]+", cells[1]):
            rows.append((cells[0], cells[1:]))
    return rows


def test_demo_table_figures(england, setting) -> None:
    from hubplan.optimise import SiteSelectionProblem, solve

    service, hubs, spokes, demand = setting
    assert len(hubs) == 24 and len(spokes) == 77  # "today's 24 centres", "77 spokes"
    assert service.hub_share == 0.10  # 10% of stroke admissions need thrombectomy (presets.toml)
    problem = SiteSelectionProblem.from_network(england, service, k=30, keep="thrombectomy", pathway="direct")
    best = solve(problem, time_limit=120)
    assert best.status == "optimal" and best.gap <= 1e-6  # "proven optimal"
    assert set(hubs) <= set(best.sites)  # "today's 24 kept"
    options = {
        "today's 24 centres, direct to hub": route(england, hubs, [], 0, 60),
        "today's 24, treat & transfer (77 spokes, 60-min delay)": route(england, hubs, spokes, 0, 60),
        "today's 24, treat & transfer, 15-min bypass": route(england, hubs, spokes, 15, 60),
        "best 30 (today's 24 kept, proven optimal), direct": route(england, list(best.sites), [], 0, 60),
    }
    rows = demo_rows()
    assert [name for name, _ in rows] == list(options)
    for name, figures in rows:
        r = options[name]
        transfers = service.hub_share * demand[r.via_spoke].sum()
        expected = [f"{weighted_mean(r.time_to_first, demand):.1f}", f"{weighted_mean(r.time_to_hub, demand):.1f}",
                    f"{100 * share_within(r.time_to_hub, demand, 60):.1f}%", f"{transfers:,.0f}"]
        assert figures == expected, name


def test_bypass_sentence(england, setting) -> None:
    _, hubs, spokes, demand = setting
    text = " ".join(README.read_text(encoding="utf-8").split())
    found = re.search(r"The 15-minute bypass sends (\d+)% of patients straight to a centre and cuts their "
                      r"time to thrombectomy by (\d+) minutes on average", text)
    assert found, "the README's bypass sentence"
    without = route(england, hubs, spokes, 0, 60)
    with_bypass = route(england, hubs, spokes, 15, 60)
    redirected = without.via_spoke & ~with_bypass.via_spoke
    assert not (with_bypass.via_spoke & ~without.via_spoke).any()
    share = demand[redirected].sum() / demand.sum()
    saved = weighted_mean((without.time_to_hub - with_bypass.time_to_hub)[redirected], demand[redirected])
    assert found.groups() == (f"{100 * share:.0f}", f"{saved:.0f}")


def test_python_example_runs_and_prints_true_figures(england, setting, capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1, "README has one Python example"
    block = blocks[0]
    assert 'transfer_delay_minutes=90' in block and "bypass_minutes=15" in block
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out

    _, hubs, spokes, demand = setting
    today = route(england, hubs, spokes, 0, 90)
    # print(a.summary["time_to_hub"]): the first line printed, a dict
    first_line = printed.splitlines()[0]
    summary = ast.literal_eval(first_line)
    t = today.time_to_hub
    assert summary["mean"] == pytest.approx(weighted_mean(t, demand), rel=1e-6)
    assert summary["median"] == pytest.approx(lower_quantile(t, demand, 0.5), rel=1e-6)
    assert summary["p90"] == pytest.approx(lower_quantile(t, demand, 0.9), rel=1e-6)
    assert summary["max"] == pytest.approx(float(t[demand > 0].max()), rel=1e-6)
    for minutes in (30, 45, 60):
        assert summary["within"][str(minutes)] == pytest.approx(share_within(t, demand, minutes), rel=1e-9)
    # print(b.sites.query("role == 'hub'")): one row per centre
    assert "[24 rows" in printed and all(code in printed for code in hubs)
    # print(compare(a, b).regions("isdn")): one row per ISDN with patients
    isdns = england.areas.loc[demand > 0, "isdn"].nunique()
    assert f"[{isdns} rows" in printed
    # the bypass option of the example: the same rules with 15 minutes
    bypass = route(england, hubs, spokes, 15, 90)
    b = namespace["b"].summary["time_to_hub"]
    assert b["mean"] == pytest.approx(weighted_mean(bypass.time_to_hub, demand), rel=1e-6)
