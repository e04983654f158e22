"""Road minutes for sites that are not in the road-time matrix, estimated from the matrix.

A network's real area-to-site road minutes (34,752 LSOAs x 125 stroke units in the bundled
data) are a dense sample of the road network: every area's times to every known site, and
so, read the other way, the times *from* the neighbourhood of any location to every known
site. :class:`RoadTimeEstimator` turns that into minutes from every area to a site given
only by its location:

1. **Times from the new site to the known sites**: the real minutes of the areas whose
   centroids are nearest the new location (inverse-distance weighted), read as times from
   the location to each known site (road times are close to symmetric).
2. **Features** for each area: straight-line km to the new site; the triangle-inequality
   upper and lower bounds through every known site (``min_j t(a,j) + t(j,new)`` and
   ``max_j |t(a,j) - t(j,new)|``); the area's and the location's road pace (minutes per km
   to known sites 10-100 km away); and, for the three known sites nearest the new one, the
   area's real minutes and km to them, their km from the new site, and the area's minutes
   to them moved by the difference in distance at the area's pace.
3. **A gradient-boosted regression** (scikit-learn's ``HistGradientBoostingRegressor``)
   from those features to minutes, fitted on the matrix itself: each known site in turn is
   treated as new (its own column left out of every feature) and its true minutes are the
   target.

Accuracy is measured honestly (:meth:`RoadTimeEstimator.cross_validate`): the known sites
are split into folds; for each fold a model is fitted on the other folds' sites only, and
every site of the fold is estimated from its location with its own column left out of the
features. That is stricter than leave-one-site-out (each estimate comes from a model that
saw neither the site nor a fifth of the others). Errors are reported for areas whose true
time is within :data:`ACCURACY_WITHIN_MINUTES`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

#: Bump when features, target or fitting change (invalidates cached models).
MODEL_VERSION = 1
#: Accuracy is reported for areas whose true road time is at most this many minutes.
ACCURACY_WITHIN_MINUTES = 90.0
#: Fewest known sites (with real road times) a matrix needs for an estimator.
MIN_KNOWN_SITES = 10
#: How many nearest area centroids stand in for a new site's own location.
NEIGHBOUR_AREAS = 5
#: Known sites nearest a new one whose columns are features.
NEAREST_SITES = 3
#: Training pairs drawn per known site (the whole matrix is not needed).
ROWS_PER_SITE = 1200
#: Areas within this many km of a new site are at most the matrix's fastest access time
#: plus this pace (1 min/km = 60 km/h) from it.
NEAR_KM = 1.0
NEAR_PACE_MINUTES_PER_KM = 1.0
EARTH_RADIUS_KM = 6371.0088
PACE_KM = (10.0, 100.0)

Progress = Callable[[str], None]


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle km between points given in degrees (broadcasting)."""
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere for latitudes and longitudes in degrees (for k-d trees)."""
    p, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(p) * np.cos(lam), np.cos(p) * np.sin(lam), np.sin(p)])


@dataclass(frozen=True)
class EstimateAccuracy:
    """Cross-validated absolute errors of estimated minutes (see the module docstring)."""

    median_abs_error_minutes: float
    p90_abs_error_minutes: float
    mean_abs_error_minutes: float
    within_minutes: float
    pairs: int
    sites: int
    folds: int
    site_to_site_median_abs_error_minutes: float | None = None
    site_to_site_p90_abs_error_minutes: float | None = None

    @property
    def method(self) -> str:
        return (f"{self.folds}-fold cross-validation by site over {self.sites} sites with real "
                f"road times (each site estimated from its location alone)")

    def describe(self) -> str:
        """One sentence for notes and reports."""
        return (f"estimated road minutes: median error {self.median_abs_error_minutes:.1f} min, "
                f"90% of errors within {self.p90_abs_error_minutes:.1f} min (areas within "
                f"{self.within_minutes:g} min; {self.method})")

    def short(self) -> str:
        """The error band in a few words, for tables."""
        return (f"cross-validated error: median {self.median_abs_error_minutes:.1f} min, 90% within "
                f"{self.p90_abs_error_minutes:.1f} min, for areas within {self.within_minutes:g} min")

    def to_json(self) -> dict[str, Any]:
        return {
            "median_abs_error_minutes": self.median_abs_error_minutes,
            "p90_abs_error_minutes": self.p90_abs_error_minutes,
            "mean_abs_error_minutes": self.mean_abs_error_minutes,
            "within_minutes": self.within_minutes,
            "pairs": self.pairs, "sites": self.sites, "folds": self.folds,
            "site_to_site_median_abs_error_minutes": self.site_to_site_median_abs_error_minutes,
            "site_to_site_p90_abs_error_minutes": self.site_to_site_p90_abs_error_minutes,
            "method": self.method,
        }


class RoadTimeEstimator:
    """Estimate road minutes between every area and a new location (see the module docstring).

    Parameters
    ----------
    area_latitude, area_longitude:
        Area centroids in degrees, ``(n_areas,)``.
    site_latitude, site_longitude:
        Locations of the known sites in degrees, ``(n_sites,)``.
    minutes:
        ``(n_areas, n_sites)`` real road minutes to the known sites (``inf`` = no known route).
    """

    def __init__(
        self,
        area_latitude: np.ndarray,
        area_longitude: np.ndarray,
        site_latitude: np.ndarray,
        site_longitude: np.ndarray,
        minutes: np.ndarray,
    ) -> None:
        from scipy.spatial import cKDTree

        self.area_lat = np.asarray(area_latitude, dtype=np.float64)
        self.area_lon = np.asarray(area_longitude, dtype=np.float64)
        self.site_lat = np.asarray(site_latitude, dtype=np.float64)
        self.site_lon = np.asarray(site_longitude, dtype=np.float64)
        t = np.asarray(minutes, dtype=np.float64)
        self.n_areas, self.n_sites = t.shape
        if self.n_sites < MIN_KNOWN_SITES:
            raise ValueError(f"{self.n_sites} known sites: at least {MIN_KNOWN_SITES} are needed")
        self.minutes = np.where(np.isfinite(t), t, np.nan)  # (n_areas, n_sites)
        self.km = haversine_km(self.area_lat[:, None], self.area_lon[:, None],
                               self.site_lat[None, :], self.site_lon[None, :])
        # Per-area pace (min/km) to sites 10-100 km away, as sums so that one site can be
        # left out cheaply when it plays the new site.
        with np.errstate(invalid="ignore", divide="ignore"):
            pace = self.minutes / self.km
        usable = (self.km > PACE_KM[0]) & (self.km < PACE_KM[1]) & np.isfinite(pace)
        self._pace = np.where(usable, pace, 0.0)
        self._pace_sum = self._pace.sum(axis=1)
        self._pace_count = usable.sum(axis=1).astype(np.float64)
        self._pace_usable = usable
        finite = self._pace[usable]
        self.global_pace = float(np.median(finite)) if finite.size else 1.0
        self._tree = cKDTree(unit_xyz(self.area_lat, self.area_lon))
        self.floor_minutes = float(np.nanmin(self.minutes))
        self.model: Any = None

    # ----------------------------------------------------------------- features
    def _area_pace(self, exclude: int | None) -> np.ndarray:
        total, count = self._pace_sum, self._pace_count
        if exclude is not None:
            total = total - self._pace[:, exclude]
            count = count - self._pace_usable[:, exclude]
        with np.errstate(invalid="ignore", divide="ignore"):
            pace = total / count
        return np.where(count > 0, pace, self.global_pace)

    def neighbour_areas(self, latitude: float, longitude: float) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the area centroids nearest a location, and their km from it."""
        _, idx = self._tree.query(unit_xyz(np.array([latitude]), np.array([longitude]))[0], k=NEIGHBOUR_AREAS)
        idx = np.atleast_1d(idx)
        return idx, haversine_km(self.area_lat[idx], self.area_lon[idx], latitude, longitude)

    def _times_from_location(self, latitude: float, longitude: float, sites: np.ndarray) -> np.ndarray:
        """Minutes from a location to known ``sites``: nearest areas' real minutes, weighted."""
        idx, km = self.neighbour_areas(latitude, longitude)
        weights = 1.0 / (km + 0.5)
        block = self.minutes[np.ix_(idx, sites)]
        w = np.where(np.isfinite(block), weights[:, None], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.nansum(block * w, axis=0) / w.sum(axis=0))

    def _features(self, latitude: float, longitude: float, rows: np.ndarray | None,
                  exclude: int | None) -> np.ndarray:
        """Feature rows for areas ``rows`` (all if None) to a new site at a location.

        ``exclude`` is a known site playing the new one: its column is left out of every
        feature (its times from the location are set to NaN, which the bounds ignore).
        """
        t = self.minutes if rows is None else self.minutes[rows]
        km_area_site = self.km if rows is None else self.km[rows]
        lat_a = self.area_lat if rows is None else self.area_lat[rows]
        lon_a = self.area_lon if rows is None else self.area_lon[rows]
        n = len(lat_a)
        km_new = haversine_km(lat_a, lon_a, latitude, longitude)
        km_sites_new = haversine_km(self.site_lat, self.site_lon, latitude, longitude)
        t_new = self._times_from_location(latitude, longitude, np.arange(self.n_sites))
        if exclude is not None:
            t_new[exclude] = np.nan
            km_sites_new[exclude] = np.inf
        with np.errstate(invalid="ignore"):
            upper = np.nanmin(t + t_new[None, :], axis=1)
            lower = np.nanmax(np.abs(t - t_new[None, :]), axis=1)
        pace = self._area_pace(exclude)
        pace = pace if rows is None else pace[rows]
        near = (km_sites_new > PACE_KM[0]) & (km_sites_new < PACE_KM[1]) & np.isfinite(t_new)
        pace_new = float(np.median(t_new[near] / km_sites_new[near])) if near.any() else self.global_pace
        _, access_km = self.neighbour_areas(latitude, longitude)
        columns = [km_new, upper, lower, pace, np.full(n, pace_new)]
        for j in np.argsort(km_sites_new)[:NEAREST_SITES]:
            columns += [t[:, j], km_area_site[:, j], np.full(n, km_sites_new[j]),
                        t[:, j] + pace * (km_new - km_area_site[:, j])]
        columns.append(np.full(n, access_km[0]))
        return np.column_stack(columns)

    # ----------------------------------------------------------------- fitting
    def _training_rows(self, site: int, rng: np.random.Generator) -> np.ndarray:
        truth = self.minutes[:, site]
        finite = np.flatnonzero(np.isfinite(truth))
        # Near pairs matter most: sample those within 120 min four times as often.
        weight = np.where(truth[finite] <= 120.0, 1.0, 0.25)
        n = min(ROWS_PER_SITE, len(finite))
        return np.sort(rng.choice(finite, size=n, replace=False, p=weight / weight.sum()))

    def _training_set(self, sites: np.ndarray, seed: int,
                      progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        xs, ys = [], []
        for count, site in enumerate(sites):
            rows = self._training_rows(int(site), rng)
            xs.append(self._features(self.site_lat[site], self.site_lon[site], rows, int(site)))
            ys.append(self.minutes[rows, site])
            if progress and count % 25 == 0:
                progress(f"features for known site {count + 1} of {len(sites)}")
        return np.vstack(xs), np.concatenate(ys)

    @staticmethod
    def _new_model(seed: int) -> Any:
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(max_iter=200, learning_rate=0.1, max_leaf_nodes=63,
                                             early_stopping=False, random_state=seed)

    @staticmethod
    def _fit_model(seed: int, x: np.ndarray, y: np.ndarray) -> Any:
        # One OpenMP thread. scikit-learn's boosting opens a parallel region for every
        # split, and with two threads each region waits for the other to wake; on a shared
        # or busy machine (or under pytest -n 2) that costs more than the second core gives.
        # Measured on 2 cores, idle: the bundled network's cross-validation and fit took
        # 40.1 s on one thread against 127.6 s on two with OMP_WAIT_POLICY=PASSIVE;
        # a 12-site, 400-area network's first --add-sites run 10.3 s against 70.8 s.
        # Two threads spinning (ACTIVE) are faster only on an idle machine. docs/new-sites.md.
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="openmp"):
            return RoadTimeEstimator._new_model(seed).fit(x, y)

    def fit(self, seed: int = 0, progress: Progress | None = None) -> "RoadTimeEstimator":
        """Fit the model on every known site (each one treated as new in turn)."""
        x, y = self._training_set(np.arange(self.n_sites), seed, progress)
        if progress:
            progress(f"fitting the road-time model on {len(y):,} known pairs")
        self.model = self._fit_model(seed, x, y)
        return self

    def _predict(self, model: Any, features: np.ndarray) -> np.ndarray:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="openmp"):
            minutes = np.asarray(model.predict(features), dtype=np.float64)
        # No estimate is below the fastest access time in the matrix; an area whose centroid
        # is within NEAR_KM of the site takes at most that access time plus the km at
        # NEAR_PACE, so a site placed on an area's centroid is that area's nearest site.
        km_new = features[:, 0]
        near = self.floor_minutes + NEAR_PACE_MINUTES_PER_KM * km_new
        minutes = np.where(km_new <= NEAR_KM, np.minimum(minutes, near), minutes)
        return np.maximum(minutes, self.floor_minutes)

    # ----------------------------------------------------------------- estimating
    def estimate(self, latitude: float, longitude: float) -> tuple[np.ndarray, np.ndarray]:
        """Minutes from every area to a new site, and between it and every known site.

        Returns ``(area_minutes (n_areas,), site_minutes (n_sites,))``, float64.
        """
        if self.model is None:
            raise RuntimeError("fit the estimator first")
        features = self._features(latitude, longitude, None, None)
        area_minutes = self._predict(self.model, features)
        site_minutes = self._times_from_location(latitude, longitude, np.arange(self.n_sites))
        return area_minutes, site_minutes

    def cross_validate(self, folds: int = 5, seed: int = 0, progress: Progress | None = None,
                       site_minutes: np.ndarray | None = None) -> EstimateAccuracy:
        """Errors of every known site's column estimated from its location alone.

        Sites are split into ``folds`` at random (``seed``); a model fitted on the other
        folds' sites estimates each site of a fold with its own column left out of the
        features. ``site_minutes`` (the real ``(n_sites, n_sites)`` site-to-site minutes,
        if known) also scores the estimated times between sites.
        """
        rng = np.random.default_rng(seed)
        fold_of = rng.permutation(self.n_sites) % folds
        errors: list[np.ndarray] = []
        site_errors: list[np.ndarray] = []
        for fold in range(folds):
            train = np.flatnonzero(fold_of != fold)
            x, y = self._training_set(train, seed + 1 + fold)
            model = self._fit_model(seed, x, y)
            for site in np.flatnonzero(fold_of == fold):
                truth = self.minutes[:, site]
                rows = np.flatnonzero(np.isfinite(truth) & (truth <= ACCURACY_WITHIN_MINUTES))
                features = self._features(self.site_lat[site], self.site_lon[site], rows, int(site))
                errors.append(np.abs(self._predict(model, features) - truth[rows]))
                if site_minutes is not None:
                    others = np.delete(np.arange(self.n_sites), site)
                    guess = self._times_from_location(self.site_lat[site], self.site_lon[site], others)
                    real = np.asarray(site_minutes, dtype=np.float64)[site, others]
                    ok = np.isfinite(real) & np.isfinite(guess) & (real <= ACCURACY_WITHIN_MINUTES)
                    site_errors.append(np.abs(guess - real)[ok])
            if progress:
                progress(f"cross-validation fold {fold + 1} of {folds}")
        e = np.concatenate(errors)
        s = np.concatenate(site_errors) if site_errors else None
        return EstimateAccuracy(
            median_abs_error_minutes=float(np.median(e)),
            p90_abs_error_minutes=float(np.percentile(e, 90)),
            mean_abs_error_minutes=float(np.mean(e)),
            within_minutes=ACCURACY_WITHIN_MINUTES,
            pairs=int(e.size), sites=self.n_sites, folds=folds,
            site_to_site_median_abs_error_minutes=None if s is None or not s.size else float(np.median(s)),
            site_to_site_p90_abs_error_minutes=None if s is None or not s.size else float(np.percentile(s, 90)),
        )

    def fingerprint(self) -> str:
        """A key for caching a fitted model of this matrix and these locations."""
        h = hashlib.sha256(f"road-time-model v{MODEL_VERSION}".encode())
        for array in (self.area_lat, self.area_lon, self.site_lat, self.site_lon, self.minutes):
            h.update(np.ascontiguousarray(array).tobytes())
        return h.hexdigest()[:16]


def straight_line_accuracy(estimator: RoadTimeEstimator, folds: int = 5, seed: int = 0) -> EstimateAccuracy:
    """The reference: minutes = a + b km + c sqrt(km), fitted by least squares on the other folds."""
    rng = np.random.default_rng(seed)
    fold_of = rng.permutation(estimator.n_sites) % folds
    errors = []
    for fold in range(folds):
        train = np.flatnonzero(fold_of != fold)
        t, km = estimator.minutes[:, train], estimator.km[:, train]
        ok = np.isfinite(t) & (t <= ACCURACY_WITHIN_MINUTES)
        d = km[ok]
        coef = np.linalg.lstsq(np.column_stack([np.ones_like(d), d, np.sqrt(d)]), t[ok], rcond=None)[0]
        for site in np.flatnonzero(fold_of == fold):
            d = estimator.km[:, site]
            guess = coef[0] + coef[1] * d + coef[2] * np.sqrt(d)
            truth = estimator.minutes[:, site]
            keep = np.isfinite(truth) & (truth <= ACCURACY_WITHIN_MINUTES)
            errors.append(np.abs(guess - truth)[keep])
    e = np.concatenate(errors)
    return EstimateAccuracy(float(np.median(e)), float(np.percentile(e, 90)), float(np.mean(e)),
                            ACCURACY_WITHIN_MINUTES, int(e.size), estimator.n_sites, folds)


__all__ = ["RoadTimeEstimator", "EstimateAccuracy", "haversine_km", "straight_line_accuracy",
           "ACCURACY_WITHIN_MINUTES", "MIN_KNOWN_SITES", "MODEL_VERSION"]
