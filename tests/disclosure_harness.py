"""A reader's attack on aggregate outputs: which groups of 1-4 persons can be recovered?

Independent of :mod:`fip.disclosure` (it does not re-run the small-cell rule). Each shown
figure is described by the variable it summarises and the set of persons behind it (rebuilt
from the data by the test, not taken from fip's output). A reader who knows the sum (mean and
n) of every shown cell of a variable knows the sum over any set of persons whose indicator
vector is a linear combination of the cells' indicator vectors. So a group G is recoverable
iff 1_G lies in the row space of the cells × persons incidence matrix. Persons with the same
membership pattern (an *atom*) are indistinguishable, so the search runs over unions of
atoms: every union of 1-4 persons, and for shares (binary variables) every union (when there
are few atoms) whose persons with or without the attribute number 1-4.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cell:
    """One shown figure: ``variable`` summed over ``persons``; ``having``: for a share, the
    persons with the attribute (``None`` for means and counts)."""

    variable: Hashable
    persons: frozenset
    having: frozenset | None = None
    label: str = ""


def _atoms(cells: list[Cell]) -> tuple[list[frozenset], np.ndarray]:
    signature: dict = defaultdict(set)
    for person in set().union(*(c.persons for c in cells)):
        signature[tuple(person in c.persons for c in cells)].add(person)
    atoms = [frozenset(v) for _, v in sorted(signature.items(), key=lambda kv: kv[0])]
    matrix = np.array([[1.0 if next(iter(a)) in c.persons else 0.0 for a in atoms] for c in cells])
    return atoms, matrix


def _null_space(matrix: np.ndarray) -> np.ndarray:
    if matrix.size == 0:
        return np.eye(matrix.shape[1])
    _, s, vt = np.linalg.svd(matrix)
    rank = int((s > 1e-9 * max(1.0, s.max())).sum())
    return vt[rank:].T


def _in_span(null: np.ndarray, g: np.ndarray) -> bool:
    return null.shape[1] == 0 or bool(np.all(np.abs(null.T @ g) < 1e-8))


def recoverable_small_groups(cells: Iterable[Cell], threshold: int = 5, max_atoms_exhaustive: int = 14) -> list[str]:
    """Descriptions of every group of 1 .. threshold-1 persons whose figure a reader recovers."""
    by_variable: dict = defaultdict(list)
    for cell in cells:
        if cell.persons:
            by_variable[cell.variable].append(cell)
    found = []
    for variable, group in by_variable.items():
        atoms, matrix = _atoms(group)
        null = _null_space(matrix)
        sizes = np.array([len(a) for a in atoms])
        small = [i for i in range(len(atoms)) if sizes[i] < threshold]
        # unions of 1-4 persons
        for r in range(1, min(len(small), threshold - 1) + 1):
            for combo in itertools.combinations(small, r):
                total = int(sizes[list(combo)].sum())
                if total >= threshold:
                    continue
                g = np.zeros(len(atoms))
                g[list(combo)] = 1
                if _in_span(null, g):
                    found.append(f"{variable}: {total} person(s) recoverable ({', '.join(c.label for c in group)})")
        having = [c.having for c in group if c.having is not None]
        if not having:
            continue
        attribute = frozenset().union(*having)
        with_attr = np.array([len(a & attribute) for a in atoms])
        if len(atoms) <= max_atoms_exhaustive:
            combos = (c for r in range(1, len(atoms) + 1) for c in itertools.combinations(range(len(atoms)), r))
        else:
            combos = (c for r in range(1, 4) for c in itertools.combinations(range(len(atoms)), r))
        for combo in combos:
            k = int(with_attr[list(combo)].sum())
            n = int(sizes[list(combo)].sum())
            if not (0 < k < threshold or 0 < n - k < threshold):
                continue
            g = np.zeros(len(atoms))
            g[list(combo)] = 1
            if _in_span(null, g):
                found.append(f"{variable}: a share of {n} persons with {k} having the attribute is recoverable")
    return found
