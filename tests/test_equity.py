"""Equity of access by deprivation and rurality (docs/equity.md), worked by hand.

The six-area network below: three sites, H1 and H2 able to be hubs; areas A1-A5 in
England with an IMD quintile, Core20 flag and rural-urban group, A6 in Wales with a
WIMD quintile instead.

====  ========  ===  ======  ====  ===========================  ====  ====
area  patients  IMD  Core20  WIMD  rural-urban                    H1    H2
====  ========  ===  ======  ====  ===========================  ====  ====
A1    2         1    yes     -     urban                          10    40
A2    1         1    yes     -     urban                          20    30
A3    3         3    no      -     rural town and fringe          30    15
A4    1         5    no      -     urban                          40    50
A5    2         5    no      -     rural village and dispersed    60    20
A6    4         -    -       2     rural village and dispersed    45    35
====  ========  ===  ======  ====  ===========================  ====  ====

Option A = H1 only, option B = H2 only (both direct to hub).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hubplan import Option, Service, compare, evaluate
from hubplan.planning.appraise import Criterion, appraise
from hubplan.errors import InputError
from hubplan.geography.network import Network
from hubplan.testing import make_network, tiny_network

HUBPLAN = Path(sys.executable).parent / "hubplan"

AREAS = ["A1", "A2", "A3", "A4", "A5", "A6"]
PATIENTS = [2, 1, 3, 1, 2, 4]
MINUTES = [[10, 40, 5], [20, 30, 10], [30, 15, 20], [40, 50, 10], [60, 20, 25], [45, 35, 40]]
COUNTRY = ["England"] * 5 + ["Wales"]
IMD = [1, 1, 3, 5, 5, None]
CORE20 = [True, True, False, False, False, None]
WIMD = [None] * 5 + [2]
RURAL = ["urban", "urban", "rural town and fringe", "urban", "rural village and dispersed",
         "rural village and dispersed"]
SERVICE = Service.preset("thrombectomy")  # thresholds 30, 45, 60


def equity_network(**columns: list) -> Network:
    """The network of the module docstring; ``columns`` replace or add area columns
    (a value of ``None`` drops the column)."""
    net = make_network(MINUTES, [[0, 45, 15], [45, 0, 40], [15, 40, 0]], demand=PATIENTS, area_codes=AREAS,
                       site_codes=["H1", "H2", "S1"],
                       capabilities={"thrombectomy": [True, True, False], "ivt": [True, True, True]})
    areas = net.areas.copy()
    areas["country"] = COUNTRY
    given = {"imd_quintile": pd.array(IMD, dtype="Int64"), "core20": pd.array(CORE20, dtype="boolean"),
             "wimd_quintile": pd.array(WIMD, dtype="Int64"), "rural_urban": pd.array(RURAL, dtype="string")}
    given.update(columns)
    for name, values in given.items():
        if values is not None:
            areas[name] = values
    return Network(areas, net.sites, net.area_site_minutes, net.site_site_minutes, capabilities=net.capabilities)


def group(rows: list[dict], grouping: str, key: str) -> dict:
    found = [r for r in rows if r["grouping"] == grouping and r["group"] == key]
    assert len(found) == 1, (grouping, key)
    return found[0]


@pytest.fixture(scope="module")
def both() -> tuple:
    net = equity_network()
    a = evaluate(net, SERVICE, Option(name="A", hubs=("H1",)))
    b = evaluate(net, SERVICE, Option(name="B", hubs=("H2",)))
    return a, b


# ----------------------------------------------------------------------------- evaluate
def test_groups_of_option_a_by_hand(both) -> None:
    a, _ = both
    rows = a.equity_json()["groups"]
    assert [(r["grouping"], r["group"]) for r in rows] == [
        ("imd_quintile", q) for q in "12345"] + [("core20", "core20"), ("core20", "rest")] + [
        ("wimd_quintile", q) for q in "12345"] + [
        ("rural_urban", g) for g in ("urban", "rural town and fringe", "rural village and dispersed")]
    q1 = group(rows, "imd_quintile", "1")  # A1 (2 patients, 10 min) and A2 (1, 20 min)
    assert q1["areas"] == 2 and q1["patients"] == 3
    assert q1["time_to_hub"]["mean"] == pytest.approx(40 / 3)
    assert q1["time_to_first"]["mean"] == pytest.approx(40 / 3)  # direct: first hospital = hub
    assert q1["time_to_hub"]["within"] == {"30": 1.0, "45": 1.0, "60": 1.0}
    q5 = group(rows, "imd_quintile", "5")  # A4 (1, 40 min) and A5 (2, 60 min)
    assert q5["patients"] == 3 and q5["time_to_hub"]["mean"] == pytest.approx(160 / 3)
    assert q5["time_to_hub"]["within"]["30"] == 0.0
    assert q5["time_to_hub"]["within"]["45"] == pytest.approx(1 / 3)
    assert q5["time_to_hub"]["within"]["60"] == 1.0  # 60 min is within 60
    q3 = group(rows, "imd_quintile", "3")
    assert q3["patients"] == 3 and q3["time_to_hub"]["mean"] == 30.0 and q3["time_to_hub"]["within"]["30"] == 1.0
    for empty in ("2", "4"):  # no area: listed with nulls, not left out
        row = group(rows, "imd_quintile", empty)
        assert row["areas"] == 0 and row["patients"] == 0 and row["time_to_hub"]["mean"] is None
    rest = group(rows, "core20", "rest")  # A3, A4, A5: (3 x 30 + 40 + 2 x 60) / 6
    assert rest["patients"] == 6 and rest["time_to_hub"]["mean"] == pytest.approx(250 / 6)
    assert group(rows, "core20", "core20")["time_to_hub"]["mean"] == pytest.approx(40 / 3)
    wimd2 = group(rows, "wimd_quintile", "2")  # A6 only
    assert wimd2["patients"] == 4 and wimd2["time_to_hub"]["mean"] == 45.0
    urban = group(rows, "rural_urban", "urban")  # A1 (2 x 10), A2 (20), A4 (40)
    assert urban["patients"] == 4 and urban["time_to_hub"]["mean"] == 20.0
    assert urban["time_to_hub"]["within"]["30"] == 0.75
    assert urban["time_to_hub"]["median"] == 10.0 and urban["time_to_hub"]["p90"] == 40.0  # lower quantiles
    assert urban["time_to_hub"]["max"] == 40.0
    village = group(rows, "rural_urban", "rural village and dispersed")  # A5 (2 x 60), A6 (4 x 45)
    assert village["patients"] == 6 and village["time_to_hub"]["mean"] == 50.0
    assert village["time_to_hub"]["within"]["45"] == pytest.approx(4 / 6)
    # every English area is in exactly one IMD quintile; A6 (Wales) in none
    imd = [r for r in rows if r["grouping"] == "imd_quintile"]
    assert sum(r["patients"] for r in imd) == 9 and sum(r["areas"] for r in imd) == 5


def test_gaps_and_notes_of_option_a(both) -> None:
    a, _ = both
    equity = a.equity_json()
    assert equity["gaps"]["imd_q1_minus_q5_time_to_hub_mean_minutes"] == pytest.approx(40 / 3 - 160 / 3)  # -40
    assert equity["gaps"]["core20_minus_rest_time_to_hub_mean_minutes"] == pytest.approx(40 / 3 - 250 / 6)
    assert equity["gaps"]["wimd_q1_minus_q5_time_to_hub_mean_minutes"] is None  # nobody in WIMD 1 or 5
    notes = equity["notes"]
    assert ("IMD quintile (England): 1 area (4 patients a year) left out, with no imd_quintile value "
            "(in Wales: IMD covers England only)") in notes
    assert ("Core20 (England): 1 area (4 patients a year) left out, with no core20 value "
            "(in Wales: IMD covers England only)") in notes
    assert ("WIMD quintile (Wales): 5 areas (9 patients a year) left out, with no wimd_quintile value "
            "(in England: WIMD covers Wales only)") in notes
    assert any(n.startswith("WIMD quintile (Wales): no gap") and "no patients a year" in n for n in notes)
    assert not any(n.startswith("rural-urban") for n in notes)  # every area has a group


def test_tidy_table_and_json(both) -> None:
    a, _ = both
    table = a.equity()
    assert list(table.columns[:7]) == ["grouping", "group", "label", "areas", "patients", "time_to_first_mean",
                                       "time_to_first_median"]
    assert {"time_to_hub_within_30", "time_to_hub_within_45", "time_to_hub_within_60"} <= set(table.columns)
    row = table[(table["grouping"] == "rural_urban") & (table["group"] == "urban")].iloc[0]
    assert row["time_to_hub_mean"] == 20.0 and row["time_to_hub_within_30"] == 0.75
    assert math.isnan(table[(table["grouping"] == "imd_quintile") & (table["group"] == "2")]["time_to_hub_mean"].iloc[0])
    document = a.to_json()
    assert document["equity"] == a.equity_json()
    json.dumps(document["equity"], allow_nan=False)  # null, never NaN


def test_decile_columns_give_quintiles_and_core20() -> None:
    deciles = pd.array([2, 1, 6, 9, 10, None], dtype="Int64")  # quintiles 1, 1, 3, 5, 5
    net = equity_network(imd_quintile=None, core20=None, imd_decile=deciles)
    ev = evaluate(net, SERVICE, Option(name="A", hubs=("H1",)))
    rows = ev.equity_json()["groups"]
    assert group(rows, "imd_quintile", "1")["patients"] == 3 and group(rows, "imd_quintile", "5")["patients"] == 3
    assert group(rows, "core20", "core20")["time_to_hub"]["mean"] == pytest.approx(40 / 3)
    notes = ev.equity_json()["notes"]
    assert "IMD quintile (England): derived from the imd_decile column" in notes
    assert "Core20 (England): derived from the imd_decile column" in notes


def test_rural_urban_from_ruc_codes() -> None:
    codes = pd.array(["A1", "C2", "D2", "B1", "E1", None], dtype="string")
    net = equity_network(rural_urban=None, ruc11_code=codes)
    rows = evaluate(net, SERVICE, Option(name="A", hubs=("H1",))).equity_json()["groups"]
    assert group(rows, "rural_urban", "urban")["patients"] == 4  # A1, A2, A4
    assert group(rows, "rural_urban", "rural village and dispersed")["patients"] == 2  # A5; A6 unknown


def test_a_network_without_the_columns_has_no_equity() -> None:
    ev = evaluate(tiny_network(), SERVICE, Option(name="A", hubs=("H1",)))
    equity = ev.to_json()["equity"]
    assert equity["groups"] == [] and set(equity["gaps"].values()) == {None}
    assert len(equity["notes"]) == 1 and equity["notes"][0].startswith("no equity breakdown")
    assert len(ev.equity()) == 0
    comparison = compare(ev, evaluate(tiny_network(), SERVICE, Option(name="B", hubs=("H2",))))
    assert comparison.to_json()["equity"]["groups"] == [] and len(comparison.equity()) == 0


def test_a_value_outside_its_column_is_an_error() -> None:
    net = equity_network(imd_quintile=pd.array([1, 7, 3, 5, 5, None], dtype="Int64"))
    with pytest.raises(InputError, match=r"area column 'imd_quintile': expected a whole number from 1 to 5 .* "
                                         r"got '7' for area A2"):
        evaluate(net, SERVICE, Option(name="A", hubs=("H1",))).equity_json()
    net = equity_network(rural_urban=pd.array(["urban", "town", None, None, None, None], dtype="string"))
    with pytest.raises(InputError, match="area column 'rural_urban'.*got 'town' for area A2"):
        evaluate(net, SERVICE, Option(name="A", hubs=("H1",))).equity_json()


# ----------------------------------------------------------------------------- compare
def test_who_gains_and_who_loses_by_group(both) -> None:
    a, b = both
    comparison = compare(a, b)
    rows = comparison.equity_json()["groups"]
    # changes B - A: A1 +30, A2 +10, A3 -15, A4 +10, A5 -40, A6 -10
    q1 = group(rows, "imd_quintile", "1")
    assert (q1["patients_longer"], q1["patients_shorter"], q1["patients_unchanged"]) == (3, 0, 0)
    assert q1["mean_change_minutes"] == pytest.approx(70 / 3)
    assert q1["mean_time_to_hub_a"] == pytest.approx(40 / 3) and q1["mean_time_to_hub_b"] == pytest.approx(110 / 3)
    q5 = group(rows, "imd_quintile", "5")
    assert (q5["patients_longer"], q5["patients_shorter"]) == (1, 2)
    assert q5["mean_change_minutes"] == pytest.approx(-70 / 3)
    assert q5["mean_increase_if_longer"] == 10.0 and q5["mean_decrease_if_shorter"] == 40.0
    rest = group(rows, "core20", "rest")  # A3 (3 x -15), A4 (+10), A5 (2 x -40)
    assert (rest["patients_longer"], rest["patients_shorter"]) == (1, 5)
    assert rest["mean_change_minutes"] == pytest.approx(-115 / 6)
    urban = group(rows, "rural_urban", "urban")
    assert urban["patients_longer"] == 4 and urban["mean_change_minutes"] == 20.0
    village = group(rows, "rural_urban", "rural village and dispersed")
    assert village["patients_shorter"] == 6 and village["mean_change_minutes"] == -20.0
    assert group(rows, "imd_quintile", "2")["mean_change_minutes"] is None  # no patients
    gaps = comparison.equity_json()["gaps"]["imd_q1_minus_q5_time_to_hub_mean_minutes"]
    assert gaps["a"] == pytest.approx(-40.0) and gaps["b"] == pytest.approx(110 / 3 - 30)
    assert gaps["change"] == pytest.approx(110 / 3 - 30 + 40)
    core = comparison.equity_json()["gaps"]["core20_minus_rest_time_to_hub_mean_minutes"]
    assert core["b"] == pytest.approx(110 / 3 - 22.5)
    frame = comparison.equity()
    assert len(frame) == 15 and frame["patients_longer"].sum() == pytest.approx(3 + 1 + 3 + 1 + 4)
    assert comparison.to_json()["equity"] == comparison.equity_json()
    json.dumps(comparison.to_json()["equity"], allow_nan=False)


# ----------------------------------------------------------------------------- appraisal
def test_appraisal_criteria_by_hand(both) -> None:
    a = appraise(equity_network(), SERVICE, list(both), draws=50)
    v = a.values
    assert v.loc["A", "core20_change_time_to_hub_mean_minutes"] == 0.0  # the baseline
    assert v.loc["B", "core20_change_time_to_hub_mean_minutes"] == pytest.approx(70 / 3)
    assert v.loc["A", "imd_gap_time_to_hub_mean_minutes"] == pytest.approx(40.0)  # the size, either way
    assert v.loc["B", "imd_gap_time_to_hub_mean_minutes"] == pytest.approx(110 / 3 - 30)
    assert v["wimd_gap_time_to_hub_mean_minutes"].isna().all()
    # default weights include the Core20 change (1 of 11, and of 14 with the outcome criterion at 3
    # that a stroke service adds): A is better on it (v = 1, B 0)
    assert "core20_change_time_to_hub_mean_minutes" in a.scores.weights.index
    assert a.scores.weights["core20_change_time_to_hub_mean_minutes"] == pytest.approx(1 / 14)
    assert a.scores.weights["added_good_outcomes_per_year"] == pytest.approx(3 / 14)
    assert a.scores.normalised.loc["A", "core20_change_time_to_hub_mean_minutes"] == 1.0
    assert a.scores.normalised.loc["B", "core20_change_time_to_hub_mean_minutes"] == 0.0
    gap_only = appraise(equity_network(), SERVICE, list(both), draws=20,
                        criteria=[Criterion("imd_gap_time_to_hub_mean_minutes", 1)])
    assert gap_only.scores.ranking == ("B", "A")  # |6.7| < |-40|


def test_equity_criteria_off_without_the_columns() -> None:
    net = tiny_network()
    options = [Option(name="A", hubs=("H1",)), Option(name="B", hubs=("H2",))]
    a = appraise(net, SERVICE, options, draws=20)
    assert "core20_change_time_to_hub_mean_minutes" not in a.scores.weights.index
    assert ("criterion core20_change_time_to_hub_mean_minutes (weight 1) set to weight 0: this network's areas "
            "have no Core20 values (a core20 or imd_decile column); see docs/equity.md") in a.notes
    asked = appraise(net, SERVICE, options, draws=20, criteria=[Criterion("time_to_hub_mean_minutes", 1),
                                                                 Criterion("imd_gap_time_to_hub_mean_minutes", 2)])
    assert list(asked.scores.weights.index) == ["time_to_hub_mean_minutes"]
    assert any(n.startswith("criterion imd_gap_time_to_hub_mean_minutes (weight 2) set to weight 0: this "
                            "network's areas have no IMD values") for n in asked.notes)


# ----------------------------------------------------------------------------- report and planner
def test_report_section_on_deprivation_and_rurality(both) -> None:
    from hubplan.report import build_figures, render_report_html
    from hubplan.report.content import build_content
    from hubplan.report.geometry import area_shapes
    from hubplan.report.html import section_list
    from hubplan.report.pdf import render_pdf

    a = appraise(equity_network(), SERVICE, list(both), draws=20)
    content = build_content(a)
    assert [p.option for p in content.deprivation] == ["A", "B"]
    first, second = content.deprivation
    assert first.sentences[0] == ("The most deprived fifth of patients (IMD) travel 40.0 minutes less to a hub on "
                                  "average than the least deprived fifth (13.3 against 53.3 minutes).")
    assert first.sentences[1] == ("Patients in rural villages and dispersed areas travel 30.0 minutes longer to a "
                                  "hub on average than patients in urban areas (50.0 against 20.0 minutes).")
    assert second.sentences[0] == ("The most deprived fifth of patients (IMD) travel 6.7 minutes longer to a hub "
                                   "on average than the least deprived fifth (36.7 against 30.0 minutes).")
    assert second.sentences[2] == ("Against 'A', the Core20 group's average journey to a hub is 23.3 minutes "
                                   "longer: of its 3 patients a year, 3 would take longer and 0 less time.")
    assert first.table.rows[0] == ["IMD 1 (most deprived)", "3", "13.3", "13.3", "100.0%", "100.0%", "100.0%"]
    assert second.table.rows[0][-1] == "+23.3"  # change against A
    labels = [r[0] for r in content.options_table.rows]
    gap_row = content.options_table.rows[labels.index("most minus least deprived fifth (IMD): mean minutes to hub")]
    assert gap_row[1:] == ["-40.0", "+6.7"]
    figures = build_figures(a, area_shapes(a.network, use_bundled=False))
    assert ("deprivation", "8. Equity: deprivation and rurality") in section_list(content, figures)
    html = render_report_html(a, figures=figures, content=content)
    assert '<section id="deprivation">' in html and "13.3 against 53.3 minutes" in html
    from pypdf import PdfReader
    import io

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(content, figures))).pages)
    assert "Equity: deprivation and rurality" in text


def test_no_deprivation_section_without_the_columns() -> None:
    from hubplan.report.content import build_content

    a = appraise(tiny_network(), SERVICE, [Option(name="A", hubs=("H1",)), Option(name="B", hubs=("H2",))],
                 draws=20)
    assert build_content(a).deprivation == []


def test_planner_panel(both) -> None:
    from hubplan.web.panels import equity_table

    a, _ = both
    panel = equity_table(a)
    table = panel.children[1]
    cells = [[c.children for c in row.children] for row in table.children[1:]]
    assert cells[0] == ["IMD 1 (most deprived)", "3", "13.3", "100.0%"]  # groups with patients only
    assert [c[0] for c in cells] == ["IMD 1 (most deprived)", "IMD 3", "IMD 5 (least deprived)",
                                     "Core20 (IMD deciles 1-2)", "rest (IMD deciles 3-10)", "WIMD 2", "urban",
                                     "rural town and fringe", "rural village and dispersed"]
    assert panel.children[2].children == "Most minus least deprived fifth (IMD): -40.0 min to hub on average."
    assert equity_table(evaluate(tiny_network(), SERVICE, Option(name="A", hubs=("H1",)))) is None


# ----------------------------------------------------------------------------- the installed hubplan
def write_csv_network(folder: Path, areas_extra: dict[str, list[str]] | None = None) -> Path:
    """The module's network as CSV files (areas with their IMD, Core20, WIMD and RUC columns)."""
    folder.mkdir(parents=True)
    columns = {"imd_quintile": [str(q or "") for q in IMD], "core20": ["" if c is None else str(int(c)) for c in CORE20],
               "wimd_quintile": [str(q or "") for q in WIMD], "rural_urban": RURAL}
    columns.update(areas_extra or {})
    header = "area_code,country,icb,stroke_admissions," + ",".join(columns)
    lines = [",".join([a, c, "R1", str(p), *[columns[k][i] for k in columns]])
             for i, (a, c, p) in enumerate(zip(AREAS, COUNTRY, PATIENTS))]
    (folder / "areas.csv").write_text(header + "\n" + "\n".join(lines) + "\n")
    (folder / "sites.csv").write_text("site_code,thrombectomy,ivt\nH1,1,1\nH2,1,1\nS1,0,1\n")
    (folder / "travel_times.csv").write_text(
        "area_code,H1,H2,S1\n" + "".join(f"{a},{','.join(str(m) for m in row)}\n" for a, row in zip(AREAS, MINUTES)))
    return folder


def run(*args: str, columns: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HUBPLAN), *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": str(columns), "HOME": str(Path.home())})


def test_cli_evaluate_json_has_equity(tmp_path: Path) -> None:
    data = write_csv_network(tmp_path / "net")
    res = run("evaluate", "--data", str(data), "--hubs", "H1", "--pathway", "direct", "--format", "json")
    assert res.returncode == 0, res.stderr
    equity = json.loads(res.stdout)["equity"]
    q1, q5 = group(equity["groups"], "imd_quintile", "1"), group(equity["groups"], "imd_quintile", "5")
    assert q1["patients"] == 3 and q1["time_to_hub"]["mean"] == pytest.approx(40 / 3)
    assert q5["time_to_hub"]["mean"] == pytest.approx(160 / 3)
    assert equity["gaps"]["imd_q1_minus_q5_time_to_hub_mean_minutes"] == pytest.approx(-40.0)
    assert equity["gaps"]["wimd_q1_minus_q5_time_to_hub_mean_minutes"] is None
    assert group(equity["groups"], "core20", "rest")["time_to_hub"]["mean"] == pytest.approx(250 / 6)
    assert group(equity["groups"], "rural_urban", "urban")["time_to_hub"]["within"]["30"] == 0.75
    assert any("1 area (4 patients a year) left out" in n and "Wales" in n for n in equity["notes"])


def test_cli_compare_json_and_tables(tmp_path: Path) -> None:
    data = write_csv_network(tmp_path / "net")
    res = run("compare", "--data", str(data), "--a-hubs", "H1", "--b-hubs", "H2", "--a-pathway", "direct",
              "--format", "json")
    assert res.returncode == 0, res.stderr
    equity = json.loads(res.stdout)["equity"]
    q1 = group(equity["groups"], "imd_quintile", "1")
    assert q1["patients_longer"] == 3 and q1["mean_change_minutes"] == pytest.approx(70 / 3)
    assert group(equity["groups"], "rural_urban", "rural village and dispersed")["mean_change_minutes"] == -20.0
    assert equity["gaps"]["imd_q1_minus_q5_time_to_hub_mean_minutes"]["a"] == pytest.approx(-40.0)
    out = tmp_path / "out"
    res = run("compare", "--data", str(data), "--a-hubs", "H1", "--b-hubs", "H2", "--a-pathway", "direct",
              "--out", str(out), columns=80)
    assert res.returncode == 0, res.stderr
    assert "Who gains and who loses by deprivation and rurality" in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    table = pd.read_csv(out / "equity.csv")
    row = table[(table["grouping"] == "imd_quintile") & (table["group"].astype(str) == "5")].iloc[0]
    assert row["patients_longer"] == 1 and row["patients_shorter"] == 2
    assert row["mean_change_minutes"] == pytest.approx(-70 / 3, abs=1e-4)


def test_cli_evaluate_table_and_equity_csv(tmp_path: Path) -> None:
    data = write_csv_network(tmp_path / "net")
    out = tmp_path / "out"
    res = run("evaluate", "--data", str(data), "--hubs", "H1", "--pathway", "direct", "--out", str(out), columns=80)
    assert res.returncode == 0, res.stderr
    assert "Equity: minutes to hub by deprivation and rurality" in res.stdout
    assert "Mean minutes to hub, most minus least deprived fifth (IMD): -40.0" in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    table = pd.read_csv(out / "equity.csv")
    assert len(table) == 15
    urban = table[table["group"] == "urban"].iloc[0]
    assert urban["patients"] == 4 and urban["time_to_hub_mean"] == 20.0 and urban["time_to_hub_within_30"] == 0.75


def test_cli_without_the_columns(tmp_path: Path) -> None:
    data = tmp_path / "net"
    data.mkdir()
    (data / "areas.csv").write_text("area_code,icb,stroke_admissions\nA1,R1,2\nA2,R1,1\n")
    (data / "sites.csv").write_text("site_code,thrombectomy\nH1,1\n")
    (data / "travel_times.csv").write_text("area_code,H1\nA1,10\nA2,20\n")
    res = run("evaluate", "--data", str(data), "--hubs", "H1", "--pathway", "direct", "--format", "json",
              "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    equity = json.loads(res.stdout)["equity"]
    assert equity["groups"] == [] and equity["notes"][0].startswith("no equity breakdown")
    assert not (tmp_path / "out" / "equity.csv").exists()
    assert (tmp_path / "out" / "evaluation.json").exists()


@pytest.mark.parametrize(("column", "values", "message"), [
    ("imd_quintile", ["1", "1", "3", "6", "5", ""],
     "areas.csv row 5, column 'imd_quintile': expected a whole number from 1 to 5 (or an empty cell = unknown), "
     "got '6'"),
    ("core20", ["1", "1", "0", "0", "maybe", ""],
     "areas.csv row 6, column 'core20': expected a flag (1/0, true/false, yes/no) (or an empty cell = unknown), "
     "got 'maybe'"),
    ("rural_urban", ["urban", "urban", "rural", "urban", "urban", "urban"],
     "areas.csv row 4, column 'rural_urban': expected one of 'urban', 'rural town and fringe', "
     "'rural village and dispersed' (or an empty cell = unknown), got 'rural'"),
])
def test_cli_bad_attribute_values(tmp_path: Path, column: str, values: list[str], message: str) -> None:
    data = write_csv_network(tmp_path / "net", {column: values})
    res = run("evaluate", "--data", str(data), "--hubs", "H1", "--pathway", "direct", "--format", "json")
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip().splitlines() == [f"error: {message}"]


def test_cli_quintile_that_contradicts_its_decile(tmp_path: Path) -> None:
    data = write_csv_network(tmp_path / "net", {"imd_decile": ["1", "2", "5", "9", "9", ""]})  # A4 decile 9: 5
    res = run("evaluate", "--data", str(data), "--hubs", "H1", "--pathway", "direct", "--format", "json")
    assert res.returncode == 0, res.stderr  # consistent: quintiles 1, 1, 3, 5, 5
    data = write_csv_network(tmp_path / "bad", {"imd_decile": ["1", "2", "5", "7", "9", ""]})
    res = run("evaluate", "--data", str(data), "--hubs", "H1", "--pathway", "direct", "--format", "json")
    assert res.returncode == 2
    assert res.stderr.strip() == "error: areas.csv row 5, column 'imd_quintile': expected 4 for imd_decile '7', got '5'"


@pytest.mark.parametrize(("core20", "message"), [
    (["1", "0", "0", "0", "0", ""], "expected 1 for imd_decile '2', got '0'"),
    (["Yes", "No", "No", "No", "No", ""], "expected Yes for imd_decile '2', got 'No'"),
    (["TRUE", "FALSE", "FALSE", "FALSE", "FALSE", ""], "expected TRUE for imd_decile '2', got 'FALSE'"),
])
def test_cli_core20_that_contradicts_its_decile_is_named_in_the_files_words(
        tmp_path: Path, core20: list[str], message: str) -> None:
    data = write_csv_network(tmp_path / "net", {"imd_decile": ["1", "2", "5", "9", "9", ""], "core20": core20,
                                                 "imd_quintile": ["1", "1", "3", "5", "5", ""]})
    res = run("evaluate", "--data", str(data), "--hubs", "H1", "--pathway", "direct", "--format", "json")
    assert res.returncode == 2
    assert res.stderr.strip() == f"error: areas.csv row 3, column 'core20': {message}"


# ----------------------------------------------------------------------------- national
@pytest.mark.slow
def test_national_imd_quintiles_cover_england(england, bundled) -> None:
    option = Option.from_capability(england, "thrombectomy", name="today's centres, direct", pathway="direct")
    assert len(option.hubs) == 24
    ev = evaluate(england, SERVICE, option)
    equity = ev.equity_json()
    imd = [g for g in equity["groups"] if g["grouping"] == "imd_quintile"]
    assert sum(g["patients"] for g in imd) == pytest.approx(ev.summary["patients"], rel=1e-12)
    assert sum(g["areas"] for g in imd) == england.n_areas  # every English area, once
    assert not any(n.startswith("IMD quintile") for n in equity["notes"])
    # independently: nearest of the 24 centres by road, weighted by admissions, per quintile
    hubs = england.site_positions(option.hubs)
    nearest = england.area_site_minutes[:, hubs].min(axis=1).astype(np.float64)
    frame = pd.DataFrame({"q": england.areas["imd_quintile"].to_numpy(dtype=float),
                          "w": england.areas["stroke_admissions"].to_numpy(), "t": nearest})
    means = frame.groupby("q").apply(lambda d: np.average(d["t"], weights=d["w"]), include_groups=False)
    for g in imd:
        assert g["time_to_hub"]["mean"] == pytest.approx(means[float(g["group"])], rel=1e-6)
    gap = equity["gaps"]["imd_q1_minus_q5_time_to_hub_mean_minutes"]
    assert gap == pytest.approx(means[1.0] - means[5.0], rel=1e-6)
    frame["r"] = england.areas["rural_urban"].to_numpy(dtype=object)
    rural = frame.groupby("r").apply(lambda d: np.average(d["t"], weights=d["w"]), include_groups=False)
    for key in ("urban", "rural town and fringe", "rural village and dispersed"):
        assert group(equity["groups"], "rural_urban", key)["time_to_hub"]["mean"] == pytest.approx(rural[key], rel=1e-6)
    # the figures of README.md and docs/equity.md
    assert (round(means[1.0], 1), round(means[5.0], 1), round(means[5.0] - means[1.0], 1)) == (29.4, 35.9, 6.5)
    assert (round(rural["rural village and dispersed"], 1), round(rural["urban"], 1)) == (53.5, 32.2)
    assert round(rural["rural village and dispersed"] - rural["urban"], 1) == 21.3
    # the whole network: IMD leaves out exactly the Welsh areas, and says so
    whole = evaluate(bundled, SERVICE, Option.from_capability(bundled, "thrombectomy", pathway="direct"))
    welsh = int((bundled.areas["country"] == "Wales").sum())
    imd_all = [g for g in whole.equity_json()["groups"] if g["grouping"] == "imd_quintile"]
    assert sum(g["areas"] for g in imd_all) == bundled.n_areas - welsh
    assert any(n.startswith(f"IMD quintile (England): {welsh:,} areas") and "in Wales" in n
               for n in whole.equity_json()["notes"])
