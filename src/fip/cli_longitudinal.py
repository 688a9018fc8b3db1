"""``fip invariance --over rounds``: longitudinal measurement invariance, round 1 → round 2.

The body of ``fip invariance`` with ``--over rounds`` (:mod:`fip.cli_cfa` hands over to
:func:`longitudinal_invariance_command`); the statistics are :mod:`fip.cfa.longitudinal`.
"""

from __future__ import annotations

from pathlib import Path

from fip.errors import FipError

__all__ = ["longitudinal_invariance_command", "longitudinal_title"]

ROUNDS = (1, 2)


def longitudinal_title(*, n_both: int, n: int, n_items: int, n_factors: int, respondent: str | None,
                       method: str, rule_words: str, partial: bool) -> str:
    """The title of the longitudinal table: persons in both rounds, n used, the model, the method, the rule.

    Example
    -------
    >>> longitudinal_title(n_both=482, n=480, n_items=11, n_factors=3, respondent="citizen", method="ML",
    ...                    rule_words="R", partial=False)[:60]
    'Longitudinal measurement invariance, round 1 → round 2: 482 '
    """
    who = f" ({respondent} items)" if respondent else ""
    part = "; partial: equalities over time freed by univariate score tests (see 'freed')" if partial else ""
    return (f"Longitudinal measurement invariance, round 1 → round 2: {n_both} persons measured in both rounds, "
            f"n = {n} with complete answers to the {n_items} items{who} in both; one model with each of the "
            f"{n_factors} factors in each round, the same item's residuals correlated over rounds, {method}; "
            "metric: loadings equal over time, scalar: + intercepts (round-2 latent means free, round 1 at 0), "
            f"strict: + residual variances; rule: {rule_words}{part}")


def longitudinal_invariance_command(data: Path | None, model: Path | None, definitions: Path | None,
                                    respondent: str | None, items: str | None, partial: bool, rule: str,
                                    std_lv: bool, fmt: str, out: Path | None, instrument: Path | None,
                                    store: Path | None, wait: float, min_cell: int | None,
                                    secure_machine: bool) -> None:
    """Run ``fip invariance --over rounds`` (options as ``fip invariance``)."""
    from fip._output import emit
    from fip.cfa.invariance import RULE_WORDS
    from fip.cfa.longitudinal import longitudinal_invariance, wide_rounds
    from fip.cli import _check_outputs, _policy, console
    from fip.cli_cfa import _spec_and_frame, _title_method

    _check_outputs(("--out", out))
    policy = _policy(min_cell, secure_machine)
    _, spec, measurements = _spec_and_frame(data, instrument, store, wait, policy, model, definitions, respondent,
                                            items, None)
    if not len(measurements) or int(measurements["round"].max()) < 2:
        raise FipError("--over rounds: every person has one measurement (round 1 only); longitudinal invariance "
                       "needs persons measured in round 1 and round 2")
    wide = wide_rounds(measurements, spec.items, ROUNDS)
    if not len(wide):
        raise FipError("--over rounds: no person is measured in both round 1 and round 2")
    cols = [c for c in wide.columns if c != "person_id"]
    complete = int(wide[cols].notna().all(axis=1).sum())
    policy.require(complete, "longitudinal measurement invariance")
    res = longitudinal_invariance(spec, wide, rounds=ROUNDS, rule=rule, partial=partial, std_lv=std_lv)
    title = longitudinal_title(n_both=res.n_persons, n=res.n, n_items=len(spec.items), n_factors=len(spec.factors),
                               respondent=respondent, method=_title_method(std_lv), rule_words=RULE_WORDS[rule],
                               partial=partial)
    unconverged = [name for name, r, _ in res.levels if not r.converged]
    if unconverged:
        title += f"; NOT CONVERGED: {', '.join(unconverged)}"
    emit(res.tidy(), fmt, out, console, notice=policy.statement, title=title)
    if fmt in ("csv", "json"):
        return  # one table per output (the CSV contract: one row per level)
    means = res.latent_means()
    means_out = None if out is None else out.with_suffix(".latent_means" + out.suffix)
    emit(means, fmt, means_out, console,
         title=f"Latent means of round 2 (round 1 fixed at 0; std: in round-2 SDs of the factor), n = {res.n}")
