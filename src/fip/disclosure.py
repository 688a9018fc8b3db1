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

from dataclasses import dataclass
from pathlib import Path

from fip.errors import ConfigError

__all__ = ["DisclosurePolicy", "load_policy"]


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
        return load_policy()

    def is_small(self, n) -> bool:
        """True where ``n`` persons is 1 .. threshold-1 (0 persons reveal nothing)."""
        return (n > 0) & (n < self.threshold)

    @property
    def statement(self) -> str | None:
        """What an output says on its first line when the threshold is lowered, else None."""
        if not self.secure_machine:
            return None
        return (f"SECURE MACHINE ONLY: figures resting on {self.threshold} or more persons are shown "
                "(below the standard minimum of 5); do not publish or pass on this output.")


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
