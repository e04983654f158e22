"""XmR charts (hubplan.monitoring.spc, ``hubplan spc``): limits worked out by hand and series
built so that each special-cause rule fires exactly once; the installed command on small
files and on the real monthly A&E attendances (checked against numpy directly)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hubplan.monitoring.spc import SpcSettings, spc_chart, special_causes, xmr_limits
from hubplan.errors import InputError

HUBPLAN = str(Path(sys.executable).parent / "hubplan")
AE = Path(__file__).resolve().parents[2] / "shared" / "data" / "nhse_ae_attendances" / "ae_attendances.csv"
needs_ae = pytest.mark.skipif(not AE.is_file(), reason=f"the A&E attendances are not at {AE}")


def months(n: int, start_year: int = 2020) -> list[str]:
    return [f"{start_year + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def flagged(chart, rule: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [i for i, rules in enumerate(chart.points["rules"]) if rule in rules]


# Each series has 12 points. Hand arithmetic in the comments: mean, MR-bar (11 moving
# ranges), limits mean +/- 2.66 MR-bar, 2-sigma lines mean +/- (2/3) 2.66 MR-bar.

#: zig-zag: mean 11, MR-bar 2, limits 5.68 and 16.32, 2-sigma 7.4533 and 14.5467; no runs or trends.
COMMON = [10, 12] * 6
#: one spike: sum 60 + 60 + 30 = 150, mean 12.5; MRs 2 x 9 + 20 x 2 = 58, MR-bar 58/11;
#: upper limit 12.5 + 2.66 * 58/11 = 26.53 < 30; 2-sigma 21.85, only 30 beyond; runs below the mean of 5 and 6.
BEYOND = [10, 12, 10, 12, 10, 30, 10, 12, 10, 12, 10, 12]
#: 7 above then 5 below: sum 96 + 38 = 134, mean 11.1667; MRs 4 x 6 + 6 + 4 x 4 = 46, MR-bar 46/11 = 4.18;
#: 2-sigma 11.17 +/- 7.42 (3.75 to 18.58) holds every point; longest trend 3 points (16, 12, 6).
RUN = [12, 16, 12, 16, 12, 16, 12, 6, 10, 6, 10, 6]
#: 8 up to 12 in steps of 0.8 (points 6-11): sum 52 + 60 + 8 = 120, mean 10; MRs 4 x 5 + 0.8 x 5 + 4 = 28,
#: MR-bar 28/11 = 2.545; 2-sigma 10 +/- 4.514 holds every point; longest run 3 (9.6 < 10 < 10.4).
TREND = [12, 8, 12, 8, 12, 8, 8.8, 9.6, 10.4, 11.2, 12, 8]
#: two 20s together: sum 108 + 40 = 148, mean 12.333; MRs 2 x 8 + 10 + 0 + 10 = 36, MR-bar 36/11 = 3.2727;
#: 2-sigma up 12.333 + 5.804 = 18.14 < 20 < limit 12.333 + 8.705 = 21.04; runs 5, 2, 5; 20 -> 20 breaks trends.
TWO_OF_THREE = [10, 12, 10, 12, 10, 20, 20, 10, 12, 10, 12, 10]


def test_limits_by_hand() -> None:
    limits = xmr_limits(COMMON)
    assert limits.mean == 11 and limits.mean_moving_range == 2
    assert limits.upper_limit == pytest.approx(16.32) and limits.lower_limit == pytest.approx(5.68)
    assert limits.upper_2sigma == pytest.approx(11 + 2 / 3 * 5.32) and limits.lower_2sigma == pytest.approx(11 - 3.5466667)
    assert limits.sigma == pytest.approx(2 / 1.128, rel=2e-3)  # 2.66 = 3 / 1.128, rounded
    spike = xmr_limits(BEYOND)
    assert spike.mean == 12.5 and spike.mean_moving_range == pytest.approx(58 / 11)


def test_common_cause_only() -> None:
    chart = spc_chart(months(12), COMMON)
    assert chart.special_cause_points == 0
    assert chart.counts == {"beyond_limits": 0, "run": 0, "trend": 0, "two_of_three": 0}
    assert set(chart.points["variation"]) == {"common_cause"}
    assert chart.points["moving_range"].isna().tolist() == [True] + [False] * 11


@pytest.mark.parametrize(("values", "rule", "points", "mean", "mean_mr"), [
    (BEYOND, "beyond_limits", [5], 12.5, 58 / 11),
    (RUN, "run", [0, 1, 2, 3, 4, 5, 6], 134 / 12, 46 / 11),
    (TREND, "trend", [5, 6, 7, 8, 9, 10], 10, 28 / 11),
    (TWO_OF_THREE, "two_of_three", [5, 6], 148 / 12, 36 / 11),
])
def test_each_rule_fires_exactly_once(values: list[float], rule: str, points: list[int], mean: float,
                                      mean_mr: float) -> None:
    chart = spc_chart(months(12), values)
    segment = chart.segments[0]
    assert segment.mean == pytest.approx(mean) and segment.mean_moving_range == pytest.approx(mean_mr)
    assert flagged(chart, rule) == points
    assert chart.counts == {r: (len(points) if r == rule else 0) for r in chart.counts}
    assert chart.special_cause_points == len(points)
    assert set(chart.points["variation"].iloc[points]) == {"neither"}  # no improvement direction given


def test_run_and_trend_boundaries() -> None:
    # six points on each side of the mean are no run of 7: mean 132/12 = 11, MR-bar 50/11,
    # 2-sigma 11 +/- 8.06 holds every point, the longest trend is 3 points
    six_and_six = spc_chart(months(12), [12, 16, 12, 16, 12, 16, 6, 10, 6, 10, 6, 10])
    assert six_and_six.segments[0].mean == 11 and six_and_six.special_cause_points == 0
    # a point exactly on the mean breaks the run
    limits = xmr_limits(RUN)
    on_mean = list(RUN)
    on_mean[3] = limits.mean
    assert special_causes(on_mean, limits)[3] == {}
    assert all("run" not in {r.value for r in found} for found in special_causes(on_mean, limits))
    # 5 increasing points are not a trend of 6; with --trend-points 7 the 6-point trend is not one
    short = list(TREND)
    short[5] = 12.5  # now 12.5 > 8.8: the rise is 8.8 ... 12, five points
    assert flagged(spc_chart(months(12), short), "trend") == []
    assert flagged(spc_chart(months(12), TREND, trend_points=7), "trend") == []
    # equal neighbours break a trend: 8, 8.8, 8.8, ... is no longer 6 rising points
    flat = list(TREND)
    flat[7] = 8.8
    assert flagged(spc_chart(months(12), flat), "trend") == []


def test_two_of_three_needs_the_same_side() -> None:
    limits = xmr_limits(COMMON)  # 2-sigma lines 7.4533 and 14.5467, limits 5.68 and 16.32
    high_low = [11, 15, 7, 11, 15, 11, 11]  # one beyond each line in a window of three: nothing
    assert all(found == {} for found in special_causes(high_low, limits))
    high_high = [11, 15, 11, 15, 11]  # 15, 11, 15: two beyond the upper line
    found = special_causes(high_high, limits)
    assert [bool(f) for f in found] == [False, True, False, True, False]


@pytest.mark.parametrize(("improvement", "spike", "run_above"), [
    ("up", "improvement", "improvement"), ("down", "concern", "concern"), ("none", "neither", "neither"),
])
def test_improvement_and_concern(improvement: str, spike: str, run_above: str) -> None:
    chart = spc_chart(months(12), BEYOND, improvement=improvement)
    assert chart.points["variation"].tolist() == ["common_cause"] * 5 + [spike] + ["common_cause"] * 6
    assert chart.points["direction"].iloc[5] == "high"
    low = spc_chart(months(12), [-v for v in BEYOND], improvement=improvement)
    opposite = {"improvement": "concern", "concern": "improvement", "neither": "neither"}[spike]
    assert low.points["direction"].iloc[5] == "low" and low.points["variation"].iloc[5] == opposite
    run = spc_chart(months(12), RUN, improvement=improvement)
    assert run.points["variation"].tolist() == [run_above] * 7 + ["common_cause"] * 5


@pytest.mark.parametrize(("target", "improvement", "expected"), [
    (20, "up", "consistently_failing"), (20, "down", "consistently_passing"),
    (3, "up", "consistently_passing"), (3, "down", "consistently_failing"),
    (11, "up", "hit_and_miss"), (16.32, "down", "hit_and_miss"),  # on the limit: can be hit or missed
])
def test_assurance(target: float, improvement: str, expected: str) -> None:
    # COMMON: limits 5.68 to 16.32
    assert spc_chart(months(12), COMMON, target=target, improvement=improvement).assurance.value == expected


def test_target_needs_a_direction() -> None:
    with pytest.raises(InputError, match="--improvement up or down"):
        SpcSettings(target=5)


def test_baseline_fixes_the_limits() -> None:
    # the first 12 (mean 11, MR-bar 2, limits 5.68-16.32) judge the 13th, 30, as beyond
    chart = spc_chart(months(13), COMMON + [30], baseline=12)
    assert chart.segments[0].mean == 11 and chart.segments[0].mean_moving_range == 2
    assert chart.segments[0].limits.baseline_points == 12
    assert flagged(chart, "beyond_limits") == [12]
    # all 13: mean 162/13, MR-bar (2 x 11 + 18)/12 = 40/12, upper limit 12.46 + 8.87 = 21.33: still beyond
    whole = spc_chart(months(13), COMMON + [30])
    assert whole.segments[0].mean == pytest.approx(162 / 13)
    assert whole.segments[0].mean_moving_range == pytest.approx(40 / 12)
    with pytest.raises(InputError, match="at least 12"):
        SpcSettings(baseline=8)


def test_rebase_gives_each_segment_its_limits() -> None:
    values = COMMON + [v + 10 for v in COMMON]  # 12 around 11, then 12 around 21
    whole = spc_chart(months(24), values)
    # mean 16: the first 12 below and the last 12 above are runs
    assert whole.segments[0].mean == 16 and len(flagged(whole, "run")) == 24
    split = spc_chart(months(24), values, rebase=("2021-01",))
    assert [(s.start, s.end, s.points, s.mean, s.mean_moving_range) for s in split.segments] == [
        ("2020-01", "2020-12", 12, 11, 2), ("2021-01", "2021-12", 12, 21, 2)]
    assert split.special_cause_points == 0
    with pytest.raises(InputError, match="at least 12 points"):
        spc_chart(months(24), values, rebase=("2020-06",))


def test_too_few_points_and_bad_order() -> None:
    with pytest.raises(InputError, match="11 points; an XmR chart needs at least 12"):
        spc_chart(months(11), COMMON[:11])
    with pytest.raises(InputError, match="period 2020-01 comes after 2020-02"):
        spc_chart(["2020-02", "2020-01"] + months(10, 2021), COMMON)


# ----------------------------------------------------------------------------- the installed command
def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HUBPLAN, "spc", *args], capture_output=True, text=True, cwd=cwd)


def write_csv(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def series_csv(values: list[float], periods: list[str] | None = None, group: str | None = None) -> str:
    periods = periods or months(len(values))
    lines = [f"{p},{v}" + (f",{group}" if group else "") for p, v in zip(periods, values)]
    return "\n".join(lines) + "\n"


def test_cli_json_lists_each_point_with_its_rules(tmp_path: Path) -> None:
    text = "period,value,ward\n" + series_csv(BEYOND, group="A") + series_csv(RUN, group="B")
    write_csv(tmp_path, "wards.csv", "\ufeff" + text)  # a byte-order mark, as Excel writes
    res = run("wards.csv", "--group", "ward", "--improvement", "down", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [c["group"] for c in doc["charts"]] == ["A", "B"]
    a, b = doc["charts"]
    assert a["segments"][0]["mean"] == 12.5 and a["segments"][0]["mean_moving_range"] == pytest.approx(58 / 11)
    assert a["segments"][0]["upper_limit"] == pytest.approx(12.5 + 2.66 * 58 / 11)
    assert [p["rules"] for p in a["points"]] == [[]] * 5 + [["beyond_limits"]] + [[]] * 6
    assert a["points"][5]["variation"] == "concern" and a["points"][0]["moving_range"] is None
    assert a["counts"] == {"beyond_limits": 1, "run": 0, "trend": 0, "two_of_three": 0}
    assert b["counts"]["run"] == 7 and b["variation_counts"]["concern"] == 7
    assert doc["notes"] == []


def test_cli_table_and_out_files(tmp_path: Path) -> None:
    write_csv(tmp_path, "t.csv", "period,value\n" + series_csv(TREND))
    res = run("t.csv", "--out", "o", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "trend" in res.stdout and "special-cause points 6" in res.stdout
    assert {p.name for p in (tmp_path / "o").iterdir()} == {"spc.json", "spc_points.csv", "spc.png", "spc.html",
                                                           "spc.xlsx"}
    from workbook_check import assert_workbook_holds_the_csvs

    assert_workbook_holds_the_csvs(tmp_path / "o" / "spc.xlsx", tmp_path / "o", ["spc_points"])
    assert run("t.csv", "--out", "p", "--no-workbook", cwd=tmp_path).returncode == 0
    assert not (tmp_path / "p" / "spc.xlsx").exists()
    points = pd.read_csv(tmp_path / "o" / "spc_points.csv")
    assert points["rules"].fillna("").tolist() == [""] * 5 + ["trend"] * 6 + [""]
    assert (tmp_path / "o" / "spc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "o" / "spc.json").read_text())["charts"][0]["counts"]["trend"] == 6


def test_cli_ratio_sum_and_unsorted_periods(tmp_path: Path) -> None:
    # two rows a month, given newest first: summed, then breaches / attendances x 100
    rows = [f"{p},{b},{a}" for p, b, a in zip(months(12), COMMON, [100] * 12)]
    halves = [f"{p},{b / 2},{a / 2}" for line in rows for p, b, a in [line.split(",")] for _ in (0, 1)
              for b, a in [(float(b), float(a))]]
    write_csv(tmp_path, "r.csv", "period,breaches,attendances\n" + "\n".join(reversed(halves)) + "\n")
    res = run("r.csv", "--value", "breaches", "--denominator", "attendances", "--per", "100", "--sum",
              "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    chart = doc["charts"][0]
    assert [p["value"] for p in chart["points"]] == pytest.approx(COMMON)  # x / 100 x 100
    assert chart["points"][0]["denominator"] == 100 and chart["segments"][0]["mean"] == pytest.approx(11)
    assert any("not in order" in n for n in doc["notes"]) and "not in order" in res.stderr
    assert any("added up 24 rows into 12 periods" in n for n in doc["notes"])


@pytest.mark.parametrize(("content", "args", "words"), [
    ("period,amount\n" + series_csv(COMMON), [], "missing column 'value'"),
    ("period,value\n" + series_csv(COMMON).replace("2020-03", "March 2020"), [],
     "row 4, column 'period': expected a period as yyyy-mm-dd or yyyy-mm, got 'March 2020'"),
    ("period,value\n" + series_csv(COMMON).replace("2020-03", "2020-13"), [], "row 4, column 'period'"),
    ("period,value\n" + series_csv(COMMON).replace("2020-03", "2020-02"), [],
     "row 4, column 'period': period '2020-02' is repeated (first in row 3)"),
    ("period,value\n" + series_csv(COMMON).replace("2020-05,10", "2020-05,inf"), [],
     "row 6, column 'value': expected a finite number, got 'inf'"),
    ("period,value\n" + series_csv(COMMON).replace("2020-05,10", "2020-05,ten"), [],
     "row 6, column 'value': expected a finite number, got 'ten'"),
    ("period,value\n" + series_csv(COMMON[:10]), [], "(rows 2-11): 10 points; an XmR chart needs at least 12"),
    ("period,value,g\n" + series_csv(COMMON, group="A") + series_csv(COMMON[:9], group="B"), ["--group", "g"],
     "column 'g' = 'B' (rows 14-22): 9 points"),
    ("period,value\n" + series_csv(COMMON), ["--target", "5"], "--target: an assurance needs --improvement"),
    ("period,value\n" + series_csv(COMMON), ["--improvement", "better"], "--improvement 'better'"),
    ("period,value\n" + series_csv(COMMON), ["--baseline", "6"], "--baseline: 6 is not a whole number of points from 12"),
    ("period,value\n" + series_csv(COMMON), ["--rebase", "soon"], "--rebase 'soon'"),
])
def test_cli_bad_input_is_one_line(tmp_path: Path, content: str, args: list[str], words: str) -> None:
    write_csv(tmp_path, "bad.csv", content)
    res = run("bad.csv", *args, "--format", "json", cwd=tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert words in lines[0], lines[0]
    if not args:
        assert lines[0].startswith("error: bad.csv"), lines[0]


# ----------------------------------------------------------------------------- the real monthly A&E data
@needs_ae
def test_england_type_1_attendances_against_numpy(tmp_path: Path) -> None:
    res = run(str(AE), "--value", "attendances", "--group", "type", "--sum", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    frame = pd.read_csv(AE, dtype={"type": str})
    for chart in doc["charts"]:
        monthly = frame[frame["type"] == chart["group"]].groupby("period")["attendances"].sum().sort_index()
        x = monthly.to_numpy()
        mean, mr_bar = x.mean(), np.abs(np.diff(x)).mean()
        segment = chart["segments"][0]
        assert segment["points"] == len(x) == 36
        assert segment["mean"] == pytest.approx(mean, rel=1e-12)
        assert segment["mean_moving_range"] == pytest.approx(mr_bar, rel=1e-12)
        assert segment["upper_limit"] == pytest.approx(mean + 2.66 * mr_bar, rel=1e-12)
        assert segment["lower_limit"] == pytest.approx(mean - 2.66 * mr_bar, rel=1e-12)
        assert [p["period"] for p in chart["points"]] == list(monthly.index)
        beyond = (x > mean + 2.66 * mr_bar) | (x < mean - 2.66 * mr_bar)
        assert [("beyond_limits" in p["rules"]) for p in chart["points"]] == beyond.tolist()
        sides = np.sign(x - mean)  # runs of 7 on one side, found here by brute force over windows
        in_run = np.zeros(len(x), bool)
        for i in range(len(x) - 6):
            if abs(sides[i:i + 7].sum()) == 7:
                in_run[i:i + 7] = True
        assert [("run" in p["rules"]) for p in chart["points"]] == in_run.tolist()
    beyond_by_type = {c["group"]: [p["period"] for p in c["points"] if "beyond_limits" in p["rules"]]
                      for c in doc["charts"]}
    # worked out with numpy alone: type 1 limits 1,107,727 to 1,465,340 hold every month (February
    # 2017, the lowest, had 1,127,909); "other" (limits 572,472 to 757,874) leaves them three times
    assert beyond_by_type == {"1": [], "2": [], "other": ["2017-02-01", "2018-05-01", "2018-07-01"]}


def brute_force_rules(x: np.ndarray) -> dict[str, list[bool]]:
    """The four rules by sliding windows over the whole series (no stretches, no shortcuts)."""
    mean, mr_bar = x.mean(), np.abs(np.diff(x)).mean()
    upper, lower = mean + 2.66 * mr_bar, mean - 2.66 * mr_bar
    upper_2, lower_2 = mean + 2 / 3 * 2.66 * mr_bar, mean - 2 / 3 * 2.66 * mr_bar
    n = len(x)
    run, trend, two = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    for i in range(n - 6):
        window = np.sign(x[i:i + 7] - mean)
        if abs(window.sum()) == 7:
            run[i:i + 7] = True
    for i in range(n - 5):
        steps = np.diff(x[i:i + 6])
        if (steps > 0).all() or (steps < 0).all():
            trend[i:i + 6] = True
    for i in range(n - 2):
        for beyond in (x[i:i + 3] > upper_2, x[i:i + 3] < lower_2):
            if beyond.sum() >= 2:
                two[i:i + 3] |= beyond
    return {"beyond_limits": ((x > upper) | (x < lower)).tolist(), "run": run.tolist(), "trend": trend.tolist(),
            "two_of_three": two.tolist()}


#: docs/spc.md, England's type-1 4-hour breach rate: the months each rule flags.
DOCS_FINDINGS = {
    "beyond_limits": ["2017-01", "2017-12", "2018-01", "2018-02", "2018-03", "2019-01", "2019-02"],
    "trend": ["2016-08", "2016-09", "2016-10", "2016-11", "2016-12", "2017-01",
              "2017-10", "2017-11", "2017-12", "2018-01", "2018-02", "2018-03"],
}


@needs_ae
def test_england_breach_rate_as_in_the_docs(tmp_path: Path) -> None:
    # the command of docs/spc.md
    res = run(str(AE), "--value", "breaches", "--denominator", "attendances", "--per", "100", "--group", "type",
              "--sum", "--improvement", "down", "--target", "5", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    frame = pd.read_csv(AE, dtype={"type": str})
    for chart in doc["charts"]:
        monthly = frame[frame["type"] == chart["group"]].groupby("period")[["breaches", "attendances"]].sum()
        x = (monthly["breaches"] / monthly["attendances"] * 100).sort_index().to_numpy()
        mean, mr_bar = x.mean(), np.abs(np.diff(x)).mean()
        segment = chart["segments"][0]
        assert segment["mean"] == pytest.approx(mean, rel=1e-12)
        assert segment["upper_limit"] == pytest.approx(mean + 2.66 * mr_bar, rel=1e-12)
        expected = brute_force_rules(x)
        for rule, flags in expected.items():
            assert [rule in p["rules"] for p in chart["points"]] == flags, (chart["group"], rule)
        # the 4-hour standard (95% within 4 hours: at most 5% breaches) against the limits
        assert chart["assurance"] == ("consistently_failing" if mean - 2.66 * mr_bar > 5 else "hit_and_miss"
                                      if mean + 2.66 * mr_bar >= 5 else "consistently_passing")
    type_1 = next(c for c in doc["charts"] if c["group"] == "1")
    for rule, found in DOCS_FINDINGS.items():
        assert [p["period"][:7] for p in type_1["points"] if rule in p["rules"]] == found
    assert type_1["assurance"] == "consistently_failing"


@needs_ae
def test_one_trust_breach_rate_as_in_the_docs(tmp_path: Path) -> None:
    # every trust with 12 months or more (types added up), as docs/spc.md: the short ones are named
    res = run(str(AE), "--value", "breaches", "--denominator", "attendances", "--per", "100", "--group", "org_code",
              "--sum", "--skip-short", "--improvement", "down", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    frame = pd.read_csv(AE)
    months_per_trust = frame.groupby("org_code")["period"].nunique()
    assert sorted(c["group"] for c in doc["charts"]) == sorted(months_per_trust.index[months_per_trust >= 12])
    short = (months_per_trust < 12).sum()
    assert any(f"left out {short} groups with fewer than 12 periods" in n for n in doc["notes"])
    rrk = next(c for c in doc["charts"] if c["group"] == "RRK")
    monthly = frame[frame["org_code"] == "RRK"].groupby("period")[["breaches", "attendances"]].sum().sort_index()
    x = (monthly["breaches"] / monthly["attendances"] * 100).to_numpy()
    assert rrk["segments"][0]["lower_limit"] == pytest.approx(x.mean() - 2.66 * np.abs(np.diff(x)).mean())
    for rule, flags in brute_force_rules(x).items():
        assert [rule in p["rules"] for p in rrk["points"]] == flags, rule
    # docs/spc.md: December 2017 below the lower limit, January to March 2019 above the upper one,
    # a rising trend from June 2018 to January 2019
    beyond = [(p["period"][:7], p["variation"]) for p in rrk["points"] if "beyond_limits" in p["rules"]]
    assert beyond == [("2017-12", "improvement"), ("2019-01", "concern"), ("2019-02", "concern"),
                      ("2019-03", "concern")]
    assert [p["period"][:7] for p in rrk["points"] if "trend" in p["rules"]] == [
        "2018-06", "2018-07", "2018-08", "2018-09", "2018-10", "2018-11", "2018-12", "2019-01"]


def test_cli_skip_short_names_what_it_left_out(tmp_path: Path) -> None:
    write_csv(tmp_path, "g.csv", "period,value,g\n" + series_csv(COMMON, group="A") + series_csv(COMMON[:9], group="B"))
    res = run("g.csv", "--group", "g", "--skip-short", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [c["group"] for c in doc["charts"]] == ["A"]
    assert doc["notes"] == ["g.csv: left out 1 group with fewer than 12 periods (--skip-short): 'B' (9)"]
    assert "left out 1 group" in res.stderr
    write_csv(tmp_path, "s.csv", "period,value,g\n" + series_csv(COMMON[:9], group="B"))
    res = run("s.csv", "--group", "g", "--skip-short", cwd=tmp_path)
    assert res.returncode == 2 and res.stderr.strip().splitlines() == [
        "error: s.csv: every group has fewer than 12 periods; an XmR chart needs at least 12"]
