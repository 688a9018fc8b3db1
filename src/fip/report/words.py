"""Words, not codes, in the report's tables: headers and cells as a reader of the report reads them.

The tables fip computes (and writes to ``tables/*.csv``) keep their codes: ``emp_rate``,
``citizen_overall_level``, ``table_4_12``, ``True``. The report shows the same tables through
:class:`ReportWords`: outcomes, model families and learners from the message catalogue
(``report`` of ``configs/messages/<lang>.yaml``), index ids as their labels, terms
``<name>_level``/``<name>_change`` as "<name> (level)", ``table_4_12`` as "Table 4.12",
booleans as yes/no, columns that only hold whole numbers as integers, ``-0.000`` as
``0.000``, and every code left over with spaces for its underscores. The ``suppressed`` flags
are dropped: a suppressed cell is empty, and the page says so.

Examples
--------
>>> import pandas as pd
>>> words = ReportWords.for_labels({"citizen_overall": "Overall citizen index"})
>>> shown = words.frame(pd.DataFrame({"term": ["citizen_overall_level"], "outcome": ["emp_rate"],
...                                   "n": [427.0], "holds": [True], "suppressed": [False]}))
>>> shown.to_dict("records")
[{'term': 'Overall citizen index (level)', 'outcome': 'employment rate', 'n': 427, 'holds': 'yes'}]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fip.messages import section

if TYPE_CHECKING:
    from fip.study import Study

__all__ = ["ReportWords"]

_TABLE = re.compile(r"^table_(\d+)_(\d+)$")
_TABEL = re.compile(r"^Tabel (\d+\.\d+)$")   # the published file's Danish table names
#: A code inside a sentence (not part of a file name or path).
_CODE_IN_TEXT = re.compile(r"(?<![\w/.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/]|\.\w)")
_TERM = re.compile(r"^(?P<name>.+)_(?P<kind>level|change)$")
_WITH = re.compile(r"^(?P<name>.+)/(?P<kind>with|without)$")
#: Columns the page does not show (their information is in the cells themselves).
_HIDDEN = ("suppressed",)


@dataclass(frozen=True)
class ReportWords:
    """How the report names codes in one language.

    Attributes
    ----------
    lang : str
        Catalogue language (``en``, ``da``).
    labels : Mapping[str, str]
        Extra names for codes (index ids -> their labels), before the catalogue's.
    """

    lang: str = "en"
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def for_labels(cls, labels: Mapping[str, str], lang: str = "en") -> ReportWords:
        """Words with ``labels`` for codes beyond the catalogue's."""
        return cls(lang, MappingProxyType(dict(labels)))

    @classmethod
    def for_study(cls, study: Study, lang: str = "en") -> ReportWords:
        """Words of a study: its index definitions' labels in ``lang``."""
        return cls.for_labels({d.id: d.label_in(lang) for d in study.definitions}, lang)

    def word(self, code: str) -> str:
        """``code`` as words (unknown codes: underscores as spaces; others unchanged)."""
        texts = section(self.lang, "report")
        values = section(self.lang, "report.values")
        if code in self.labels:
            return self.labels[code]
        if code in values:
            return values[code]
        if m := _TABLE.match(code):
            return texts["table"].format(number=f"{m[1]}.{m[2]}")
        if m := _TERM.match(code):
            return texts[m["kind"]].format(name=self.word(m["name"]))
        if m := _WITH.match(code):
            return texts[f"{m['kind']}_controls"].format(name=self.word(m["name"]))
        return code.replace("_", " ")

    def header(self, name: object) -> str:
        """A column header as words (catalogue ``report.headers``, else :meth:`word`)."""
        text = str(name)
        headers = section(self.lang, "report.headers")
        if text in headers:
            return headers[text]
        return self.word(text) if re.fullmatch(r"[\w/]+", text) else text.replace("_", " ")

    def _cell(self, value: object) -> object:
        if not isinstance(value, str):
            return value
        if re.fullmatch(r"[\w/]+", value):
            return self.word(value)
        if m := _TABEL.match(value):
            return section(self.lang, "report")["table"].format(number=m[1])
        return _CODE_IN_TEXT.sub(lambda m: self.word(m[0]), value)

    def frame(self, frame: pd.DataFrame, digits: int | None = None) -> pd.DataFrame:
        """``frame`` as the report shows it (a copy): words for codes, floats rounded to ``digits``."""
        texts = section(self.lang, "report")
        shown = frame.drop(columns=[c for c in _HIDDEN if c in frame.columns])
        headers = [self.header(c) for c in shown.columns]
        # headers that two columns would share: both keep their own names (underscores as spaces)
        headers = [str(c).replace("_", " ") if headers.count(h) > 1 else h for c, h in zip(shown.columns, headers)]
        out = {}
        for col, header in zip(shown.columns, headers):
            values = shown[col]
            if pd.api.types.is_bool_dtype(values) or (values.dtype == object and values.map(
                    lambda v: isinstance(v, (bool, np.bool_)) or v is None or v is pd.NA).all() and values.notna().any()):
                values = values.map(lambda v: v if v is None or v is pd.NA else
                                    texts["bool_true"] if v else texts["bool_false"]).astype("object")
            elif pd.api.types.is_float_dtype(values):
                finite = values.dropna()
                if len(finite) and np.isfinite(finite).all() and (finite == finite.round()).all():
                    values = values.round().astype("Int64")
                else:
                    values = values if digits is None else values.round(digits)
                    values = values.mask(values == 0, 0.0)     # -0.0 (also after rounding) shown as 0.0
            elif values.dtype == object or pd.api.types.is_string_dtype(values):
                values = values.map(self._cell)
            out[header] = values
        return pd.DataFrame(out, index=shown.index)
