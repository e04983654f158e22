"""Bad option values, scenario keys and optimiser outcomes: one line, the right status.

The user network ``NET`` has three areas and three sites (hub H1, spokes S1 and S2):

    patients  to H1  to S1  to S2
    A1 10        20     10     40
    A2  5        15     30     25
    A3  8        50     45      5

so, direct to the nearest hub (worked by hand):

* one hub: H1 gives (10*20 + 5*15 + 8*50) / 23 = 675/23, S1 610/23, S2 565/23: S2 is best;
* catchments of each pair: {H1, S1} -> H1 5, S1 18; {H1, S2} -> H1 15, S2 8;
  {S1, S2} -> S1 10, S2 13. With at least 11 patients per hub no pair is feasible,
  yet every site could reach 11 on its own, so the quick checks pass and only a search
  (or the exact method's proof) finds out.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hubplan import InputError, Service
from hubplan.errors import InfeasibleError
from hubplan.optimise import SiteSelectionProblem, Solution, solve
from hubplan.optimise._instance import reduce_problem
from hubplan.optimise.exact import solve_exact
from hubplan.optimise.heuristic import local_search
from hubplan.planning.scenario import parse_scenario
from hubplan.validation import LIMITS, Limit, check_number

HUBPLAN = Path(sys.executable).parent / "hubplan"

AREAS = "area_code,icb,stroke_admissions\nA1,N,10\nA2,S,5\nA3,S,8\n"
SITES = "site_code,site_name,thrombectomy,ivt\nH1,Hub One,1,1\nS1,Spoke One,0,1\nS2,Spoke Two,0,1\n"
TRAVEL = ("area_code,site_code,minutes\nA1,H1,20\nA1,S1,10\nA1,S2,40\nA2,H1,15\nA2,S1,30\nA2,S2,25\n"
          "A3,H1,50\nA3,S1,45\nA3,S2,5\n")
SITE_TIMES = ("from_site,to_site,minutes\nH1,S1,12\nS1,H1,12\nH1,S2,40\nS2,H1,40\nS1,S2,35\nS2,S1,35\n")
COMMANDS = ("sites", "regions", "evaluate", "compare", "optimise", "sweep", "capacity", "workforce",
            "benchmark", "appraise", "serve", "demo", "info", "spc")


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("net")
    for name, text in (("areas", AREAS), ("sites", SITES), ("travel_times", TRAVEL), ("site_times", SITE_TIMES)):
        (folder / f"{name}.csv").write_text(text)
    return folder


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HUBPLAN), *args], capture_output=True, text=True, cwd=cwd)


def one_line_error(res: subprocess.CompletedProcess[str], status: int = 2) -> str:
    """The single stderr line of a refused command (checked: status, no traceback, no stdout)."""
    assert res.returncode == status, (res.returncode, res.stdout[-500:], res.stderr[-2000:])
    assert "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# ----------------------------------------------------------------------------- 1. no tracebacks
def test_out_below_a_file_is_refused_before_any_work(net, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("not a folder\n")
    for command in (["evaluate", "--data", str(net), "--hubs", "H1", "--pathway", "direct"],
                    ["optimise", "--data", str(net), "--k", "1", "--pathway", "direct"]):
        res = run(*command, "--out", str(afile / "sub"))
        assert one_line_error(res) == f"error: --out {afile / 'sub'}: {afile} is a file, not a folder"
        assert res.stdout == ""
    assert afile.read_text() == "not a folder\n"


def scenario_text(service: str = "", option: str = "", appraisal: str = "") -> str:
    return (f'schema_version = 1\n[network]\ndata = "net"\n[service]\npreset = "thrombectomy"\n{service}\n'
            f'[[options]]\nname = "one"\nhubs = ["H1"]\npathway = "direct"\n{option}\n[appraisal]\n{appraisal}\n')


@pytest.mark.parametrize(
    ("where", "line", "message"),
    [
        ("appraisal", "draws = 10000000000",
         "s.toml, [appraisal]: 'draws' must be a whole number of draws from 1 to 1,000,000, got 10000000000"),
        ("service", "length_of_stay_days = -2",
         "s.toml, [service]: 'length_of_stay_days' must be a number of days > 0, got -2"),
        ("service", 'transfer_delay_minutes = "sixty"',
         "s.toml, [service]: 'transfer_delay_minutes' must be a number of minutes >= 0, got 'sixty'"),
        ("option", 'transfer_delay_minutes = "sixty"',
         "s.toml, option 'one': 'transfer_delay_minutes' must be a number of minutes >= 0, got 'sixty'"),
        ("service", "occupancy_target = nan",
         "s.toml, [service]: 'occupancy_target' must be a fraction in (0, 1], got nan"),
        ("appraisal", "seed = -1", "s.toml, [appraisal]: 'seed' must be a whole number from 0 to 4,294,967,295, got -1"),
    ],
)
def test_bad_scenario_values_name_the_file_and_key(net, tmp_path, where, line, message):
    (tmp_path / "net").symlink_to(net, target_is_directory=True)
    text = scenario_text(**{where: line})
    with pytest.raises(InputError) as info:
        parse_scenario(text, path=tmp_path / "s.toml")
    assert str(info.value) == message
    if line in ("draws = 10000000000", "length_of_stay_days = -2", 'transfer_delay_minutes = "sixty"'):
        (tmp_path / "s.toml").write_text(text)  # the cases users met, as they ran them
        res = run("appraise", "s.toml", cwd=tmp_path)
        assert one_line_error(res) == f"error: {message}"
        assert res.stdout == ""


# ----------------------------------------------------------------------------- 2. accepted but wrong
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "--los", "-3"], "--los: -3 is not a number of days > 0"),
        (["evaluate", "--los", "nan"], "--los: nan is not a number of days > 0"),
        (["evaluate", "--los", "0"], "--los: 0 is not a number of days > 0"),
        (["evaluate", "--bypass", "-5"], "--bypass: -5 is not a number of minutes >= 0"),
        (["optimise", "--k", "1", "--time-limit", "0"], "--time-limit: 0 is not a number of seconds > 0 and <= 604,800"),
        (["optimise", "--k", "1", "--time-limit", "-1"], "--time-limit: -1 is not a number of seconds > 0 and <= 604,800"),
        (["optimise", "--k", "1", "--time-limit", "nan"], "--time-limit: nan is not a number of seconds > 0 and <= 604,800"),
        (["optimise", "--k", "1", "--objective", "coverage", "--threshold", "inf"],
         "--threshold: inf is not a number of minutes > 0"),
        (["optimise", "--k", "1", "--objective", "outcom"],
         "unknown objective 'outcom': expected p-median, coverage, p-centre or outcome"),
        (["sweep", "--k", "1..2", "--objective", "minutes"],
         "unknown objective 'minutes': expected p-median, coverage, p-centre or outcome"),
        (["optimise", "--k", "1", "--restarts", "-3"], "--restarts: -3 is not a whole number of restarts from 0 to 1,000"),
        (["optimise", "--k", "10000000000"], "--k: 10000000000 is not a whole number of hubs from 1 to 10,000"),
        (["optimise", "--k", "1", "--max-patients", "ten"],
         "--max-patients: 'ten' is not a number of patients a year > 0 or 'service'"),
        (["sweep", "--k", "1..10000000000"],
         "--k '1..10000000000': 10000000000 is not a whole number of hubs from 1 to 10,000"),
        (["sweep", "--k", "1..2", "--pareto", "0,ten"], "--pareto: 'ten' is not a number of patients a year >= 0"),
        (["capacity", "--occupancy", "1.5"], "--occupancy: 1.5 is not a fraction in (0, 1]"),
        (["capacity", "--simulate", "--replications", "100000000"],
         "--replications: 100000000 is not a whole number of replications from 1 to 1,000"),
        (["workforce", "--horizon", "100000000"], "--horizon: 100000000 is not a whole number of years from 1 to 200"),
    ],
)
def test_bad_numbers_are_refused_naming_the_option(net, args, message):
    extra = {"evaluate": ["--hubs", "H1", "--pathway", "direct"], "capacity": ["--hubs", "H1", "--pathway", "direct"],
             "workforce": ["--hubs", "H1", "--pathway", "direct"], "compare": ["--a-hubs", "H1", "--b-hubs", "S1"],
             "optimise": ["--pathway", "direct"], "sweep": ["--pathway", "direct"]}[args[0]]
    res = run(*args, *extra, "--data", str(net))
    assert one_line_error(res) == f"error: {message}"
    assert res.stdout == ""


def test_a_kept_site_must_be_a_candidate(net):
    res = run("optimise", "--data", str(net), "--k", "1", "--keep", "H1", "--candidates", "S1,S2")
    assert one_line_error(res) == ("error: --keep H1: site H1 is not one of the --candidates (S1, S2); "
                                   "a kept site must be a candidate")
    assert res.stdout == ""


def test_a_kept_site_must_be_a_candidate_from_python(net):
    from hubplan.geography import load_csv_network

    network = load_csv_network(net)
    with pytest.raises(InputError, match="keep site H1 is not one of the candidates"):
        SiteSelectionProblem.from_network(network, Service.preset("thrombectomy"), k=1, pathway="direct",
                                          keep=["H1"], candidates=["S1", "S2"])
    # keeping a candidate is fine: k = 2 among {H1, S2} keeping H1 is the pair {H1, S2}
    problem = SiteSelectionProblem.from_network(network, Service.preset("thrombectomy"), k=2, pathway="direct",
                                                keep=["H1"], candidates=["H1", "S2"])
    assert solve(problem).sites == ("H1", "S2")


# ----------------------------------------------------------------------------- 3. messages
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "--bypass", "ten"], "error: --bypass: 'ten' is not a number"),
        (["optimise", "--k", "1.5"], "error: --k: '1.5' is not a whole number"),
        (["serve", "--port", "x"], "error: --port: 'x' is not a whole number"),
        (["evaluate", "--bypass"], "error: --bypass: expected a value after it"),
        (["optimise"], "error: --k is required (see 'hubplan optimise --help')"),
        (["appraise"], "error: SCENARIO is required (see 'hubplan appraise --help')"),
        (["evaluate", "--nope"], "error: No such option: --nope (see 'hubplan evaluate --help')"),
        (["nocommand"], "error: No such command 'nocommand' (see 'hubplan --help')"),
        (["sweep", "--html=yes"], "error: --html: does not take a value"),
    ],
)
def test_usage_errors_are_one_line(args, message):
    res = run(*args)
    assert one_line_error(res) == message
    assert res.stdout == ""


def test_help_still_works_and_no_arguments_still_show_it():
    res = run("--help")
    assert res.returncode == 0 and "Usage: hubplan" in res.stdout and "optimise" in res.stdout
    assert "<bool>" not in res.stdout and "--version" in res.stdout
    res = run("capacity", "--help")
    assert res.returncode == 0 and "--simulate" in res.stdout and "<bool>" not in res.stdout
    res = run()
    assert res.returncode == 2 and "Usage: hubplan" in res.stdout and "Traceback" not in res.stderr


# ----------------------------------------------------------------------------- 4. the optimiser
def test_optimal_label_and_sites_worked_by_hand(net):
    res = run("optimise", "--data", str(net), "--k", "1", "--pathway", "direct", "--format", "json")
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["solution"]["sites"] == ["S2"] and result["solution"]["status"] == "optimal"
    assert result["solution"]["objective"] == pytest.approx(565 / 23)
    assert result["evaluation"]["option"]["name"] == "optimal 1 hub (p-median)"


def test_heuristic_label_says_no_bound(net):
    res = run("optimise", "--data", str(net), "--k", "2", "--pathway", "direct", "--method", "heuristic",
              "--format", "json")
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    # {S1, S2}: (10*10 + 5*25 + 8*5) / 23 = 265/23, the best pair (H1+S1 535/23, H1+S2 315/23)
    assert result["solution"]["sites"] == ["S1", "S2"]
    assert result["solution"]["objective"] == pytest.approx(265 / 23)
    assert result["evaluation"]["option"]["name"] == "heuristic 2 hubs (p-median, no bound)"


def test_no_feasible_set_found_exits_1_with_one_line(net, tmp_path):
    args = ["optimise", "--data", str(net), "--k", "2", "--pathway", "direct", "--min-patients", "11",
            "--method", "heuristic"]
    res = run(*args, "--out", str(tmp_path / "o"))
    line = one_line_error(res, status=1)
    assert line.startswith("error: the heuristic found no set of 2 hubs meeting every constraint (the best set "
                           "found breaks ")
    assert "fewer than 11" in line and "try --method exact" in line
    assert res.stdout == "" and not (tmp_path / "o").exists()
    # --format json: the solution is still printed, with no evaluation
    res = run(*args, "--format", "json")
    assert res.returncode == 1 and len(res.stderr.splitlines()) == 1
    result = json.loads(res.stdout)
    assert result["solution"]["status"] == "no_feasible_found" and result["evaluation"] is None
    assert result["solution"]["details"]["violations"]
    # the exact method proves what the heuristic could not: no pair has 11 patients at each hub
    res = run(*args[:-2], "--method", "exact")  # stderr: the solver's progress, then the error
    assert res.returncode == 2 and res.stdout == "" and "Traceback" not in res.stderr
    assert res.stderr.splitlines()[-1] == ("error: no set of 2 hubs with at least 11 patients per hub exists, "
                                           "with patients going to their nearest hub (proven by the exact method)")


def tiny_problem(**changes: Any) -> SiteSelectionProblem:
    """NET's cost matrix as a problem (areas x sites, minutes and patients from the table above)."""
    values: dict[str, Any] = dict(
        cost_minutes=np.array([[20.0, 10.0, 40.0], [15.0, 30.0, 25.0], [50.0, 45.0, 5.0]]),
        demand=np.array([10.0, 5.0, 8.0]), candidate_codes=("H1", "S1", "S2"), k=2,
    )
    values.update(changes)
    return SiteSelectionProblem(**values)


@pytest.mark.parametrize(
    ("status", "gap", "label"),
    [
        ("optimal", 0.0, "optimal 38 hubs (p-median)"),
        ("time_limit", 0.0123, "best 38 hubs found (p-median, proven gap 1.23%)"),
        ("time_limit", math.nan, "best 38 hubs found (p-median, time limit, no bound)"),
        ("feasible", math.nan, "heuristic 38 hubs (p-median, no bound)"),
        ("no_feasible_found", math.nan, "38 hubs, no feasible set found (p-median)"),
    ],
)
def test_label_follows_the_status(status, gap, label):
    sites = tuple(f"X{i}" for i in range(38))
    assert Solution(sites, 30.0, 29.0, gap, status, "exact", 1.0).label() == label


def test_a_passed_deadline_stops_the_heuristic_with_k_hubs():
    inst = reduce_problem(tiny_problem())
    result = local_search(inst, deadline=time.perf_counter() - 1.0, restarts=5)
    assert result.stopped_at_deadline and len(result.open_positions) == 2 and result.swaps == 0
    assert not local_search(inst).stopped_at_deadline


def test_a_passed_deadline_ends_the_exact_solve_before_any_model():
    # nothing proven: status time_limit, no bound, the heuristic's pair (which meets every constraint)
    solution = solve_exact(tiny_problem(), deadline=time.perf_counter() - 1.0)
    assert solution.status == "time_limit" and solution.details["rounds"] == 0
    assert len(solution.sites) == 2 and math.isnan(solution.gap)
    assert solution.label() == "best 2 hubs found (p-median, time limit, no bound)"
    # with time, the same problem is proven optimal: {S1, S2}, 265/23 minutes
    solution = solve_exact(tiny_problem(), time_limit=60)
    assert solution.status == "optimal" and solution.sites == ("S1", "S2")
    assert solution.objective == pytest.approx(265 / 23)


def test_a_passed_deadline_with_impossible_volumes_is_no_feasible_found():
    problem = tiny_problem(min_patients_per_hub=11.0)
    solution = solve_exact(problem, deadline=time.perf_counter() - 1.0)
    assert solution.status == "no_feasible_found" and not solution.found_feasible
    assert any("fewer than 11" in v for v in solution.details["violations"])
    with pytest.raises(InfeasibleError):  # given time, infeasibility is proven
        solve_exact(problem, time_limit=60)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"time_limit": 0}, "time_limit: 0 is not a number of seconds > 0 and <= 604,800"),
        ({"time_limit": math.nan}, "time_limit: nan is not a number of seconds > 0 and <= 604,800"),
        ({"restarts": -3}, "restarts: -3 is not a whole number of restarts from 0 to 1,000"),
        ({"seed": -1}, "seed: -1 is not a whole number from 0 to 4,294,967,295"),
    ],
)
def test_solve_checks_its_arguments(options, message):
    with pytest.raises(InputError) as info:
        solve(tiny_problem(), **options)
    assert str(info.value) == message


# ----------------------------------------------------------------------------- 5. help
def help_text(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """``hubplan ARGS --help`` through the entry point, in this process (exit status 0)."""
    from hubplan.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["hubplan", *args, "--help"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_no_placeholder_noise(monkeypatch, capsys, command):
    text = help_text(monkeypatch, capsys, command)
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "<bool>" not in text  # flags take no value
    assert "--help" in text
    argument = {"appraise": "SCENARIO", "benchmark": "FILE", "spc": "FILE"}.get(command)
    if argument is not None:  # named in capitals ({...} is typer's mark of a required argument)
        assert argument in usage and argument.lower() not in usage


# ----------------------------------------------------------------------------- the audit
def _numeric_options() -> list[tuple[str, str, str]]:
    """(command, option, 'float' or 'int') for every numeric option of every command."""
    import typer.main

    from hubplan.cli import app

    found = []
    group = typer.main.get_command(app)
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        for param in command.params:
            if getattr(param, "is_flag", False):
                continue
            descriptor = getattr(param, "type_descriptor", None)
            kind = getattr(descriptor, "annotation", None) if descriptor is not None else None
            kind_name = getattr(kind, "__name__", None) or getattr(param.type, "name", "")
            kind_name = {"integer": "int"}.get(kind_name, kind_name)
            if kind_name in ("float", "int"):
                long = max((o for o in param.opts if o.startswith("--")), key=len)
                found.append((name, long, kind_name))
    return found


def test_every_numeric_option_is_audited():
    options = _numeric_options()
    assert len(options) > 40  # every command's numbers, found from the commands themselves
    assert ("capacity", "--los", "float") in options and ("appraise", "--draws", "int") in options


@pytest.mark.parametrize(("command", "option", "kind"), _numeric_options())
def test_every_numeric_option_refuses_nonsense(monkeypatch, capsys, tmp_path, command, option, kind):
    """NaN for every number and -1 for every whole number is refused as the line is read."""
    from hubplan.cli import main

    required = {"benchmark": [str(tmp_path / "p.csv")], "appraise": [str(tmp_path / "s.toml")],
                "uncertainty": [str(tmp_path / "s.toml")],
                "optimise": ["--k", "1"] if option != "--k" else []}.get(command, [])
    value = "nan" if kind == "float" else "-1"
    monkeypatch.setattr(sys, "argv", ["hubplan", command, *required, option, value])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    assert info.value.code == 2
    assert captured.out == ""
    assert captured.err.startswith(f"error: {option}: {value} is not ")
    assert len(captured.err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- the shared rules
def test_limits_in_words_and_values():
    assert LIMITS["length_of_stay_days"].describe() == "a number of days > 0"
    assert LIMITS["occupancy_target"].describe() == "a fraction in (0, 1]"
    assert LIMITS["k"].describe() == "a whole number of hubs from 1 to 10,000"
    assert LIMITS["time_limit_seconds"].describe() == "a number of seconds > 0 and <= 604,800"
    rule = Limit("minutes", minimum=0.0)
    assert [rule.accepts(v) for v in (0, 3.5, -1, math.nan, math.inf, "3", True, None)] == [
        True, True, False, False, False, False, False, False]
    assert [LIMITS["k"].accepts(v) for v in (1, 2.0, 2.5, 0, 10_000, 10_001, np.int64(3))] == [
        True, True, False, False, True, False, True]
    assert check_number(2.0, "k", "--k") == 2 and isinstance(check_number(2.0, "k", "--k"), int)
    assert check_number(None, "k", "--k") is None


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"length_of_stay_days": -2}, "service 'thrombectomy': length_of_stay_days must be a number of days > 0, got -2"),
        ({"length_of_stay_days": math.nan}, "length_of_stay_days must be a number of days > 0, got nan"),
        ({"transfer_delay_minutes": "sixty"}, "transfer_delay_minutes must be a number of minutes >= 0, got 'sixty'"),
        ({"training_years": 0}, "training_years must be a number of years > 0, got 0"),
        ({"thresholds_minutes": (30, math.inf)}, "thresholds_minutes must be one or more minutes > 0"),
    ],
)
def test_service_refuses_the_same_values(override, message):
    with pytest.raises(InputError) as info:
        Service.preset("thrombectomy", **override)
    assert message in str(info.value)


@pytest.mark.slow
def test_national_case_without_a_feasible_set_exits_1():
    # 80,958 admissions in 38 catchments of 1,500-2,500: not found in 1 s (nor in 20 s)
    res = run("optimise", "--country", "England", "--k", "38", "--min-patients", "1500", "--max-patients", "2500",
              "--time-limit", "1", "--pathway", "direct", "--format", "json")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.splitlines()[-1].startswith(
        "error: no set of 38 hubs meeting every constraint was found within the 1 s time limit (the best set found "
        "breaks ")
    result = json.loads(res.stdout)
    assert result["solution"]["status"] == "no_feasible_found" and result["evaluation"] is None
    assert len(result["solution"]["sites"]) == 38
