"""docs/json.md is true: every key of every ``--format json`` document is documented.

The page lists the keys of each object in a table after a ``<!-- keys: NAME -->``
comment (a ``?`` after a key: not always present; ``<T>`` a threshold, ``<capability>``
a capability column, ``<option>`` an option's name, ``<site>`` a site code, ``<criterion>``
a key of appraise's criteria, ``<flag>`` a standards flag) with its JSON type. Here each command runs through the installed
``hubplan`` on the page's own example files (``<!-- file: PATH -->`` blocks) and on
Wessex, stdout is parsed whole (``NaN`` or ``Infinity`` refused), and every object is
checked against its table: a key the output has and the table does not, a key listed as
always present that the output lacks, and a value of a type the table does not give all
fail. Each documented key must also turn up in some run, so that a key the program no
longer writes does not stay documented. The page's examples (the command in the
``bash`` block after ``<!-- example: NAME -->`` and the ``json`` block after it) must
still be the command's output, with arrays cut short and some keys left out.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shlex
import subprocess
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from scipy import stats

from hubplan.capacity.workforce import STANDARD_FLAGS
from hubplan.geography.network import CAPABILITY_ALIASES

HUBPLAN = Path(sys.executable).parent / "hubplan"
DOC = Path(__file__).resolve().parents[1] / "docs" / "json.md"

#: Columns of a user's sites.csv that are not capabilities (docs/data-formats.md).
SITE_FIXED_COLUMNS = {"site_code", "site_name", "latitude", "longitude", "country", "ambulance_service",
                      "isdn", "icb", "sicbl"}
#: Values that differ from run to run, not compared with the page's examples.
VOLATILE_KEYS = {"seconds"}


# ----------------------------------------------------------------------------- reading the page
@dataclass(frozen=True)
class Key:
    """One row of a key table."""

    name: str
    optional: bool
    types: tuple[str, ...]  # alternatives: "number", "array of strings", "null", ...
    pattern: re.Pattern[str]


def _blocks_after(text: str, marker: str) -> Iterator[tuple[str, int]]:
    """(name, position just after the comment) for every ``<!-- marker: name -->``."""
    for match in re.finditer(rf"<!-- {marker}: (\S+) -->", text):
        yield match.group(1), match.end()


def _fenced(text: str, start: int, language: str | None = None) -> str:
    """The body of the first fenced block after ``start`` (of ``language`` if given)."""
    fence = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
    for match in fence.finditer(text, start):
        if language is None or match.group(1) == language:
            return match.group(2)
    raise AssertionError(f"docs/json.md: no ```{language or ''} block after position {start}")


def parse_tables(text: str, placeholders: dict[str, str]) -> dict[str, list[Key]]:
    """Every ``<!-- keys: NAME -->`` table: its rows as :class:`Key`."""
    tables: dict[str, list[Key]] = {}
    for name, start in _blocks_after(text, "keys"):
        assert name not in tables, f"docs/json.md: two tables named {name!r}"
        lines = text[start:].lstrip("\n").splitlines()
        rows = []
        for line in lines:
            if not line.startswith("|"):
                break
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        assert len(rows) > 2 and rows[0][:2] == ["key", "type"], f"docs/json.md: table {name!r} is malformed"
        keys = []
        for cells in rows[2:]:
            match = re.fullmatch(r"`([^`]+)`(\?)?", cells[0])
            assert match, f"docs/json.md, table {name!r}: the key cell {cells[0]!r} is not `key` or `key`?"
            key = match.group(1)
            regex = "".join(
                f"(?:{placeholders[part[1:-1]]})" if part.startswith("<") else re.escape(part)
                for part in re.split(r"(<\w+>)", key) if part
            )
            types = tuple(t.strip() for t in cells[1].split(" or "))
            for t in types:
                assert re.fullmatch(r"number|integer|string|boolean|object|null|array( of (numbers|integers|"
                                    r"strings|objects))?", t), f"docs/json.md, table {name!r}, key {key!r}: type {t!r}"
            keys.append(Key(key, match.group(2) == "?", types, re.compile(regex)))
        tables[name] = keys
    return tables


def parse_files(text: str) -> dict[str, str]:
    """The example files: path -> content."""
    return {path: _fenced(text, start) for path, start in _blocks_after(text, "file")}


def parse_examples(text: str) -> dict[str, tuple[list[str], str]]:
    """name -> (the command's arguments after ``hubplan``, the example JSON text)."""
    examples = {}
    for name, start in _blocks_after(text, "example"):
        command = _fenced(text, start, "bash").strip()
        assert "\n" not in command and command.startswith("hubplan "), f"example {name!r}: {command!r}"
        section_end = text.find("\n## ", start)
        json_start = text.find("```json\n", start)
        assert 0 < json_start < (section_end if section_end > 0 else len(text)), f"example {name!r}: no json"
        examples[name] = (shlex.split(command)[1:], _fenced(text, json_start, "json"))
    return examples


TEXT = DOC.read_text(encoding="utf-8")
FILES = parse_files(TEXT)
# the example network's capability columns and the bundled network's
CAPABILITIES = sorted({c for c in FILES["net/sites.csv"].splitlines()[0].split(",") if c not in SITE_FIXED_COLUMNS}
                      | set(CAPABILITY_ALIASES.values()))


def _alternatives(names: Any) -> str:
    return "|".join(map(re.escape, sorted(names, key=len, reverse=True)))


#: The option names of the page's scenario files and the example network's site codes.
OPTION_NAMES = [o["name"] for path, content in FILES.items() if path.endswith(".toml")
                for o in tomllib.loads(content).get("options", [])]
SITE_CODES = [row["site_code"] for row in csv.DictReader(io.StringIO(FILES["net/sites.csv"]))]
PLACEHOLDERS = {"T": r"\d+(?:\.\d+)?", "capability": _alternatives(CAPABILITIES), "option": _alternatives(OPTION_NAMES),
                "site": _alternatives(SITE_CODES), "flag": _alternatives(STANDARD_FLAGS)}
# `<criterion>`: a key of appraise's criteria table (read from the page, placeholders that are
# not yet known matching nothing), or a kind's measure `<kind>.<key>`
_CRITERIA = parse_tables(TEXT, defaultdict(lambda: "(?!)", PLACEHOLDERS))["appraise.options[].criteria"]
PLACEHOLDERS["criterion"] = "|".join([k.pattern.pattern for k in _CRITERIA] + [r"[a-z_]+\.[a-z_0-9]+"])
TABLES = parse_tables(TEXT, PLACEHOLDERS)
EXAMPLES = parse_examples(TEXT)

# ----------------------------------------------------------------------------- running hubplan
#: Runs besides the page's examples: (arguments, expected exit status).
RUNS: dict[str, tuple[list[str], int]] = {
    "evaluate_helicopter": (["evaluate", "--data", "net", "--hubs", "S1", "--pathway", "direct",
                             "--helicopter", "60"], 0),
    "evaluate_vascular": (["evaluate", "--data", "net", "--service", "vascular_arterial", "--hubs", "S1",
                           "--pathway", "direct"], 0),
    "evaluate_wessex": (["evaluate", "--region", "Wessex"], 0),
    "evaluate_maternity": (["evaluate", "--data", "net", "--service", "maternity", "--demand", "stroke_admissions",
                            "--hubs", "S1", "--spokes", "S2,S4", "--pathway", "treat_and_transfer"], 0),
    "sites_wessex": (["sites", "--region", "Wessex"], 0),
    # no pair of hubs has 45 patients at each (catchments 30/70, 60/40, 10/90, ...): exit 1
    "optimise_none_found": (["optimise", "--data", "net", "--k", "2", "--pathway", "direct", "--min-patients", "45",
                             "--method", "heuristic"], 1),
    "optimise_deadline": (["optimise", "--data", "net", "--k", "2", "--pathway", "direct", "--method", "heuristic",
                           "--time-limit", "1e-9"], 0),
    "sweep_infeasible": (["sweep", "--data", "net", "--k", "1..2", "--keep", "S1,S3", "--pathway", "direct"], 0),
    "capacity_simulated": (["capacity", "--data", "net", "--hubs", "S1,S3", "--pathway", "direct", "--simulate",
                            "--replications", "3"], 0),
    "benchmark_ratio": (["benchmark", "ratio.csv", "--indicator", "ratio"], 0),
    # 200 candidate sites: the exact p-median takes the Lagrangian path (docs/optimise.md)
    "optimise_lagrangian": (["optimise", "--data", "big", "--k", "3", "--pathway", "direct"], 0),
    # a maximum volume with more than 20 candidates: the neighbourhood search runs beside the model
    "optimise_neighbourhood": (["optimise", "--data", "big", "--k", "3", "--pathway", "direct",
                                "--max-patients", "500"], 0),
    # the stroke model of presets.toml (added utility), and a user's curve (no utility)
    "optimise_outcome": (["optimise", "--data", "net", "--k", "2", "--pathway", "direct", "--objective", "outcome",
                          "--outcome-measure", "utility"], 0),
    "optimise_outcome_curve": (["optimise", "--data", "net", "--k", "2", "--pathway", "direct", "--objective",
                                "outcome", "--outcome-curve", "curve.csv"], 0),
    "review": (["review", str(Path(__file__).resolve().parents[1] / "examples" / "elective_hubs_review"
                              / "surgical_hubs_illustrative.csv"), "--illustrative"], 0),
    "spc_ratio": (["spc", "activity.csv", "--value", "transfers", "--denominator", "admissions", "--per", "100",
                   "--group", "site", "--rebase", "2024-01"], 0),
    # a scenario without [uncertainty]: every draw is the deterministic appraisal
    "uncertainty_no_parameters": (["uncertainty", "scenario.toml", "--draws", "3", "--seed", "2"], 0),
}
RATIO_CSV = "provider,observed,expected\nP1,10,12\nP2,30,25\nP3,5,9\nP4,60,55\n"
#: A step: 0.9 up to 25 minutes to the hub, 0.5 from 30 (the baseline of "added": 0.5).
CURVE_CSV = ("minutes,good_outcome,source\n0,0.9,illustrative step\n25,0.9,illustrative step\n"
             "30,0.5,illustrative step\n60,0.5,illustrative step\n")

#: Runs that need the road-time estimator fitted on the national matrix.
SLOW_RUNS: dict[str, tuple[list[str], int]] = {
    "evaluate_new_site": (["evaluate", "--region", "Wessex", "--add-sites", "new_site.csv", "--hubs", "NEW1",
                           "--pathway", "direct"], 0),
}
NEW_SITE_CSV = "site_code,site_name,latitude,longitude,thrombectomy,ivt\nNEW1,New hospital,50.95,-1.30,1,1\n"


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"stdout has {name}, which is not JSON (docs/json.md: null, never NaN)")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page's example files, plus the inputs of the extra runs."""
    root = tmp_path_factory.mktemp("json_docs")
    for path, content in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content, encoding="utf-8")
    (root / "ratio.csv").write_text(RATIO_CSV, encoding="utf-8")
    (root / "curve.csv").write_text(CURVE_CSV, encoding="utf-8")
    (root / "new_site.csv").write_text(NEW_SITE_CSV, encoding="utf-8")
    _big_network(root / "big")
    return root


def _big_network(folder: Path, n_areas: int = 40, n_sites: int = 200) -> None:
    """A network of 200 sites on a plane (minutes = 1 + 60 x distance), for the Lagrangian path."""
    import numpy as np

    rng = np.random.default_rng(7)
    areas, sites = rng.random((n_areas, 2)), rng.random((n_sites, 2))
    minutes = 1.0 + 60.0 * np.hypot(*(areas[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    folder.mkdir()
    (folder / "areas.csv").write_text("area_code,area_name,latitude,longitude,icb,stroke_admissions\n" + "".join(
        f"A{i},Area {i},{52 + a[0]:.4f},{-1 - a[1]:.4f},ICB1,{10 + i}\n" for i, a in enumerate(areas)), encoding="utf-8")
    (folder / "sites.csv").write_text("site_code,site_name,latitude,longitude,icb,thrombectomy,ivt\n" + "".join(
        f"S{j:03d},Site {j},{52 + b[0]:.4f},{-1 - b[1]:.4f},ICB1,0,1\n" for j, b in enumerate(sites)), encoding="utf-8")
    (folder / "travel_times.csv").write_text("area_code,site_code,minutes\n" + "".join(
        f"A{i},S{j:03d},{minutes[i, j]:.3f}\n" for i in range(n_areas) for j in range(n_sites)), encoding="utf-8")


class Runner:
    """Runs a command once and keeps its parsed document."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.done: dict[str, Any] = {}

    def __call__(self, name: str) -> Any:
        if name not in self.done:
            if name in EXAMPLES:
                args, status = EXAMPLES[name][0], 0
            else:
                args, status = {**RUNS, **SLOW_RUNS}[name]
            res = subprocess.run([str(HUBPLAN), *args, "--format", "json"], capture_output=True, text=True,
                                 cwd=self.folder)
            assert res.returncode == status, f"hubplan {' '.join(args)}: exit {res.returncode}\n{res.stderr}"
            assert "Traceback" not in res.stderr, res.stderr
            assert res.stdout.endswith("}\n") or res.stdout.endswith("]\n"), res.stdout[-200:]
            self.done[name] = json.loads(res.stdout, parse_constant=_refuse_constant)
        return self.done[name]


@pytest.fixture(scope="module")
def run(folder: Path) -> Runner:
    return Runner(folder)


# ----------------------------------------------------------------------------- what is checked where
#: table -> (run, path) pairs; a path is keys separated by dots, ``[]`` = every element.
CHECKS: dict[str, list[tuple[str, str]]] = {
    "S": [("evaluate", "summary.time_to_first"), ("evaluate", "summary.time_to_hub"),
          ("evaluate", "regions[].time_to_first"), ("evaluate", "regions[].time_to_hub"),
          ("evaluate_wessex", "regions[].time_to_hub"), ("evaluate", "equity.groups[].time_to_first"),
          ("evaluate_wessex", "equity.groups[].time_to_hub"), ("compare", "summary.time_to_hub_a"),
          ("compare", "summary.time_to_hub_b"), ("optimise", "evaluation.summary.time_to_hub"),
          ("appraise", "options[].summary.time_to_hub"),
          ("appraise", "options[].compared_with_baseline.time_to_hub_b")],
    "option": [("evaluate", "option"), ("evaluate_helicopter", "option"), ("optimise", "evaluation.option"),
               ("compare", "options.A"), ("compare", "options.B"), ("appraise", "options[].option")],
    "option.helicopter": [("evaluate_helicopter", "option.helicopter")],
    "demand": [("evaluate", "summary.demand"), ("evaluate_vascular", "summary.demand"), ("sweep", "demand"),
               ("capacity", "demand"), ("workforce", "demand"), ("appraise", "demand"),
               ("appraise", "options[].summary.demand")],
    "sites[]": [("sites", "[]"), ("sites_wessex", "[]")],
    "regions[]": [("regions", "[]")],
    "evaluate": [("evaluate", ""), ("evaluate_helicopter", ""), ("evaluate_vascular", ""), ("evaluate_maternity", ""),
                 ("evaluate_wessex", ""), ("optimise", "evaluation"), ("optimise_deadline", "evaluation"),
                 ("optimise_outcome", "evaluation"), ("optimise_outcome_curve", "evaluation")],
    "evaluate.capacity-unavailable": [("evaluate_vascular", "capacity")],
    "kind": [("evaluate", "kind"), ("evaluate_wessex", "kind"), ("evaluate_maternity", "kind"), ("appraise", "options[].kind"),
             ("review", "kind")],
    "kind.measures[]": [("evaluate_maternity", "kind.measures[]"), ("review", "kind.measures[]")],
    "kind.tables[]": [("evaluate_maternity", "kind.tables[]"), ("review", "kind.tables[]")],
    "review": [("review", "")],
    "summary": [("evaluate", "summary"), ("evaluate_helicopter", "summary"), ("evaluate_wessex", "summary"),
                ("evaluate_vascular", "summary"), ("optimise", "evaluation.summary"),
                ("optimise_outcome_curve", "evaluation.summary"), ("appraise", "options[].summary")],
    "summary.outcomes": [("evaluate", "summary.outcomes"), ("evaluate_vascular", "summary.outcomes"),
                         ("evaluate_wessex", "summary.outcomes"), ("optimise_outcome_curve", "evaluation.summary.outcomes"),
                         ("appraise", "options[].summary.outcomes")],
    "summary.outcomes.parameters[]": [("evaluate", "summary.outcomes.parameters[]"),
                                      ("optimise_outcome_curve", "evaluation.summary.outcomes.parameters[]")],
    "summary.patients_by_route": [("evaluate", "summary.patients_by_route"),
                                  ("evaluate_helicopter", "summary.patients_by_route")],
    "evaluate.sites[]": [("evaluate", "sites[]"), ("evaluate_wessex", "sites[]"), ("evaluate_vascular", "sites[]"),
                         ("optimise", "evaluation.sites[]"), ("optimise_outcome_curve", "evaluation.sites[]")],
    "evaluate.outcomes": [("evaluate", "outcomes"), ("evaluate_vascular", "outcomes"), ("evaluate_wessex", "outcomes"),
                          ("optimise_outcome_curve", "evaluation.outcomes")],
    "evaluate.outcomes.by_region[]": [("evaluate", "outcomes.by_region[]"), ("evaluate_wessex", "outcomes.by_region[]"),
                                      ("optimise_outcome_curve", "evaluation.outcomes.by_region[]")],
    "evaluate.outcomes.by_group[]": [("evaluate", "outcomes.by_group[]"), ("evaluate_wessex", "outcomes.by_group[]"),
                                     ("optimise_outcome_curve", "evaluation.outcomes.by_group[]")],
    "evaluate.outcomes.by_site[]": [("evaluate", "outcomes.by_site[]"), ("evaluate_wessex", "outcomes.by_site[]"),
                                    ("optimise_outcome_curve", "evaluation.outcomes.by_site[]")],
    "evaluate.regions[]": [("evaluate", "regions[]"), ("evaluate_wessex", "regions[]")],
    "travel_times": [("evaluate", "travel_times"), ("evaluate_wessex", "travel_times"), ("sweep", "travel_times"),
                     ("capacity", "travel_times"), ("workforce", "travel_times"), ("compare", "travel_times.A"),
                     ("compare", "travel_times.B")],
    "travel_times.sources": [("evaluate", "travel_times.sources"), ("evaluate_wessex", "travel_times.sources"),
                             ("sweep", "travel_times.sources")],
    "travel_times.accuracy": [("evaluate_new_site", "travel_times.accuracy")],
    "equity": [("evaluate", "equity"), ("evaluate_wessex", "equity"), ("evaluate_helicopter", "equity")],
    "equity.groups[]": [("evaluate", "equity.groups[]"), ("evaluate_wessex", "equity.groups[]")],
    "equity.gaps": [("evaluate", "equity.gaps"), ("evaluate_wessex", "equity.gaps")],
    "compare": [("compare", "")],
    "compare.options": [("compare", "options")],
    "compare.travel_times": [("compare", "travel_times")],
    "compare.summary": [("compare", "summary"), ("appraise", "options[].compared_with_baseline")],
    "compare.regions[]": [("compare", "regions[]")],
    "compare.equity": [("compare", "equity")],
    "compare.equity.groups[]": [("compare", "equity.groups[]")],
    "compare.equity.gaps": [("compare", "equity.gaps")],
    "compare.equity.gaps.*": [("compare", "equity.gaps.*")],
    "compare.outcomes": [("compare", "outcomes"), ("compare", "summary.outcomes"),
                         ("appraise", "options[].compared_with_baseline.outcomes")],
    "compare.outcomes.a": [("compare", "outcomes.a"), ("compare", "outcomes.b"), ("compare", "outcomes.change"),
                           ("appraise", "options[].compared_with_baseline.outcomes.change")],
    "optimise": [("optimise", ""), ("optimise_lagrangian", ""), ("optimise_none_found", ""), ("optimise_deadline", ""),
                 ("optimise_outcome", ""), ("optimise_outcome_curve", "")],
    "optimise.outcome_vs_minutes": [("optimise_outcome", "outcome_vs_minutes"),
                                    ("optimise_outcome_curve", "outcome_vs_minutes")],
    "optimise.outcome_vs_minutes.minutes_optimum": [
        (name, f"outcome_vs_minutes.{which}") for name in ("optimise_outcome", "optimise_outcome_curve")
        for which in ("minutes_optimum", "outcome_optimum")],
    "solution": [("optimise", "solution"), ("optimise_none_found", "solution"), ("optimise_deadline", "solution"),
                 ("optimise_outcome", "solution"), ("optimise_outcome_curve", "solution"),
                 ("appraise", "options[].solution")],
    "solution.details": [("optimise", "solution.details"), ("optimise_lagrangian", "solution.details"),
                         ("optimise_neighbourhood", "solution.details"), ("optimise_none_found", "solution.details"),
                         ("optimise_deadline", "solution.details"), ("optimise_outcome", "solution.details"),
                         ("optimise_outcome_curve", "solution.details"), ("appraise", "options[].solution.details")],
    "sweep": [("sweep", ""), ("sweep_infeasible", "")],
    "sweep.sweep[]": [("sweep", "sweep[]"), ("sweep_infeasible", "sweep[]"), ("appraise", "sweep[]")],
    "sweep.pareto[]": [("sweep", "pareto[]")],
    "capacity": [("capacity", ""), ("capacity_simulated", ""), ("evaluate", "capacity"),
                 ("evaluate_wessex", "capacity")],
    "capacity.sites[]": [("capacity", "sites[]"), ("evaluate", "capacity.sites[]"),
                         ("evaluate_wessex", "capacity.sites[]")],
    "capacity.network": [("capacity", "network"), ("evaluate_wessex", "capacity.network"), ("workforce", "network"),
                         ("appraise", "options[].capacity")],
    "capacity.regions[]": [("capacity", "regions[]"), ("evaluate_wessex", "capacity.regions[]"),
                           ("workforce", "scenarios[].regions[]")],
    "capacity.pipeline[]": [("capacity", "pipeline[]"), ("workforce", "pipeline[]")],
    "capacity.parameters[]": [("capacity", "parameters[]"), ("evaluate_wessex", "capacity.parameters[]"),
                              ("workforce", "parameters[]")],
    "capacity.simulation[]": [("capacity_simulated", "simulation[]")],
    "workforce": [("workforce", "")],
    "workforce.sites[]": [("workforce", "sites[]")],
    "workforce.scenarios[]": [("workforce", "scenarios[]")],
    "workforce.scenarios[].sites[]": [("workforce", "scenarios[].sites[]")],
    "benchmark": [("benchmark", ""), ("benchmark_ratio", "")],
    "benchmark.counts": [("benchmark", "counts"), ("benchmark_ratio", "counts")],
    "benchmark.counts.adjusted": [("benchmark", "counts.adjusted"), ("benchmark", "counts.unadjusted")],
    "benchmark.providers[]": [("benchmark", "providers[]"), ("benchmark_ratio", "providers[]")],
    "benchmark.regions": [("benchmark", "regions")],
    "benchmark.regions.highest": [("benchmark", "regions.highest"), ("benchmark", "regions.lowest")],
    "benchmark.regions.table[]": [("benchmark", "regions.table[]")],
    "spc": [("spc", ""), ("spc_ratio", "")],
    "spc.charts[]": [("spc", "charts[]"), ("spc_ratio", "charts[]")],
    "spc.charts[].segments[]": [("spc", "charts[].segments[]"), ("spc_ratio", "charts[].segments[]")],
    "spc.charts[].counts": [("spc", "charts[].counts"), ("spc_ratio", "charts[].counts")],
    "spc.charts[].variation_counts": [("spc", "charts[].variation_counts"), ("spc_ratio", "charts[].variation_counts")],
    "spc.charts[].latest": [("spc", "charts[].latest"), ("spc_ratio", "charts[].latest")],
    "spc.charts[].points[]": [("spc", "charts[].points[]"), ("spc_ratio", "charts[].points[]")],
    "appraise": [("appraise", "")],
    "appraise.options[]": [("appraise", "options[]")],
    "appraise.options[].criteria": [("appraise", "options[].criteria")],
    "appraise.criteria[]": [("appraise", "criteria[]")],
    "appraise.criteria_left_out[]": [("appraise", "criteria_left_out[]")],
    "appraise.sensitivity[]": [("appraise", "sensitivity[]")],
    "appraise.rank_stability[]": [("appraise", "rank_stability[]")],
    "uncertainty": [("uncertainty", ""), ("uncertainty_no_parameters", "")],
    "uncertainty.parameters[]": [("uncertainty", "parameters[]")],
    "uncertainty.options[]": [("uncertainty", "options[]"), ("uncertainty_no_parameters", "options[]")],
    "uncertainty.options[].criteria": [("uncertainty", "options[].criteria"),
                                       ("uncertainty_no_parameters", "options[].criteria")],
    "uncertainty.options[].criteria.*": [("uncertainty", "options[].criteria.*"),
                                         ("uncertainty_no_parameters", "options[].criteria.*")],
    "uncertainty.options[].p_flag": [("uncertainty", "options[].p_flag"),
                                     ("uncertainty_no_parameters", "options[].p_flag")],
    "uncertainty.drivers[]": [("uncertainty", "drivers[]")],
    "uncertainty.drivers[].spearman_with_score": [("uncertainty", "drivers[].spearman_with_score")],
    "uncertainty.robust_sites": [("uncertainty", "robust_sites"), ("uncertainty_no_parameters", "robust_sites")],
    "uncertainty.robust_sites.*": [("uncertainty", "robust_sites.*"), ("uncertainty_no_parameters", "robust_sites.*")],
}
# `S.within` is every `within` of an S
CHECKS["S.within"] = [(name, f"{path}.within") for name, path in CHECKS["S"]]

def walk(value: Any, path: str, where: str) -> Iterator[tuple[str, Any]]:
    """The objects at ``path`` in ``value`` (missing or null steps give nothing; ``*`` is
    every value of an object)."""
    if not path:
        yield where, value
        return
    step, _, rest = path.partition(".")
    if step == "*":
        for key, item in value.items():
            if item is not None:
                yield from walk(item, rest, f"{where}.{key}")
        return
    many = step.endswith("[]")
    key = step[:-2] if many else step
    item = value.get(key) if key else value
    if item is None:
        return
    if many:
        for i, element in enumerate(item):
            yield from walk(element, rest, f"{where}.{key}[{i}]")
    else:
        yield from walk(item, rest, f"{where}.{key}")


def type_ok(value: Any, alternatives: tuple[str, ...]) -> bool:
    def one(v: Any, t: str) -> bool:
        if t.startswith("array of "):
            element = t.removeprefix("array of ").removesuffix("s")
            return isinstance(v, list) and all(one(e, element) for e in v)
        return {
            "null": v is None,
            "number": isinstance(v, (int, float)) and not isinstance(v, bool),
            "integer": isinstance(v, int) and not isinstance(v, bool),
            "string": isinstance(v, str),
            "boolean": isinstance(v, bool),
            "object": isinstance(v, dict),
            "array": isinstance(v, list),
        }[t]

    return any(one(value, t) for t in alternatives)


def check_object(table: str, obj: Any, where: str, seen: set[str]) -> list[str]:
    """What is wrong with ``obj`` against the table ``table`` (nothing: ``[]``)."""
    if not isinstance(obj, dict):
        return [f"{where}: expected an object for table {table!r}, got {type(obj).__name__}"]
    keys = TABLES[table]
    problems = []
    for name, value in obj.items():
        spec = next((k for k in keys if k.pattern.fullmatch(name)), None)
        if spec is None:
            problems.append(f"{where}: key {name!r} is not documented in docs/json.md (table {table!r})")
            continue
        seen.add(spec.name)
        if not type_ok(value, spec.types):
            problems.append(f"{where}.{name}: {json.dumps(value)[:80]} is not {' or '.join(spec.types)} "
                            f"(docs/json.md, table {table!r})")
    for spec in keys:
        if not spec.optional and not any(spec.pattern.fullmatch(name) for name in obj):
            problems.append(f"{where}: key {spec.name!r} is documented as always present (table {table!r}) "
                            "but is missing")
    return problems


def _table_params() -> list[Any]:
    params = []
    for table in sorted(CHECKS):
        slow = any(name in SLOW_RUNS for name, _ in CHECKS[table])
        params.append(pytest.param(table, id=table, marks=[pytest.mark.slow] if slow else []))
    return params


# ----------------------------------------------------------------------------- tests
def test_every_table_is_checked_and_every_check_has_a_table() -> None:
    assert set(CHECKS) == set(TABLES)
    runs = {name for pairs in CHECKS.values() for name, _ in pairs}
    assert runs <= set(EXAMPLES) | set(RUNS) | set(SLOW_RUNS)
    assert set(EXAMPLES) <= runs, "every example's output is checked against the tables"
    assert set(RUNS) | set(SLOW_RUNS) <= runs, "every extra run is used"


def test_the_page_has_an_example_for_every_command_with_json() -> None:
    commands = {args[0] for args, _ in EXAMPLES.values()}
    assert commands == {"sites", "regions", "evaluate", "compare", "optimise", "sweep", "capacity", "workforce",
                        "benchmark", "appraise", "uncertainty", "spc"}


@pytest.mark.parametrize("table", _table_params())
def test_output_keys_are_the_documented_keys(table: str, run: Runner) -> None:
    problems: list[str] = []
    seen: set[str] = set()
    checked = 0
    for name, path in CHECKS[table]:
        for where, obj in walk(run(name), path, name):
            checked += 1
            problems += check_object(table, obj, where, seen)
    assert checked, f"no object was checked against table {table!r}"
    assert not problems, "\n".join(problems[:20])
    documented = {k.name for k in TABLES[table]}
    unseen = documented - seen
    assert not unseen, f"table {table!r} documents keys that no run produced: {sorted(unseen)}"


def test_thresholds_are_the_presets(run: Runner) -> None:
    # thrombectomy's thresholds_minutes are [30, 45, 60] (presets.toml): the <T> of `within`
    assert list(run("evaluate")["summary"]["time_to_hub"]["within"]) == ["30", "45", "60"]
    assert [k for k in run("sweep")["sweep"][0] if k.startswith("within_")] == ["within_30", "within_45",
                                                                                  "within_60"]


def matches_example(example: Any, actual: Any, where: str) -> list[str]:
    """Where the example differs from the output: objects may leave keys out, arrays may
    stop early, numbers agree to 1e-9 (``seconds`` are not compared)."""
    if isinstance(example, dict):
        if not isinstance(actual, dict):
            return [f"{where}: the output is not an object"]
        problems = []
        for key, value in example.items():
            if key not in actual:
                problems.append(f"{where}: the output has no key {key!r}")
            elif key not in VOLATILE_KEYS:
                problems += matches_example(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(example, list):
        if not isinstance(actual, list) or len(example) > len(actual):
            return [f"{where}: the output is not an array of at least {len(example)}"]
        return [p for i, (e, a) in enumerate(zip(example, actual)) for p in matches_example(e, a, f"{where}[{i}]")]
    if isinstance(example, float) or isinstance(actual, float):
        ok = (isinstance(actual, (int, float)) and not isinstance(actual, bool)
              and math.isclose(example, actual, rel_tol=1e-9, abs_tol=1e-12))
        return [] if ok else [f"{where}: the example has {example!r}, the output {actual!r}"]
    return [] if example == actual and type(example) is type(actual) else [
        f"{where}: the example has {example!r}, the output {actual!r}"]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_examples_are_the_output(name: str, run: Runner) -> None:
    example = json.loads(EXAMPLES[name][1])
    problems = matches_example(example, run(name), name)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize(("command", "file", "left_out"), [("evaluate", "evaluation.json", ("capacity", "kind")),
                                                          ("capacity", "capacity.json", ("demand", "travel_times"))])
def test_out_files_hold_the_same_document(command: str, file: str, left_out: tuple[str, ...], folder: Path,
                                          tmp_path: Path) -> None:
    # docs/json.md: evaluation.json is the document without `capacity` and `kind`, capacity.json without `demand`
    args = EXAMPLES[command][0]
    res = subprocess.run([str(HUBPLAN), *args, "--format", "json", "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, cwd=folder)
    assert res.returncode == 0, res.stderr
    assert res.stderr.startswith("wrote "), res.stderr  # on stderr, not in the document
    printed = json.loads(res.stdout)
    written = json.loads((tmp_path / "o" / file).read_text(encoding="utf-8"))
    assert all(k in printed and k not in written for k in left_out)
    assert written == {k: v for k, v in printed.items() if k not in left_out}


def test_no_feasible_found_prints_the_solution_and_no_evaluation(run: Runner) -> None:
    # exit status 1 is checked by the runner; the catchments of every pair are below 45 at
    # one hub (S1+S3 30/70, S2+S4 60/40, S1+S2 10/90, S1+S4 30/70, S2+S3 30/70, S3+S4 60/40)
    data = run("optimise_none_found")
    solution = data["solution"]
    assert data["evaluation"] is None and solution["status"] == "no_feasible_found"
    assert solution["bound"] is None and solution["gap"] is None
    small = [code for code, patients in solution["hub_patients"].items() if patients < 45]
    assert small and solution["details"]["violations"] == [
        f"{code} gets {solution['hub_patients'][code]:g} patients, fewer than 45" for code in small]


def test_outcome_optimum_under_a_step_curve(run: Runner) -> None:
    # CURVE_CSV, added against its last point (0.5): 0.4 per patient within 25 min of the
    # hub, 0 from 30. By hand over the six pairs (minutes of net/travel_times.csv, patients
    # 10/20/30/40): S2+S3 has A2 (15), A3 (20) and A4 (25) within 25 min, 0.4 x 90 = 36
    # added a year (S1+S3 32, S3+S4 28, S2+S4 24, S1+S4 20, S1+S2 12); the minutes optimum
    # S2+S4 (22.8 min) adds 24; S2+S3's mean is 23.5 min.
    data = run("optimise_outcome_curve")
    assert data["solution"]["sites"] == ["S2", "S3"] and data["solution"]["status"] == "optimal"
    assert data["solution"]["objective"] == pytest.approx(36.0)
    versus = data["outcome_vs_minutes"]
    assert versus["minutes_optimum"]["sites"] == ["S2", "S4"]
    assert versus["only_in_outcome_optimum"] == ["S3"] and versus["only_in_minutes_optimum"] == ["S4"]
    assert versus["outcome_optimum"]["added_good_outcomes_per_year"] == pytest.approx(36.0)
    assert versus["outcome_optimum"]["good_outcomes_per_year"] == pytest.approx(36.0 + 0.5 * 100)
    assert versus["minutes_optimum"]["added_good_outcomes_per_year"] == pytest.approx(24.0)
    assert versus["added_good_outcomes_difference"] == pytest.approx(12.0)
    assert versus["mean_minutes_difference"] == pytest.approx(23.5 - 22.8)
    assert versus["added_utility_difference"] is None  # a curve has no utility
    outcomes = data["evaluation"]["outcomes"]
    assert outcomes["model"] == "curve" and outcomes["added_utility_per_year"] is None
    # each hub's catchment: S2 has A1 (45 min: 0) and A2 (20 x 0.4), S3 has A3 and A4 (70 x 0.4)
    assert [(s["site_code"], s["added_good_outcomes_per_year"]) for s in outcomes["by_site"]] == [
        ("S2", pytest.approx(8.0)), ("S3", pytest.approx(28.0))]


def test_uncertainty_by_hand(folder: Path, tmp_path: Path) -> None:
    # uncertainty.toml on the example network. By hand from net/travel_times.csv (patients
    # 10/20/30/40): today's two centres (S1, S3) give A1-A4 10, 30, 20 and 25 min to hub, a mean
    # of 23; the best two (S2, S4) 45, 15, 35 and 12, a mean of 22.8. `travel_times.multiplier`
    # m scales every minute alike and `demand.multiplier` every area's patients alike, so a
    # draw's means are 23 m and 22.8 m and S2 + S4 stay the best pair (robust in every draw).
    # Within 30 min of a hub: today's 0.8 + 0.2 [m <= 1] (A2 at 30 m min, A4 at 25 m <= 30 with
    # m <= 1.2), the best two 0.6 (A2, A4). One hub at S3 with the other sites as spokes has
    # only A3 within 30 min (0.3: A4 is 13 min further from S3 than from S4, more than the bypass
    # of 0, or 10 in the draws) and a mean of at least 30 m (the direct times to S3; a transfer
    # adds 30 min or more), so it is last on both scored criteria and scores 0 in every draw;
    # today's scores at least 0.75 (30 - 23)/(30 - 22.8) + 0.25 = 0.979, the best two at most
    # 0.75 + 0.25 x (0.6 - 0.3)/(0.8 - 0.3) = 0.9: today's is first in every draw (and at the
    # scenario's own values: 71.8 min for one hub), the best two second.
    res = subprocess.run([str(HUBPLAN), "uncertainty", "uncertainty.toml", "--format", "json", "--out",
                          str(tmp_path / "o")], capture_output=True, text=True, cwd=folder)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout, parse_constant=_refuse_constant)
    assert json.loads((tmp_path / "o" / "uncertainty.json").read_text(encoding="utf-8")) == doc
    with open(tmp_path / "o" / "uncertainty_draws.csv", encoding="utf-8", newline="") as f:
        draws = list(csv.DictReader(f))  # the draws' values (6 significant digits) and scores
    assert doc["draws"] == len(draws) == 8 and doc["seed"] == 5 and doc["executor"] == "in-process"
    m = np.array([float(d["travel_times.multiplier"]) for d in draws])
    assert m.min() >= 0.8 and m.max() <= 1.2 and np.abs(m - 1.0).min() > 1e-4  # no draw too near 30 min
    options = {o["name"]: o for o in doc["options"]}
    assert list(options) == ["today's two centres", "one hub, three spokes", "best two"]
    for name, mean, within in (("today's two centres", 23.0 * m, np.where(m <= 1.0, 1.0, 0.8)),
                               ("best two", 22.8 * m, np.full(len(m), 0.6))):
        for criterion, x, tol in (("time_to_hub_mean_minutes", mean, 1e-5), ("time_to_hub_within_30", within, 1e-12)):
            got = options[name]["criteria"][criterion]
            assert got["draws_with_value"] == 8
            assert got["mean"] == pytest.approx(x.mean(), rel=tol)
            for p in (5, 50, 95):
                assert got[f"p{p}"] == pytest.approx(np.percentile(x, p), rel=tol)
    for o in doc["options"]:
        beds = o["criteria"]["beds_at_target_occupancy"]
        assert o["beds_p95"] == beds["p95"] and beds["p5"] <= beds["p50"] <= beds["p95"]
        assert o["criteria"]["wimd_gap_time_to_hub_mean_minutes"] == {  # the example network has no WIMD
            "mean": None, "p5": None, "p50": None, "p95": None, "draws_with_value": 0}
    assert doc["deterministic_ranking"] == ["today's two centres", "best two", "one hub, three spokes"]
    assert [o["p_rank_first"] for o in doc["options"]] == [1.0, 0.0, 0.0]
    assert {d["first"] for d in draws} == {"today's two centres"}
    assert doc["robust_sites"] == {"best two": {"S2": 1.0, "S4": 1.0}}
    # drivers: every parameter but the fixed bypass, its correlation with each score (scipy
    # on the draws' values), the shared driver `growth` giving its two parameters the same
    assert [p["parameter"] for p in doc["parameters"]] == [
        "service.transfer_delay_minutes", "demand.multiplier", "service.length_of_stay_days",
        "travel_times.multiplier", "option.bypass_minutes"]
    drivers = {d["parameter"]: d for d in doc["drivers"]}
    assert set(drivers) == {p["parameter"] for p in doc["parameters"]} - {"option.bypass_minutes"}
    assert {float(d["score: one hub, three spokes"]) for d in draws} == {0.0}
    score = [float(d["score: today's two centres"]) for d in draws]
    for name, d in drivers.items():
        assert d["spearman_with_score"]["one hub, three spokes"] is None
        expected = stats.spearmanr([float(row[name]) for row in draws], score).statistic
        assert d["spearman_with_score"]["today's two centres"] == pytest.approx(expected, abs=1e-9)
        assert d["largest"] == max(abs(v) for v in d["spearman_with_score"].values() if v is not None)
    assert drivers["demand.multiplier"]["driver"] == drivers["service.length_of_stay_days"]["driver"] == "growth"
    assert drivers["demand.multiplier"]["spearman_with_score"] == drivers["service.length_of_stay_days"][
        "spearman_with_score"]
    # the lead of today's over the best two (the closer of the others), each criterion in its
    # range over the options at the scenario's values (mean minutes 22.8 to 71.8 for one hub, 49;
    # within 30 0.3 to 1.0, 0.7), weight shares 0.75 and 0.25: -0.75 x 0.2 m / 49 + 0.25 x
    # (within - 0.6) / 0.7, falling as m rises (correlation -1 with the road times)
    lead = np.array([float(d["lead of the deterministic first"]) for d in draws])
    within = np.where(m <= 1.0, 1.0, 0.8)
    np.testing.assert_allclose(lead, -0.75 * 0.2 * m / 49 + 0.25 * (within - 0.6) / 0.7, rtol=1e-5)
    assert drivers["travel_times.multiplier"]["spearman_with_lead"] == pytest.approx(-1.0)
    for name, d in drivers.items():
        expected = stats.spearmanr([float(row[name]) for row in draws], lead).statistic
        assert d["spearman_with_lead"] == pytest.approx(expected, abs=1e-9)
    order = [(abs(d["spearman_with_lead"] or 0.0), d["largest"] or 0.0) for d in doc["drivers"]]
    assert order == sorted(order, reverse=True)
    assert doc["drivers"][0]["parameter"] == "travel_times.multiplier"


def test_uncertainty_without_parameters_is_the_appraisal(run: Runner) -> None:
    # scenario.toml has no [uncertainty]: every draw is its appraisal. By hand (see
    # test_uncertainty_by_hand): today's 23 min on average and all within 30 min, the best two
    # (S2, S4) 22.8 min and 0.6 within 30; weights 3 and 1 give the best two 0.75 and today's 0.25
    doc = run("uncertainty_no_parameters")
    assert doc["draws"] == 3 and doc["seed"] == 2 and doc["parameters"] == [] and doc["drivers"] == []
    assert doc["deterministic_ranking"] == ["best two", "today's two centres"]
    options = {o["name"]: o for o in doc["options"]}
    assert options["best two"]["p_rank_first"] == 1.0 and options["today's two centres"]["p_rank_first"] == 0.0
    for name, mean, within in (("today's two centres", 23.0, 1.0), ("best two", 22.8, 0.6)):
        for criterion, value in (("time_to_hub_mean_minutes", mean), ("time_to_hub_within_30", within)):
            got = options[name]["criteria"][criterion]
            assert got["draws_with_value"] == 3
            assert [got[k] for k in ("mean", "p5", "p50", "p95")] == pytest.approx([value] * 4, rel=1e-6)
    assert doc["robust_sites"] == {"best two": {"S2": 1.0, "S4": 1.0}}
