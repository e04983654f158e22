"""Capacity tables on the terminal and on disk, shared by ``capacity``, ``workforce``,
``evaluate`` and ``demo`` (below :mod:`hubplan.cli.core`, so both can use it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table

from hubplan.capacity import CapacityResult
from hubplan.cli._app import err, out, write_json
from hubplan.cli._layout import NAMES_HIDDEN, Layout, print_table
from hubplan.formatting import counted


def _num(x: Any, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)) or x is pd.NA:
        return "-"
    try:
        if pd.isna(x):
            return "-"
    except (TypeError, ValueError):
        pass
    return f"{float(x):,.{digits}f}"


def _flags_text(flags: Any) -> str:
    return ", ".join(flags) if len(flags) else "-"


def _write_tables(result: CapacityResult, folder: Path, stem: str) -> list[Path]:
    sites = result.sites.copy()
    sites["flags"] = [";".join(f) for f in sites["flags"]]
    paths = [folder / f"{stem}_sites.csv", folder / f"{stem}_regions.csv", folder / f"{stem}.json"]
    sites.to_csv(paths[0], index=False, float_format="%.4f")
    result.regions.to_csv(paths[1], index=False, float_format="%.3f")
    write_json(paths[2], result.to_json())
    if result.pipeline is not None:
        path = folder / f"{stem}_pipeline.csv"
        result.pipeline.table.to_csv(path, index=False, float_format="%.3f")
        paths.append(path)
    return paths


def _print_flags(sites: pd.DataFrame) -> None:
    """Standards flags as a list under the table (for narrow terminals)."""
    flagged = [(row.site_code, row.flags) for row in sites.itertuples(index=False) if len(row.flags)]
    if not flagged:
        out.print("standards flags: none")
        return
    out.print(f"standards flags ({len(flagged)} sites):")
    listed = Table.grid(padding=(0, 1, 0, 0))  # flags that wrap stay indented under the first
    listed.add_column(no_wrap=True)
    listed.add_column(overflow="fold")
    for code, flags in flagged:
        listed.add_row(f"  {code}:", ", ".join(flags))
    out.print(listed, highlight=False)


def _network_line(result: CapacityResult) -> str:
    n = result.network
    parts = [f"{counted(n.hubs, 'hub')}, {counted(n.spokes, 'spoke')}, {n.patients_per_year:,.0f} admissions a year"]
    if n.beds_at_target_occupancy is not None:
        parts.append(f"beds {n.beds_at_target_occupancy:,} at target occupancy, "
                     f"{n.beds_for_refusal:,} at the refusal target")
    if n.consultants_needed is not None:
        text = f"consultants needed {n.consultants_needed}"
        if n.consultants_available is not None:
            text += f" against {n.consultants_available:g} available: shortfall {n.shortfall:g}"
        parts.append(text)
    if n.workforce_today is not None and n.consultants_needed is not None:
        if n.year_need_met == 0:
            parts.append(f"the {n.workforce_today:g} in post today meet the need")
        elif n.year_need_met is not None:
            parts.append(f"from {n.workforce_today:g} today, training meets the need in year {n.year_need_met}")
        elif result.pipeline is not None:
            parts.append(f"from {n.workforce_today:g} today, training does not meet the need within "
                         f"{len(result.pipeline.table) - 1} years")
    return "; ".join(parts)


def _print_notes(result: CapacityResult) -> None:
    for note in result.notes:
        err.print(f"[yellow]note:[/] {note}")


def print_capacity(result: CapacityResult, *, refusal: float, all_sites: bool = False) -> None:
    """Per-hub beds, procedures, consultants and flags, then the network totals."""
    sites = result.sites
    shown = sites if all_sites else sites[sites["role"] == "hub"]
    shown = shown.sort_values(["role", "catchment_patients", "patients_per_year"], ascending=[True, False, False])
    occ = result.parameters[1]["value"]
    refusal_label = f"{refusal * 100:.3g}%"

    def table(wide: bool) -> Table:  # wide: with site names and flags
        view = Table(
            title=f"{result.option}: beds at {occ:.0%} occupancy and at {refusal_label} refusal, "
            "consultants and standards (per year)", title_justify="left",
        )
        view.add_column("site", no_wrap=True)
        if wide:
            view.add_column("name", max_width=24, overflow="fold")
        if all_sites:
            view.add_column("role", no_wrap=True)
        for col in ("catchment", "admitted", "procs", "mean\nbeds", f"beds\n{occ:.0%}",
                    f"beds\n{refusal_label}", "staff", "per\noperator"):
            view.add_column(col, justify="right", no_wrap=True)
        if wide:
            view.add_column("flags", overflow="fold")
        for row in shown.itertuples(index=False):
            hub = row.role == "hub"
            cells = [row.site_code] + ([row.site_name] if wide else []) + ([row.role] if all_sites else [])
            view.add_row(
                *cells,
                _num(row.catchment_patients) if hub else "-", _num(row.patients_per_year),
                _num(row.procedures_per_year) if hub else "-", _num(row.mean_occupied_beds, 1),
                _num(row.beds_at_target_occupancy), _num(row.beds_for_refusal),
                _num(row.consultants_needed), _num(row.procedures_per_operator, 1),
                *([_flags_text(row.flags)] if wide else []),
            )
        return view

    wide = table(wide=True)
    if print_table(wide, Layout(table(wide=False), NAMES_HIDDEN)) is not wide:
        _print_flags(shown)  # the flags column did not fit: a list instead
    if not all_sites and result.network.spokes:
        spokes_only = sites[sites["role"] == "spoke"]
        out.print(f"{counted(len(spokes_only), 'spoke')} (list {'it' if len(spokes_only) == 1 else 'them'} with "
                  f"--all-sites): {counted(int(spokes_only['beds_at_target_occupancy'].sum()), 'bed')} at target "
                  "occupancy, "
                  f"{spokes_only['beds_for_refusal'].sum():,} at the refusal target")
    out.print(_network_line(result))


# ----------------------------------------------------------------------------- capacity
