"""Domain errors and warnings of fip.

Every error a user can cause by giving fip bad input is a subclass of :class:`FipError`; the
command-line interface turns them into a one-line message per problem and exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from fip.personal import mask_personal

__all__ = [
    "CollinearityWarning",
    "DriftWarning",
    "FewEventsWarning",
    "FipError",
    "HeywoodCaseWarning",
    "ConfigError",
    "InvalidDataError",
    "NotPositiveDefiniteWarning",
    "ReverseKeyWarning",
    "Problem",
    "mask_personal",
]

class FipError(Exception):
    """Base class of the errors caused by user input (data, configuration, options)."""


class ConfigError(FipError, ValueError):
    """A configuration file (instrument, index definitions) is malformed.

    The message names the file and the key that is wrong and what was expected.
    """


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    file : str
        File name (not the full path) the problem is in.
    row : int or None
        Spreadsheet row number: the header is row 1, the first data row is row 2.
        ``None`` when the problem is about the whole file or a column.
    column : str or None
        Column name, or ``None`` when the problem is about a whole row or file.
    value : str or None
        The offending value as read (CPR-like numbers masked).
    expected : str
        What was expected instead, in plain words.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        got = "" if self.value is None else f"got {mask_personal(self.value)!r}; "
        return f"{', '.join(where)}: {got}expected {self.expected}"


class InvalidDataError(FipError, ValueError):
    """A dataset has problems; ``problems`` lists every one of them.

    ``str(error)`` gives one line per problem.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class HeywoodCaseWarning(UserWarning):
    """A communality reached 1 (uniqueness 0): a Heywood case.

    The solution is improper: an item is fully explained by the common factors. Usual causes are
    too many factors, too few items per factor or a small sample. Try fewer factors, check the
    item named in the message for near-duplicates, or use ``method="pf"`` (no iteration).
    """


class CollinearityWarning(UserWarning):
    """Regressors were dropped because they are collinear with the fixed effect or earlier ones.

    Stata omits such variables ("omitted because of collinearity"); fip does the same and names
    them in the warning and in ``FixedEffectsResult.dropped``. Check for a regressor that is
    constant within every group (e.g. a caseworker-level variable) or a complete set of dummies.
    """


class FewEventsWarning(UserWarning):
    """A job-chance model learnt from few persons with (or without) a job.

    Below :data:`fip.predict.model.MIN_EVENTS` such persons ``train`` refuses; below
    :data:`fip.predict.model.FEW_EVENTS_PER_FEATURE` per feature it warns. Such a model's
    probabilities are unstable from sample to sample even with the penalty: check the
    calibration slope and the intervals, or train on more measurements.
    """


class ReverseKeyWarning(UserWarning):
    """An item correlates negatively with the rest of its index: it is probably reverse-keyed.

    Advice: list it under ``reverse:`` in the index definitions (psych ``keys``, Stata
    ``alpha, reverse()``); alpha and omega of an index with such an item understate (or are
    negative).
    """


class NotPositiveDefiniteWarning(UserWarning):
    """A correlation matrix (e.g. pairwise polychoric) was not positive definite and was smoothed.

    Pairwise estimates need not form a proper correlation matrix. fip smooths it as
    ``psych::cor.smooth`` does (eigenvalues below 1e-12 set to 1e-10, rescaled to sum to the
    number of items, back to a correlation matrix). Factor analyses on a smoothed matrix are
    approximate: check for items with few answers or near-empty categories.
    """


class DriftWarning(UserWarning):
    """A cohort being scored differs from the data the job-chance model was trained on.

    :func:`fip.predict.score` compares the cohort's features with the training distributions
    stored in the model file (:mod:`fip.predict.drift`): population stability index per
    feature, values outside the training range, categories the training data did not have.
    The probabilities of such a cohort may be off: check them against outcomes when they
    arrive (``fip recalibrate``), or retrain on recent data.
    """
