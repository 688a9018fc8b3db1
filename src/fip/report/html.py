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
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from fip._output import to_html

if TYPE_CHECKING:
    from fip.report.words import ReportWords

__all__ = ["WIDE_CHARACTERS", "Section", "figure", "heading", "min_characters", "page", "paragraph", "section", "table"]

_STYLE = """
body{font-family:Georgia,'DejaVu Serif',serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.45}
h1{font-size:1.7rem}h2{border-bottom:1px solid #bbb;margin-top:2.5rem}h3{margin-top:1.6rem}
nav>ol{columns:2}nav>ol>li{break-inside:avoid-column}nav ul{font-size:.8rem;margin:.1rem 0 .4rem;padding-left:1.1rem;list-style:none}
nav ul li{text-indent:-.8rem;padding-left:.8rem}nav .published{font-size:.9rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.8rem;font-family:'DejaVu Sans',Arial,sans-serif}
caption{caption-side:top;text-align:left;font-weight:bold;padding:.3rem 0}
th,td{padding:.15rem .5rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{border-bottom:2px solid #555}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
thead th{position:sticky;top:0;z-index:1;background:#fff;box-shadow:inset 0 -2px 0 #555}
.scroll{max-height:32rem;overflow:auto;border:1px solid #eee;margin-bottom:1rem}
.wide{overflow-x:auto}
figure{margin:1rem 0}figure img{max-width:100%;height:auto}figcaption{font-size:.85rem;color:#333}
.note{font-size:.88rem;color:#333;background:#f5f5f5;padding:.4rem .7rem;border-left:3px solid #999}
.top{font-size:.8rem;text-align:right;margin:1.5rem 0 0}.top a{color:#555}
@page{size:A4;margin:1.2cm 1cm}
@page landscape{size:A4 landscape;margin:1cm}
@media print{
body{max-width:none;margin:0;padding:0;font-size:10pt}
h2,h3,caption{break-after:avoid}tr,figure{break-inside:avoid}
.scroll{max-height:none;overflow:visible;border:0}
.wide{overflow:visible;page:landscape}
table{font-size:7.5pt}.wide table{font-size:6.5pt}th,td{padding:.05rem .25rem}
thead{display:table-header-group}thead th{position:static;box-shadow:none}
figure img{max-width:100%;max-height:24cm}
.top{display:none}a{color:inherit;text-decoration:none}
}
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


#: A table whose columns need more characters than this (the longest word of each column, the
#: narrowest it can be without cutting a word, plus padding) is printed on a landscape page.
WIDE_CHARACTERS = 120


def min_characters(frame: pd.DataFrame, digits: int = 3) -> int:
    """The narrowest a table of ``frame`` can be without breaking a word, in characters.

    Each column is as wide as its longest word (header or cell) plus two characters of padding.

    Examples
    --------
    >>> import pandas as pd
    >>> min_characters(pd.DataFrame({"a b": ["xyz w"], "c": [1.5]}))  # 3 + 2 and 5 + 2
    12
    """
    from fip._output import _display

    shown = _display(frame, digits)
    total = 0
    for column in shown.columns:
        words = [len(w) for v in [str(column), *shown[column]] for w in str(v).split()]
        total += max(words, default=0) + 2
    return total


def table(frame: pd.DataFrame, caption: str, *, digits: int = 3, scroll: bool = False,
          words: ReportWords | None = None, right: Collection[str] = ()) -> str:
    """``frame`` as an HTML table with ``caption`` (numbers rounded to ``digits`` here only);
    with ``words`` (:class:`fip.report.words.ReportWords`), codes shown as words.

    ``scroll`` puts a long table in a box that scrolls on screen (its header stays visible);
    in print every row is shown and the header repeats on each page. A table wider than
    :data:`WIDE_CHARACTERS` scrolls sideways on screen and is printed on a landscape page in a
    smaller font, so that no column is lost. Numeric columns are right-aligned, and so are
    the columns named in ``right`` (numbers already formatted as text).
    """
    if words is not None:
        frame = words.frame(frame, digits)
    text = to_html(frame, digits=digits, title=caption, right=right)
    classes = (["scroll"] if scroll else []) + (["wide"] if min_characters(frame, digits) > WIDE_CHARACTERS else [])
    return f'<div class="{" ".join(classes)}">{text}</div>\n' if classes else text


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


_TABLE_START = re.compile(r"<table><caption>(.*?)</caption>", re.S)
_FIGURE_START = re.compile(r'<figure><img alt="(.*?)"', re.S)
_PUBLISHED = re.compile(r"\bTab(?:le|el) (\d+\.\d+)")
_TAG = re.compile(r"<[^>]+>")


def _short(text: str, limit: int = 110) -> str:
    """``text`` (plain) cut at a word before ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _entry(kind: str, caption: str) -> str:
    """A contents entry (HTML): ``Table: <caption>`` or ``Figure: <caption>``, cut short; a
    caption that starts with "Table 4.9" names itself."""
    word = "Table" if kind == "table" else "Figure"
    text = _short(caption)
    return _html.escape(text if kind == "table" and text.startswith("Table ") else f"{word}: {text}")


def _anchored(section: Section, published: dict[str, str]) -> tuple[str, list[tuple[str, str, str]]]:
    """``section``'s body with an ``id`` on every table and figure, and its entries for the
    contents: (kind, id, caption as plain text). ``published`` collects the first table that
    names each published table (``"4.9" -> id``; captions say "Table 4.9" or "Tabel 4.9")."""
    entries: list[tuple[str, str, str]] = []
    counts = {"table": 0, "figure": 0}

    def anchor(kind: str, caption_html: str) -> str:
        counts[kind] += 1
        anchor_id = f"{section.id}-{kind}-{counts[kind]}"
        caption = _html.unescape(_TAG.sub("", caption_html))
        entries.append((kind, anchor_id, caption))
        if kind == "table":
            for number in _PUBLISHED.findall(caption):
                published.setdefault(number, anchor_id)
        return anchor_id

    body = _TABLE_START.sub(lambda m: f'<table id="{anchor("table", m.group(1))}"><caption>{m.group(1)}</caption>',
                            section.body)
    body = _FIGURE_START.sub(lambda m: f'<figure id="{anchor("figure", m.group(1))}"><img alt="{m.group(1)}"', body)
    return body, entries


def page(title: str, sections: Sequence[Section], *, about: str = "", lang: str = "en",
         navigation: bool = False) -> str:
    """The whole page: title, contents, sections, then ``about`` (HTML) at the end.

    Parameters
    ----------
    title : str
        The page's ``<title>`` and ``<h1>`` (plain text).
    sections : sequence of Section
        The sections, in order; each is an entry of the contents.
    about : str
        HTML put after the sections (with an entry ``#about`` in the contents).
    lang : str
        The page's language (``<html lang>``).
    navigation : bool
        Give every table and figure an anchor (``<section id>-table-<k>``,
        ``<section id>-figure-<k>``) and an entry in the contents under its section, list the
        published tables (Table 4.1, 4.2, ...) that a caption names with a link to the first
        such table (also anchored as ``table-4-9``), and end every section with a link back
        to the top.

    Examples
    --------
    >>> import pandas as pd
    >>> s = section("fit", "Fit", [table(pd.DataFrame({"n": [3]}), "Table 4.9: ours")])
    >>> text = page("R", [s], navigation=True)
    >>> 'href="#fit-table-1"' in text and 'id="fit-table-1"' in text and 'href="#table-4-9"' in text
    True
    """
    esc = _html.escape
    published: dict[str, str] = {}
    toc, bodies = [], []
    for s in sections:
        body, entries = _anchored(s, published) if navigation else (s.body, [])
        items = "".join(f'<li><a href="#{esc(i, quote=True)}">{_entry(k, c)}</a></li>' for k, i, c in entries)
        toc.append(f'<li><a href="#{esc(s.id, quote=True)}">{esc(s.title)}</a>'
                   + (f"<ul>{items}</ul>" if items else "") + "</li>")
        top = '<p class="top"><a href="#top">Back to top</a></p>\n' if navigation else ""
        bodies.append(f'<section id="{esc(s.id, quote=True)}">\n<h2>{esc(s.title)}</h2>\n{body}{top}</section>\n')
    if about:
        toc.append('<li><a href="#about">About this report</a></li>')
    body = "".join(bodies)
    for number, anchor_id in published.items():  # a second id for the published number: #table-4-9
        slug = "table-" + number.replace(".", "-")
        body = body.replace(f'<table id="{anchor_id}">', f'<span id="{slug}"></span><table id="{anchor_id}">', 1)
    numbers = sorted(published, key=lambda n: tuple(int(p) for p in n.split(".")))
    quick = ('<p class="published">Published tables (VIVE 2020): '
             + " · ".join(f'<a href="#table-{n.replace(".", "-")}">Table {n}</a>' for n in numbers)
             + "</p>") if numbers else ""
    return (f'<!DOCTYPE html>\n<html lang="{esc(lang, quote=True)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f'<h1 id="top">{esc(title)}</h1>\n<nav>{quick}<ol>{"".join(toc)}</ol></nav>\n{body}{about}</body>\n</html>\n')
