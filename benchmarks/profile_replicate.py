"""How often one `fip replicate` run computes the pieces its sections share.

Run: PYTHONPATH=src /work/venv/bin/python benchmarks/profile_replicate.py [--persons N] [--seed S] [--until DATE]

Counts the calls of pair_forms, build_analysis_table, score_indices, study_controls and the
item correlation matrices computed from item scores (fip.factors correlation_input given
data rather than a matrix), wherever a fip module looks them up, during one replicate run on
the synthetic cohort (default: the study's size), and prints the seconds per step.
tests/test_report_sections.py asserts the same counts on a small cohort.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from unittest import mock


def _patch_everywhere(stack: ExitStack, function) -> mock.Mock:
    """One counting wrapper of ``function`` put wherever a loaded fip module looks it up."""
    counter = mock.Mock(wraps=function)
    for name, module in list(sys.modules.items()):
        if name.startswith("fip") and module is not None and getattr(module, function.__name__, None) is function:
            stack.enter_context(mock.patch.object(module, function.__name__, counter))
    return counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--until", default=None)
    args = parser.parse_args()

    import fip.predict  # noqa: F401  (load every module that looks the functions up)
    import fip.report.sections  # noqa: F401
    from fip.controls import study_controls
    from fip.data import pair_forms
    from fip.factors._input import _looks_like_correlation, correlation_input
    from fip.indices import score_indices
    from fip.regression import build_analysis_table
    from fip.report import replicate
    from fip.simulate import simulate_cohort

    dataset = simulate_cohort(args.persons, seed=args.seed)
    functions = (pair_forms, build_analysis_table, score_indices, study_controls, correlation_input)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as out:
        counts = {f.__name__: _patch_everywhere(stack, f) for f in functions}
        start = time.perf_counter()
        result = replicate(dataset, out, seed=args.seed, until=args.until)
        seconds = time.perf_counter() - start
    print(f"one replicate run: {len(dataset.persons)} persons, until={args.until}, {seconds:.2f} s")
    for name in ("pair_forms", "build_analysis_table", "score_indices", "study_controls"):
        print(f"  {name:<22}{counts[name].call_count:3d} call(s)")
    dates = [len(c.args[1]) for c in counts["study_controls"].call_args_list]
    print(f"  {'':<22}study_controls reference-date sets (persons): {dates}")
    inst = dataset.instrument
    names = {tuple(inst.item_ids(r)): r for r in inst.measurement_respondents} | {tuple(inst.item_ids()): "both"}
    computed: Counter = Counter()
    for call in counts["correlation_input"].call_args_list:
        data = call.args[0]
        if not _looks_like_correlation(data):
            items = tuple(call.args[1]) if len(call.args) > 1 and call.args[1] is not None else tuple(data.columns)
            computed[names.get(items, f"{len(items)} items of an index (omega)")] += 1
    for key, n in computed.items():
        print(f"  correlation matrix from item scores, {key:<12}{n:3d} time(s)")
    for step, t in result.timings.items():
        print(f"  step {step:<14}{t:6.2f} s")


if __name__ == "__main__":
    main()
