"""Time the figures of `fip replicate` on the default synthetic cohort: PNG against SVG.

Run: PYTHONPATH=src /work/venv/bin/python benchmarks/bench_figures.py [--persons N] [--seed S] [--repeat 3]

The report is run once while every ``Figure.savefig`` call is timed (that is the report's
figure time as it is now) and the figures are kept. Each kept figure is then rendered again,
``--repeat`` times, with :func:`fip.report.figures.figure_bytes` as PNG (110 dpi, the
report's files) and as SVG, and with :func:`fip.report.figures.figure_bytes_in` as both (what
the report does now: the PNG file and the SVG embedded in the page, with one layout pass);
the median is printed per figure and summed. "old" is the report before SVG embedding: one
PNG per figure, written to ``figures/`` and embedded in the page.

Rendering a figure the first time includes its layout (tight or constrained), so the
in-report time per figure can exceed the medians of the later renders.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from matplotlib.figure import Figure

    from fip.report import replicate
    from fip.report.figures import REPORT_DPI, figure_bytes, figure_bytes_in
    from fip.simulate import simulate_cohort

    figures: dict[int, Figure] = {}
    in_report: dict[str, float] = defaultdict(float)
    original = Figure.savefig

    def timed_savefig(self, fname, *a, **kw):  # records every render of the report
        start = time.perf_counter()
        try:
            return original(self, fname, *a, **kw)
        finally:
            figures.setdefault(id(self), self)
            in_report[str(kw.get("format", "?"))] += time.perf_counter() - start

    dataset = simulate_cohort(args.persons, seed=args.seed)
    Figure.savefig = timed_savefig
    try:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            result = replicate(dataset, out, seed=args.seed)
            total = time.perf_counter() - start
    finally:
        Figure.savefig = original
    names = list(result.figure_paths)
    if len(names) != len(figures):
        names = [f"figure {k + 1}" for k in range(len(figures))]

    def median_seconds(fig: Figure, fmt: str) -> tuple[float, int]:
        times, size = [], 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            if fmt == "both":
                size = sum(map(len, figure_bytes_in(fig, ("png", "svg"), dpi=REPORT_DPI).values()))
            else:
                size = len(figure_bytes(fig, fmt, dpi=REPORT_DPI))
            times.append(time.perf_counter() - start)
        return statistics.median(times), size

    print(f"{len(dataset.persons)} persons, {len(figures)} figures; medians of {args.repeat} renders at {REPORT_DPI} dpi")
    print(f"{'figure':<26}{'PNG s':>8}{'SVG s':>8}{'both s':>8}{'PNG kB':>8}{'SVG kB':>8}")
    sums = {"png": 0.0, "svg": 0.0, "both": 0.0}
    sizes = {"png": 0, "svg": 0}
    for name, fig in zip(names, figures.values()):
        row = {fmt: median_seconds(fig, fmt) for fmt in ("png", "svg", "both")}
        for fmt, (seconds, size) in row.items():
            sums[fmt] += seconds
            if fmt in sizes:
                sizes[fmt] += size
        print(f"{name:<26}{row['png'][0]:8.3f}{row['svg'][0]:8.3f}{row['both'][0]:8.3f}"
              f"{row['png'][1] / 1e3:8.0f}{row['svg'][1] / 1e3:8.0f}")
    print(f"{'sum':<26}{sums['png']:8.3f}{sums['svg']:8.3f}{sums['both']:8.3f}"
          f"{sizes['png'] / 1e3:8.0f}{sizes['svg'] / 1e3:8.0f}")
    print(f"report figure time, old (one PNG per figure, file and page):              {sums['png']:.2f} s")
    print(f"report figure time, new (PNG file + SVG in the page, layout run once):    {sums['both']:.2f} s")
    print(f"  (PNG and SVG rendered separately, each with its own layout pass, would be "
          f"{sums['png'] + sums['svg']:.2f} s)")
    measured = ", ".join(f"{fmt} {seconds:.2f} s" for fmt, seconds in sorted(in_report.items()))
    print(f"measured inside this replicate run: {measured}; replicate total {total:.2f} s")


if __name__ == "__main__":
    main()
