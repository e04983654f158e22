"""Build the bundled LSOA demographics from the published open-data files.

Usage (from the repository root)::

    .venv/bin/python tools/build_demographics.py --data /path/to/shared/data

reads

* ``lsoa_demographics/iod2019_file1_imd_lsoa.csv.gz``: MHCLG English Indices of
  Deprivation 2019, File 1 (IMD 2019 rank and decile per English LSOA);
* ``lsoa_demographics/iod2019_file6_population_lsoa.csv.gz``: IoD2019 File 6 (population
  mid-2015 excluding prisoners: total, 0-15, 16-59, 60 and over);
* ``lsoa_demographics/rural_urban_classification_2011_lsoa.csv``: ONS 2011 Rural-Urban
  Classification of LSOAs in England and Wales;
* ``lsoa_demographics/wimd2019_ranks.csv``: Welsh Government WIMD 2019 rank, decile and
  quintile per Welsh LSOA;
* ``births_by_lsoa/predicted_demand_by_lsoa.csv``: expected births a year per English LSOA
  (Allen et al., MichaelAllen1966/1901_birth_centre_location), keyed by LSOA *name*;

and writes ``src/hubplan/geography/demographics/lsoa_demographics.csv.gz`` (one row per England
and Wales LSOA, 2011 codes) and ``src/hubplan/geography/demographics/SOURCE.md``. An empty cell
means *unknown* (e.g. population in Wales), never zero. Any file that is not as expected
stops the build with one line naming the file, row (header = row 1) and column; the output
is written to a temporary file and moved into place only when everything has been checked.
The gzip header carries no time stamp, so the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import math
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "src" / "hubplan" / "geography" / "demographics"
OUT_NAME = "lsoa_demographics.csv.gz"

IMD_FILE = "lsoa_demographics/iod2019_file1_imd_lsoa.csv.gz"
POP_FILE = "lsoa_demographics/iod2019_file6_population_lsoa.csv.gz"
RUC_FILE = "lsoa_demographics/rural_urban_classification_2011_lsoa.csv"
WIMD_FILE = "lsoa_demographics/wimd2019_ranks.csv"
BIRTHS_FILE = "births_by_lsoa/predicted_demand_by_lsoa.csv"

IMD_CODE, IMD_NAME = "LSOA code (2011)", "LSOA name (2011)"
IMD_RANK = "Index of Multiple Deprivation (IMD) Rank"
IMD_DECILE = "Index of Multiple Deprivation (IMD) Decile"
POP_TOTAL = "Total population: mid 2015 (excluding prisoners)"
POP_0_15 = "Dependent Children aged 0-15: mid 2015 (excluding prisoners)"
POP_16_59 = "Population aged 16-59: mid 2015 (excluding prisoners)"
POP_60 = "Older population aged 60 and over: mid 2015 (excluding prisoners)"

#: The ONS 2011 Rural-Urban Classification classes of LSOAs (ONS, "2011 rural-urban
#: classification", ons.gov.uk/methodology/geography/geographicalproducts/
#: ruralurbanclassifications/2011ruralurbanclassification, and its user guide): an output
#: area is urban when it lies in a 2011 built-up area of 10,000 people or more; an LSOA takes
#: the class of the majority of its output areas; "sparse setting" = a sparsely populated
#: wider area. Code -> (official name, three-way group used here).
RUC11_CLASSES: dict[str, tuple[str, str]] = {
    "A1": ("Urban major conurbation", "urban"),
    "B1": ("Urban minor conurbation", "urban"),
    "C1": ("Urban city and town", "urban"),
    "C2": ("Urban city and town in a sparse setting", "urban"),
    "D1": ("Rural town and fringe", "rural town and fringe"),
    "D2": ("Rural town and fringe in a sparse setting", "rural town and fringe"),
    "E1": ("Rural village and dispersed", "rural village and dispersed"),
    "E2": ("Rural village and dispersed in a sparse setting", "rural village and dispersed"),
}

#: The columns of the bundled file, in order.
COLUMNS = (
    "lsoa_code", "lsoa_name",
    "population", "population_0_15", "population_16_59", "population_60_plus", "births",
    "imd_rank", "imd_decile", "imd_quintile", "core20",
    "wimd_rank", "wimd_decile", "wimd_quintile",
    "ruc11_code", "ruc11_name", "rural_urban",
)

_COUNT = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)$")  # 1296 or 1,296 (not 1,29 or 12,96)
_LSOA = re.compile(r"^[EW]01\d{6}$")


class BuildError(Exception):
    """A source file is not as expected (one line: file, row, column, what)."""


@dataclass
class Table:
    """The rows of one CSV file as dicts of the named columns, with where they came from."""

    path: Path
    label: str
    header: list[str]
    rows: list[dict[str, str]]
    sha256: str
    notes: list[str] = field(default_factory=list)

    def where(self, row_index: int, column: str) -> str:
        return f"{self.label} row {row_index + 2}, column '{column}'"


def read_table(folder: Path, relative: str, required: tuple[str, ...]) -> Table:
    """Read a CSV (``.gz`` or plain; UTF-8 with or without BOM) and check its shape.

    Every required column must be named once in the header; every row must have as many
    fields as the header; columns with an empty header name must be empty (a value in one
    is reported in ``notes`` and not used).
    """
    path = folder / relative
    if not path.is_file():
        raise BuildError(f"{relative}: no such file under {folder}")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BuildError(f"{relative}: not UTF-8 text (byte {exc.start})") from None
    records = list(csv.reader(io.StringIO(text, newline="")))
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()  # empty lines at the end
    if not records:
        raise BuildError(f"{relative}: empty file")
    header = [h.strip() for h in records[0]]
    for name in required:
        count = header.count(name)
        if count != 1:
            raise BuildError(
                f"{relative} row 1: expected one column '{name}', found {count} "
                f"(header: {', '.join(repr(h) for h in header)})"
            )
    unnamed = [i for i, h in enumerate(header) if h == ""]
    table = Table(path, relative, header, [], digest)
    for r, cells in enumerate(records[1:]):
        if len(cells) != len(header):
            raise BuildError(
                f"{relative} row {r + 2}: expected {len(header)} fields as in the header, got {len(cells)}"
            )
        for i in unnamed:
            if cells[i].strip():
                table.notes.append(
                    f"{relative} row {r + 2}, column {i + 1} (no header name): value "
                    f"{cells[i]!r} in an unnamed trailing column, not used"
                )
        table.rows.append({name: cells[header.index(name)].strip() for name in required})
    return table


def parse_count(table: Table, r: int, column: str) -> int:
    """A whole number, with or without thousands separators ("1,296")."""
    text = table.rows[r][column]
    if not _COUNT.match(text):
        raise BuildError(f"{table.where(r, column)}: expected a whole number such as 1296 or 1,296, got {text!r}")
    return int(text.replace(",", ""))


def parse_in_range(table: Table, r: int, column: str, low: int, high: int) -> int:
    value = parse_count(table, r, column)
    if not low <= value <= high:
        raise BuildError(f"{table.where(r, column)}: expected a whole number from {low} to {high}, got {value}")
    return value


def parse_births(table: Table, r: int, column: str) -> float:
    text = table.rows[r][column]
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise BuildError(f"{table.where(r, column)}: expected a number of births >= 0, got {text!r}")
    return value


def unique_codes(table: Table, column: str, prefix: str) -> dict[str, int]:
    """Code -> row index; codes must be LSOA codes of the country and appear once."""
    seen: dict[str, int] = {}
    for r, row in enumerate(table.rows):
        code = row[column]
        if not _LSOA.match(code) or not code.startswith(prefix):
            raise BuildError(f"{table.where(r, column)}: expected an LSOA code {prefix}01 + 6 digits, got {code!r}")
        if code in seen:
            raise BuildError(f"{table.where(r, column)}: LSOA {code} again (first on row {seen[code] + 2})")
        seen[code] = r
    return seen


@dataclass
class Build:
    """Everything the build read and derived, for the output file and SOURCE.md."""

    rows: list[dict[str, str]]
    tables: dict[str, Table]
    figures: dict[str, str]
    notes: list[str]


def build(folder: Path) -> Build:
    """Read, check and join the five files (no output written)."""
    imd = read_table(folder, IMD_FILE, (IMD_CODE, IMD_NAME, IMD_RANK, IMD_DECILE))
    pop = read_table(folder, POP_FILE, (IMD_CODE, IMD_NAME, POP_TOTAL, POP_0_15, POP_16_59, POP_60))
    ruc = read_table(folder, RUC_FILE, ("LSOA11CD", "LSOA11NM", "RUC11CD", "RUC11"))
    wimd = read_table(folder, WIMD_FILE, ("LSOA_Code", "LSOA_Name", "WIMD2019_Rank", "WIMD2019_Decile", "WIMD2019_Quintile"))
    births = read_table(folder, BIRTHS_FILE, ("LSOA_name", "Births"))
    tables = {"imd": imd, "pop": pop, "ruc": ruc, "wimd": wimd, "births": births}
    notes = [n for t in tables.values() for n in t.notes]

    # ---- RUC: every England and Wales LSOA, the frame of the output
    ruc_codes: dict[str, int] = {}
    for r, row in enumerate(ruc.rows):
        code = row["LSOA11CD"]
        if not _LSOA.match(code):
            raise BuildError(f"{ruc.where(r, 'LSOA11CD')}: expected an LSOA code E01/W01 + 6 digits, got {code!r}")
        if code in ruc_codes:
            raise BuildError(f"{ruc.where(r, 'LSOA11CD')}: LSOA {code} again (first on row {ruc_codes[code] + 2})")
        ruc_codes[code] = r
        klass = row["RUC11CD"]
        if klass not in RUC11_CLASSES:
            raise BuildError(f"{ruc.where(r, 'RUC11CD')}: expected one of {', '.join(RUC11_CLASSES)}, got {klass!r}")
        if row["RUC11"] != RUC11_CLASSES[klass][0]:
            raise BuildError(
                f"{ruc.where(r, 'RUC11')}: expected {RUC11_CLASSES[klass][0]!r} for {klass}, got {row['RUC11']!r}"
            )

    # ---- IoD2019 Files 1 and 6: England
    imd_codes = unique_codes(imd, IMD_CODE, "E")
    pop_codes = unique_codes(pop, IMD_CODE, "E")
    n_england = len(imd_codes)
    if set(pop_codes) != set(imd_codes):
        only = sorted(set(pop_codes) ^ set(imd_codes))
        raise BuildError(f"{POP_FILE}: its LSOAs differ from {IMD_FILE} ({len(only)} codes, e.g. {only[0]})")
    for code, r in imd_codes.items():
        if code not in ruc_codes:
            raise BuildError(f"{imd.where(r, IMD_CODE)}: LSOA {code} is not in {RUC_FILE}")
        ruc_name = ruc.rows[ruc_codes[code]]["LSOA11NM"]
        for table, r2 in ((imd, r), (pop, pop_codes[code])):
            if table.rows[r2][IMD_NAME] != ruc_name:
                raise BuildError(
                    f"{table.where(r2, IMD_NAME)}: LSOA {code} is named {table.rows[r2][IMD_NAME]!r}, "
                    f"but {ruc_name!r} in {RUC_FILE}"
                )
    england_ruc = sorted(c for c in ruc_codes if c.startswith("E") and c not in imd_codes)
    if england_ruc:
        raise BuildError(f"{RUC_FILE}: {len(england_ruc)} English LSOAs are not in {IMD_FILE}, e.g. {england_ruc[0]}")

    imd_values: dict[str, tuple[int, int]] = {}
    for code, r in imd_codes.items():
        rank = parse_in_range(imd, r, IMD_RANK, 1, n_england)
        decile = parse_in_range(imd, r, IMD_DECILE, 1, 10)
        expected = math.ceil(rank * 10 / n_england)  # IoD2019: deciles of the ranks 1..32,844
        if decile != expected:
            raise BuildError(f"{imd.where(r, IMD_DECILE)}: rank {rank} lies in decile {expected}, got {decile}")
        imd_values[code] = (rank, decile)
    pop_values: dict[str, tuple[int, int, int, int]] = {}
    for code, r in pop_codes.items():
        total, young, middle, old = (parse_count(pop, r, c) for c in (POP_TOTAL, POP_0_15, POP_16_59, POP_60))
        if young + middle + old != total:
            raise BuildError(
                f"{pop.where(r, POP_TOTAL)}: {total} is not 0-15 + 16-59 + 60 and over = {young + middle + old}"
            )
        pop_values[code] = (total, young, middle, old)

    # ---- births: keyed by LSOA name; join through the names of IoD2019 File 1
    name_to_code = {imd.rows[r][IMD_NAME]: code for code, r in imd_codes.items()}
    if len(name_to_code) != n_england:
        raise BuildError(f"{IMD_FILE}: LSOA names are not unique, so births cannot be joined by name")
    births_values: dict[str, float] = {}
    unmatched: list[str] = []
    for r, row in enumerate(births.rows):
        name = row["LSOA_name"]
        code = name_to_code.get(name)
        if code is None:
            unmatched.append(f"row {r + 2} {name!r}")
            continue
        if code in births_values:
            raise BuildError(f"{births.where(r, 'LSOA_name')}: LSOA {name!r} again")
        births_values[code] = parse_births(births, r, "Births")
    if unmatched:
        shown = "; ".join(unmatched[:20]) + ("; ..." if len(unmatched) > 20 else "")
        raise BuildError(
            f"{BIRTHS_FILE}: {len(unmatched)} LSOA names are not LSOA names of {IMD_FILE}: {shown}"
        )
    no_births = sorted(set(imd_codes) - set(births_values))
    for code in no_births:
        notes.append(
            f"{BIRTHS_FILE} has no row for {imd.rows[imd_codes[code]][IMD_NAME]} ({code}): "
            "births left empty (unknown)"
        )

    # ---- WIMD 2019: Wales
    wimd_codes = unique_codes(wimd, "LSOA_Code", "W")
    n_wales = len(wimd_codes)
    wales_ruc = {c for c in ruc_codes if c.startswith("W")}
    if set(wimd_codes) != wales_ruc:
        only = sorted(set(wimd_codes) ^ wales_ruc)
        raise BuildError(f"{WIMD_FILE}: its LSOAs differ from the Welsh LSOAs of {RUC_FILE} ({len(only)}, e.g. {only[0]})")
    wimd_values: dict[str, tuple[int, int, int]] = {}
    for code, r in wimd_codes.items():
        rank = parse_in_range(wimd, r, "WIMD2019_Rank", 1, n_wales)
        decile = parse_in_range(wimd, r, "WIMD2019_Decile", 1, 10)
        quintile = parse_in_range(wimd, r, "WIMD2019_Quintile", 1, 5)
        if quintile != math.ceil(decile / 2):
            raise BuildError(f"{wimd.where(r, 'WIMD2019_Quintile')}: decile {decile} lies in quintile "
                             f"{math.ceil(decile / 2)}, got {quintile}")
        wimd_values[code] = (rank, decile, quintile)

    # ---- the joined rows, one per LSOA, sorted by code
    rows: list[dict[str, str]] = []
    for code in sorted(ruc_codes):
        ruc_row = ruc.rows[ruc_codes[code]]
        row = dict.fromkeys(COLUMNS, "")
        row.update(lsoa_code=code, lsoa_name=ruc_row["LSOA11NM"], ruc11_code=ruc_row["RUC11CD"],
                   ruc11_name=ruc_row["RUC11"], rural_urban=RUC11_CLASSES[ruc_row["RUC11CD"]][1])
        if code in imd_values:
            rank, decile = imd_values[code]
            total, young, middle, old = pop_values[code]
            row.update(population=str(total), population_0_15=str(young), population_16_59=str(middle),
                       population_60_plus=str(old), imd_rank=str(rank), imd_decile=str(decile),
                       imd_quintile=str(math.ceil(decile / 2)), core20="1" if decile <= 2 else "0")
            if code in births_values:
                row["births"] = repr(births_values[code])
        else:
            rank, decile, quintile = wimd_values[code]
            row.update(wimd_rank=str(rank), wimd_decile=str(decile), wimd_quintile=str(quintile))
        rows.append(row)

    figures = {
        "IoD2019 File 1 LSOAs (England)": f"{n_england:,}",
        "IoD2019 File 6 LSOAs (England)": f"{len(pop_codes):,}",
        "RUC11 LSOAs (England and Wales)": f"{len(ruc_codes):,}",
        "WIMD 2019 LSOAs (Wales)": f"{n_wales:,}",
        "births rows, all matched by name to File 1": f"{len(births.rows):,}",
        "English LSOAs without births (empty)": f"{len(no_births):,}",
        "rows of the bundled file": f"{len(rows):,}",
        "population, England (sum of File 6 totals)": f"{sum(v[0] for v in pop_values.values()):,}",
        "population 0-15 / 16-59 / 60+, England": " / ".join(
            f"{sum(v[i] for v in pop_values.values()):,}" for i in (1, 2, 3)
        ),
        "expected births a year, England": f"{sum(births_values.values()):,.1f}",
        "Core20 LSOAs (IMD deciles 1-2)": f"{sum(1 for v in imd_values.values() if v[1] <= 2):,}",
    }
    return Build(rows=rows, tables=tables, figures=figures, notes=notes)


# ------------------------------------------------------------------------- output
def encode_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, compresslevel=9, mtime=0) as fh:
        fh.write(buffer.getvalue().encode("utf-8"))
    return compressed.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


MIT_1901 = """MIT License

Copyright (c) 2019 MichaelAllen1966

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE."""


def source_md(result: Build, output: bytes) -> str:
    t = result.tables

    def file_line(key: str) -> str:
        table = t[key]
        return (f"`{table.label}` ({table.path.stat().st_size:,} bytes, sha256 `{table.sha256[:16]}...`, "
                f"{len(table.rows):,} data rows + header)")

    figures = "\n".join(f"| {k} | {v} |" for k, v in result.figures.items())
    notes = "\n".join(f"- {n}" for n in result.notes) or "- none"
    return f"""# Bundled LSOA demographics: sources and licences

`lsoa_demographics.csv.gz` (sha256 `{hashlib.sha256(output).hexdigest()[:16]}...`) holds one row per
England and Wales Lower-layer Super Output Area (2011 boundaries and codes, the codes of the
bundled network's areas). It is **derived** from the files below by
`tools/build_demographics.py`, which wrote this page; do not edit either by hand. An empty
cell means *unknown or not applicable*, never zero. The column meanings are in
`docs/demographics.md`.

## Sources

### English Indices of Deprivation 2019 (MHCLG): Files 1 and 6

- Publisher: Ministry of Housing, Communities and Local Government (MHCLG), *English Indices of
  Deprivation 2019*, gov.uk/government/statistics/english-indices-of-deprivation-2019.
- Files: {file_line("imd")}, byte copy of File 1 (IMD 2019 rank and decile);
  {file_line("pop")}, byte copy of File 6 (population denominators); both copied
  from the GitHub repository anetobradley/energy_flex (File 1 at commit
  9ed0574760bbe6fa7ac41205d9bef62fe83feb48, File 6 at 219a268407b48f1d354cf6981a7fd53bbbc2bb43),
  `02-EnergyModel/Energy_Intensity_Analysis/data/imd/`.
- Taken: from File 1 the LSOA code and name, `{IMD_RANK}` and `{IMD_DECILE}`; from File 6
  `{POP_TOTAL}`, `{POP_0_15}`, `{POP_16_59}` and `{POP_60}` (the working-age column is not
  taken). England only.
- Licence: Open Government Licence v3.0. Attribution: *Contains public sector information
  licensed under the Open Government Licence v3.0. © Crown copyright 2019. Source: Ministry of
  Housing, Communities and Local Government, English Indices of Deprivation 2019.*

### 2011 Rural-Urban Classification of LSOAs (ONS)

- Publisher: Office for National Statistics, *2011 Rural-Urban Classification of Lower Layer
  Super Output Areas in England and Wales* (definitions: ons.gov.uk/methodology/geography/
  geographicalproducts/ruralurbanclassifications/2011ruralurbanclassification and the RUC2011
  user guide).
- File: {file_line("ruc")}, copied from the GitHub repository
  samuel-book/stroke_unit_demographics (commit 8ff9f37d84462539de577414d97676f6e0309c12),
  `data/demographic/`.
- Taken: `LSOA11CD`, `LSOA11NM` (the `lsoa_name` column), `RUC11CD`, `RUC11`. England and Wales.
- Licence: Open Government Licence v3.0. Attribution: *Source: Office for National Statistics
  licensed under the Open Government Licence v3.0. © Crown copyright.*

### Welsh Index of Multiple Deprivation 2019 (Welsh Government)

- Publisher: Welsh Government, *Welsh Index of Multiple Deprivation 2019* (WIMD 2019).
- File: {file_line("wimd")}, copied from the GitHub repository
  samuel-book/stroke_unit_demographics (commit 8ff9f37d84462539de577414d97676f6e0309c12),
  `data/demographic/`. (The companion file of scores,
  `wimd2019_scores.csv`, is not used.)
- Taken: `LSOA_Code`, `WIMD2019_Rank`, `WIMD2019_Decile`, `WIMD2019_Quintile` (as published).
  Wales only.
- Licence: Open Government Licence v3.0. Attribution: *Contains public sector information
  licensed under the Open Government Licence v3.0. © Crown copyright 2019. Source: Welsh
  Government, Welsh Index of Multiple Deprivation 2019.*

### Expected births per LSOA (Allen et al., University of Exeter PenCHORD, 2019)

- Publisher: the GitHub repository MichaelAllen1966/1901_birth_centre_location (commit
  3cedde3db6f51d889f14bd4743391286f2f75dbc), `misc_data/predicted_demand_by_lsoa.csv`: the
  input data of a study of birth-centre and neonatal-unit location in England.
- File: {file_line("births")}.
- Taken: `LSOA_name` and `Births` (expected births a year). The file is keyed by LSOA *name*;
  each name was matched to its code through the LSOA names of IoD2019 File 1 (every name
  matched exactly, once). The neonatal columns are not taken. England only.
- Licence: MIT, reproduced here as the licence requires:

```text
{MIT_1901}
```

## What was derived

- `imd_quintile` = ceil(`imd_decile` / 2); 1 = most deprived 20% of English LSOAs.
- `core20` = 1 when the IMD 2019 decile is 1 or 2 (the most deprived 20% of LSOAs nationally,
  as in NHS England's Core20PLUS5), else 0; empty in Wales (IMD does not cover Wales).
- `rural_urban`: `urban` = A1, B1, C1, C2; `rural town and fringe` = D1, D2; `rural village and
  dispersed` = E1, E2 (ONS: urban = in a built-up area of 10,000 people or more).
- Checks made by the build (any failure stops it): each file's LSOA codes are unique; Files 1
  and 6 hold the same English LSOAs with the same names as the RUC file; the WIMD LSOAs are
  exactly the Welsh LSOAs of the RUC file; IMD deciles are those of the ranks
  (ceil(rank x 10 / {len(t["imd"].rows):,})); WIMD quintiles = ceil(decile / 2) as published;
  each File 6 total = 0-15 + 16-59 + 60 and over; each RUC code carries its official name.

## Figures

| what | value |
|---|---|
{figures}

## Notes from the build

{notes}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="folder holding lsoa_demographics/ and births_by_lsoa/")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder (default {OUT_DIR})")
    args = parser.parse_args(argv)
    try:
        result = build(args.data)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output = encode_csv(result.rows)
    write_atomically(args.out / OUT_NAME, output)
    write_atomically(args.out / "SOURCE.md", source_md(result, output).encode("utf-8"))
    print(f"wrote {args.out / OUT_NAME} ({len(output):,} bytes) and {args.out / 'SOURCE.md'}")
    for key, value in result.figures.items():
        print(f"  {key}: {value}")
    for note in result.notes:
        print(f"  note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
