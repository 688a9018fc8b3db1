"""Regenerate docs/model_card_example.html and docs/model_card_example.png (first printed page).

Run from the repository root: ``PYTHONPATH=src python docs/make_model_card_example.py`` (needs
/usr/bin/chromium and pdftoppm): the intake model of ``simulate_cohort(seed=0)`` (the study's
size), default feature policy, seed 0, 200 bootstrap replicates.
"""
import subprocess
import tempfile
from pathlib import Path

from fip.predict import model_card_html, train
from fip.simulate import simulate_cohort

model = train(simulate_cohort(seed=0), "intake", seed=0, compare=False, created_at="2026-12-03T00:00:00Z").model
Path("docs/model_card_example.html").write_text(model_card_html(model, lang="en"), encoding="utf-8")
pdf = Path(tempfile.mkdtemp()) / "model_card_example.pdf"
subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}", Path("docs/model_card_example.html").resolve().as_uri()], check=True,
               capture_output=True)
subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-singlefile", str(pdf), "docs/model_card_example"],
               check=True)
pages = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
print(next(line for line in pages.splitlines() if line.startswith("Pages")))
