"""The layout of a FIP dataset as data: tables, columns, types and codes.

``configs/schema.yaml`` describes the three tables; :func:`load_schema` combines it with an
:class:`~fip.instrument.Instrument` (respondent and language codes, one score column per item)
into :class:`TableSpec` objects that the readers, the validator and the writer share.

Examples
--------
>>> from fip.data.schema import load_schema
>>> schema = load_schema()
>>> schema.table("outcomes").names
('person_id', 'month', 'employment_rate', 'ordinary_employment', 'education')
>>> schema.table("persons").column("gender").codes["k"]
'female'
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any


from fip._resources import config_path, read_config
from fip.errors import ConfigError
from fip.instrument import Instrument, load_instrument

__all__ = ["ColumnSpec", "Schema", "TableSpec", "TYPES", "load_schema", "schema_codes"]

#: Column types of the schema; ``score`` is an instrument item (whole number on the scale).
TYPES: tuple[str, ...] = ("id", "text", "integer", "date", "month", "proportion", "bool", "code", "score")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table.

    Attributes
    ----------
    name : str
    type : str
        One of :data:`TYPES`.
    required : bool
        Every cell must hold a value.
    optional : bool
        The column may be absent from the file (all others must be present).
    min, max : float or None
        Bounds of ``integer``, ``proportion`` and ``score`` columns.
    max_this_year : bool
        For ``integer`` columns given ``max: this_year``: the upper bound is the calendar year
        of the validation day (``max`` is then None).
    earliest : datetime.date or None
        For ``date`` columns: the first day accepted (``min`` in the schema file); dates
        after the validation day are refused in any case.
    codes : Mapping[str, str]
        For ``code`` columns: case-folded alias or code -> canonical code (``""`` maps empty
        cells to a code when the schema lists it as an alias).
    canonical : tuple of str
        The canonical codes, in schema order.
    respondent : str or None
        For ``score`` columns: the respondent whose form holds the item.
    """

    name: str
    type: str
    required: bool = False
    optional: bool = False
    min: float | None = None
    max: float | None = None
    max_this_year: bool = False
    earliest: _dt.date | None = None
    codes: Mapping[str, str] = field(default_factory=dict)
    canonical: tuple[str, ...] = ()
    respondent: str | None = None

    def describe_codes(self, limit: int = 12) -> str:
        """Plain-words list of accepted codes and aliases, for problem messages."""
        aliases = [a for a, c in self.codes.items() if a and a != c.casefold()]
        text = ", ".join(self.canonical)
        if aliases:
            shown = ", ".join(aliases[:limit]) + (", ..." if len(aliases) > limit else "")
            text += f" (or {shown})"
        return f"one of {text}"


@dataclass(frozen=True)
class TableSpec:
    """One table of a dataset: its columns (schema order, items last), its key and the
    fewest data rows it may have (``min_rows``: a header alone is a problem when 1)."""

    name: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    min_rows: int = 0

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        """The column spec named ``name`` (``KeyError`` if unknown)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


@dataclass(frozen=True)
class Schema:
    """The dataset layout for one instrument.

    Attributes
    ----------
    tables : Mapping[str, TableSpec]
        ``persons``, ``forms``, ``outcomes``.
    booleans : Mapping[str, bool]
        Case-folded words accepted in ``bool`` columns.
    instrument : Instrument
    placeholders : tuple of str
        Cell texts (e.g. ``-``) that count as empty in ``text`` and ``code`` columns.
    """

    tables: Mapping[str, TableSpec]
    booleans: Mapping[str, bool]
    instrument: Instrument
    placeholders: tuple[str, ...] = ()

    def table(self, name: str) -> TableSpec:
        if name not in self.tables:
            raise ValueError(f"table must be one of {tuple(self.tables)}; got {name!r}")
        return self.tables[name]


def _alias_map(name: str, canonical: list[str], aliases: Mapping[str, Any], source: str) -> dict[str, str]:
    out: dict[str, str] = {}

    def add(alias: Any, code: str) -> None:
        if isinstance(alias, bool) or alias is None:
            raise ConfigError(f"{source}: column {name}: alias {alias!r} of {code!r} must be quoted text")
        key = str(alias).strip().casefold()
        if out.get(key, code) != code:
            raise ConfigError(f"{source}: column {name}: alias {alias!r} maps to both {out[key]!r} and {code!r}")
        out[key] = code

    for code in canonical:
        add(code, code)
    for code, words in aliases.items():
        if code not in canonical:
            continue  # e.g. a respondent alias for a respondent this instrument does not have
        for word in words or []:
            add(word, code)
    return out


def _number(name: str, key: str, value: Any, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{source}: column {name}: {key} must be a number; got {value!r}")
    return float(value)


def _bounds(name: str, ctype: str, raw: Mapping[str, Any],
            source: str) -> tuple[float | None, float | None, bool, _dt.date | None]:
    """min, max, max_this_year and earliest of a column, checked."""
    if ctype == "proportion":
        return 0.0, 1.0, False, None
    if ctype == "date":
        if raw.get("max") is not None:
            raise ConfigError(f"{source}: column {name}: a date column has no max (dates after today are refused)")
        first = raw.get("min")
        if first is None:
            return None, None, False, None
        if isinstance(first, _dt.datetime):
            first = first.date()
        if isinstance(first, str):
            try:
                first = _dt.date.fromisoformat(first)
            except ValueError:
                first = None
        if not isinstance(first, _dt.date):
            raise ConfigError(f"{source}: column {name}: min must be a date yyyy-mm-dd; got {raw.get('min')!r}")
        return None, None, False, first
    lo = _number(name, "min", raw.get("min"), source)
    this_year = raw.get("max") == "this_year" and ctype == "integer"
    hi = None if this_year else _number(name, "max", raw.get("max"), source)
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"{source}: column {name}: min ({lo:g}) must not exceed max ({hi:g})")
    return lo, hi, this_year, None


def _column(name: str, raw: Mapping[str, Any], instrument: Instrument, source: str) -> ColumnSpec:
    ctype = raw.get("type")
    if ctype not in TYPES:
        raise ConfigError(f"{source}: column {name}: type must be one of {TYPES}; got {ctype!r}")
    codes: dict[str, str] = {}
    canonical: tuple[str, ...] = ()
    if ctype == "code":
        origin = raw.get("codes_from")
        aliases: dict[str, list[Any]] = {}
        if origin == "instrument.respondents":
            canonical = instrument.respondent_ids
            for r in instrument.respondents:  # labels (Borger, Sagsbehandler, ...) are aliases
                aliases.setdefault(r.id, []).extend(r.label.values())
        elif origin == "instrument.answer_languages":
            canonical = tuple(instrument.answer_languages)
        elif origin is None:
            listed = raw.get("codes")
            if not isinstance(listed, Mapping) or not listed:
                raise ConfigError(f"{source}: column {name}: a code column needs codes or codes_from")
            canonical = tuple(str(c) for c in listed)
            aliases = {str(c): list(v or []) for c, v in listed.items()}
        else:
            raise ConfigError(f"{source}: column {name}: unknown codes_from {origin!r}")
        for code, words in (raw.get("aliases") or {}).items():
            aliases.setdefault(str(code), []).extend(words or [])
        codes = _alias_map(name, list(canonical), aliases, source)
    lo, hi, this_year, earliest = _bounds(name, ctype, raw, source)
    return ColumnSpec(
        name=name,
        type=ctype,
        required=bool(raw.get("required", False)),
        optional=bool(raw.get("optional", False)),
        min=lo,
        max=hi,
        max_this_year=this_year,
        earliest=earliest,
        codes=codes,
        canonical=canonical,
    )


def load_schema(instrument: Instrument | None = None, path: str | Path | None = None) -> Schema:
    """Read ``configs/schema.yaml`` (or ``path``) and specialise it to ``instrument``.

    Parameters
    ----------
    instrument : Instrument, optional
        Default: the FIP instrument (:func:`fip.instrument.load_instrument`).
    path : str or Path, optional
        A schema file laid out like ``configs/schema.yaml``.

    Returns
    -------
    Schema

    Raises
    ------
    ConfigError
        If the file is missing or malformed (the message names the file and column).

    Examples
    --------
    >>> s = load_schema()
    >>> s.table("forms").column("c01").type, s.table("forms").column("c01").respondent
    ('score', 'citizen')
    """
    inst = instrument if instrument is not None else load_instrument()
    p = Path(path) if path is not None else config_path("schema.yaml")
    raw = read_config(p, "schema.yaml", "schema file")
    source = p.name
    if not isinstance(raw, Mapping) or not isinstance(raw.get("tables"), Mapping):
        raise ConfigError(f"{source}: expected a mapping with key 'tables'")

    booleans: dict[str, bool] = {}
    for flag, words in (raw.get("booleans") or {"true": ["1"], "false": ["0"]}).items():
        value = {"true": True, "false": False}.get(str(flag).casefold())
        if value is None:
            raise ConfigError(f"{source}: booleans: keys must be 'true' and 'false'; got {flag!r}")
        for word in words:
            booleans[str(word).strip().casefold()] = value

    tables: dict[str, TableSpec] = {}
    for tname, traw in raw["tables"].items():
        cols_raw = traw.get("columns") if isinstance(traw, Mapping) else None
        if not isinstance(cols_raw, Mapping):
            raise ConfigError(f"{source}: tables.{tname}: expected a mapping 'columns'")
        cols = [_column(str(n), c or {}, inst, source) for n, c in cols_raw.items()]
        if traw.get("items_from") == "instrument":
            taken = {c.name for c in cols}
            clash = [i for i in inst.item_ids() if i in taken]
            if clash:
                raise ConfigError(f"{source}: tables.{tname}: item ids {clash} clash with column names")
            cols += [
                ColumnSpec(name=it.id, type="score", min=inst.scale.min, max=inst.scale.max, respondent=it.respondent)
                for it in inst.items
            ]
        key = tuple(traw.get("key") or ())
        unknown = [k for k in key if k not in {c.name for c in cols}]
        if unknown:
            raise ConfigError(f"{source}: tables.{tname}.key: unknown column(s) {unknown}")
        min_rows = traw.get("min_rows", 0)
        if isinstance(min_rows, bool) or not isinstance(min_rows, int) or min_rows < 0:
            raise ConfigError(f"{source}: tables.{tname}.min_rows: expected a whole number >= 0; got {min_rows!r}")
        tables[str(tname)] = TableSpec(name=str(tname), key=key, columns=tuple(cols), min_rows=min_rows)
    placeholders = raw.get("placeholders") or []
    if not isinstance(placeholders, list) or not all(isinstance(w, str) and w.strip() for w in placeholders):
        raise ConfigError(f"{source}: placeholders: expected a list of non-empty texts; got {placeholders!r}")
    return Schema(tables=tables, booleans=booleans, instrument=inst,
                  placeholders=tuple(w.strip() for w in placeholders))


@cache
def schema_codes(table: str, column: str) -> tuple[str, ...]:
    """Canonical codes of a code column of the shipped schema (FIP instrument), in schema order.

    The one place Python reads codes such as ``female``/``male`` or ``job_ready`` from
    (``configs/schema.yaml``), instead of repeating them.

    Raises
    ------
    ConfigError
        If ``table.column`` is not a code column of the schema.

    Examples
    --------
    >>> schema_codes("persons", "gender")
    ('female', 'male')
    >>> schema_codes("forms", "visitation")
    ('job_ready', 'activity_ready', 'unknown')
    """
    schema = load_schema()
    try:
        spec = schema.table(table).column(column)
    except (KeyError, ValueError, ConfigError):
        spec = None
    if spec is None or spec.type != "code":
        raise ConfigError(f"schema.yaml: tables.{table}.columns.{column}: expected a code column")
    return tuple(spec.canonical)
