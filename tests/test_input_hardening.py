"""Bad input files get one line on stderr, exit status 2 and no traceback (and the same InputError
from the Python API): unreadable, undecodable, binary, with a byte-order mark, a folder in place of
a file, too large, duplicated headers, impossible numbers, missing pairs, ragged rows.

The network ``NET`` has three areas (A1, A2, A3: 10, 5, 5 patients), a hub H1 and spokes S1, S2:

    minutes   H1  S1  S2          site to site: S1->H1 12, S2->H1 20 (and back), S1<->S2 25
    A1        20  10  30
    A2        15  30  25
    A3        40  35   5

Direct to H1: (20*10 + 15*5 + 40*5) / 20 = 23.75 minutes. Treat and transfer with bypass 0 and a
60-minute transfer delay: A1 goes to S1 (10 < 20) then 10 + 60 + 12 = 82; A2 goes straight to H1
(15 < 25) = 15; A3 goes to S2 (5) then 5 + 60 + 20 = 85; mean (820 + 75 + 425) / 20 = 66.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hubplan import InputError, Option, Service, evaluate, load_csv_network
from hubplan.monitoring.benchmark import read_providers_csv
from hubplan.planning.scenario import load_scenario

HUBPLAN = Path(sys.executable).parent / "hubplan"

AREAS = ("area_code,area_name,icb,stroke_admissions\n"
         "A1,North Village,N,10\nA2,South Village,S,5\nA3,East Village,S,5\n")
SITES = "site_code,site_name,thrombectomy,ivt\nH1,Hub One,1,1\nS1,Spoke One,0,1\nS2,Spoke Two,0,1\n"
TRAVEL = ("area_code,site_code,minutes\n"
          "A1,H1,20\nA1,S1,10\nA1,S2,30\nA2,H1,15\nA2,S1,30\nA2,S2,25\nA3,H1,40\nA3,S1,35\nA3,S2,5\n")
SITE_TIMES = "from_site,to_site,minutes\nH1,S1,12\nS1,H1,12\nH1,S2,20\nS2,H1,20\nS1,S2,25\nS2,S1,25\n"
BOM = b"\xef\xbb\xbf"
NOT_UTF8 = "hubplan reads UTF-8: save the file as UTF-8 (in Excel: 'CSV UTF-8')"
PERMISSION = "permission denied (hubplan may not read this file; check its permissions)"
DIRECT = ["evaluate", "--hubs", "H1", "--pathway", "direct", "--format", "json"]
TRANSFER = ["evaluate", "--hubs", "H1", "--spokes", "S1,S2", "--pathway", "treat_and_transfer",
            "--bypass", "0", "--transfer-delay", "60", "--format", "json"]


def net(folder: Path, **files: str | bytes) -> Path:
    """The network folder NET, with some files replaced (text or bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    content: dict[str, str | bytes] = {"areas": AREAS, "sites": SITES, "travel_times": TRAVEL,
                                       "site_times": SITE_TIMES}
    content.update(files)
    for name, data in content.items():
        path = folder / f"{name}.csv"
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return folder


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(HUBPLAN), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})})


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The message of a failed run, after checking exit 2, empty stdout, one stderr line, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0][len("error: "):]


def api_error(*args: object) -> str:
    with pytest.raises(InputError) as info:
        load_csv_network(*args)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    return message


def final_error(result: subprocess.CompletedProcess) -> str:
    """As :func:`one_line_error` for ``hubplan appraise``, whose progress lines may come first."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2 and result.stdout == "", (result.returncode, result.stderr)
    *progress, last = result.stderr.splitlines()
    assert all(re.match(r"\s*\d+\.\d s \w", line) for line in progress), result.stderr
    assert last.startswith("error: ")
    return last[len("error: "):]


def cli_and_api(folder: Path, expected: str, command: list[str] = DIRECT, *, cli: bool = True) -> None:
    """The Python API gives the one-line message, and so does the command line (``cli``; not for
    every variant of a case, to keep the tests quick)."""
    assert api_error(folder) == expected
    if cli:
        assert one_line_error(run(*command, "--data", str(folder))) == expected


def summary(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


#: Runs the real command line in a process whose reads of one file fail with PermissionError
#: (as for a file without read permission; the tests run as root, which may read anything).
DENY = """
import pathlib, sys
import pandas
target = pathlib.Path(sys.argv[1]).resolve()
def deny(path):
    if pathlib.Path(path).resolve() == target:
        raise PermissionError(13, "Permission denied", str(path))
real_read_bytes, real_read_csv = pathlib.Path.read_bytes, pandas.read_csv
def read_bytes(self):
    deny(self)
    return real_read_bytes(self)
def read_csv(path, *args, **kwargs):
    deny(path)
    return real_read_csv(path, *args, **kwargs)
pathlib.Path.read_bytes = read_bytes
pandas.read_csv = read_csv
from hubplan.cli._app import main
sys.argv = ["hubplan", *sys.argv[2:]]
main()
"""


def run_denied(target: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", DENY, str(target), *args], capture_output=True, text=True)


# ----------------------------------------------------------------------------- the valid network
def test_valid_network_gives_the_hand_worked_times(tmp_path):
    folder = net(tmp_path / "net")
    assert summary(run(*DIRECT, "--data", str(folder)))["summary"]["time_to_hub"]["mean"] == pytest.approx(23.75)
    assert summary(run(*TRANSFER, "--data", str(folder)))["summary"]["time_to_hub"]["mean"] == pytest.approx(66)


# ----------------------------------------------------------------------------- 1. tracebacks before
@pytest.mark.parametrize(("name", "cli"), [("areas", True), ("sites", False), ("travel_times", False),
                                         ("site_times", True)])
def test_a_folder_in_place_of_a_csv_file(tmp_path, name, cli):
    folder = net(tmp_path / "net")
    (folder / f"{name}.csv").unlink()
    (folder / f"{name}.csv").mkdir()
    cli_and_api(folder, f"{folder / name}.csv: expected a CSV file, found a folder", cli=cli)


@pytest.mark.parametrize(("name", "cli"), [("areas", False), ("sites", False), ("travel_times", True),
                                         ("site_times", False)])
def test_a_csv_file_that_may_not_be_read(tmp_path, monkeypatch, name, cli):
    folder = net(tmp_path / "net")
    target = folder / f"{name}.csv"
    expected = f"{target}: {PERMISSION}"
    if cli:
        assert one_line_error(run_denied(target, *DIRECT, "--data", str(folder))) == expected
    real = pd.read_csv

    def read_csv(path, *args, **kwargs):
        if Path(path) == target:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", read_csv)
    assert api_error(folder) == expected


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may read a file without permissions")
def test_a_csv_file_without_read_permission(tmp_path):
    folder = net(tmp_path / "net")
    target = folder / "sites.csv"
    target.chmod(0)
    try:
        cli_and_api(folder, f"{target}: {PERMISSION}")
    finally:
        target.chmod(0o644)


def test_a_hubs_file_that_may_not_be_read(tmp_path):
    folder = net(tmp_path / "net")
    hubs = tmp_path / "hubs.txt"
    hubs.write_text("H1\n")
    result = run_denied(hubs, "evaluate", "--data", str(folder), "--hubs", str(hubs))
    assert one_line_error(result) == f"--hubs {hubs}: {PERMISSION}"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"H1\nS\xe91\n", "line 2: not UTF-8 text (byte 0xe9)"),  # latin-1
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "line 1: not UTF-8 text (byte 0x89)"),  # an image
    ],
)
def test_a_hubs_file_that_is_not_utf8(tmp_path, data, expected):
    folder = net(tmp_path / "net")
    hubs = tmp_path / "hubs.txt"
    hubs.write_bytes(data)
    result = run("evaluate", "--data", str(folder), "--hubs", str(hubs), "--format", "json")
    assert one_line_error(result) == f"--hubs {hubs} {expected}; {NOT_UTF8}"


def test_a_binary_hubs_file_that_happens_to_be_utf8(tmp_path):
    folder = net(tmp_path / "net")
    hubs = tmp_path / "hubs.txt"
    hubs.write_bytes(b"H1\n\x00\x00\x01\x02")
    result = run("evaluate", "--data", str(folder), "--hubs", str(hubs))
    assert one_line_error(result) == (
        f"--hubs {hubs} line 2: a binary file, not text (it holds NUL bytes); expected UTF-8 text"
    )


def test_a_folder_in_place_of_a_hubs_file(tmp_path):
    folder = net(tmp_path / "net")
    (tmp_path / "hubs.txt").mkdir()
    result = run("evaluate", "--data", str(folder), "--hubs", "hubs.txt", cwd=tmp_path)
    assert one_line_error(result) == "--hubs hubs.txt: expected a file, found a folder"


def test_an_unknown_code_in_a_sites_file_names_its_line(tmp_path):
    folder = net(tmp_path / "net")
    hubs = tmp_path / "hubs.txt"
    hubs.write_text("site_code\n# the hubs\nH1\n\nZZ9\n")
    result = run("evaluate", "--data", str(folder), "--hubs", str(hubs))
    assert result.returncode == 2
    assert one_line_error(result).startswith(f"--hubs {hubs} line 5: unknown hub code 'ZZ9'")
    drop = tmp_path / "drop.csv"
    drop.write_text("site_code\nS1\nQQ1\n")
    result = run("evaluate", "--data", str(folder), "--hubs", "H1", "--drop-sites", str(drop))
    assert result.returncode == 2
    assert one_line_error(result).startswith(f"--drop-sites {drop} line 3: unknown drop-site code 'QQ1'")


def test_two_codes_on_one_line_of_a_sites_file_are_not_half_read(tmp_path):
    folder = net(tmp_path / "net")
    hubs = tmp_path / "hubs.txt"
    hubs.write_text("H1, S1\n")
    result = run("evaluate", "--data", str(folder), "--hubs", str(hubs))
    assert result.returncode == 2
    assert one_line_error(result) == (
        f"--hubs {hubs} line 1: expected one site code per line, found 2 values (H1, S1); put each code on its "
        "own line, or give a header row such as site_code,site_name")
    named = tmp_path / "named.csv"
    named.write_text("site_code,site_name\nH1,Hub one\n")  # with a header, the first column is the code
    result = run("evaluate", "--data", str(folder), "--hubs", str(named), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["option"]["hubs"] == ["H1"]


@pytest.mark.parametrize(("args", "message"), [
    (["--hubs", "H1", "--hubs", "S1"],
     "--hubs given 2 times: give it once (several sites go in one value, separated by commas)"),
    (["--hubs", "H1", "-f", "json", "--format", "table"], "-f/--format given 2 times: give it once"),
    (["--hubs=H1", "--pathway", "direct", "--pathway=treat_and_transfer"], "--pathway given 2 times: give it once"),
])
def test_an_option_given_twice_is_refused_not_half_used(tmp_path, args, message):
    """click keeps the last value of a repeated option; the first must not vanish silently."""
    folder = net(tmp_path / "net")
    result = run("evaluate", "--data", str(folder), *args)
    assert result.returncode == 2 and result.stdout == ""
    assert one_line_error(result) == message


def test_a_flag_and_its_opposite_together_are_refused(tmp_path):
    result = run("appraise", "missing.toml", "--pdf", "--no-pdf")
    assert result.returncode == 2
    assert one_line_error(result) == "--pdf and --no-pdf both given: give one of them"


def test_a_latin1_areas_file_names_row_and_column(tmp_path):
    areas = AREAS.encode() + "A4,Caf\xe9,S,1\n".encode("latin-1")
    cli_and_api(net(tmp_path / "net", areas=areas),
                f"areas.csv row 5, column 'area_name': not UTF-8 text (byte 0xe9); {NOT_UTF8}")


def test_country_of_a_network_without_a_country_column(tmp_path):
    folder = net(tmp_path / "net")
    expected = "country 'England': this network has no 'country' column (its region columns: icb)"
    assert one_line_error(run(*DIRECT, "--data", str(folder), "--country", "England")) == expected
    with pytest.raises(InputError) as info:
        load_csv_network(folder).restrict(country="England")
    assert str(info.value) == expected


def test_country_of_sites_without_a_country_column(tmp_path):
    areas = AREAS.replace("icb,", "country,icb,").replace(",N,", ",England,N,").replace(",S,", ",England,S,")
    folder = net(tmp_path / "net", areas=areas)
    result = run(*DIRECT, "--data", str(folder), "--country", "England")
    assert one_line_error(result) == (
        "country 'England': the sites of this network have no 'country' column (their region columns: "
        "none), so they cannot be restricted to it"
    )


def test_region_type_the_network_does_not_have(tmp_path):
    result = run(*DIRECT, "--data", str(net(tmp_path / "net")), "--region", "isdn:Wessex")
    assert one_line_error(result) == "isdn 'Wessex': this network has no 'isdn' column (its region columns: icb)"


# ----------------------------------------------------------------------------- 2. accepted before
def test_duplicated_demand_column_in_the_header(tmp_path):
    areas = AREAS.replace("stroke_admissions\n", "stroke_admissions,stroke_admissions\n").replace("0\n", "0,1\n")
    areas = areas.replace(",5\n", ",5,1\n")
    cli_and_api(net(tmp_path / "net", areas=areas),
                "areas.csv row 1, column 5: column 'stroke_admissions' appears twice in the header "
                "(also column 4); expected each column once")


def test_duplicated_capability_in_the_header(tmp_path):
    sites = SITES.replace("ivt\n", "ivt,ivt\n").replace(",1\n", ",1,1\n")
    cli_and_api(net(tmp_path / "net", sites=sites),
                "sites.csv row 1, column 5: column 'ivt' appears twice in the header (also column 4); "
                "expected each column once")


def test_an_empty_column_name(tmp_path):
    areas = AREAS.replace("\n", ",\n")
    cli_and_api(net(tmp_path / "net", areas=areas),
                "areas.csv row 1, column 5: expected a column name, got an empty cell")


def test_demand_that_sums_to_zero(tmp_path):
    areas = AREAS.replace(",10\n", ",0\n").replace(",5\n", ",0\n")
    cli_and_api(net(tmp_path / "net", areas=areas),
                "areas.csv, column 'stroke_admissions': the demand column sums to zero (every row is 0); "
                "expected patients per year > 0 in at least one area")


@pytest.mark.parametrize(
    ("value", "expected", "cli"),
    [
        ("1e308", "expected at most 10,000,000 patients per year, got '1e308'", True),
        ("20000000", "expected at most 10,000,000 patients per year, got '20000000'", False),
        ("1e400", "expected patients per year (a number >= 0), got '1e400'", False),  # inf
        ("inf", "expected patients per year (a number >= 0), got 'inf'", False),
    ],
)
def test_demand_that_is_not_finite_or_absurd(tmp_path, value, expected, cli):
    areas = AREAS.replace("S,5\nA3", f"S,{value}\nA3")
    cli_and_api(net(tmp_path / "net", areas=areas), f"areas.csv row 3, column 'stroke_admissions': {expected}",
                cli=cli)


# ----------------------------------------------------------------------------- 3. byte-order marks
def test_hubs_and_spokes_files_with_a_byte_order_mark(tmp_path):
    folder = net(tmp_path / "net")
    (tmp_path / "hubs.txt").write_bytes(BOM + b"H1\n")
    (tmp_path / "spokes.txt").write_bytes(BOM + b"site_code\nS1\nS2\n")
    direct = summary(run("evaluate", "--data", str(folder), "--hubs", "hubs.txt", "--pathway", "direct",
                         "--format", "json", cwd=tmp_path))
    assert direct["option"]["hubs"] == ["H1"]
    assert direct["summary"]["time_to_hub"]["mean"] == pytest.approx(23.75)
    transfer = [a if a != "S1,S2" else "spokes.txt" for a in TRANSFER]
    result = summary(run(*transfer, "--data", str(folder), cwd=tmp_path))
    assert result["option"]["spokes"] == ["S1", "S2"]
    assert result["summary"]["time_to_hub"]["mean"] == pytest.approx(66)


def test_roles_table_with_a_byte_order_mark(tmp_path):
    folder = net(tmp_path / "net")
    (tmp_path / "roles.csv").write_bytes(BOM + b"site_code,role\nH1,hub\nS1,spoke\nS2,spoke\n")
    args = ["--hubs", "roles.csv", "--spokes", "roles.csv"]
    transfer = [a for a in TRANSFER if a not in ("--hubs", "H1", "--spokes", "S1,S2")] + args
    result = summary(run(*transfer, "--data", str(folder), cwd=tmp_path))
    assert (result["option"]["hubs"], result["option"]["spokes"]) == (["H1"], ["S1", "S2"])
    assert result["summary"]["time_to_hub"]["mean"] == pytest.approx(66)


def test_network_csv_files_with_a_byte_order_mark(tmp_path):
    files = {"areas": AREAS, "sites": SITES, "travel_times": TRAVEL, "site_times": SITE_TIMES}
    folder = net(tmp_path / "net", **{k: BOM + v.encode() for k, v in files.items()})
    network = load_csv_network(folder)
    assert network.area_codes == ["A1", "A2", "A3"] and network.site_codes == ["H1", "S1", "S2"]
    assert network.sites_with("thrombectomy") == ["H1"]
    assert summary(run(*TRANSFER, "--data", str(folder)))["summary"]["time_to_hub"]["mean"] == pytest.approx(66)


def test_wide_travel_times_with_a_byte_order_mark(tmp_path):
    wide = "area_code,H1,S1,S2\nA1,20,10,30\nA2,15,30,25\nA3,40,35,5\n"
    folder = net(tmp_path / "net", travel_times=BOM + wide.encode())
    assert summary(run(*DIRECT, "--data", str(folder)))["summary"]["time_to_hub"]["mean"] == pytest.approx(23.75)


# ----------------------------------------------------------------------------- 4. misleading before
@pytest.mark.parametrize(
    ("files", "expected", "cli"),
    [
        ({"travel_times": TRAVEL.replace("A1,H1,20", "A1,H1,1e39")},
         "travel_times.csv row 2, column 'minutes': expected at most 10,000 minutes, got '1e39'", True),
        ({"travel_times": TRAVEL.replace("A2,S1,30", "A2,S1,99999")},
         "travel_times.csv row 6, column 'minutes': expected at most 10,000 minutes, got '99999'", False),
        ({"travel_times": "area_code,H1,S1,S2\nA1,20,10,30\nA2,15,30,25\nA3,40,35,10001\n"},
         "travel_times.csv row 4, column 'S2': expected at most 10,000 minutes, got '10001'", False),
        ({"site_times": SITE_TIMES.replace("S1,H1,12", "S1,H1,1e39")},
         "site_times.csv row 3, column 'minutes': expected at most 10,000 minutes, got '1e39'", True),
    ],
)
def test_minutes_above_the_maximum(tmp_path, files, expected, cli):
    cli_and_api(net(tmp_path / "net", **files), expected, cli=cli)


def test_a_missing_spoke_to_hub_time_names_site_times_and_the_pair(tmp_path):
    folder = net(tmp_path / "net", site_times=SITE_TIMES.replace("S1,H1,12\n", ""))
    message = one_line_error(run(*TRANSFER, "--data", str(folder)))
    assert message.startswith("site_times.csv: no minutes for from_site 'S1', to_site 'H1': patients first "
                              "seen at spoke S1 (e.g. from area A1) cannot be transferred to hub H1 of option ")
    assert message.endswith("; add them (1 such pair missing)")
    option = Option(name="tt", hubs=("H1",), spokes=("S1", "S2"), pathway="treat_and_transfer", bypass_minutes=0)
    with pytest.raises(InputError) as info:
        evaluate(load_csv_network(folder), Service.preset("thrombectomy"), option)
    assert str(info.value) == (
        "site_times.csv: no minutes for from_site 'S1', to_site 'H1': patients first seen at spoke S1 "
        "(e.g. from area A1) cannot be transferred to hub H1 of option 'tt'; add them (1 such pair missing)"
    )


def test_a_missing_area_to_hub_time_names_travel_times(tmp_path):
    folder = net(tmp_path / "net", travel_times=TRAVEL.replace("A3,H1,40\n", ""))
    message = one_line_error(run(*DIRECT, "--data", str(folder)))
    assert message.startswith("1 area with patients cannot reach any hub of option ")
    assert message.endswith(" by road, e.g. A3 (travel_times.csv has no row from A3 to any of its hubs)")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"travel_times": TRAVEL.replace("minutes", "time")},
         "travel_times.csv: missing column 'minutes'; expected long columns area_code, site_code, minutes "
         "(one row per pair) or a wide table with 'area_code' and one column per site code of sites.csv "
         "(found: area_code, site_code, time)", id="cli"),
        ({"travel_times": TRAVEL.replace("site_code", "site")},
         "travel_times.csv: missing column 'site_code'; expected long columns area_code, site_code, minutes "
         "(one row per pair) or a wide table with 'area_code' and one column per site code of sites.csv "
         "(found: area_code, site, minutes)"),
        ({"site_times": SITE_TIMES.replace("minutes", "mins")},
         "site_times.csv: missing column 'minutes'; expected long columns from_site, to_site, minutes "
         "(one row per pair) or a wide table with 'site_code' and one column per site code of sites.csv "
         "(found: from_site, to_site, mins)"),
    ],
)
def test_long_form_without_all_its_columns(request, tmp_path, files, expected):
    cli_and_api(net(tmp_path / "net", **files), expected, cli="cli" in request.node.name)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"travel_times": TRAVEL.replace("A1,S1,10", "A1,S1,10,9,9")},
                     "travel_times.csv row 3: expected 3 fields like the header (row 1), found 5", id="cli"),
        ({"areas": AREAS.replace("S,5\nA3", "S,5,7\nA3")},
         "areas.csv row 3: expected 4 fields like the header (row 1), found 5"),
        ({"sites": SITES.replace("Spoke One,0,1", "Spoke One,0")},  # a short row
         "sites.csv row 3: expected 4 fields like the header (row 1), found 3"),
        ({"areas": AREAS.replace("\nA2", "\n\nA2")},
         "areas.csv row 3: an empty row; expected values in every row (delete empty rows)"),
    ],
)
def test_rows_that_do_not_match_the_header(request, tmp_path, files, expected):
    cli_and_api(net(tmp_path / "net", **files), expected, cli="cli" in request.node.name)


def test_empty_lines_at_the_end_are_allowed(tmp_path):
    folder = net(tmp_path / "net", areas=AREAS + "\n\n")
    assert load_csv_network(folder).demand("stroke_admissions").tolist() == [10, 5, 5]


# ----------------------------------------------------------------------------- 5. size limit
def test_input_size_limit(tmp_path, monkeypatch):
    folder = net(tmp_path / "net")
    size = (folder / "areas.csv").stat().st_size
    assert size >= 105  # 0.0001 MB = 104.9 bytes
    expected = (f"{folder / 'areas.csv'}: the file is {size} bytes, above the 0.0001 MB limit for input files "
                "(104 bytes); check it is the right file, or set HUBPLAN_MAX_INPUT_MB to a larger number of "
                "megabytes")
    assert one_line_error(run(*DIRECT, "--data", str(folder), env={"HUBPLAN_MAX_INPUT_MB": "0.0001"})) == expected
    monkeypatch.setenv("HUBPLAN_MAX_INPUT_MB", "0.0001")
    assert api_error(folder) == expected
    monkeypatch.setenv("HUBPLAN_MAX_INPUT_MB", "0.001")  # 1,048 bytes: every file fits
    assert load_csv_network(folder).n_areas == 3


def test_the_size_limit_applies_to_hubs_files(tmp_path):
    folder = net(tmp_path / "net")
    (tmp_path / "hubs.txt").write_text("# today's hub\n" + "H1\n" * 60)  # 194 bytes
    result = run("evaluate", "--data", str(folder), "--hubs", "hubs.txt", cwd=tmp_path,
                 env={"HUBPLAN_MAX_INPUT_MB": "0.00015"})  # 157 bytes: the CSV files fit
    assert one_line_error(result) == (
        "--hubs hubs.txt: the file is 194 bytes, above the 0.00015 MB limit for input files (157 bytes); "
        "check it is the right file, or set HUBPLAN_MAX_INPUT_MB to a larger number of megabytes"
    )


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "inf"])
def test_a_bad_size_limit_variable(tmp_path, monkeypatch, value):
    expected = (f"HUBPLAN_MAX_INPUT_MB='{value}': expected a number of megabytes > 0 (the largest input file "
                "to read; default 256)")
    folder = net(tmp_path / "net")
    if value == "abc":
        assert one_line_error(run(*DIRECT, "--data", str(folder), env={"HUBPLAN_MAX_INPUT_MB": value})) == expected
    monkeypatch.setenv("HUBPLAN_MAX_INPUT_MB", value)
    assert api_error(folder) == expected


# ----------------------------------------------------------------------------- 6. other files read
PROVIDERS = "provider,numerator,denominator\nP1,10,100\nP2,30,100\nP3,20,200\n"


def test_benchmark_csv_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "providers.csv"
    path.write_bytes(BOM + PROVIDERS.encode())
    result = summary(run("benchmark", str(path), "--format", "json"))
    assert result["target"] == pytest.approx(60 / 400)  # pooled: (10 + 30 + 20) / (100 + 100 + 200)
    assert read_providers_csv(path)["provider"].tolist() == ["P1", "P2", "P3"]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.mkdir(), "{path}: expected a file, found a folder"),
        (lambda p: None, "{path}: file not found"),
        (lambda p: p.write_bytes(PROVIDERS.encode() + b"P\xf64,1,10\n"),
         "{path} row 5, column 'provider': not UTF-8 text (byte 0xf6); " + NOT_UTF8),
    ],
)
def test_benchmark_csv_that_cannot_be_read(tmp_path, make, expected):
    path = tmp_path / "providers.csv"
    make(path)
    assert one_line_error(run("benchmark", str(path))) == expected.format(path=path)
    with pytest.raises(InputError) as info:
        read_providers_csv(path)
    assert str(info.value) == expected.format(path=path)


def test_benchmark_csv_that_may_not_be_read_or_is_too_large(tmp_path):
    path = tmp_path / "providers.csv"
    path.write_text(PROVIDERS)
    assert one_line_error(run_denied(path, "benchmark", str(path))) == f"{path}: {PERMISSION}"
    result = run("benchmark", str(path), env={"HUBPLAN_MAX_INPUT_MB": "0.00001"})
    assert one_line_error(result).startswith(f"{path}: the file is {len(PROVIDERS)} bytes, above the 1e-05 MB "
                                             "limit for input files (10 bytes)")


SCENARIO = """schema_version = 1

[network]
data = "net"

[service]
preset = "thrombectomy"

[[options]]
name = "one hub"
hubs = ["H1"]
pathway = "direct"
"""


def test_scenario_file_with_a_byte_order_mark(tmp_path):
    net(tmp_path / "net")
    path = tmp_path / "scenario.toml"
    path.write_bytes(BOM + SCENARIO.encode())
    scenario = load_scenario(path)
    assert [o.hubs for o in scenario.options] == [("H1",)]
    assert scenario.network.data == tmp_path / "net"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.mkdir(), "{path}: expected a scenario file (.toml), found a folder"),
        (lambda p: None, "{path}: scenario file not found"),
        (lambda p: p.write_bytes(SCENARIO.replace("one hub", "one hub \xe9").encode("latin-1")),
         "{path} line 10: not UTF-8 text (byte 0xe9); " + NOT_UTF8),
        (lambda p: p.write_bytes(b"schema_version = 1\n\x00\x00"),
         "{path} line 2: a binary file, not text (it holds NUL bytes); expected UTF-8 text"),
    ],
)
def test_scenario_file_that_cannot_be_read(tmp_path, make, expected):
    path = tmp_path / "scenario.toml"
    make(path)
    assert one_line_error(run("appraise", str(path), "--out", str(tmp_path / "out"))) == expected.format(path=path)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert str(info.value) == expected.format(path=path)


def test_scenario_file_that_may_not_be_read(tmp_path):
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO)
    result = run_denied(path, "appraise", str(path), "--out", str(tmp_path / "out"))
    assert one_line_error(result) == f"{path}: {PERMISSION}"


def test_scenario_network_with_a_folder_in_place_of_a_file(tmp_path):
    folder = net(tmp_path / "net")
    (folder / "travel_times.csv").unlink()
    (folder / "travel_times.csv").mkdir()
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO)
    result = run("appraise", str(path), "--out", str(tmp_path / "out"))
    assert final_error(result) == (
        f"scenario.toml, [network]: {folder / 'travel_times.csv'}: expected a CSV file, found a folder"
    )


def test_scenario_benchmark_csv_that_is_a_folder_or_not_utf8(tmp_path):
    net(tmp_path / "net")
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO + '\n[benchmark]\ncsv = "providers"\n')
    (tmp_path / "providers").mkdir()
    assert str(pytest.raises(InputError, load_scenario, path).value) == (
        "scenario.toml, [benchmark]: 'csv' must be a CSV file, got 'providers': a folder"
    )
    path.write_text(SCENARIO + '\n[benchmark]\ncsv = "providers.csv"\n')
    (tmp_path / "providers.csv").write_bytes(PROVIDERS.encode() + b"P\xf64,1,10\n")
    message = final_error(run("appraise", str(path), "--out", str(tmp_path / "out")))
    assert message == (f"scenario.toml, [benchmark]: {tmp_path / 'providers.csv'} row 5, column 'provider': "
                       f"not UTF-8 text (byte 0xf6); {NOT_UTF8}")


def test_the_same_value_given_twice_is_accepted(tmp_path):
    folder = net(tmp_path / "net")
    result = run("evaluate", "--data", str(folder), "--hubs", "H1", "--format", "json", "--format=json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["option"]["hubs"] == ["H1"]
