"""``hubplan benchmark``: output files, the JSON contract, and exit status 2 for bad files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hubplan.cli import main

# 14 providers; overdispersed (phi = 1.97, tau2 = 0.00051): with additive limits only Echo
# (5/200) is an outlier; Golf and Lima are alerts only without adjustment.
GOOD = (
    "provider,numerator,denominator,region\n"
    "Alpha,38,200,North\n"
    "Bravo,45,300,North\n"
    "Charlie,14,150,North\n"
    "Delta,46,400,South\n"
    "Echo,5,200,South\n"
    "Foxtrot,38,250,West\n"
    "Golf,56,300,West\n"
    "Hotel,26,220,West\n"
    "India,52,350,North\n"
    "Juliet,41,280,South\n"
    "Kilo,36,190,West\n"
    "Lima,80,420,South\n"
    "Mike,30,260,North\n"
    "November,48,310,West\n"
)


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the command in-process through ``main`` (exit status, stdout, stderr with spaces collapsed)."""
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setattr(sys, "argv", ["hubplan", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, " ".join(captured.err.split())


def write(tmp_path: Path, text: str, name: str = "providers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_done_when_command_writes_everything(monkeypatch, capsys, tmp_path):
    csv = write(tmp_path, GOOD)
    out = tmp_path / "out"
    status, stdout, stderr = run(monkeypatch, capsys, "benchmark", str(csv), "--indicator", "proportion",
                                 "--overdispersion", "additive", "--out", str(out))
    assert status == 0, stderr
    assert "phi" in stdout and "tau2" in stdout and "Outliers" in stdout
    assert "Echo" in stdout and "alarm_low" in stdout
    assert "Golf" not in stdout.split("Outliers")[1].split("By region")[0]
    for name in ("providers.csv", "outliers.csv", "regions.csv", "funnel_limits.csv", "summary.json",
                 "funnel.png", "funnel.html", "regions_funnel.png", "regions_funnel.html"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "funnel.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "funnel.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html and '<script src="https://cdn.plot.ly' not in html
    assert "Echo" in html
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overdispersion"] == "additive"
    assert "Echo" in (out / "outliers.csv").read_text()


def test_json_contract_on_stdout(monkeypatch, capsys, tmp_path):
    csv = write(tmp_path, GOOD)
    status, stdout, _ = run(monkeypatch, capsys, "benchmark", str(csv), "--format", "json",
                            "--overdispersion", "none")
    assert status == 0
    data = json.loads(stdout)
    assert {"indicator", "target", "overdispersion", "phi", "tau2", "providers"} <= set(data)
    assert data["target"] == pytest.approx(555 / 3830)
    echo = next(p for p in data["providers"] if p["provider"] == "Echo")
    assert echo["numerator"] == 5 and echo["denominator"] == 200 and echo["value"] == pytest.approx(0.025)
    assert echo["flag"] == "alarm_low"
    assert data["counts"]["unadjusted"] == data["counts"]["adjusted"]
    assert data["counts"]["adjusted"]["outside_95"] == 3  # Echo, Golf, Lima
    for key in ("z", "lower_95", "upper_95", "lower_998", "upper_998"):
        assert isinstance(echo[key], float)


def test_ratio_file_with_observed_and_expected(monkeypatch, capsys, tmp_path):
    csv = write(tmp_path, "provider,observed,expected\nA,12,10.5\nB,30,20\nC,4,9\nD,15,15.2\n")
    status, stdout, stderr = run(monkeypatch, capsys, "benchmark", str(csv), "--indicator", "ratio",
                                 "--format", "json")
    assert status == 0, stderr
    data = json.loads(stdout)
    assert data["indicator"] == "ratio" and data["target"] == 1.0
    assert data["providers"][0]["observed"] == 12 and data["providers"][0]["expected"] == 10.5


def test_column_options(monkeypatch, capsys, tmp_path):
    csv = write(tmp_path, "org_code,breaches,attendances,months\nR1,100,1000,12\nR2,300,2000,12\nR3,90,1200,12\n")
    status, stdout, stderr = run(monkeypatch, capsys, "benchmark", str(csv), "--provider-col", "org_code",
                                 "--numerator-col", "breaches", "--denominator-col", "attendances",
                                 "--format", "json", "--per", "100")
    assert status == 0, stderr
    data = json.loads(stdout)
    assert [p["provider"] for p in data["providers"]] == ["R1", "R2", "R3"]
    assert data["providers"][0]["value"] == pytest.approx(10.0)


@pytest.mark.parametrize("text, message", [
    ("provider,numerator,denominator\nA,30,200\nB,45,40\n",
     "row 3: numerator 45 is above denominator 40; a proportion needs numerator <= denominator"),
    ("provider,numerator,denominator\nA,-3,200\nB,45,400\n",
     "row 2, column 'numerator': expected a count >= 0, got '-3'"),
    ("provider,numerator,denominator\nA,3,200\nB,0,0\n",
     "row 3, column 'denominator': expected a denominator > 0, got '0'"),
    ("provider,numerator,denominator\nA,3,200\nB,4,100\nA,5,90\n",
     "rows 2 and 4 both have provider 'A': expected one row per provider"),
    ("provider,numerator,denominator\nA,3,200\nB,four,100\n",
     "row 3, column 'numerator': expected a number, got 'four'"),
    ("provider,numerator,denominator\nA,3,200\nB,,100\n",
     "row 3, column 'numerator': expected a number, got an empty cell"),
    ("provider,events,denominator\nA,3,200\nB,4,100\n",
     "missing column 'numerator' or 'observed'; expected columns provider, numerator, denominator[, region]"),
    ("provider,numerator,denominator\nA,3,200\nB,4\n",
     "row 3: expected 3 fields like the header, found 2"),
    ("", "the file is empty; expected a header row"),
    ("provider,numerator,denominator\nA,3,200\n", "found 1 provider row(s); a funnel plot needs at least 2"),
    ("provider,numerator,denominator,region\nA,3,200,N\nB,4,100,\n",
     "row 3, column 'region': expected a region, got an empty cell"),
])
def test_bad_files_exit_2_with_a_message(monkeypatch, capsys, tmp_path, text, message):
    csv = write(tmp_path, text, "bad.csv")
    status, stdout, stderr = run(monkeypatch, capsys, "benchmark", str(csv))
    assert status == 2
    assert stdout == ""
    assert str(csv) in stderr and message in stderr
    assert "Traceback" not in stderr


def test_blank_lines_keep_row_numbers(monkeypatch, capsys, tmp_path):
    csv = write(tmp_path, "provider,numerator,denominator\n\nA,3,200\nB,9,5\n", "gaps.csv")
    status, _, stderr = run(monkeypatch, capsys, "benchmark", str(csv))
    assert status == 2 and "row 4: numerator 9 is above denominator 5" in stderr


def test_missing_file_and_bad_option(monkeypatch, capsys, tmp_path):
    status, _, stderr = run(monkeypatch, capsys, "benchmark", str(tmp_path / "nope.csv"))
    assert status == 2 and "nope.csv: file not found" in stderr
    csv = write(tmp_path, GOOD)
    status, _, stderr = run(monkeypatch, capsys, "benchmark", str(csv), "--overdispersion", "big")
    assert status == 2 and "overdispersion 'big': expected one of none, multiplicative, additive" in stderr
    status, _, stderr = run(monkeypatch, capsys, "benchmark", str(csv), "--indicator", "ratio", "--scale", "arcsine")
    assert status == 2 and "scale 'arcsine' does not suit a ratio" in stderr
    status, _, stderr = run(monkeypatch, capsys, "benchmark", str(csv), "--region-col", "icb")
    assert status == 2 and "missing column 'icb'" in stderr


def test_out_writes_a_workbook_of_its_tables(tmp_path):
    """The installed ``hubplan benchmark --out`` also writes benchmark.xlsx: one sheet per CSV
    with the same rows and values (read back with openpyxl), headers in words, an About
    sheet with the command; ``--no-workbook`` leaves it out."""
    import csv
    import math
    import subprocess

    from openpyxl import load_workbook

    exe = Path(sys.executable).with_name("hubplan")
    data = write(tmp_path, GOOD)
    out = tmp_path / "out"
    done = subprocess.run([str(exe), "benchmark", str(data), "--out", str(out), "--format", "json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "benchmark.xlsx" in done.stderr and json.loads(done.stdout)
    book = load_workbook(out / "benchmark.xlsx", read_only=True)
    assert book.sheetnames == ["About", "Columns", "providers", "outliers", "funnel_limits", "regions"]
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert about["Command"].startswith("hubplan benchmark ") and str(data) in about["Command"]
    for name in ("providers", "outliers", "funnel_limits", "regions"):
        with open(out / f"{name}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        sheet = list(book[name].iter_rows(values_only=True))
        assert len(sheet) == len(rows)
        for got, want in zip(sheet[1:], rows[1:]):
            for g, w in zip(got, want):
                if w == "":
                    assert g is None
                else:
                    try:
                        assert math.isclose(float(g), float(w), rel_tol=1e-12, abs_tol=1e-12)
                    except ValueError:
                        assert str(g) == w
    headers = [c for c in next(book["providers"].iter_rows(values_only=True))]
    assert headers[:5] == ["Provider", "Region", "Numerator", "Denominator", "Value"]
    assert "Lower 99.8% limit, unadjusted" in headers and "z-score, adjusted for overdispersion" in headers
    regions = next(book["regions"].iter_rows(values_only=True))
    assert "Providers with an alarm, low" in regions
    again = tmp_path / "again"
    done = subprocess.run([str(exe), "benchmark", str(data), "--out", str(again), "--no-workbook"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not (again / "benchmark.xlsx").exists() and (again / "providers.csv").exists()
