"""Fast membership tests on Arrow-backed string columns.

``Series.isin`` on pandas' Arrow strings turns every candidate into an Arrow scalar in a
Python loop (pandas 2.x ``ArrowStringArray.isin``): ~0.15 s for 10,000 person ids, paid on
every call. :func:`isin` hands the whole candidate set to Arrow's ``is_in`` at once.

Examples
--------
>>> import pandas as pd
>>> isin(pd.Series(["a", "b", None], dtype="string[pyarrow]"), {"b", "c"}).tolist()
[False, True, False]
>>> isin(pd.Series([1, 2, 3]), [3]).tolist()
[False, False, True]
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["isin"]


def isin(values: pd.Series, candidates: Iterable) -> np.ndarray:
    """Boolean array: which cells of ``values`` are among ``candidates`` (missing: False).

    Same result as ``values.isin(candidates).to_numpy(dtype=bool)``; for Arrow string
    columns computed by ``pyarrow.compute.is_in`` on the whole set.
    """
    if not isinstance(candidates, (list, tuple, set, frozenset, pd.Series, pd.Index, np.ndarray)):
        candidates = list(candidates)
    arr = values.array
    pa_array = getattr(arr, "_pa_array", None)
    if pa_array is not None and isinstance(values.dtype, pd.StringDtype):
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(candidates, (set, frozenset)):
            candidates = list(candidates)
        cand = pd.Series(candidates, dtype=object)
        cand = cand[cand.map(lambda v: isinstance(v, str))]
        value_set = pa.array(cand.tolist(), type=pa_array.type)
        hit = pc.is_in(pa_array, value_set=value_set, skip_nulls=True)
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool) & ~values.isna().to_numpy()
    return values.isin(candidates).to_numpy(dtype=bool)
