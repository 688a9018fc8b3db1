"""Tests of fip.data.readers: file formats, encodings, separators and the cell parsers."""

from __future__ import annotations

import codecs
import datetime as dt
import math
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fip.data.readers import (
    UnreadableFileError,
    as_text,
    find_table_files,
    parse_bool,
    parse_code,
    parse_date,
    parse_month,
    parse_number,
    read_table,
    sniff_encoding,
    sniff_separator,
)
from fip.errors import FipError

DANISH = Path(__file__).parent / "data" / "datasets" / "danish"


# --------------------------------------------------------------------------- CSV


def test_danish_cp1252_semicolon_csv_keeps_raw_text():
    raw = read_table(DANISH / "persons.csv")
    assert raw.attrs["encoding"] == "cp1252"
    assert raw.attrs["separator"] == ";"
    assert list(raw.columns) == ["person_id", "municipality", "gender", "birth_year", "origin",
                                 "education", "work_experience", "arrival_date"]
    assert raw["person_id"].tolist() == ["0101", "0102", "0103"]  # leading zeros kept
    assert raw["municipality"].tolist() == ["København", "Århus", "Næstved"]
    assert raw["gender"].tolist() == ["K", "m", "Kvinde"]
    assert raw["education"].tolist()[2] == ""  # empty cell as empty text


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "utf-16"])
def test_same_cells_in_other_encodings(tmp_path, encoding):
    text = (DANISH / "persons.csv").read_bytes().decode("cp1252")
    path = tmp_path / "persons.csv"
    path.write_bytes(text.encode(encoding))
    got = read_table(path)
    want = read_table(DANISH / "persons.csv")
    assert list(got.columns) == list(want.columns)  # the BOM does not stick to 'person_id'
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_cp1252_after_a_long_ascii_start_is_detected(tmp_path):
    # the first 64 KiB are ASCII, the Windows-1252 byte comes later: the UTF-8 attempt fails
    rows = ["person_id;origin"] + [f"{k};Syrien" for k in range(20000)] + ["x;Færøerne"]
    path = tmp_path / "persons.csv"
    path.write_bytes("\r\n".join(rows).encode("cp1252"))
    raw = read_table(path)
    assert len(raw) == 20001
    assert raw["origin"].iloc[-1] == "Færøerne"


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_separators_and_quoted_values(tmp_path, sep):
    path = tmp_path / "t.csv"
    path.write_text(f'a{sep}b\n"x{sep}y"{sep}"say ""hi"""\n', encoding="utf-8")
    raw = read_table(path)
    assert raw.to_dict("list") == {"a": [f"x{sep}y"], "b": ['say "hi"']}


def test_quoted_newline_in_a_value(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b\n"line one\nline two",2\n3,4\n', encoding="utf-8")
    raw = read_table(path)
    assert raw["a"].tolist() == ["line one\nline two", "3"]


def test_sniffers():
    assert sniff_separator('name;"a;b";c') == ";"
    assert sniff_separator('"x,y";z') == ";"  # separators inside quotes do not count
    assert sniff_separator("a\tb\tc") == "\t"
    assert sniff_encoding(codecs.BOM_UTF8 + b"abc") == "utf-8-sig"
    assert sniff_encoding("æ".encode("utf-8")[:1]) == "utf-8"  # cut multi-byte char tolerated
    assert sniff_encoding(b"\xe6\xf8\xe5") == "cp1252"


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("t.csv", b"", "empty"),
        ("t.csv", b"a,b\n1,2\n3,4,5\n", "row 3: expected 2 fields"),
        ("t.csv", b"a,b\n\x81\x8d\xe6,1\n", "decode"),  # bytes undefined in cp1252, invalid UTF-8
        ("t.xlsx", b"PK\x03\x04 not really a zip", ""),
        ("t.parquet", b"PAR1 garbage", ""),
        ("t.dta", b"\x00\x01garbage", ""),
        ("t.sav", b"$FL2garbage", ""),
    ],
)
def test_unreadable_files_raise_a_fip_error_naming_the_format(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError) as info:
        read_table(path)
    err = info.value
    assert err.file == name
    assert err.kind.split()[0] in ("CSV", "Excel", "Parquet", "Stata", "SPSS")
    assert fragment.casefold() in err.detail.casefold()
    assert isinstance(err, FipError)


def test_unsupported_extension(tmp_path):
    with pytest.raises(FipError, match="unsupported"):
        read_table(tmp_path / "persons.txt")


def test_find_table_files_is_case_insensitive_and_lists_all_candidates(tmp_path):
    for name in ["Persons.CSV", "forms.csv", "forms.xlsx", "outcomes.txt", "~$forms.xlsx"]:
        (tmp_path / name).write_text("x")
    found = find_table_files(tmp_path)
    assert [p.name for p in found["persons"]] == ["Persons.CSV"]
    assert [p.name for p in found["forms"]] == ["forms.csv", "forms.xlsx"]
    assert found["outcomes"] == []


# --------------------------------------------------------------------------- binary formats


def test_xlsx_cells_keep_their_types(tmp_path):
    path = tmp_path / "persons.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["person_id", "arrival_date", "birth_year", "note"])
    sheet.append(["007", dt.datetime(2016, 2, 1), 1980, "a"])
    sheet.append([12, "05-01-2017", None, None])
    sheet.append([None, None, None, None])  # a blank row stays a row
    sheet.append(["13", dt.datetime(2016, 3, 1, 14, 30), 1990.0, "b"])
    book.save(path)
    raw = read_table(path)
    assert list(raw.columns) == ["person_id", "arrival_date", "birth_year", "note"]
    assert as_text(raw["person_id"]).tolist() == ["007", "12", np.nan, "13"]
    assert parse_date(raw["arrival_date"]).tolist() == [
        pd.Timestamp("2016-02-01"), pd.Timestamp("2017-01-05"), pd.NaT, pd.Timestamp("2016-03-01")]
    assert pd.api.types.is_numeric_dtype(raw["birth_year"])


def test_sav_and_dta_keep_codes_and_value_labels(tmp_path):
    frame = pd.DataFrame({"person_id": ["0101", "0102"], "gender": [1.0, 2.0],
                          "arrival_date": pd.to_datetime(["2015-03-15", "2016-02-01"])})
    sav = tmp_path / "persons.sav"
    pyreadstat.write_sav(frame, str(sav), variable_value_labels={"gender": {1.0: "Kvinde", 2.0: "Mand"}})
    raw = read_table(sav)
    assert raw["gender"].tolist() == [1.0, 2.0]
    assert raw.attrs["value_labels"] == {"gender": {1.0: "Kvinde", 2.0: "Mand"}}
    assert parse_date(raw["arrival_date"]).tolist() == list(frame["arrival_date"])

    dta = tmp_path / "persons.dta"
    stata = frame.assign(gender=frame["gender"].astype("int8"))
    stata.to_stata(dta, write_index=False, convert_dates={"arrival_date": "td"},
                   value_labels={"gender": {1: "K", 2: "M"}})
    raw = read_table(dta)
    assert raw["gender"].tolist() == [1, 2]
    assert raw.attrs["value_labels"] == {"gender": {1: "K", 2: "M"}}
    assert raw["person_id"].tolist() == ["0101", "0102"]


def test_parquet_integers_arrive_as_nullable_ints(tmp_path):
    path = tmp_path / "forms.parquet"
    pq.write_table(pa.table({"c01": pa.array([1, None, 7], pa.int64()),
                             "d": pa.array([17000, None, 17001], pa.int32()).cast(pa.date32())}), path)
    raw = read_table(path)
    assert str(raw["c01"].dtype) == "Int64"
    assert raw["c01"].tolist() == [1, pd.NA, 7]
    assert parse_date(raw["d"]).tolist() == [pd.Timestamp("2016-07-18"), pd.NaT, pd.Timestamp("2016-07-19")]


# --------------------------------------------------------------------------- parsers

dates = st.dates(min_value=dt.date(1700, 1, 1), max_value=dt.date(2200, 12, 31))
FORMATS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    lambda d: f"{d.day}-{d.month}-{d.year}",
    lambda d: f"{d.isoformat()} 00:00:00",
    lambda d: f" {d.day}.{d.month}.{d.year} ",
]


@given(st.lists(dates, min_size=1, max_size=30), st.integers(0, len(FORMATS) - 1))
def test_parse_date_reads_every_accepted_format(values, fmt):
    text = pd.Series([FORMATS[fmt](d) for d in values])
    got = parse_date(text)
    assert str(got.dtype) == "datetime64[us]"
    assert got.tolist() == [pd.Timestamp(d) for d in values]


@given(dates, st.integers(0, len(FORMATS) - 1))
def test_parse_date_scalar_matches_vector(day, fmt):
    assert parse_date(FORMATS[fmt](day)) == pd.Timestamp(day)


@pytest.mark.parametrize("bad", ["30-02-2017", "2017-02-30", "31.04.2017", "2017/01/05", "05-01.2017",
                                 "5-1-17", "x", "2017-1", "00-01-2017", "1.2.3.4", "13-13-2017"])
def test_parse_date_rejects(bad):
    assert pd.isna(parse_date(bad))


def test_parse_date_of_datetime_cells_drops_time_and_timezone():
    s = pd.Series(pd.to_datetime(["2017-01-05 13:45", "2017-01-06 00:00"]).tz_localize("Europe/Copenhagen"))
    assert parse_date(s).tolist() == [pd.Timestamp("2017-01-05"), pd.Timestamp("2017-01-06")]


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.lists(finite, min_size=1, max_size=20))
def test_parse_number_decimal_comma_round_trip(values):
    text = pd.Series([repr(v).replace(".", ",") for v in values])
    got = parse_number(text).tolist()
    assert got == values  # repr is exact, so equality is exact


@given(finite)
def test_parse_number_point_and_comma_agree(value):
    assert parse_number(repr(value)) == value
    assert parse_number(repr(value).replace(".", ",")) == value


@given(st.integers(-10**15, 10**15))
def test_parse_number_integers(value):
    assert parse_number(f" {value} ") == float(value)


@pytest.mark.parametrize("bad", ["x", "4,5,6", "1.234,5", "1,2.3", "inf", "nan", "1e", "--1", "", "   ", "1 000"])
def test_parse_number_rejects(bad):
    assert math.isnan(parse_number(bad))


def test_parse_number_typed_input():
    got = parse_number(pd.Series([1, None, 3], dtype="Int64"))
    assert got.tolist()[0] == 1.0 and math.isnan(got.tolist()[1])
    assert parse_number(pd.Series([np.inf, 0.5])).tolist()[1] == 0.5
    assert math.isnan(parse_number(pd.Series([np.inf])).iloc[0])


@given(st.integers(1000, 2200), st.integers(1, 12), st.booleans())
def test_parse_month_round_trip(year, month, padded):
    text = f"{year}-{month:02d}" if padded else f"{year}-{month}"
    assert parse_month(text) == pd.Period(f"{year}-{month:02d}", "M")


@settings(deadline=None)     # pandas' first date parse can take > 200 ms on a loaded machine
@given(dates)
def test_parse_month_of_any_date_is_its_month(day):
    assert parse_month(day.isoformat()) == pd.Period(day, "M")
    assert parse_month(f"{day.day:02d}-{day.month:02d}-{day.year}") == pd.Period(day, "M")


@pytest.mark.parametrize("bad", ["2017-13", "2017-00", "17-03", "2017", "marts 2017", "2017-02-30"])
def test_parse_month_rejects(bad):
    assert pd.isna(parse_month(bad))


def test_parse_month_typed_input():
    s = pd.Series(pd.to_datetime(["2017-03-31", "2017-04-01"]))
    assert parse_month(s).astype(str).tolist() == ["2017-03", "2017-04"]
    p = pd.Series(pd.period_range("2017-01", periods=2, freq="M"))
    assert parse_month(p).equals(p)


def test_parse_bool_words_numbers_and_types():
    got = parse_bool(pd.Series(["1", "0", "Ja", "NEJ", "true", "False", "SAND", "falsk", "yes", "no", "1,0", "2", "x", ""]))
    assert got.tolist() == [True, False, True, False, True, False, True, False, True, False, True,
                            pd.NA, pd.NA, pd.NA]
    assert parse_bool(pd.Series([1, 0, 2])).tolist() == [True, False, pd.NA]
    assert parse_bool(pd.Series([True, False])).tolist() == [True, False]


def test_parse_code_and_empty_alias():
    codes = {"k": "female", "kvinde": "female", "female": "female", "m": "male", "male": "male", "": "unknown"}
    got = parse_code(pd.Series(["K", " KVINDE", "Male", "", None, "x"]), codes)
    assert got.tolist() == ["female", "female", "male", "unknown", "unknown", np.nan]


@settings(max_examples=50)
@given(st.lists(st.sampled_from(["0,25", "1", "", "x", "0.5", " 7 "]), min_size=1, max_size=40))
def test_vectorised_parse_equals_elementwise(cells):
    vector = parse_number(pd.Series(cells)).tolist()
    single = [parse_number(c) for c in cells]
    assert [(math.isnan(a), a if not math.isnan(a) else 0) for a in vector] == \
           [(math.isnan(b), b if not math.isnan(b) else 0) for b in single]


def test_categorical_cells_parse_through_their_categories():
    s = pd.Series(pd.Categorical([" 2017-03", "2017-04", None, " 2017-03"]))
    assert parse_month(s).tolist() == [pd.Period("2017-03", "M"), pd.Period("2017-04", "M"), pd.NaT, pd.Period("2017-03", "M")]
    assert as_text(pd.Series(pd.Categorical([1.0, 2.5, None]))).tolist() == ["1", "2.5", np.nan]
    assert parse_number(pd.Series(pd.Categorical(["0,5", "x"]))).tolist()[0] == 0.5


# --------------------------------------------------------------------------- issue 13 (reading)

NFD = unicodedata.normalize("NFD", "Århus")


def _xlsx(path: Path, rows: list[list], *, sheets: dict[str, list[list]] | None = None) -> Path:
    book = openpyxl.Workbook()
    for r in rows:
        book.active.append(r)
    for title, more in (sheets or {}).items():
        sheet = book.create_sheet(title)
        for r in more:
            sheet.append(r)
    book.save(path)
    return path


@pytest.mark.parametrize("ext", [".csv", ".xlsx", ".parquet"])
def test_text_is_nfc_normalised_on_read(tmp_path, ext):
    assert NFD != "Århus" and len(NFD) == 6  # the test's premise: two spellings of one name
    path = tmp_path / f"persons{ext}"
    header, rows = ["person_id", unicodedata.normalize("NFD", "kommune_ø")], [["1", NFD], ["2", "Århus"]]
    if ext == ".csv":
        path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    elif ext == ".xlsx":
        _xlsx(path, [header, *rows])
    else:
        pq.write_table(pa.table({header[0]: [r[0] for r in rows],
                                 header[1]: pa.array([r[1] for r in rows]).dictionary_encode()}), path)
    raw = read_table(path)
    assert list(raw.columns) == ["person_id", "kommune_ø"]
    assert [unicodedata.is_normalized("NFC", v) for v in raw["kommune_ø"]] == [True, True]
    assert as_text(raw["kommune_ø"]).nunique() == 1


def _utf8_rows(n: int) -> list[str]:
    return ["person_id;municipality;origin"] + [f"p{k};Århus;Syrien" for k in range(n)]


def test_utf8_file_with_one_bad_byte_after_64k_names_row_column_and_offset(tmp_path):
    rows = _utf8_rows(5000)
    data = "\n".join(rows).encode("utf-8")
    cut = data.index(b"p4400;") + len("p4400;Århus;Syr".encode("utf-8"))
    assert cut > 1 << 16  # beyond the sniffed head
    data = data[:cut] + b"\xe6" + data[cut:]  # a Windows-1252 'æ' inside UTF-8 text
    path = tmp_path / "persons.csv"
    path.write_bytes(data)
    with pytest.raises(UnreadableFileError) as info:
        read_table(path)
    (problem,) = info.value.rows
    assert (problem.row, problem.column) == (4402, "origin")  # header row 1, p0 on row 2
    assert f"byte 0xE6 at byte offset {cut:,}" in problem.expected
    assert "Ã" not in str(info.value)


def test_a_bom_declares_utf8_so_a_bad_byte_is_an_error_not_cp1252(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"a,b\n1,x\n2,y\xf8\n")
    with pytest.raises(UnreadableFileError) as info:
        read_table(path)
    assert [(r.row, r.column) for r in info.value.rows] == [(3, "b")]
    assert "byte 0xF8 at byte offset 14" in info.value.rows[0].expected


def test_cp1252_from_the_first_non_ascii_byte_is_still_cp1252(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("a;b\n1;Køge\n2;Århus\n".encode("cp1252"))
    raw = read_table(path)
    assert raw.attrs["encoding"] == "cp1252" and raw["b"].tolist() == ["Køge", "Århus"]


def test_byte_undefined_in_cp1252_names_its_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,\xf8\n2,\x81\n")
    with pytest.raises(UnreadableFileError) as info:
        read_table(path)
    assert [(r.row, r.column) for r in info.value.rows] == [(3, "b")]
    assert "0x81" in info.value.rows[0].expected


def _numbered(n: int) -> list[str]:
    return ["a,b,c,d,e"] + [f"{k},x,y,z,w" for k in range(n)]


@pytest.mark.parametrize("line, got, column", [
    ("1,x,y,z,w,extra,more", 7, None),  # extra fields
    ("1,x,y", 3, "d"),                  # missing fields: named from the first missing column
])
def test_wrong_field_count_deep_in_a_csv_names_the_row(tmp_path, line, got, column):
    rows = _numbered(50000)
    rows[44000] = line  # spreadsheet row 44001
    path = tmp_path / "forms.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(UnreadableFileError) as info:
        read_table(path)
    (problem,) = info.value.rows
    assert (problem.row, problem.column) == (44001, column)
    assert f"5 fields as in the header row (got {got}" in problem.expected
    assert str(info.value).startswith("forms.csv, row 44001")


def test_stray_quote_names_the_row_it_opens_in(tmp_path):
    rows = _numbered(50000)
    rows[44000] = '1,"x,y,z,w'
    path = tmp_path / "forms.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(UnreadableFileError) as info:
        read_table(path)
    (problem,) = info.value.rows
    assert (problem.row, problem.column) == (44001, "b")
    assert "closing quote" in problem.expected and "end of the file" in problem.expected


def _with_cached_values(path: Path, values: dict[str, str]) -> None:
    """Give formula cells of sheet 1 a saved result, as Excel does when it saves."""
    import zipfile

    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                for ref, value in values.items():
                    data = data.replace(f'<c r="{ref}">'.encode(), f'<c r="{ref}" t="n">'.encode())
                    start = data.index(f'<c r="{ref}"'.encode())
                    end = data.index(b"</c>", start)
                    data = data[:start] + data[start:end].replace(b"<v />", f"<v>{value}</v>".encode()) + data[end:]
            dst.writestr(item, data)
    tmp.replace(path)


def test_xlsx_formula_without_saved_value_names_the_cell(tmp_path):
    path = _xlsx(tmp_path / "persons.xlsx", [["person_id", "birth_year", "origin"], ["1", 1980, "Syria"],
                                             ["2", "=1900+90", "=B3"]])
    with pytest.raises(UnreadableFileError) as info:
        read_table(path)
    assert [(r.row, r.column, r.value) for r in info.value.rows] == [(3, "birth_year", "=1900+90"),
                                                                     (3, "origin", "=B3")]
    assert "cell B3" in info.value.rows[0].expected and "cell C3" in info.value.rows[1].expected
    _with_cached_values(path, {"B3": "1990", "C3": "1990"})
    assert read_table(path)["birth_year"].tolist() == [1980, 1990]  # saved results are read


def test_xlsx_keeps_the_first_rows_of_other_sheets_for_the_header_hint(tmp_path):
    path = _xlsx(tmp_path / "persons.xlsx", [["FIP udtræk"], ["lavet 2019"]],
                 sheets={"Data": [["person_id", "gender"], ["1", "K"]]})
    raw = read_table(path)
    assert raw.attrs["other_sheets"] == {"Data": [("person_id", "gender"), ("1", "K")]}


def test_parquet_nan_and_infinity_keep_their_value(tmp_path):
    path = tmp_path / "forms.parquet"
    pq.write_table(pa.table({"c01": pa.array([1.0, float("nan"), None, float("inf"), -float("inf")])}), path)
    raw = read_table(path)
    assert raw["c01"].tolist()[:2] == [1.0, "NaN"] and raw["c01"].tolist()[3:] == ["inf", "-inf"]
    assert raw["c01"].iloc[2] is None
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"c01": pa.array([1.0, None])}), plain)
    assert pd.api.types.is_float_dtype(read_table(plain)["c01"])  # untouched without NaN/inf


def test_csv_title_row_above_the_header_is_one_problem(tmp_path):
    path = tmp_path / "persons.csv"
    path.write_text("FIP borgere 2019\nperson_id,gender\n1,K\n2,M\n", encoding="utf-8")
    with pytest.raises(UnreadableFileError) as info:
        read_table(path)
    assert [(r.row, r.column) for r in info.value.rows] == [(1, None)]
    assert "title row above the header" in info.value.rows[0].expected
    # some rows broken, others fine: each broken row is its own problem
    path.write_text("a;b\n1;2;3\n1;2;3\n4;5\n", encoding="utf-8")
    with pytest.raises(UnreadableFileError) as info:
        read_table(path)
    assert [r.row for r in info.value.rows] == [2, 3]
