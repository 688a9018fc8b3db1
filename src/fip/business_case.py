"""What a job is worth to the municipality: the business case of an employment effort.

Danish municipalities compute it with KL's Futura model (built by LG Insight); fip follows
that model, with rates and refund rules as data (``configs/business_case.yaml``, by year):

* **expenses** = staff hours × the hourly rate (overhead included) + direct costs (mentor,
  course, wage subsidy, mileage); each line is rounded to whole kroner, half up;
* **income** = the municipality's tax revenue from the person's earnings + the result grant
  (*resultattilskud*) where the person's legal group qualifies + refunds (the state's
  share of a line's direct cost, each rounded to whole kroner, half up; staff hours are
  never refunded);
* **gain** 6 months after the effort = income − expenses.

All money is :class:`decimal.Decimal`, so the worked example of the model (Julia,
Frederikshavn) comes out to the krone. For a cohort with job chances the expected account
is Σ P(job) × income + Σ refunds − Σ expenses, with the chances' interval bounds carried
through to a low and a high gain.

Examples
--------
>>> acc = account({"id": "julia", "income": {"tax": 10826},
...                "efforts": [{"what": "3 network meetings", "hours": 2.025},
...                            {"what": "counselling", "hours": 5},
...                            {"what": "internship", "hours": 8},
...                            {"what": "mileage", "cost": 647}]}, hourly_rate=363)
>>> [line.amount for line in acc.lines], acc.expenses, acc.income, acc.gain
([735, 1815, 2904, 647], 6101, 10826, 4725)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from fip.errors import ConfigError, FipError, mask_personal
from fip.personal import has_cpr

__all__ = ["Account", "BusinessCaseError", "BusinessCaseRules", "CohortAccount", "Line", "YearRules", "account",
           "cohort_account", "format_account", "kroner", "load_rules", "read_accounts", "read_cohort"]

_ONE = Decimal(1)
_LINE_KEYS = ("what", "kind", "hours", "cost", "refund")
_CITIZEN_KEYS = ("id", "efforts", "income")
_INCOME_KEYS = ("tax", "result_grant")
_FILE_KEYS = ("hourly_rate", "year", "citizens")
COHORT_COLUMNS = ("id", "probability", "interval_low", "interval_high", "expenses", "income")


class BusinessCaseError(FipError, ValueError):
    """An efforts or cohort file has problems: one line per problem, each naming the file,
    the citizen or row and the field."""

    one_line_per_problem = True  # the CLI shows every line

    def __init__(self, problems: Sequence[str]):
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def kroner(value: Decimal) -> int:
    """Whole kroner, rounded half up (the Futura model's rounding).

    >>> kroner(Decimal("735.075")), kroner(Decimal("0.5")), kroner(Decimal("-0.5"))
    (735, 1, -1)
    """
    return int(value.quantize(_ONE, rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------
# rules (configs/business_case.yaml)


@dataclass(frozen=True)
class YearRules:
    """Rates and refund rules of one year: ``hourly_rate`` (kr. per staff hour, overhead
    included) and ``refunds`` (kind of effort -> share of its direct cost refunded)."""

    year: int
    hourly_rate: Decimal
    refunds: Mapping[str, Decimal]

    def refund_share(self, kind: str | None) -> Decimal:
        """The refunded share of a line of this kind (0 for a kind without a rule)."""
        return self.refunds.get(kind, Decimal(0)) if kind else Decimal(0)


@dataclass(frozen=True)
class BusinessCaseRules:
    """Every year of ``configs/business_case.yaml``; ``source`` is the file read."""

    years: Mapping[int, YearRules]
    source: str

    def year(self, year: int | None) -> YearRules:
        """The rules of ``year`` (default: the latest year in the file)."""
        if year is None:
            return self.years[max(self.years)]
        if year not in self.years:
            raise ConfigError(f"{self.source}: years: no rules for {year} (have {', '.join(map(str, sorted(self.years)))}); "
                              "add that year's hourly rate and refund shares")
        return self.years[year]


def _config_number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def load_rules(path: str | Path | None = None) -> BusinessCaseRules:
    """Read and check the rates and refund rules (default ``configs/business_case.yaml``).

    Raises
    ------
    ConfigError
        One line naming the file and the key: a year that is not a 4-digit integer, an
        hourly rate that is not a positive number, a refund share outside [0, 1], an
        unknown key.

    Examples
    --------
    >>> rules = load_rules()
    >>> rules.year(2014).hourly_rate, rules.year(2014).refund_share("wage_subsidy")
    (Decimal('363'), Decimal('0.5'))
    """
    from fip._resources import config_path, read_config

    raw = read_config(path, "business_case.yaml", "business-case rules")
    src = str(path) if path is not None else str(config_path("business_case.yaml"))
    if not isinstance(raw, Mapping) or set(raw) != {"years"}:
        extra = sorted(set(raw) - {"years"}) if isinstance(raw, Mapping) else []
        raise ConfigError(f"{src}: {'unknown key ' + repr(extra[0]) if extra else 'expected a mapping with the key years'}")
    years_raw = raw["years"]
    if not isinstance(years_raw, Mapping) or not years_raw:
        raise ConfigError(f"{src}: years: expected a mapping year -> rules")
    years: dict[int, YearRules] = {}
    for y, rules in years_raw.items():
        where = f"{src}: years.{y}"
        if isinstance(y, bool) or not isinstance(y, int) or not 1000 <= y <= 9999:
            raise ConfigError(f"{where}: a year must be a 4-digit integer")
        if not isinstance(rules, Mapping):
            raise ConfigError(f"{where}: expected a mapping with hourly_rate and refunds")
        unknown = sorted(set(rules) - {"hourly_rate", "refunds"})
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (expected hourly_rate, refunds)")
        rate = _config_number(rules.get("hourly_rate"))
        if rate is None or rate <= 0:
            raise ConfigError(f"{where}.hourly_rate: expected a positive number of kroner; got {rules.get('hourly_rate')!r}")
        refunds_raw = rules.get("refunds") or {}
        if not isinstance(refunds_raw, Mapping):
            raise ConfigError(f"{where}.refunds: expected a mapping kind -> share")
        refunds = {}
        for kind, share in refunds_raw.items():
            d = _config_number(share)
            if d is None or not 0 <= d <= 1:
                raise ConfigError(f"{where}.refunds.{kind}: expected a share between 0 and 1; got {share!r}")
            refunds[str(kind)] = d
        years[y] = YearRules(y, rate, refunds)
    return BusinessCaseRules(years, src)


# ---------------------------------------------------------------------------------------
# one citizen's account


@dataclass(frozen=True)
class Line:
    """One effort of an account.

    Attributes
    ----------
    what : str
        The effort as the caseworker names it ("3 network meetings").
    kind : str or None
        Kind of effort for the refund rules (``wage_subsidy``, ``mentor``, ...).
    hours, cost : Decimal or None
        Staff hours and direct cost (kroner) as given.
    amount : int
        hours × hourly rate + cost, in whole kroner (half up).
    refund_share : Decimal
        Share of ``cost`` the state refunds.
    refund : int
        cost × refund_share, in whole kroner (half up).
    """

    what: str
    kind: str | None
    hours: Decimal | None
    cost: Decimal | None
    amount: int
    refund_share: Decimal
    refund: int


@dataclass(frozen=True)
class Account:
    """A citizen's business case: lines, totals and the gain (whole kroner).

    ``income`` = ``tax`` + ``result_grant`` + ``refunds``; ``gain`` = ``income`` − ``expenses``.
    """

    id: str
    hourly_rate: Decimal
    lines: tuple[Line, ...]
    expenses: int
    tax: int
    result_grant: int
    refunds: int
    income: int
    gain: int

    def tidy(self) -> pd.DataFrame:
        """The account as rows: one per effort (``part`` = ``expense``), then the income
        (``tax``, ``result_grant``, ``refunds``) and the totals (``expenses``, ``income``,
        ``gain``). Columns ``id``, ``part``, ``what``, ``kind``, ``hours``, ``cost``,
        ``refund_share``, ``amount`` (whole kroner)."""
        rows = [{"id": self.id, "part": "expense", "what": ln.what, "kind": ln.kind,
                 "hours": None if ln.hours is None else float(ln.hours),
                 "cost": None if ln.cost is None else float(ln.cost),
                 "refund_share": float(ln.refund_share), "amount": ln.amount} for ln in self.lines]
        for part, what, amount in (("income", "tax", self.tax), ("income", "result_grant", self.result_grant),
                                   ("income", "refunds", self.refunds), ("total", "expenses", self.expenses),
                                   ("total", "income", self.income), ("total", "gain", self.gain)):
            rows.append({"id": self.id, "part": part, "what": what, "kind": None, "hours": None, "cost": None,
                         "refund_share": None, "amount": amount})
        return pd.DataFrame(rows, columns=["id", "part", "what", "kind", "hours", "cost", "refund_share", "amount"])

    def record(self) -> dict[str, Any]:
        """The JSON form: ``{id, expenses, income, gain, tax, result_grant, refunds, lines}``."""
        return {"id": self.id, "expenses": self.expenses, "income": self.income, "gain": self.gain,
                "tax": self.tax, "result_grant": self.result_grant, "refunds": self.refunds,
                "hourly_rate": float(self.hourly_rate),
                "lines": [{"what": ln.what, "kind": ln.kind,
                           "hours": None if ln.hours is None else float(ln.hours),
                           "cost": None if ln.cost is None else float(ln.cost),
                           "amount": ln.amount, "refund_share": float(ln.refund_share), "refund": ln.refund}
                          for ln in self.lines]}


def _number(value: Any, where: str, field: str, problems: list[str], *, minimum: Decimal | None = Decimal(0),
            maximum: Decimal | None = None, expected: str = "a number >= 0",
            decimal_comma: bool = False) -> Decimal | None:
    """``value`` as a Decimal, or None after adding a problem line.

    A comma is read as the decimal sign only where ``decimal_comma`` (a ``;``-separated
    CSV, as Danish Excel writes it); elsewhere "3,000" is ambiguous and refused."""
    bad = isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal))
    d = None
    if not bad:
        text = str(value).strip()
        if decimal_comma and "," in text and "." not in text:
            text = text.replace(",", ".")  # Danish decimal comma
        try:
            d = Decimal(text)
        except InvalidOperation:
            bad = True
        else:
            bad = not d.is_finite() or (minimum is not None and d < minimum) or (maximum is not None and d > maximum)
    if bad:
        at = f"{where}: {field}" if field else where
        problems.append(f"{at}: got {mask_personal(repr(value))}; expected {expected}")
        return None
    return d


def _citizen(raw: Any, k: int, file: str, rate: Decimal | None, rules: YearRules,
             problems: list[str]) -> Account | None:
    where0 = f"{file}: citizens[{k}]"
    if not isinstance(raw, Mapping):
        problems.append(f"{where0}: expected a mapping with id, efforts, income")
        return None
    start = len(problems)
    cid = raw.get("id")
    if cid is None or str(cid).strip() == "":
        problems.append(f"{where0}: id: missing")
        cid = f"#{k + 1}"
    elif has_cpr(cid):
        problems.append(f"{where0}: id: looks like a CPR number; use pseudonymous ids")
        cid = f"#{k + 1}"
    cid = str(cid)
    where = f"{file}: citizen {cid!r}"
    for key in sorted(set(raw) - set(_CITIZEN_KEYS), key=str):
        problems.append(f"{where}: unknown key {mask_personal(str(key))!r} (expected {', '.join(_CITIZEN_KEYS)})")
    efforts = raw.get("efforts")
    if efforts is None:
        efforts = []
    if not isinstance(efforts, list):
        problems.append(f"{where}: efforts: expected a list of lines {{what, hours?, cost?, refund?}}")
        efforts = []
    lines = []
    for j, ln in enumerate(efforts):
        lw = f"{where}: efforts[{j}]"
        if not isinstance(ln, Mapping):
            problems.append(f"{lw}: expected a mapping {{what, hours?, cost?, refund?}}")
            continue
        for key in sorted(set(ln) - set(_LINE_KEYS), key=str):
            problems.append(f"{lw}: unknown key {mask_personal(str(key))!r} (expected {', '.join(_LINE_KEYS)})")
        what = ln.get("what")
        if what is None or str(what).strip() == "":
            problems.append(f"{lw}: what: missing")
            what = ""
        elif has_cpr(what):
            problems.append(f"{lw}: what: holds a CPR-like number")
        hours = _number(ln["hours"], lw, "hours", problems) if ln.get("hours") is not None else None
        cost = _number(ln["cost"], lw, "cost", problems) if ln.get("cost") is not None else None
        if ln.get("hours") is None and ln.get("cost") is None:
            problems.append(f"{lw}: hours and cost both missing; a line needs hours, a cost or both")
        kind = ln.get("kind")
        kind = str(kind) if kind is not None else (str(what).strip().lower() if str(what).strip().lower() in rules.refunds else None)
        if ln.get("refund") is not None:
            share = _number(ln["refund"], lw, "refund", problems, maximum=Decimal(1),
                            expected="a share between 0 and 1 of the line's cost")
            if ln.get("cost") is None and share is not None and share > 0:
                problems.append(f"{lw}: refund: the line has no cost to refund (staff hours are not refunded)")
        else:
            share = rules.refund_share(kind)
        if hours is not None and rate is None:
            problems.append(f"{file}: hourly_rate: missing (needed for the hours of citizen {cid!r})")
            rate = Decimal(0)
        if len(problems) == start and share is not None:
            total = (hours or 0) * (rate or 0) + (cost or 0)
            lines.append(Line(str(what), kind, hours, cost, kroner(total), share, kroner((cost or 0) * share)))
    income = raw.get("income")
    tax = grant = Decimal(0)
    if not isinstance(income, Mapping):
        problems.append(f"{where}: income: missing; expected {{tax, result_grant?}}")
    else:
        for key in sorted(set(income) - set(_INCOME_KEYS), key=str):
            problems.append(f"{where}: income: unknown key {mask_personal(str(key))!r} (expected tax, result_grant)")
        if income.get("tax") is None:
            problems.append(f"{where}: income: tax: missing")
        else:
            tax = _number(income["tax"], f"{where}: income", "tax", problems) or Decimal(0)
        if income.get("result_grant") is not None:
            grant = _number(income["result_grant"], f"{where}: income", "result_grant", problems) or Decimal(0)
    if len(problems) > start:
        return None
    expenses = sum(ln.amount for ln in lines)
    refunds = sum(ln.refund for ln in lines)
    inc = kroner(tax) + kroner(grant) + refunds
    return Account(cid, rate if rate is not None else Decimal(0), tuple(lines), expenses, kroner(tax), kroner(grant),
                   refunds, inc, inc - expenses)


def account(citizen: Mapping[str, Any], *, hourly_rate: float | int | str | Decimal | None = None,
            year: int | None = None, rules: BusinessCaseRules | None = None, file: str = "<input>") -> Account:
    """The business case of one citizen: ``{id, efforts, income}`` as in an efforts file.

    Parameters
    ----------
    citizen : mapping
        ``id``; ``efforts``: a list of ``{what, kind?, hours?, cost?, refund?}``;
        ``income``: ``{tax, result_grant?}`` (kroner).
    hourly_rate : number, optional
        Kroner per staff hour, overhead included (default: the rules' rate of ``year``).
    year : int, optional
        Year of the rules for default refund shares and rate (default: the latest).
    rules : BusinessCaseRules, optional
        Default :func:`load_rules`.

    Raises
    ------
    BusinessCaseError
        Every problem, one line each, naming the citizen and the field.
    """
    rules = rules or load_rules()
    yr = rules.year(year)
    problems: list[str] = []
    rate = yr.hourly_rate if hourly_rate is None else _number(hourly_rate, file, "hourly_rate", problems,
                                                                  expected="a positive number of kroner")
    acc = _citizen(citizen, 0, file, rate, yr, problems)
    if problems or acc is None:
        raise BusinessCaseError(problems)
    return acc


def read_accounts(path: str | Path, rules: BusinessCaseRules | None = None) -> tuple[Account, ...]:
    """Read an efforts file (YAML) and compute every citizen's account.

    The file holds ``hourly_rate`` (kroner per staff hour, overhead included; optional when
    ``year`` is given, then the rules' rate of that year), optional ``year`` (the refund
    rules used for lines without ``refund``; default the latest year of the rules) and
    ``citizens``: a list of ``{id, efforts, income}``.

    Raises
    ------
    BusinessCaseError
        Every problem of the file, one line each: file, citizen (or ``citizens[k]``) and
        field (missing hours and cost, a negative number, a refund share outside [0, 1],
        an unknown key, a CPR-like id).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "efforts.yaml"
    >>> _ = path.write_text("{hourly_rate: 363, citizens: [{id: julia, income: {tax: 10826},"
    ...                     " efforts: [{what: counselling, hours: 5}]}]}")
    >>> [(a.id, a.expenses, a.gain) for a in read_accounts(path)]
    [('julia', 1815, 9011)]
    """
    from fip._resources import parse_yaml

    p = Path(path)
    file = p.name
    try:
        raw = parse_yaml(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BusinessCaseError([f"{file}: cannot read the file ({exc.strerror})"]) from None
    except UnicodeDecodeError:
        raise BusinessCaseError([f"{file}: not UTF-8 text"]) from None
    except Exception as exc:  # yaml.YAMLError
        raise BusinessCaseError([f"{file}: not valid YAML ({str(exc).splitlines()[0]})"]) from None
    if not isinstance(raw, Mapping):
        raise BusinessCaseError([f"{file}: expected a mapping with hourly_rate and citizens"])
    problems: list[str] = []
    for key in sorted(set(raw) - set(_FILE_KEYS), key=str):
        problems.append(f"{file}: unknown key {mask_personal(str(key))!r} (expected {', '.join(_FILE_KEYS)})")
    rules = rules or load_rules()
    year = raw.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        problems.append(f"{file}: year: got {year!r}; expected a year such as 2014")
        year = None
    try:
        yr = rules.year(year)
    except ConfigError as exc:
        problems.append(f"{file}: year: {str(exc).split(': ', 2)[-1]}")
        yr = rules.year(None)
    rate = None
    if raw.get("hourly_rate") is not None:
        rate = _number(raw["hourly_rate"], file, "hourly_rate", problems, expected="a positive number of kroner")
        if rate is not None and rate <= 0:
            problems.append(f"{file}: hourly_rate: got {raw['hourly_rate']!r}; expected a positive number of kroner")
        if rate is None or rate <= 0:
            rate = Decimal(0)  # reported once above, not again for every citizen with hours
    elif year is not None:
        rate = yr.hourly_rate
    citizens = raw.get("citizens")
    if not isinstance(citizens, list) or not citizens:
        problems.append(f"{file}: citizens: expected a non-empty list of {{id, efforts, income}}")
        citizens = []
    accounts = []
    seen: set[str] = set()
    for k, c in enumerate(citizens):
        acc = _citizen(c, k, file, rate, yr, problems)
        if acc is not None:
            if acc.id in seen:
                problems.append(f"{file}: citizens[{k}]: id: {acc.id!r} appears twice")
            seen.add(acc.id)
            accounts.append(acc)
    if problems:
        raise BusinessCaseError(problems)
    return tuple(accounts)


# ---------------------------------------------------------------------------------------
# a cohort with job chances


@dataclass(frozen=True)
class CohortAccount:
    """The expected business case of a cohort (an aggregate: no person-level figures).

    ``expected_income`` = Σ P(job) × income; ``expected_gain`` = ``expected_income`` +
    ``refunds`` − ``expenses``. The ``_low``/``_high`` figures use the lower and upper
    bounds of each person's interval of P(job) instead (income is never negative, so they
    bound the expected figures). Values are exact (``Decimal``); :meth:`tidy` rounds them
    to whole kroner.
    """

    n: int
    expenses: Decimal
    refunds: Decimal
    expected_income: Decimal
    expected_income_low: Decimal
    expected_income_high: Decimal
    expected_gain: Decimal
    expected_gain_low: Decimal
    expected_gain_high: Decimal
    expected_jobs: Decimal
    expected_jobs_low: Decimal
    expected_jobs_high: Decimal

    def tidy(self) -> pd.DataFrame:
        """One row per figure: ``figure``, ``estimate``, ``low``, ``high`` (kroner, whole;
        jobs with one decimal), and ``n`` persons."""
        rows = [
            {"figure": "persons", "estimate": self.n, "low": None, "high": None},
            {"figure": "expected_jobs", "estimate": float(round(self.expected_jobs, 1)),
             "low": float(round(self.expected_jobs_low, 1)), "high": float(round(self.expected_jobs_high, 1))},
            {"figure": "expenses", "estimate": kroner(self.expenses), "low": None, "high": None},
            {"figure": "refunds", "estimate": kroner(self.refunds), "low": None, "high": None},
            {"figure": "expected_income", "estimate": kroner(self.expected_income),
             "low": kroner(self.expected_income_low), "high": kroner(self.expected_income_high)},
            {"figure": "expected_gain", "estimate": kroner(self.expected_gain),
             "low": kroner(self.expected_gain_low), "high": kroner(self.expected_gain_high)},
        ]
        return pd.DataFrame(rows, columns=["figure", "estimate", "low", "high"], dtype=object)

    def record(self) -> dict[str, Any]:
        """The JSON form: ``persons`` and, per figure, a number or ``{estimate, low, high}``."""
        out: dict[str, Any] = {}
        for row in self.tidy().itertuples():
            out[row.figure] = row.estimate if row.low is None else {"estimate": row.estimate, "low": row.low,
                                                                    "high": row.high}
        return out


def read_cohort(path: str | Path) -> pd.DataFrame:
    """Read a cohort CSV: one row per citizen, columns ``id``, ``probability``,
    ``interval_low``, ``interval_high`` (P(job) and its interval, 0-1), ``expenses`` (the
    effort's expenses, kroner), ``income`` (tax revenue + result grant if the citizen gets
    a job, kroner) and optionally ``refunds`` (kroner refunded whatever the outcome).

    ``;`` or ``,`` separated; a decimal comma is read in a ``;`` file. The column names of
    ``fip score`` output (``person_id``, ``ci_low``, ``ci_high``) are accepted for ``id``,
    ``interval_low``, ``interval_high``. Returns a frame with Decimal values.

    Raises
    ------
    BusinessCaseError
        Every problem, one line each, naming the file, the row (header = row 1) and the
        column: a missing column, an unknown column, a value that is not a number, a
        probability outside [0, 1], an interval that does not hold the probability,
        negative kroner.
    """
    from fip.data.readers import _read_csv

    p = Path(path)
    file = p.name
    try:
        frame = _read_csv(p)
    except FipError as exc:
        raise BusinessCaseError([f"{file}: {line}" if not line.startswith(file) else line
                                 for line in str(exc).splitlines()]) from None
    except (OSError, ValueError) as exc:
        raise BusinessCaseError([f"{file}: {getattr(exc, 'strerror', None) or str(exc).splitlines()[0]}"]) from None
    cols = [str(c).strip() for c in frame.columns]
    # the column names of `fip score` output are read as the contract's names
    alias = {"person_id": "id", "ci_low": "interval_low", "ci_high": "interval_high"}
    for a, name in alias.items():
        if a in cols and name in cols:
            raise BusinessCaseError([f"{file}: columns {a!r} and {name!r}: give one of them"])
    cols = [alias.get(c, c) for c in cols]
    frame.columns = cols
    allowed = (*COHORT_COLUMNS, "refunds")
    problems = [f"{file}: column {c!r}: missing" for c in COHORT_COLUMNS if c not in cols]
    problems += [f"{file}: column {c!r}: unknown (expected {', '.join(allowed)})" for c in cols if c not in allowed]
    if problems:
        raise BusinessCaseError(problems)
    if frame.empty:
        raise BusinessCaseError([f"{file}: no rows"])
    comma = frame.attrs.get("separator") == ";"
    out = []
    for k, row in enumerate(frame.to_dict("records")):
        where = f"{file}, row {k + 2}"
        rec: dict[str, Any] = {}
        pid = str(row["id"]).strip()
        if not pid:
            problems.append(f"{where}, column 'id': missing")
        elif has_cpr(pid):
            problems.append(f"{where}, column 'id': looks like a CPR number; use pseudonymous ids")
        rec["id"] = pid
        for c in ("probability", "interval_low", "interval_high"):
            rec[c] = _number(row[c], f"{where}, column {c!r}", "", problems, maximum=Decimal(1),
                             expected="a probability between 0 and 1", decimal_comma=comma)
        for c in ("expenses", "income", "refunds"):
            if c == "refunds" and (c not in row or str(row[c]).strip() == ""):
                rec[c] = Decimal(0)
                continue
            rec[c] = _number(row[c], f"{where}, column {c!r}", "", problems, expected="kroner >= 0",
                             decimal_comma=comma)
        lo, p_, hi = rec["interval_low"], rec["probability"], rec["interval_high"]
        if None not in (lo, p_, hi) and not lo <= p_ <= hi:
            problems.append(f"{where}, column 'probability': the interval {lo}-{hi} does not hold {p_}; "
                            "expected interval_low <= probability <= interval_high")
        out.append(rec)
    if problems:
        raise BusinessCaseError(problems)
    return pd.DataFrame(out)


def cohort_account(cohort: pd.DataFrame, policy=None) -> CohortAccount:
    """The expected account of a cohort (:func:`read_cohort` frame).

    Parameters
    ----------
    cohort : DataFrame
        Columns ``probability``, ``interval_low``, ``interval_high``, ``expenses``,
        ``income`` and optionally ``refunds`` (numbers or Decimals).
    policy : DisclosurePolicy, optional
        The small-cell rule (default: ``configs/disclosure.yaml``). A cohort of 1 ..
        threshold − 1 persons is refused: its account would describe too few persons.

    Raises
    ------
    fip.disclosure.DisclosureError
        The cohort is below the disclosure threshold.

    Examples
    --------
    >>> frame = pd.DataFrame({"probability": [0.5] * 5, "interval_low": [0.4] * 5,
    ...                       "interval_high": [0.6] * 5, "expenses": [1000] * 5, "income": [4000] * 5})
    >>> acc = cohort_account(frame)
    >>> int(acc.expected_gain), int(acc.expected_gain_low), int(acc.expected_gain_high)
    (5000, 3000, 7000)
    """
    from fip.disclosure import resolve_policy

    policy = resolve_policy(policy if policy is not None else "default")
    n = len(cohort)
    if policy is not None:
        policy.require(n, "the cohort account")
    if n == 0:
        raise FipError("the cohort has no persons")

    def dec(col: str) -> list[Decimal]:
        if col not in cohort.columns:
            return [Decimal(0)] * n
        return [v if isinstance(v, Decimal) else Decimal(str(v)) for v in cohort[col]]

    p, lo, hi = dec("probability"), dec("interval_low"), dec("interval_high")
    inc, exp, ref = dec("income"), dec("expenses"), dec("refunds")
    for name, values in (("probability", p), ("expenses", exp), ("income", inc)):
        if any(not v.is_finite() for v in values):
            raise FipError(f"the cohort's {name} has a missing value")
    e_inc = sum((a * b for a, b in zip(p, inc)), Decimal(0))
    e_lo = sum((a * b for a, b in zip(lo, inc)), Decimal(0))
    e_hi = sum((a * b for a, b in zip(hi, inc)), Decimal(0))
    expenses, refunds = sum(exp, Decimal(0)), sum(ref, Decimal(0))
    return CohortAccount(n, expenses, refunds, e_inc, e_lo, e_hi, e_inc + refunds - expenses,
                         e_lo + refunds - expenses, e_hi + refunds - expenses,
                         sum(p, Decimal(0)), sum(lo, Decimal(0)), sum(hi, Decimal(0)))


def format_account(acc: Account) -> str:
    """An account as plain text lines (kroner with thousands separators), for the console."""
    def kr(v: int) -> str:
        return f"{v:,} kr."

    width = max([len(ln.what) for ln in acc.lines] + [20])
    out = [f"Citizen {acc.id} (hourly rate {acc.hourly_rate.normalize():f} kr. including overhead)", "  Expenses"]
    for ln in acc.lines:
        parts = []
        if ln.hours is not None:
            parts.append(f"{ln.hours.normalize():f} h")
        if ln.cost is not None:
            parts.append(f"cost {kr(kroner(ln.cost))}")
        out.append(f"    {ln.what:<{width}}  {' + '.join(parts):<24} {kr(ln.amount):>14}")
    out.append(f"    {'Expenses in all':<{width}}  {'':<24} {kr(acc.expenses):>14}")
    out.append("  Income")
    refund_note = ", ".join(f"{ln.what} {ln.refund_share.normalize() * 100:f} %" for ln in acc.lines if ln.refund)
    for label, v, note in (("Tax revenue", acc.tax, ""), ("Result grant", acc.result_grant, ""),
                           ("Refunds", acc.refunds, refund_note)):
        out.append(f"    {label:<{width}}  {note[:24]:<24} {kr(v):>14}")
    out.append(f"    {'Income in all':<{width}}  {'':<24} {kr(acc.income):>14}")
    out.append(f"  {'Gain (income - expenses)':<{width + 2}}  {'':<24} {kr(acc.gain):>14}")
    return "\n".join(out)
