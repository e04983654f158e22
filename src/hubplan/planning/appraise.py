"""Appraisal: several options of one service evaluated, compared, scored and ranked.

An appraisal puts every option side by side on the same measures (*criteria*): access
(mean and 90th percentile minutes, shares within thresholds), equity by region (the
worst region's mean, the spread between regions) and by deprivation (the Core20 group's
change, the gap between the most and least deprived fifths; docs/equity.md), who gets a
longer journey than under the baseline option, ambulance transfers, beds, workforce and
standards flags.

Scoring is a weighted sum of min-max normalised criteria (the simple additive weighting
of multi-criteria decision analysis): for criterion ``j`` with values ``x_oj`` over the
options ``o``,

    v_oj = (x_oj - min_o x_oj) / (max_o x_oj - min_o x_oj)   if more is better
    v_oj = (max_o x_oj - x_oj) / (max_o x_oj - min_o x_oj)   if less is better

(``v = 1`` for every option when all options have the same value), and the score of an
option is ``S_o = sum_j w_j v_oj`` with the weights ``w`` scaled to sum to 1. Scores run
from 0 (worst on every criterion) to 1 (best on every criterion). The top option has the
highest score; ties go to the option listed first.

Two checks say how much the ranking depends on the weights:

* **weight sensitivity**: for each criterion, how far its weight can fall or rise (the
  other weights keeping their proportions to one another) before another option takes
  the top place. With ``w_j`` set to ``t`` the others become ``w_i (1 - t) / (1 - w_j)``,
  so each score is linear in ``t``: ``S_o(t) = t v_oj + (1 - t) R_o`` with
  ``R_o = sum_{i != j} w_i v_oi / (1 - w_j)``, and the top option changes at the nearest
  ``t`` where another option's line crosses it.
* **rank stability**: the weights are drawn at random many times from a Dirichlet
  distribution (uniform over all weightings of the scored criteria by default) with a
  seeded :class:`numpy.random.Generator`; the table gives, for each option, the share of
  draws in which it ranks first and its mean rank.

>>> import pandas as pd
>>> values = pd.DataFrame({"time_to_hub_mean_minutes": [30.0, 40.0, 50.0],
...                        "transfers_per_year": [900.0, 100.0, 0.0]},
...                       index=["A", "B", "C"])
>>> criteria = [Criterion("time_to_hub_mean_minutes", 3, "min"), Criterion("transfers_per_year", 1, "min")]
>>> scored = score_options(values, criteria)
>>> scored.scores.round(3).tolist()
[0.75, 0.597, 0.25]
>>> scored.ranking
('A', 'B', 'C')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from hubplan.jsonable import to_jsonable
from hubplan.errors import InputError
from hubplan import kinds
from hubplan.access.evaluate import Comparison, Evaluation, compare, evaluate
from hubplan.kinds import KindResult, Measure

if TYPE_CHECKING:
    from hubplan.monitoring.benchmark.analysis import BenchmarkResult
    from hubplan.capacity import CapacityResult
    from hubplan.geography.network import Network
    from hubplan.optimise import Solution
    from hubplan.services.options import Option
    from hubplan.services import Service

Progress = Callable[[str], None]

#: Directions a criterion can have.
DIRECTIONS = ("min", "max")


@dataclass(frozen=True)
class CriterionInfo:
    """What a criterion measures: a label for people, its unit and the better direction."""

    label: str
    unit: str
    direction: str


#: Every criterion an appraisal computes (``time_to_hub_within_<T>`` and
#: ``time_to_first_within_<T>`` exist for each threshold ``T`` of the service).
CRITERIA: dict[str, CriterionInfo] = {
    "time_to_hub_mean_minutes": CriterionInfo("mean minutes to hub", "min", "min"),
    "time_to_hub_median_minutes": CriterionInfo("median minutes to hub", "min", "min"),
    "time_to_hub_p90_minutes": CriterionInfo("90th percentile minutes to hub", "min", "min"),
    "time_to_hub_max_minutes": CriterionInfo("longest minutes to hub", "min", "min"),
    "time_to_first_mean_minutes": CriterionInfo("mean minutes to first hospital", "min", "min"),
    "time_to_first_p90_minutes": CriterionInfo("90th percentile minutes to first hospital", "min", "min"),
    "worst_region_time_to_hub_mean_minutes": CriterionInfo(
        "worst region's mean minutes to hub", "min", "min"),
    "region_spread_time_to_hub_mean_minutes": CriterionInfo(
        "gap between regions' mean minutes to hub (worst - best)", "min", "min"),
    "core20_change_time_to_hub_mean_minutes": CriterionInfo(
        "change in the Core20 (most deprived 20%) mean minutes to hub against the baseline", "min", "min"),
    "imd_gap_time_to_hub_mean_minutes": CriterionInfo(
        "gap between the most and least deprived fifths' mean minutes to hub (IMD, either way)", "min", "min"),
    "wimd_gap_time_to_hub_mean_minutes": CriterionInfo(
        "gap between the most and least deprived fifths' mean minutes to hub (WIMD, either way)", "min", "min"),
    "patients_longer_per_year": CriterionInfo(
        "patients a year with a longer journey to hub than the baseline", "patients/year", "min"),
    "patients_longer_by_more_than_15_per_year": CriterionInfo(
        "patients a year more than 15 min further from hub than the baseline", "patients/year", "min"),
    "patients_shorter_per_year": CriterionInfo(
        "patients a year with a shorter journey to hub than the baseline", "patients/year", "max"),
    "transfers_per_year": CriterionInfo("ambulance transfers between hospitals a year", "transfers/year", "min"),
    "hubs": CriterionInfo("hubs", "sites", "min"),
    "smallest_hub_patients_per_year": CriterionInfo(
        "patients a year at the smallest hub (catchment)", "patients/year", "max"),
    "beds_at_target_occupancy": CriterionInfo("beds needed at the target occupancy (all open sites)", "beds", "min"),
    "consultants_needed": CriterionInfo("consultants needed for the hubs' rotas", "consultants", "min"),
    "workforce_shortfall": CriterionInfo("consultants short of the workforce available", "consultants", "min"),
    "standards_flags": CriterionInfo("standards flags at hubs (volume, rota, operator volume)", "flags", "min"),
    "hubs_meeting_standards_share": CriterionInfo("share of hubs with no standards flag", "fraction", "max"),
    "added_good_outcomes_per_year": CriterionInfo(
        "added good outcomes a year against the outcome model's baseline (ESTIMATED; docs/outcomes.md)",
        "patients/year", "max"),
    "added_utility_per_year": CriterionInfo(
        "added utility a year against no thrombolysis or thrombectomy (ESTIMATED, stroke outcome model)",
        "utility/year", "max"),
}

#: Weight of the outcome criterion in the defaults of a service with an outcome model
#: (stroke services; docs/outcomes.md): as much as the mean minutes to hub.
OUTCOME_DEFAULT_WEIGHT = 3.0

#: Criteria from the equity breakdown (docs/equity.md): the grouping each needs, and in words.
EQUITY_CRITERIA: dict[str, tuple[str, str]] = {
    "core20_change_time_to_hub_mean_minutes": ("core20", "Core20 values (a core20 or imd_decile column)"),
    "imd_gap_time_to_hub_mean_minutes": ("imd_quintile", "IMD values (an imd_quintile or imd_decile column)"),
    "wimd_gap_time_to_hub_mean_minutes": ("wimd_quintile", "WIMD values (a wimd_quintile or wimd_decile column)"),
}

_WITHIN = re.compile(r"^(time_to_hub|time_to_first)_within_(\d+(?:\.\d+)?)$")

#: Criteria and weights used when a scenario gives none (see docs/appraisal.md).
DEFAULT_WEIGHTS: dict[str, float] = {
    "time_to_hub_mean_minutes": 3.0,
    "time_to_hub_within_60": 2.0,
    "worst_region_time_to_hub_mean_minutes": 1.0,
    "core20_change_time_to_hub_mean_minutes": 1.0,
    "patients_longer_per_year": 1.0,
    "transfers_per_year": 1.0,
    "consultants_needed": 1.0,
    "standards_flags": 1.0,
}


#: Criteria from a kind's measures (``<kind>.<measure key>``, e.g. ``maternity.transfers_per_year``),
#: learnt from the measures the kind reports (label, unit, better direction).
KIND_CRITERIA: dict[str, CriterionInfo] = {}


def kind_criterion(kind_name: str, measure: Measure) -> str:
    """The criterion name of a kind's measure (registered in :data:`KIND_CRITERIA`)."""
    name = f"{kind_name}.{measure.key}"
    direction = {"lower": "min", "higher": "max"}.get(measure.better or "", "")
    KIND_CRITERIA[name] = CriterionInfo(measure.label, measure.unit, direction)
    return name


def criterion_info(name: str) -> CriterionInfo:
    """The label, unit and better direction of a criterion name.

    A kind's measure is ``<kind>.<key>`` (``docs/kinds.md``); before the kind has reported it, its
    label is the key and its direction is empty (resolved by :func:`appraise`).

    Raises
    ------
    InputError
        For an unknown name (the message lists the known ones).
    """
    if name in CRITERIA:
        return CRITERIA[name]
    if name in KIND_CRITERIA:
        return KIND_CRITERIA[name]
    kind_name, dot, key = name.partition(".")
    if dot and key.isidentifier():
        kinds.kind(kind_name)  # an unknown kind is named
        return CriterionInfo(key.replace("_", " "), "", "")
    match = _WITHIN.match(name)
    if match:
        which = "hub" if match.group(1) == "time_to_hub" else "first hospital"
        return CriterionInfo(f"share of patients within {match.group(2)} min of {which}", "fraction", "max")
    import difflib

    close = difflib.get_close_matches(name, [*CRITERIA, "time_to_hub_within_60"], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(
        f"unknown criterion {name!r}{hint}: expected one of {', '.join(CRITERIA)}, "
        "or time_to_hub_within_<minutes> / time_to_first_within_<minutes>, or a kind's measure <kind>.<key>"
    )


@dataclass(frozen=True)
class Criterion:
    """A criterion with its weight and direction.

    Parameters
    ----------
    name:
        A key of :data:`CRITERIA` or ``time_to_hub_within_<T>``.
    weight:
        Relative importance, a number >= 0 (weights are scaled to sum to 1).
    direction:
        ``"min"`` (less is better) or ``"max"``; ``None`` takes the criterion's usual one.
    """

    name: str
    weight: float = 1.0
    direction: str | None = None

    def __post_init__(self) -> None:
        info = criterion_info(self.name)
        weight = float(self.weight)
        if not (math.isfinite(weight) and weight >= 0):
            raise InputError(f"criterion {self.name!r}: weight must be a number >= 0, got {self.weight!r}")
        object.__setattr__(self, "weight", weight)
        direction = info.direction if self.direction is None else str(self.direction).strip().lower()
        if direction == "" and self.direction is None and "." in self.name:
            object.__setattr__(self, "direction", None)  # a kind's measure: resolved by appraise()
            return
        if direction not in DIRECTIONS:
            raise InputError(
                f"criterion {self.name!r}: direction must be 'min' (less is better) or 'max', got {self.direction!r}"
            )
        object.__setattr__(self, "direction", direction)

    @property
    def label(self) -> str:
        return criterion_info(self.name).label

    @property
    def unit(self) -> str:
        return criterion_info(self.name).unit


def default_criteria() -> tuple[Criterion, ...]:
    """The criteria of :data:`DEFAULT_WEIGHTS` with their usual directions."""
    return tuple(Criterion(name, weight) for name, weight in DEFAULT_WEIGHTS.items())


# ----------------------------------------------------------------------------- scoring
@dataclass(frozen=True, eq=False)
class Scores:
    """Options scored on weighted criteria.

    Attributes
    ----------
    criteria:
        The criteria scored (weight > 0 and a value for every option), weights as given.
    weights:
        Their weights scaled to sum to 1 (a Series by criterion name).
    normalised:
        ``v_oj`` in 0..1, 1 = best (options x criteria).
    scores:
        ``S_o`` by option (0..1).
    ranking:
        Option names from best to worst (ties: the option listed first).
    left_out:
        Criteria given but not scored, with the reason.
    """

    criteria: tuple[Criterion, ...]
    weights: pd.Series
    normalised: pd.DataFrame
    scores: pd.Series
    ranking: tuple[str, ...]
    left_out: tuple[tuple[str, str], ...] = ()

    @property
    def top(self) -> str:
        return self.ranking[0]

    @property
    def ranks(self) -> pd.Series:
        """Rank of each option (1 = best), in option order."""
        return pd.Series({name: i + 1 for i, name in enumerate(self.ranking)}).reindex(self.scores.index)


def normalise(values: pd.DataFrame, criteria: Sequence[Criterion]) -> pd.DataFrame:
    """Min-max normalise each criterion's column to 0..1 with 1 = best (see module doc)."""
    out = {}
    for c in criteria:
        x = values[c.name].to_numpy(dtype=float)
        lo, hi = float(np.min(x)), float(np.max(x))
        span = hi - lo
        if span <= 1e-12 * max(1.0, abs(hi), abs(lo)):
            v = np.ones_like(x)
        elif c.direction == "max":
            v = (x - lo) / span
        else:
            v = (hi - x) / span
        out[c.name] = v
    return pd.DataFrame(out, index=values.index)


def _order(scores: np.ndarray) -> np.ndarray:
    """Positions from best to worst; ties go to the earlier position."""
    return np.lexsort((np.arange(len(scores)), -np.round(scores, 12)))


def score_options(values: pd.DataFrame, criteria: Sequence[Criterion]) -> Scores:
    """Score options (rows of ``values``) on weighted criteria (columns).

    Criteria with weight 0 or without a value for every option (NaN) are left out and
    listed in ``left_out``.

    Raises
    ------
    InputError
        No option, or no criterion left to score.
    """
    if len(values) == 0:
        raise InputError("nothing to score: no options")
    used, left = [], []
    for c in criteria:
        if c.name not in values.columns:
            left.append((c.name, "not computed for these options"))
        elif c.weight <= 0:
            left.append((c.name, "weight 0"))
        elif values[c.name].isna().any():
            missing = [str(i) for i in values.index[values[c.name].isna()]]
            left.append((c.name, f"not available for {', '.join(missing)}"))
        else:
            used.append(c)
    if not used:
        raise InputError(
            "no criterion can be scored: give at least one criterion with a weight > 0 and a value for every option"
            + (f" ({'; '.join(f'{n}: {r}' for n, r in left)})" if left else "")
        )
    weights = pd.Series([c.weight for c in used], index=[c.name for c in used], dtype=float)
    weights = weights / weights.sum()
    normalised = normalise(values, used)
    scores = normalised.to_numpy() @ weights.to_numpy()
    ranking = tuple(str(values.index[i]) for i in _order(scores))
    return Scores(tuple(used), weights, normalised, pd.Series(scores, index=values.index), ranking, tuple(left))


def weight_sensitivity(scores: Scores) -> pd.DataFrame:
    """How far each weight can move before the top option changes.

    Each criterion's weight share ``w_j`` is moved to ``t`` in 0..1 while the other weights
    keep their proportions (see the module docstring). Scores are linear in ``t``, so the
    top option stays on top between two crossing points.

    Returns
    -------
    DataFrame
        One row per scored criterion: ``criterion``, ``label``, ``weight`` (share, 0..1),
        ``weight_low`` / ``weight_high`` (the range of shares over which the top option
        stays on top), ``option_below`` / ``option_above`` (who takes over beyond the
        range, empty if nobody) and ``robust`` (True if the top never changes).
    """
    v = scores.normalised.to_numpy()
    w = scores.weights.to_numpy()
    names = list(scores.normalised.index)
    top = names.index(scores.top)
    rows = []
    for j, c in enumerate(scores.criteria):
        wj = float(w[j])
        others = np.delete(np.arange(len(w)), j)
        if len(others) == 0:
            rest = np.zeros(len(names))  # no other criterion: at t < 1 nothing else counts
        elif wj >= 1.0 - 1e-12:
            rest = v[:, others].mean(axis=1)  # others had no weight: share it equally
        else:
            rest = v[:, others] @ w[others] / (1.0 - wj)
        low, high = 0.0, 1.0
        below, above = "", ""
        slope_top = v[top, j] - rest[top]
        for o in range(len(names)):
            if o == top:
                continue
            # S_o(t) - S_top(t) = (rest_o - rest_top) + t * (slope_o - slope_top)
            d0 = rest[o] - rest[top]
            d1 = (v[o, j] - rest[o]) - slope_top
            if abs(d1) < 1e-12:
                continue
            t = -d0 / d1
            if t >= 1.0 - 1e-9 or t <= 1e-9:
                continue  # only at an end of the range, where options tie: no change
            if d1 > 0 and t < high and t >= wj - 1e-12:  # o overtakes as the weight rises
                high, above = max(t, wj), names[o]
            elif d1 < 0 and t > low and t <= wj + 1e-12:  # o overtakes as the weight falls
                low, below = min(t, wj), names[o]
        rows.append({
            "criterion": c.name, "label": c.label, "weight": wj,
            "weight_low": float(np.clip(low, 0.0, 1.0)), "weight_high": float(np.clip(high, 0.0, 1.0)),
            "option_below": below, "option_above": above, "robust": not below and not above,
        })
    return pd.DataFrame(rows)


def rank_stability(
    scores: Scores,
    *,
    draws: int = 2000,
    rng: np.random.Generator | None = None,
    concentration: float | None = None,
) -> pd.DataFrame:
    """Ranks over random weights: share of draws each option ranks first, and mean rank.

    Parameters
    ----------
    draws:
        Number of random weight vectors.
    rng:
        A :class:`numpy.random.Generator` (default ``numpy.random.default_rng(0)``).
    concentration:
        ``None`` draws uniformly over every weighting of the scored criteria (Dirichlet
        with all parameters 1). A number ``c > 0`` draws around the given weights
        (Dirichlet with parameters ``c * k * w``, ``k`` criteria): larger = closer.

    Returns
    -------
    DataFrame
        Indexed by option, in option order: ``share_first``, ``mean_rank``,
        ``rank_min``, ``rank_max`` (over the draws) and ``rank`` at the given weights.
    """
    if draws < 1:
        raise InputError(f"draws must be >= 1, got {draws}")
    rng = rng if rng is not None else np.random.default_rng(0)
    k = len(scores.criteria)
    if concentration is None:
        alpha = np.ones(k)
    else:
        if not concentration > 0:
            raise InputError(f"concentration must be > 0, got {concentration}")
        alpha = np.maximum(concentration * k * scores.weights.to_numpy(), 1e-6)
    weights = rng.dirichlet(alpha, size=draws) if k > 1 else np.ones((draws, 1))
    s = weights @ scores.normalised.to_numpy().T  # draws x options
    n = s.shape[1]
    # rank 1 = best; ties to the option listed first (as in score_options)
    order = np.lexsort((np.broadcast_to(np.arange(n), s.shape), -np.round(s, 12)), axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, n + 1)[None, :].repeat(draws, axis=0), axis=1)
    index = scores.normalised.index
    return pd.DataFrame({
        "share_first": (ranks == 1).mean(axis=0),
        "mean_rank": ranks.mean(axis=0),
        "rank_min": ranks.min(axis=0),
        "rank_max": ranks.max(axis=0),
        "rank": scores.ranks.to_numpy(),
    }, index=index)


# ----------------------------------------------------------------------------- appraisal
@dataclass(frozen=True, eq=False)
class CapacityOutcome:
    """Beds and workforce for one option, or why they could not be given.

    ``result`` is the :class:`~hubplan.capacity.CapacityResult` (``None`` if nothing
    could be computed); ``beds_note`` says why beds are missing (e.g. no sourced length
    of stay) and ``note`` why everything is missing.
    """

    result: "CapacityResult | None"
    beds_note: str | None = None
    note: str | None = None


def capacity_outcome(evaluation: Evaluation, service: "Service", workforce: float | None = None) -> CapacityOutcome:
    """Run :func:`hubplan.capacity.capacity_table`, falling back to workforce only.

    A service without a sourced length of stay (vascular) gets workforce and standards
    without beds, and the reason beds are missing.
    """
    from hubplan.capacity import capacity_table

    try:
        return CapacityOutcome(capacity_table(evaluation, service, workforce=workforce))
    except InputError as exc:
        beds_note = str(exc)
    try:
        return CapacityOutcome(capacity_table(evaluation, service, workforce=workforce, beds=False), beds_note)
    except InputError as exc:  # pragma: no cover - beds=False needs no further parameter today
        return CapacityOutcome(None, beds_note, str(exc))


@dataclass(frozen=True)
class SweepResult:
    """A sweep over the number of hubs (the trade-off curve), as run for the report."""

    table: pd.DataFrame
    description: str


@dataclass(frozen=True, eq=False)
class Appraisal:
    """Options of one service evaluated, compared with a baseline, scored and ranked.

    Attributes
    ----------
    title, description:
        What is being appraised, in words for the report.
    network, service:
        What every option was evaluated on.
    evaluations:
        One :class:`~hubplan.access.evaluate.Evaluation` per option, in the order given.
    baseline:
        Name of the option the others are compared with (who gets a longer journey).
    region_type:
        Region column used for equity (e.g. ``icb``).
    comparisons:
        ``compare(baseline, option)`` for every other option, by option name.
    capacity:
        :class:`CapacityOutcome` by option name.
    values:
        Every criterion for every option (options x criteria; NaN = not available).
    scores:
        :class:`Scores` on the chosen criteria.
    sensitivity:
        :func:`weight_sensitivity` table.
    stability:
        :func:`rank_stability` table.
    solutions:
        Optimiser solutions of options chosen by optimisation, by option name.
    sweep:
        A :class:`SweepResult` when a sweep was run.
    benchmark:
        A :class:`~hubplan.monitoring.benchmark.analysis.BenchmarkResult` when benchmarking was given,
        with ``benchmark_title``.
    notes:
        What the reader must know (proxies, criteria left out, data gaps).
    seed, draws:
        Of the rank-stability draws.
    source_file:
        The scenario file, when the appraisal came from one.
    option_descriptions:
        A sentence about each option, by name (shown in the report).
    """

    title: str
    description: str
    network: "Network"
    service: "Service"
    evaluations: tuple[Evaluation, ...]
    baseline: str
    region_type: str
    comparisons: Mapping[str, Comparison]
    capacity: Mapping[str, CapacityOutcome]
    values: pd.DataFrame
    scores: Scores
    sensitivity: pd.DataFrame
    stability: pd.DataFrame
    solutions: Mapping[str, "Solution"] = field(default_factory=dict)
    sweep: SweepResult | None = None
    benchmark: "BenchmarkResult | None" = None
    benchmark_title: str = ""
    notes: tuple[str, ...] = ()
    seed: int = 0
    draws: int = 2000
    source_file: str = ""
    option_descriptions: Mapping[str, str] = field(default_factory=dict)
    kinds: Mapping[str, KindResult] = field(default_factory=dict)

    @property
    def option_names(self) -> list[str]:
        return [ev.option.name for ev in self.evaluations]

    def evaluation(self, name: str) -> Evaluation:
        """The evaluation of the option called ``name``."""
        for ev in self.evaluations:
            if ev.option.name == name:
                return ev
        raise InputError(f"no option {name!r} in this appraisal: {', '.join(self.option_names)}")

    def table(self) -> pd.DataFrame:
        """The options table: criteria values, score and rank, one row per option."""
        table = self.values.copy()
        table["score"] = self.scores.scores
        table["rank"] = self.scores.ranks
        table.index.name = "option"
        return table

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (``hubplan appraise --format json``)."""
        options = []
        for ev in self.evaluations:
            name = ev.option.name
            cap = self.capacity.get(name)
            item: dict[str, Any] = {
                "option": {**ev.option.describe(), "transfer_delay_minutes": ev.transfer_delay_minutes},
                "summary": ev.summary,
                "criteria": {k: _num(v) for k, v in self.values.loc[name].items()},
                "score": float(self.scores.scores[name]),
                "rank": int(self.scores.ranks[name]),
                "capacity": None if cap is None or cap.result is None else cap.result.to_json()["network"],
                "capacity_note": None if cap is None else (cap.note or cap.beds_note),
            }
            if name in self.comparisons:
                item["compared_with_baseline"] = self.comparisons[name].summary
            if name in self.solutions:
                item["solution"] = self.solutions[name].to_json()
            if name in self.kinds:
                item["kind"] = self.kinds[name].to_json()
            options.append(item)
        result: dict[str, Any] = {
            "title": self.title,
            "service": self.service.name,
            "demand": self.service.demand_definition.to_json(self.network),
            "network": self.network.source,
            "baseline": self.baseline,
            "region_type": self.region_type,
            "options": options,
            "criteria": [
                {"name": c.name, "label": c.label, "unit": c.unit, "direction": c.direction,
                 "weight": c.weight, "weight_share": float(self.scores.weights[c.name])}
                for c in self.scores.criteria
            ],
            "criteria_left_out": [{"name": n, "reason": r} for n, r in self.scores.left_out],
            "ranking": list(self.scores.ranking),
            "sensitivity": self.sensitivity.to_dict(orient="records"),
            "rank_stability": self.stability.reset_index(names="option").to_dict(orient="records"),
            "rank_stability_draws": self.draws,
            "seed": self.seed,
            "notes": list(self.notes),
        }
        if self.sweep is not None:
            result["sweep"] = self.sweep.table.to_dict(orient="records")
        return to_jsonable(result)


def _num(value: Any) -> float | None:
    f = float(value)
    return f if math.isfinite(f) else None


def option_values(
    evaluation: Evaluation,
    *,
    region_type: str,
    comparison: Comparison | None,
    capacity: CapacityOutcome | None,
) -> dict[str, float]:
    """Every criterion of :data:`CRITERIA` (and the within-threshold shares) for one option."""
    s = evaluation.summary
    hub, first = s["time_to_hub"], s["time_to_first"]
    values: dict[str, float] = {
        "time_to_hub_mean_minutes": hub["mean"],
        "time_to_hub_median_minutes": hub["median"],
        "time_to_hub_p90_minutes": hub["p90"],
        "time_to_hub_max_minutes": hub["max"],
        "time_to_first_mean_minutes": first["mean"],
        "time_to_first_p90_minutes": first["p90"],
    }
    for t, share in hub["within"].items():
        values[f"time_to_hub_within_{t}"] = share
    for t, share in first["within"].items():
        values[f"time_to_first_within_{t}"] = share
    regions = evaluation.regions(region_type)
    regions = regions[regions["patients"] > 0]
    means = regions["time_to_hub_mean"].to_numpy(dtype=float)
    values["worst_region_time_to_hub_mean_minutes"] = float(means.max()) if len(means) else math.nan
    values["region_spread_time_to_hub_mean_minutes"] = float(means.max() - means.min()) if len(means) else math.nan
    values.update(equity_values(evaluation, comparison))
    if comparison is None:  # the baseline itself
        values["patients_longer_per_year"] = 0.0
        values["patients_longer_by_more_than_15_per_year"] = 0.0
        values["patients_shorter_per_year"] = 0.0
    else:
        c = comparison.summary
        values["patients_longer_per_year"] = c["patients_longer"]
        values["patients_longer_by_more_than_15_per_year"] = c["patients_longer_by_more_than_15"]
        values["patients_shorter_per_year"] = c["patients_shorter"]
    values["transfers_per_year"] = s["transfers_per_year"]
    outcomes = s.get("outcomes") or {}
    for key in ("added_good_outcomes_per_year", "added_utility_per_year"):
        values[key] = math.nan if outcomes.get(key) is None else float(outcomes[key])
    values["hubs"] = float(s["hubs"])
    sites = evaluation.sites
    catchments = sites.loc[sites["role"] == "hub", "catchment_patients"]
    values["smallest_hub_patients_per_year"] = float(catchments.min()) if len(catchments) else math.nan
    nan = math.nan
    values.update({"beds_at_target_occupancy": nan, "consultants_needed": nan, "workforce_shortfall": nan,
                   "standards_flags": nan, "hubs_meeting_standards_share": nan})
    result = capacity.result if capacity is not None else None
    if result is not None:
        net = result.network
        if net.beds_at_target_occupancy is not None:
            values["beds_at_target_occupancy"] = float(net.beds_at_target_occupancy)
        if net.consultants_needed is not None:
            values["consultants_needed"] = float(net.consultants_needed)
        if net.shortfall is not None:
            values["workforce_shortfall"] = float(net.shortfall)
        hub_rows = result.sites[result.sites["role"] == "hub"]
        flags = hub_rows["flags"].map(len)
        values["standards_flags"] = float(flags.sum())
        values["hubs_meeting_standards_share"] = float((flags == 0).mean()) if len(flags) else nan
    return values


def equity_values(evaluation: Evaluation, comparison: Comparison | None) -> dict[str, float]:
    """The equity criteria of one option (NaN where the network lacks the grouping).

    ``imd_gap`` / ``wimd_gap``: the size of the gap (either way) between quintile 1's and
    quintile 5's mean minutes to hub; ``core20_change``: the Core20 group's mean change in
    minutes to hub against the baseline (0 for the baseline itself).
    """
    equity = evaluation.equity_json()
    gaps = equity["gaps"]

    def size(key: str) -> float:
        return math.nan if gaps[key] is None else abs(float(gaps[key]))

    values = {
        "imd_gap_time_to_hub_mean_minutes": size("imd_q1_minus_q5_time_to_hub_mean_minutes"),
        "wimd_gap_time_to_hub_mean_minutes": size("wimd_q1_minus_q5_time_to_hub_mean_minutes"),
        "core20_change_time_to_hub_mean_minutes": math.nan,
    }
    core20 = [g for g in equity["groups"] if g["grouping"] == "core20" and g["group"] == "core20"]
    if core20 and core20[0]["patients"] > 0:
        if comparison is None:
            values["core20_change_time_to_hub_mean_minutes"] = 0.0
        else:
            rows = [g for g in comparison.equity_json()["groups"]
                    if g["grouping"] == "core20" and g["group"] == "core20"]
            values["core20_change_time_to_hub_mean_minutes"] = float(rows[0]["mean_change_minutes"])
    return values


def _equity_criteria_off(
    criteria: Sequence[Criterion], values: pd.DataFrame, evaluation: Evaluation
) -> tuple[tuple[Criterion, ...], list[str]]:
    """Equity criteria that no option has a value for, set to weight 0, and why."""
    from hubplan.access.equity import GROUPINGS

    equity = evaluation.equity_json()
    present = {g["grouping"] for g in equity["groups"]}
    kept, notes = [], []
    for c in criteria:
        if c.name in EQUITY_CRITERIA and c.weight > 0 and values[c.name].isna().all():
            grouping, needs = EQUITY_CRITERIA[c.name]
            title = next(spec.title for spec in GROUPINGS if spec.name == grouping)
            if grouping in present:
                said = [n for n in equity["notes"] if n.startswith(f"{title}: no gap")]
                reason = said[0] if said else f"{title}: no patients a year in the Core20 group"
            else:
                reason = f"this network's areas have no {needs}; see docs/equity.md"
            notes.append(f"criterion {c.name} (weight {c.weight:g}) set to weight 0: {reason}")
            c = Criterion(c.name, 0.0, c.direction)
        kept.append(c)
    return tuple(kept), notes


def appraise(
    network: "Network",
    service: "Service",
    options: Sequence["Option | Evaluation"],
    *,
    baseline: str | None = None,
    criteria: Sequence[Criterion] | None = None,
    region_type: str | None = None,
    workforce: float | None = None,
    seed: int = 0,
    draws: int = 2000,
    concentration: float | None = None,
    title: str = "",
    description: str = "",
    solutions: Mapping[str, "Solution"] | None = None,
    sweep: SweepResult | None = None,
    benchmark: "BenchmarkResult | None" = None,
    benchmark_title: str = "",
    notes: Sequence[str] = (),
    source_file: str = "",
    option_descriptions: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Appraisal:
    """Evaluate (if needed), compare, score and rank options of one service.

    Parameters
    ----------
    options:
        :class:`~hubplan.services.options.Option` objects, or evaluations already computed (reused
        as they are); names must be unique.
    baseline:
        Option the others are compared with; default the first.
    criteria:
        Weighted criteria; default :func:`default_criteria`.
    region_type:
        Region column for the equity criteria (``icb``, ``isdn``...); default
        :attr:`Network.default_region_type <hubplan.geography.network.Network.default_region_type>`
        (``icb``, or the finest region column the areas have).
    workforce:
        Workforce available for the capacity tables (default the service's).
    seed, draws, concentration:
        Rank-stability draws (see :func:`rank_stability`).

    Raises
    ------
    InputError
        Duplicate option names, an unknown baseline or region type, or nothing to score.
    """
    say = progress or (lambda message: None)
    if not options:
        raise InputError("an appraisal needs at least one option")
    evaluations: list[Evaluation] = []
    for item in options:
        if isinstance(item, Evaluation):
            evaluations.append(item)
        else:
            say(f"evaluating {item.name} ...")
            evaluations.append(evaluate(network, service, item))
    names = [ev.option.name for ev in evaluations]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"option names must be unique: {name!r} is used twice")
        seen.add(name)
    if region_type is None:
        region_type = network.default_region_type
    network.check_region_type(region_type)
    baseline = names[0] if baseline is None else baseline
    if baseline not in names:
        raise InputError(f"baseline {baseline!r} is not one of the options: {', '.join(names)}")
    base = evaluations[names.index(baseline)]
    comparisons = {ev.option.name: compare(base, ev) for ev in evaluations if ev.option.name != baseline}
    capacity: dict[str, CapacityOutcome] = {}
    for ev in evaluations:
        say(f"beds and workforce for {ev.option.name} ...")
        capacity[ev.option.name] = capacity_outcome(ev, service, workforce)
    rows = {
        ev.option.name: option_values(ev, region_type=region_type, comparison=comparisons.get(ev.option.name),
                                      capacity=capacity[ev.option.name])
        for ev in evaluations
    }
    say(f"{service.kind} measures ...")
    kind_results = {ev.option.name: kinds.assess(ev, base) for ev in evaluations}
    measured: list[str] = []
    for name, result in kind_results.items():
        for m in result.measures:
            column = kind_criterion(service.kind, m)
            rows[name][column] = math.nan if m.value is None else float(m.value)
            if column not in measured:
                measured.append(column)
    values = pd.DataFrame.from_dict(rows, orient="index")
    values.index.name = "option"
    chosen = tuple(criteria) if criteria is not None else _kind_default_criteria(service.kind, measured)
    if criteria is None and service.outcome and "added_good_outcomes_per_year" not in {c.name for c in chosen}:
        chosen += (Criterion("added_good_outcomes_per_year", OUTCOME_DEFAULT_WEIGHT),)
    chosen = tuple(_resolved(c) for c in chosen)
    for c in chosen:
        if c.name not in values.columns:
            raise InputError(
                f"criterion {c.name!r} is not available: the service's thresholds are "
                f"{', '.join(f'{t:g}' for t in service.thresholds_minutes)} minutes"
            )
    chosen, equity_notes = _equity_criteria_off(chosen, values, base)
    scores = score_options(values, chosen)
    sensitivity = weight_sensitivity(scores)
    stability = rank_stability(scores, draws=draws, rng=np.random.default_rng(seed), concentration=concentration)
    all_notes = list(notes) + equity_notes
    for name, reason in scores.left_out:
        if reason != "weight 0":
            all_notes.append(f"criterion {name} not scored: {reason}")
    return Appraisal(
        title=title or f"{service.title or service.name}: options appraisal",
        description=description,
        network=network,
        service=service,
        evaluations=tuple(evaluations),
        baseline=baseline,
        region_type=region_type,
        comparisons=comparisons,
        capacity=capacity,
        values=values,
        scores=scores,
        sensitivity=sensitivity,
        stability=stability,
        solutions=dict(solutions or {}),
        sweep=sweep,
        benchmark=benchmark,
        benchmark_title=benchmark_title,
        notes=tuple(all_notes),
        seed=seed,
        draws=draws,
        source_file=source_file,
        option_descriptions=dict(option_descriptions or {}),
        kinds=kind_results,
    )


def _kind_default_criteria(kind_name: str, measured: Sequence[str]) -> tuple[Criterion, ...]:
    """The kind's own default weights when it declares them, else :data:`DEFAULT_WEIGHTS`, plus
    every scored measure of the kind (weight 1) that the defaults do not already name."""
    k = kinds.kind(kind_name)
    weights = dict(k.default_weights) if k.default_weights else {
        name: w for name, w in DEFAULT_WEIGHTS.items() if name not in k.replaces}
    for column in measured:
        if KIND_CRITERIA[column].direction and column not in weights:
            weights[column] = 1.0
    return tuple(Criterion(name, weight) for name, weight in weights.items())


def _resolved(c: Criterion) -> Criterion:
    """A kind measure's criterion with its direction from the measure (``better``)."""
    if c.direction is not None:
        return c
    info = KIND_CRITERIA.get(c.name)
    if info is None:
        raise InputError(f"criterion {c.name!r}: the {c.name.partition('.')[0]} kind reported no measure "
                         f"{c.name.partition('.')[2]!r}")
    if not info.direction:
        raise InputError(f"criterion {c.name!r} is shown, not scored, by its kind: give its direction "
                         f"('min' or 'max') to score it")
    return Criterion(c.name, c.weight, info.direction)
