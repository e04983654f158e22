"""The seam for kinds of service (hubplan.kinds): parameters on a Service, their checks, discovery."""

from __future__ import annotations

import pytest

from hubplan import Option, Service, evaluate
from hubplan.errors import InputError
from hubplan.kinds import Kind, KindResult, Measure, Parameter, assess, kind, kind_names
from hubplan.testing import tiny_network


class _Toy(Kind):
    name = "toy"
    title = "toy"
    parameters = (
        Parameter("rate", "per year", "a rate", low=0.0, high=1.0),
        Parameter("staff", "people", "staff on duty", low=1, integer=True),
        Parameter("cost", "GBP", "optional cost", low=0.0, required=False),
    )

    def assess(self, evaluation, baseline=None):
        return KindResult(kind=self.name, option=evaluation.option.name,
                          measures=(Measure("x", "x", "", 1.0, "lower"),))


def _service(**parameters):
    return Service(name="toy_service", kind="toy", parameters=parameters)


def test_check_accepts_declared_values_and_optional_gaps():
    _Toy().check(_service(rate=0.5, staff=2))
    _Toy().check(_service(rate=0.0, staff=1, cost=10.0))


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"rate": 0.5, "staff": 2, "colour": 1}, "unknown parameter 'colour'; expected one of cost, rate, staff"),
        ({"staff": 2}, "parameter 'rate' has no value; give a number from 0 to 1 (per year)"),
        ({"rate": 1.5, "staff": 2}, "parameter 'rate' must be a number from 0 to 1 (per year), got 1.5"),
        ({"rate": 0.5, "staff": 2.5}, "parameter 'staff' must be a whole number >= 1 (people), got 2.5"),
        ({"rate": "high", "staff": 2}, "parameter 'rate' must be a number from 0 to 1"),
        ({"rate": True, "staff": 2}, "parameter 'rate' must be a number"),
        ({"rate": float("nan"), "staff": 2}, "parameter 'rate' must be a number"),
    ],
)
def test_check_refuses_in_one_line(parameters, message):
    with pytest.raises(InputError, match="service 'toy_service' \\(kind 'toy'\\): ") as info:
        _Toy().check(_service(**parameters))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_kinds_are_found_by_name():
    assert "emergency" in kind_names()
    assert kind("emergency").name == "emergency"
    with pytest.raises(InputError, match="unknown kind of service 'nope': expected one of .*emergency"):
        kind("nope")


def test_emergency_kind_adds_nothing_to_the_engine():
    ev = evaluate(tiny_network(), Service.preset("thrombectomy"), Option(name="A", hubs=("H1",)))
    result = assess(ev)
    assert (result.kind, result.option, result.measures, result.tables) == ("emergency", "A", (), ())
    assert result.to_json() == {"kind": "emergency", "option": "A", "measures": [], "tables": [], "notes": []}


def test_service_parameters_override_and_source_table():
    s = Service.preset("thrombectomy", parameters={"rate": 0.25})
    assert s.kind == "emergency" and s.parameter("rate") == 0.25
    assert s.sources["rate"].key == "user override"
    t = s.with_overrides(parameters={"rate": 0.5, "staff": 3})
    assert dict(t.parameters) == {"rate": 0.5, "staff": 3} and dict(s.parameters) == {"rate": 0.25}
    rows = {r["parameter"]: r for r in t.source_table()}
    assert rows["staff"]["value"] == 3 and rows["staff"]["source"] == "user override"
    with pytest.raises(InputError, match="has no parameter 'other'"):
        t.parameter("other")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("kind", "two words", "kind must be the name of a kind of service"),
        ("parameters", ["rate"], "parameters must be a table of the kind's parameters by name"),
        ("parameters", {"hub_share": 0.5}, "parameters must be names other than the service's own fields (got 'hub_share')"),
    ],
)
def test_service_refuses_bad_kind_fields(field, value, expected):
    with pytest.raises(InputError, match=expected.replace("(", "\\(").replace(")", "\\)")):
        Service(name="x", **{field: value})


class _Hubs(Kind):
    """A toy kind whose one measure is the number of hubs x 10 (lower is better)."""

    name = "toyhubs"
    title = "Toy kind: ten per hub"

    def assess(self, evaluation, baseline=None):
        import pandas as pd

        from hubplan.kinds import KindTable

        n = len(evaluation.option.hubs)
        frame = pd.DataFrame({"site_code": list(evaluation.option.hubs), "weight": [10.0] * n})
        return KindResult(kind=self.name, option=evaluation.option.name,
                          measures=(Measure("tens", "ten per hub", "points", 10.0 * n, "lower", "assumed: ten each"),
                                    Measure("shown", "shown only", "", 1.0, None)),
                          tables=(KindTable("per_hub", "Per hub", frame, ("toy",)),), notes=("toy note",))


@pytest.fixture
def toy_kind(monkeypatch):
    from hubplan import kinds as kinds_module

    kinds_module._discover()
    monkeypatch.setitem(kinds_module._REGISTRY, "toyhubs", _Hubs())
    yield


def test_appraisal_scores_a_kinds_measures_and_the_report_shows_them(toy_kind):
    from hubplan.planning.appraise import Criterion, appraise
    from hubplan.report.content import build_content

    net = tiny_network()
    service = Service.preset("thrombectomy").with_overrides(kind="toyhubs")
    one, two = Option(name="one", hubs=("H1",)), Option(name="two", hubs=("H1", "H2"))
    a = appraise(net, service, [one, two], criteria=[Criterion("toyhubs.tens", 1.0)], draws=10)
    # 10 vs 20 points, lower better: 'one' scores 1, 'two' 0
    assert a.values.loc["one", "toyhubs.tens"] == 10.0 and a.values.loc["two", "toyhubs.tens"] == 20.0
    assert a.scores.criteria[0].direction == "min"
    assert list(a.scores.ranking) == ["one", "two"]
    assert a.to_json()["options"][1]["kind"]["measures"][0]["value"] == 20.0
    content = build_content(a)
    assert content.kind_heading == "Toy kind: ten per hub"
    assert content.kind_measures.rows[0] == ["ten per hub", "points", "10", "20"]
    assert "ten per hub: assumed: ten each" in content.kind_measures.notes
    assert [t for t, _ in content.kind_sections[1].tables] == ["Per hub"]
    assert content.kind_sections[1].tables[0][1].rows == [["H1", "10"], ["H2", "10"]]


def test_default_criteria_add_the_kinds_scored_measures(toy_kind):
    from hubplan.planning.appraise import appraise

    service = Service.preset("thrombectomy").with_overrides(kind="toyhubs")
    a = appraise(tiny_network(), service, [Option(name="one", hubs=("H1",)), Option(name="two", hubs=("H1", "H2"))],
                 draws=10)
    names = [c.name for c in a.scores.criteria]
    assert "toyhubs.tens" in names and "toyhubs.shown" not in names
    assert "toyhubs.shown" in a.values.columns  # shown, not scored


def test_a_kind_measure_shown_only_needs_a_direction_to_be_scored(toy_kind):
    from hubplan.planning.appraise import Criterion, appraise

    service = Service.preset("thrombectomy").with_overrides(kind="toyhubs")
    opts = [Option(name="one", hubs=("H1",)), Option(name="two", hubs=("H1", "H2"))]
    with pytest.raises(InputError, match="'toyhubs.shown' is shown, not scored, by its kind: give its direction"):
        appraise(tiny_network(), service, opts, criteria=[Criterion("toyhubs.shown", 1.0)], draws=10)
    with pytest.raises(InputError, match="the toyhubs kind reported no measure 'nothing'"):
        appraise(tiny_network(), service, opts, criteria=[Criterion("toyhubs.nothing", 1.0)], draws=10)
    with pytest.raises(InputError, match="unknown kind of service 'nokind'"):
        Criterion("nokind.x", 1.0)
