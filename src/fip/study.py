"""One study on one dataset, computed once: pairing, item correlations, index scores, analysis table.

A :class:`Study` is built from a :class:`~fip.data.Dataset` and a few options and hands out
everything the analyses share, each computed on first use and kept: the pairing of forms into
measurements, the round-1 item frame and correlation matrix of every item set, the index
scores, the study's controls, the analysis table of the regressions and the features of the
job-chance models. :func:`fip.report.replicate`, :func:`fip.predict.train` and the CLI read
from it, so nothing is computed twice.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> study = Study(simulate_cohort(300, seed=1))
>>> study.item_sets
('citizen', 'caseworker', 'both')
>>> corr = study.correlation("citizen")
>>> corr.correlation.shape, corr.n_obs == len(corr.data.dropna())
((11, 11), True)
>>> study.analysis is study.analysis  # computed once
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from fip.controls import study_controls
from fip.data import Dataset, Pairing, pair_forms
from fip.data.dataset import iso_date
from fip.disclosure import DisclosurePolicy
from fip.factors._input import correlation_input
from fip.indices import IndexDefinition, load_index_definitions, score_indices
from fip.instrument import Instrument
from fip.regression.analysis_table import (
    OUTCOME_WINDOWS,
    AnalysisTable,
    OutcomeWindow,
    build_analysis_table,
    outcome_window,
)
from fip._options import check_option

__all__ = ["ItemCorrelation", "Study", "fitting_index_definitions"]


def fitting_index_definitions(
    instrument: Instrument, min_share_answered: float | str | None = None
) -> tuple[IndexDefinition, ...]:
    """The study's index definitions (``configs/indices.yaml``) whose items all belong to ``instrument``.

    ``min_share_answered``: the missing-item rule instead of the file's (every item), e.g.
    ``"2/3"`` (see :func:`fip.indices.load_index_definitions`).

    Examples
    --------
    >>> from fip.instrument import load_instrument
    >>> len(fitting_index_definitions(load_instrument()))
    15
    """
    items = set(instrument.item_ids())
    return tuple(d for d in load_index_definitions(min_share_answered=min_share_answered) if set(d.items) <= items)


@dataclass(frozen=True, eq=False)
class ItemCorrelation:
    """The round-1 answers of one item set and their Pearson correlation matrix (listwise).

    Attributes
    ----------
    item_set : str
        ``citizen``, ``caseworker``, ``both`` (all items) or another respondent of the instrument.
    items : tuple of str
    data : DataFrame
        Round-1 measurements x ``items`` (float64, NaN where not answered).
    correlation : DataFrame
        ``items`` x ``items``, from the complete rows.
    n_obs : int
        Complete rows behind ``correlation``.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> c = Study(simulate_cohort(300, seed=1)).correlation("caseworker")
    >>> list(c.tidy().columns), len(c.tidy()) == len(c.items) ** 2
    (['item_a', 'item_b', 'r', 'n'], True)
    """

    item_set: str
    items: tuple[str, ...]
    data: pd.DataFrame
    correlation: pd.DataFrame
    n_obs: int

    def tidy(self) -> pd.DataFrame:
        """One row per pair of items: ``item_a``, ``item_b``, ``r`` and ``n`` (rows used)."""
        long = self.correlation.rename_axis(index="item_a", columns="item_b").stack().rename("r").reset_index()
        return long.assign(n=self.n_obs)


class Study:
    """A dataset and the options of one study, with every shared computation cached.

    Parameters
    ----------
    dataset : Dataset
        Persons, forms and outcomes; its instrument is the study's.
    definitions : sequence of IndexDefinition, optional
        Indices to score; default :func:`fitting_index_definitions` (the study's, where they
        fit the instrument).
    until : str, optional
        ISO date: the regressions and the job-chance models (:attr:`model_dataset`,
        :attr:`model_pairing`, :attr:`analysis`, :meth:`features`) use only forms answered
        up to it; descriptives and factor analyses (:attr:`pairing`, :meth:`correlation`)
        keep every form, as the study did (``"2018-12-31"``).
    policy : DisclosurePolicy, optional
        Small-cell rule of the outputs made from this study (stored, applied by the output
        layer); default :meth:`DisclosurePolicy.default`.

    Notes
    -----
    Properties are computed on first access and kept (``functools.cached_property``); a
    Study cannot be changed after it is built. Warnings (e.g. a Heywood case) are raised
    when a property is first computed.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> study = Study(simulate_cohort(300, seed=1), until="2018-12-31")
    >>> study.until, study.model_pairing is study.pairing
    ('2018-12-31', False)
    >>> list(study.features("intake").columns[:2])
    ['c01_level', 'c02_level']
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        definitions: Sequence[IndexDefinition] | None = None,
        until: str | None = None,
        policy: DisclosurePolicy | None = None,
    ) -> None:
        if not isinstance(dataset, Dataset):
            raise TypeError(f"dataset must be a fip.data.Dataset; got {type(dataset).__name__}")
        init = object.__setattr__
        init(self, "dataset", dataset)
        init(self, "until", None if until is None else iso_date(until, "until"))
        init(self, "_definitions", None if definitions is None else tuple(definitions))
        init(self, "policy", DisclosurePolicy.default() if policy is None else policy)
        init(self, "_features", {})
        init(self, "_correlations", {})
        init(self, "_controls", {})
        init(self, "_windows", {})

    dataset: Dataset
    until: str | None
    policy: DisclosurePolicy

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Study cannot be changed (tried to set {name!r}); build a new one")

    def __repr__(self) -> str:
        ds = self.dataset
        return (f"Study(instrument={self.instrument.id!r}, persons={len(ds.persons)}, forms={len(ds.forms)}, "
                f"until={self.until!r})")

    @property
    def instrument(self) -> Instrument:
        """The dataset's instrument."""
        return self.dataset.instrument

    # -- pairing ---------------------------------------------------------------------------
    @cached_property
    def pairing(self) -> Pairing:
        """:func:`fip.data.pair_forms` of every form (descriptives, factor analyses)."""
        return pair_forms(self.dataset)

    @property
    def funnel(self) -> pd.DataFrame:
        """The pairing funnel (``pairing.funnel``: forms, same-month pairs, exclusions)."""
        return self.pairing.funnel

    @property
    def measurements(self) -> pd.DataFrame:
        """One row per person and round (``pairing.measurements``)."""
        return self.pairing.measurements

    @cached_property
    def model_dataset(self) -> Dataset:
        """The dataset with forms up to :attr:`until` (the dataset itself without ``until``)."""
        return self.dataset if self.until is None else self.dataset.forms_between(last=self.until)

    @cached_property
    def model_pairing(self) -> Pairing:
        """Pairing of :attr:`model_dataset` (:attr:`pairing` itself without ``until``)."""
        return self.pairing if self.until is None else pair_forms(self.model_dataset)

    # -- items -----------------------------------------------------------------------------
    @cached_property
    def item_sets(self) -> tuple[str, ...]:
        """Item sets analysed: each measurement respondent with items, then ``both`` (all items)."""
        inst = self.instrument
        return tuple(r for r in inst.measurement_respondents if inst.item_ids(r)) + ("both",)

    def items_of(self, item_set: str) -> tuple[str, ...]:
        """Items of an item set (``both``: every item of the instrument)."""
        check_option("item_set", item_set, self.item_sets)
        return tuple(self.instrument.item_ids(None if item_set == "both" else item_set))

    @cached_property
    def round1(self) -> pd.DataFrame:
        """Round-1 rows of :attr:`measurements`."""
        m = self.measurements
        return m[m["round"] == 1]

    def correlation(self, item_set: str) -> ItemCorrelation:
        """Round-1 item frame and listwise Pearson correlation of ``item_set`` (cached per set)."""
        items = self.items_of(item_set)
        if item_set not in self._correlations:
            data = self.round1[list(items)].astype("float64")
            ci = correlation_input(data)
            self._correlations[item_set] = ItemCorrelation(item_set, items, data, ci.correlation, int(ci.n_obs))
        return self._correlations[item_set]

    # -- indices ---------------------------------------------------------------------------
    @cached_property
    def definitions(self) -> tuple[IndexDefinition, ...]:
        """Index definitions of the study (given, or those fitting the instrument)."""
        if self._definitions is not None:
            return self._definitions
        return fitting_index_definitions(self.instrument)

    @cached_property
    def index_scores(self) -> pd.DataFrame:
        """:func:`fip.indices.score_indices` of :attr:`measurements`: ``person_id``, ``round``, one column per index."""
        return score_indices(self.measurements, self.definitions, scale=self.instrument.scale)

    @cached_property
    def model_index_scores(self) -> pd.DataFrame:
        """Index scores of :attr:`model_pairing` (:attr:`index_scores` itself without ``until``)."""
        if self.model_pairing is self.pairing:
            return self.index_scores
        return score_indices(self.model_pairing.measurements, self.definitions, scale=self.instrument.scale)

    # -- controls, analysis table, features ----------------------------------------------------
    def controls(self, round_: int) -> pd.DataFrame:
        """The study's controls (:func:`fip.controls.study_controls`) at each person's round ``round_``.

        Computed once per round on :attr:`model_pairing` for every person with that round
        (index ``person_id`` as text); the analysis table and the features take their rows.
        """
        check_option("round_", round_, (1, 2))
        if round_ not in self._controls:
            m = self.model_pairing.measurements
            rows = m[m["round"] == round_]
            ref = pd.Series(rows["measured_on"].to_numpy(), index=pd.Index(rows["person_id"].astype("str"),
                                                                               name="person_id"))
            persons = self.dataset.persons.assign(person_id=self.dataset.persons["person_id"].astype("str"))
            self._controls[round_] = study_controls(persons, ref)
        return self._controls[round_]

    @cached_property
    def analysis(self) -> AnalysisTable:
        """The regressions' analysis table (:func:`fip.regression.build_analysis_table`) of :attr:`model_dataset`."""
        return build_analysis_table(self.model_dataset, self.model_pairing, self.definitions,
                                    scores=self.model_index_scores, controls=self.controls(2))

    def outcome_window(self, after: str = "round_2") -> OutcomeWindow:
        """Outcomes over the 6 months after round 1 or 2 (:func:`fip.regression.outcome_window`)
        of :attr:`model_dataset`, cached per window."""
        check_option("after", after, OUTCOME_WINDOWS)
        if after not in self._windows:
            self._windows[after] = outcome_window(self.model_dataset, self.model_pairing, after)
        return self._windows[after]

    def features(self, kind: str) -> pd.DataFrame:
        """Features of a job-chance model kind (:func:`fip.predict.build_features`), cached per kind."""
        from fip.predict.features import MODEL_KINDS, build_features  # sklearn stays unimported until needed

        check_option("kind", kind, MODEL_KINDS)
        if kind not in self._features:
            self._features[kind] = build_features(
                self.model_pairing.measurements, self.dataset.persons, self.instrument, kind,
                controls=self.controls(1 if kind == "intake" else 2))
        return self._features[kind]
