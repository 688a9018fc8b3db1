"""Ordinal questionnaire data with planted non-invariance, to test invariance and DIF methods.

Issue 14, item 8: a simulator that plants an intercept shift of one item for one answer
language, or a loading difference by gender, so that tests can show that invariance and DIF
testing find the planted item (power) and flag clean items at about the nominal rate.

The model is the latent-response (normal-ogive graded) factor model behind ordinal CFA:

.. math::

    y^*_{pi} = \\nu_{ig} + \\lambda_{ig} \\eta_p + \\varepsilon_{pi}, \\quad
    \\eta_p \\sim N(\\kappa_g, 1), \\quad \\varepsilon_{pi} \\sim N(0, 1 - \\lambda_i^2),

with the answer ``k`` when :math:`\\tau_{i,k-1} < y^*_{pi} \\le \\tau_{ik}`; thresholds are the
same in every group. A :class:`PlantedEffect` adds ``intercept_shift`` to
:math:`\\nu_{ig}` and ``loading_shift`` to :math:`\\lambda_{ig}` of one item for the persons
whose ``column`` equals ``group``. Without planted effects the items are invariant by
construction; a group mean difference :math:`\\kappa_g` (impact) is not DIF.

The result is written in fip's smallest dataset layout (``forms.csv``, ``persons.csv``,
``instrument.yaml``, ``indices.yaml``), so every ``fip`` command reads it.

Examples
--------
>>> from fip.simulate.planted import PlantedDesign, PlantedEffect, simulate_planted
>>> design = PlantedDesign(n_persons=400)
>>> cohort = simulate_planted(design, [PlantedEffect("i03", "answer_language", "ar", intercept_shift=0.5)], seed=1)
>>> cohort.forms.shape, cohort.planted_items
((400, 11), ('i03',))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import norm

__all__ = ["PlantedCohort", "PlantedDesign", "PlantedEffect", "expected_item_means", "parse_planted_effect",
           "simulate_planted"]

PLANT_FORM = "ITEM,COLUMN=LEVEL,intercept=SHIFT[,loading=SHIFT] (e.g. i03,answer_language=ar,intercept=0.5)"


@dataclass(frozen=True)
class PlantedEffect:
    """Non-invariance of one item for one group.

    ``column`` is a person column of the design (``answer_language``, ``gender``); ``group``
    one of its levels; the shifts are on the latent-response scale (standard deviations).
    """

    item: str
    column: str
    group: str
    intercept_shift: float = 0.0
    loading_shift: float = 0.0

    def __post_init__(self) -> None:
        if self.intercept_shift == 0.0 and self.loading_shift == 0.0:
            raise ValueError(f"planted effect on {self.item}: give an intercept_shift or a loading_shift")


def parse_planted_effect(spec: str) -> PlantedEffect:
    """Read ``ITEM,COLUMN=LEVEL,intercept=SHIFT[,loading=SHIFT]`` (``fip simulate-planted --plant``).

    Examples
    --------
    >>> parse_planted_effect("i03,answer_language=ar,intercept=0.5")
    PlantedEffect(item='i03', column='answer_language', group='ar', intercept_shift=0.5, loading_shift=0.0)
    """
    parts = [p.strip() for p in spec.split(",")]
    shifts: dict[str, float] = {}
    group: tuple[str, str] | None = None
    if len(parts) < 3 or not parts[0] or "=" in parts[0]:
        raise ValueError(f"--plant {spec!r}: expected {PLANT_FORM}")
    for part in parts[1:]:
        key, eq, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key or not value:
            raise ValueError(f"--plant {spec!r}: {part!r} is not KEY=VALUE; expected {PLANT_FORM}")
        if key in ("intercept", "loading"):
            if key in shifts:
                raise ValueError(f"--plant {spec!r}: {key} given twice")
            try:
                shifts[key] = float(value)
            except ValueError:
                raise ValueError(f"--plant {spec!r}: {key}={value!r} is not a number") from None
            if not np.isfinite(shifts[key]):
                raise ValueError(f"--plant {spec!r}: {key}={value!r} is not a finite number")
        elif group is None:
            group = (key, value)
        else:
            raise ValueError(f"--plant {spec!r}: two groups ({group[0]}={group[1]}, {part}); expected {PLANT_FORM}")
    if group is None:
        raise ValueError(f"--plant {spec!r}: no COLUMN=LEVEL; expected {PLANT_FORM}")
    if not any(shifts.values()):
        raise ValueError(f"--plant {spec!r}: give a non-zero intercept= or loading= shift")
    return PlantedEffect(parts[0], group[0], group[1], shifts.get("intercept", 0.0), shifts.get("loading", 0.0))


def _default_factors() -> dict[str, tuple[str, ...]]:
    return {"F1": tuple(f"i{k:02d}" for k in range(1, 6)), "F2": tuple(f"i{k:02d}" for k in range(6, 11))}


@dataclass(frozen=True)
class PlantedDesign:
    """The population: factors and their items, loadings, thresholds and person groups.

    Parameters
    ----------
    n_persons : int
        Persons drawn (one form each).
    factors : mapping
        Factor id → its item ids (simple structure). Default: two factors of five items.
    loading : float
        Standardised loading of every item (0 < loading < 1); ``loadings`` overrides per item.
    factor_correlation : float
        Correlation of every pair of factors.
    scale_max : int
        Answers 1..scale_max; thresholds are equally spaced standard-normal quantiles shifted
        by ``threshold_shift`` (positive: answers lower).
    groups : mapping
        Person column → (levels, probabilities). Default: ``answer_language`` da/ar (50/50) and
        ``gender`` 1/2 (50/50), drawn independently.
    impact : mapping
        (column, level) → shift of every factor mean for that group (not DIF).
    """

    n_persons: int = 1000
    factors: Mapping[str, tuple[str, ...]] = field(default_factory=_default_factors)
    loading: float = 0.7
    loadings: Mapping[str, float] = field(default_factory=dict)
    factor_correlation: float = 0.4
    scale_max: int = 7
    threshold_shift: float = -0.3
    groups: Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]] = field(
        default_factory=lambda: {"answer_language": (("da", "ar"), (0.5, 0.5)), "gender": (("1", "2"), (0.5, 0.5))})
    impact: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.n_persons < 1:
            raise ValueError("n_persons must be at least 1")
        if self.scale_max < 2:
            raise ValueError("scale_max must be at least 2")
        for item in self.items:
            if not 0.0 < self.item_loading(item) < 1.0:
                raise ValueError(f"loading of {item} must lie strictly between 0 and 1")
        for column, (levels, probs) in self.groups.items():
            if len(levels) != len(probs) or not np.isclose(sum(probs), 1.0):
                raise ValueError(f"groups[{column!r}]: one probability per level, summing to 1")

    @property
    def items(self) -> tuple[str, ...]:
        """All item ids, factor by factor."""
        return tuple(item for items in self.factors.values() for item in items)

    def item_loading(self, item: str) -> float:
        """The standardised loading of ``item`` in the reference population."""
        return float(self.loadings.get(item, self.loading))

    def thresholds(self) -> np.ndarray:
        """The ``scale_max - 1`` thresholds shared by every item and group."""
        return norm.ppf(np.arange(1, self.scale_max) / self.scale_max) + self.threshold_shift


@dataclass(frozen=True)
class PlantedCohort:
    """Simulated forms and persons, with the truth behind them."""

    forms: pd.DataFrame
    persons: pd.DataFrame
    design: PlantedDesign
    effects: tuple[PlantedEffect, ...]
    seed: int

    @property
    def planted_items(self) -> tuple[str, ...]:
        """Items with a planted effect, in design order."""
        hit = {e.item for e in self.effects}
        return tuple(i for i in self.design.items if i in hit)

    @property
    def clean_items(self) -> tuple[str, ...]:
        """Items invariant by construction."""
        return tuple(i for i in self.design.items if i not in set(self.planted_items))

    def instrument(self) -> dict:
        """The smallest instrument file for these items (a mapping to dump as YAML)."""
        return {"instrument": {"id": "planted"}, "scale": {"min": 1, "max": self.design.scale_max},
                "items": list(self.design.items)}

    def index_definitions(self) -> dict:
        """One index per factor (a mapping to dump as YAML)."""
        return {"indices": [{"id": f, "family": "scale", "items": list(items)} for f, items in self.design.factors.items()]}

    def write(self, folder: str | Path) -> Path:
        """Write ``forms.csv``, ``persons.csv``, ``instrument.yaml`` and ``indices.yaml`` into a new folder.

        The folder appears whole or not at all (:func:`fip._atomic.replace_folder`).
        """
        from fip._atomic import replace_folder

        with replace_folder(folder, looks_like=_looks_like_planted, what="a planted-effects dataset") as staging:
            self.forms.to_csv(staging / "forms.csv", index=False)
            self.persons.to_csv(staging / "persons.csv", index=False)
            (staging / "instrument.yaml").write_text(yaml.safe_dump(self.instrument(), sort_keys=False))
            (staging / "indices.yaml").write_text(yaml.safe_dump(self.index_definitions(), sort_keys=False))
        return Path(folder)


_FILES = ("forms.csv", "persons.csv", "instrument.yaml", "indices.yaml")


def _looks_like_planted(folder: Path) -> str | None:
    """None if ``folder`` is an earlier :meth:`PlantedCohort.write` (only its four files), else why not."""
    other = sorted(p.name for p in folder.iterdir() if p.name not in _FILES)
    if other:
        return f"it holds {other[0]}"
    try:
        raw = yaml.safe_load((folder / "instrument.yaml").read_text())
        planted = raw["instrument"]["id"] == "planted"
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        planted = False
    return None if planted else "its instrument.yaml is not a planted-effects instrument"


def _check_effects(design: PlantedDesign, effects: Sequence[PlantedEffect]) -> None:
    for e in effects:
        if e.item not in design.items:
            raise ValueError(f"planted effect: unknown item {e.item!r}; items are {', '.join(design.items)}")
        if e.column not in design.groups:
            raise ValueError(f"planted effect on {e.item}: unknown column {e.column!r}; columns are {', '.join(design.groups)}")
        if e.group not in design.groups[e.column][0]:
            raise ValueError(f"planted effect on {e.item}: {e.column} has no level {e.group!r}")


def _person_parameters(design: PlantedDesign, effects: Sequence[PlantedEffect], persons: pd.DataFrame,
                       item: str) -> tuple[np.ndarray, np.ndarray]:
    """Per person intercept and loading of ``item`` (reference: 0 and the design loading)."""
    n = len(persons)
    intercept = np.zeros(n)
    loading = np.full(n, design.item_loading(item))
    for e in effects:
        if e.item == item:
            hit = (persons[e.column] == e.group).to_numpy()
            intercept[hit] += e.intercept_shift
            loading[hit] += e.loading_shift
    return intercept, loading


def simulate_planted(design: PlantedDesign, effects: Sequence[PlantedEffect] = (), seed: int = 0) -> PlantedCohort:
    """Draw persons and their answers; same seed, same data.

    Examples
    --------
    >>> c = simulate_planted(PlantedDesign(n_persons=50), seed=3)
    >>> sorted(c.persons.columns), int(c.forms["i01"].between(1, 7).all())
    (['answer_language', 'gender', 'person_id'], 1)
    """
    effects = tuple(effects)
    _check_effects(design, effects)
    rng = np.random.default_rng(seed)
    n = design.n_persons
    persons = pd.DataFrame({"person_id": [f"p{k:05d}" for k in range(1, n + 1)]})
    for column, (levels, probs) in design.groups.items():
        persons[column] = rng.choice(np.asarray(levels, dtype=object), size=n, p=np.asarray(probs))
    n_factors = len(design.factors)
    phi = np.full((n_factors, n_factors), design.factor_correlation)
    np.fill_diagonal(phi, 1.0)
    eta = rng.standard_normal((n, n_factors)) @ np.linalg.cholesky(phi).T
    for (column, level), shift in design.impact.items():
        eta[(persons[column] == level).to_numpy()] += shift
    cuts = design.thresholds()
    forms = {"person_id": persons["person_id"]}
    for f, (factor, items) in enumerate(design.factors.items()):
        for item in items:
            intercept, loading = _person_parameters(design, effects, persons, item)
            residual_sd = np.sqrt(1.0 - design.item_loading(item) ** 2)
            latent = intercept + loading * eta[:, f] + residual_sd * rng.standard_normal(n)
            forms[item] = np.searchsorted(cuts, latent) + 1
    return PlantedCohort(forms=pd.DataFrame(forms), persons=persons, design=design, effects=effects, seed=seed)


def expected_item_means(design: PlantedDesign, effects: Sequence[PlantedEffect], column: str, level: str) -> pd.Series:
    """Population item means for persons with ``column == level`` (other columns mixed as drawn).

    Closed form: with :math:`\\eta \\sim N(\\kappa, 1)`, :math:`y^*` is normal with mean
    :math:`\\nu + \\lambda\\kappa` and variance :math:`\\lambda^2 + 1 - \\lambda_0^2`, so
    :math:`E[y] = 1 + \\sum_k P(y^* > \\tau_k)`. Effects and impact on *other* columns enter as
    a mixture over that column's levels (independent of ``column`` by design). An independent
    check of :func:`simulate_planted`.
    """
    _check_effects(design, effects)
    others = [c for c in design.groups if c != column]
    # every combination of the other columns' levels, with its probability
    combos: list[tuple[dict[str, str], float]] = [({column: level}, 1.0)]
    for c in others:
        levels, probs = design.groups[c]
        combos = [({**combo, c: lv}, w * p) for combo, w in combos for lv, p in zip(levels, probs)]
    cuts = design.thresholds()
    means = {}
    for item in design.items:
        total = 0.0
        for combo, weight in combos:
            nu, lam = 0.0, design.item_loading(item)
            for e in effects:
                if e.item == item and combo.get(e.column) == e.group:
                    nu += e.intercept_shift
                    lam += e.loading_shift
            kappa = sum(shift for (c, lv), shift in design.impact.items() if combo.get(c) == lv)
            sd = np.sqrt(lam**2 + 1.0 - design.item_loading(item) ** 2)
            total += weight * (1.0 + norm.sf((cuts - nu - lam * kappa) / sd).sum())
        means[item] = total
    return pd.Series(means, name=f"{column}={level}")
