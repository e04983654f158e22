"""The planner page's state: what the browser keeps, and how it becomes a :class:`Plan`.

The page keeps one small JSON object, the *page plan*::

    {"service": "thrombectomy", "area": "country:England", "hubs": [...], "spokes": [...],
     "pathway": "treat_and_transfer", "bypass_minutes": 0, "transfer_delay_minutes": 60}

``area`` is ``"all"`` (England and Wales), ``"country:NAME"`` or ``"TYPE:NAME"`` of a
region. Roles are explicit site lists, so a click changes one list and nothing else.
"""

from __future__ import annotations

from typing import Any

from hubplan.errors import InputError
from hubplan.geography.network import Network
from hubplan.services import Service
from hubplan.web.plans import OptimiseRequest, Plan, bundled_network, get_network

ALL_AREAS = "all"
REGION_TYPE_LABELS = {
    "country": "Country",
    "isdn": "ISDN",
    "icb": "ICB / health board",
    "ambulance_service": "Ambulance service",
    "sicbl": "Sub-ICB location",
}
ROLES = ("hub", "spoke", "closed")


def area_options() -> list[dict[str, str]]:
    """Choices of the region picker: all, each country, then each region by type."""
    network = bundled_network()
    table = network.regions()
    options = [{"label": "England and Wales (all)", "value": ALL_AREAS}]
    for rtype in ("country", "isdn", "icb", "ambulance_service", "sicbl"):
        names = sorted(table.loc[table["region_type"] == rtype, "region"].astype(str))
        for name in names:
            if name in ("", "(none)"):
                continue
            label = name if rtype == "country" else f"{REGION_TYPE_LABELS[rtype]}: {name}"
            options.append({"label": label, "value": f"{rtype}:{name}"})
    return options


def area_location(area: str | None) -> tuple[str | None, str | None]:
    """``(country, region)`` of an area key (for :func:`get_network` and plans)."""
    if not area or area == ALL_AREAS:
        return None, None
    rtype, _, name = area.partition(":")
    if rtype == "country":
        return name, None
    return None, area


def area_key(country: str | None, region: str | None) -> str:
    """The area key of a plan's ``country`` and ``region`` (regions matched as the CLI does)."""
    if region:
        rtype, name = bundled_network().find_region(region)
        return f"{rtype}:{name}"
    if country:
        rtype, name = bundled_network().find_region(f"country:{country}")
        return f"country:{name}"
    return ALL_AREAS


def area_label(area: str) -> str:
    if area == ALL_AREAS:
        return "England and Wales"
    rtype, _, name = area.partition(":")
    return name if rtype == "country" else f"{REGION_TYPE_LABELS.get(rtype, rtype)}: {name}"


def page_network(page: dict[str, Any]) -> Network:
    country, region = area_location(page.get("area"))
    return get_network(country, region)


def today_plan(service_name: str, area: str) -> dict[str, Any]:
    """Today's hubs and spokes for a service (none for a service without a capability)."""
    service = Service.preset(service_name)
    country, region = area_location(area)
    network = get_network(country, region)
    hubs: list[str] = []
    spokes: list[str] = []
    if service.hub_capability and service.hub_capability in network.capabilities:
        hubs = network.sites_with(service.hub_capability)
    if service.pathway == "treat_and_transfer" and service.spoke_capability in network.capabilities:
        spokes = [c for c in network.sites_with(str(service.spoke_capability)) if c not in set(hubs)]
    return {
        "service": service.name, "area": area, "hubs": hubs, "spokes": spokes,
        "pathway": service.pathway, "bypass_minutes": float(service.bypass_minutes),
        "transfer_delay_minutes": float(service.transfer_delay_minutes), "name": None, "demand": None,
    }


def to_plan(page: dict[str, Any], name: str | None = None) -> Plan:
    """The :class:`Plan` of a page plan. On the direct pathway spokes are left out."""
    country, region = area_location(page.get("area"))
    pathway = page.get("pathway") or "direct"
    spokes = tuple(page.get("spokes") or ()) if pathway == "treat_and_transfer" else None
    demand = page.get("demand")
    return Plan(
        service=page.get("service") or "thrombectomy", service_parameters={"demand": demand} if demand else {},
        country=country, region=region,
        hubs=tuple(page.get("hubs") or ()), spokes=spokes, pathway=pathway,
        bypass_minutes=_number(page.get("bypass_minutes")),
        transfer_delay_minutes=_number(page.get("transfer_delay_minutes")),
        name=name or page.get("name") or None,
    )


def keep_codes(page: dict[str, Any], today: bool, picked: Any = ()) -> list[str]:
    """The sites an optimisation must keep as hubs: today's hubs of the page's service and
    region when ``today`` is true, then the ``picked`` site codes (each once, in order).
    Codes not in the page's network (a region changed since they were picked) are left out."""
    codes = list(today_plan(page["service"], page["area"])["hubs"]) if today else []
    if today and not codes:
        raise InputError("keep today's hubs: this service has no hubs today in this region; untick it or pick "
                         "the sites to keep")
    known = set(page_network(page).site_codes)
    codes += [str(c) for c in (picked or ()) if str(c) in known]
    return list(dict.fromkeys(codes))


def optimise_request(page: dict[str, Any], k: Any, method: Any = "heuristic", limit: Any = 30,
                     keep: list[str] | tuple[str, ...] = ()) -> OptimiseRequest:
    """What the page's "Optimise k hubs" asks: the best ``k`` hubs for the page's service,
    region, demand and pathway, keeping the ``keep`` sites as hubs.

    On treat and transfer with spokes open, only the page's open sites (hubs and spokes,
    and the kept sites) may become hubs and the others stay spokes, as ``hubplan optimise
    --pathway treat_and_transfer --spokes SITES --candidates SITES --keep KEEP``; otherwise
    any site of the region may (``--pathway direct``).
    """
    if k is None or k == "" or isinstance(k, bool):
        raise InputError("Hubs (k): give the number of hubs to choose")
    try:
        hubs_wanted = int(k)
    except (TypeError, ValueError):
        raise InputError(f"Hubs (k): expected a whole number of hubs, got {k!r}") from None
    if hubs_wanted < 1:
        raise InputError("Hubs (k): give the number of hubs to choose (at least 1)")
    keep = list(dict.fromkeys(keep))
    if len(keep) > hubs_wanted:
        raise InputError(f"Hubs (k): {len(keep)} sites are kept as hubs, so k must be at least {len(keep)}")
    plan = to_plan(page)
    open_sites = list(dict.fromkeys([*(page.get("hubs") or ()), *(page.get("spokes") or ()), *keep]))
    tt = page.get("pathway") == "treat_and_transfer" and bool(page.get("spokes"))
    try:
        seconds = float(min(max(float(limit or 30), 1.0), 120.0))
    except (TypeError, ValueError):
        raise InputError(f"Limit (s): expected a number of seconds, got {limit!r}") from None
    return OptimiseRequest(
        plan=Plan(**{**plan.__dict__, "hubs": None, "name": None, "spokes": tuple(open_sites) if tt else (),
                     "pathway": "treat_and_transfer" if tt else "direct"}),
        k=hubs_wanted, method=str(method or "heuristic"), time_limit_seconds=seconds,
        candidates=tuple(open_sites) if tt else None, keep=tuple(keep) or None,
    )


def from_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """A page plan from saved parameters (a plan as the API takes it)."""
    service = Service.preset(str(parameters.get("service") or "thrombectomy"))
    area = area_key(parameters.get("country"), parameters.get("region"))
    network = page_network({"area": area})
    default = today_plan(service.name, area)

    def codes(value: Any, what: str, hubs: list[str]) -> list[str]:
        from hubplan.web.plans import site_codes

        if value is None:
            return list(default["hubs" if what == "hubs" else "spokes"])
        return site_codes(network, tuple(value) if isinstance(value, list) else value, what, hubs)

    pathway = str(parameters.get("pathway") or service.pathway)
    hubs = codes(parameters.get("hubs"), "hubs", [])
    spokes = codes(parameters.get("spokes"), "spokes", hubs) if pathway == "treat_and_transfer" else []
    spokes = [c for c in spokes if c not in set(hubs)]
    return {
        "service": service.name, "area": area, "hubs": hubs, "spokes": spokes, "pathway": pathway,
        "bypass_minutes": _or_default(parameters.get("bypass_minutes"), service.bypass_minutes),
        "transfer_delay_minutes": _or_default(parameters.get("transfer_delay_minutes"),
                                              service.transfer_delay_minutes),
        "name": parameters.get("name"),
        "demand": (parameters.get("service_parameters") or {}).get("demand") or None,
    }


def roles_of(network: Network, page: dict[str, Any]) -> list[str]:
    """``hub``/``spoke``/``closed`` for every site of the network, in order."""
    hubs, spokes = set(page.get("hubs") or ()), set(page.get("spokes") or ())
    show_spokes = page.get("pathway") == "treat_and_transfer"
    return ["hub" if c in hubs else "spoke" if (show_spokes and c in spokes) else "closed"
            for c in network.site_codes]


def next_role(role: str, pathway: str) -> str:
    """The role a click gives: closed -> hub -> spoke -> closed (direct: hub <-> closed)."""
    if pathway != "treat_and_transfer":
        return "closed" if role == "hub" else "hub"
    return {"closed": "hub", "hub": "spoke", "spoke": "closed"}[role]


def with_role(page: dict[str, Any], code: str, role: str) -> dict[str, Any]:
    """A copy of the page plan with one site given a role."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: expected hub, spoke or closed")
    hubs = [c for c in page.get("hubs") or () if c != code]
    spokes = [c for c in page.get("spokes") or () if c != code]
    if role == "hub":
        hubs.append(code)
    elif role == "spoke":
        spokes.append(code)
    return {**page, "hubs": hubs, "spokes": spokes, "name": None}


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def _or_default(value: Any, default: float) -> float:
    number = _number(value)
    return float(default) if number is None else number
