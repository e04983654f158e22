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
