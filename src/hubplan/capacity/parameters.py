"""Service parameters that capacity and workforce sizing need, and the flag that supplies each.

The lowest module of :mod:`hubplan.capacity`: beds, workforce and the capacity table
all import from here, never from each other upward.
"""

from __future__ import annotations

from typing import Any, Mapping

from hubplan.errors import InputError

__all__ = ["CLI_FLAGS", "require_parameter"]

#: The command-line flag that supplies each parameter, named in error messages.
CLI_FLAGS: Mapping[str, str] = {
    "length_of_stay_days": "--los",
    "occupancy_target": "--occupancy",
    "refusal_target": "--refusal",
    "workforce_available": "--workforce",
    "rota_minimum_consultants": "--rota-minimum",
    "operator_min_procedures_per_year": "--operator-minimum",
    "procedures_per_consultant": "--procedures-per-consultant",
    "procedures_per_session": "--procedures-per-session",
    "workforce_today": "--workforce-today",
    "trainees_per_year": "--trainees-per-year",
    "training_years": "--training-years",
    "attrition_per_year": "--attrition",
}


def require_parameter(value: Any, parameter: str, service_name: str | None = None) -> Any:
    """Return ``value``, or raise :class:`InputError` if it is ``None``.

    ``None`` means no source gave a value for this parameter (see ``presets.toml``),
    so the user must supply it; the message names the parameter and its flag.

    >>> require_parameter(3.0, "length_of_stay_days")
    3.0
    >>> require_parameter(None, "length_of_stay_days", "vascular_arterial")
    Traceback (most recent call last):
    ...
    hubplan.errors.InputError: service 'vascular_arterial': length_of_stay_days has no sourced value; supply it with --los
    """
    if value is None:
        who = f"service {service_name!r}: " if service_name else ""
        flag = CLI_FLAGS.get(parameter)
        how = f"supply it with {flag}" if flag else f"supply {parameter}="
        raise InputError(f"{who}{parameter} has no sourced value; {how}")
    return value
