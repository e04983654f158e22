"""An evaluation's capacity needs: beds, procedures, sessions and workforce per open site.

:func:`capacity_table` joins :mod:`hubplan.capacity.beds` (Erlang beds, procedures,
sessions) and :mod:`hubplan.capacity.workforce` (rotas, operators, the training
pipeline) for every open site of an :class:`~hubplan.access.evaluate.Evaluation`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hubplan.capacity import workforce as wf
from hubplan.capacity.beds import BED_TABLE_COLUMNS, bed_table, procedures_per_year, sessions_per_week
from hubplan.capacity.parameters import CLI_FLAGS, require_parameter
from hubplan.errors import InputError
from hubplan.jsonable import to_jsonable

__all__ = ["CapacityResult", "NetworkCapacity", "capacity_table"]


# ------------------------------------------------------------------ an evaluation's needs
@dataclass(frozen=True)
class NetworkCapacity:
    """Network totals of a :class:`CapacityResult` (the JSON ``network`` object).

    Attributes
    ----------
    hubs, spokes:
        Number of hubs and spokes of the option.
    patients_per_year:
        Admissions per year over all open sites.
    beds_at_target_occupancy, beds_for_refusal:
        Sums over open sites (each site is its own bed pool); ``None`` if beds were
        not sized.
    consultants_needed:
        Sum over hubs (``None`` when the rota minimum is unknown).
    consultants_available:
        Workforce available across the network (``None`` if not known).
    shortfall:
        ``max(0, needed - available)`` (``None`` if either is unknown).
    workforce_today:
        Operators in post today, the start of the training pipeline.
    year_need_met:
        Years from today until training brings ``workforce_today`` up to
        ``consultants_needed`` (0 = met today; ``None`` = not within the horizon or
        not computable; see ``notes``).
    """

    hubs: int
    spokes: int
    patients_per_year: float
    beds_at_target_occupancy: int | None
    beds_for_refusal: int | None
    consultants_needed: int | None
    consultants_available: float | None
    shortfall: float | None
    workforce_today: float | None
    year_need_met: int | None


@dataclass(frozen=True, eq=False)
class CapacityResult:
    """Beds, procedures, workforce and standards flags for every open site of an option.

    Attributes
    ----------
    option, service:
        Names of the option and the service.
    sites:
        One row per hub and spoke (closed sites are left out): ``SITE_COLUMNS`` plus
        the region columns of the evaluation. ``flags`` holds a list of standards
        flags (see :mod:`hubplan.capacity.workforce`); spokes carry no workforce and no flags.
    regions:
        Workforce by region (long table: region_type, region, hubs,
        consultants_needed, consultants_allocated, shortfall).
    network:
        :class:`NetworkCapacity` totals.
    pipeline:
        The :class:`~hubplan.capacity.workforce.TrainingPipeline` towards the consultants
        needed, or ``None`` when its inputs are unknown.
    parameters:
        Every parameter used, with its value and source (``user override`` for a
        value given on the command line or as an argument).
    notes:
        What could not be computed and how to supply it.
    """

    option: str
    service: str
    sites: pd.DataFrame
    regions: pd.DataFrame
    network: NetworkCapacity
    pipeline: Any
    parameters: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``hubplan capacity --format json`` object (issue 4 contract, plus extras).

        Plain Python values only: missing numbers and NaN become ``None``.
        """
        records = []
        for row in self.sites.to_dict(orient="records"):
            row["flags"] = [str(f) for f in row["flags"]]
            records.append(row)
        return to_jsonable(
            {
                "option": self.option,
                "service": self.service,
                "sites": records,
                "network": dict(vars(self.network)),
                "regions": self.regions.to_dict(orient="records"),
                "pipeline": (
                    None if self.pipeline is None else self.pipeline.table.to_dict(orient="records")
                ),
                "parameters": list(self.parameters),
                "notes": list(self.notes),
            }
        )


#: Service figures that describe the whole country's workforce, not one region's.
NATIONAL_WORKFORCE: tuple[str, ...] = ("workforce_available", "workforce_today", "trainees_per_year")

#: Columns of ``CapacityResult.sites`` (region columns follow).
SITE_COLUMNS: tuple[str, ...] = (
    "site_code",
    "site_name",
    "role",
    "patients_per_year",
    "hub_patients",
    "catchment_patients",
    "procedures_per_year",
    "sessions_per_week",
    "length_of_stay_days",
    "mean_occupied_beds",
    "peak_offered_load",
    "beds_at_target_occupancy",
    "refusal_probability_at_target_occupancy",
    "beds_for_refusal",
    "refusal_probability",
    "occupancy_at_refusal_beds",
    "consultants_needed",
    "consultants_allocated",
    "shortfall",
    "procedures_per_operator",
    "flags",
)


def capacity_table(
    evaluation: Any,
    service: Any,
    *,
    los_days: float | None = None,
    occupancy: float | None = None,
    refusal: float = 0.01,
    workforce: float | None = None,
    peaking_factor: float = 1.0,
    procedure_share: float = 1.0,
    procedures_per_session: float | None = None,
    procedures_per_consultant: float | None = None,
    attrition_per_year: float = 0.0,
    horizon_years: int = 30,
    require_workforce: bool = False,
    beds: bool = True,
) -> CapacityResult:
    """Beds, procedures, consultants and standards flags for an evaluated option.

    Inputs from the evaluation's per-site table (``evaluation.sites``): beds are
    sized on ``admissions`` (patients admitted at the site per year: first seen there
    plus transferred in); procedures are ``hub_patients * procedure_share`` (for
    thrombectomy ``hub_share`` already makes hub patients the eligible ones);
    the minimum-patients standard uses ``catchment_patients`` and the maximum uses
    ``admissions`` (a unit size; see ``above_max_patients`` in
    :mod:`hubplan.capacity.workforce`). Spokes get beds but no procedures, workforce or flags.

    Parameters
    ----------
    evaluation:
        A :class:`hubplan.access.evaluate.Evaluation`.
    service:
        The :class:`hubplan.services.service.Service` with the standards and defaults.
    los_days:
        Mean length of stay (days); default the service's (``--los`` if it has none).
    occupancy:
        Target occupancy; default the service's ``occupancy_target``.
    refusal:
        Largest acceptable probability that an arriving patient finds no bed (0.01;
        assumption).
    workforce:
        Workforce available across the network; default the service's
        ``workforce_available``.
    peaking_factor:
        Multiplies arrival rates for bed sizing (1 = none).
    procedure_share:
        Share of hub patients who have the procedure (1 by default).
    procedures_per_session:
        Procedures per session, for ``sessions_per_week`` (``None``: column empty).
    procedures_per_consultant:
        Yearly procedures one consultant carries (``None``: rota minimum only).
    attrition_per_year:
        Yearly leaving rate for the training pipeline (0 by default; assumption).
    horizon_years:
        Horizon of the training pipeline.
    require_workforce:
        Raise :class:`~hubplan.errors.InputError` instead of leaving workforce
        figures empty when the rota minimum is unknown.
    beds:
        Size beds (needs a length of stay). ``False`` leaves the bed columns empty,
        for workforce-only use when no length of stay is known.

    Examples
    --------
    >>> from hubplan.testing import tiny_network
    >>> from hubplan import Option, Service, evaluate
    >>> service = Service.preset("thrombectomy")
    >>> ev = evaluate(tiny_network(), service, Option(name="A", hubs=("H1",)))
    >>> result = capacity_table(ev, service)
    >>> result.sites[["site_code", "beds_at_target_occupancy", "consultants_needed"]].values.tolist()
    [['H1', 1, 5]]
    >>> result.network.consultants_needed, result.network.shortfall
    (5, 0.0)
    """

    name = getattr(service, "name", "")
    los_value = los_days if los_days is not None else service.length_of_stay_days
    if beds and los_value is None and getattr(service, "kind", None) == "community":
        # a unit without beds (a minor injuries unit): its staff are the kind's own measures
        why = getattr(service.sources.get("length_of_stay_days"), "note", "") or "no length of stay"
        raise InputError(f"service {name!r} has no beds ({why}), so beds and consultants are not sized for it; "
                         "its staff are among its own measures in `hubplan evaluate` (give --los if its "
                         "patients do stay)")
    los = require_parameter(los_value, "length_of_stay_days", name) if beds else los_value
    occ = float(occupancy if occupancy is not None else service.occupancy_target)
    table = evaluation.sites
    open_sites = table[table["role"] != "closed"]
    codes = [str(c) for c in open_sites.index]
    admissions = pd.Series(open_sites["admissions"].to_numpy(dtype=np.float64), index=codes)
    if beds:
        bed_frame = bed_table(
            admissions,
            float(los),
            occupancy_target=occ,
            refusal_target=refusal,
            peaking_factor=peaking_factor,
        )
    else:
        bed_frame = pd.DataFrame({col: np.nan for col in BED_TABLE_COLUMNS}, index=range(len(codes)))
        bed_frame["patients_per_year"] = admissions.to_numpy()
    # The site table is built column by column as numpy arrays and made a DataFrame once:
    # an uncertainty run calls this for every option of every draw, and assigning columns
    # one at a time to a DataFrame was most of its time (docs/uncertainty.md, "How fast").
    is_hub = open_sites["role"].to_numpy() == "hub"
    n = len(codes)
    hub_idx = np.flatnonzero(is_hub)
    hub_patients = open_sites["hub_patients"].to_numpy(dtype=np.float64)
    catchment = open_sites["catchment_patients"].to_numpy(dtype=np.float64)
    procedures = np.where(is_hub, procedures_per_year(hub_patients, procedure_share), 0.0)
    columns: dict[str, Any] = {
        "site_code": codes,
        "site_name": open_sites["site_name"].astype(str).to_numpy(),
        "role": open_sites["role"].astype(str).to_numpy(),
        "hub_patients": hub_patients,
        "catchment_patients": catchment,
        "procedures_per_year": procedures,
    }
    for col in bed_frame.columns:
        if col not in ("site_code", "peaking_factor", "occupancy_target", "refusal_target"):
            columns[col] = bed_frame[col].to_numpy()
    if procedures_per_session is not None:
        columns["sessions_per_week"] = np.where(
            is_hub, sessions_per_week(procedures, procedures_per_session), np.nan
        )
    else:
        columns["sessions_per_week"] = np.full(n, np.nan)

    notes: list[str] = []
    region = getattr(evaluation.network, "region_restriction", None)
    national: list[str] = []
    if region:
        national = [p for p in NATIONAL_WORKFORCE
                    if getattr(service, p) is not None
                    and getattr(service.sources.get(p), "key", "") != "user override"]
        if national:
            service = dataclasses.replace(service, **{p: None for p in national})
            notes.append(
                f"the service's {', '.join(national)} are national figures and are not applied to "
                f"one region ({region}): give " + ", ".join(CLI_FLAGS[p] for p in national)
                + " for this region"
            )
    rota = service.rota_minimum_consultants
    n_hubs = int(is_hub.sum())
    available = workforce if workforce is not None else service.workforce_available
    needed = np.zeros(n, dtype=np.int64)
    needed_missing = np.ones(n, dtype=bool)
    allocated = np.full(n, np.nan)
    site_shortfall = np.full(n, np.nan)
    per_operator = np.full(n, np.nan)
    consultants_total: int | None = None
    shortfall: float | None = None
    region_cols = [c for c in table.columns if c in ("country", "ambulance_service", "isdn", "icb", "sicbl")]
    regions = pd.DataFrame(
        columns=["region_type", "region", "hubs", "consultants_needed", "consultants_allocated", "shortfall"]
    )
    if rota is None:
        if require_workforce:
            require_parameter(rota, "rota_minimum_consultants", name)
        notes.append(
            f"service {name!r}: rota_minimum_consultants has no sourced value, so no workforce "
            f"figures; supply it with {CLI_FLAGS['rota_minimum_consultants']}"
        )
    else:
        hub_table = wf.hub_workforce_table(
            pd.Series(procedures[is_hub], index=[codes[i] for i in hub_idx]),
            rota_minimum_consultants=rota,
            procedures_per_consultant=procedures_per_consultant,
            operator_min_procedures_per_year=service.operator_min_procedures_per_year,
        )
        hub_rows = hub_table.assign(**{c: open_sites[c].to_numpy()[is_hub] for c in region_cols})
        net = wf.network_workforce(hub_rows, available, region_columns=region_cols)
        needed[hub_idx] = hub_table["consultants_needed"].to_numpy()
        needed_missing[hub_idx] = False
        per_operator[hub_idx] = hub_table["procedures_per_operator"].to_numpy()
        allocated[hub_idx] = net.sites["consultants_allocated"].to_numpy()
        site_shortfall[hub_idx] = net.sites["shortfall"].to_numpy()
        consultants_total = net.consultants_needed
        regions = net.regions
        if available is None and "workforce_available" not in national:  # else the note above says why
            notes.append(
                f"no workforce available is known for {name!r}: supply it with {CLI_FLAGS['workforce_available']}"
            )
        else:
            shortfall = net.shortfall
    columns["consultants_needed"] = pd.arrays.IntegerArray(needed, needed_missing)
    columns["consultants_allocated"] = allocated
    columns["shortfall"] = site_shortfall
    columns["procedures_per_operator"] = per_operator

    flags: list[list[str]] = [[] for _ in range(n)]
    admitted = columns["patients_per_year"]
    for i in hub_idx.tolist():
        flags[i] = wf.standards_flags(
            catchment_patients=float(catchment[i]),
            admissions_per_year=float(admitted[i]),
            procedures_per_year=float(procedures[i]),
            consultants_available=None if np.isnan(allocated[i]) else float(allocated[i]),
            procedures_per_operator=None if np.isnan(per_operator[i]) else float(per_operator[i]),
            min_patients_per_hub=service.min_patients_per_hub,
            max_patients_per_hub=service.max_patients_per_hub,
            min_procedures_per_hub=service.min_procedures_per_hub,
            rota_minimum_consultants=rota,
            operator_min_procedures_per_year=service.operator_min_procedures_per_year,
        )
    flag_column = np.empty(n, dtype=object)
    flag_column[:] = flags
    columns["flags"] = flag_column
    for col in region_cols:
        columns[col] = open_sites[col].to_numpy()
    sites = pd.DataFrame({col: columns[col] for col in (*SITE_COLUMNS, *region_cols)})

    pipeline = None
    year_need_met: int | None = None
    if consultants_total is not None:
        missing = [
            p
            for p in ("workforce_today", "trainees_per_year", "training_years")
            if getattr(service, p) is None
        ]
        if missing:
            today = service.workforce_today
            if today is not None and float(today) >= consultants_total:
                year_need_met = 0
            else:
                notes.append(
                    "no training pipeline: "
                    + ", ".join(f"{p} ({CLI_FLAGS[p]})" for p in missing)
                    + " not known"
                )
        else:
            pipeline = wf.training_pipeline(
                service.workforce_today,
                consultants_total,
                service.trainees_per_year,
                service.training_years,
                attrition_per_year=attrition_per_year,
                horizon_years=horizon_years,
            )
            year_need_met = pipeline.year_need_met
            if year_need_met is None:
                notes.append(
                    f"the workforce need of {consultants_total} is not met within {horizon_years} years"
                )

    sources = getattr(service, "sources", {})

    def source_of(param: str, override: Any = None) -> str:
        if override is not None:
            return "user override"
        src = sources.get(param)
        return src.key if src is not None else ""

    parameters = (
        {"parameter": "length_of_stay_days", "value": None if los is None else float(los), "source": source_of("length_of_stay_days", los_days)},
        {"parameter": "occupancy_target", "value": occ, "source": source_of("occupancy_target", occupancy)},
        {"parameter": "refusal_target", "value": float(refusal), "source": "assumption"},
        {"parameter": "peaking_factor", "value": float(peaking_factor), "source": "assumption"},
        {"parameter": "procedure_share", "value": float(procedure_share), "source": "assumption"},
        {"parameter": "procedures_per_consultant", "value": procedures_per_consultant, "source": "assumption"},
        {"parameter": "rota_minimum_consultants", "value": rota, "source": source_of("rota_minimum_consultants")},
        {"parameter": "operator_min_procedures_per_year", "value": service.operator_min_procedures_per_year, "source": source_of("operator_min_procedures_per_year")},
        {"parameter": "min_patients_per_hub", "value": service.min_patients_per_hub, "source": source_of("min_patients_per_hub")},
        {"parameter": "max_patients_per_hub", "value": service.max_patients_per_hub, "source": source_of("max_patients_per_hub")},
        {"parameter": "min_procedures_per_hub", "value": service.min_procedures_per_hub, "source": source_of("min_procedures_per_hub")},
        {"parameter": "workforce_available", "value": available, "source": source_of("workforce_available", workforce)},
        {"parameter": "workforce_today", "value": service.workforce_today, "source": source_of("workforce_today")},
        {"parameter": "trainees_per_year", "value": service.trainees_per_year, "source": source_of("trainees_per_year")},
        {"parameter": "training_years", "value": service.training_years, "source": source_of("training_years")},
        {"parameter": "attrition_per_year", "value": float(attrition_per_year), "source": "assumption"},
    )
    network = NetworkCapacity(
        hubs=n_hubs,
        spokes=int(len(sites) - n_hubs),
        patients_per_year=float(sites["patients_per_year"].sum()),
        beds_at_target_occupancy=int(sites["beds_at_target_occupancy"].sum()) if beds else None,
        beds_for_refusal=int(sites["beds_for_refusal"].sum()) if beds else None,
        consultants_needed=consultants_total,
        consultants_available=None if available is None else float(available),
        shortfall=shortfall,
        workforce_today=None if service.workforce_today is None else float(service.workforce_today),
        year_need_met=year_need_met,
    )
    return CapacityResult(
        option=str(evaluation.option.name),
        service=name,
        sites=sites.reset_index(drop=True),
        regions=regions.reset_index(drop=True),
        network=network,
        pipeline=pipeline,
        parameters=parameters,
        notes=tuple(notes),
    )
