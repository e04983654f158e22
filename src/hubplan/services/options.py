"""Options: one configuration of hubs and spokes to appraise."""

from __future__ import annotations

from hubplan.frozen import PicklableMappings

from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping, Sequence

from hubplan.errors import InputError

if TYPE_CHECKING:
    from hubplan.geography.network import Network


class Pathway(str, Enum):
    """How patients reach the hub."""

    DIRECT = "direct"
    """Mothership: every patient goes straight to the nearest hub."""
    TREAT_AND_TRANSFER = "treat_and_transfer"
    """Drip-and-ship: nearest hub or spoke first; spoke patients needing the hub transfer."""

    @classmethod
    def parse(cls, value: "str | Pathway") -> "Pathway":
        if isinstance(value, Pathway):
            return value
        key = str(value).strip().lower().replace("-", "_")
        aliases = {"mothership": "direct", "drip_and_ship": "treat_and_transfer", "tt": "treat_and_transfer"}
        key = aliases.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise InputError(
                f"unknown pathway {value!r}: expected 'direct' or 'treat_and_transfer'"
            ) from None


@dataclass(frozen=True)
class Helicopter:
    """Air transfer for areas far from a hub by road.

    For an area whose road time to the hub exceeds ``threshold_minutes``, the time by air
    is ``dispatch_minutes + straight-line km / speed_kmh * 60 + handover_minutes`` to the
    hub nearest by air; the faster of road and air is used (docs/pathways.md).
    The defaults are modelling assumptions, not published standards: set your own.
    """

    threshold_minutes: float = 60.0
    dispatch_minutes: float = 20.0
    speed_kmh: float = 220.0
    handover_minutes: float = 15.0

    def __post_init__(self) -> None:
        for name in ("threshold_minutes", "dispatch_minutes", "handover_minutes"):
            if not float(getattr(self, name)) >= 0:
                raise InputError(f"helicopter {name} must be >= 0, got {getattr(self, name)!r}")
        if not float(self.speed_kmh) > 0:
            raise InputError(f"helicopter speed_kmh must be > 0, got {self.speed_kmh!r}")


@dataclass(frozen=True)
class Option(PicklableMappings):
    """One configuration: hubs, spokes, pathway, bypass and optional extras.

    Parameters
    ----------
    name:
        A label, e.g. ``"today: 24 centres, direct"``.
    hubs:
        Codes of the sites that provide the hub service.
    spokes:
        Codes of the sites that see patients first and transfer those who need the hub
        (``treat_and_transfer`` only). Sites in neither list are closed for this service.
    pathway:
        ``direct`` or ``treat_and_transfer``.
    bypass_minutes:
        Ambulance bypass: go straight to the nearest hub when it is at most this many
        minutes further than the nearest spoke (a tie goes to the hub). ``inf`` = always.
    transfer_delay_minutes:
        Door-in-door-out delay at a spoke; ``None`` uses the service's value.
    assignment:
        Optional ``{spoke_code: hub_code}``; unassigned spokes transfer to the hub nearest
        by road.
    helicopter:
        Optional :class:`Helicopter` settings.
    """

    name: str
    hubs: tuple[str, ...]
    spokes: tuple[str, ...] = ()
    pathway: Pathway = Pathway.DIRECT
    bypass_minutes: float = 0.0
    transfer_delay_minutes: float | None = None
    assignment: Mapping[str, str] = field(default_factory=dict)
    helicopter: Helicopter | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hubs", tuple(str(h) for h in self.hubs))
        object.__setattr__(self, "spokes", tuple(str(s) for s in self.spokes))
        object.__setattr__(self, "pathway", Pathway.parse(self.pathway))
        object.__setattr__(self, "assignment", MappingProxyType(dict(self.assignment)))
        if not self.hubs:
            raise InputError(f"option {self.name!r}: at least one hub is needed")
        for label, codes in (("hub", self.hubs), ("spoke", self.spokes)):
            seen: set[str] = set()
            for code in codes:
                if code in seen:
                    raise InputError(f"option {self.name!r}: {label} {code} is listed twice")
                seen.add(code)
        both = sorted(set(self.hubs) & set(self.spokes))
        if both:
            raise InputError(
                f"option {self.name!r}: {', '.join(both)} cannot be both a hub and a spoke"
            )
        if not float(self.bypass_minutes) >= 0:
            raise InputError(f"option {self.name!r}: bypass_minutes must be >= 0, got {self.bypass_minutes!r}")
        if self.transfer_delay_minutes is not None and not float(self.transfer_delay_minutes) >= 0:
            raise InputError(
                f"option {self.name!r}: transfer_delay_minutes must be >= 0, got {self.transfer_delay_minutes!r}"
            )
        for spoke, hub in self.assignment.items():
            if spoke not in self.spokes:
                raise InputError(f"option {self.name!r}: assignment names {spoke}, which is not a spoke")
            if hub not in self.hubs:
                raise InputError(f"option {self.name!r}: assignment sends {spoke} to {hub}, which is not a hub")
        if self.pathway is Pathway.DIRECT and self.spokes:
            # Spokes play no part in a direct pathway; keeping them would mislead.
            raise InputError(
                f"option {self.name!r}: spokes are only used with pathway 'treat_and_transfer'"
            )

    @classmethod
    def from_capability(
        cls,
        network: "Network",
        capability: str,
        *,
        name: str | None = None,
        pathway: "Pathway | str" = Pathway.DIRECT,
        spokes: "Sequence[str] | str | None" = None,
        bypass_minutes: float = 0.0,
        transfer_delay_minutes: float | None = None,
        helicopter: Helicopter | None = None,
    ) -> "Option":
        """Today's hubs for a capability (e.g. ``thrombectomy``); spokes may be
        ``"rest"`` (every other site of the network) or a capability (its other sites)."""
        hubs = network.sites_with(capability)
        spoke_codes = resolve_spokes(network, spokes, hubs)
        return cls(
            name=name or f"{capability} ({len(hubs)} hub{'' if len(hubs) == 1 else 's'})",
            hubs=tuple(hubs),
            spokes=tuple(spoke_codes),
            pathway=Pathway.parse(pathway),
            bypass_minutes=bypass_minutes,
            transfer_delay_minutes=transfer_delay_minutes,
            helicopter=helicopter,
        )

    def describe(self) -> dict[str, object]:
        """The option as a plain dict (the ``option`` of the JSON contract)."""
        return {
            "name": self.name,
            "pathway": self.pathway.value,
            "hubs": list(self.hubs),
            "spokes": list(self.spokes),
            "bypass_minutes": float(self.bypass_minutes),
            "transfer_delay_minutes": self.transfer_delay_minutes,
            "assignment": dict(self.assignment),
            "helicopter": None
            if self.helicopter is None
            else {
                "threshold_minutes": self.helicopter.threshold_minutes,
                "dispatch_minutes": self.helicopter.dispatch_minutes,
                "speed_kmh": self.helicopter.speed_kmh,
                "handover_minutes": self.helicopter.handover_minutes,
            },
        }


def resolve_spokes(
    network: "Network", spokes: "Sequence[str] | str | None", hubs: Sequence[str]
) -> list[str]:
    """Spoke codes from ``None``, ``"rest"``, a capability name or a list of codes."""
    if spokes is None:
        return []
    hub_set = set(hubs)
    if isinstance(spokes, str):
        if spokes.strip().lower() == "rest":
            return [c for c in network.site_codes if c not in hub_set]
        return [c for c in network.sites_with(spokes) if c not in hub_set]
    return list(spokes)


def resolve_sites(
    network: "Network", text: str, role: str, hubs: Sequence[str] = ()
) -> list[str]:
    """Site codes from text as a planner types it: comma-separated codes, a capability
    (``thrombectomy`` = today's centres), or for spokes ``rest`` / a capability (its sites
    that are not hubs). Unknown codes raise :class:`InputError`. Never reads a file."""
    text = text.strip()
    single = "," not in text
    if role == "spoke" and (text.lower() == "rest" or (single and network.has_capability(text))):
        return resolve_spokes(network, text, hubs)
    if role != "spoke" and single and network.has_capability(text):
        return network.sites_with(text)
    codes = [c.strip() for c in text.split(",") if c.strip()]
    positions = network.site_positions(codes, role)
    return [network.site_codes[p] for p in positions]
