"""Opening the files users give hubplan, with a one-line message for every way that fails.

Network CSV files, ``--hubs``/``--spokes`` lists, scenario files and benchmark CSV files
all pass through :func:`check_input_file` (the file exists, is a file and is not larger
than the input limit) and are read as UTF-8, with or without a byte-order mark. Problems
become an :class:`~hubplan.errors.InputError` naming the file (and the row where there is
one): a missing file, a folder in its place, a file hubplan may not read, text that is not
UTF-8, a binary file, or a file above the limit.

The limit protects against reading a wrong, huge file whole: it is
:data:`DEFAULT_MAX_INPUT_MB` megabytes (1 MB = 1,048,576 bytes) per file unless the
environment variable ``HUBPLAN_MAX_INPUT_MB`` says otherwise. The national England & Wales
matrix of 34,752 areas x 200 sites is about 41 MB as a wide CSV and 157 MB in long form
(minutes with one decimal), so both load under the default.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from hubplan.errors import InputError

#: Environment variable that sets the largest input file read, in megabytes.
MAX_INPUT_MB_VARIABLE = "HUBPLAN_MAX_INPUT_MB"

#: Default largest input file, in megabytes (1 MB = 1,048,576 bytes).
DEFAULT_MAX_INPUT_MB = 256.0

_MB = 1024 * 1024
_BOM = b"\xef\xbb\xbf"


def max_input_mb() -> float:
    """The largest input file hubplan reads, in megabytes (``HUBPLAN_MAX_INPUT_MB`` or the default)."""
    text = os.environ.get(MAX_INPUT_MB_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_INPUT_MB
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise InputError(
            f"{MAX_INPUT_MB_VARIABLE}={text!r}: expected a number of megabytes > 0 "
            f"(the largest input file to read; default {DEFAULT_MAX_INPUT_MB:g})"
        )
    return value


def check_input_file(path: Path, label: str | None = None, *, kind: str = "file") -> int:
    """Check that ``path`` is a file no larger than the limit; return its size in bytes.

    ``label`` names the file in messages (default: the path); ``kind`` says what it should
    be (e.g. ``"CSV file"``).
    """
    label = str(path) if label is None else label
    try:
        if path.is_dir():
            raise InputError(f"{label}: expected a {kind}, found a folder")
        if not path.exists():
            raise InputError(f"{label}: file not found")
        size = path.stat().st_size
    except OSError as exc:
        raise os_error(label, exc) from None
    limit = max_input_mb()
    if size > limit * _MB:
        raise InputError(
            f"{label}: the file is {_size(size)}, above the {limit:g} MB limit for input files"
            f"{'' if limit >= 0.1 else f' ({int(limit * _MB):,} bytes)'}; check it is the right file, "
            f"or set {MAX_INPUT_MB_VARIABLE} to a larger number of megabytes"
        )
    return size


def _size(n_bytes: int) -> str:
    return f"{n_bytes / _MB:,.1f} MB" if n_bytes >= _MB / 10 else f"{n_bytes:,} bytes"


def os_error(label: str, exc: OSError) -> InputError:
    """An :class:`InputError` for a file the system would not let hubplan read."""
    if isinstance(exc, PermissionError):
        return InputError(f"{label}: permission denied (hubplan may not read this file; check its permissions)")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{label}: expected a file, found a folder")
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{label}: file not found")
    reason = exc.strerror or str(exc) or type(exc).__name__
    return InputError(f"{label}: cannot read the file ({' '.join(reason.split())})")


def read_bytes(path: Path, label: str | None = None) -> bytes:
    """The bytes of an input file, checked with :func:`check_input_file`."""
    label = str(path) if label is None else label
    check_input_file(path, label)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise os_error(label, exc) from None


def decode(data: bytes, label: str, *, row_word: str = "row", csv_file: bool = False) -> str:
    """UTF-8 text of ``data`` (a leading byte-order mark is dropped).

    Raises :class:`InputError` naming the row (line) of the first byte that is not
    UTF-8 (and, for a CSV file, its column), or saying the file is binary (it holds
    NUL bytes).
    """
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        header = None
        if csv_file:
            first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
            header = [cell.strip() for cell in next(csv.reader([first]), [])]
        raise decode_error(data, exc, label, row_word=row_word, header=header) from None
    if "\x00" in text:
        row = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(
            f"{label} {row_word} {row}: a binary file, not text (it holds NUL bytes); "
            "expected UTF-8 text"
        )
    return text


def decode_error(
    data: bytes, exc: UnicodeDecodeError, label: str, *, row_word: str = "row", header: list[str] | None = None
) -> InputError:
    """The message for bytes that are not UTF-8: the row (and CSV column, given the header)."""
    start = exc.start
    row = data.count(b"\n", 0, start) + 1
    where = f"{label} {row_word} {row}"
    if header is not None:
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", start)
        line = data[line_start: len(data) if line_end < 0 else line_end]
        cells = next(csv.reader([line.decode("utf-8", errors="surrogateescape")]), [])
        column = next((j for j, cell in enumerate(cells) if any("\udc80" <= ch <= "\udcff" for ch in cell)), None)
        if column is not None:
            name = header[column] if row > 1 and column < len(header) else None
            where += f", column '{name}'" if name else f", column {column + 1}"
    return InputError(
        f"{where}: not UTF-8 text (byte 0x{data[start]:02x}); hubplan reads UTF-8: save the file "
        "as UTF-8 (in Excel: 'CSV UTF-8')"
    )


def read_text(path: Path, label: str | None = None, *, row_word: str = "line") -> str:
    """The UTF-8 text of an input file (byte-order mark dropped), every problem one message."""
    label = str(path) if label is None else label
    return decode(read_bytes(path, label), label, row_word=row_word)


def read_csv_records(path: Path, source: str) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """The header (stripped cells; ``None`` for an empty file) and every other non-blank
    record of a CSV file with its row as a spreadsheet numbers it (the header is row 1).

    Raises
    ------
    InputError
        The file cannot be read (see :func:`read_bytes` / :func:`decode`), or a record has
        more or fewer fields than the header (naming the file and row).
    """
    text = decode(read_bytes(path, source), source, csv_file=True)
    reader = csv.reader(text.splitlines())
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.strip() for cell in record]
            continue
        if len(record) != len(header):
            raise InputError(f"{source} row {reader.line_num}: expected {len(header)} fields like the header, "
                             f"found {len(record)}")
        records.append((reader.line_num, record))
    return header, records
