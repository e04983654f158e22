"""Every table hubplan prints fits the width of standard output (``COLUMNS``).

The installed ``hubplan`` runs in a subprocess with ``COLUMNS`` set; every line of its
stdout must be at most that wide (display cells, as a terminal counts them), no cell may
be cut with an ellipsis, and the figures worked out by hand for a tiny network must all
be there, whole. Tables too wide for the terminal wrap their text, drop to a narrower
layout with a note saying what is hidden, or are split into parts that repeat their key
column; they are never cropped.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

HUBPLAN = Path(sys.executable).parent / "hubplan"
#: Every command at the narrow widths; those whose layout changes as the terminal widens
#: (site names, flags and region columns come back) at the wide ones too.
NARROW = (60, 80)
WIDTHS = (60, 80, 120, 200)

# ---------------------------------------------------------------- the tiny network
# Four areas, two thrombectomy centres (H1, H2) and one stroke unit (S1); minutes by road:
#            H1   H2   S1   patients a year (stroke admissions)
#   A1       10   50    5   10   NHS Northshire and Westvale Integrated Care Board
#   A2       30   20   15   20   NHS Northshire and Westvale Integrated Care Board
#   A3       40   25   10   30   NHS Southmoor Integrated Care Board
#   A4       60   15   35   40   NHS Southmoor Integrated Care Board
MINUTES = {"A1": (10, 50, 5), "A2": (30, 20, 15), "A3": (40, 25, 10), "A4": (60, 15, 35)}
PATIENTS = {"A1": 10, "A2": 20, "A3": 30, "A4": 40}
NORTH, SOUTH = "NHS Northshire and Westvale Integrated Care Board", "NHS Southmoor Integrated Care Board"
ICB = {"A1": NORTH, "A2": NORTH, "A3": SOUTH, "A4": SOUTH}
SITES = {
    "H1": ("Alpha General Hospital, Northtown", NORTH, "Northshire and Westvale", True),
    "H2": ("Beta Royal Infirmary, Southmoor", SOUTH, "Southmoor and Coast", True),
    "S1": ("Gamma Community Hospital, Easthaven", SOUTH, "Southmoor and Coast", False),
}
# Direct to H1 and H2: A1 -> H1 10, A2 -> H2 20, A3 -> H2 25, A4 -> H2 15 minutes, so the
# mean is (10x10 + 20x20 + 30x25 + 40x15) / 100 = 18.5; 90% of patients are within 25.0
# (the lower weighted quantile) and all within 30 minutes. H1 catches 10 patients, H2 90.
# By ICB: Northshire (10x10 + 20x20) / 30 = 16.7, Southmoor (30x25 + 40x15) / 70 = 19.3.
# H1 alone: (10x10 + 20x30 + 30x40 + 40x60) / 100 = 43.0, p90 60.0, 30.0% within 30 min and
# 60.0% within 45. From H1 alone to H1 and H2, 90 patients (A2-A4) get a shorter journey, by
# (20x10 + 30x15 + 40x45) / 90 = 27.2 minutes on average, and 10 (A1) the same.
# Best k sites: k=1 S1 (5, 15, 10, 35 -> 20.5); k=2 H2 and S1 (5, 15, 10, 15 -> 12.5), which
# beats H1+H2 (18.5) and H1+S1 (5, 15, 10, 35 -> 20.5); k=3 also 12.5.


def _write_network(folder: Path) -> Path:
    folder.mkdir()
    with open(folder / "areas.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["area_code", "area_name", "country", "icb", "stroke_admissions"])
        for code in MINUTES:
            w.writerow([code, f"Area {code}", "England", ICB[code], PATIENTS[code]])
    with open(folder / "sites.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["site_code", "site_name", "country", "icb", "isdn", "thrombectomy", "ivt"])
        for code, (name, icb, isdn, centre) in SITES.items():
            w.writerow([code, name, "England", icb, isdn, centre, True])
    with open(folder / "travel_times.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["area_code", "site_code", "minutes"])
        for area, minutes in MINUTES.items():
            for site, m in zip(SITES, minutes):
                w.writerow([area, site, m])
    return folder


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_network(tmp_path_factory.mktemp("width") / "net")


def hubplan(columns: int | None, *args: str) -> str:
    """stdout of ``hubplan ARGS`` with ``COLUMNS`` set (removed when ``None``); must succeed."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    res = subprocess.run([str(HUBPLAN), *args], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    return res.stdout


def assert_fits(stdout: str, columns: int) -> None:
    """Every line at most ``columns`` display cells, no cell cut, no table cropped."""
    lines = stdout.splitlines()
    assert lines, "no output"
    too_wide = [line for line in lines if cell_len(line) > columns]
    assert not too_wide, f"{len(too_wide)} lines wider than {columns}: {too_wide[0]!r}"
    assert "…" not in stdout
    for line in lines:  # a table row that starts with a border ends with one (not cropped)
        if line[:1] in "│┃┏┡└":
            assert line.rstrip()[-1:] in "│┃┓┩┘", f"cropped: {line!r}"


def words(stdout: str) -> set[str]:
    """The words shown, without table borders and trailing commas (a cut or folded word is
    not among them)."""
    return {w.rstrip(",;") for w in re.findall(r"[^\s│┃]+", stdout)}


def assert_shown(stdout: str, *texts: str) -> None:
    """Each text's words are all shown whole (a text may wrap across lines)."""
    shown = words(stdout)
    for text in texts:
        missing = [w for w in text.split() if w.rstrip(",;") not in shown]
        assert not missing, f"{text!r}: {missing} not shown"


def row_with(stdout: str, first: str, *values: str) -> bool:
    """Some line holds ``first`` and then each of ``values`` (a table row, in any layout part)."""
    pattern = r"(?<![\w.])" + r"(?![\w.]).*(?<![\w.])".join(map(re.escape, (first, *values))) + r"(?![\w.])"
    return any(re.search(pattern, line) for line in stdout.splitlines())


def hidden_or_shown(stdout: str, what: str, *texts: str) -> None:
    """``texts`` are shown, or a note says that ``what`` is hidden at this width."""
    if f"({what} hidden at this width" not in " ".join(stdout.split()):
        assert_shown(stdout, *texts)


# ---------------------------------------------------------------- commands on the tiny network
@pytest.mark.parametrize("columns", WIDTHS)
def test_sites(network: Path, columns: int) -> None:
    out = hubplan(columns, "sites", "--data", str(network))
    assert_fits(out, columns)
    assert_shown(out, "H1", "H2", "S1", "thrombectomy", "ivt")
    assert_shown(out, *(name for name, _, _, _ in SITES.values()))
    hidden_or_shown(out, "isdn", "Northshire and Westvale", "Southmoor and Coast")
    hidden_or_shown(out, "icb and isdn", NORTH, SOUTH)


@pytest.mark.parametrize("columns", NARROW)
def test_regions(network: Path, columns: int) -> None:
    out = hubplan(columns, "regions", "--data", str(network))
    assert_fits(out, columns)
    assert_shown(out, NORTH, SOUTH, "England")
    assert row_with(out, "England", "4", "3")  # 4 areas, 3 sites


@pytest.mark.parametrize("columns", WIDTHS)
def test_evaluate(network: Path, columns: int) -> None:
    out = hubplan(columns, "evaluate", "--data", str(network), "--hubs", "H1,H2", "--pathway", "direct",
                  "--by", "icb")
    assert_fits(out, columns)
    assert_shown(out, "18.5", "25.0", "100.0%", "H1", "H2", NORTH, SOUTH)
    assert row_with(out, "H1", "10") and row_with(out, "H2", "90")  # catchments
    assert row_with(out, "Southmoor", "70", "19.3", "25.0") and row_with(out, "Northshire", "30", "16.7", "20.0")


@pytest.mark.parametrize("columns", NARROW)
def test_compare(network: Path, columns: int) -> None:
    out = hubplan(columns, "compare", "--data", str(network), "--a-hubs", "H1", "--b-hubs", "H1,H2",
                  "--a-pathway", "direct")
    assert_fits(out, columns)
    assert_shown(out, "43.0", "60.0", "30.0%", "60.0%", "18.5", "25.0", "27.2", "90")
    assert_shown(out, "A: 1 hub, direct", "B: 2 hubs, direct")


@pytest.mark.parametrize("columns", NARROW)
def test_optimise(network: Path, columns: int) -> None:
    out = hubplan(columns, "optimise", "--data", str(network), "--k", "2", "--pathway", "direct")
    assert_fits(out, columns)
    assert_shown(out, "12.500", "12.5", "H2", "S1")
    assert row_with(out, "hubs", "2:", "H2,", "S1") or row_with(out, "hubs", "2:", "S1,", "H2")


@pytest.mark.parametrize("columns", NARROW)
def test_sweep(network: Path, columns: int) -> None:
    out = hubplan(columns, "sweep", "--data", str(network), "--k", "1..3", "--pathway", "direct",
                  "--pareto", "0,20", "--pareto-k", "2")
    assert_fits(out, columns)
    assert row_with(out, "1", "20.5", "20.5") and row_with(out, "2", "12.5", "12.5")
    assert row_with(out, "3", "12.5", "12.5")


@pytest.mark.parametrize("columns", WIDTHS)
def test_capacity(network: Path, columns: int) -> None:
    out = hubplan(columns, "capacity", "--data", str(network), "--hubs", "H1,H2", "--pathway", "direct",
                  "--all-sites")
    assert_fits(out, columns)
    # direct: each hub admits its catchment; a tenth have a procedure; 3-day stays:
    # 10 x 3 / 365 = 0.1 and 90 x 3 / 365 = 0.7 beds occupied on average; a rota of 5
    # (the columns may be split into parts that each repeat the site code)
    for site, values in (("H1", ("10", "1", "0.1", "5", "0.2")), ("H2", ("90", "9", "0.7", "5", "1.8"))):
        assert all(row_with(out, site, value) for value in values), site
    hidden_or_shown(out, "site names", SITES["H1"][0], SITES["H2"][0])


@pytest.mark.parametrize("columns", WIDTHS)
def test_workforce(network: Path, columns: int) -> None:
    out = hubplan(columns, "workforce", "--data", str(network), "--hubs", "H1,H2", "--pathway", "direct",
                  "--workforce", "3", "--workforce", "40", "--by", "country")
    assert_fits(out, columns)
    # a rota of 5 at each hub: 10 needed; procedures 1 and 9 a year, 0.2 and 1.8 per operator
    assert row_with(out, "H1", "10", "1", "5", "0.2") and row_with(out, "H2", "90", "9", "5", "1.8")
    assert row_with(out, "3", "10", "7.0") and row_with(out, "40", "10", "0.0")
    hidden_or_shown(out, "site names", SITES["H1"][0], SITES["H2"][0])


PROVIDERS = [  # 400 of 4,000 overall: the target is 10%
    ("Royal Northshire University Hospital", "North", 50), ("Southmoor General Hospital", "South", 48),
    ("Easthaven and Westvale Community Hospital", "East", 52), ("Alpha Teaching Hospital", "North", 90),
    ("Beta District Hospital", "South", 10), ("Gamma Hospital", "East", 55), ("Delta Infirmary", "West", 45),
    ("Epsilon Hospital", "West", 50),
]


@pytest.mark.parametrize("columns", WIDTHS)
def test_benchmark(tmp_path: Path, columns: int) -> None:
    """Normal limits, no overdispersion: z = (p - 0.1) / sqrt(0.1 x 0.9 / 500) = +-5.96 for
    Alpha (90 of 500) and Beta (10 of 500), both beyond 3.09 (alarms); the 95% limits are
    10 +- 1.96 x 1.3416 = 7.37 to 12.63 per 100, shown to one decimal as 7.4-12.6."""
    path = tmp_path / "providers.csv"
    path.write_text("provider,region,numerator,denominator\n"
                    + "".join(f"{p},{r},{n},500\n" for p, r, n in PROVIDERS))
    out = hubplan(columns, "benchmark", str(path), "--overdispersion", "none", "--limits", "normal", "--per", "100")
    assert_fits(out, columns)
    assert row_with(out, "target", "10")
    assert row_with(out, "Alpha", "alarm_high") or row_with(out, "Alpha", "5.96")
    assert_shown(out, "Alpha Teaching Hospital", "Beta District Hospital", "5.96", "-5.96", "7.4-12.6",
                 "alarm_high", "alarm_low", "North", "South", "East", "West")


@pytest.mark.parametrize("columns", NARROW)
def test_appraise(network: Path, tmp_path: Path, columns: int) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(f"""schema_version = 1
title = "Northshire and Southmoor: thrombectomy centres"
[network]
data = "{network.as_posix()}"
[service]
preset = "thrombectomy"
[[options]]
name = "Alpha General alone"
hubs = ["H1"]
pathway = "direct"
[[options]]
name = "Alpha General and Beta Royal"
hubs = ["H1", "H2"]
pathway = "direct"
[appraisal]
baseline = "Alpha General alone"
region_type = "icb"
draws = 200
""")
    out = hubplan(columns, "appraise", str(scenario))
    assert_fits(out, columns)
    assert_shown(out, "Alpha General alone", "Alpha General and Beta Royal", "43.0", "18.5", "60.0", "25.0")


def test_piped_output_without_columns_is_120_wide(network: Path) -> None:
    """COLUMNS unset and stdout a pipe: laid out for 120 columns (the sites table is wider)."""
    out = hubplan(None, "sites", "--data", str(network))
    widest = max(cell_len(line) for line in out.splitlines())
    assert 80 < widest <= 120
    assert_fits(out, 120)
    assert_shown(out, NORTH, "Northshire and Westvale")


# ---------------------------------------------------------------- the bundled data, one region
def test_bundled_region_sites_capacity_and_evaluate(bundled) -> None:
    wessex = bundled.restrict(region="Wessex")
    codes = list(wessex.site_codes)
    out = hubplan(60, "sites", "--region", "Wessex")
    assert_fits(out, 60)
    assert_shown(out, *codes)
    out = hubplan(80, "capacity", "--region", "Wessex", "--all-sites")
    assert_fits(out, 80)
    assert_shown(out, *codes)
    centres = list(wessex.sites_with("thrombectomy"))
    out = hubplan(80, "evaluate", "--region", "Wessex", "--pathway", "treat_and_transfer")
    assert_fits(out, 80)
    assert centres and all(row_with(out, code) for code in centres)


def test_info_notes_fit(bundled) -> None:
    out = hubplan(80, "info")
    assert_fits(out, 80)
    assert_shown(out, "hubplan", "numpy", "cache:", *bundled.notes)


# `hubplan demo` at 80 columns: tests/test_national.py::test_demo_writes_its_files checks its
# layout with these helpers on the same run that checks its files (one demo run, not two).


# ---------------------------------------------------------------- the layout helper itself
def _console(width: int) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, color_system=None, legacy_windows=False), buffer


def test_fit_narrows_text_never_numbers() -> None:
    from hubplan.cli._layout import print_table

    table = Table()
    table.add_column("name", overflow="fold")
    table.add_column("patients a year", justify="right", no_wrap=True)
    table.add_row("Queen Elizabeth the Queen Mother Hospital, Margate", "1,234,567")
    console, buffer = _console(40)
    print_table(table, console=console)
    text = buffer.getvalue()
    assert_fits(text, 40)
    assert_shown(text, "1,234,567", "Queen Elizabeth the Queen Mother Hospital, Margate", "patients a year")


def test_too_wide_table_is_split_repeating_its_key_column() -> None:
    from hubplan.cli._layout import print_table

    table = Table(title="wide")
    table.add_column("site", no_wrap=True)
    for i in range(8):
        table.add_column(f"measure {i}", justify="right", no_wrap=True)
    table.add_row("RM70AG", *(f"{1000 + i:,}" for i in range(8)))
    table.add_row("SO166YD", *(f"{2000 + i:,}" for i in range(8)))
    console, buffer = _console(50)
    print_table(table, console=console)
    text = buffer.getvalue()
    assert_fits(text, 50)
    assert text.count("SO166YD") >= 2  # the key column in every part
    assert_shown(text, *(f"{1000 + i:,}" for i in range(8)), *(f"{2000 + i:,}" for i in range(8)))
    for i in range(8):
        assert f"measure {i}" in text
