"""Regenerate docs/star_example.png, docs/card_example.html and docs/card_example.png.

Run from the repository root: ``PYTHONPATH=src python docs/make_star_examples.py`` (needs
/usr/bin/chromium and pdftoppm; trains the progression model of docs/predict.md, about a minute).
"""
import subprocess
from pathlib import Path
from fip.simulate import simulate_cohort
from fip.data import pair_forms
from fip.predict import train, score
from fip.star import card_html, plot_star, figure_bytes

big = simulate_cohort(30_000, seed=7)
model = train(big, "progression", seed=3, compare=False).model
ds = simulate_cohort(3000, seed=8)
m = pair_forms(ds).measurements
Path("docs/star_example.png").write_bytes(figure_bytes(plot_star(m, ds.instrument, "p0013"), "png"))
s = score(m, model, persons=ds.persons, instrument=ds.instrument, lang="da")
row = s[s["person_id"] == "p0013"].iloc[0].to_dict()
print({k: row[k] for k in ("probability", "band", "ci_low", "ci_high", "item_1", "item_2", "item_3")})
Path("docs/card_example.html").write_text(card_html(m, ds.instrument, "p0013", row, lang="da"), encoding="utf-8")
import tempfile
pdf = Path(tempfile.mkdtemp()) / "card_example.pdf"
subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}", Path("docs/card_example.html").resolve().as_uri()], check=True, capture_output=True)
subprocess.run(["pdftoppm", "-r", "90", "-png", "-singlefile", str(pdf), "docs/card_example"], check=True)
