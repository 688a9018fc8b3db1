"""Check one form (a row of the ``forms`` table) as the dataset validator checks it.

:func:`fip.data.dataset_from_frames` checks whole tables with pandas; that costs tens of
milliseconds even for one row. A service that stores one form at a time checks just that
form with :func:`check_form_row`: the same rules from the same schema
(``configs/schema.yaml`` via :func:`fip.data.schema.load_schema`: required cells, codes and
their aliases, the scale, the date bounds, items of the other respondent left empty) and
the same rule across tables (an arrival date after a form), giving the same problems
(``tests/test_form_row.py`` compares the two on random rows). A repeated key (one form per
person, respondent and day) is a matter of the table the row joins (a database's unique key).

Examples
--------
>>> from fip.instrument import load_instrument
>>> inst = load_instrument()
>>> row = {"person_id": "a", "caseworker_id": "k1", "respondent": "citizen",
...        "answered_on": "2017-01-10", "language": "ar", **{i: 4 for i in inst.item_ids("citizen")}}
>>> check_form_row(row, inst)
[]
>>> problems = check_form_row({**row, "c03": 9, "answered_on": "1999-12-31"}, inst)
>>> [(p.column, p.value) for p in problems]
[('answered_on', '1999-12-31'), ('c03', '9')]
>>> problems[0].expected
'a date from 2000-01-01 on (an earlier date is a typo or a default date)'
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from typing import Any

from fip.data.readers import _DANISH, _ISO, _NUMBER
from fip.data.schema import ColumnSpec, Schema, load_schema
from fip.data.validate import Today, _today
from fip.errors import Problem
from fip.instrument import Instrument, load_instrument
from fip.personal import mask_personal

__all__ = ["check_form_row"]

_NUMBER_RE, _ISO_RE, _DANISH_RE = re.compile(_NUMBER), re.compile(_ISO), re.compile(_DANISH)
_HIDDEN = frozenset({"person_id"})
_DATE_TEXT = "a date dd-mm-yyyy or yyyy-mm-dd (also dd.mm.yyyy, dd/mm/yyyy)"


#: Schemas of the instruments checked lately, by object identity (an Instrument holds dicts
#: and is not hashable); the instrument is kept with its schema so the identity stays valid.
_SCHEMAS: dict[int, tuple[Instrument, Schema]] = {}


def _schema(instrument: Instrument) -> Schema:
    hit = _SCHEMAS.get(id(instrument))
    if hit is None or hit[0] is not instrument:
        if len(_SCHEMAS) >= 8:
            _SCHEMAS.clear()
        hit = _SCHEMAS[id(instrument)] = (instrument, load_schema(instrument))
    return hit[1]


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _text(value: Any) -> str:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return math.nan
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else math.nan
    text = str(value).strip()
    if not _NUMBER_RE.fullmatch(text):
        return math.nan
    number = float(text.replace(",", "."))
    return number if math.isfinite(number) else math.nan


def _date(value: Any) -> _dt.date | None:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    text = str(value).strip()
    m = _ISO_RE.match(text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DANISH_RE.match(text)
        if not m:
            return None
        y, mo, d = int(m.group(4)), int(m.group(3)), int(m.group(1))
    try:
        return _dt.date(y, mo, d)
    except ValueError:
        return None


def _cell(spec: ColumnSpec, value: Any, today: _dt.date) -> tuple[Any, list[str]]:
    """The normalised value of one cell (None if invalid or empty) and what was expected."""
    empty = _is_empty(value)
    t = spec.type
    if t in ("id", "text"):
        return (None if empty else _text(value)), []
    if t == "code":
        code = spec.codes.get("" if empty else _text(value).casefold())
        return code, ([] if empty or code is not None else [spec.describe_codes()])
    if t in ("integer", "score"):
        if empty:
            return None, []
        hi = float(today.year) if spec.max_this_year else spec.max
        number = _number(value)
        ok = (not math.isnan(number) and number == round(number) and (spec.min is None or number >= spec.min)
              and (hi is None or number <= hi))
        if ok:
            return int(number), []
        if t == "score":
            return None, [f"empty or a whole number from {spec.min:g} to {hi:g} (the instrument's scale)"]
        return None, [f"a whole number from {spec.min:g} to {hi:g}" + (" (not after this year)" if spec.max_this_year
                                                                        else "")]
    if t == "date":
        if empty:
            return None, []
        day = _date(value)
        if day is None:
            return None, [_DATE_TEXT]
        if day > today:
            return None, [f"a date not after today ({today:%Y-%m-%d})"]
        if spec.earliest is not None and day < spec.earliest:
            return None, [f"a date from {spec.earliest:%Y-%m-%d} on (an earlier date is a typo or a default date)"]
        return day, []
    raise ValueError(f"check_form_row: a forms column of type {t!r} is not supported")


def check_form_row(
    row: Mapping[str, Any],
    instrument: Instrument | None = None,
    *,
    arrival_date: _dt.date | None = None,
    today: Today = None,
    file: str = "forms",
    row_number: int = 2,
    persons_file: str = "persons",
    persons_row: int = 2,
) -> list[Problem]:
    """Problems of one form, as :func:`fip.data.dataset_from_frames` would list them.

    Parameters
    ----------
    row : mapping column -> cell
        The form: ``person_id``, ``caseworker_id``, ``respondent``, ``answered_on``,
        ``language``, optional columns, and the item columns. Cells may be text (as in a
        file) or typed (int, ``datetime.date``); a column that is absent is an empty cell.
    instrument : Instrument, optional
        Default: the FIP instrument.
    arrival_date : date, optional
        The person's arrival date: a form answered before it is a problem of the persons
        row (an arrival date not after the person's first form), as across tables.
    today : date, optional
        Dates after this day are problems (default: today).
    file, row_number, persons_file, persons_row
        Where the problems say they are (default: a one-row table, row 2 as in a
        spreadsheet).

    Returns
    -------
    list of Problem
        In the validator's order (the persons problem first, then cells by column); empty
        when the form is valid. A person id is never shown.
    """
    inst = instrument if instrument is not None else load_instrument()
    schema = _schema(inst)
    spec = schema.table("forms")
    placeholders = set(schema.placeholders or ())
    day = _today(today).date()
    cells: list[Problem] = []
    values: dict[str, Any] = {}
    for col in spec.columns:
        raw = row.get(col.name)
        if col.type in ("text", "code") and not _is_empty(raw) and _text(raw) in placeholders:
            raw = None   # "-" for "not stated" (schema placeholders)
        value, bad = _cell(col, raw, day)
        values[col.name] = value
        shown = None if col.name in _HIDDEN else mask_personal(_text(raw) if not _is_empty(raw) else "")
        cells.extend(Problem(file, row_number, col.name, shown, e) for e in bad)
        if col.required and value is None and _is_empty(raw):
            cells.append(Problem(file, row_number, col.name, None if col.name in _HIDDEN else "",
                                 "a value (this column must not be empty)"))
    respondent = values.get("respondent")
    if respondent is not None:
        for col in spec.columns:
            if col.type == "score" and col.respondent != respondent and not _is_empty(row.get(col.name)):
                cells.append(Problem(file, row_number, col.name, mask_personal(_text(row[col.name])),
                                     f"an empty cell ({col.name} is a {col.respondent} item; this is a "
                                     f"{respondent} form)"))
    order = {c.name: k for k, c in enumerate(spec.columns)}
    cells.sort(key=lambda p: order.get(p.column or "", -1))
    head: list[Problem] = []
    answered = values.get("answered_on")
    if arrival_date is not None and answered is not None and values.get("person_id") is not None \
            and arrival_date > answered:
        head.append(Problem(persons_file, persons_row, "arrival_date", f"{arrival_date:%Y-%m-%d}",
                            f"an arrival date not after the person's first form ({answered:%Y-%m-%d}, "
                            f"{file} row {row_number})"))
    return head + cells
