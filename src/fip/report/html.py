"""The replication report as one self-contained HTML page (no external files or links).

Blocks are small HTML strings; :func:`page` puts sections, a table of contents and the
inline style sheet together. Figures are embedded as base64 ``data:`` URIs in ``<img>`` tags,
SVG preferably (sharp in print): an ``<img>`` keeps each SVG's ids and style sheet apart
from the page's and from the other figures'.

Examples
--------
>>> import pandas as pd
>>> body = section("sample", "Sample", [paragraph("1 < 2"), table(pd.DataFrame({"n": [3]}), "Counts")])
>>> html_text = page("Report", [body], about="about")
>>> "&lt;" in html_text and "<table>" in html_text
True
"""

from __future__ import annotations

import base64
import html as _html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from fip._output import to_html

if TYPE_CHECKING:
    from fip.report.words import ReportWords

__all__ = ["Section", "figure", "heading", "page", "paragraph", "section", "table"]

_STYLE = """
body{font-family:Georgia,'DejaVu Serif',serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.45}
h1{font-size:1.7rem}h2{border-bottom:1px solid #bbb;margin-top:2.5rem}h3{margin-top:1.6rem}
nav ol{columns:2}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.8rem;font-family:'DejaVu Sans',Arial,sans-serif}
caption{caption-side:top;text-align:left;font-weight:bold;padding:.3rem 0}
th,td{padding:.15rem .5rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{border-bottom:2px solid #555}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{max-height:32rem;overflow:auto;border:1px solid #eee;margin-bottom:1rem}
figure{margin:1rem 0}figure img{max-width:100%;height:auto}figcaption{font-size:.85rem;color:#333}
.note{font-size:.88rem;color:#333;background:#f5f5f5;padding:.4rem .7rem;border-left:3px solid #999}
@media print{figure{break-inside:avoid}figure img{max-width:100%;max-height:24cm}}
"""


@dataclass(frozen=True)
class Section:
    """One ``<section>`` of the page: anchor ``id``, ``title`` and its HTML ``body``."""

    id: str
    title: str
    body: str


def paragraph(text: str, *, note: bool = False) -> str:
    """A paragraph of plain text (escaped); ``note`` gives it the grey note style."""
    cls = ' class="note"' if note else ""
    return f"<p{cls}>{_html.escape(text)}</p>\n"


def heading(text: str) -> str:
    """A sub-heading (``<h3>``) inside a section."""
    return f"<h3>{_html.escape(text)}</h3>\n"


def table(frame: pd.DataFrame, caption: str, *, digits: int = 3, scroll: bool = False,
          words: ReportWords | None = None) -> str:
    """``frame`` as an HTML table with ``caption`` (numbers rounded to ``digits`` here only);
    with ``words`` (:class:`fip.report.words.ReportWords`), codes shown as words."""
    if words is not None:
        frame = words.frame(frame, digits)
    text = to_html(frame, digits=digits, title=caption)
    return f'<div class="scroll">{text}</div>\n' if scroll else text


def _mime_type(image: bytes) -> str:
    """``image/png`` or ``image/svg+xml`` from the first bytes; ValueError for anything else."""
    if image.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    head = image[:256].lstrip()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in image[:1024]):
        return "image/svg+xml"
    raise ValueError("figure() takes PNG or SVG bytes (see fip.report.figures.figure_bytes); "
                     f"got bytes starting {image[:8]!r}")


def figure(image: bytes, caption: str, *, alt: str | None = None) -> str:
    """A figure embedded as a base64 ``data:`` URI in an ``<img>``, with its caption.

    Parameters
    ----------
    image : bytes
        PNG or SVG bytes (e.g. :func:`fip.report.figures.figure_bytes`); the type is read
        from the bytes. SVG is preferred in the report: sharp at any zoom and in print.
    caption : str
        Plain text (escaped), also the ``alt`` text unless ``alt`` is given.

    Returns
    -------
    str
        ``<figure><img alt=... src="data:image/svg+xml;base64,..."><figcaption>...``

    Examples
    --------
    >>> figure(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "A & B")[:60]
    '<figure><img alt="A &amp; B" src="data:image/svg+xml;base64,'
    """
    mime = _mime_type(image)
    data = base64.b64encode(image).decode("ascii")
    alt_text = _html.escape(alt or caption, quote=True)
    return (f'<figure><img alt="{alt_text}" src="data:{mime};base64,{data}">'
            f"<figcaption>{_html.escape(caption)}</figcaption></figure>\n")


def section(id_: str, title: str, blocks: Sequence[str]) -> Section:
    """A section from HTML blocks (made by the helpers of this module)."""
    return Section(id=id_, title=title, body="".join(blocks))


def page(title: str, sections: Sequence[Section], *, about: str = "", lang: str = "en") -> str:
    """The whole page: title, contents, sections, then ``about`` (HTML) at the end."""
    esc = _html.escape
    toc = "".join(f'<li><a href="#{esc(s.id, quote=True)}">{esc(s.title)}</a></li>' for s in sections)
    if about:
        toc += '<li><a href="#about">About this report</a></li>'
    body = "".join(f'<section id="{esc(s.id, quote=True)}">\n<h2>{esc(s.title)}</h2>\n{s.body}</section>\n'
                   for s in sections)
    return (f'<!DOCTYPE html>\n<html lang="{esc(lang, quote=True)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{esc(title)}</h1>\n<nav><ol>{toc}</ol></nav>\n{body}{about}</body>\n</html>\n")
