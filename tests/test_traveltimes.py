"""Road minutes to new sites, estimated from a road-time matrix (``hubplan.geography.traveltimes``).

A synthetic world whose true times are known exactly (a grid of roads: minutes follow
the Manhattan distance at 60 km/h, plus a fixed access time), and the bundled matrix
with its leave-sites-out figures (slow).
"""

from __future__ import annotations

import numpy as np
import pytest

from hubplan.geography.traveltimes import (
    ACCURACY_WITHIN_MINUTES,
    RoadTimeEstimator,
    haversine_km,
    straight_line_accuracy,
)

ACCESS_MINUTES = 4.0
KM_PER_DEGREE_LAT = 111.2


def grid_world(n_areas: int = 1500, n_sites: int = 30, seed: int = 3):
    """Areas and sites in a 150 km square around 52N 1W, roads on a north-south/east-west grid."""
    rng = np.random.default_rng(seed)
    lat0, lon0 = 52.0, -1.0
    km_per_degree_lon = KM_PER_DEGREE_LAT * np.cos(np.radians(lat0))

    def place(n: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = rng.uniform(0, 150, n), rng.uniform(0, 150, n)
        return lat0 + y / KM_PER_DEGREE_LAT, lon0 + x / km_per_degree_lon

    def minutes(lat_a, lon_a, lat_b, lon_b):
        north = np.abs(lat_a - lat_b) * KM_PER_DEGREE_LAT
        east = np.abs(lon_a - lon_b) * km_per_degree_lon
        return ACCESS_MINUTES + (north + east)  # 60 km/h: one minute per km

    area_lat, area_lon = place(n_areas)
    site_lat, site_lon = place(n_sites)
    truth = minutes(area_lat[:, None], area_lon[:, None], site_lat[None, :], site_lon[None, :])
    return area_lat, area_lon, site_lat, site_lon, truth, minutes


def test_haversine_against_a_known_distance():
    # London (51.5074 N, 0.1278 W) to Paris (48.8566 N, 2.3522 E): 343.5 km on a sphere of
    # radius 6371.0088 km (the mean Earth radius), worked with the haversine formula by hand.
    km = float(haversine_km(51.5074, -0.1278, 48.8566, 2.3522))
    assert km == pytest.approx(343.5, abs=0.5)


def test_grid_world_estimates_beat_straight_line_and_are_close_to_the_truth():
    area_lat, area_lon, site_lat, site_lon, truth, minutes = grid_world()
    estimator = RoadTimeEstimator(area_lat, area_lon, site_lat, site_lon, truth).fit(seed=0)
    # A new site anywhere in the world: compare with the exact grid minutes.
    rng = np.random.default_rng(11)
    errors = []
    for lat, lon in zip(rng.uniform(52.2, 53.1, 8), rng.uniform(-0.8, 0.9, 8)):
        area_minutes, site_minutes = estimator.estimate(float(lat), float(lon))
        exact = minutes(area_lat, area_lon, lat, lon)
        keep = exact <= ACCURACY_WITHIN_MINUTES
        errors.append(np.abs(area_minutes - exact)[keep])
        assert np.all(np.isfinite(area_minutes)) and np.all(area_minutes > 0)
        # Times to the known sites come from the nearest areas' real times: within the
        # few km between the location and those areas' centroids (1 min per km).
        exact_sites = minutes(site_lat, site_lon, lat, lon)
        assert np.median(np.abs(site_minutes - exact_sites)) < 3.0
    e = np.concatenate(errors)
    # A straight-line fit cannot follow the grid (Manhattan km are up to 41% longer).
    straight = straight_line_accuracy(estimator)
    assert np.median(e) < 0.5 * straight.median_abs_error_minutes
    assert np.median(e) < 2.0


def test_grid_world_cross_validation_reports_what_it_measured():
    area_lat, area_lon, site_lat, site_lon, truth, _ = grid_world(n_areas=800, n_sites=20)
    estimator = RoadTimeEstimator(area_lat, area_lon, site_lat, site_lon, truth)
    accuracy = estimator.cross_validate(folds=4, seed=1)
    assert accuracy.sites == 20 and accuracy.folds == 4
    # Every pair within 90 minutes of every site is scored once.
    assert accuracy.pairs == int((truth <= ACCURACY_WITHIN_MINUTES).sum())
    assert 0 < accuracy.median_abs_error_minutes <= accuracy.p90_abs_error_minutes
    assert "4-fold" in accuracy.describe() and "20 sites" in accuracy.describe()


def test_a_site_on_an_area_centroid_is_that_areas_nearest_site():
    area_lat, area_lon, site_lat, site_lon, truth, _ = grid_world()
    estimator = RoadTimeEstimator(area_lat, area_lon, site_lat, site_lon, truth).fit(seed=0)
    for area in (0, 17, 503, 1200):
        area_minutes, _ = estimator.estimate(float(area_lat[area]), float(area_lon[area]))
        assert area_minutes[area] <= truth[area].min()


def test_the_model_is_fitted_on_one_openmp_thread_and_is_the_same_model(monkeypatch):
    """Fits and predictions run on one OpenMP thread (many threads waiting on one another
    made a first --add-sites run 7x slower on two cores); the model is the one an
    unlimited fit gives, prediction for prediction."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_info

    area_lat, area_lon, site_lat, site_lon, truth, _ = grid_world(n_areas=300, n_sites=12)
    seen: list[int] = []
    real_fit, real_predict = HistGradientBoostingRegressor.fit, HistGradientBoostingRegressor.predict

    def threads() -> int:
        return max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp")

    def fit(self, x, y, *args, **kwargs):
        seen.append(threads())
        return real_fit(self, x, y, *args, **kwargs)

    def predict(self, x):
        seen.append(threads())
        return real_predict(self, x)

    monkeypatch.setattr(HistGradientBoostingRegressor, "fit", fit)
    monkeypatch.setattr(HistGradientBoostingRegressor, "predict", predict)
    estimator = RoadTimeEstimator(area_lat, area_lon, site_lat, site_lon, truth).fit(seed=0)
    minutes, _ = estimator.estimate(52.5, -0.5)
    assert seen == [1, 1]
    monkeypatch.undo()
    x, y = estimator._training_set(np.arange(estimator.n_sites), 0)
    unlimited = RoadTimeEstimator._new_model(0).fit(x, y)
    features = estimator._features(52.5, -0.5, None, None)
    assert np.array_equal(estimator._predict(unlimited, features), minutes)


def test_too_few_known_sites_is_refused():
    area_lat, area_lon, site_lat, site_lon, truth, _ = grid_world(n_areas=50, n_sites=6)
    with pytest.raises(ValueError, match="at least 10"):
        RoadTimeEstimator(area_lat, area_lon, site_lat, site_lon, truth)


@pytest.mark.slow
def test_bundled_leave_sites_out_accuracy_meets_the_targets(bundled):
    """Every real site estimated from its location alone (5-fold by site): median <= 3 min,
    90th percentile <= 8 min for areas within 90 minutes (targets of the issue; a
    straight-line fit gives about 4.6 / 11.0 here)."""
    net = bundled
    estimator = RoadTimeEstimator(net.areas["latitude"].to_numpy(), net.areas["longitude"].to_numpy(),
                                  net.sites["latitude"].to_numpy(), net.sites["longitude"].to_numpy(),
                                  net.area_site_minutes)
    accuracy = estimator.cross_validate(site_minutes=net.site_site_minutes)
    straight = straight_line_accuracy(estimator)
    assert accuracy.sites == net.n_sites == 125
    assert accuracy.median_abs_error_minutes <= 3.0
    assert accuracy.p90_abs_error_minutes <= 8.0
    assert accuracy.median_abs_error_minutes < straight.median_abs_error_minutes
    assert accuracy.p90_abs_error_minutes < straight.p90_abs_error_minutes
    assert accuracy.site_to_site_p90_abs_error_minutes is not None
    assert accuracy.site_to_site_p90_abs_error_minutes <= 8.0


@pytest.mark.slow
def test_bundled_estimates_are_finite_positive_and_centroids_are_nearest(bundled):
    net = bundled
    estimator = RoadTimeEstimator(net.areas["latitude"].to_numpy(), net.areas["longitude"].to_numpy(),
                                  net.sites["latitude"].to_numpy(), net.sites["longitude"].to_numpy(),
                                  net.area_site_minutes).fit()
    rng = np.random.default_rng(5)
    minutes = np.where(np.isfinite(net.area_site_minutes), net.area_site_minutes, np.inf)
    for area in rng.choice(net.n_areas, size=6, replace=False):
        lat, lon = net.areas["latitude"].iloc[area], net.areas["longitude"].iloc[area]
        area_minutes, site_minutes = estimator.estimate(float(lat), float(lon))
        assert np.all(np.isfinite(area_minutes)) and np.all(area_minutes > 0)
        assert np.all(np.isfinite(site_minutes)) and np.all(site_minutes > 0)
        assert area_minutes[area] <= minutes[area].min()
