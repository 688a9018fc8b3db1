"""Read the cells of one table file, and parse cells into typed values.

:func:`read_table` returns the raw cells of a CSV, Parquet, Excel (.xlsx), Stata (.dta) or
SPSS (.sav) file, as the format gives them: a CSV gives text only (ids keep their leading
zeros), the binary formats give their own types. The ``parse_*`` functions turn such cells
into values; they are vectorised (they work on the distinct values of a column) and accept
Danish spreadsheet conventions: decimal comma, dd-mm-yyyy dates, SAND/FALSK.

Examples
--------
>>> import pandas as pd
>>> parse_number(pd.Series(["0,25", "1", "x", ""])).tolist()
[0.25, 1.0, nan, nan]
>>> parse_date(pd.Series(["31-01-2017", "2017-01-31", "31.1.2017"])).dt.strftime("%Y-%m-%d").tolist()
['2017-01-31', '2017-01-31', '2017-01-31']
>>> parse_month(pd.Series(["2017-03", "2017-03-15"])).astype(str).tolist()
['2017-03', '2017-03']
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import itertools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fip.data.dataset import DATE_DTYPE, MONTH_DTYPE, TABLES, TEXT_DTYPE
from fip.errors import FipError, Problem, mask_personal

__all__ = [
    "EXTENSIONS",
    "HEADER_SEARCH_ROWS",
    "RowProblem",
    "UnreadableFileError",
    "as_text",
    "find_table_files",
    "format_name",
    "parse_bool",
    "parse_code",
    "parse_date",
    "parse_month",
    "parse_number",
    "read_table",
    "sniff_encoding",
    "sniff_separator",
]

#: File extensions a table can have, in order of preference for messages.
EXTENSIONS: tuple[str, ...] = (".csv", ".parquet", ".xlsx", ".dta", ".sav")
_FORMAT_NAMES = {
    ".csv": "CSV",
    ".parquet": "Parquet",
    ".xlsx": "Excel (.xlsx)",
    ".dta": "Stata (.dta)",
    ".sav": "SPSS (.sav)",
}
#: Words accepted as booleans when no schema is given (configs/schema.yaml lists the same).
DEFAULT_BOOLEANS: Mapping[str, bool] = {
    **{w: True for w in ("1", "true", "yes", "ja", "sand", "y", "j")},
    **{w: False for w in ("0", "false", "no", "nej", "falsk", "n")},
}


class UnreadableFileError(FipError):
    """A table file cannot be read at all (corrupt, wrong format, undecodable text).

    Attributes
    ----------
    file : str
        File name.
    kind : str
        Format in plain words (``CSV``, ``Excel (.xlsx)``, ...).
    detail : str
        What went wrong (CPR-like numbers masked).
    rows : tuple of RowProblem
        Problems located in rows of the file (a CSV row with too many or too few fields, a
        stray quote, a byte that is not UTF-8; an Excel formula without a value), each one
        line; empty when the file as a whole is unreadable.
    """

    def __init__(self, file: str, kind: str, detail: str, rows: tuple[RowProblem, ...] = ()):
        self.rows = tuple(rows)
        if self.rows:
            detail = f"row {self.rows[0].row}: expected {self.rows[0].expected}"
        self.file, self.kind, self.detail = file, kind, mask_personal(detail)
        lines = [f"{file}: not a readable {kind} file (error: {self.detail})"] if not self.rows else \
            [str(r.problem(file)) for r in self.rows]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class RowProblem:
    """A reading problem located in one row (spreadsheet numbering: the header is row 1).

    Attributes
    ----------
    row : int
        Row of the file (for CSV the physical line the record starts on).
    column : str or None
        Column the problem is in, when one can be named.
    value : str or None
        The offending text or byte, CPR-like numbers masked.
    expected : str
        What was expected, in plain words.

    Examples
    --------
    >>> print(RowProblem(7, "gender", None, "5 fields as in the header row (got 6)").problem("persons.csv"))
    persons.csv, row 7, column 'gender': expected 5 fields as in the header row (got 6)
    """

    row: int
    column: str | None
    value: str | None
    expected: str

    def problem(self, file: str) -> Problem:
        """This problem as a :class:`~fip.errors.Problem` of ``file``."""
        value = None if self.value is None else mask_personal(self.value)
        return Problem(file, self.row, self.column, value, self.expected)


def format_name(path: str | Path) -> str:
    """Plain-words name of a table file's format, e.g. ``"CSV"``."""
    return _FORMAT_NAMES.get(Path(path).suffix.lower(), Path(path).suffix or "table")


def find_table_files(folder: str | Path, tables: tuple[str, ...] = TABLES) -> dict[str, list[Path]]:
    """Files in ``folder`` that hold each table (name = table, extension in :data:`EXTENSIONS`).

    Names match case-insensitively (``Persons.CSV`` counts). A table with no file maps to an
    empty list, one with several candidates to all of them (sorted by name).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "forms.csv").write_text("a")
    >>> {k: [p.name for p in v] for k, v in find_table_files(d).items()}
    {'persons': [], 'forms': ['forms.csv'], 'outcomes': []}
    """
    found: dict[str, list[Path]] = {t: [] for t in tables}
    for entry in sorted(Path(folder).iterdir()):
        stem, ext = entry.stem.casefold(), entry.suffix.lower()
        if ext in EXTENSIONS and stem in found and entry.is_file():
            found[stem].append(entry)
    return found


# --------------------------------------------------------------------------- reading files


def sniff_encoding(head: bytes) -> str:
    """Encoding of a text file from its first bytes: UTF-16 or UTF-8 (BOM-aware), else cp1252.

    ``head`` should be the first few kilobytes; a multi-byte UTF-8 character cut at the end
    is tolerated. Windows-1252 (the encoding of Danish Excel "CSV (semikolonsepareret)") is
    chosen only when the first byte that is not ASCII is also not UTF-8: text that has shown
    valid UTF-8 characters stays UTF-8, and a broken byte after them is an error of the file
    (see :func:`read_table`), not a reason to read the whole file as Windows-1252.

    Examples
    --------
    >>> sniff_encoding("æøå".encode("utf-8")), sniff_encoding("æøå".encode("cp1252"))
    ('utf-8', 'cp1252')
    >>> sniff_encoding("Århus, ".encode("utf-8") + b"\\xe6")  # UTF-8, then a broken byte
    'utf-8'
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        return "utf-8" if not head[: exc.start].isascii() else "cp1252"
    return "utf-8"


def sniff_separator(header: str) -> str:
    """The separator of a CSV file from its header line: ``;``, ``,`` or tab (most frequent
    outside quotes; ``,`` when the line has none).

    Examples
    --------
    >>> sniff_separator("person_id;gender;birth_year"), sniff_separator("a,b"), sniff_separator("a")
    (';', ',', ',')
    """
    counts = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda k: (counts[k], k == ","))
    return best if counts[best] else ","


def _first_line(text: str) -> str:
    end = len(text)
    for stop in ("\r", "\n"):
        k = text.find(stop)
        if k >= 0:
            end = min(end, k)
    return text[:end]


@dataclass(frozen=True)
class _BadByte:
    """The first byte of a file that ``encoding`` cannot decode."""

    offset: int
    line: int
    before: bytes  # the line's bytes up to the bad byte (at most 64 KiB)
    byte: int
    non_ascii_before: bool


def _first_bad_byte(path: Path, encoding: str) -> _BadByte | None:
    """Scan ``path`` in blocks with an incremental decoder (memory bounded): the first byte
    ``encoding`` cannot decode, or None if the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    pos, line, tail, non_ascii = 0, 1, b"", False
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(1 << 20)
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                buf, k = pending + chunk, exc.start  # buf starts len(pending) bytes before pos
                head = chunk[: max(0, k - len(pending))]
                nl = head.rfind(b"\n")
                if nl >= 0:
                    before = head[nl + 1:]
                else:
                    before = tail + head if k >= len(pending) else tail[: len(tail) - (len(pending) - k)]
                return _BadByte(pos - len(pending) + k, line + head.count(b"\n"), before[-(1 << 16):],
                                buf[k], non_ascii or not buf[:k].isascii())
            if not chunk:
                return None
            non_ascii = non_ascii or not chunk.isascii()
            line += chunk.count(b"\n")
            nl = chunk.rfind(b"\n")
            tail = (tail + chunk)[-(1 << 16):] if nl < 0 else chunk[nl + 1:][-(1 << 16):]
            pos += len(chunk)


def _column_at(prefix: str, sep: str, header: list[str]) -> str | None:
    """Name of the column a line prefix ends in (quote-aware), None past the header."""
    try:
        k = max(len(next(csv.reader([prefix], delimiter=sep), [])) - 1, 0)
    except csv.Error:
        return None
    return header[k] if 0 <= k < len(header) else None


def _bad_byte_problem(bad: _BadByte, encoding: str, sep: str, header: list[str]) -> RowProblem:
    column = None if bad.line == 1 else _column_at(
        bad.before.decode(encoding if encoding != "cp1252" else "latin-1", errors="replace"), sep, header)
    where = f"byte 0x{bad.byte:02X} at byte offset {bad.offset:,}"
    if encoding.startswith("utf-8"):
        expected = (f"UTF-8 text like the rest of the file ({where} is not UTF-8: the file mixes "
                    "encodings; save it again as UTF-8)")
    else:
        expected = (f"text in one encoding ({where} cannot be decoded as UTF-8 nor as Windows-1252; "
                    "save the file again as UTF-8)")
    return RowProblem(bad.line, column, None, expected)


_MAX_ROW_PROBLEMS = 100


def _bad_rows(path: Path, encoding: str, sep: str, header: list[str]) -> tuple[RowProblem, ...]:
    """Rows whose number of fields differs from the header's, or where a quoted value does
    not close (a stray quote); read with Python's csv module, which counts lines."""
    width = len(header)
    found: list[RowProblem] = []
    records = 0
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=sep)
        next(reader, None)
        last = reader.line_num
        while True:
            try:
                record = next(reader, None)
            except csv.Error:  # a quoted value longer than the csv module's field limit
                found.append(_runaway_quote(path, encoding, sep, header, last + 1))
                break
            if record is None:
                break
            start, end, last = last + 1, reader.line_num, reader.line_num
            records += bool(record)
            if not record or len(record) == width:
                continue
            if len(found) == _MAX_ROW_PROBLEMS:
                found.append(RowProblem(start, None, None, f"no more broken rows (the first "
                                                           f"{_MAX_ROW_PROBLEMS} are listed above; this and "
                                                           "later ones are not)"))
                break
            spans = [k for k, v in enumerate(record) if "\n" in v or "\r" in v]
            if end > start and spans:
                column = header[spans[0]] if spans[0] < width else None
                until = "the end of the file" if handle.read(1) == "" else f"row {end}"
                found.append(RowProblem(start, column, None, f'a closing quote (") for the value that starts '
                                                             f"in this row (it runs on to {until}: a stray quote?)"))
                break  # what follows is read as part of that value
            if len(record) > width:
                found.append(RowProblem(start, None, None, f"{width} fields as in the header row (got "
                                                           f"{len(record)}: a separator too many, e.g. an "
                                                           f"unquoted {sep!r} in a value?)"))
            else:
                found.append(RowProblem(start, header[len(record)], None,
                                        f"{width} fields as in the header row (got {len(record)}: the "
                                        f"values from column {header[len(record)]!r} on are missing)"))
    every = len(found) in (records, _MAX_ROW_PROBLEMS + 1)
    return (_title_row(found, width) if every else None) or tuple(found)


def _title_row(found: list[RowProblem], width: int) -> tuple[RowProblem, ...] | None:
    """One problem for row 1 when every row below it has the same other number of fields
    (``found`` lists every data row): row 1 is a title above the header."""
    counts = {re.search(r"\(got (\d+)", p.expected).group(1) for p in found if "(got " in p.expected}
    if len(found) < 2 or found[0].row != 2 or len(counts) != 1:
        return None
    return (RowProblem(1, None, None, f"the header row as row 1, with as many fields as the rows below it "
                                      f"(row 1 has {width}, the rows below {counts.pop()}: a title row above the "
                                      "header? delete it)"),)


_MAGIC = {b"PK\x03\x04": "a ZIP archive (an Excel .xlsx file renamed to .csv?)",
          b"PAR1": "a Parquet file renamed to .csv?",
          b"\xd0\xcf\x11\xe0": "an old Excel .xls file renamed to .csv?"}


def _binary_kind(head: bytes) -> str | None:
    """What a file that is not text is (by its first bytes), or None for text.

    Text has few control characters (a stray one in a cell is for the cell checks); more
    than 1 % of the first bytes means binary junk, a renamed workbook or UTF-16 without BOM
    (UTF-16 with a BOM is text).
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return what
    control = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    if control <= max(2, len(head) // 100):
        return None
    if head.count(b"\x00") > len(head) // 10:
        return "NUL bytes (UTF-16 text without a byte order mark, or not a text file)"
    return "control characters (not a text file)"


def _runaway_quote(path: Path, encoding: str, sep: str, header: list[str], row: int) -> RowProblem:
    """The problem of a quote opened in line ``row`` that runs on for more than a field may hold."""
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        line = next(itertools.islice(handle, row - 1, None), "")
    quote = line.find('"')
    column = _column_at(line[:quote], sep, header) if quote >= 0 else None
    return RowProblem(row, column, None, 'a closing quote (") for the value that starts in this row (it runs on '
                                         "for more than 128 KiB: a stray quote?)")


def _read_csv(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip():
        raise ValueError("the file is empty")
    binary = _binary_kind(head)
    if binary:
        raise ValueError(f"binary data, not text: {binary}")
    encoding = sniff_encoding(head)
    text = head.decode(encoding, errors="replace")
    line = _first_line(text.lstrip("\ufeff"))
    sep = sniff_separator(line)
    header = next(csv.reader([line], delimiter=sep))
    names = [f"c{k}" for k in range(len(header))]

    def attempt(enc: str, newlines: bool) -> pd.DataFrame:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(
                encoding="utf8" if enc in ("utf-8", "utf-8-sig") else enc,
                column_names=names,
                skip_rows=1,
                block_size=1 << 24,
            ),
            parse_options=pcsv.ParseOptions(delimiter=sep, newlines_in_values=newlines),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        frame = table.to_pandas(split_blocks=True, self_destruct=True)
        del table
        pa.default_memory_pool().release_unused()
        return frame

    def undecodable(enc: str) -> UnreadableFileError | None:
        bad = _first_bad_byte(path, "utf-8" if enc == "utf-8-sig" else enc)  # a BOM counts as UTF-8 text
        if bad is None:
            return None
        if enc == "utf-8" and not bad.non_ascii_before:
            return None  # ASCII up to a byte that is not UTF-8: a Windows-1252 file
        return UnreadableFileError(path.name, "CSV", "", (_bad_byte_problem(bad, enc, sep, header),))

    try:
        try:
            frame = attempt(encoding, False)
        except pa.ArrowInvalid as exc:
            if encoding.startswith("utf-8") and "utf8" in str(exc).casefold().replace("-", ""):
                located = undecodable(encoding)
                if located is not None:
                    raise located from None
                encoding = "cp1252"  # ASCII at the start, Windows-1252 further down
                frame = attempt(encoding, False)
            else:
                frame = attempt(encoding, True)  # maybe a quoted value spans lines
    except pa.ArrowInvalid as exc:
        rows = _bad_rows(path, encoding, sep, header)
        if rows:
            raise UnreadableFileError(path.name, "CSV", "", rows) from None
        raise ValueError(str(exc).splitlines()[0]) from None
    except (UnicodeDecodeError, LookupError) as exc:
        located = undecodable(encoding) if isinstance(exc, UnicodeDecodeError) else None
        if located is not None:
            raise located from None
        raise ValueError(f"cannot decode the text as UTF-8 or Windows-1252 ({exc})") from None
    frame.columns = header
    frame.attrs["encoding"] = encoding
    frame.attrs["separator"] = sep
    return frame


def _infer_object_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Give object columns holding only numbers (or only datetimes) a numeric (datetime) dtype."""
    out = {}
    for name in frame.columns:
        col = frame[name]
        kind = pd.api.types.infer_dtype(col, skipna=True)
        if kind in ("integer", "floating", "mixed-integer-float"):
            col = pd.to_numeric(col)
        elif kind in ("datetime", "datetime64"):
            col = pd.to_datetime(col)
        elif kind == "date":
            col = pd.to_datetime(col)
        elif kind == "empty":
            col = col.astype(float)
        out[name] = col
    result = pd.DataFrame(out, index=frame.index)
    result.columns = list(frame.columns)
    return result


_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
#: Rows searched for a misplaced header: the first rows of the first sheet below row 1 and of
#: the other sheets of a workbook (the hint "the header must be row 1 of the first sheet").
HEADER_SEARCH_ROWS = 20


def _has_formulas(archive: Any, member: str) -> bool:
    """Whether a worksheet's XML holds a formula element (scanned in blocks, no parsing)."""
    with archive.open(member) as src:
        tail = b""
        for block in iter(lambda: src.read(1 << 20), b""):
            if _FORMULA_TAG.search(tail + block):
                return True
            tail = block[-16:]
    return False


def _uncalculated_formulas(archive: Any, member: str) -> list[tuple[str, str]]:
    """(cell reference, formula) of formula cells saved without a calculated value.

    A file written by a program that does not calculate (a script, a converter) keeps the
    formula and no value; reading only values would make such cells silently empty. A
    formula whose saved result is the empty text (``t="str"``) has a value.
    """
    from xml.etree.ElementTree import iterparse

    found: list[tuple[str, str]] = []
    with archive.open(member) as src:
        for _, elem in iterparse(src, events=("end",)):
            if elem.tag != f"{_SHEET_NS}c":
                if elem.tag == f"{_SHEET_NS}row":
                    elem.clear()
                continue
            formula = elem.find(f"{_SHEET_NS}f")
            if formula is not None:
                value = elem.find(f"{_SHEET_NS}v")
                cached = value is not None and (value.text or elem.get("t") in ("str", "inlineStr"))
                if not cached:
                    found.append((elem.get("r", "?"), formula.text or ""))
    return found


def _cell_position(ref: str) -> tuple[int, int] | None:
    """(row, 0-based column) of an A1 reference such as ``B7``."""
    m = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref)
    if m is None:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - ord("A") + 1
    return int(m.group(2)), col - 1


def _read_xlsx(path: Path) -> pd.DataFrame:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ValueError("the first sheet is empty")
        body = list(rows)
        member = getattr(sheet, "_worksheet_path", None)
        formulas = _uncalculated_formulas(book._archive, member) \
            if member and _has_formulas(book._archive, member) else []
        others = {str(ws.title): [tuple(r) for r in ws.iter_rows(values_only=True, max_row=HEADER_SEARCH_ROWS)]
                  for ws in book.worksheets[1:] if hasattr(ws, "iter_rows")}
    finally:
        book.close()
    width = len(header)
    while width and header[width - 1] is None and all(len(r) < width or r[width - 1] is None for r in body):
        width -= 1  # trailing empty columns of the used range
    names = ["" if h is None else str(h) for h in header[:width]]
    if formulas:
        problems = []
        for ref, text in formulas:
            row, col = _cell_position(ref) or (0, -1)
            shown = "=" + text if len(text) < 40 else "=" + text[:36] + "..."
            problems.append(RowProblem(row, names[col] if 0 <= col < width else None, shown,
                                       f"a value, not a formula without a saved result (cell {ref}; open the "
                                       "file in Excel and save it, or paste the cells as values)"))
        raise UnreadableFileError(path.name, format_name(path), "", tuple(problems))
    data = np.empty((len(body), width), dtype=object)
    data[:] = None
    for k, r in enumerate(body):
        cells = r[:width]
        data[k, : len(cells)] = cells
    frame = pd.DataFrame(data, columns=range(width))
    frame = _infer_object_columns(frame)
    frame.columns = names
    frame.attrs["other_sheets"] = others
    return frame


def _labelled(codes: pd.DataFrame, labelled: pd.DataFrame) -> dict[str, dict[Any, str]]:
    out: dict[str, dict[Any, str]] = {}
    for name in labelled.columns:
        if isinstance(labelled[name].dtype, pd.CategoricalDtype):
            pairs = pd.DataFrame({"code": codes[name], "label": labelled[name].astype(object)}).dropna()
            pairs = pairs.drop_duplicates("code")
            out[str(name)] = {c: str(v) for c, v in zip(pairs["code"], pairs["label"]) if str(v) != str(c)}
    return out


def _read_dta(path: Path) -> pd.DataFrame:
    frame = pd.read_stata(path, convert_categoricals=False)
    try:
        labelled = pd.read_stata(path, convert_categoricals=True)
        frame.attrs["value_labels"] = _labelled(frame, labelled)
    except ValueError:  # non-unique labels: keep the codes
        frame.attrs["value_labels"] = {}
    return frame


def _read_sav(path: Path) -> pd.DataFrame:
    import pyreadstat

    frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, dates_as_pandas_datetime=True)
    frame = _infer_object_columns(frame) if len(frame.columns) else frame
    frame.attrs["value_labels"] = {
        str(col): {code: str(label) for code, label in labels.items()}
        for col, labels in (meta.variable_value_labels or {}).items()
    }
    return frame


def _nonfinite_as_text(column: Any) -> pd.Series | None:
    """A float Parquet column holding NaN or infinity (not null) as an object column where
    those cells are the text ``NaN``, ``inf`` or ``-inf``; None when it holds none.

    pandas reads null and NaN alike as NaN; keeping the real value lets the checks report
    ``got 'inf'`` rather than an empty cell, and refuse a NaN (a failed computation) instead
    of taking it for a missing answer.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_floating(column.type):
        return None
    nan = pc.fill_null(pc.is_nan(column), False)
    inf = pc.fill_null(pc.is_inf(column), False)
    if not (pc.any(nan).as_py() or pc.any(inf).as_py()):
        return None
    values = column.to_numpy(zero_copy_only=False).astype(object)
    values[pc.is_null(column).to_numpy(zero_copy_only=False)] = None
    numbers = column.to_numpy(zero_copy_only=False)
    values[nan.to_numpy(zero_copy_only=False)] = "NaN"
    pos_inf = inf.to_numpy(zero_copy_only=False) & (np.nan_to_num(numbers, nan=0.0) > 0)
    values[pos_inf] = "inf"
    values[inf.to_numpy(zero_copy_only=False) & ~pos_inf] = "-inf"
    return pd.Series(values, dtype=object)


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    import pyarrow as pa

    ints = {t: pd.Int64Dtype() for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64(),
                                          pa.uint8(), pa.uint16(), pa.uint32())}
    table = pq.read_table(path)
    for k, (name, col) in enumerate(zip(table.column_names, table.columns)):
        if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type) or pa.types.is_fixed_size_binary(col.type):
            try:  # bytes that are UTF-8 text are text; others are no cell fip can read
                table = table.set_column(k, name, col.cast(pa.string()))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise ValueError(f"column {mask_personal(name)!r} holds bytes that are not UTF-8 text") from None
    special = {name: s for name, col in zip(table.column_names, table.columns)
               if (s := _nonfinite_as_text(col)) is not None}
    frame = table.to_pandas(date_as_object=False, types_mapper=ints.get, split_blocks=True, self_destruct=True)
    del table
    pa.default_memory_pool().release_unused()  # hand the converted Arrow buffers back to the OS
    for name, values in special.items():
        frame[name] = values.to_numpy()
    return frame


def _nfc_column(col: pd.Series) -> pd.Series:
    """Text of a column in Unicode normal form C (``Å`` as one character, not ``A`` + ring);
    the column itself when it has no text that changes."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        if cats.dtype == object or pd.api.types.is_string_dtype(cats.dtype):
            fixed = _nfc_column(pd.Series(cats, dtype=cats.dtype))
            if not fixed.equals(pd.Series(cats, dtype=cats.dtype)):
                return _nfc_column(col.astype(object))  # normalising may merge two categories
        return col
    arrow = getattr(col.array, "_pa_array", None)
    if arrow is not None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if not pa.types.is_string(arrow.type) and not pa.types.is_large_string(arrow.type):
            return col
        if pc.all(pc.fill_null(pc.string_is_ascii(arrow), True)).as_py():
            return col
        return pd.Series(pd.array(pc.utf8_normalize(arrow, "NFC"), dtype=col.dtype), index=col.index, name=col.name)
    if col.dtype != object:
        return col
    values = col.to_numpy()
    changed = False
    out = values.copy()
    for k, v in enumerate(values):
        if isinstance(v, str) and not v.isascii():
            n = unicodedata.normalize("NFC", v)
            if n != v:
                out[k], changed = n, True
    return pd.Series(out, index=col.index, name=col.name, dtype=object) if changed else col


def _nfc_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Header and text cells of a raw table in Unicode normal form C."""
    names = [unicodedata.normalize("NFC", n) if isinstance(n, str) else n for n in frame.columns]
    for k in range(frame.shape[1]):
        col = frame.iloc[:, k]
        fixed = _nfc_column(col)
        if fixed is not col:
            frame.isetitem(k, fixed.to_numpy() if fixed.dtype == object else fixed.array)
    frame.columns = names
    return frame


_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    ".csv": _read_csv,
    ".parquet": _read_parquet,
    ".xlsx": _read_xlsx,
    ".dta": _read_dta,
    ".sav": _read_sav,
}


def read_table(path: str | Path) -> pd.DataFrame:
    """The raw cells of one table file (first sheet of a workbook), header as column names.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.parquet``, ``.xlsx``, ``.dta`` or ``.sav`` file.

    Returns
    -------
    DataFrame
        One row per data row, in file order (row ``k`` of the frame is spreadsheet row
        ``k + 2``). CSV cells are text (empty cells are ``""``; separator ``;``, ``,`` or tab
        and encoding UTF-8 with or without BOM, UTF-16 or Windows-1252 are detected and
        recorded in ``attrs["separator"]`` and ``attrs["encoding"]``). Other formats keep
        their types (numbers, datetimes); Parquet NaN and infinity arrive as the text
        ``NaN``, ``inf``, ``-inf`` (null stays missing). Stata and SPSS value labels are kept
        apart in ``attrs["value_labels"]`` (column -> {code: label}); the cells hold the
        codes. A workbook's other sheets lend their first :data:`HEADER_SEARCH_ROWS` rows to
        ``attrs["other_sheets"]`` (title -> rows), for the hint that the header belongs in row
        1 of the first sheet. Header and text are in Unicode normal form C.

    Raises
    ------
    UnreadableFileError
        If the file cannot be read (message names the file, the format and the error), or
        has rows that cannot be read: CSV rows with another number of fields than the header,
        a quote that does not close, a byte that is not in the file's encoding (UTF-8 once
        UTF-8 characters were seen; see :func:`sniff_encoding`), workbook formulas saved
        without a result. Those are in ``rows``, one :class:`RowProblem` each.
    FipError
        If the extension is not one of :data:`EXTENSIONS`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "persons.csv"
    >>> _ = p.write_bytes("person_id;gender\\n007;K\\n".encode("cp1252"))
    >>> read_table(p).to_dict("list")
    {'person_id': ['007'], 'gender': ['K']}
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in _READERS:
        raise FipError(f"{p.name}: unsupported file type {ext!r}; expected one of {', '.join(EXTENSIONS)}")
    try:
        frame = _nfc_frame(_READERS[ext](p))
    except FipError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure means "unreadable file"
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableFileError(p.name, format_name(p), detail) from None
    frame.attrs.setdefault("value_labels", {})
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- parsing cells


def _is_text_like(values: pd.Series) -> bool:
    dtype = values.dtype
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    ) or isinstance(dtype, pd.CategoricalDtype)


def _numbers_as_text(values: pd.Series) -> pd.Series:
    arr = values.to_numpy(dtype=float, na_value=np.nan)
    out = np.full(arr.shape, None, dtype=object)
    ok = np.isfinite(arr)
    whole = ok & (arr == np.round(arr)) & (np.abs(arr) < 2**53)
    out[whole] = arr[whole].astype(np.int64).astype(str)
    frac = ok & ~whole
    out[frac] = [repr(float(v)) for v in arr[frac]]
    return pd.Series(out, index=values.index, dtype=TEXT_DTYPE)


def as_text(values: Any) -> pd.Series:
    """Cells as stripped text (string dtype); empty and blank cells become missing.

    Whole numbers print without a decimal part (an id read as ``123.0`` gives ``"123"``).

    Examples
    --------
    >>> as_text(pd.Series([" a ", "", None, 3.0])).tolist()
    ['a', nan, nan, '3']
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype):  # e.g. dictionary-encoded parquet: convert the categories only
        cats = as_text(pd.Series(s.cat.categories))
        taken = pd.array(cats, dtype=TEXT_DTYPE).take(s.cat.codes.to_numpy(dtype=np.intp), allow_fill=True)
        return pd.Series(taken, index=s.index)
    if pd.api.types.is_bool_dtype(s.dtype):
        out = s.astype(object).where(s.notna()).map({True: "true", False: "false"}).astype(TEXT_DTYPE)
    elif pd.api.types.is_numeric_dtype(s.dtype):
        out = _numbers_as_text(s)
    elif s.dtype == object:
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("floating", "mixed-integer-float", "integer"):
            out = _numbers_as_text(pd.to_numeric(s))
        elif kind.startswith("mixed"):  # e.g. a spreadsheet column of text and numbers
            is_num = s.map(lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool)).to_numpy(bool)
            out = s.astype(TEXT_DTYPE)
            if is_num.any():
                out[is_num] = _numbers_as_text(pd.to_numeric(s[is_num])).to_numpy()
        else:
            out = s.astype(TEXT_DTYPE)
    else:
        out = s.astype(TEXT_DTYPE)
    return _strip_blank(out)


def _strip_blank(out: pd.Series) -> pd.Series:
    """Strip text and make empty text missing, without copying when nothing changes."""
    arrow = getattr(out.array, "_pa_array", None)
    if arrow is not None:
        import pyarrow.compute as pc

        trimmed = pc.utf8_trim_whitespace(arrow)
        if pc.sum(pc.binary_length(trimmed)).as_py() != pc.sum(pc.binary_length(arrow)).as_py():
            out = pd.Series(pd.array(trimmed, dtype=TEXT_DTYPE), index=out.index)
            arrow = trimmed
        del trimmed  # unchanged text: keep the original buffers, drop the copy
        blank = pc.equal(arrow, "")
        if pc.any(blank).as_py():
            out = out.mask(blank.to_numpy(zero_copy_only=False).astype(bool, copy=False))
        return out
    out = out.str.strip()
    return out.mask(out == "")


def _on_uniques(text: pd.Series, fn: Callable[[pd.Series], np.ndarray], fill: Any) -> np.ndarray:
    """Apply ``fn`` to the distinct non-missing values of ``text``; spread back to all rows."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    parsed = np.asarray(fn(pd.Series(np.asarray(uniques, dtype=object), dtype=TEXT_DTYPE)))
    out = np.concatenate([parsed, np.array([fill], dtype=parsed.dtype)])
    return out[codes]  # code -1 picks the fill value


_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"


def _numbers_from_text(u: pd.Series) -> np.ndarray:
    ok = u.str.fullmatch(_NUMBER).fillna(False).to_numpy(dtype=bool)
    out = np.full(len(u), np.nan)
    if ok.any():
        out[ok] = pd.to_numeric(u[ok].str.replace(",", ".", regex=False)).to_numpy(dtype=float)
    out[~np.isfinite(out)] = np.nan
    return out


def parse_number(values: Any) -> pd.Series | float:
    """Numbers from cells: decimal point or comma (``0,25``), exponent allowed; float64.

    Empty cells and cells that are not a number (``x``, ``1.234,5``, ``inf``) give NaN;
    compare with :func:`as_text` to tell the two apart. A scalar gives a scalar.

    Examples
    --------
    >>> parse_number("4,5"), parse_number(" -1.5e2 ")
    (4.5, -150.0)
    """
    if np.isscalar(values) or values is None:
        return float(parse_number(pd.Series([values], dtype=object)).iloc[0])
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(np.nan, index=s.index, dtype=float)
    if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        arr = s.to_numpy(dtype=float, na_value=np.nan)
        arr = np.where(np.isfinite(arr), arr, np.nan)
        return pd.Series(arr, index=s.index, dtype=float)
    text = as_text(s)
    return pd.Series(_on_uniques(text, _numbers_from_text, np.nan), index=s.index, dtype=float)


_ISO = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?$"
_DANISH = r"^(\d{1,2})([-./])(\d{1,2})\2(\d{4})$"
_MONTH = r"^(\d{4})-(\d{1,2})$"


def _date_parts(u: pd.Series) -> pd.DataFrame:
    """year, month, day (float, NaN where no accepted format matches) of text dates."""
    iso = u.str.extract(_ISO)
    dan = u.str.extract(_DANISH)
    parts = pd.DataFrame(
        {
            "year": iso[0].fillna(dan[3]),
            "month": iso[1].fillna(dan[2]),
            "day": iso[2].fillna(dan[0]),
        }
    )
    return parts.apply(lambda c: pd.to_numeric(c, errors="coerce")).astype(float)


def _dates_from_parts(parts: pd.DataFrame) -> np.ndarray:
    ok = parts.notna().all(axis=1).to_numpy()
    out = np.full(len(parts), np.datetime64("NaT"), dtype=DATE_DTYPE)
    if ok.any():
        got = pd.to_datetime(parts[ok].astype("int64"), errors="coerce")
        out[ok] = got.to_numpy(dtype=DATE_DTYPE)
    return out


def parse_date(values: Any) -> pd.Series | pd.Timestamp:
    """Dates from cells: ``yyyy-mm-dd`` (a time part is dropped) or Danish ``dd-mm-yyyy``,
    ``dd.mm.yyyy``, ``dd/mm/yyyy`` (day and month may have one digit); datetime cells are
    floored to midnight. Returns ``datetime64[us]`` (NaT for empty or invalid cells, e.g.
    ``30-02-2017``). A scalar gives a scalar.

    Examples
    --------
    >>> parse_date("05.01.2017"), parse_date("2017-01-05 00:00:00")
    (Timestamp('2017-01-05 00:00:00'), Timestamp('2017-01-05 00:00:00'))
    """
    if np.isscalar(values) or values is None or isinstance(values, (_dt.date, pd.Timestamp)):
        return parse_date(pd.Series([values], dtype=object)).iloc[0]
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return s.dt.normalize().astype(DATE_DTYPE)
    if isinstance(s.dtype, pd.PeriodDtype):
        return s.dt.to_timestamp().astype(DATE_DTYPE)
    if not _is_text_like(s):
        return pd.Series(np.datetime64("NaT"), index=s.index, dtype=DATE_DTYPE)
    text = as_text(s)
    arr = _on_uniques(text, lambda u: _dates_from_parts(_date_parts(u)), np.datetime64("NaT"))
    return pd.Series(arr, index=s.index, dtype=DATE_DTYPE)


_NAT_ORDINAL = np.iinfo(np.int64).min


def _months_from_text(u: pd.Series) -> np.ndarray:
    m = u.str.extract(_MONTH).apply(lambda c: pd.to_numeric(c, errors="coerce")).astype(float)
    year, month = m[0].to_numpy(copy=True), m[1].to_numpy(copy=True)
    dates = _dates_from_parts(_date_parts(u))
    has_date = ~np.isnat(dates)
    as_period = pd.DatetimeIndex(dates[has_date]).to_period("M")
    year[has_date] = as_period.year
    month[has_date] = as_period.month
    ok = np.isfinite(year) & np.isfinite(month) & (month >= 1) & (month <= 12)
    out = np.full(len(u), _NAT_ORDINAL, dtype=np.int64)
    out[ok] = (year[ok].astype(np.int64) - 1970) * 12 + month[ok].astype(np.int64) - 1
    return out


def parse_month(values: Any) -> pd.Series | pd.Period:
    """Calendar months from cells: ``yyyy-mm`` or any date :func:`parse_date` accepts (its
    month); datetime and period cells are converted. Returns ``period[M]`` (NaT for empty
    or invalid cells such as ``2017-13``). A scalar gives a scalar.

    Examples
    --------
    >>> parse_month("2017-3"), parse_month("15-03-2017")
    (Period('2017-03', 'M'), Period('2017-03', 'M'))
    """
    if np.isscalar(values) or values is None or isinstance(values, (_dt.date, pd.Timestamp, pd.Period)):
        return parse_month(pd.Series([values], dtype=object)).iloc[0]
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(s.dtype, pd.PeriodDtype):
        return s if s.dtype == MONTH_DTYPE else s.dt.asfreq("M")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return s.dt.to_period("M")
    if not _is_text_like(s):
        return pd.Series(pd.arrays.PeriodArray(np.full(len(s), _NAT_ORDINAL), dtype=MONTH_DTYPE), index=s.index)
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) == "period":
        return pd.Series(pd.PeriodIndex(s, freq="M"), index=s.index)
    text = as_text(s)
    ordinals = _on_uniques(text, _months_from_text, _NAT_ORDINAL)
    return pd.Series(pd.arrays.PeriodArray(ordinals, dtype=MONTH_DTYPE), index=s.index)


def parse_bool(values: Any, words: Mapping[str, bool] | None = None) -> pd.Series:
    """Booleans from cells (``boolean`` dtype, NA for empty or unknown cells).

    Accepts booleans, the numbers 1 and 0 (also ``1,0``) and the words in ``words``
    (case-insensitive; default :data:`DEFAULT_BOOLEANS`: true/false, yes/no, ja/nej,
    sand/falsk, ...).

    Examples
    --------
    >>> parse_bool(pd.Series(["Ja", "FALSK", "1", "2", ""])).tolist()
    [True, False, True, <NA>, <NA>]
    """
    table = {str(k).casefold(): bool(v) for k, v in (words or DEFAULT_BOOLEANS).items()}
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        num = s.to_numpy(dtype=float, na_value=np.nan)
        out = pd.array(num == 1, dtype="boolean")
        out[~np.isin(num, (0.0, 1.0))] = pd.NA
        return pd.Series(out, index=s.index)

    def lookup(u: pd.Series) -> np.ndarray:
        folded = u.str.casefold()
        res = folded.map(table).to_numpy(dtype=object, copy=True)
        num = _numbers_from_text(u)
        fill = pd.isna(res) & np.isin(num, (0.0, 1.0))
        res[fill] = num[fill] == 1
        return res

    arr = _on_uniques(as_text(s), lookup, None)
    return pd.Series(pd.array(arr, dtype="boolean"), index=s.index)


def parse_code(values: Any, codes: Mapping[str, str]) -> pd.Series:
    """Canonical codes from cells via a case-folded alias table (string dtype).

    ``codes`` maps each accepted spelling (case-folded) to its code, e.g. ``{"k": "female"}``.
    An entry for ``""`` gives the code of empty cells; otherwise empty and unknown cells are
    missing.

    Examples
    --------
    >>> parse_code(pd.Series(["K", " mand ", "x"]), {"k": "female", "m": "male", "mand": "male"}).tolist()
    ['female', 'male', nan]
    """
    table = {str(k).strip().casefold(): v for k, v in codes.items()}
    text = as_text(values)

    def lookup(u: pd.Series) -> np.ndarray:
        return u.str.casefold().map(table).to_numpy(dtype=object)

    arr = _on_uniques(text, lookup, table.get("", None))
    return pd.Series(arr, index=text.index, dtype=TEXT_DTYPE)
