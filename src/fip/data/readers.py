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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fip.data.dataset import DATE_DTYPE, MONTH_DTYPE, TABLES, TEXT_DTYPE
from fip.errors import FipError, mask_personal

__all__ = [
    "EXTENSIONS",
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
    """

    def __init__(self, file: str, kind: str, detail: str):
        self.file, self.kind, self.detail = file, kind, mask_personal(detail)
        super().__init__(f"{file}: not a readable {kind} file (error: {self.detail})")


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
    is tolerated. Windows-1252 is the encoding of Danish Excel "CSV (semikolonsepareret)".

    Examples
    --------
    >>> sniff_encoding("æøå".encode("utf-8")), sniff_encoding("æøå".encode("cp1252"))
    ('utf-8', 'cp1252')
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
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


def _read_csv(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip():
        raise ValueError("the file is empty")
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

    try:
        try:
            frame = attempt(encoding, False)
        except pa.ArrowInvalid as exc:
            if encoding == "utf-8" and "utf8" in str(exc).casefold().replace("-", ""):
                encoding = "cp1252"  # valid UTF-8 at the start, Windows-1252 further down
                frame = attempt(encoding, False)
            else:
                frame = attempt(encoding, True)  # maybe a quoted value spans lines
    except pa.ArrowInvalid as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    except (UnicodeDecodeError, LookupError) as exc:
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
    finally:
        book.close()
    width = len(header)
    while width and header[width - 1] is None and all(len(r) < width or r[width - 1] is None for r in body):
        width -= 1  # trailing empty columns of the used range
    names = ["" if h is None else str(h) for h in header[:width]]
    data = np.empty((len(body), width), dtype=object)
    data[:] = None
    for k, r in enumerate(body):
        cells = r[:width]
        data[k, : len(cells)] = cells
    frame = pd.DataFrame(data, columns=range(width))
    frame = _infer_object_columns(frame)
    frame.columns = names
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


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    import pyarrow as pa

    ints = {t: pd.Int64Dtype() for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64(),
                                          pa.uint8(), pa.uint16(), pa.uint32())}
    frame = pq.read_table(path).to_pandas(date_as_object=False, types_mapper=ints.get, split_blocks=True,
                                          self_destruct=True)
    pa.default_memory_pool().release_unused()  # hand the converted Arrow buffers back to the OS
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
        their types (numbers, datetimes). Stata and SPSS value labels are kept apart in
        ``attrs["value_labels"]`` (column -> {code: label}); the cells hold the codes.

    Raises
    ------
    UnreadableFileError
        If the file cannot be read (message names the file, the format and the error).
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
        frame = _READERS[ext](p)
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
