"""``fip`` command line: a thin shell over the library functions.

Every command that reads data takes a dataset folder (``DIR``); without one it uses the
synthetic cohort of the study's size (seed 0). Input errors print one line per problem on
stderr and exit with code 2, never a traceback.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from fip._options import FORMATS, check_option
from fip.errors import FipError, InvalidDataError, mask_personal

#: Metavars of the help by Python type: words a reader knows (none for a flag).
_METAVARS = {"int": "N", "float": "NUMBER", "str": "TEXT", "list[str]": "TEXT"}


def _plain_metavar(param) -> None:
    """Give ``param`` a plain metavar (``PATH``, ``N``, ``DIR`` for a dataset folder; nothing
    for a flag) instead of typer's ``<bool>``/``<path>``; an argument reads ``DIR`` or ``[DIR]``
    in the usage line, not ``{data}``."""
    if param.metavar is not None:
        return
    if getattr(param, "is_flag", False):
        param.metavar = ""
        return
    described = getattr(param, "type_descriptor", None)
    is_path = bool(getattr(described, "is_path", False))
    if param.param_type_name == "argument":
        shown = "DIR" if is_path else (param.name or "ARG").upper()
        param.metavar = shown
        param._usage_display_name = (lambda: shown) if param.required else (lambda: f"[{shown}]")
        param.display_type_rich = lambda ctx: None  # the name says it: no <path> beside DIR
        return
    if is_path:
        param.metavar = "PATH"
        return
    try:
        bare = param.bare_type()
    except (AttributeError, AssertionError):
        bare = ""
    param.metavar = _METAVARS.get(bare, "VALUE")


class _Group(typer.core.TyperGroup):
    """fip's command group: help with plain metavars (:func:`_plain_metavar`), for the
    commands of every ``cli_<area>`` module too."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for command in [self, *self.commands.values()]:
            for param in command.params:
                _plain_metavar(param)
            cls_get_help_option = type(command).get_help_option

            def get_help_option(ctx, _command=command, _get=cls_get_help_option):
                option = _get(_command, ctx)
                if option is not None:
                    option.metavar = ""
                return option

            command.get_help_option = get_help_option


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    rich_markup_mode="markdown",
    add_completion=False,
    pretty_exceptions_enable=False,
    help="fip: the FIP questionnaire toolkit: validate and store data, replicate the VIVE (2020) study (descriptives, factor analysis, indices, areg regressions), job-chance models and the FIP star.",
)
# markup=False: data (names, ids, labels) is printed as it is, never read as rich markup
# (``[/]`` in a folder name would crash, ``FIP [kvartal 3]`` would lose its bracket)
console = Console(soft_wrap=True, markup=False)
if not console.is_terminal and not os.environ.get("COLUMNS"):  # piped: do not squeeze tables into 80 columns
    console = Console(soft_wrap=True, width=200, markup=False)
err_console = Console(stderr=True, soft_wrap=True, markup=False)

MAX_PROBLEMS_SHOWN = 200


def _print_version(value: bool) -> None:
    if value:
        from fip import __version__

        console.print(f"fip {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print fip's version and exit.")] = False,
) -> None:
    """Options of ``fip`` itself (the group's help text is the ``help`` of :data:`app`)."""

DataDir = Annotated[
    Optional[Path],
    typer.Argument(help="FIP dataset folder (persons, forms, outcomes). Default: the synthetic cohort."),
]
InstrumentOpt = Annotated[
    Optional[Path],
    typer.Option("--instrument", help="Instrument YAML (default: the FIP instrument)."),
]


def _fail(lines: list[str], code: int = 2) -> None:
    for line in lines:  # masked: paths and option values may hold a CPR number
        err_console.print(f"error: {mask_personal(line)}", highlight=False)
    raise typer.Exit(code)


def _warn(message: str) -> None:
    """One line ``warning: ...`` on stderr (CPR-like numbers masked)."""
    err_console.print(f"warning: {mask_personal(message)}", highlight=False)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line on stderr (``warning: ...``), without source paths."""
    _warn(str(message))


def handles_errors(command):
    """Turn fip's input errors into messages on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        warnings.showwarning = _show_warning
        try:
            return command(*args, **kwargs)
        except InvalidDataError as exc:
            problems = [str(p) for p in exc.problems]
            shown = problems[:MAX_PROBLEMS_SHOWN]
            if len(problems) > len(shown):
                shown.append(f"... and {len(problems) - len(shown)} more problems (run `fip validate`)")
            _fail(shown)
        except (FipError, ValueError, OSError) as exc:
            lines = str(exc).splitlines()
            if not getattr(exc, "one_line_per_problem", False):  # e.g. ModelFileError lists them all
                lines = lines[:1]
            _fail(lines or [type(exc).__name__])

    return wrapper


def _instrument(path: Path | None):
    from fip.instrument import load_instrument

    return load_instrument(path)


MinCellOpt = Annotated[
    Optional[int],
    typer.Option("--min-cell", min=1, help="Smallest number of persons behind a shown figure (default: configs/disclosure.yaml, 5); "
                                           "below 5 only with --secure-machine."),
]
MinShareOpt = Annotated[
    Optional[str],
    typer.Option("--min-share-answered", help="Share of an index's items that must be answered, e.g. 2/3 (default: "
                                               "configs/indices.yaml, 1 = every item, the study's rule)."),
]
SecureOpt = Annotated[
    bool,
    typer.Option("--secure-machine", help="Allow --min-cell below 5 (researchers on a secure machine); every output then says so."),
]


RespondentOpt = Annotated[
    Optional[str],
    typer.Option("--respondent", help="Item set: a respondent of the instrument (FIP: citizen, caseworker) or both (all items)."),
]
ItemsOpt = Annotated[
    Optional[str],
    typer.Option("--items", help="Only these items, comma-separated (e.g. A1,A2,A3); ids as in the instrument."),
]


def _nan_policy_opt(default: str, what: str):
    return typer.Option("--nan-policy", help=f"Missing answers: listwise (complete rows) or pairwise; default {default} ({what}).")


def _item_selection(instrument, respondent: str | None, items: str | None) -> list[str] | None:
    """Items chosen by ``--respondent`` and ``--items`` (``None``: no choice made)."""
    if respondent is None and items is None:
        return None
    if respondent is not None:
        check_option("--respondent", respondent, (*instrument.respondent_ids, "both"))
    pool = list(instrument.item_ids(None if respondent in (None, "both") else respondent))
    if items is None:
        return pool
    chosen = [i.strip() for i in items.split(",") if i.strip()]
    unknown = [i for i in chosen if i not in pool]
    if unknown or not chosen:
        where = f"the {respondent} items" if respondent not in (None, "both") else f"instrument {instrument.id!r}"
        raise FipError(f"--items: unknown item(s) {', '.join(unknown) or '(none given)'} for {where}; "
                       f"expected some of {', '.join(pool)}")
    return chosen


def _policy(min_cell: int | None, secure_machine: bool):
    """The disclosure policy of a command's --min-cell / --secure-machine options."""
    from fip.disclosure import load_policy

    return load_policy(threshold=min_cell, secure_machine=secure_machine)


StoreOpt = Annotated[
    Optional[Path],
    typer.Option("--store", help="Read the dataset from this fip store (DuckDB file) instead of a folder."),
]
WaitOpt = Annotated[
    float,
    typer.Option("--wait", min=0, help="Seconds to wait while another process (an import) uses the store; 0: fail at once."),
]
KeyFileOpt = Annotated[
    Optional[Path],
    typer.Option("--key-file", help="File holding the pseudonym key for CPR-like ids (default: $FIP_PSEUDONYM_KEY)."),
]
WAIT = 30.0  # the default of --wait (fip.store.DEFAULT_TIMEOUT)


def _check_outputs(*outputs: tuple[str, Path | None]) -> None:
    """Check every output file of a command before computing: ``(option, path)`` pairs."""
    from fip._atomic import check_output_file

    for option, path in outputs:
        if path is not None:
            check_output_file(path, option)


def _figure_format(path: Path, option: str) -> str:
    """``"png"`` or ``"svg"`` from the suffix of ``path``; ValueError naming ``option`` otherwise."""
    return check_option(f"{option} suffix", path.suffix.lower(), (".png", ".svg"))[1:]


def _write_figure(path: Path, fig, private: bool = False) -> None:
    """Write ``fig`` to ``path`` as PNG or SVG (by suffix, checked before with :func:`_figure_format`),
    byte-reproducibly, at 150 dpi; ``private``: a new file is ``0o600`` (one person's figure)."""
    from fip._atomic import atomic_write_bytes
    from fip._figures import figure_bytes

    atomic_write_bytes(path, figure_bytes(fig, path.suffix.lower()[1:], dpi=150), private=private)


def _status(message: str):
    """A status line with a spinner on stderr while a long step runs (a terminal only; gone after)."""
    return err_console.status(message + " ...", spinner="line")


def load_data(data: Path | None, instrument_path: Path | None = None, store: Path | None = None, wait: float = WAIT,
              *, person_rows: bool = False, key_file: Path | None = None):
    """The dataset in ``data`` or ``store`` (waiting ``wait`` seconds for a busy store), or the
    default synthetic cohort when neither is given.

    ``person_rows``: the command writes person-level rows, so ids are screened as ``fip
    import`` does (CPR-like ids pseudonymised with the key of ``key_file`` or
    ``$FIP_PSEUDONYM_KEY``, refused without one; :func:`fip.store.screen.screen_ids`).
    """
    instrument = _instrument(instrument_path)
    if store is not None:
        if data is not None:
            raise FipError("give a dataset folder or --store, not both")
        from fip.store import load_store

        dataset = load_store(store, instrument, timeout=wait)
    elif data is None:
        from fip.simulate import simulate_cohort

        dataset = simulate_cohort(seed=0, instrument=instrument)
    else:
        from fip.data import load_dataset

        with _status(f"reading {mask_personal(data)}"):
            dataset = load_dataset(data, instrument)
    if person_rows:
        from fip.store.pseudonymise import resolve_key
        from fip.store.screen import screen_ids

        key = resolve_key(key_file=key_file)
        if store is not None:
            from fip.store.reader import check_store_key

            check_store_key(store, key, timeout=wait)
        dataset = screen_ids(dataset, key)
    return dataset


def require_pairing(dataset, command: str) -> None:
    """FipError unless the dataset's instrument pairs forms into rounds (``command`` needs them)."""
    inst = dataset.instrument
    if not inst.pairs_forms:
        raise FipError(
            f"{command} needs forms paired into measurements (dates and caseworkers: an instrument with a "
            f"'measurement' section) and outcomes; instrument {inst.id!r} has one measurement per person "
            "(use fip validate, describe, factor, adequacy, correlation or indices)")


def load_study(data: Path | None, instrument_path: Path | None = None, store: Path | None = None, *,
               until: str | None = None, policy=None, wait: float = WAIT, person_rows: bool = False,
               key_file: Path | None = None, needs: str | None = None):
    """One :class:`fip.study.Study` of the dataset :func:`load_data` reads; ``until`` as ``--until``,
    ``policy`` the command's disclosure policy (default: the configured one)."""
    from fip.data.dataset import iso_date
    from fip.study import Study

    until = None if until is None else iso_date(until, "--until")
    dataset = load_data(data, instrument_path, store, wait, person_rows=person_rows, key_file=key_file)
    if needs is not None:
        require_pairing(dataset, needs)
    return Study(dataset, until=until, policy=policy)


@app.command()
@handles_errors
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the dataset to.")],
    persons: Annotated[Optional[int], typer.Option("--persons", min=10, help="Number of persons (default: the study's size).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same bytes.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    instrument: InstrumentOpt = None,
    scenario: Annotated[Optional[str], typer.Option("--scenario", help="A named change to the calibration (configs/calibration_scenarios.yaml), e.g. later_period_new_origins.")] = None,
    assessments: Annotated[bool, typer.Option("--assessments", help="Add the caseworker's own assessment of the job chance (low/medium/high) to the caseworker forms.")] = False,
) -> None:
    """Write a synthetic FIP dataset calibrated to the published study."""
    from fip.data import write_dataset
    from fip.data.writers import check_dataset_target
    from fip.simulate import simulate_cohort

    check_option("--format", fmt, ("csv", "parquet"))
    check_dataset_target(out, "--out")
    dataset = simulate_cohort(persons, seed=seed, instrument=_instrument(instrument), scenario=scenario,
                              assessments=assessments)
    folder = write_dataset(dataset, out, format=fmt)
    console.print(
        f"wrote {len(dataset.persons):,} persons, {len(dataset.forms):,} forms and "
        f"{len(dataset.outcomes):,} outcome months to {mask_personal(folder)}",
        highlight=False,
    )


@app.command()
@handles_errors
def validate(
    data: Annotated[Path, typer.Argument(help="FIP dataset folder to check.")],
    instrument: InstrumentOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="Format of the funnel: table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the funnel to this file.")] = None,
) -> None:
    """Check a dataset; exit 0 if clean, else list every problem and exit 2.

    A clean dataset also gets its funnel: forms per round and respondent, forms paired within
    the same calendar month, exclusions by reason (the study's Table 4.2 beside it).
    """
    from fip._output import emit
    from fip.data import load_dataset
    from fip.describe import funnel_with_published, protect_funnel
    from fip.store.screen import cpr_id_counts
    from fip.study import Study

    check_option("--format", fmt, FORMATS)
    _check_outputs(("--out", out))
    shown = mask_personal(data)
    # with the funnel as csv/json/... on stdout, the verdict goes to stderr
    said = console if fmt == "table" or out is not None else err_console
    try:
        with _status(f"reading and checking {shown}"):
            dataset = load_dataset(data, _instrument(instrument))
    except InvalidDataError as exc:
        err_console.print(f"{shown}: {len(exc.problems)} problem(s)", highlight=False)
        raise
    if counts := cpr_id_counts(dataset):
        _warn("ids look like CPR numbers (" + ", ".join(f"{k}: {n:,}" for k, n in counts.items())
              + "); fip import, score, indices --scores, star and export pseudonymise them with a key "
              "(--key-file or $FIP_PSEUDONYM_KEY) and refuse them without one")
    if not dataset.instrument.pairs_forms:  # the smallest layout: nothing is paired, no funnel
        inst = dataset.instrument
        background = [c for c in dataset.persons.columns if c != "person_id"]
        items = list(inst.item_ids())
        complete = int(dataset.forms[items].notna().all(axis=1).sum())
        if "answered_on" in dataset.forms.columns:
            rounds = Study(dataset).measurements["round"]
            timing = f"{len(rounds):,} measurements in {int(rounds.max())} round(s) by date"
        else:
            timing = "one measurement per person"
        said.print(
            f"{shown}: valid dataset for instrument {inst.id!r} ({len(dataset.persons):,} persons, "
            f"{len(dataset.forms):,} forms, {len(items)} items, {complete:,} forms with every item answered; "
            f"{timing}; background columns: {', '.join(background) or 'none'})",
            highlight=False,
        )
        return
    said.print(
        f"{shown}: valid FIP dataset ({len(dataset.persons):,} persons, {len(dataset.forms):,} forms, "
        f"{len(dataset.outcomes):,} outcome months)",
        highlight=False,
    )
    published = None
    if dataset.instrument.id == "fip":
        from fip.published import published_funnel

        published = published_funnel()
    with _status("pairing the forms"):
        funnel = protect_funnel(funnel_with_published(Study(dataset).funnel, published))
    emit(funnel, fmt, out, console, title="Funnel: forms, same-month pairs, exclusions (counts of 1-4 hidden)")


@app.command()
@handles_errors
def describe(
    data: DataDir = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the table to this file.")] = None,
    progression: Annotated[bool, typer.Option("--progression", help="Change between rounds 1 and 2 instead of means.")] = False,
    figure: Annotated[Optional[Path], typer.Option("--figure", help="Also draw the means (.png or .svg).")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Label language (default: the instrument's first, FIP: da).")] = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
    respondent: RespondentOpt = None,
    items: ItemsOpt = None,
    nan_policy: Annotated[str, _nan_policy_opt("pairwise", "each item's answers")] = "pairwise",
    by: Annotated[Optional[str], typer.Option("--by", help="Persons column to group by instead of gender (any coding), e.g. sex or school.")] = None,
) -> None:
    """Item means by gender and round (or their change), published means beside ours.

    ``table`` and ``md`` show one row per item (wide); ``csv`` and ``json`` the full tidy
    table (n, mean, sd, se, 95 % CI, suppression flag, published, difference).
    """
    from fip import describe as d

    check_option("--format", fmt, FORMATS)
    check_option("--nan-policy", nan_policy, ("listwise", "pairwise"))
    if lang is not None and instrument is None:
        check_option("--lang", lang, ("da", "en"))
    if figure is not None:
        _figure_format(figure, "--figure")
    _check_outputs(("--out", out), ("--figure", figure))
    policy = _policy(min_cell, secure_machine)
    study = load_study(data, instrument, store, policy=policy, wait=wait)
    dataset, measurements = study.dataset, study.measurements
    inst = dataset.instrument
    languages = inst.label_languages or ("en",)
    lang = languages[0] if lang is None else check_option("--lang", lang, languages)
    chosen = _item_selection(inst, respondent, items)
    if chosen is not None or nan_policy == "listwise":
        from dataclasses import replace as _replace

        chosen = list(inst.item_ids()) if chosen is None else chosen
        inst = _replace(inst, items=tuple(i for i in inst.items if i.id in chosen))
        if nan_policy == "listwise":  # the rows (per round) answering every chosen item
            measurements = measurements.dropna(subset=chosen)
    if progression and (measurements["round"] >= 2).sum() == 0:
        raise FipError("--progression needs two rounds; this dataset has one measurement per person")
    persons = dataset.persons
    if by is not None:
        if by not in persons.columns or by == "person_id":
            raise FipError(f"--by: no persons column {by!r}; the persons table has "
                           f"{', '.join(c for c in persons.columns if c != 'person_id') or 'no background columns'}")
        persons = persons[["person_id", by]].rename(columns={by: "gender"})
    published = None
    if inst.id == "fip":
        from fip.published import published_item_means

        published = published_item_means()
    if progression:
        table = d.item_progression(measurements, persons, inst, policy=policy)
        title = "Change in item means, round 1 to round 2 (persons with both rounds)"
    else:
        table = d.item_means(measurements, persons, inst, published=published if by is None else None, policy=policy)
        title = f"Item means by {by or 'gender'} and round"
    n_rows = int(measurements["round"].isin([1, 2]).sum())
    title += f" ({nan_policy}, {n_rows:,} measurements)"
    shown = table if fmt in ("csv", "json") else d.wide_table(table, inst, lang=lang)
    if by is not None and fmt in ("csv", "json"):
        shown = shown.rename(columns={"gender": by})
    from fip._output import emit

    emit(shown, fmt, out, console, title=title, notice=policy.statement)
    if figure is not None:
        means = table if not progression else d.item_means(measurements, persons, inst, policy=policy)
        _write_figure(figure, d.plot_item_means(means, inst, lang=lang))


@app.command()
@handles_errors
def factor(
    data: DataDir = None,
    respondent: Annotated[Optional[str], typer.Option("--respondent", help="Item set: a respondent of the instrument (FIP: citizen, the default; caseworker) or both (all items).")] = None,
    method: Annotated[str, typer.Option("--method", help="pf (Stata default), ipf, minres, ml, pcf, pca.")] = "pf",
    rotation: Annotated[str, typer.Option("--rotation", help="none, varimax (Stata), varimax_kaiser, promax, promax_kaiser, oblimin.")] = "varimax",
    n_factors: Annotated[Optional[int], typer.Option("--n-factors", min=1, help="Factors to keep (default: the study's 3/4/6 when rotated, else Stata's rule).")] = None,
    round_: Annotated[int, typer.Option("--round", min=1, help="Round analysed (the study: 1).")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the loadings table to this file.")] = None,
    correlation: Annotated[str, typer.Option("--correlation", help="pearson (listwise, Stata) or polychoric (pairwise, psych fa(cor=\"poly\")).")] = "pearson",
    score_method: Annotated[Optional[str], typer.Option("--scores", help="Also write factor scores per person: regression or bartlett (needs --scores-out).")] = None,
    scores_out: Annotated[Optional[Path], typer.Option("--scores-out", help="CSV for --scores (person-level: ids screened, file mode 0600).")] = None,
    key_file: KeyFileOpt = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    items: ItemsOpt = None,
    nan_policy: Annotated[str, _nan_policy_opt("listwise", "Stata's factor")] = "listwise",
) -> None:
    """Factor analysis as the study ran it (Stata pf + varimax), published loadings beside ours.

    ``table``/``md`` show the variance table, the loadings with the published ones
    (Tables 4.7/4.8) and the congruence per factor; ``csv``/``json`` the tidy loadings.
    Another instrument, ``--items`` or ``--nan-policy pairwise``: the analysis of those items
    without the published tables (``csv``/``json``: item, factor, loading, n).
    """
    from fip._output import emit
    from fip.factors import METHODS, ROTATIONS
    from fip.factors.study import compare_with_study

    check_option("--format", fmt, FORMATS)
    check_option("--method", method, METHODS)
    check_option("--rotation", rotation, ("none", *ROTATIONS))
    check_option("--nan-policy", nan_policy, ("listwise", "pairwise"))
    from fip.cli_validity import check_factor_options, polychoric_comparison, write_factor_scores

    check_factor_options(correlation, score_method, scores_out)
    _check_outputs(("--out", out), ("--scores-out", scores_out))
    study = load_study(data, instrument, store, wait=wait, person_rows=scores_out is not None, key_file=key_file)
    respondent = respondent if respondent is not None else study.item_sets[0]
    check_option("--respondent", respondent, study.item_sets)
    options = {"method": method, "rotation": None if rotation == "none" else rotation, "n_factors": n_factors}
    if study.instrument.id != "fip" or items is not None or nan_policy != "listwise" \
            or respondent not in ("citizen", "caseworker", "both"):
        result = _factor_any(study, respondent, items, nan_policy, round_, options, fmt, out, correlation)
        write_factor_scores(study, result, respondent, round_, score_method, scores_out)  # only with --scores
        return
    if correlation == "polychoric":  # psych fa(cor="poly")
        cmp = polychoric_comparison(study, respondent, round_, options)
    elif round_ == 1:  # the Study's round-1 correlation matrix of the item set
        corr = study.correlation(respondent)
        cmp = compare_with_study(None, study.instrument, respondent, correlation=corr.correlation,
                                 n_obs=corr.n_obs, **options)
    else:
        cmp = compare_with_study(study.measurements, study.instrument, respondent, round_=round_, **options)
    study.policy.require(cmp.result.n_obs, f"the factor analysis of the {respondent} items")
    label = f"{respondent} items, round {round_}, method {method}, rotation {rotation}, n = {cmp.result.n_obs}"
    label += ", polychoric correlations" if correlation == "polychoric" else ""
    write_factor_scores(study, cmp.result, respondent, round_, score_method, scores_out)  # only with --scores
    if fmt in ("csv", "json"):
        emit(cmp.loadings, fmt, out, console)
        return
    emit(cmp.result.variance, fmt, None if out is None else out.with_suffix(".variance" + out.suffix),
         console, title=f"Variance ({label})")
    wide = cmp.result.loadings.copy()
    wide["uniqueness"] = cmp.result.uniqueness
    if "published" in cmp.loadings.columns:
        pub = cmp.loadings.pivot(index="item", columns="factor", values="published")
        wide = wide.join(pub.add_prefix("published "))
    emit(wide.rename_axis("item").reset_index(), fmt, out, console, title=f"Loadings ({label})")
    if len(cmp.congruence):
        emit(cmp.congruence, fmt, None, console, title="Tucker congruence with the published factors")
    if len(cmp.statements):
        emit(cmp.statements, fmt, None, console, title="The report's statements about the unrotated solution")


def _factor_any(study, respondent: str, items: str | None, nan_policy: str, round_: int, options: dict,
                fmt: str, out: Path | None, correlation: str = "pearson"):
    """``fip factor`` on any instrument and item choice: variance and loadings, no published tables.

    ``correlation="polychoric"``: the extraction runs on the pairwise polychoric matrix of the
    chosen items (psych ``fa(cor="poly")``), n = the fewest persons behind a pair. Returns the
    :class:`~fip.factors.FactorResult` (for ``--scores``).
    """
    from fip._output import emit
    from fip.factors import factor_analysis
    from fip.validity import frame_correlation

    chosen = _item_selection(study.instrument, respondent, items)
    m = study.measurements
    data = m.loc[m["round"] == round_, chosen].astype("float64")
    if not len(data):
        raise FipError(f"--round {round_}: no measurements in round {round_} (rounds: "
                       f"{', '.join(map(str, sorted(m['round'].unique())))})")
    if correlation == "polychoric":
        corr = frame_correlation(data, "polychoric", "pairwise", item_set=respondent, round_=round_)
        result = factor_analysis(corr.matrix, n_obs=corr.n_obs, **options)
        how = "polychoric correlations, pairwise (smallest pair)"
    else:
        result = factor_analysis(data, nan_policy=nan_policy, **options)
        how = nan_policy
    study.policy.require(result.n_obs, f"the factor analysis of the {respondent} items")
    label = (f"{respondent} items ({len(chosen)}), round {round_}, method {options['method']}, "
             f"rotation {options['rotation'] or 'none'}, {how}, n = {result.n_obs}")
    if fmt in ("csv", "json"):
        tidy = result.loadings.rename_axis("item").reset_index().melt(id_vars="item", var_name="factor",
                                                                       value_name="loading")
        emit(tidy.assign(n=result.n_obs), fmt, out, console)
        return result
    emit(result.variance, fmt, None if out is None else out.with_suffix(".variance" + out.suffix),
         console, title=f"Variance ({label})")
    wide = result.loadings.copy()
    wide["uniqueness"] = result.uniqueness
    emit(wide.rename_axis("item").reset_index(), fmt, out, console, title=f"Loadings ({label})")
    return result


@app.command()
@handles_errors
def indices(
    data: DataDir = None,
    round_: Annotated[int, typer.Option("--round", min=1, help="Round whose answers the reliability uses (the study: 1).")] = 1,
    definitions: Annotated[Optional[Path], typer.Option("--definitions", help="Index definitions YAML (default: the study's 15 indices).")] = None,
    scores: Annotated[Optional[Path], typer.Option("--scores", help="Also write the index scores per person and round (CSV).")] = None,
    items: Annotated[bool, typer.Option("--items", help="Per item instead: item-rest correlation and alpha if deleted.")] = False,
    key_file: KeyFileOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the table to this file.")] = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    min_share_answered: MinShareOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
    respondent: RespondentOpt = None,
    nan_policy: Annotated[str, _nan_policy_opt("listwise", "alpha on complete rows: Stata alpha, asis casewise")] = "listwise",
    alpha_convention: Annotated[Optional[str], typer.Option("--alpha", help="Alpha's convention: casewise (Stata alpha, asis casewise; default), psych (pairwise covariances; = --nan-policy pairwise), stata (Stata's plain alpha: count-weighted pairwise, its own signs for indices without keys) or stata_asis.")] = None,
) -> None:
    """The study's indices: items, mean score per round, Cronbach's alpha (95 % CI), omega.

    With ``--items``: per index and item, the item-rest correlation and alpha if deleted.
    Items listed under ``reverse:`` in the definitions are reversed in the scores, alpha and
    omega (nothing is reversed automatically; a warning names items correlating negatively
    with the rest of their index). Another instrument without ``--definitions``: one index
    per domain of the instrument (or of all items of each respondent).
    ``--nan-policy pairwise``: alpha from pairwise covariances (psych ``alpha``).
    """
    import pandas as pd

    from fip._output import emit, safe_csv
    from fip._atomic import atomic_write_text
    from fip.indices import index_means, load_index_definitions
    from fip.reliability import item_rest_statistics, protect_reliability, reliability_table
    from fip.study import Study

    check_option("--format", fmt, FORMATS)
    check_option("--nan-policy", nan_policy, ("listwise", "pairwise"))
    if alpha_convention is not None:
        from fip.reliability import ALPHA_CONVENTIONS

        check_option("--alpha", alpha_convention, ALPHA_CONVENTIONS)
    _check_outputs(("--out", out), ("--scores", scores))
    policy = _policy(min_cell, secure_machine)
    dataset = load_data(data, instrument, store, wait, person_rows=scores is not None, key_file=key_file)
    if definitions is None and dataset.instrument.id != "fip":
        defs = _instrument_indices(dataset.instrument, min_share_answered)
    else:
        defs = load_index_definitions(definitions, instrument=dataset.instrument, min_share_answered=min_share_answered)
    if respondent is not None:
        pool = set(_item_selection(dataset.instrument, respondent, None))
        defs = tuple(d for d in defs if set(d.items) <= pool)
        if not defs:
            raise FipError(f"--respondent {respondent}: no index has only {respondent} items")
    study = Study(dataset, definitions=defs, policy=policy)
    measurements, scored = study.measurements, study.index_scores
    answers = measurements[measurements["round"] == round_]
    if not len(answers):
        raise FipError(f"--round {round_}: no measurements in round {round_}")
    if items:
        from fip.disclosure import protect

        per_item = [item_rest_statistics(answers[list(d.items)], d.reverse, dataset.instrument.scale).reset_index().assign(
                        index=d.id, n=int(answers[list(d.items)].notna().all(axis=1).sum()))
                    for d in defs if len(d.items) >= 3]
        table = pd.concat(per_item, ignore_index=True)
        keyed = {(d.id, i) for d in defs for i in d.reverse}
        table["reversed"] = [(x, i) in keyed for x, i in zip(table["index"], table["item"])]
        table = table[["index", "item", "item_rest_r", "alpha_if_deleted", "mean", "sd", "reversed", "n"]]
        table = protect(table, policy, n="n", values=["item_rest_r", "alpha_if_deleted", "mean", "sd"])
        emit(table, fmt, out, console, title=f"Items of the indices with 3 or more items (round {round_}; "
                                             "complete rows; reversed items scored min + max - x)", notice=policy.statement)
        return
    table = protect_reliability(reliability_table(answers, defs, nan_policy=nan_policy, convention=alpha_convention),
                                policy)
    means = index_means(scored, defs, policy=policy)
    wide = pd.concat([means.pivot(index="index", columns="round", values=stat).add_prefix(f"{stat} r")
                      for stat in ("mean", "n")], axis=1)
    table = table.set_index("index").join(wide.astype({c: "float64" for c in wide if c.startswith("mean")}))
    table = table.reset_index()
    table.insert(1, "items", [" ".join(d.items) for d in defs])
    keyed = [f"{d.id}: {', '.join(d.reverse)}" for d in defs if d.reverse]
    how = alpha_convention or ("psych" if nan_policy == "pairwise" else "casewise")
    title = (f"Indices (reliability on round {round_}, alpha {how}; reverse-keyed in scores, alpha and omega "
              f"(omega does not flip by itself): {'; '.join(keyed)})" if keyed
             else f"Indices (reliability on round {round_})" if how == "casewise"
             else f"Indices (reliability on round {round_}, alpha {how})")
    emit(table, fmt, out, console, title=title, notice=policy.statement)
    if scores is not None:
        atomic_write_text(scores, safe_csv(scored), private=True)  # per person


def _instrument_indices(instrument, min_share_answered: str | None):
    """Default indices of an instrument that is not FIP: one per declared domain with 2 or more
    items, else one of all the items of each respondent."""
    from fip.indices import MIN_SHARE_ANSWERED, IndexDefinition, _share

    share = MIN_SHARE_ANSWERED if min_share_answered is None else _share(min_share_answered, "--min-share-answered")
    groups = {}
    for item in instrument.items:
        groups.setdefault(item.domain, []).append(item.id)
    if len(groups) < 2 or any(len(v) < 2 for v in groups.values()):
        groups = {f"{r}_all": list(instrument.item_ids(r)) for r in instrument.respondent_ids}
    return tuple(IndexDefinition(id=k, items=tuple(v), family="instrument", min_share_answered=share)
                 for k, v in groups.items())


@app.command()
@handles_errors
def regress(
    data: DataDir = None,
    family: Annotated[str, typer.Option("--family", help="items_alone, all_items, overall_indices, factor_index_alone, factor_indices_together.")] = "overall_indices",
    outcome: Annotated[Optional[list[str]], typer.Option("--outcome", help="emp_rate, emp_dummy, ord_emp_dummy, edu_dummy (repeatable; default all four).")] = None,
    vce: Annotated[str, typer.Option("--vce", help="ols (areg default), robust (HC1) or cluster (by caseworker).")] = "ols",
    until: Annotated[Optional[str], typer.Option("--until", help="Use only forms answered up to this date (the study: 2018-12-31).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the table to this file.")] = None,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
) -> None:
    """OLS with caseworker fixed effects (Stata areg) of the study's model families.

    ``table``/``md``: cells ``coef stars (se)`` per model, term and outcome, without and
    with controls, the published cell beside ours; ``csv``/``json``: the tidy rows (coef,
    se, t, p, n, R², published numbers).
    """
    from fip._output import emit
    from fip.regression import FAMILIES, run_family
    from fip.regression.tables import comparison_table

    check_option("--format", fmt, FORMATS)
    check_option("--family", family, FAMILIES)
    _check_outputs(("--out", out))
    study = load_study(data, instrument, store, until=until, wait=wait, needs="fip regress")
    analysis = study.analysis
    for name in outcome or ():
        check_option("--outcome", name, analysis.outcomes)
    results = run_family(analysis, family, outcomes=outcome or None, vce=vce)
    if len(results):
        study.policy.require(int(results["n"].min()), f"a model of family {family}")
    if fmt in ("csv", "json"):
        emit(results, fmt, out, console)
        return
    table = comparison_table(results)
    if not results["published_coef"].notna().any():
        table = table.drop(columns=[c for c in table.columns if c.endswith(", published")])
    n = results.groupby("controls")["n"].max().to_dict()
    title = (f"{family}: OLS with caseworker fixed effects, vce {vce}; N = "
             + ", ".join(f"{v} ({'with' if k else 'without'} controls)" for k, v in n.items())
             + "; + p<0.10, * p<0.05, ** p<0.01, *** p<0.001")
    emit(table, fmt, out, console, title=title)


@app.command()
@handles_errors
def train(
    data: DataDir = None,
    model: Annotated[str, typer.Option("--model", help="intake (round 1 only) or progression (round 1 and the change to round 2).")] = "intake",
    out: Annotated[Path, typer.Option("--out", help="Model file to write (JSON).")] = Path("model.json"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the cross-validation folds.")] = 0,
    folds: Annotated[int, typer.Option("--folds", min=3, help="Folds, grouped by caseworker.")] = 5,
    penalty: Annotated[str, typer.Option("--C", help="Inverse L2 penalty of the logistic models: 'auto' (chosen by nested cross-validation grouped by caseworker) or a positive number (smaller = stronger).")] = "auto",
    created_at: Annotated[Optional[str], typer.Option("--created-at", help="Fixed creation time (ISO) for byte-identical files.")] = None,
    calibration_figure: Annotated[Optional[Path], typer.Option("--calibration-figure", help="Also draw the calibration curve (.png or .svg).")] = None,
    features: Annotated[str, typer.Option("--features", help="Feature policy: items_and_controls (default), without_gender_origin or items_only.")] = "items_and_controls",
    bootstrap: Annotated[int, typer.Option("--bootstrap", min=0, help="Bootstrap replicates (whole caseworkers) of the fairness audit's CIs; 0: none.")] = 200,
    out_of_time: Annotated[str, typer.Option("--out-of-time", help="Also fit on the earlier measurements and test on the later: a share of the persons (the earliest train), an ISO split date, or 'none'.")] = "0.7",
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
) -> None:
    """Train and validate a job-chance model (CV grouped by caseworker); write the model file.

    Prints AUC, Brier score, log loss, calibration slope and intercept overall and within
    gender and origin groups; the same figures are stored in the model file.

    Also prints the fairness audit (gender, origin, gender x origin, language, age group; at
    the band cuts; bootstrap CIs), stored with a model card in the file.
    """
    from fip.predict import plot_calibration, save_model, train as train_model

    check_option("--model", model, ("intake", "progression"))
    from fip.predict.features import FEATURE_POLICIES

    check_option("--features", features, FEATURE_POLICIES)
    if calibration_figure is not None:
        _figure_format(calibration_figure, "--calibration-figure")
    _check_outputs(("--out", out), ("--calibration-figure", calibration_figure))
    policy = _policy(min_cell, secure_machine)
    study = load_study(data, instrument, store, policy=policy, wait=wait, needs="fip train")
    split = None if out_of_time.strip().lower() == "none" else out_of_time
    with _status(f"training the {model} model: {folds}-fold cross-validation grouped by caseworker"
                 + (", penalty chosen by nested cross-validation" if penalty == "auto" else "")):
        result = train_model(study, model, C=penalty, seed=seed, n_folds=folds, created_at=created_at,
                             features=features, n_boot=bootstrap, out_of_time=split)
    figure = None if calibration_figure is None else plot_calibration(
        result.validation.calibration, title=f"{model} model, held-out caseworkers")
    save_model(result.model, out)
    from fip._output import emit

    emit(result.validation.metrics.reset_index(), "table", None, console,
         title=f"{model} model: cross-validation grouped by caseworker ({folds} folds)", notice=policy.statement)
    emit(result.validation.by_group, "table", None, console,
         title=f"Within groups (hidden where fewer than {policy.threshold} persons, with or without a job, "
               "directly or by subtraction)")
    audit = result.validation.fairness
    cuts = result.model.content["bands"]["cuts"]
    emit(audit.summary(), "table", None, console,
         title=(f"Fairness audit (feature policy {features}): out of fold, "
                f"{round(100 * audit.level)} % CI from {audit.n_boot} bootstrap replicates of whole caseworkers; "
                f"FPR/FNR/PPV at the high-band cut p >= {cuts[1]:g} (a flag reads 'predicted to get a job'); "
                "empty: hidden (small cells)"))
    if (oot := result.validation.out_of_time) is not None:
        emit(oot.metrics.reset_index(), "table", None, console,
             title=f"Out of time: fitted on {oot.n_train:,} persons before {oot.split} ({oot.train_period[0]} to "
                   f"{oot.train_period[1]}), tested on {oot.n_test:,} after ({oot.test_period[0]} to {oot.test_period[1]})")
    if (judged := result.validation.assessment) is not None:
        emit(judged.confusion, "table", None, console,
             title=f"Model band (out of fold) beside the caseworker's own assessment ({judged.n:,} persons; "
                   f"hidden where fewer than {policy.threshold}, directly or by subtraction)")
        emit(judged.agreement, "table", None, console, title="Agreement (quadratic-weighted kappa)")
        emit(judged.accuracy, "table", None, console, title="Who was closer to what happened (AUC; Brier of the "
                                                           "levels mapped to the model's band means)")
    if figure is not None:
        _write_figure(calibration_figure, figure)
    chosen = result.model.content
    console.print(f"penalty C: probability model {chosen['probability_model']['C']:g}, "
                  f"rate model {chosen['rate_model']['C']:g}", highlight=False)
    console.print(f"wrote {mask_personal(out)} (sha256 {result.model.sha256[:12]})", highlight=False)


@app.command()
@handles_errors
def score(
    data: DataDir = None,
    model: Annotated[Path, typer.Option("--model", help="Model file from `fip train`.")] = Path("model.json"),
    out: Annotated[Optional[Path], typer.Option("--out", help="CSV to write (default: print).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="da or en.")] = "da",
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    key_file: KeyFileOpt = None,
    wait: WaitOpt = WAIT,
) -> None:
    """Score a cohort: job-chance probability, band, range and the items that move it most."""
    from fip._atomic import atomic_write_text
    from fip._output import emit, safe_csv
    from fip.predict import load_model, score as score_cohort

    check_option("--lang", lang, ("da", "en"))
    _check_outputs(("--out", out))
    study = load_study(data, instrument, store, wait=wait, person_rows=True, key_file=key_file, needs="fip score")
    table = score_cohort(study.measurements, load_model(model), persons=study.dataset.persons,
                         instrument=study.instrument, lang=lang)
    if out is None:
        emit(table, "table", None, console, title=f"Job chance ({mask_personal(model.name)})")
    else:
        atomic_write_text(out, safe_csv(table), private=True)  # per person
        console.print(f"wrote {len(table):,} scores to {mask_personal(out)}", highlight=False)


@app.command()
@handles_errors
def star(
    data: DataDir = None,
    person: Annotated[str, typer.Option("--person", help="Pseudonymous person id.")] = ...,
    out: Annotated[Path, typer.Option("--out", help="PNG or SVG (the star) or HTML (the one-page citizen card).")] = Path("star.png"),
    model: Annotated[Optional[Path], typer.Option("--model", help="Model file: adds the job chance to the card.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="da or en.")] = "da",
    by: Annotated[str, typer.Option("--by", help="item or domain.")] = "item",
    mark_changes: Annotated[bool, typer.Option("--mark-changes", help="Mark items whose change exceeds the smallest detectable change (SDC95 of the cohort, `fip agreement`).")] = False,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    key_file: KeyFileOpt = None,
    wait: WaitOpt = WAIT,
) -> None:
    """The FIP star of one person (citizen vs caseworker, round 1 vs 2) or the citizen card."""
    from fip._atomic import atomic_write_text
    from fip.star import card_html, plot_star

    check_option("--lang", lang, ("da", "en"))
    check_option("--by", by, ("item", "domain"))
    suffix = out.suffix.lower()
    check_option("--out suffix", suffix, (".png", ".svg", ".html"))
    if not person:
        raise ValueError("--person must name a person (a pseudonymous person id)")
    _check_outputs(("--out", out))
    study = load_study(data, instrument, store, wait=wait, person_rows=True, key_file=key_file, needs="fip star")
    dataset, measurements = study.dataset, study.measurements
    if mark_changes:
        from fip.change import smallest_detectable_change

        sdc = smallest_detectable_change(study)
    else:
        sdc = None
    if suffix == ".html":
        row = None
        if model is not None:
            from fip.predict import load_model, score as score_cohort

            scores = score_cohort(measurements, load_model(model), persons=dataset.persons,
                                  instrument=dataset.instrument, lang=lang)
            hit = scores[scores["person_id"] == person]
            row = hit.iloc[0].to_dict() if len(hit) else None
        atomic_write_text(out, card_html(measurements, dataset.instrument, person, row, lang=lang,
                                           smallest_change=sdc), private=True)
    else:
        _write_figure(out, plot_star(measurements, dataset.instrument, person, lang=lang, by=by,
                                     smallest_change=sdc), private=True)
    console.print(f"wrote {mask_personal(out)}", highlight=False)


@app.command()
@handles_errors
def replicate(
    data: Annotated[Optional[Path], typer.Argument(help="FIP dataset folder (default: the synthetic cohort of the study's size).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html, tables/ and figures/.")] = ...,
    data_option: Annotated[Optional[Path], typer.Option("--data", hidden=True, help="Deprecated: the dataset folder is the argument DIR.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic cohort, parallel analysis and CV folds.")] = 0,
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Regressions and job-chance validation use only forms answered up to this date (default: the study's sample, 2018-12-31).")] = None,
    whole_period: Annotated[bool, typer.Option("--whole-period", help="Regressions and job-chance validation use every form, not only the study's sample.")] = False,
    min_share_answered: MinShareOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
    workers: Annotated[Optional[int], typer.Option("--workers", min=0, help="Worker processes for the figures and the job-chance validation (default: 2 with two cores or more; 0: none). Same files either way.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print the report to OUT/report.pdf with headless Chromium (every table row and column; wide tables on landscape pages).")] = False,
) -> None:
    """The whole study on one dataset: tables, figures and an HTML report beside the published numbers."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from fip.data.dataset import iso_date
    from fip.report import replicate as run_replicate
    from fip.report.replicate import check_replication_target
    from fip.study import Study

    from fip.study import fitting_index_definitions
    from fip.study_config import study_facts

    if data_option is not None:
        if data is not None:
            raise ValueError("give the dataset folder once: as DIR (--data is its old, deprecated spelling)")
        _warn("--data DIR is deprecated: give the folder as the argument, fip replicate DIR --out OUT")
        data = data_option
    if whole_period and until is not None:
        raise ValueError("--until and --whole-period exclude each other: give one of them")
    until = None if whole_period else iso_date(until, "--until") if until is not None else study_facts().until
    check_replication_target(out, "--out")
    if pdf:
        from fip.report.pdf import find_chromium

        find_chromium()  # before computing: no browser, no run
    policy = _policy(min_cell, secure_machine)
    if data is None and store is None:
        from fip.simulate import simulate_cohort

        dataset = simulate_cohort(seed=seed, instrument=_instrument(instrument))
        source, synthetic = f"synthetic cohort (seed {seed})", True
    else:
        dataset = load_data(data, instrument, store, wait)
        require_pairing(dataset, "fip replicate")
        source = mask_personal(f"store {store.name}" if store is not None else f"folder {data.name}")
        synthetic = False
    definitions = fitting_index_definitions(dataset.instrument, min_share_answered)
    study = Study(dataset, definitions=definitions, until=until, policy=policy)
    with Progress(TextColumn("{task.description:<14}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task("starting", total=1)
        result = run_replicate(study, out, seed=seed, source=source, synthetic=synthetic, workers=workers, pdf=pdf,
                               progress=lambda step, i, n: bar.update(task, description=step, completed=i, total=n))
    if policy.statement:
        console.print(policy.statement, highlight=False)
    console.print(mask_personal(f"report: {result.report}{f' and {result.pdf.name}' if result.pdf else ''}  ({len(result.tables)} tables in {out / 'tables'}, "
                                f"{len(result.figure_paths)} figures in {out / 'figures'})"), highlight=False)


@app.command("status-note")
@handles_errors
def status_note_cmd(
    data: DataDir = None,
    municipality: Annotated[str, typer.Option("--municipality", help="Municipality as in persons.municipality. Required (but with --list).")] = "",
    quarter: Annotated[str, typer.Option("--quarter", help="Calendar quarter with measurements, e.g. 2018Q2 (by measurement date; --list shows them). Required (but with --list).")] = "",
    out: Annotated[Path, typer.Option("--out", help="HTML file for the note.")] = Path("status_note.html"),
    lang: Annotated[str, typer.Option("--lang", help="da or en.")] = "da",
    instrument: InstrumentOpt = None,
    store: StoreOpt = None,
    wait: WaitOpt = WAIT,
    min_cell: MinCellOpt = None,
    secure_machine: SecureOpt = False,
    list_choices: Annotated[bool, typer.Option("--list", help="List the municipalities and the quarters with measurements, and stop.")] = False,
) -> None:
    """Quarterly status note of one municipality: levels, progression, trend, average star."""
    from fip._atomic import atomic_write_text
    from fip.errors import mask_personal
    from fip.report import status_note
    from fip.report.status_note import note_choices

    check_option("--lang", lang, ("da", "en"))
    if list_choices:
        choices = note_choices(load_study(data, instrument, store, needs="fip status-note"))
        names = ", ".join(mask_personal(m) for m in choices.municipalities)
        console.print(f"municipalities ({len(choices.municipalities)}): {names}", markup=False, highlight=False)
        console.print(f"quarters with measurements: {choices.covered()}: {', '.join(choices.quarters)}",
                      markup=False, highlight=False)
        return
    if not municipality or not quarter:
        raise ValueError("--municipality and --quarter are required (e.g. --municipality kommune_12 --quarter 2018Q2)")
    _check_outputs(("--out", out))
    policy = _policy(min_cell, secure_machine)
    note = status_note(load_study(data, instrument, store, policy=policy, wait=wait, needs="fip status-note"), municipality, quarter, lang=lang)
    atomic_write_text(out, note.html)
    if policy.statement:
        console.print(policy.statement, highlight=False)
    console.print(f"wrote {mask_personal(out)} ({note.suppressed_cells} figures suppressed: fewer than {policy.threshold} persons, "
                  "directly or by subtraction)", highlight=False)


@app.command("import")
@handles_errors
def import_(
    data: Annotated[Path, typer.Argument(help="FIP dataset folder to import (validated first).")],
    store: Annotated[Path, typer.Option("--store", help="Store file; created if absent.")] = Path("fip.duckdb"),
    key_file: KeyFileOpt = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Name for the import log (default: login name).")] = None,
    wait: WaitOpt = WAIT,
    instrument: InstrumentOpt = None,
) -> None:
    """Validate a dataset folder and add it to the store (idempotent; corrections logged)."""
    from fip.store import import_dataset

    inst = _instrument(instrument)
    if not inst.pairs_forms:  # the store holds the FIP layout (persons with municipality, dated forms)
        raise FipError(f"fip import needs the FIP layout (an instrument with a 'measurement' section); instrument "
                       f"{inst.id!r} has the smallest layout: analyse the folder itself (fip validate, describe, "
                       "factor, adequacy, correlation, indices)")
    with _status(f"reading, checking and importing {mask_personal(data)}"):
        report = import_dataset(data, store, instrument=inst, key_file=key_file, user=user, timeout=wait)
    for line in report.lines():
        console.print(line, highlight=False)


@app.command("export")
@handles_errors
def export(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the dataset to.")],
    store: Annotated[Path, typer.Option("--store", help="Store file to export.")] = Path("fip.duckdb"),
    fmt: Annotated[str, typer.Option("--format", help="csv, parquet, xlsx, dta (Stata) or sav (SPSS).")] = "csv",
    raw: Annotated[
        bool, typer.Option("--raw", help="CSV/XLSX: do not neutralise formula-like text (unsafe in spreadsheets).")
    ] = False,
    wait: WaitOpt = WAIT,
    instrument: InstrumentOpt = None,
    key_file: KeyFileOpt = None,
) -> None:
    """Write the store's dataset to a folder; text that a spreadsheet would run is neutralised."""
    from fip.store import EXPORT_FORMATS, export_store

    from fip.data.writers import check_dataset_target

    check_option("--format", fmt, EXPORT_FORMATS)
    check_dataset_target(out, "--out")
    folder = export_store(store, out, fmt, instrument=_instrument(instrument), neutralise=not raw, timeout=wait,
                          key_file=key_file)
    console.print(mask_personal(f"wrote the store {store} to {folder}"), highlight=False)


@app.command("import-log")
@handles_errors
def import_log_(
    store: Annotated[Path, typer.Option("--store", help="Store file.")] = Path("fip.duckdb"),
    wait: WaitOpt = WAIT,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json, md, html or latex.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the table to this file.")] = None,
) -> None:
    """List the store's imports: who, when, which files (sha256) and what changed."""
    from fip._output import emit
    from fip.store import import_log

    check_option("--format", fmt, FORMATS)
    _check_outputs(("--out", out))
    emit(import_log(store, timeout=wait), fmt, out, console, title=f"Imports into {mask_personal(store)}")


@app.command()
@handles_errors
def serve(
    demo: Annotated[bool, typer.Option("--demo", help="Load a synthetic cohort, deploy job-chance models trained on it, print demo logins.")] = False,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    data: Annotated[Path, typer.Option("--data", help="Data folder (SQLite file, secret key) unless FIP_DATABASE_URL is set.")] = Path("fip-service-data"),
    persons: Annotated[int, typer.Option("--persons", min=100, help="Persons of the demo cohort.")] = 1000,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Worker processes (gunicorn); 0: Django's threaded development server.")] = 0,
    threads: Annotated[int, typer.Option("--threads", min=1, help="Threads per gunicorn worker.")] = 4,
) -> None:
    """The FIP web service (Django): caseworkers enter forms and see the star and the job chance."""
    from fip.service.server import serve as run_service

    run_service(host, port, data_dir=data, demo=demo, persons=persons, workers=workers, threads=threads,
                echo=lambda line: console.print(line, markup=False, highlight=False))


import fip.cli_anyinst  # noqa: E402,F401  (registers `fip adequacy`)
import fip.cli_business  # noqa: E402,F401  (registers `fip business-case`)
import fip.cli_cfa  # noqa: E402,F401  (registers `fip cfa`, `fip invariance`)
import fip.cli_irt  # noqa: E402,F401  (registers `fip irt`)
import fip.cli_model  # noqa: E402,F401  (registers `fip model-card`)
import fip.cli_planted  # noqa: E402,F401  (registers `fip simulate-planted`)
import fip.cli_report_validity  # noqa: E402,F401  (registers `fip validity`)
import fip.cli_service  # noqa: E402,F401  (registers `fip api-token`)
import fip.cli_time  # noqa: E402,F401  (registers `fip recalibrate`)
import fip.cli_validity  # noqa: E402,F401  (registers `fip correlation`, `fip agreement`)


def main() -> None:
    """Entry point of the ``fip`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    # ``python -m fip.cli``: the command modules registered their commands on ``fip.cli.app``,
    # which is not this ``__main__`` module's app; run that one
    from fip.cli import main as _main

    _main()
