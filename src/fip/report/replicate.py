"""`fip replicate`: the whole study (VIVE 2020, chapter 4) on one dataset, as files.

:func:`replicate` runs every analysis of the study on a dataset and writes, under
``out_dir``: ``report.html`` (one self-contained page, figures embedded), ``tables/*.csv``
(one per table, full precision) and ``figures/*.png``. Where the study printed numbers they
stand beside ours with the difference (ours minus published). Each part of the page is a
section of :mod:`fip.report.sections`, a function of one :class:`fip.study.Study`.

Only aggregates leave this module: no person or caseworker id, and every table and figure
goes through one :class:`fip.disclosure.DisclosurePolicy` (no figure resting on 1-4 persons
is shown or recoverable by subtraction within the report; see :mod:`fip.report.sections`).

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> result = replicate(simulate_cohort(seed=0), "out/replication")  # doctest: +SKIP
>>> result.report.name  # doctest: +SKIP
'report.html'
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from fip._atomic import check_output_folder, replace_folder
from fip._output import to_csv
from fip.data import Dataset
from fip.disclosure import DisclosurePolicy
from fip.report import html
from fip.report import sections as sec
from fip.report._render import PoolRenderer, default_workers
from fip.report.pdf import find_chromium, html_to_pdf
from fip.report.sections import SectionResult
from fip.study import Study

__all__ = ["STEPS", "ReplicationResult", "check_replication_target", "looks_like_replication", "replicate"]

#: Steps reported to the ``progress`` callback, in order.
STEPS: tuple[str, ...] = ("sample", "descriptives", "factors", "indices", "regressions", "statements",
                          "open_choices", "prediction", "validity", "report")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ReplicationResult:
    """What :func:`replicate` wrote.

    Attributes
    ----------
    out_dir : Path
    report : Path
        ``out_dir / "report.html"``.
    pdf : Path or None
        ``out_dir / "report.pdf"`` when it was asked for.
    tables : dict of str -> DataFrame
        Every table written, by name (the CSV file is ``tables/<name>.csv``).
    table_paths, figure_paths : dict of str -> Path
    timings : dict of str -> float
        Seconds per step of :data:`STEPS` (not written anywhere, so files stay reproducible).
    notes : tuple of str
        Warnings raised by the analyses (also listed in the report).
    sections : dict of str -> SectionResult
        The sections' results (:mod:`fip.report.sections`), by section id, in page order.
    """

    out_dir: Path
    report: Path
    tables: dict[str, pd.DataFrame]
    table_paths: dict[str, Path]
    figure_paths: dict[str, Path]
    timings: dict[str, float]
    notes: tuple[str, ...]
    sections: dict[str, SectionResult]
    pdf: Path | None = None


#: What an earlier output of :func:`replicate` may hold: the report, tables and figures.
_LAYOUT = {"report.html": None, "report.pdf": None, "tables": (".csv",), "figures": (".png", ".svg")}


def looks_like_replication(folder: Path) -> str | None:
    """``None`` if ``folder`` holds an earlier output of :func:`replicate` (``report.html``,
    ``report.pdf``, ``tables/*.csv``, ``figures/*.png|svg`` and nothing else), else what is in the way.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> home = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (home / "thesis.docx").write_text("precious")
    >>> looks_like_replication(home)
    'it has no report.html'
    """
    if not (folder / "report.html").is_file():
        return "it has no report.html"
    for entry in sorted(folder.iterdir()):
        if entry.name not in _LAYOUT:
            return f"it holds {entry.name}"
        suffixes = _LAYOUT[entry.name]
        if suffixes is None:
            continue
        if entry.is_symlink() or not entry.is_dir():
            return f"{entry.name} is not a folder"
        for item in entry.iterdir():
            if item.is_symlink() or not item.is_file() or item.suffix not in suffixes:
                return f"it holds {entry.name}/{item.name}"
    return None


def check_replication_target(out_dir: str | Path, option: str | None = None) -> Path:
    """Check before computing that :func:`replicate` may write ``out_dir`` (new, empty or an
    earlier replication); return it with symlinks resolved.

    Raises
    ------
    FipError
        ``out_dir`` is a file or a folder holding anything else (a home folder, a dataset).
    """
    return check_output_folder(out_dir, looks_like_replication, "the output of fip replicate", option)


def _write(path: Path, data: bytes) -> None:
    """Write one file into the private staging folder (made durable before the swap)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _write_tables(out: Path, result: SectionResult, table_paths: dict[str, Path], notice: str | None = None) -> None:
    """Write a section's tables as CSV; ``notice`` (a lowered disclosure threshold) is the
    first line of every CSV, as a ``#`` comment."""
    for name, frame in result.tables.items():
        path = out / "tables" / f"{name}.csv"
        _write(path, ((f"# {notice}\n" if notice else "") + to_csv(frame)).encode("utf-8"))
        table_paths[name] = path


def _write_figures(out: Path, result: SectionResult, figure_paths: dict[str, Path]) -> None:
    """Write a section's figures."""
    for name, fig in result.figures.items():
        path = out / "figures" / f"{name}.{fig.format}"
        _write(path, fig.data)
        figure_paths[name] = path


def replicate(
    dataset: Dataset | Study,
    out_dir: str | Path,
    *,
    progress: Progress | None = None,
    seed: int = 0,
    source: str = "a FIP dataset",
    synthetic: bool = False,
    until: str | None = None,
    policy: DisclosurePolicy | None = None,
    predict_C: float | str = "auto",
    workers: int | None = None,
    pdf: bool = False,
) -> ReplicationResult:
    """Run the whole study on ``dataset``; write the report, the tables and the figures.

    Parameters
    ----------
    dataset : Dataset or Study
        Persons, forms and outcomes (e.g. :func:`fip.simulate.simulate_cohort` or
        :func:`fip.data.load_dataset`), or a :class:`fip.study.Study` of them (then
        ``until`` is the Study's and must not be given; what it has already computed is
        reused, and warnings raised while computing it earlier are not in the report).
    out_dir : str or Path
        New, empty, or an earlier output of :func:`replicate` (anything else is refused:
        :func:`check_replication_target`). Everything is written into a temporary sibling
        folder that replaces ``out_dir`` in one step at the end
        (:func:`fip._atomic.replace_folder`): a run that fails or is killed leaves the old
        folder as it was, and no table of an earlier run stays behind.
    progress : callable, optional
        ``progress(step, i, n)`` is called before step ``i`` (0-based) of the ``n`` in
        :data:`STEPS`, and once more with ``("done", n, n)`` at the end. Library code never
        prints; the CLI draws a progress bar with it.
    seed : int
        Seed of parallel analysis and of the prediction's cross-validation folds.
    source : str
        How the report describes the data (e.g. ``"synthetic cohort (seed 0)"``).
    synthetic : bool
        Say in the report that the data are simulated.
    until : str, optional
        ISO date: only forms answered up to it enter the regressions and the job-chance
        validation, as in the study (``"2018-12-31"``); descriptives and factor analyses use
        every form, as the study did. Default: every form throughout.
    policy : DisclosurePolicy, optional
        The small-cell rule of every table and figure (default: the configured one,
        threshold 5; with a Study, the Study's). A lowered threshold (secure machine) is
        stated at the top of the report.
    predict_C : "auto" or float
        Inverse L2 penalty passed to :func:`fip.predict.train`: ``"auto"`` chooses it by nested
        cross-validation grouped by caseworker (the choices are in ``prediction_<kind>_penalty``).
    workers : int, optional
        Worker processes that draw and render the figures, and run the job-chance validation,
        while this process computes the other sections (:class:`fip.report._render.PoolRenderer`,
        BLAS limited to one thread there too); 0 does everything here, in turn. Default: 2 on a
        machine with two cores or more, else 0. The files are the same bytes either way.
    pdf : bool
        Also print the page to ``report.pdf`` with headless Chromium
        (:func:`fip.report.pdf.html_to_pdf`; every table row and column is printed, wide
        tables on landscape pages). The browser is looked for before anything is computed.
        The PDF holds its printing time, so it is the one file that differs between runs.

    Returns
    -------
    ReplicationResult

    Notes
    -----
    * Sections: summary (:func:`fip.report.summary.summary_table`); sample and funnel
      (Tabel 4.2, sample characteristics beside Tabel 4.4 and the text); the questionnaire
      (Tabel 4.1), item means and progression; factor analyses of the citizen, caseworker and
      all items (unrotated variance and the report's statements, varimax loadings beside
      Tables 4.7/4.8 with congruence and heatmaps, the study's item sets beside ours, scree
      and parallel analysis); indices and reliability (Heywood cases behind omega flagged);
      all regression families (Tables 4.5, 4.6, 4.9-4.13 beside ours, coefficient plots, fit
      statistics); job-chance validation (intake and progression, ``C`` =
      ``predict_C``); beyond the study, the validation analyses of :mod:`fip.report.validity`
      (sampling adequacy, parallel analysis, EFA on polychoric correlations, agreement and
      SDC95; CFA per item set); about. Each is a function of :mod:`fip.report.sections`.
    * One :class:`~fip.study.Study` serves every section: forms are paired once (twice with
      ``until``), the analysis table is built once, each item set's correlation matrix is
      computed once.
    * The study's 2017-2018 restriction of the regressions applies with ``until="2018-12-31"``.
    * Same dataset and seed give the same bytes (no timestamps in any file), whatever
      ``workers``: each figure is drawn afresh from its data and rendered with the same
      settings in whichever process draws it.
    * With workers, a section's step in ``timings`` excludes its figures; the ``report`` step
      includes waiting for them.
    """
    if isinstance(dataset, Study):
        if until is not None or policy is not None:
            raise ValueError("until and policy must not be given with a Study (the Study has its own)")
        study = dataset
    else:
        study = Study(dataset, until=until, policy=policy)
    final = Path(out_dir)
    browser = find_chromium() if pdf else None
    if workers is None:
        workers = default_workers()
    elif not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
        raise ValueError(f"workers must be an integer >= 0 or None; got {workers!r}")
    builders: dict[str, Callable[[PoolRenderer | None], SectionResult]] = {
        "sample": lambda r: sec.sample(study),
        "descriptives": lambda r: sec.descriptives(study, renderer=r),
        "factors": lambda r: sec.factors(study, seed=seed, renderer=r),
        "indices": lambda r: sec.indices(study),
        "regressions": lambda r: sec.regressions(study, renderer=r),
        "statements": lambda r: sec.statements(study, results.get("factors"), results.get("regressions")),
        "open_choices": lambda r: sec.open_choices(study, results.get("factors")),
        "prediction": lambda r: sec.prediction(study, seed=seed, C=predict_C, renderer=r),
        "validity": lambda r: sec.validity(study, seed=seed),
    }
    results: dict[str, SectionResult] = {}
    table_paths: dict[str, Path] = {}
    figure_paths: dict[str, Path] = {}
    timings: dict[str, float] = {}
    prediction: Callable[[], SectionResult] | None = None
    # one BLAS thread: the problems are small, and threads waiting for each other on a busy
    # machine made the regressions 5-8 times slower (fip.predict.train does the same)
    with replace_folder(final, looks_like=looks_like_replication, what="the output of fip replicate") as out, \
            threadpool_limits(1), (PoolRenderer(workers) if workers else nullcontext()) as renderer:
        report = out / "report.html"
        for i, name in enumerate(STEPS):
            if progress is not None:
                progress(name, i, len(STEPS))
            start = time.perf_counter()
            if name == "report":
                if renderer is not None:  # wait for the figures; they fill in the sections' placeholders
                    results = {k: renderer.resolve(r) for k, r in results.items()}
                for r in results.values():
                    _write_figures(out, r, figure_paths)
                summary = sec.summary(results.get("sample"), results.get("descriptives"), results.get("factors"),
                                      results.get("regressions"), results.get("statements"), synthetic=synthetic)
                _write_tables(out, summary, table_paths, study.policy.statement)
                _write_figures(out, summary, figure_paths)
                notes = tuple(dict.fromkeys(n for r in results.values() for n in r.warnings))
                closing = sec.about(study, source=source, synthetic=synthetic, seed=seed, notes=notes)
                shown = ([summary] if summary.blocks else []) + list(results.values()) + [closing]
                if study.policy.statement:
                    shown.insert(0, SectionResult("secure-machine", "Secure machine only",
                                                  (html.paragraph(study.policy.statement),)))
                text = html.page(f"FIP: the VIVE (2020) study replicated on {source}", [r.html() for r in shown],
                                 navigation=True)
                _write(report, text.encode("utf-8"))
                if browser is not None:
                    html_to_pdf(report, out / "report.pdf", chromium=browser)
                results = {"summary": summary, **results, "about": closing}
            elif name == "prediction" and prediction is not None:
                results[name] = prediction()
                _write_tables(out, results[name], table_paths, study.policy.statement)
            else:
                if name == "sample" and renderer is not None:
                    # the job-chance validation (a third of the computing) runs on a worker from here
                    # on, with the Study's pairing and analysis table (all the sample section adds)
                    study.analysis  # noqa: B018  (computed before the Study is sent)
                    prediction = renderer.call(sec.prediction, study, seed=seed, C=predict_C)
                results[name] = builders[name](renderer)
                _write_tables(out, results[name], table_paths, study.policy.statement)
            timings[name] = time.perf_counter() - start
    if progress is not None:
        progress("done", len(STEPS), len(STEPS))
    tables = {name: frame for r in results.values() for name, frame in r.tables.items()}
    moved = lambda paths: {k: final / p.relative_to(out) for k, p in paths.items()}  # noqa: E731
    return ReplicationResult(out_dir=final, report=final / "report.html", tables=tables,
                             table_paths=moved(table_paths), figure_paths=moved(figure_paths),
                             timings=timings, notes=notes, sections=results,
                             pdf=final / "report.pdf" if pdf else None)
