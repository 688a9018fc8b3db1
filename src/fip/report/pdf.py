"""Printing the report to PDF with headless Chromium.

The page's print style sheet (:mod:`fip.report.html`) does the layout: every row of a long
table is printed with its header repeated on each page, and wide tables are printed on
landscape pages. This module only drives the browser: :func:`find_chromium` looks for it,
:func:`html_to_pdf` prints one HTML file.

Examples
--------
>>> browser = find_chromium()  # doctest: +SKIP
>>> html_to_pdf("out/report.html", "out/report.pdf", chromium=browser)  # doctest: +SKIP
PosixPath('out/report.pdf')
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from fip.errors import FipError

__all__ = ["CHROMIUM_NAMES", "find_chromium", "html_to_pdf"]

#: Programs tried, in order, after ``$FIP_CHROMIUM``.
CHROMIUM_NAMES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str:
    """The path of a Chromium (or Chrome) program: ``$FIP_CHROMIUM``, else the first of
    :data:`CHROMIUM_NAMES` on ``PATH``.

    Raises
    ------
    FipError
        No browser found (the message says how to install one or name it).
    """
    named = os.environ.get("FIP_CHROMIUM")
    if named:
        found = shutil.which(named)
        if found is None:
            raise FipError(f"FIP_CHROMIUM is {named!r}, which is not a program that can be run")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise FipError("--pdf needs Chromium or Chrome to print the report, and none was found "
                   "(install it, e.g. apt-get install chromium, or set FIP_CHROMIUM to its path)")


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(5)


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *, chromium: str | None = None,
                timeout: float = 300.0) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (no header or footer lines).

    Parameters
    ----------
    html_path : str or Path
        A self-contained HTML file (such as ``report.html``).
    pdf_path : str or Path
        Written through a temporary file beside it, replaced in one step: a failed print
        leaves no half-written PDF.
    chromium : str, optional
        The browser program (default: :func:`find_chromium`).
    timeout : float
        Seconds before the browser is stopped and the print counts as failed.

    Returns
    -------
    Path
        ``pdf_path``.

    Raises
    ------
    FipError
        No browser, or the browser failed, timed out or wrote no PDF.

    Notes
    -----
    The PDF holds the time it was printed, so unlike the HTML and the tables it differs
    from run to run.
    """
    browser = chromium or find_chromium()
    source = Path(html_path).resolve()
    target = Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="fip-chromium-") as profile:
        partial = target.with_name(f".{target.name}.printing")
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                   "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
                   f"--print-to-pdf={partial.resolve()}", source.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            partial.unlink(missing_ok=True)
            raise FipError(f"printing {source.name} to PDF: Chromium did not finish in {timeout:g} s") from None
        except OSError as exc:
            raise FipError(f"printing {source.name} to PDF: cannot run {browser}: {exc.strerror}") from None
        if done.returncode != 0 or not partial.is_file() or _head(partial) != b"%PDF-":
            partial.unlink(missing_ok=True)
            raise FipError(f"printing {source.name} to PDF: Chromium failed (exit code {done.returncode})")
        os.replace(partial, target)
    return target
