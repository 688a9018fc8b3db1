"""Render result tables: rich table, CSV, JSON, Markdown, HTML or LaTeX (booktabs)."""

from __future__ import annotations

import html
import io
import json
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from fip._atomic import atomic_write_text

from fip._options import FORMATS  # noqa: F401  (re-exported: fip._output.FORMATS)

if TYPE_CHECKING:  # pandas and numpy load on first use: `fip --help` stays fast
    import pandas as pd


def _display(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    """Round floats and blank missing values for reading (report layer only)."""
    import numpy as np
    import pandas as pd

    shown = frame.copy()
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col]):
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}")
        else:
            shown[col] = shown[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v))
    return shown


def _numeric(frame: pd.DataFrame) -> list[bool]:
    """Whether each column is numeric (right-aligned)."""
    from pandas.api.types import is_numeric_dtype

    return [is_numeric_dtype(frame[c]) for c in frame.columns]


def to_markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned)."""
    shown = _display(frame, digits)
    numeric = _numeric(frame)
    header = "| " + " | ".join(map(str, shown.columns)) + " |"
    rule = "|" + "|".join("---:" if num else ":---" for num in numeric) + "|"
    body = ["| " + " | ".join(row) + " |" for row in shown.itertuples(index=False, name=None)]
    return "\n".join([header, rule, *body]) + "\n"


def to_html(frame: pd.DataFrame, digits: int = 3, title: str | None = None,
            right: Collection[str] = ()) -> str:
    """A standalone HTML table (text escaped; numbers right-aligned, and the columns named in
    ``right``: numbers already formatted as text)."""
    shown = _display(frame, digits)
    numeric = [n or c in right for n, c in zip(_numeric(frame), frame.columns)]
    cell = lambda v, num, tag: f'<{tag}{" class=num" if num else ""}>{html.escape(v)}</{tag}>'  # noqa: E731
    head = "".join(cell(str(c), n, "th") for c, n in zip(shown.columns, numeric))
    body = "\n".join("<tr>" + "".join(cell(v, n, "td") for v, n in zip(row, numeric)) + "</tr>"
                     for row in shown.itertuples(index=False, name=None))
    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    return (f"<table>{caption}\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>\n")


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    r"""Escape LaTeX's special characters in ``text``.

    Examples
    --------
    >>> print(latex_escape("c05_level & 5 %"))
    c05\_level \& 5 \%
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def to_latex(frame: pd.DataFrame, digits: int = 3, title: str | None = None) -> str:
    r"""A LaTeX ``tabular`` with booktabs rules (needs ``\usepackage{booktabs}``)."""
    shown = _display(frame, digits)
    numeric = _numeric(frame)
    spec = "".join("r" if num else "l" for num in numeric)
    lines = [f"% {latex_escape(title)}" if title else None, f"\\begin{{tabular}}{{{spec}}}", "\\toprule",
             " & ".join(latex_escape(str(c)) for c in shown.columns) + " \\\\", "\\midrule"]
    lines += [" & ".join(latex_escape(v) for v in row) + " \\\\" for row in shown.itertuples(index=False, name=None)]
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(line for line in lines if line is not None) + "\n"


def to_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def safe_csv(frame: pd.DataFrame) -> str:
    """CSV of ``frame`` with formula-like text neutralised (:func:`fip.formulas.formula_safe`).

    For person-level rows (scores, index scores): ids and labels that a spreadsheet would run
    get a leading apostrophe.

    Examples
    --------
    >>> import pandas as pd
    >>> print(safe_csv(pd.DataFrame({"person_id": ["+cmd", "p1"], "band": ["-", "high"]})), end="")
    person_id,band
    '+cmd,-
    p1,high
    """
    from fip.formulas import formula_safe

    return to_csv(formula_safe(frame))


def to_json(frame: pd.DataFrame) -> str:
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"


# Control characters (C0 but tab and line feed, DEL, C1) shown as \xNN in console tables: an
# escape sequence in a cell (ESC [2J, an OSC title) would otherwise act on the terminal.
_VISIBLE = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0)]}


def _text(value: str):
    """A rich ``Text`` of ``value``: never read as markup, control characters made visible."""
    from rich.text import Text

    return Text(str(value).translate(_VISIBLE))


def render(frame: pd.DataFrame, fmt: str, *, title: str | None = None, digits: int = 3):
    """Text of ``frame`` in ``fmt``; for ``table`` a rich Table object."""
    if fmt == "csv":
        return to_csv(frame)
    if fmt == "json":
        return to_json(frame)
    if fmt == "md":
        return (f"### {title}\n\n" if title else "") + to_markdown(frame, digits)
    if fmt == "html":
        return to_html(frame, digits, title)
    if fmt == "latex":
        return to_latex(frame, digits, title)
    return console_tables(frame, title=title, digits=digits)[0]


def _width(values) -> int:
    return max((len(str(v)) for v in values), default=0)


def console_tables(frame: pd.DataFrame, *, title: str | None = None, digits: int = 3,
                   width: int | None = None) -> list:
    """Rich table(s) of ``frame`` for a console ``width`` characters wide; no cell is cut.

    Numbers never wrap and are never shortened (no ``0.…``); text wraps within its column.
    A table that does not fit even so is split by columns into parts that do, as R prints a
    wide data frame: each part starts with the row number (``#``) and repeats the leading
    text columns (the row labels, as many of the first three as leave room for another
    column) and is titled ``(columns i-j of k)``. ``width=None``: one table, however wide.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"term": ["c01 (level)"], **{f"model {k:02d}": [0.123456] for k in range(12)}})
    >>> # the rule 1, then 3 per column: "#" 1 + 3, term 11 + 3, each model 8 + 3: 19 + 5 * 11 = 74 <= 80 < 85
    >>> [t.title.plain for t in console_tables(wide, title="Coefficients", width=80)]
    ['Coefficients (columns 1-5 of 12)', 'Coefficients (columns 6-10 of 12)', 'Coefficients (columns 11-12 of 12)']
    """
    from rich.table import Table

    shown = _display(frame, digits)
    numeric = _numeric(frame)
    columns = list(frame.columns)
    need = {}  # the narrowest each column can be without cutting (3: padding and rule)
    for col, num in zip(columns, numeric):
        cells = [str(col), *shown[col]]
        words = max((len(w) for v in cells for w in str(v).split()), default=0)
        need[col] = 3 + (_width(cells) if num else min(_width(cells), max(words, 16)))
    parts: list[list[str]] = [columns]
    keys: list[str] = []
    if width is not None and sum(need.values()) + 1 > width and len(columns) > 1:
        shown = shown.copy()
        shown.insert(0, "#", [str(k) for k in range(1, len(shown) + 1)])
        need["#"] = 3 + len(str(len(shown)))
        lead = []
        for col, num in zip(columns[:3], numeric[:3]):
            if num:
                break
            lead.append(col)
        rest_need = lambda ks: max((need[c] for c in columns if c not in ks), default=0)  # noqa: E731
        while lead and 1 + need["#"] + sum(need[k] for k in lead) + rest_need(lead) > width:
            lead.pop()
        keys = ["#", *lead]
        parts, current, used = [], [], 1 + sum(need[k] for k in keys)
        for col in [c for c in columns if c not in keys]:
            if current and used + need[col] > width:
                parts.append(current)
                current, used = [], 1 + sum(need[k] for k in keys)
            current.append(col)
            used += need[col]
        parts.append(current)
    rest = [c for part in parts for c in part]
    is_number = {**dict(zip(columns, numeric)), "#": True}
    tables = []
    start = 1
    for part in parts:
        label = title
        if len(parts) > 1:
            span = f"columns {start}-{start + len(part) - 1} of {len(rest)}"
            label = f"{title} ({span})" if title else span
        start += len(part)
        # Text objects: data is never read as rich markup, whatever the console's settings
        # (``[/]`` in a name would raise MarkupError, ``FIP [kvartal 3]`` would print as ``FIP ``)
        table = Table(title=None if label is None else _text(label), show_lines=False)
        for col in [*keys, *part]:
            if is_number[col]:
                table.add_column(_text(col), justify="right", no_wrap=True, min_width=_width([*shown[col]]))
            else:
                table.add_column(_text(col), justify="left", overflow="fold")
        for row in shown[[*keys, *part]].itertuples(index=False, name=None):
            table.add_row(*(_text(v) for v in row))
        tables.append(table)
    return tables


def _with_notice(rendered, fmt: str, notice: str):
    """``rendered`` with ``notice`` as its first line (a comment where the format has one)."""
    if fmt == "json":
        return json.dumps({"notice": notice, "records": json.loads(rendered)}, ensure_ascii=False, indent=1) + "\n"
    if fmt == "html":
        return f'<p class="notice"><strong>{html.escape(notice)}</strong></p>\n{rendered}'
    if fmt == "latex":
        return f"% {latex_escape(notice)}\n{rendered}"
    if fmt in ("csv", "md"):
        return f"# {notice}\n{rendered}"
    rendered.caption = _text(notice)  # a rich Table: printed after the title line
    return rendered


def emit(frame: pd.DataFrame, fmt: str, out: Path | None, console, *, title: str | None = None,
         notice: str | None = None) -> None:
    """Print ``frame`` to the console, or write it atomically to ``out``.

    ``notice`` (e.g. :attr:`fip.disclosure.DisclosurePolicy.statement` on a secure
    machine) is the first line of the output: a ``#`` comment in CSV and Markdown, ``%`` in
    LaTeX, a paragraph in HTML, ``{"notice": ..., "records": [...]}`` in JSON.
    """
    if fmt == "table" and out is None:  # fitted to the console: split by columns, never cut
        if notice:
            console.print(notice, markup=False, highlight=False)
        for table in console_tables(frame, title=title, width=getattr(console, "width", None)):
            console.print(table, soft_wrap=False)  # the title wraps to the table's width
        return
    rendered = render(frame, fmt, title=title)
    if notice:
        rendered = _with_notice(rendered, fmt, notice)
    if out is None:
        if isinstance(rendered, str):
            console.print(rendered, end="", markup=False, highlight=False, soft_wrap=True)
        else:
            console.print(rendered)
        return
    if not isinstance(rendered, str):
        from rich.console import Console

        buffer = io.StringIO()
        Console(file=buffer, width=200, color_system=None).print(rendered)
        rendered = buffer.getvalue()
    atomic_write_text(out, rendered)
