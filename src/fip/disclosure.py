"""The one home of fip's small-cell rule: which aggregate figures may be shown.

Every aggregate output (describe, indices, factor tables that print n, replicate's tables and
figures, status notes, programme goals, job-chance metrics, model files, console tables)
goes through a :class:`DisclosurePolicy`. Statistics return their ``n``; the output layer
applies the policy.

The rule (threshold ``k``, default 5 from ``configs/disclosure.yaml``):

* **primary**: a figure resting on 1 .. k-1 persons is hidden, and so is its ``n``;
* **shares**: a share is hidden when the persons with, or without, the attribute number
  1 .. k-1;
* **complementary**: where a total and its parts are shown (all persons and women, men),
  the persons behind the hidden parts, recovered by subtraction, must number 0 or at least
  k; otherwise more cells are hidden.

Examples
--------
>>> policy = DisclosurePolicy.default()
>>> policy.threshold
5
>>> policy.is_small(3), policy.is_small(0), policy.is_small(5)
(True, False, False)
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fip.errors import ConfigError, FipError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["DEFAULT", "DisclosureError", "DisclosurePolicy", "Margin", "Relation", "TableSpec", "hidden_cells",
           "load_policy", "protect", "protect_tables", "resolve_policy", "shown_cuts"]


class DisclosureError(FipError):
    """An output would rest on too few persons to be shown at all."""


#: Stands for the configured policy in ``policy=`` arguments (``None`` means: no protection).
DEFAULT = "default"


@dataclass(frozen=True)
class DisclosurePolicy:
    """The small-cell rule of one output.

    Attributes
    ----------
    threshold : int
        Smallest number of persons behind a shown figure (``k``).
    secure_machine : bool
        True when the threshold is below the configured minimum, allowed only on a secure
        machine; every output then states it (:attr:`statement`).
    """

    threshold: int = 5
    secure_machine: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or self.threshold < 1:
            raise ValueError(f"threshold must be an integer >= 1; got {self.threshold!r}")

    @classmethod
    def default(cls) -> DisclosurePolicy:
        """The configured policy (``configs/disclosure.yaml``)."""
        return _configured_policy()

    def is_small(self, n) -> bool:
        """True where ``n`` persons is 1 .. threshold-1 (0 persons reveal nothing)."""
        return (n > 0) & (n < self.threshold)

    def require(self, n: int, what: str) -> None:
        """Raise :class:`DisclosureError` when ``what`` rests on 1 .. threshold-1 persons.

        For outputs that are one estimate of the whole sample (a factor solution, a
        regression): they are refused rather than shown.

        Examples
        --------
        >>> DisclosurePolicy(5).require(3, "the factor analysis")
        Traceback (most recent call last):
        ...
        fip.disclosure.DisclosureError: the factor analysis rests on fewer than 5 persons; not shown
        """
        if self.is_small(int(n)):
            raise DisclosureError(f"{what} rests on fewer than {self.threshold} persons; not shown")

    @property
    def statement(self) -> str | None:
        """What an output says on its first line when the threshold is lowered, else None."""
        if not self.secure_machine:
            return None
        return (f"SECURE MACHINE ONLY: figures resting on {self.threshold} or more persons are shown "
                "(below the standard minimum of 5); do not publish or pass on this output.")


@functools.cache
def _configured_policy() -> DisclosurePolicy:
    return load_policy()


def resolve_policy(policy: DisclosurePolicy | str | None) -> DisclosurePolicy | None:
    """``policy`` itself, the configured policy for :data:`DEFAULT`, or ``None`` (no protection)."""
    if policy is None or isinstance(policy, DisclosurePolicy):
        return policy
    if policy == DEFAULT:
        return _configured_policy()
    raise ValueError(f"policy must be a DisclosurePolicy, 'default' or None; got {policy!r}")


def load_policy(path: str | Path | None = None, *, threshold: int | None = None,
                secure_machine: bool = False) -> DisclosurePolicy:
    """The disclosure policy of ``configs/disclosure.yaml`` (or ``path``), optionally lowered.

    Parameters
    ----------
    path : str or Path, optional
        A disclosure file; default the shipped ``configs/disclosure.yaml``.
    threshold : int, optional
        Another threshold. Raising it is always allowed; lowering it below the file's
        ``minimum_without_secure_machine`` needs ``secure_machine=True``.
    secure_machine : bool
        The caller runs on a secure machine (researchers' option).

    Raises
    ------
    ConfigError
        The file is malformed, or a lowered threshold without ``secure_machine``.

    Examples
    --------
    >>> load_policy(threshold=10).threshold
    10
    >>> load_policy(threshold=3, secure_machine=True).secure_machine
    True
    """
    from fip._resources import read_config

    raw = read_config(path, "disclosure.yaml", "disclosure file")
    name = Path(path).name if path is not None else "disclosure.yaml"
    if not isinstance(raw, dict):
        raise ConfigError(f"{name}: expected a mapping with 'threshold'")
    values = {}
    for key in ("threshold", "minimum_without_secure_machine"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name}: {key} must be an integer >= 1; got {value!r}")
        values[key] = value
    chosen = values["threshold"] if threshold is None else threshold
    if isinstance(chosen, bool) or not isinstance(chosen, int) or chosen < 1:
        raise ValueError(f"threshold must be an integer >= 1; got {chosen!r}")
    lowered = chosen < values["minimum_without_secure_machine"]
    if lowered and not secure_machine:
        raise ConfigError(f"{name}: a threshold of {chosen} is below the minimum of "
                          f"{values['minimum_without_secure_machine']}; allowed only with the secure-machine option")
    return DisclosurePolicy(chosen, secure_machine=lowered)


@dataclass(frozen=True)
class Relation:
    """Persons behind ``total`` = the persons behind the disjoint ``parts`` + persons in no part.

    Cells are any hashable keys (a table name and row label, say); ``count`` names which
    count of a cell the relation adds up (``"n"``; ``"k"`` and ``"n-k"`` for shares: the
    persons with and without the attribute).
    """

    total: Hashable
    parts: tuple[Hashable, ...]
    count: str = "n"
    total_count: str | None = None

    def __post_init__(self) -> None:
        if self.total_count is None:
            object.__setattr__(self, "total_count", self.count)


def hidden_cells(
    counts: Mapping[str, Mapping[Hashable, int]],
    relations: Iterable[Relation],
    policy: DisclosurePolicy,
    *,
    shares: Iterable[Hashable] = (),
) -> set[Hashable]:
    """Cells to hide: primary, share and complementary suppression.

    Parameters
    ----------
    counts : mapping of count name -> mapping of cell -> int
        ``counts["n"][cell]``: the persons behind each cell (every cell must have one);
        for share cells also ``counts["k"]`` (persons with the attribute).
    relations : iterable of Relation
        Totals and their parts (:class:`Margin` builds them for a table).
    policy : DisclosurePolicy
    shares : iterable of cells
        Cells whose figure is a share: hidden also when ``k`` or ``n - k`` is small.

    Returns
    -------
    set
        The cells to hide. A cell of 0 persons is never hidden (it reveals nothing).

    Notes
    -----
    The rules, applied until nothing changes:

    1. a cell of 1 .. k-1 persons is hidden; a share cell also when the persons with, or
       without, the attribute number 1 .. k-1;
    2. for a shown total, the persons in hidden parts or in no part (what subtraction
       recovers) must number 0 or at least k, in each count of the relation; else the
       smallest shown part is hidden (the total when no part is left);
    3. a hidden total that equals the sum of its shown parts (no hidden part, no persons
       outside the parts) is recoverable: its smallest part is hidden as well.

    Examples
    --------
    Women 3, men 114, all 117: hiding the women alone lets all − men reveal them.

    >>> policy = DisclosurePolicy(5)
    >>> counts = {"n": {"women": 3, "men": 114, "all": 117}}
    >>> sorted(hidden_cells(counts, [Relation("all", ("women", "men"))], policy))
    ['men', 'women']
    """
    relations = list(relations)
    n = counts["n"]
    small = policy.is_small
    hidden = {cell for cell, value in n.items() if small(value)}
    if "k" in counts:
        for cell in shares:
            k = counts["k"][cell]
            if n[cell] > 0 and (small(k) or small(n[cell] - k)):
                hidden.add(cell)

    def count(cell: Hashable, name: str) -> int:
        if name == "n-k":
            return n[cell] - counts["k"][cell]
        return counts[name][cell]

    changed = True
    while changed:
        changed = False
        for rel in relations:
            shown = [p for p in rel.parts if p not in hidden and n[p] > 0]
            smallest = min(shown, key=lambda c: (count(c, rel.count), n[c], str(c))) if shown else None
            if rel.total not in hidden:
                residual = count(rel.total, rel.total_count) - sum(count(p, rel.count) for p in shown)
                if small(residual):
                    hidden.add(rel.total if smallest is None else smallest)
                    changed = True
            elif n[rel.total] > 0 and shown and not any(p in hidden and n[p] > 0 for p in rel.parts):
                if count(rel.total, rel.total_count) == sum(count(p, rel.count) for p in shown):
                    hidden.add(smallest)
                    changed = True
    return hidden


@dataclass(frozen=True)
class Margin:
    """A total row and its parts inside a table: rows with ``dimension == total`` hold the
    persons of the other rows with the same ``within`` values (and possibly persons in no row).

    Examples
    --------
    ``Margin("gender", "all", within=("item", "round"))``: for each item and round, the row
    of all persons is the sum of the women's and the men's rows (plus persons of unknown
    gender, who have no row).
    """

    dimension: str
    total: Hashable = "all"
    within: tuple[str, ...] = field(default_factory=tuple)

    def relations(self, frame: pd.DataFrame, prefix: Hashable = None, counts: Sequence[str] = ("n",)) -> list[Relation]:
        """The :class:`Relation` of every group of ``frame`` (cells are ``(prefix, row label)``)."""
        out = []
        groups = frame.groupby(list(self.within), sort=False, dropna=False) if self.within else [((), frame)]
        for _, part in groups:
            is_total = (part[self.dimension] == self.total).to_numpy(dtype=bool)
            totals = part.index[is_total]
            parts = tuple((prefix, label) for label in part.index[~is_total])
            for label in totals:
                out += [Relation((prefix, label), parts, c) for c in counts]
        return out


@dataclass(frozen=True)
class TableSpec:
    """How one table of an output is protected (see :func:`protect`)."""

    frame: pd.DataFrame
    values: tuple[str, ...]
    n: str = "n"
    k: str | None = None
    margins: tuple[Margin, ...] = ()


def protect_tables(
    tables: Mapping[str, TableSpec],
    policy: DisclosurePolicy,
    relations: Sequence[Relation] = (),
    known: Mapping[Hashable, Mapping[str, int]] | None = None,
) -> dict[str, pd.DataFrame]:
    """Protect several tables of one output together (a reader holds all of them).

    Parameters
    ----------
    tables : mapping of name -> TableSpec
    policy : DisclosurePolicy
    relations : sequence of Relation
        Relations across tables; cells are ``(table name, row label)``, e.g. the persons
        with both rounds (a progression row) within those of round 2 (an item-means row).
    known : mapping of cell -> counts, optional
        Counts the reader knows without a row of their own (e.g. the size of a group whose
        categories are shares), as ``{cell: {"n": 120}}``; usable as relation totals.

    Returns
    -------
    dict of name -> DataFrame
        Each table as :func:`protect` returns it.
    """
    import numpy as np
    import pandas as pd

    counts: dict[str, dict] = {"n": {}, "k": {}}
    rels: list[Relation] = list(relations)
    shares: list[Hashable] = []
    for cell, values in (known or {}).items():
        for count_name, value in values.items():
            counts[count_name][cell] = int(value)
    for name, spec in tables.items():
        n_values = pd.to_numeric(spec.frame[spec.n]).fillna(0).astype("int64")
        counts["n"].update({(name, label): int(v) for label, v in n_values.items()})
        names: tuple[str, ...] = ("n",)
        if spec.k is not None:
            k_values = pd.to_numeric(spec.frame[spec.k]).fillna(0).astype("int64")
            counts["k"].update({(name, label): int(v) for label, v in k_values.items()})
            shares += [(name, label) for label in spec.frame.index]
            names = ("n", "k", "n-k")
        rels += [r for m in spec.margins for r in m.relations(spec.frame, name, names)]
    hidden = hidden_cells(counts, rels, policy, shares=shares)
    out = {}
    for name, spec in tables.items():
        frame = spec.frame.copy()
        mask = np.array([(name, label) in hidden for label in frame.index], dtype=bool)
        for column in spec.values:
            if pd.api.types.is_integer_dtype(frame[column]):
                frame[column] = pd.array(frame[column], dtype="Int64").copy()
                frame.loc[mask, column] = pd.NA
            else:
                frame[column] = frame[column].astype("float64").mask(mask)
        for column in [spec.n] + ([spec.k] if spec.k is not None else []):
            frame[column] = pd.array(frame[column], dtype="Int64").copy()
            frame.loc[mask, column] = pd.NA
        previous = frame["suppressed"].astype(bool).to_numpy() if "suppressed" in frame.columns else False
        frame["suppressed"] = mask | previous
        out[name] = frame
    return out


def protect(
    frame: pd.DataFrame,
    policy: DisclosurePolicy,
    *,
    values: Sequence[str],
    n: str = "n",
    k: str | None = None,
    margins: Sequence[Margin] = (),
) -> pd.DataFrame:
    """``frame`` with the figures the policy forbids blanked and a ``suppressed`` column.

    Parameters
    ----------
    frame : DataFrame
        One row per figure; ``n`` holds the persons behind it.
    policy : DisclosurePolicy
    values : sequence of str
        Columns blanked (NaN) in a hidden row; its ``n`` (and ``k``) become missing too.
    n : str
        Column with the persons behind each row.
    k : str, optional
        For shares: column with the persons having the attribute; a row is hidden also when
        ``k`` or ``n - k`` is small, and margins add up ``k`` and ``n - k`` as well.
    margins : sequence of Margin
        Totals and parts within the table (complementary suppression).

    Returns
    -------
    DataFrame
        A copy; ``n`` (and ``k``) as nullable integers; ``suppressed`` (bool) added or
        combined with an existing one.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"gender": ["female", "male", "all"], "n": [3, 114, 117],
    ...                   "mean": [4.667, 5.377, 5.359]})
    >>> protect(t, DisclosurePolicy(5), values=["mean"], margins=[Margin("gender")])
       gender     n   mean  suppressed
    0  female  <NA>    NaN        True
    1    male  <NA>    NaN        True
    2     all   117  5.359       False
    """
    spec = TableSpec(frame, tuple(values), n, k, tuple(margins))
    return protect_tables({"table": spec}, policy)["table"]


def shown_cuts(counts: Sequence[int], threshold: int) -> list[bool]:
    """Which cuts between ordered categories may be shown when each cut reveals a cumulative count.

    A threshold of an ordinal item (``Φ⁻¹`` of the cumulative share, as lavaan's WLSMV and
    Samejima-type models print them) together with the n gives the number of persons at or below
    it; two shown cuts give the persons between them. ``counts`` are the persons in each
    category, in order (K categories, K - 1 cuts). A cut is hidden when, with the shown cuts, some
    run of categories between two shown cuts (or the ends) would hold 1 .. ``threshold`` - 1
    persons: the smallest such run is merged with its smaller neighbour until none is left.

    Returns
    -------
    list of bool
        One per cut: True where it may be shown.

    Examples
    --------
    >>> shown_cuts([40, 3, 50, 30], 5)      # cuts 1 and 2 would give the 3 persons of category 2:
    [False, True, True]
    >>> # category 2 joins its smaller neighbour, category 1; cut 1 is blank, cut 2 shows 43 persons
    >>> shown_cuts([10, 10, 10], 5)
    [True, True]
    """
    runs = [[int(c), [i]] for i, c in enumerate(counts)]   # [persons, categories] per run of categories
    while len(runs) > 1:
        small = [k for k, (n, _) in enumerate(runs) if 0 < n < threshold]
        if not small:
            break
        k = min(small, key=lambda j: (runs[j][0], j))
        if k == 0:
            other = 1
        elif k == len(runs) - 1:
            other = k - 1
        else:
            other = k - 1 if runs[k - 1][0] <= runs[k + 1][0] else k + 1
        lo, hi = sorted((k, other))
        runs[lo] = [runs[lo][0] + runs[hi][0], runs[lo][1] + runs[hi][1]]
        del runs[hi]
    ends = {cats[-1] for _, cats in runs[:-1]}               # a cut after category i is shown iff a run ends there
    return [i in ends for i in range(len(counts) - 1)]
