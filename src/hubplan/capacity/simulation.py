"""Discrete-event check of the bed model: simulate admissions and stays at a site.

Patients arrive as a Poisson process; a patient who finds a free bed stays for a
random time, one who finds all beds full is refused (the M/G/c/c loss system that
:mod:`hubplan.capacity` solves analytically with Erlang's formula). Simulating it
with :mod:`simpy` confirms two things the planner relies on:

* the analytic mean occupancy ``a (1 - B(c, a))`` and refusal probability
  ``B(c, a)``;
* their insensitivity to the stay distribution: lognormal stays with the same mean
  give the same figures as exponential ones.

Each replication starts empty, runs a warm-up that is discarded, then measures over
the run length; replications use independent streams spawned from one
``numpy.random.Generator`` (seeded for reproducibility), and the 95% confidence
intervals come from the Student t distribution over replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd
import simpy
from scipy import stats

from hubplan.capacity.beds import DAYS_PER_YEAR, erlang_b, offered_load
from hubplan.errors import InputError

__all__ = ["SimulationResult", "StayDistribution", "simulate_beds", "simulate_sites"]


class StayDistribution(str, Enum):
    """Length-of-stay distributions available to the simulation (same mean)."""

    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"


@dataclass(frozen=True)
class SimulationResult:
    """What the simulation found for one site, with the analytic values beside it.

    Occupancy figures are in beds (time-average number of occupied beds); the
    refusal probability is refused arrivals / arrivals after warm-up. ``*_ci`` are
    95% confidence intervals ``(low, high)`` over replications.
    """

    beds: int
    patients_per_year: float
    length_of_stay_days: float
    stay_distribution: str
    stay_cv: float
    replications: int
    warmup_days: float
    run_days: float
    seed: int | None
    arrivals: int
    mean_occupied_beds: float
    mean_occupied_beds_ci: tuple[float, float]
    refusal_probability: float
    refusal_probability_ci: tuple[float, float]
    analytic_mean_occupied_beds: float
    analytic_refusal_probability: float

    @property
    def occupancy(self) -> float:
        """Mean occupancy as a fraction of the beds."""
        return self.mean_occupied_beds / self.beds if self.beds else 0.0

    def agrees(self) -> bool:
        """True when both analytic values lie inside the simulated 95% intervals."""
        lo, hi = self.mean_occupied_beds_ci
        rlo, rhi = self.refusal_probability_ci
        return bool(
            lo <= self.analytic_mean_occupied_beds <= hi
            and rlo <= self.analytic_refusal_probability <= rhi
        )


def _stay_sampler(
    distribution: StayDistribution, mean_days: float, cv: float
) -> Any:
    if distribution is StayDistribution.EXPONENTIAL:
        return lambda rng, n: rng.exponential(mean_days, size=n)
    sigma2 = math.log(1.0 + cv * cv)
    mu = math.log(mean_days) - sigma2 / 2.0
    sigma = math.sqrt(sigma2)
    return lambda rng, n: rng.lognormal(mu, sigma, size=n)


def _one_replication(
    rng: np.random.Generator,
    beds: int,
    arrivals_per_day: float,
    sample_stays: Any,
    warmup_days: float,
    run_days: float,
) -> tuple[float, int, int]:
    """One run; returns (time-average occupied beds, arrivals, refusals) after warm-up."""
    end = warmup_days + run_days
    # Draw the whole arrival stream up front (vectorised), then let simpy run it.
    expected = arrivals_per_day * end
    n = int(expected + 6.0 * math.sqrt(expected) + 20.0)
    gaps = rng.exponential(1.0 / arrivals_per_day, size=n)
    times = np.cumsum(gaps)
    while times[-1] < end:  # pragma: no cover - vanishingly rare
        more = np.cumsum(rng.exponential(1.0 / arrivals_per_day, size=n)) + times[-1]
        times = np.concatenate([times, more])
    times = times[times < end]
    stays = sample_stays(rng, times.size)

    env = simpy.Environment()
    state = {"busy": 0, "last": 0.0, "area": 0.0, "arrivals": 0, "refused": 0}

    def advance(now: float) -> None:
        lo = max(state["last"], warmup_days)
        hi = min(now, end)
        if hi > lo:
            state["area"] += state["busy"] * (hi - lo)
        state["last"] = now

    def discharge(stay: float) -> Any:
        yield env.timeout(stay)
        advance(env.now)
        state["busy"] -= 1

    def admissions() -> Any:
        for arrival, stay in zip(times.tolist(), stays.tolist()):
            yield env.timeout(arrival - env.now)
            advance(env.now)
            counted = env.now >= warmup_days
            if counted:
                state["arrivals"] += 1
            if state["busy"] < beds:
                state["busy"] += 1
                env.process(discharge(stay))
            elif counted:
                state["refused"] += 1

    env.process(admissions())
    env.run(until=end)
    advance(end)
    return state["area"] / run_days, int(state["arrivals"]), int(state["refused"])


def _ci(values: np.ndarray) -> tuple[float, float, float]:
    mean = float(np.mean(values))
    if values.size < 2:
        return mean, float("-inf"), float("inf")
    half = float(stats.t.ppf(0.975, values.size - 1) * np.std(values, ddof=1) / math.sqrt(values.size))
    return mean, mean - half, mean + half


def simulate_beds(
    patients_per_year: float,
    length_of_stay_days: float,
    beds: int,
    *,
    stay_distribution: StayDistribution | str = StayDistribution.EXPONENTIAL,
    stay_cv: float = 1.0,
    replications: int = 10,
    warmup_days: float | None = None,
    run_days: float = 365.0,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> SimulationResult:
    """Simulate one site's beds as a loss system and compare with Erlang's formula.

    Parameters
    ----------
    patients_per_year:
        Admissions per year (Poisson arrivals at ``patients_per_year / 365`` a day).
    length_of_stay_days:
        Mean length of stay in days.
    beds:
        Number of beds ``c`` (>= 1).
    stay_distribution:
        ``"exponential"`` or ``"lognormal"`` (the latter with coefficient of
        variation ``stay_cv``); both have mean ``length_of_stay_days``.
    stay_cv:
        Coefficient of variation of a lognormal stay (SD / mean); ignored for the
        exponential (whose CV is 1). 0.9 matches a HASU-type stay of mean 4.1, SD 3.7
        days (LUGO2019).
    replications:
        Independent runs (>= 2 for a confidence interval).
    warmup_days:
        Days simulated from empty and discarded; default 10 mean stays.
    run_days:
        Days measured after the warm-up in each replication.
    seed, rng:
        Randomness: pass a ``numpy.random.Generator`` or a seed (not both);
        replications use independent child streams spawned from it.

    Returns
    -------
    SimulationResult
    """
    los = float(length_of_stay_days)
    rate = float(patients_per_year)
    if not (math.isfinite(los) and los > 0):
        raise InputError(f"length_of_stay_days must be > 0, got {length_of_stay_days!r}")
    if not (math.isfinite(rate) and rate > 0):
        raise InputError(f"patients_per_year must be > 0 to simulate, got {patients_per_year!r}")
    if int(beds) != beds or int(beds) < 1:
        raise InputError(f"beds must be a whole number >= 1, got {beds!r}")
    if int(replications) != replications or int(replications) < 1:
        raise InputError(f"replications must be a whole number >= 1, got {replications!r}")
    try:
        dist = StayDistribution(stay_distribution)
    except ValueError:
        raise InputError(
            f"stay_distribution must be one of "
            f"{', '.join(d.value for d in StayDistribution)}, got {stay_distribution!r}"
        ) from None
    cv = 1.0 if dist is StayDistribution.EXPONENTIAL else float(stay_cv)
    if not (math.isfinite(cv) and cv > 0):
        raise InputError(f"stay_cv must be > 0, got {stay_cv!r}")
    warm = 10.0 * los if warmup_days is None else float(warmup_days)
    if not (math.isfinite(warm) and warm >= 0) or not (math.isfinite(run_days) and run_days > 0):
        raise InputError("warmup_days must be >= 0 and run_days > 0")
    if rng is not None and seed is not None:
        raise InputError("pass either seed or rng, not both")
    parent = rng if rng is not None else np.random.default_rng(seed)

    sampler = _stay_sampler(dist, los, cv)
    arrivals_per_day = rate / DAYS_PER_YEAR
    occupied = np.empty(int(replications))
    refusal = np.empty(int(replications))
    total_arrivals = 0
    for i, child in enumerate(parent.spawn(int(replications))):
        occ, arrivals, refused = _one_replication(
            child, int(beds), arrivals_per_day, sampler, warm, float(run_days)
        )
        occupied[i] = occ
        refusal[i] = refused / arrivals if arrivals else 0.0
        total_arrivals += arrivals

    load = float(offered_load(rate, los))
    b = float(erlang_b(int(beds), load))
    occ_mean, occ_lo, occ_hi = _ci(occupied)
    ref_mean, ref_lo, ref_hi = _ci(refusal)
    return SimulationResult(
        beds=int(beds),
        patients_per_year=rate,
        length_of_stay_days=los,
        stay_distribution=dist.value,
        stay_cv=cv,
        replications=int(replications),
        warmup_days=warm,
        run_days=float(run_days),
        seed=seed,
        arrivals=total_arrivals,
        mean_occupied_beds=occ_mean,
        mean_occupied_beds_ci=(occ_lo, occ_hi),
        refusal_probability=ref_mean,
        refusal_probability_ci=(ref_lo, ref_hi),
        analytic_mean_occupied_beds=load * (1.0 - b),
        analytic_refusal_probability=b,
    )


def simulate_sites(
    sites: pd.DataFrame,
    length_of_stay_days: float,
    *,
    beds_column: str = "beds_for_refusal",
    patients_column: str = "patients_per_year",
    seed: int | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Simulate every site of a bed table (e.g. :func:`hubplan.capacity.bed_table`).

    Sites with no patients or no beds are skipped. Each site gets its own child
    stream of a generator seeded with ``seed``; ``options`` go to
    :func:`simulate_beds`.

    Returns
    -------
    pandas.DataFrame
        One row per simulated site: site_code, beds, simulated and analytic mean
        occupied beds and refusal probability, their 95% intervals, and ``agrees``.
    """
    for col in ("site_code", beds_column, patients_column):
        if col not in sites.columns:
            raise InputError(f"sites table needs a {col!r} column")
    parent = np.random.default_rng(seed)
    children = parent.spawn(len(sites))
    rows = []
    for child, (_, row) in zip(children, sites.iterrows()):
        patients = float(row[patients_column])
        beds = int(row[beds_column])
        if patients <= 0 or beds <= 0:
            continue
        res = simulate_beds(patients, length_of_stay_days, beds, rng=child, **options)
        rows.append(
            {
                "site_code": str(row["site_code"]),
                "beds": beds,
                "patients_per_year": patients,
                "stay_distribution": res.stay_distribution,
                "simulated_mean_occupied_beds": res.mean_occupied_beds,
                "simulated_mean_occupied_beds_low": res.mean_occupied_beds_ci[0],
                "simulated_mean_occupied_beds_high": res.mean_occupied_beds_ci[1],
                "analytic_mean_occupied_beds": res.analytic_mean_occupied_beds,
                "simulated_refusal_probability": res.refusal_probability,
                "simulated_refusal_probability_low": res.refusal_probability_ci[0],
                "simulated_refusal_probability_high": res.refusal_probability_ci[1],
                "analytic_refusal_probability": res.analytic_refusal_probability,
                "agrees": res.agrees(),
            }
        )
    return pd.DataFrame(rows)
