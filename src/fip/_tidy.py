"""``.tidy()`` for small result types whose fields are scalars (one row, one column per field)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class ScalarTidy:
    """Mixin for frozen dataclasses of scalars: :meth:`tidy` gives a one-row DataFrame.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Test(ScalarTidy):
    ...     chi2: float
    ...     df: int
    >>> Test(3.5, 2).tidy()
       chi2  df
    0   3.5   2
    """

    def tidy(self) -> pd.DataFrame:
        """One row with a column per field, in field order."""
        import pandas as pd

        return pd.DataFrame([{f.name: getattr(self, f.name) for f in dataclasses.fields(self)}])
