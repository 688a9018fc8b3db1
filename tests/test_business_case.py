"""The municipal business case (issue 15, item 9): fip.business_case and `fip business-case`.

Reference values are the worked example of KL's Futura model (LG Insight) as quoted in the
issue (Julia, Frederikshavn, 2014: 735 + 1,815 + 2,904 + 647 = 6,101 kr. expenses, tax
revenue 10,826 kr., gain 4,725 kr.) and closed forms computed here with exact fractions.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fip.business_case import (BusinessCaseError, account, cohort_account, kroner, load_rules, read_accounts,
                               read_cohort)
from fip.cli import app
from fip.disclosure import DisclosureError, DisclosurePolicy
from fip.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
JULIA = ROOT / "examples" / "business_case" / "julia.yaml"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["business-case", *map(str, args)], catch_exceptions=False)


def _write(tmp_path: Path, doc, name="efforts.yaml") -> Path:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return p


def test_julia_to_the_krone():
    (acc,) = read_accounts(JULIA)
    assert [ln.amount for ln in acc.lines] == [735, 1815, 2904, 647]
    assert (acc.expenses, acc.tax, acc.result_grant, acc.refunds, acc.income, acc.gain) == (6101, 10826, 0, 0, 10826, 4725)
    tidy = acc.tidy()
    assert tidy.loc[tidy["what"] == "gain", "amount"].item() == 4725
    assert list(tidy["part"].unique()) == ["expense", "income", "total"]


def test_julia_on_the_command_line(tmp_path):
    res = invoke(JULIA)
    assert res.exit_code == 0, res.output
    for figure in ("735 kr.", "1,815 kr.", "2,904 kr.", "647 kr.", "6,101 kr.", "10,826 kr.", "4,725 kr."):
        assert figure in res.stdout
    res = invoke(JULIA, "--format", "json")
    (rec,) = json.loads(res.stdout)
    assert {k: rec[k] for k in ("id", "expenses", "income", "gain")} == {"id": "julia", "expenses": 6101,
                                                                         "income": 10826, "gain": 4725}
    assert [ln["amount"] for ln in rec["lines"]] == [735, 1815, 2904, 647]
    out = tmp_path / "julia.csv"
    res = invoke(JULIA, "--format", "csv", "--out", out)
    assert res.exit_code == 0 and out.stat().st_mode & 0o077 == 0     # person-level: 0600
    assert "julia,total,gain,,,,,4725" in out.read_text()


def test_each_line_is_rounded_half_up_and_refunds_follow_the_rules():
    # 1.5 h x 363 = 544.5 -> 545 (half up; banker's rounding would give 544)
    # wage subsidy: 2 h x 363 + 10,001 = 10,727; refund 50 % of the cost only: 5,000.5 -> 5,001
    # mentor with an explicit refund share 0.25 of 1,002: 250.5 -> 251
    acc = account({"id": "a1", "income": {"tax": 1000, "result_grant": 2000},
                   "efforts": [{"what": "counselling", "hours": 1.5},
                               {"what": "wage subsidy", "kind": "wage_subsidy", "hours": 2, "cost": 10001},
                               {"what": "mentor", "cost": 1002, "refund": 0.25},
                               {"what": "job_search_course", "cost": "3000"}]},    # kind from `what`
                  hourly_rate=363, year=2014)
    assert [ln.amount for ln in acc.lines] == [545, 10727, 1002, 3000]
    assert [ln.refund for ln in acc.lines] == [0, 5001, 251, 1500]
    assert acc.expenses == 545 + 10727 + 1002 + 3000
    assert acc.refunds == 5001 + 251 + 1500
    assert acc.income == 1000 + 2000 + acc.refunds and acc.gain == acc.income - acc.expenses
    assert kroner(Decimal("-2.5")) == -3
    with pytest.raises(BusinessCaseError, match=r"citizen 'z': efforts\[0\]: hours: got -2"):
        account({"id": "z", "efforts": [{"what": "m", "hours": -2}], "income": {"tax": 0}}, hourly_rate=363)


@pytest.mark.parametrize(("line", "field"), [
    ({"what": "meeting"}, "hours and cost both missing"),
    ({"what": "meeting", "hours": -1}, "hours: got -1; expected a number >= 0"),
    ({"what": "mentor", "cost": 100, "refund": 1.5}, "refund: got 1.5; expected a share between 0 and 1"),
    ({"what": "mentor", "cost": 100, "refnd": 0.5}, "unknown key 'refnd'"),
    ({"what": "meeting", "hours": "two"}, "hours: got 'two'"),
    ({"what": "meeting", "hours": 2, "refund": 0.5}, "refund: the line has no cost"),
    ({"what": "course", "cost": "3,000"}, "cost: got '3,000'"),            # 3 or 3000? refused
])
def test_bad_lines_name_file_citizen_and_field(tmp_path, line, field):
    doc = {"hourly_rate": 363, "citizens": [{"id": "ok", "efforts": [{"what": "a", "hours": 1}], "income": {"tax": 1}},
                                            {"id": "c7", "efforts": [{"what": "a", "hours": 1}, line],
                                             "income": {"tax": 1}}]}
    src = _write(tmp_path, doc)
    out = tmp_path / "out.json"
    res = invoke(src, "--format", "json", "--out", out)
    assert res.exit_code == 2
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output
    assert lines[0].startswith("error: efforts.yaml: citizen 'c7': efforts[1]: ") and field in lines[0], lines[0]
    assert not out.exists()                                                   # nothing half-written


@pytest.mark.parametrize(("doc", "message"), [
    ({"hourly_rate": 363, "citizens": [{"id": "x", "efforts": [], "income": {}}]}, "citizen 'x': income: tax: missing"),
    ({"hourly_rate": 363, "citizens": [{"id": "x", "income": {"tax": 1}, "notes": 1}]}, "citizen 'x': unknown key 'notes'"),
    ({"citizens": [{"id": "x", "efforts": [{"what": "m", "hours": 1}], "income": {"tax": 1}}]}, "hourly_rate: missing"),
    ({"hourly_rate": 363, "year": 1999, "citizens": [{"id": "x", "income": {"tax": 1}}]}, "year: no rules for 1999"),
    ({"hourly_rate": 363, "citizens": [{"id": "010190-1234", "income": {"tax": 1}}]}, "citizens[0]: id: looks like a CPR"),
    ({"hourly_rate": 363, "rate": 1, "citizens": [{"id": "x", "income": {"tax": 1}}]}, "efforts.yaml: unknown key 'rate'"),
    ("citizens: [", "not valid YAML"),
    ({"hourly_rate": -363, "citizens": [{"id": "x", "efforts": [{"what": "m", "hours": 1}], "income": {"tax": 1}}]},
     "efforts.yaml: hourly_rate: got -363; expected a positive number"),
])
def test_bad_files_are_one_line_each(tmp_path, doc, message):
    res = invoke(_write(tmp_path, doc))
    assert res.exit_code == 2 and message in res.stderr, res.stderr
    assert "1234" not in res.stderr and "Traceback" not in res.output
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr                # one problem, one line


def test_year_gives_the_rate_and_rules_are_validated(tmp_path):
    doc = {"year": 2014, "citizens": [{"id": "x", "efforts": [{"what": "m", "hours": 1}], "income": {"tax": 0}}]}
    (acc,) = read_accounts(_write(tmp_path, doc))
    assert acc.hourly_rate == Decimal(363) and acc.expenses == 363
    rules = load_rules()
    assert rules.year(2014).refund_share("staff_hours") == 0 and rules.year(2014).refund_share("mentor") == Decimal("0.5")
    for bad, key in (({"years": {2014: {"hourly_rate": 363, "refunds": {"mentor": 2}}}}, "years.2014.refunds.mentor"),
                     ({"years": {2014: {"hourly_rate": -1}}}, "years.2014.hourly_rate"),
                     ({"years": {14: {"hourly_rate": 363}}}, "years.14"),
                     ({"years": {2014: {"hourly_rate": 363, "overhead": 1}}}, "unknown key 'overhead'")):
        path = _write(tmp_path, bad, "rules.yaml")
        with pytest.raises(ConfigError, match="rules.yaml") as info:
            load_rules(path)
        assert key in str(info.value)
        res = invoke(JULIA, "--rules", path)
        assert res.exit_code == 2 and key in res.stderr


def _cohort_csv(tmp_path: Path, rows, name="cohort.csv", sep=",") -> Path:
    head = sep.join(("id", "probability", "interval_low", "interval_high", "expenses", "income", "refunds"))
    p = tmp_path / name
    p.write_text("\n".join([head, *(sep.join(map(str, r)) for r in rows)]) + "\n", encoding="utf-8")
    return p


ROWS = [("p1", "0.31", "0.26", "0.36", 6101, 10826, 0), ("p2", "0.05", "0.02", "0.09", 12000, 30000, 3000),
        ("p3", "0.5", "0.45", "0.55", 2000, 8000, 0), ("p4", "0.7", "0.6", "0.8", 9000, 20000, 1500),
        ("p5", "0.12", "0.1", "0.15", 500, 15000, 0), ("p6", "0.9", "0.85", "0.95", 100, 1000, 0)]


def _expected(rows, col):
    """Σ p × income + Σ refunds − Σ expenses with exact fractions (p from column ``col``)."""
    k = {"probability": 1, "interval_low": 2, "interval_high": 3}[col]
    return sum(Fraction(r[k]) * r[5] for r in rows) + sum(r[6] for r in rows) - sum(r[4] for r in rows)


def test_cohort_expected_account_with_intervals(tmp_path):
    frame = read_cohort(_cohort_csv(tmp_path, ROWS))
    acc = cohort_account(frame)
    assert acc.n == 6
    for got, col in ((acc.expected_gain, "probability"), (acc.expected_gain_low, "interval_low"),
                     (acc.expected_gain_high, "interval_high")):
        assert Fraction(got) == _expected(ROWS, col)                           # exact, not within a tolerance
    assert acc.expected_gain_low <= acc.expected_gain <= acc.expected_gain_high
    assert Fraction(acc.expected_jobs) == sum(Fraction(r[1]) for r in ROWS)
    res = invoke(_cohort_csv(tmp_path, ROWS), "--format", "json")
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    assert rec["persons"] == 6 and "p1" not in res.stdout                      # an aggregate: no person rows
    half_up = lambda f: int((f * 2 + 1) // 2)                                  # noqa: E731
    assert rec["expected_gain"] == {"estimate": half_up(_expected(ROWS, "probability")),
                                    "low": half_up(_expected(ROWS, "interval_low")),
                                    "high": half_up(_expected(ROWS, "interval_high"))}
    res = invoke(_cohort_csv(tmp_path, ROWS), "--format", "table")
    assert "expected_gain" in res.stdout and "p3" not in res.stdout


def test_cohort_below_the_threshold_is_refused(tmp_path):
    small = _cohort_csv(tmp_path, ROWS[:4])
    res = invoke(small)
    assert res.exit_code == 2 and "fewer than 5 persons" in res.stderr
    with pytest.raises(DisclosureError):
        cohort_account(read_cohort(small))
    res = invoke(small, "--min-cell", "3", "--secure-machine", "--format", "json")
    assert res.exit_code == 0 and json.loads(res.stdout)["notice"].startswith("SECURE MACHINE ONLY")
    assert cohort_account(read_cohort(small), DisclosurePolicy(3, secure_machine=True)).n == 4


def test_cohort_reads_the_columns_of_fip_score(tmp_path):
    p = _cohort_csv(tmp_path, ROWS)
    text = p.read_text().replace("id,", "person_id,", 1).replace("interval_low", "ci_low").replace("interval_high", "ci_high")
    p.write_text(text)
    assert Fraction(cohort_account(read_cohort(p)).expected_gain) == _expected(ROWS, "probability")
    p.write_text("".join(f"{line.split(',')[0]},{line}\n" for line in text.splitlines()).replace("person_id,", "id,", 1))
    res = invoke(p)
    assert res.exit_code == 2 and "columns 'person_id' and 'id': give one of them" in res.stderr


def test_cohort_semicolon_and_decimal_comma(tmp_path):
    rows = [(r[0], r[1].replace(".", ","), r[2].replace(".", ","), r[3].replace(".", ","), *r[4:]) for r in ROWS]
    acc = cohort_account(read_cohort(_cohort_csv(tmp_path, rows, sep=";")))
    assert Fraction(acc.expected_gain) == _expected(ROWS, "probability")


@pytest.mark.parametrize(("row", "message"), [
    (("p9", "1.4", "0.1", "0.2", 1, 1, 0), "cohort.csv, row 8, column 'probability': got '1.4'"),
    (("p9", "0.3", "0.35", "0.4", 1, 1, 0), "cohort.csv, row 8, column 'probability': the interval"),
    (("p9", "0.3", "0.2", "0.4", -5, 1, 0), "cohort.csv, row 8, column 'expenses': got '-5'"),
    (("p9", "x", "0.2", "0.4", 1, 1, 0), "cohort.csv, row 8, column 'probability': got 'x'"),
    (("010190-1234", "0.3", "0.2", "0.4", 1, 1, 0), "cohort.csv, row 8, column 'id': looks like a CPR"),
])
def test_bad_cohort_rows(tmp_path, row, message):
    res = invoke(_cohort_csv(tmp_path, [*ROWS, row]))
    assert res.exit_code == 2 and message in res.stderr, res.stderr
    assert "1234" not in res.stderr


def test_bad_cohort_files(tmp_path):
    p = tmp_path / "cohort.csv"
    p.write_text("id,probability,expenses,income\np1,0.3,1,1\n", encoding="utf-8")
    res = invoke(p)
    assert res.exit_code == 2 and "cohort.csv: column 'interval_low': missing" in res.stderr
    p.write_text('id,probability,interval_low,interval_high,expenses,income\n"p1,0.3\n', encoding="utf-8")
    res = invoke(p)
    assert res.exit_code == 2 and "cohort.csv" in res.stderr and "Traceback" not in res.output
    res = invoke(tmp_path / "missing.yaml")
    assert res.exit_code == 2 and "missing.yaml" in res.stderr
    res = invoke(tmp_path / "cohort.txt")
    assert res.exit_code == 2 and "FILE suffix" in res.stderr

_MONEY = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
_HOURS = st.decimals(min_value=0, max_value=500, places=3, allow_nan=False, allow_infinity=False)


def _half_up(f: Fraction) -> int:
    """Round a non-negative fraction to an integer, halves up (reference, independent of Decimal)."""
    return int((f * 2 + 1) // 2)


@settings(max_examples=150, deadline=None)
@given(rate=st.decimals(min_value=1, max_value=2000, places=2), tax=_MONEY, grant=_MONEY,
       lines=st.lists(st.tuples(st.one_of(st.none(), _HOURS), st.one_of(st.none(), _MONEY),
                                st.sampled_from([None, "wage_subsidy", "mentor", "mileage"])),
                      min_size=1, max_size=6).filter(lambda ls: all(h is not None or c is not None for h, c, _ in ls)))
def test_account_invariants(rate, tax, grant, lines):
    efforts = [{"what": f"line {j}", **({"hours": str(h)} if h is not None else {}),
                **({"cost": str(c)} if c is not None else {}), **({"kind": k} if k else {})}
               for j, (h, c, k) in enumerate(lines)]
    acc = account({"id": "h", "efforts": efforts, "income": {"tax": str(tax), "result_grant": str(grant)}},
                  hourly_rate=str(rate), year=2014)
    share = {"wage_subsidy": Fraction(1, 2), "mentor": Fraction(1, 2)}
    amounts = [_half_up(Fraction(h or 0) * Fraction(rate) + Fraction(c or 0)) for h, c, _ in lines]
    refunds = [_half_up(Fraction(c or 0) * share.get(k, 0)) for _, c, k in lines]
    assert [ln.amount for ln in acc.lines] == amounts
    assert [ln.refund for ln in acc.lines] == refunds
    assert acc.expenses == sum(amounts)
    assert acc.income == _half_up(Fraction(tax)) + _half_up(Fraction(grant)) + sum(refunds)
    assert acc.gain == acc.income - acc.expenses
