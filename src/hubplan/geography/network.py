"""The network: areas, sites, travel minutes between them and the regions they belong to.

A :class:`Network` is immutable. Inside it keeps numpy arrays (float32 minutes, with
``inf`` where no road time is known); outside it shows pandas tables indexed by code.
Codes (LSOA codes, postcodes, ODS codes) are strings, never row positions.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from hubplan.errors import InputError

if TYPE_CHECKING:
    from hubplan.geography.traveltimes import EstimateAccuracy

#: Region columns an area or site may carry, most general first.
REGION_TYPES: tuple[str, ...] = ("country", "ambulance_service", "isdn", "icb", "sicbl")
#: How each region type is named in words (singular, plural).
REGION_WORDS: dict[str, tuple[str, str]] = {
    "icb": ("ICB", "ICBs"), "isdn": ("ISDN", "ISDNs"), "sicbl": ("sub-ICB location", "sub-ICB locations"),
    "ambulance_service": ("ambulance service", "ambulance services"), "country": ("country", "countries")}


def region_words(region_type: str | None) -> tuple[str, str]:
    """A region type in words, singular and plural (``isdn`` -> ``ISDN``, ``ISDNs``;
    ``region``, ``regions`` when there is none)."""
    return REGION_WORDS.get(region_type or "", ("region", "regions"))

#: Where a site's minutes come from (the ``minutes_source`` column of ``Network.sites``):
#: the bundled road-time matrix, estimated from it by location, or the user's own.
MINUTES_SOURCES: tuple[str, ...] = ("road_matrix", "estimated", "user")

#: Capability columns of the bundled stroke data, and the names users may type for them.
CAPABILITY_ALIASES: dict[str, str] = {
    "thrombectomy": "thrombectomy",
    "mt": "thrombectomy",
    "ivt": "ivt",
    "thrombolysis": "ivt",
    "hyperacute_stroke": "ivt",
    "hasu": "ivt",
    "msu": "msu",
}


def _suggest(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean ...?)"``: the names that hold ``word`` whole (``Shropshire``: the ICB
    "NHS Shropshire, Telford and Wrekin Integrated Care Board"), or else close spellings; at most 3."""
    unique = list(dict.fromkeys(choices))
    key = word.strip().lower()
    holding = [c for c in unique if key and re.search(rf"(?<!\w){re.escape(key)}(?!\w)", c.lower())]
    holding.sort(key=len)
    shown = holding[:3] or difflib.get_close_matches(word, unique, n=3, cutoff=0.6)
    return f" (did you mean {', '.join(shown)}?)" if shown else ""


@dataclass(frozen=True, eq=False)
class Network:
    """Areas, sites and the minutes between them.

    Parameters
    ----------
    areas:
        One row per area, indexed by ``area_code``; columns ``area_name``, ``latitude``,
        ``longitude``, region columns (see :data:`REGION_TYPES`), demand columns
        (patients per year, e.g. ``stroke_admissions``; listed in
        ``areas.attrs["demand_columns"]``) and attribute columns that are not demand (e.g.
        ``imd_decile`` in the bundled network; ``areas.attrs["column_sources"]`` may say
        where each column comes from).
    sites:
        One row per site, indexed by ``site_code``; columns ``site_name``, ``latitude``,
        ``longitude``, region columns and one boolean column per capability.
    area_site_minutes:
        ``(n_areas, n_sites)`` float32 road minutes; ``inf`` = no known road time.
    site_site_minutes:
        ``(n_sites, n_sites)`` float32 road minutes between sites, or ``None`` if the
        network has none (then treat-and-transfer cannot be evaluated).
    capabilities:
        Names of the boolean capability columns of ``sites``.
    source:
        Where the data came from (shown in reports and ``hubplan --version``).
    notes:
        What loading found and reported (units without travel times, missing cells...).
    region_restriction:
        ``"TYPE NAME"`` when the network was restricted to one region (not a whole
        country): national figures such as today's workforce do not apply to it.
    travel_time_accuracy:
        The cross-validated error of estimated minutes
        (:class:`hubplan.geography.traveltimes.EstimateAccuracy`) when some sites' minutes are
        estimated (``sites["minutes_source"] == "estimated"``), else ``None``.
    """

    areas: pd.DataFrame
    sites: pd.DataFrame
    area_site_minutes: np.ndarray
    site_site_minutes: np.ndarray | None
    capabilities: tuple[str, ...] = ()
    source: str = ""
    notes: tuple[str, ...] = ()
    region_restriction: str | None = None
    travel_time_accuracy: "EstimateAccuracy | None" = None
    _site_pos: dict[str, int] = field(default_factory=dict, repr=False)
    #: Sites that :meth:`restrict` left out, with where they lie (for a clear error).
    _outside: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n_areas, n_sites = len(self.areas), len(self.sites)
        if self.area_site_minutes.shape != (n_areas, n_sites):
            raise ValueError(
                f"area_site_minutes has shape {self.area_site_minutes.shape}, "
                f"expected ({n_areas}, {n_sites})"
            )
        if self.site_site_minutes is not None and self.site_site_minutes.shape != (n_sites, n_sites):
            raise ValueError("site_site_minutes must be (n_sites, n_sites)")
        self.area_site_minutes.setflags(write=False)
        if self.site_site_minutes is not None:
            self.site_site_minutes.setflags(write=False)
        self._site_pos.update({code: i for i, code in enumerate(self.sites.index)})

    # ------------------------------------------------------------------ basics
    @cached_property
    def minutes_by_site(self) -> np.ndarray:
        """Site-major copy ``(n_sites, n_areas)`` of ``area_site_minutes``, made on first use.

        Picking the rows of a few sites is contiguous, which makes nearest-site searches
        several times faster than working across columns.
        """
        copy = np.ascontiguousarray(self.area_site_minutes.T)
        copy.setflags(write=False)
        return copy

    @property
    def n_areas(self) -> int:
        return len(self.areas)

    @property
    def n_sites(self) -> int:
        return len(self.sites)

    @property
    def site_codes(self) -> list[str]:
        return list(self._site_code_tuple)

    @property
    def area_codes(self) -> list[str]:
        return list(self._area_code_tuple)

    @cached_property
    def _site_code_tuple(self) -> tuple[str, ...]:
        # read once: iterating the index (Arrow strings) each time cost 0.2 ms per call
        return tuple(self.sites.index)

    @cached_property
    def _area_code_tuple(self) -> tuple[str, ...]:
        return tuple(self.areas.index)

    @property
    def region_types(self) -> tuple[str, ...]:
        """Region columns present on the areas."""
        return tuple(r for r in REGION_TYPES if r in self.areas.columns)

    @property
    def default_region_type(self) -> str:
        """The region type of per-region tables when none is asked for: ``icb`` if the areas
        have it, else the finest they have (``icb`` again when they have none: every area is
        then in the region ``(none)``)."""
        types = self.region_types
        return "icb" if "icb" in types or not types else types[-1]

    def check_region_type(self, region_type: str, what: str = "region type") -> None:
        """Raise :class:`InputError` unless per-region tables can be made by ``region_type``:
        one of the areas' region columns, or any region type when they have none."""
        if region_type in self.region_types or (not self.region_types and region_type in REGION_TYPES):
            return
        raise InputError(f"unknown {what} {region_type!r}: expected one of "
                         f"{', '.join(self.region_types or REGION_TYPES)}")

    @cached_property
    def minutes_source(self) -> pd.Series:
        """Where each site's minutes come from: ``road_matrix``, ``estimated`` or ``user``
        (read once: a network's sites do not change)."""
        if "minutes_source" in self.sites.columns:
            return self.sites["minutes_source"].astype(str)
        return pd.Series("user", index=self.sites.index, name="minutes_source")

    @property
    def estimated_sites(self) -> list[str]:
        """Codes of the sites whose minutes are estimated from their location."""
        return list(self.sites.index[(self.minutes_source == "estimated").to_numpy()])

    @property
    def demand_columns(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.areas.attrs.get("demand_columns", ()))

    def __repr__(self) -> str:
        return f"Network({self.n_areas} areas, {self.n_sites} sites, source={self.source!r})"

    # ------------------------------------------------------------------ lookups
    def site_positions(self, codes: Sequence[str], what: str = "site") -> np.ndarray:
        """Row positions of site codes; unknown codes raise :class:`InputError`."""
        positions = []
        for code in codes:
            key = str(code).strip().replace(" ", "").upper() if code not in self._site_pos else code
            if key not in self._site_pos:
                where = self._outside.get(key)
                if where is not None:
                    raise InputError(
                        f"{what} {code!r} is not in this network ({self.n_sites} sites): {where}; "
                        "choose a region that holds it, or give no region"
                    )
                raise InputError(
                    f"unknown {what} code {code!r}: not a site of this network "
                    f"({self.n_sites} sites; list them with `hubplan sites`)"
                    + _suggest(str(code), self._site_pos)
                )
            positions.append(self._site_pos[key])
        return np.asarray(positions, dtype=np.intp)

    def resolve_capability(self, name: str) -> str:
        """The capability column for a name such as ``thrombectomy`` or ``ivt``."""
        key = CAPABILITY_ALIASES.get(name.strip().lower(), name.strip().lower())
        if key not in self.capabilities:
            raise InputError(
                f"unknown capability {name!r}: this network has "
                f"{', '.join(self.capabilities) or 'no capabilities'}"
            )
        return key

    def has_capability(self, name: str) -> bool:
        """Whether ``name`` (or an alias such as ``mt``) is a capability of this network."""
        key = CAPABILITY_ALIASES.get(name.strip().lower(), name.strip().lower())
        return key in self.capabilities

    def sites_with(self, capability: str) -> list[str]:
        """Codes of the sites that have a capability today (e.g. ``thrombectomy``)."""
        column = self.resolve_capability(capability)
        return list(self.sites.index[self.sites[column].to_numpy(dtype=bool)])

    def demand(self, column: str = "stroke_admissions", scale: float = 1.0) -> np.ndarray:
        """Patients per year per area (float64) from a demand column, times ``scale``.

        The column must be one of :attr:`demand_columns` when the network lists them (an
        attribute column such as ``imd_decile`` is not demand), and known in every area: an
        empty value (``NaN``, e.g. population in Wales in the bundled data) is unknown, not
        zero, and raises :class:`InputError`.
        """
        listed = self.demand_columns
        if column not in self.areas.columns or (listed and column not in listed):
            what = "an area attribute, not a demand column" if column in self.areas.columns else "not a column"
            raise InputError(
                f"demand column {column!r} is {what} of this network: expected one of "
                f"{', '.join(listed) or '(none)'}"
            )
        values = self.areas[column].to_numpy(dtype=np.float64, na_value=np.nan)
        unknown = np.flatnonzero(np.isnan(values))
        if len(unknown):
            code = self.areas.index[unknown[0]]
            countries = set(self.areas["country"].iloc[unknown]) if "country" in self.areas.columns else set()
            where = f" in {self.areas['country'].iloc[unknown[0]]}" if countries else ""
            hint = ""
            if countries == {"Wales"}:
                hint = ' (England: --country England, or country = "England" under [network] in a scenario)'
            raise InputError(
                f"demand column {column!r} is unknown (empty) for {len(unknown):,} of {self.n_areas:,} "
                f"areas, e.g. {code}{where}: restrict the network to where it is known{hint} or give "
                "your own demand"
            )
        return values * float(scale)

    def find_region(self, region: str) -> tuple[str, str]:
        """``(region_type, region_name)`` for a name, case-insensitive.

        ``region`` may be ``"TYPE:NAME"`` (e.g. ``"isdn:Wessex"``) or a bare name that
        belongs to exactly one region type; an ICB may be given without its "NHS" prefix
        and "Integrated Care Board" suffix.
        """
        wanted_type = None
        name = region.strip()
        if ":" in name and name.split(":", 1)[0].strip().lower() in REGION_TYPES:
            wanted_type, name = (s.strip() for s in name.split(":", 1))
            wanted_type = wanted_type.lower()
            if wanted_type not in self.region_types:
                raise InputError(
                    f"{wanted_type} {name!r}: this network has no '{wanted_type}' column "
                    f"(its region columns: {', '.join(self.region_types) or 'none'})"
                )
        matches: list[tuple[str, str]] = []
        for rtype in (wanted_type,) if wanted_type else self.region_types:
            values = pd.unique(self.areas[rtype].dropna().astype(str))
            for value in values:
                if _same_region(value, name):
                    matches.append((rtype, value))
        if not matches and wanted_type is not None:  # TYPE:NAME, or --country
            names = sorted(pd.unique(self.areas[wanted_type].dropna().astype(str)))
            listed = (f"expected one of {', '.join(names)}" if len(names) <= 12 else
                      f"see `hubplan regions --type {wanted_type}`")
            raise InputError(f"unknown {region_words(wanted_type)[0]} {name!r}: {listed}" + _suggest(name, names))
        if not matches and ":" in name and wanted_type is None:
            prefix = name.split(":", 1)[0].strip()
            raise InputError(f"region {region!r}: {prefix!r} is not a region type: write TYPE:NAME with TYPE one of "
                             f"{', '.join(self.region_types)} (e.g. isdn:Wessex), or the name alone")
        if not matches:
            every = [v for r in self.region_types for v in pd.unique(self.areas[r].dropna().astype(str))]
            raise InputError(
                f"unknown region {region!r}: not a country, ambulance service, ISDN, ICB or "
                f"SICBL of this network (see `hubplan regions`)" + _suggest(name, every)
            )
        if len({m[0] for m in matches}) > 1 or len(matches) > 1:
            listed = "; ".join(f"{t}:{v}" for t, v in matches)
            raise InputError(f"region {region!r} is ambiguous: say which of {listed}")
        return matches[0]

    def regions(self) -> pd.DataFrame:
        """Every region with its type and the number of areas and sites in it."""
        rows = []
        for rtype in self.region_types:
            area_counts = self.areas[rtype].value_counts()
            site_counts = self.sites[rtype].value_counts() if rtype in self.sites else pd.Series(dtype=int)
            for name, n in area_counts.items():
                rows.append(
                    {"region_type": rtype, "region": name, "areas": int(n),
                     "sites": int(site_counts.get(name, 0))}
                )
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ new and closed sites
    def add_sites(self, frame: pd.DataFrame, minutes: pd.DataFrame | None = None, *,
                  progress: "Callable[[str], None] | None" = None) -> "Network":
        """The network with new sites given by location (see :mod:`hubplan.geography.new_sites`).

        ``frame`` has ``site_code``, optional ``site_name``, ``latitude`` and ``longitude``
        (degrees) or ``easting`` and ``northing`` (British National Grid metres), optional
        region columns and capability columns (1/0). Their minutes are the user's own
        (``minutes``: long ``area_code, site_code, minutes``) where given, else estimated
        from this network's real road times; :attr:`travel_time_accuracy` then says how
        accurate the estimates are. Add sites before restricting to a region: the
        estimator learns from every site with real minutes.
        """
        from hubplan.geography.new_sites import add_sites

        return add_sites(self, frame, minutes, progress=progress)

    def drop_sites(self, codes: Sequence[str]) -> "Network":
        """The network without these sites (a site that closes)."""
        from hubplan.geography.new_sites import drop_sites

        return drop_sites(self, codes)

    # ------------------------------------------------------------------ sub-networks
    def _check_site_regions(self, rtype: str, name: str) -> None:
        """Sites can only be restricted to a region by a region column of their own."""
        if rtype not in self.sites.columns:
            have = _site_region_types(self.sites)
            raise InputError(
                f"{rtype} {name!r}: the sites of this network have no '{rtype}' column "
                f"(their region columns: {', '.join(have) or 'none'}), so they cannot be restricted to it"
            )

    def restrict(
        self,
        country: str | None = None,
        region: str | None = None,
        sites: Sequence[str] | None = None,
    ) -> "Network":
        """The sub-network of one country and/or one region.

        Areas and sites are kept when they lie in the country and in the region (each by
        its own region columns). ``sites`` keeps only those site codes as well.
        An empty result raises :class:`InputError`.
        """
        area_keep = np.ones(self.n_areas, dtype=bool)
        site_keep = np.ones(self.n_sites, dtype=bool)
        label = []
        region_label = self.region_restriction
        outside = dict(self._outside)

        def keep_in(rtype: str, name: str) -> None:
            """Keep the areas and sites of one region; say where each site left out lies."""
            nonlocal area_keep, site_keep
            self._check_site_regions(rtype, name)
            area_keep &= (self.areas[rtype] == name).to_numpy()
            values = self.sites[rtype]
            inside = (values == name).fillna(False).to_numpy(dtype=bool)
            site_keep &= inside
            word = REGION_WORDS[rtype][0]
            for code, value in values[~inside].items():
                lies = f"in {word} {value}" if pd.notna(value) else f"in no {word}"
                outside.setdefault(code, f"it lies {lies}, outside {word} {name}")

        if country is not None:
            rtype, name = self.find_region(f"country:{country}")
            keep_in(rtype, name)
            label.append(name)
        if region is not None:
            rtype, name = self.find_region(region)
            keep_in(rtype, name)
            label.append(f"{rtype} {name}")
            region_label = f"{rtype} {name}"
        if sites is not None:
            chosen = np.zeros(self.n_sites, dtype=bool)
            chosen[self.site_positions(sites)] = True
            site_keep &= chosen
        if not area_keep.any():
            raise InputError(f"no areas left after restricting to {', '.join(label) or 'these sites'}")
        if not site_keep.any():
            raise InputError(f"no sites left after restricting to {', '.join(label) or 'these sites'}")
        a_idx = np.flatnonzero(area_keep)
        s_idx = np.flatnonzero(site_keep)
        areas = self.areas.iloc[a_idx].copy()
        areas.attrs = dict(self.areas.attrs)
        sites_df = self.sites.iloc[s_idx].copy()
        sites_df.attrs = dict(self.sites.attrs)
        minutes = np.ascontiguousarray(self.area_site_minutes[np.ix_(a_idx, s_idx)])
        site_minutes = (
            None
            if self.site_site_minutes is None
            else np.ascontiguousarray(self.site_site_minutes[np.ix_(s_idx, s_idx)])
        )
        suffix = f" restricted to {', '.join(label)}" if label else " (selected sites)"
        kept = set(sites_df.index)
        return Network(
            areas=areas,
            sites=sites_df,
            area_site_minutes=minutes,
            site_site_minutes=site_minutes,
            capabilities=self.capabilities,
            source=self.source + suffix,
            notes=self.notes,
            region_restriction=region_label,
            travel_time_accuracy=(
                self.travel_time_accuracy
                if "minutes_source" in sites_df and (sites_df["minutes_source"] == "estimated").any() else None
            ),
            _outside={code: where for code, where in outside.items() if code not in kept},
        )


def _site_region_types(sites: pd.DataFrame) -> tuple[str, ...]:
    return tuple(r for r in REGION_TYPES if r in sites.columns)


def _same_region(value: str, wanted: str) -> bool:
    a, b = _norm_region(value), _norm_region(wanted)
    return a == b


def _norm_region(text: str) -> str:
    t = " ".join(text.lower().replace("&", "and").split())
    for prefix in ("nhs ",):
        if t.startswith(prefix):
            t = t[len(prefix):]
    for suffix in (" integrated care board", " icb"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
    return t
