"""How sure are we? A Monte Carlo appraisal over uncertain planning assumptions.

Any numeric parameter of the service (``service.<name>``, ``service.parameters.<name>``,
``service.outcome.<name>``), of every option (``option.bypass_minutes``,
``option.transfer_delay_minutes``), the demand (``demand.multiplier``: growth) and the
travel times (``travel_times.multiplier`` on every minute, ``travel_times.estimated_multiplier``
on the minutes of sites whose minutes are estimated) can be given a distribution:

=============  ==========================================  =================================
distribution   settings                                    drawn as
=============  ==========================================  =================================
fixed          value                                       that value
uniform        low, high                                   ``scipy.stats.uniform``
triangular     low, mode, high                             ``scipy.stats.triang``
normal         mean, sd [, low, high]                      ``scipy.stats.norm``, truncated
lognormal      median, sigma [, low, high]                 ``scipy.stats.lognorm`` (sigma of
                                                           the log), truncated
beta           alpha, beta [, low = 0, high = 1]           ``scipy.stats.beta`` scaled
draws          csv, column                                 the file's values, resampled
=============  ==========================================  =================================

Every draw starts from one uniform number per *driver* from
``numpy.random.default_rng(seed)`` (drawn here, before any task runs) turned into the
parameter's value by the inverse of its distribution; parameters that name the same
``driver`` (one source driving several figures) share that uniform number, so they move
together (rank correlation 1). A draw whose value a parameter cannot take (e.g. a
negative transfer delay) is refused before anything runs: bounded distributions, or
``low`` / ``high`` truncation, keep values valid. Whole-number parameters (consultants)
are rounded.

Each draw is a whole appraisal: options re-optimised where the scenario optimises them
(the robust sites), every option evaluated, beds and workforce, the criteria and the
weighted score (:func:`hubplan.planning.appraise.appraise`). The draws run through
:class:`hubplan.executor.Executor` (in-process, local processes or Dask) and give the
same numbers on every back end.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from hubplan.errors import InputError
from hubplan.executor import Executor
from hubplan.planning.distributions import PERCENTILES, UncertaintySpec, _target_limit, apply_draw, draw_values
from hubplan.validation import LIMITS, shown

if TYPE_CHECKING:
    import pandas as pd

    from hubplan.planning.appraise import Appraisal
    from hubplan.planning.scenario import Scenario

__all__ = ["UncertaintyResult", "UncertaintySpec", "run_uncertainty"]


def _one_draw(shared: Mapping[str, Any], item: tuple[int, Mapping[str, float]]) -> dict[str, Any]:
    """One appraisal at one draw's values (runs on any back end)."""
    from hubplan.access.evaluate import evaluate
    from hubplan.planning.appraise import appraise
    from hubplan.planning.scenario import build_option, optimise_option

    index, values = item
    scenario: "Scenario" = shared["scenario"]
    network, service, _ = apply_draw(values, shared["network"], shared["service"], [])
    options, sites = [], {}
    for spec in scenario.options:
        if spec.optimise is not None:
            if "option.transfer_delay_minutes" in values:  # the drawn delay shapes the choice too
                spec = dataclasses.replace(spec, transfer_delay_minutes=values["option.transfer_delay_minutes"])
            option, solution = optimise_option(network, service, spec, scenario.file_name, threads=1)
            sites[spec.name] = list(solution.sites)
        else:
            option = build_option(network, service, spec, scenario.file_name)
        options.append(option)
    _, _, options = apply_draw({k: v for k, v in values.items() if k.startswith("option.")}, network, service,
                               options)
    evaluations = [evaluate(network, service, o) for o in options]
    how = scenario.appraisal
    a = appraise(network, service, evaluations, baseline=how.baseline, criteria=how.criteria,
                 region_type=how.region_type, workforce=how.workforce, seed=how.seed, draws=1)
    flags: dict[str, list[str] | None] = {}
    for name, cap in a.capacity.items():
        result = cap.result
        if result is None:
            flags[name] = None
            continue
        hubs = result.sites[result.sites["role"] == "hub"]
        flags[name] = sorted({str(f).split(":")[0] for fl in hubs["flags"] for f in fl})
    return {
        "index": index,
        "values": {o: {c: _plain(v) for c, v in row.items()} for o, row in a.values.to_dict(orient="index").items()},
        "scores": {o: float(s) for o, s in a.scores.scores.items()},
        "ranking": list(a.scores.ranking),
        "criteria": [c.name for c in a.scores.criteria],
        "flags": flags,
        "sites": sites,
    }


def _plain(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """The draws and what they say (see :meth:`to_json`)."""

    spec: UncertaintySpec
    draws: int
    seed: int
    executor: str
    values: list[dict[str, float]]
    results: list[dict[str, Any]]
    options: tuple[str, ...]
    deterministic_ranking: tuple[str, ...]
    notes: tuple[str, ...] = ()
    #: Per draw: how far the option first in the deterministic appraisal leads the best other
    #: option (see :func:`_leads`); the quantity the drivers and the tornado chart explain.
    leads: tuple[float, ...] = ()

    def criterion_table(self) -> "pd.DataFrame":
        """One row per option and criterion: mean, p5, p50, p95 over the draws (NaN-aware)."""
        import pandas as pd

        rows = []
        criteria = list(self.results[0]["values"][self.options[0]]) if self.results else []
        for option in self.options:
            for c in criteria:
                x = np.array([r["values"][option].get(c, math.nan) for r in self.results], dtype=float)
                ok = x[np.isfinite(x)]
                row = {"option": option, "criterion": c, "draws_with_value": int(len(ok)),
                       "mean": float(ok.mean()) if len(ok) else math.nan}
                for p in PERCENTILES:
                    row[f"p{p}"] = float(np.percentile(ok, p)) if len(ok) else math.nan
                rows.append(row)
        return pd.DataFrame(rows)

    def p_rank_first(self) -> dict[str, float]:
        n = len(self.results)
        return {o: sum(r["ranking"][0] == o for r in self.results) / n for o in self.options}

    def drivers(self) -> list[dict[str, Any]]:
        """Per uncertain parameter (not fixed): Spearman rank correlation of its values with
        each option's score over the draws; sorted by the largest size."""
        from scipy.stats import spearmanr

        out = []
        for u in self.spec.parameters:
            if u.distribution == "fixed":
                continue
            x = np.array([v[u.parameter] for v in self.values])
            rho: dict[str, float | None] = {}
            for option in self.options:
                y = np.array([r["scores"][option] for r in self.results])
                if np.ptp(x) == 0 or np.ptp(y) == 0:
                    rho[option] = None
                else:
                    rho[option] = float(spearmanr(x, y).statistic)
            sizes = [abs(v) for v in rho.values() if v is not None]
            lead = np.asarray(self.leads, dtype=float)
            with_lead = None
            if len(lead) == len(x) and np.ptp(x) > 0 and np.isfinite(lead).all() and np.ptp(lead) > 0:
                with_lead = float(spearmanr(x, lead).statistic)
            out.append({"parameter": u.parameter, "distribution": u.describe(), "driver": u.driver,
                        "source": u.source, "spearman_with_lead": with_lead, "spearman_with_score": rho,
                        "largest": max(sizes) if sizes else None})
        return sorted(out, key=lambda d: (-abs(d["spearman_with_lead"] or 0.0), -(d["largest"] or 0.0)))

    def robust_sites(self) -> dict[str, dict[str, float]]:
        """Per optimised option: the share of draws in which each site is chosen."""
        out: dict[str, dict[str, int]] = {}
        n = len(self.results)
        for r in self.results:
            for option, sites in r["sites"].items():
                counts = out.setdefault(option, {})
                for s in sites:
                    counts[s] = counts.get(s, 0) + 1
        # counted, then divided: a site chosen in every one of 10 draws is 1.0, not ten 0.1s (0.9999999999999999)
        return {o: {s: k / n for s, k in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))} for o, c in out.items()}

    def draws_table(self) -> "pd.DataFrame":
        """One row per draw: its parameter values, each option's score and the option first."""
        return _draws_table(self)

    def option_json(self) -> list[dict[str, Any]]:
        table = self.criterion_table()
        first = self.p_rank_first()
        out = []
        for option in self.options:
            rows = table[table["option"] == option]
            criteria = {r["criterion"]: {"mean": _num(r["mean"]), **{f"p{p}": _num(r[f"p{p}"]) for p in PERCENTILES},
                                         "draws_with_value": int(r["draws_with_value"])}
                        for r in rows.to_dict(orient="records")}
            flags = [r["flags"][option] for r in self.results]
            known = [f for f in flags if f is not None]
            kinds = sorted({k for f in known for k in f})
            shortfall = np.array([r["values"][option].get("workforce_shortfall", math.nan) for r in self.results])
            beds = np.array([r["values"][option].get("beds_at_target_occupancy", math.nan) for r in self.results])
            out.append({
                "name": option,
                "p_rank_first": first[option],
                "criteria": criteria,
                "p_standards_flag": (sum(bool(f) for f in known) / len(known)) if known else None,
                "p_flag": {k: sum(k in f for f in known) / len(known) for k in kinds},
                "p_workforce_shortfall": _share(shortfall, lambda x: x > 0),
                "beds_p95": _num(np.percentile(beds[np.isfinite(beds)], 95)) if np.isfinite(beds).any() else None,
            })
        return out

    def to_json(self) -> dict[str, Any]:
        """The ``hubplan uncertainty --format json`` document (docs/uncertainty.md)."""
        return {
            "draws": self.draws,
            "seed": self.seed,
            "executor": self.executor,
            "parameters": [{"parameter": u.parameter, "distribution": u.describe(), "driver": u.driver,
                            "source": u.source} for u in self.spec.parameters],
            "deterministic_ranking": list(self.deterministic_ranking),
            "options": self.option_json(),
            "drivers": self.drivers(),
            "robust_sites": self.robust_sites(),
            "notes": list(self.notes),
        }


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _share(x: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> float | None:
    ok = x[np.isfinite(x)]
    return float(test(ok).mean()) if len(ok) else None


def run_uncertainty(scenario: "Scenario", spec: UncertaintySpec, *, draws: int | None = None, seed: int | None = None,
                    executor: Executor | None = None, progress: Callable[[int, int], None] | None = None,
                    say: Callable[[str], None] | None = None,
                    deterministic: "Appraisal | None" = None) -> UncertaintyResult:
    """The Monte Carlo appraisal of a scenario (see the module docstring); ``deterministic``
    is the scenario's own appraisal when it has been run already (else it is run here)."""
    from hubplan.planning.scenario import build_service, load_network, run_scenario

    talk = say or (lambda message: None)
    executor = executor or Executor()
    n = spec.draws if draws is None else int(draws)
    s = spec.seed if seed is None else int(seed)
    if not LIMITS["draws"].accepts(n):
        raise InputError(f"--draws {shown(n)}: expected {LIMITS['draws'].describe()}")
    if deterministic is None:
        talk("the deterministic appraisal ...")
        deterministic = run_scenario(scenario)
    network = load_network(scenario.network)
    service = build_service(scenario.service)
    values = draw_values(spec, n, s)
    talk(f"{n:,} draws ({executor.description}) ...")
    shared = {"scenario": scenario, "network": network, "service": service}
    results = executor.map(_one_draw, list(enumerate(values)), shared=shared, progress=progress)
    leads = _leads(deterministic, results)
    notes = []
    whole = [u.parameter for u in spec.parameters
             if getattr(_target_limit(u.parameter)[1], "whole", False) and u.distribution != "fixed"]
    if whole:
        notes.append(f"whole-number parameters are rounded in every draw: {', '.join(whole)}")
    methods = {o.name: o.optimise.method for o in scenario.options if o.optimise is not None}
    for name, method in methods.items():
        notes.append(f"robust sites of {name!r}: re-optimised in every draw by the {method} method")
    return UncertaintyResult(spec, n, s, executor.description, values, results,
                             tuple(ev.option.name for ev in deterministic.evaluations),
                             tuple(deterministic.scores.ranking), tuple(notes), leads)


def _leads(deterministic: "Appraisal", results: list[dict[str, Any]]) -> tuple[float, ...]:
    """Per draw, the lead of the deterministic appraisal's first option over the best other:
    the weighted sum over the scored criteria of its advantage (in the better direction),
    each criterion measured in its range over the options of the deterministic appraisal
    (1 where they all have the same value). Unlike the draw's own scores, which are scaled
    to the options of that draw (with two options always 0 and 1), the lead is on one scale
    for every draw: positive when the first option stays ahead."""
    scores = deterministic.scores
    if len(scores.ranking) < 2:
        return ()
    top = scores.ranking[0]
    values = deterministic.values
    parts = []
    for c in scores.criteria:
        column = values[c.name].astype(float)
        span = float(column.max() - column.min()) if column.notna().all() else 0.0
        sign = 1.0 if (c.direction or "min") == "max" else -1.0
        parts.append((c.name, float(scores.weights[c.name]), sign, span if span > 0 else 1.0))
    leads = []
    for r in results:
        best = math.inf
        for other in scores.ranking[1:]:
            lead = 0.0
            for name, weight, sign, span in parts:
                a, b = r["values"][top].get(name, math.nan), r["values"][other].get(name, math.nan)
                if math.isfinite(a) and math.isfinite(b):
                    lead += weight * sign * (a - b) / span
            best = min(best, lead)
        leads.append(best)
    return tuple(leads)


def _draws_table(result: "UncertaintyResult") -> "pd.DataFrame":
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for values, r in zip(result.values, result.results):
        row: dict[str, Any] = {"draw": r["index"], **values}
        for o in result.options:
            row[f"score: {o}"] = r["scores"][o]
        row["first"] = r["ranking"][0]
        if result.leads:
            row["lead of the deterministic first"] = result.leads[len(rows)]
        rows.append(row)
    return pd.DataFrame(rows)
