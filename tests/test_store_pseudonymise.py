"""Tests of fip.store.pseudonymise and of CPR handling on import.

References: RFC 4231 HMAC-SHA256 test vectors, and HMAC written out from its definition
(RFC 2104: H((K ^ opad) || H((K ^ ipad) || m))) with hashlib, independent of the hmac module.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fip.data import Dataset, load_dataset, write_dataset
from fip.errors import FipError, InvalidDataError, mask_personal
from fip.simulate import simulate_cohort
from fip.store import import_dataset, import_log, load_store, replaced_rows
from fip.store.pseudonymise import (
    KEY_ENV,
    contains_cpr,
    is_cpr,
    key_fingerprint,
    keyed_hash,
    pseudonym,
    pseudonymise,
    resolve_key,
)

KEY = b"quarterly-export-key-0123456789"
CPR_ANYWHERE = re.compile(rb"(?<!\d)\d{6}-?\d{4}(?!\d)")
TO_AP = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def rfc2104_hmac_sha256(key: bytes, message: bytes) -> str:
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha256(bytes(k ^ 0x5C for k in key) + inner).hexdigest()


# --------------------------------------------------------------------------- the hash


@pytest.mark.parametrize(
    ("key", "data", "hexdigest"),
    [  # RFC 4231, test cases 1 and 2
        (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (b"Jefe", b"what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    ],
)
def test_keyed_hash_matches_rfc4231(key, data, hexdigest):
    assert keyed_hash(data.decode(), key) == hexdigest.translate(TO_AP)


cprs = st.builds(lambda d, m, y, s, h: f"{d:02d}{m:02d}{y:02d}{'-' if h else ''}{s:04d}",
                 st.integers(1, 31), st.integers(1, 12), st.integers(0, 99), st.integers(0, 9999), st.booleans())
keys = st.binary(min_size=16, max_size=80)


@given(cpr=cprs, key=keys)
@settings(max_examples=200, deadline=None)
def test_pseudonym_is_truncated_hmac_without_digits(cpr, key):
    p = pseudonym(cpr, key)
    digits = cpr.replace("-", "")
    assert p == rfc2104_hmac_sha256(key, digits.encode())[:32].translate(TO_AP)
    assert re.fullmatch(r"[a-p]{32}", p)
    assert pseudonym(digits, key) == p == pseudonym(f" {cpr} ", key)
    assert mask_personal(p) == p  # never itself looks like a CPR number


@given(cpr=cprs, k1=keys, k2=keys)
@settings(max_examples=100, deadline=None)
def test_other_key_other_pseudonym(cpr, k1, k2):
    if k1 != k2:
        assert pseudonym(cpr, k1) != pseudonym(cpr, k2)
        assert key_fingerprint(k1) != key_fingerprint(k2)


# the rule of fip.personal written out for this alphabet: six digits, a separator (up to four
# spaces, or a hyphen with up to two spaces each side), four digits; or nine digits d mm ...
# with d 1-9 and mm 01-12 (a lost leading zero)
WHOLE_CPR = re.compile(r"\s*(\d{6}( {0,4}| {0,2}- {0,2})\d{4}|[1-9](0[1-9]|1[0-2])\d{6})\s*")


@given(st.text(alphabet="0123456789-ab ", max_size=30))
@settings(max_examples=300, deadline=None)
def test_contains_cpr_agrees_with_mask_personal(text):
    assert contains_cpr(pd.Series([text]))[0] == (mask_personal(text) != text)
    assert is_cpr(pd.Series([text]))[0] == bool(WHOLE_CPR.fullmatch(text))


def test_pseudonymise_keeps_other_ids_and_counts_distinct_numbers():
    values = pd.Series(["p1", "010190-1234", "0101901234", None, "020285-4321", "p1"])
    out, n = pseudonymise(values, KEY)
    assert n == 2
    assert out[0] == "p1" and out[5] == "p1" and pd.isna(out[3])
    assert out[1] == out[2] == pseudonym("0101901234", KEY) and out[4] == pseudonym("0202854321", KEY)


def test_resolve_key_sources(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert resolve_key() is None
    monkeypatch.setenv(KEY_ENV, "from-the-environment-123")
    assert resolve_key() == b"from-the-environment-123"
    f = tmp_path / "key.txt"
    f.write_bytes(b"from-a-key-file-4567\n")
    assert resolve_key(key_file=f) == b"from-a-key-file-4567"
    assert resolve_key(KEY) == KEY
    monkeypatch.setenv(KEY_ENV, "short1234")
    with pytest.raises(FipError) as err:
        resolve_key()
    assert "short1234" not in str(err.value) and KEY_ENV in str(err.value)
    with pytest.raises(FipError, match="cannot read"):
        resolve_key(key_file=tmp_path / "missing")
    with pytest.raises(ValueError):
        resolve_key(KEY, key_file=f)


# --------------------------------------------------------------------------- importing CPR-keyed files


def _cpr_dataset(n: int = 40, seed: int = 6) -> tuple[Dataset, dict[str, str]]:
    """A simulated cohort whose person ids (and one caseworker id) are fake CPR numbers,
    half written with the hyphen."""
    ds = simulate_cohort(n, seed=seed)
    ids = ds.persons["person_id"].tolist()
    cpr = {pid: f"{1 + k % 28:02d}{1 + k % 12:02d}{(60 + k) % 100:02d}{'-' if k % 2 else ''}{1000 + 7 * k:04d}"
           for k, pid in enumerate(ids)}
    tables = {}
    for t in ("persons", "forms", "outcomes"):
        frame = ds.table(t).copy()
        frame["person_id"] = frame["person_id"].map(cpr).astype("str")
        tables[t] = frame
    first_cw = tables["forms"]["caseworker_id"].iloc[0]
    tables["forms"]["caseworker_id"] = tables["forms"]["caseworker_id"].replace(first_cw, "311299-9999")
    return Dataset(**tables, instrument=ds.instrument), cpr


def _scan(paths: list[Path]) -> list[str]:
    """CPR-like byte runs in files (names of the files that have one)."""
    return [p.name for p in paths if p.is_file() and CPR_ANYWHERE.search(p.read_bytes())]


def _all_text(store: Path) -> str:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        parts = []
        for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            parts.append(repr(con.execute(f'SELECT * FROM "{name}"').fetchall()))
    finally:
        con.close()
    return "\n".join(parts)


def test_cpr_ids_refused_without_key(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    ds, cpr = _cpr_dataset()
    folder = write_dataset(ds, tmp_path / "q1")
    store = tmp_path / "s.duckdb"
    with pytest.raises(InvalidDataError) as err:
        import_dataset(folder, store)
    text = str(err.value)
    assert not CPR_ANYWHERE.search(text.encode())
    files = [(p.file, p.column) for p in err.value.problems]
    assert ("persons.csv", "person_id") in files and ("forms.csv", "caseworker_id") in files
    persons_problem = [p for p in err.value.problems if p.file == "persons.csv"][0]
    assert f"rows 2-{len(ds.persons) + 1}" in persons_problem.expected and KEY_ENV in persons_problem.expected
    assert not store.exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_cpr_ids_pseudonymised_and_nowhere_in_the_store(tmp_path, monkeypatch, fmt):
    monkeypatch.delenv(KEY_ENV, raising=False)
    ds, cpr = _cpr_dataset()
    folder = write_dataset(ds, tmp_path / "q1", format=fmt)
    store = tmp_path / "s.duckdb"
    report = import_dataset(folder, store, key=KEY)
    assert report.pseudonymised == len(cpr) + 1  # persons and the one CPR-like caseworker id
    assert not CPR_ANYWHERE.search("\n".join(report.lines()).encode())

    loaded = load_store(store)
    expected_ids = [rfc2104_hmac_sha256(KEY, cpr[p].replace("-", "").encode())[:32].translate(TO_AP)
                    for p in simulate_cohort(40, seed=6).persons["person_id"]]
    assert loaded.persons["person_id"].tolist() == expected_ids
    source = load_dataset(folder)
    for t in ("persons", "forms", "outcomes"):  # everything but the ids is as imported
        cols = [c for c in source.table(t).columns if c not in ("person_id", "caseworker_id")]
        pd.testing.assert_frame_equal(loaded.table(t)[cols], source.table(t)[cols], check_exact=True)

    assert not CPR_ANYWHERE.search(_all_text(store).encode())
    assert _scan(list(tmp_path.glob("s.duckdb*"))) == []
    for number in cpr.values():  # neither spelling appears in the file bytes
        data = store.read_bytes()
        assert number.encode() not in data and number.replace("-", "").encode() not in data
    logs = import_log(store).to_csv() + replaced_rows(store).to_csv()
    assert not CPR_ANYWHERE.search(logs.encode())

    # exported files hold pseudonyms only
    from fip.store import export_store

    out = export_store(store, tmp_path / "out", "csv")
    assert _scan(list(out.iterdir())) == []

    # a second quarter with the same key links to the same persons; another key is refused
    assert not import_dataset(folder, store, key=KEY).changed
    monkeypatch.setenv(KEY_ENV, "another-key-of-enough-length")
    before = _all_text(store)
    with pytest.raises(FipError, match="key differs") as err:
        import_dataset(folder, store)
    assert not CPR_ANYWHERE.search(str(err.value).encode())
    assert _all_text(store) == before


def test_two_spellings_of_one_cpr_are_a_duplicate(tmp_path):
    ds = simulate_cohort(12, seed=3)
    persons = ds.persons.copy()
    forms = ds.forms.copy()
    outcomes = ds.outcomes.copy()
    a, b = persons["person_id"].iloc[0], persons["person_id"].iloc[1]
    mapping = {a: "010190-1234", b: "0101901234"}
    for f in (persons, forms, outcomes):
        f["person_id"] = f["person_id"].replace(mapping)
    folder = write_dataset(Dataset(persons, forms, outcomes, ds.instrument), tmp_path / "q1")
    with pytest.raises(InvalidDataError) as err:
        import_dataset(folder, tmp_path / "s.duckdb", key=KEY)
    p = err.value.problems[0]
    assert (p.file, p.row) == ("persons.csv", 3) and "row 2" in p.expected
    assert not CPR_ANYWHERE.search(str(err.value).encode())
    assert not (tmp_path / "s.duckdb").exists()


def test_cpr_inside_ids_and_text_refused_even_with_key(tmp_path):
    ds = simulate_cohort(12, seed=3)
    persons = ds.persons.copy()
    persons.loc[2, "origin"] = "Syria 010190-1234"
    forms = ds.forms.copy()
    forms.loc[0, "caseworker_id"] = "cw-0101901234"
    folder = write_dataset(Dataset(persons, forms, ds.outcomes, ds.instrument), tmp_path / "q1")
    with pytest.raises(InvalidDataError) as err:
        import_dataset(folder, tmp_path / "s.duckdb", key=KEY)
    got = {(p.file, p.column): p.expected for p in err.value.problems}
    assert "row 4" in got[("persons.csv", "origin")]
    assert "row 2" in got[("forms.csv", "caseworker_id")]
    assert not CPR_ANYWHERE.search(str(err.value).encode())


SPELLINGS = ["{a} {b}", "{a}\u2013{b}", "{a} / {b}", "{a} - {b}", "{a}\u00a0{b}"]


def _spelled_dataset(n: int = 30, seed: int = 4) -> tuple[Dataset, dict[str, str]]:
    """Person ids that are CPR numbers written with spaces, dashes and slashes (ten digits each)."""
    ds = simulate_cohort(n, seed=seed)
    ten = {pid: f"{1 + k % 28:02d}{1 + k % 12:02d}{(50 + k) % 100:02d}{2000 + 13 * k:04d}"
           for k, pid in enumerate(ds.persons["person_id"])}
    spelled = {pid: SPELLINGS[k % len(SPELLINGS)].format(a=t[:6], b=t[6:]) for k, (pid, t) in enumerate(ten.items())}
    tables = {t: ds.table(t).assign(person_id=ds.table(t)["person_id"].map(spelled).astype("str"))
              for t in ("persons", "forms", "outcomes")}
    return Dataset(**tables, instrument=ds.instrument), {spelled[p]: ten[p] for p in ten}


def test_cpr_written_with_other_separators_is_refused_without_key_and_hashed_with_one(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    ds, ten = _spelled_dataset()
    folder = write_dataset(ds, tmp_path / "q1")
    with pytest.raises(InvalidDataError) as err:
        import_dataset(folder, tmp_path / "s.duckdb")
    assert {(p.file, p.column) for p in err.value.problems} >= {("persons.csv", "person_id")}
    assert all(t[:6] not in str(err.value) for t in ten.values())
    assert not (tmp_path / "s.duckdb").exists()

    report = import_dataset(folder, tmp_path / "s.duckdb", key=KEY)
    assert report.pseudonymised == len(ten)
    stored = load_store(tmp_path / "s.duckdb").persons["person_id"].tolist()
    raw = load_dataset(folder).persons["person_id"].tolist()
    assert stored == [rfc2104_hmac_sha256(KEY, ten[r].encode())[:32].translate(TO_AP) for r in raw]
    dump = _all_text(tmp_path / "s.duckdb")
    assert all(t not in dump and t[:6] not in dump for t in ten.values())


def test_nine_digit_ids_of_a_numeric_column_get_the_ten_digit_pseudonym(tmp_path):
    """A CPR number in a numeric column loses its leading zero (0101801000 -> 101801000):
    it is recognised and hashed as the ten digits, the same pseudonym as the text spelling."""
    ds = simulate_cohort(20, seed=9)
    ten = {pid: f"{1 + k % 9:02d}{1 + k % 12:02d}{(70 + k) % 100:02d}{3000 + k:04d}" if k % 2 else
           f"{10 + k % 18:02d}{1 + k % 12:02d}{(70 + k) % 100:02d}{3000 + k:04d}"
           for k, pid in enumerate(ds.persons["person_id"])}
    numeric = {pid: int(t) for pid, t in ten.items()}  # as a spreadsheet stores them
    assert sum(len(str(v)) == 9 for v in numeric.values()) == 10
    folder = tmp_path / "q1"
    folder.mkdir()
    for t in ("persons", "forms", "outcomes"):
        ds.table(t).assign(person_id=ds.table(t)["person_id"].map(numeric).astype("int64")).to_parquet(
            folder / f"{t}.parquet", index=False)
    report = import_dataset(folder, tmp_path / "s.duckdb", key=KEY)
    assert report.pseudonymised == len(ten)
    stored = load_store(tmp_path / "s.duckdb").persons["person_id"].tolist()
    assert stored == [pseudonym(t, KEY) for t in ten.values()]
    assert stored == [rfc2104_hmac_sha256(KEY, t.encode())[:32].translate(TO_AP) for t in ten.values()]
    with pytest.raises(InvalidDataError, match="pseudonymous ids"):
        import_dataset(folder, tmp_path / "t.duckdb")  # no key: refused like the ten-digit form


def test_spaced_cpr_in_free_text_is_refused(tmp_path):
    ds = simulate_cohort(12, seed=3)
    persons = ds.persons.copy()
    persons.loc[1, "origin"] = "010190 1234"
    persons.loc[3, "municipality"] = "kommune 010190\u20131234"
    folder = write_dataset(Dataset(persons, ds.forms, ds.outcomes, ds.instrument), tmp_path / "q1")
    with pytest.raises(InvalidDataError) as err:
        import_dataset(folder, tmp_path / "s.duckdb", key=KEY)
    got = {(p.file, p.column): p.expected for p in err.value.problems}
    assert "row 3" in got[("persons.csv", "origin")] and "row 5" in got[("persons.csv", "municipality")]
    assert "010190" not in str(err.value)


def test_screen_ids_gives_the_import_pseudonyms_and_counts(tmp_path, monkeypatch):
    from fip.store.screen import cpr_id_counts, screen_ids

    monkeypatch.delenv(KEY_ENV, raising=False)
    ds, ten = _spelled_dataset(n=20)
    folder = write_dataset(ds, tmp_path / "q1")
    loaded = load_dataset(folder)
    assert cpr_id_counts(loaded) == {"persons.person_id": 20, "forms.person_id": len(loaded.forms),
                                     "outcomes.person_id": len(loaded.outcomes)}
    with pytest.raises(InvalidDataError) as err:
        screen_ids(loaded, None)
    first = err.value.problems[0]
    assert (first.file, first.column) == ("persons.csv", "person_id") and "rows 2-21" in first.expected
    screened = screen_ids(loaded, KEY)
    assert cpr_id_counts(screened) == {}
    import_dataset(folder, tmp_path / "s.duckdb", key=KEY)
    stored = load_store(tmp_path / "s.duckdb")
    for t in ("persons", "forms", "outcomes"):
        assert screened.table(t)["person_id"].tolist() == stored.table(t)["person_id"].tolist()
    plain = simulate_cohort(20, seed=1)
    assert screen_ids(plain, None) is plain


def test_export_and_person_level_commands_refuse_another_key(tmp_path, monkeypatch):
    """A key whose fingerprint is not the store's would give other pseudonyms: refused
    before anything is written, by the library and by the CLI (one line, exit 2)."""
    from typer.testing import CliRunner

    from fip.cli import app
    from fip.store import export_store
    from fip.store.reader import check_store_key

    monkeypatch.delenv(KEY_ENV, raising=False)
    ds, _ = _cpr_dataset()
    store = tmp_path / "s.duckdb"
    import_dataset(write_dataset(ds, tmp_path / "q1"), store, key=KEY)
    check_store_key(store, KEY)  # the store's own key passes
    other = b"another-key-of-enough-length"
    with pytest.raises(FipError, match="not the key of this store"):
        export_store(store, tmp_path / "out", "csv", key=other)
    assert not (tmp_path / "out").exists()
    assert export_store(store, tmp_path / "out", "csv", key=KEY).is_dir()

    key_file = tmp_path / "other.key"
    key_file.write_bytes(other)
    runner = CliRunner()
    for args in (["export", "--store", str(store), "--out", str(tmp_path / "out2"), "--key-file", str(key_file)],
                 ["score", "--store", str(store), "--out", str(tmp_path / "s.csv"), "--key-file", str(key_file),
                  "--model", str(tmp_path / "absent.json")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and "not the key of this store" in lines[0] and "Traceback" not in result.output
    assert not (tmp_path / "out2").exists() and not (tmp_path / "s.csv").exists()
