"""New sites given by location: ``Network.add_sites`` / ``drop_sites`` (hubplan.geography.new_sites).

A grid world with exactly known minutes (roads north-south and east-west at 60 km/h plus
a fixed access time) stands in for a road network; the bundled network is used in the
slow tests.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import hubplan
from hubplan.errors import InputError
from hubplan.testing import make_network
from hubplan.geography.traveltimes import haversine_km

ACCESS = 4.0
KM_LAT = 111.2
LAT0, LON0 = 52.0, -1.0
KM_LON = KM_LAT * np.cos(np.radians(LAT0))


def grid_minutes(lat_a, lon_a, lat_b, lon_b):
    return ACCESS + np.abs(lat_a - lat_b) * KM_LAT + np.abs(lon_a - lon_b) * KM_LON


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    rng = np.random.default_rng(8)
    n_areas, n_sites = 900, 20
    a_lat, a_lon = LAT0 + rng.uniform(0, 120, n_areas) / KM_LAT, LON0 + rng.uniform(0, 120, n_areas) / KM_LON
    s_lat, s_lon = LAT0 + rng.uniform(0, 120, n_sites) / KM_LAT, LON0 + rng.uniform(0, 120, n_sites) / KM_LON
    minutes = grid_minutes(a_lat[:, None], a_lon[:, None], s_lat[None, :], s_lon[None, :])
    site_minutes = grid_minutes(s_lat[:, None], s_lon[:, None], s_lat[None, :], s_lon[None, :])
    np.fill_diagonal(site_minutes, 0.0)
    west = np.where(a_lon < LON0 + 60 / KM_LON, "West", "East")
    net = make_network(
        minutes.tolist(), site_minutes.tolist(),
        demand=rng.uniform(1, 20, n_areas).round(1).tolist(),
        area_regions=west.tolist(),
        area_latlon=list(zip(a_lat, a_lon)), site_latlon=list(zip(s_lat, s_lon)),
        capabilities={"hub": [j < 5 for j in range(n_sites)]},
    )
    cache = tmp_path_factory.mktemp("cache")
    return net, cache


@pytest.fixture()
def cached(world, monkeypatch):
    net, cache = world
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(cache))
    return net


def new_site_frame(**columns):
    base = {"site_code": ["NEW1"], "site_name": ["New hospital"],
            "latitude": [LAT0 + 60 / KM_LAT], "longitude": [LON0 + 75 / KM_LON], "hub": [1]}
    base.update(columns)
    return pd.DataFrame(base)


def test_add_site_estimates_its_minutes_and_says_how_accurate(cached):
    net = cached
    frame = new_site_frame()
    new = net.add_sites(frame)
    assert net.n_sites == 20 and new.n_sites == 21  # the original network is unchanged
    assert new.site_codes[-1] == "NEW1"
    assert new.minutes_source["NEW1"] == "estimated" and new.estimated_sites == ["NEW1"]
    assert (new.minutes_source.iloc[:20] == "user").all()
    assert new.sites.loc["NEW1", "hub"] and new.sites.loc["NEW1", "icb"] == "East"
    column = new.area_site_minutes[:, 20].astype(float)
    assert np.all(np.isfinite(column)) and np.all(column > 0)
    exact = grid_minutes(net.areas["latitude"].to_numpy(), net.areas["longitude"].to_numpy(),
                         frame["latitude"][0], frame["longitude"][0])
    near = exact <= 90
    # the reference: minutes = a + b km + c sqrt(km) fitted on every known pair
    km = haversine_km(net.areas["latitude"].to_numpy()[:, None], net.areas["longitude"].to_numpy()[:, None],
                      net.sites["latitude"].to_numpy()[None, :], net.sites["longitude"].to_numpy()[None, :])
    known = net.area_site_minutes.astype(float)
    fit = np.linalg.lstsq(np.column_stack([np.ones(km.size), km.ravel(), np.sqrt(km.ravel())]),
                          known.ravel(), rcond=None)[0]
    d = haversine_km(net.areas["latitude"].to_numpy(), net.areas["longitude"].to_numpy(),
                     frame["latitude"][0], frame["longitude"][0])
    straight = fit[0] + fit[1] * d + fit[2] * np.sqrt(d)
    error = np.median(np.abs(column - exact)[near])
    assert error < 0.5 * np.median(np.abs(straight - exact)[near])
    assert error < 2.0
    row = new.site_site_minutes[20, :20].astype(float)
    exact_sites = grid_minutes(net.sites["latitude"].to_numpy(), net.sites["longitude"].to_numpy(),
                               frame["latitude"][0], frame["longitude"][0])
    assert np.median(np.abs(row - exact_sites)) < 3.0
    assert new.site_site_minutes[20, 20] == 0
    accuracy = new.travel_time_accuracy
    assert accuracy is not None and accuracy.sites == 20
    assert any("NEW1" in note and "median error" in note for note in new.notes)


def test_users_own_minutes_take_precedence_and_are_kept_exactly(cached):
    net = cached
    frame = new_site_frame()
    exact = grid_minutes(net.areas["latitude"].to_numpy(), net.areas["longitude"].to_numpy(),
                         frame["latitude"][0], frame["longitude"][0])
    times = pd.DataFrame({"area_code": net.area_codes, "site_code": "NEW1", "minutes": exact.round(2)})
    new = net.add_sites(frame, times)
    assert new.minutes_source["NEW1"] == "user" and new.estimated_sites == []
    assert new.travel_time_accuracy is None
    np.testing.assert_array_equal(new.area_site_minutes[:, 20], exact.round(2).astype(np.float32))


def test_a_real_site_dropped_and_given_back_with_its_real_times_evaluates_the_same(cached):
    net = cached
    service = hubplan.Service.preset("vascular_arterial", demand_column="stroke_admissions")
    code = "S3"
    j = net.site_codes.index(code)
    times = pd.DataFrame({"area_code": net.area_codes, "site_code": code,
                          "minutes": net.area_site_minutes[:, j].astype(float)})
    site = net.sites.loc[[code]].reset_index()[["site_code", "site_name", "latitude", "longitude", "hub"]]
    site["hub"] = site["hub"].astype(int)
    rebuilt = net.drop_sites([code]).add_sites(site, times)
    assert rebuilt.n_sites == net.n_sites and rebuilt.minutes_source[code] == "user"
    np.testing.assert_array_equal(rebuilt.area_site_minutes[:, -1], net.area_site_minutes[:, j])
    option = hubplan.Option(name="S3 and S1", hubs=("S1", code), pathway="direct")
    before = hubplan.evaluate(net, service, option).summary["time_to_hub"]
    after = hubplan.evaluate(rebuilt, service, option).summary["time_to_hub"]
    assert after == before


def test_restrict_keeps_the_accuracy_only_while_an_estimated_site_remains(cached):
    new = cached.add_sites(new_site_frame())
    east = new.restrict(region="East")
    assert "NEW1" in east.site_codes and east.travel_time_accuracy is not None
    assert new.drop_sites(["NEW1"]).travel_time_accuracy is None


def test_easting_northing_are_converted_with_pyproj(cached):
    from pyproj import Transformer

    lat, lon = LAT0 + 60 / KM_LAT, LON0 + 60 / KM_LON
    easting, northing = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)
    frame = pd.DataFrame({"site_code": ["BNG1"], "easting": [round(easting, 1)], "northing": [round(northing, 1)]})
    new = cached.add_sites(frame)
    assert new.sites.loc["BNG1", "latitude"] == pytest.approx(lat, abs=1e-5)
    assert new.sites.loc["BNG1", "longitude"] == pytest.approx(lon, abs=1e-5)
    assert new.sites.loc["BNG1", "site_name"] == "BNG1"


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"site_code": ["S1"]}, "new sites row 2, column 'site_code': 'S1' is already a site of this network"),
        ({"latitude": [95.0]}, "new sites row 2, column 'latitude': expected degrees between -90 and 90, got '95.0'"),
        ({"longitude": [""]}, "new sites row 2, column 'longitude': expected degrees between -180 and 180, got an empty cell"),
        ({"hub": ["maybe"]}, "new sites row 2, column 'hub': expected a capability flag (1/0, true/false, yes/no), got 'maybe'"),
        ({"icb": ["Wets"]}, "new sites row 2, column 'icb': 'Wets' is not an ICB of this network (did you mean West?); "
                            "leave it empty to take the ICB of the area the site lies in"),
        ({"country": ["Scotland"]}, "new sites row 2, column 'country': 'Scotland' is not a country of this network; "
                                    "leave it empty"),
        ({"easting": [400000]}, "new sites: give either 'latitude' and 'longitude' or 'easting' and 'northing', not both"),
        ({"latitude": [55.95], "longitude": [-3.19]}, "new sites row 2: location 55.95000, -3.19000 is outside the network's area"),
    ],
)
def test_bad_new_sites_are_named_by_row_and_column(cached, columns, message):
    with pytest.raises(InputError) as info:
        cached.add_sites(new_site_frame(**columns))
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_duplicate_codes_and_missing_locations(cached):
    two = pd.DataFrame({"site_code": ["N1", "N1"], "latitude": [52.2, 52.3], "longitude": [-0.5, -0.6]})
    with pytest.raises(InputError, match=r"new sites row 3, column 'site_code': duplicate code 'N1' \(first at row 2\)"):
        cached.add_sites(two)
    with pytest.raises(InputError, match="no location columns"):
        cached.add_sites(pd.DataFrame({"site_code": ["N1"]}))


def test_bad_measured_minutes_are_named(cached):
    frame = new_site_frame()
    bad_area = pd.DataFrame({"area_code": ["NOPE"], "site_code": ["NEW1"], "minutes": [10]})
    with pytest.raises(InputError, match="row 2, column 'area_code': 'NOPE' is not an area of this network"):
        cached.add_sites(frame, bad_area)
    bad_site = pd.DataFrame({"area_code": ["A1"], "site_code": ["S1"], "minutes": [10]})
    with pytest.raises(InputError, match="row 2, column 'site_code': expected one of the new sites"):
        cached.add_sites(frame, bad_site)
    bad_minutes = pd.DataFrame({"area_code": ["A1"], "site_code": ["NEW1"], "minutes": ["soon"]})
    with pytest.raises(InputError, match="row 2, column 'minutes': expected minutes between 0 and 10,000"):
        cached.add_sites(frame, bad_minutes)


def test_too_few_real_sites_to_estimate_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path))
    small = make_network([[10, 20], [20, 10]], area_latlon=[(52.0, -1.0), (52.1, -1.0)],
                         site_latlon=[(52.0, -1.0), (52.1, -1.0)])
    frame = pd.DataFrame({"site_code": ["N1"], "latitude": [52.05], "longitude": [-1.0]})
    with pytest.raises(InputError, match="at least 10 sites with real minutes; this network has 2"):
        small.add_sites(frame)
    # with measured minutes no estimate is needed
    times = pd.DataFrame({"area_code": ["A1", "A2"], "site_code": ["N1", "N1"], "minutes": [7, 8]})
    assert small.add_sites(frame, times).area_site_minutes[:, 2].tolist() == [7.0, 8.0]


def test_drop_sites_checks_codes(cached):
    with pytest.raises(InputError, match="unknown site to drop code 'NOPE'"):
        cached.drop_sites(["NOPE"])
    with pytest.raises(InputError, match="would drop every site"):
        cached.drop_sites(cached.site_codes)
    assert cached.drop_sites(["S1", "S2"]).n_sites == 18


@pytest.mark.slow
def test_bundled_sites_get_regions_from_the_lsoa_they_lie_in(bundled, monkeypatch):
    # Ludlow Community Hospital, Gravel Hill, Ludlow SY8 1QX (52.3703 N, 2.7166 W).
    frame = pd.DataFrame({"site_code": ["LUDLOW"], "site_name": ["Ludlow"], "latitude": [52.3703],
                          "longitude": [-2.7166], "mlu": [1]})
    new = bundled.add_sites(frame)
    site = new.sites.loc["LUDLOW"]
    assert site["icb"] == "NHS Shropshire, Telford and Wrekin Integrated Care Board"
    assert site["country"] == "England" and bool(site["mlu"]) and "mlu" in new.capabilities
    assert new.minutes_source["LUDLOW"] == "estimated"
    column = new.area_site_minutes[:, -1]
    nearest = new.areas.index[int(np.argmin(column))]
    assert new.areas.loc[nearest, "area_name"].startswith("Shropshire")


@pytest.mark.slow
def test_bng_conversion_matches_the_published_lsoa_centroids(bundled):
    """ONS publishes each LSOA centroid both as BNG_E/BNG_N and as LAT/LONG (LSOA.geojson)."""
    from hubplan.geography.bundled import data_dir
    from hubplan.geography.new_sites import _location

    with open(data_dir() / "LSOA.geojson", encoding="utf-8") as fh:
        features = json.load(fh)["features"][::3000]
    cells = pd.DataFrame({"easting": [str(f["properties"]["BNG_E"]) for f in features],
                          "northing": [str(f["properties"]["BNG_N"]) for f in features]})
    lat, lon, how = _location(cells, "centroids")
    assert how == "British National Grid"
    published_lat = np.array([f["properties"]["LAT"] for f in features])
    published_lon = np.array([f["properties"]["LONG"] for f in features])
    # the published degrees carry 4-5 decimals (about 10 m)
    assert np.max(np.abs(lat - published_lat)) < 2e-4
    assert np.max(np.abs(lon - published_lon)) < 2e-4
