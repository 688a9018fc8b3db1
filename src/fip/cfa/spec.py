"""CFA model specification: factors, their items and residual covariances.

A model comes from index definitions (one factor per index, its items) or from a model file in
a subset of lavaan syntax::

    # comments start with '#'
    visual  =~ x1 + x2 + x3
    textual =~ x4 + x5 + x6
    x7 ~~ x8            # residual covariance

Example
-------
>>> spec = parse_model("F =~ a + b + c\\nG =~ d + e + f\\na ~~ d")
>>> spec.factors
(('F', ('a', 'b', 'c')), ('G', ('d', 'e', 'f')))
>>> spec.residual_covariances
(('a', 'd'),)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fip.errors import ConfigError, FipError

__all__ = ["ModelSpec", "one_index_per_item", "parse_model", "read_model", "spec_from_definitions"]

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_NAME_RE = re.compile(rf"^{_NAME}$")


@dataclass(frozen=True)
class ModelSpec:
    """A CFA measurement model.

    Attributes
    ----------
    factors : tuple of (factor, items)
        Each factor with its indicators in order; the first is the marker variable.
    residual_covariances : tuple of (item, item)
        Free residual covariances between observed items.
    """

    factors: tuple[tuple[str, tuple[str, ...]], ...]
    residual_covariances: tuple[tuple[str, str], ...] = ()

    @property
    def items(self) -> tuple[str, ...]:
        """All observed items in order of first appearance."""
        seen: dict[str, None] = {}
        for _, items in self.factors:
            for item in items:
                seen.setdefault(item, None)
        return tuple(seen)

    @property
    def factor_names(self) -> tuple[str, ...]:
        """The latent factors in order."""
        return tuple(f for f, _ in self.factors)

    def tidy(self) -> pd.DataFrame:
        """One row per model line: ``lhs``, ``op``, ``rhs``."""
        rows = [(f, "=~", i) for f, items in self.factors for i in items]
        rows += [(a, "~~", b) for a, b in self.residual_covariances]
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs"])

    def to_syntax(self) -> str:
        """The model in lavaan syntax (parse_model(spec.to_syntax()) == spec)."""
        lines = [f"{f} =~ {' + '.join(items)}" for f, items in self.factors]
        lines += [f"{a} ~~ {b}" for a, b in self.residual_covariances]
        return "\n".join(lines)


def _check(spec_factors: dict[str, list[str]], rescov: list[tuple[str, str]], where: str) -> ModelSpec:
    if not spec_factors:
        raise ConfigError(f"{where}: no factor defined; expected at least one line 'FACTOR =~ item1 + item2'")
    items = {i for its in spec_factors.values() for i in its}
    for f in spec_factors:
        if f in items:
            raise ConfigError(f"{where}: {f!r} is both a factor and an item; higher-order factors are not supported")
    for a, b in rescov:
        for x in (a, b):
            if x not in items:
                raise ConfigError(f"{where}: residual covariance names {x!r}, which is not an item of any factor")
    return ModelSpec(
        factors=tuple((f, tuple(its)) for f, its in spec_factors.items()),
        residual_covariances=tuple(rescov),
    )


def parse_model(text: str, *, source: str = "model") -> ModelSpec:
    """Parse a model in the lavaan syntax subset ``F =~ a + b``, ``a ~~ b`` and ``#`` comments.

    Raises :class:`fip.errors.ConfigError` naming ``source``, the line and what was expected.

    Example
    -------
    >>> parse_model("F =~ a + b + c").items
    ('a', 'b', 'c')
    """
    factors: dict[str, list[str]] = {}
    rescov: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{source}, line {number}"
        for stmt in (s.strip() for s in line.split(";")):
            if not stmt:
                continue
            if "=~" in stmt:
                lhs, rhs = (s.strip() for s in stmt.split("=~", 1))
                if not _NAME_RE.match(lhs):
                    raise ConfigError(f"{where}: expected a factor name before '=~', got {lhs!r}")
                terms = [t.strip() for t in rhs.split("+")]
                if not terms or any(not _NAME_RE.match(t) for t in terms):
                    raise ConfigError(
                        f"{where}: expected item names joined by '+' after '=~', got {rhs!r} "
                        "(fixed loadings like 1*x are not supported)"
                    )
                dest = factors.setdefault(lhs, [])
                for t in terms:
                    if t in dest:
                        raise ConfigError(f"{where}: item {t!r} listed twice for factor {lhs!r}")
                    dest.append(t)
            elif "~~" in stmt:
                lhs, rhs = (s.strip() for s in stmt.split("~~", 1))
                others = [t.strip() for t in rhs.split("+")]
                if not _NAME_RE.match(lhs) or any(not _NAME_RE.match(t) for t in others):
                    raise ConfigError(f"{where}: expected 'item ~~ item', got {stmt!r}")
                for t in others:
                    if t == lhs:
                        raise ConfigError(f"{where}: residual variances are always free; expected two different items")
                    pair = (lhs, t)
                    if pair in rescov or (t, lhs) in rescov:
                        raise ConfigError(f"{where}: residual covariance {lhs} ~~ {t} given twice")
                    rescov.append(pair)
            else:
                raise ConfigError(
                    f"{where}: expected 'FACTOR =~ item + item' or 'item ~~ item', got {stmt!r}"
                )
    return _check(factors, rescov, source)


def read_model(path: str | Path) -> ModelSpec:
    """Read a model file (lavaan syntax subset, see :func:`parse_model`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read the model file ({exc.__class__.__name__})") from None
    return parse_model(text, source=str(p))


def spec_from_definitions(definitions: Iterable[object], *, items: Sequence[str] | None = None) -> ModelSpec:
    """One factor per index definition (``id`` and ``items``), optionally restricted to ``items``.

    Example
    -------
    >>> from fip.indices import IndexDefinition
    >>> spec_from_definitions([IndexDefinition(id="F", items=("a", "b", "c"))]).factors
    (('F', ('a', 'b', 'c')),)
    """
    keep = None if items is None else set(items)
    factors: dict[str, list[str]] = {}
    for d in definitions:
        its = [i for i in getattr(d, "items") if keep is None or i in keep]
        if its:
            factors[str(getattr(d, "id"))] = its
    return _check(factors, [], "index definitions")


def one_index_per_item(defs: Sequence, respondent: str | None) -> tuple:
    """The index definitions as a measurement model: each item on one factor.

    Overlapping definitions (e.g. FIP's overall and factor indices) are narrowed to the family
    ``RESPONDENT_factors``; otherwise :class:`~fip.errors.FipError` says what to give.

    Example
    -------
    >>> from fip.indices import IndexDefinition
    >>> [d.id for d in one_index_per_item([IndexDefinition(id="F", items=("a", "b"))], None)]
    ['F']
    """
    def overlaps(ds):
        seen: set[str] = set()
        for d in ds:
            if seen & set(d.items):
                return True
            seen |= set(d.items)
        return False

    if not overlaps(defs):
        return tuple(defs)
    family = f"{respondent}_factors"
    narrowed = tuple(d for d in defs if d.family == family)
    if respondent is not None and narrowed and not overlaps(narrowed):
        return narrowed
    families = ", ".join(sorted({d.family for d in defs}))
    raise FipError("the index definitions put items in more than one index (families: "
                   f"{families}); give --respondent R to use the family R_factors, --definitions with one "
                   "index per item, or --model")
