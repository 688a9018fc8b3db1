"""Figure to bytes: the one place where fip renders a matplotlib Figure.

fip draws every figure with :class:`matplotlib.figure.Figure` (the object-oriented API),
never through pyplot, and never calls ``matplotlib.use``: importing fip or drawing a figure
leaves a notebook's backend and pyplot's list of open figures as they were.
:func:`figure_bytes` renders with matplotlib's own Agg (PNG) and SVG canvases, so it needs
no backend either.

Examples
--------
>>> from matplotlib.figure import Figure
>>> fig = Figure(figsize=(2, 2))
>>> _ = fig.subplots().plot([0, 1], [1, 0])
>>> figure_bytes(fig, "png")[:4]
b'\\x89PNG'
>>> figure_bytes(fig, "svg") == figure_bytes(fig, "svg")
True
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Literal

from typing import TYPE_CHECKING

from fip._options import check_option

if TYPE_CHECKING:
    from matplotlib.figure import Figure
# matplotlib is imported where a figure is measured or rendered (it need not load with fip)

__all__ = ["FORMATS", "FigureFormat", "figure_bytes", "figure_bytes_in", "grid_margins", "stacked_item_panels",
           "text_inches"]

# Inches beside tick labels (tick length 3.5 pt + pad 3.5 pt; the pad alone for ticks of
# length 0), under an axes title (6 pt) and between tick labels and an axis label (4 pt):
# matplotlib's defaults, for figures that set their own margins.
TICK_SPACE = 7 / 72
TICK_PAD = 3.5 / 72
TITLE_PAD = 6 / 72
LABEL_PAD = 4 / 72

#: Formats :func:`figure_bytes` writes.
FigureFormat = Literal["png", "svg"]
FORMATS: tuple[FigureFormat, ...] = ("png", "svg")

# Rendering settings that fix the bytes: ids in the SVG are hashes salted with a constant
# (matplotlib otherwise salts them with a random uuid), and text is drawn as paths so the
# SVG looks the same without the font installed.
_RC = {"svg.hashsalt": "fip", "svg.fonttype": "path"}
# No timestamp or version string in the file.
_METADATA: dict[str, dict[str, None]] = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}
# zlib level 1 instead of 6: the same pixels, files about 8 % larger, encoding a third faster
_PNG = {"compress_level": 1}


def text_inches(texts: Iterable[object], fontsize: float, *, weight: str = "normal") -> tuple[float, float]:
    """Width of the widest and height of the tallest of ``texts`` in inches, in matplotlib's font.

    For figures that set their margins from their labels instead of running a layout
    engine (``tight_layout``, ``layout="constrained"``), which lays out every tick and label
    of the figure once more on every render. Lines of a text with ``\\n`` are measured one
    by one; a line is ``1.2 * fontsize`` high (matplotlib's line spacing). Widths are the
    font's advance widths without hinting; a rendered label is at most a few percent wider.

    Parameters
    ----------
    texts : iterable
        Texts (``str()`` of each), drawn with the default font family (``font.family``).
    fontsize : float
        Points.
    weight : str
        Font weight, e.g. ``"bold"``.

    Returns
    -------
    (float, float)
        (0.0, 0.0) for no texts.

    Examples
    --------
    >>> wide, _ = text_inches(["a label", "a much longer label"], 8)
    >>> narrow, high = text_inches(["a label"], 8)
    >>> wide > narrow > 0, round(text_inches(["one\\ntwo"], 10)[1], 3)
    (True, 0.333)
    """
    from matplotlib.cbook import is_math_text
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(size=fontsize, weight=weight)
    width, lines = 0.0, 0
    for text in texts:
        parts = str(text).split("\n")
        lines = max(lines, len(parts))
        for part in parts:
            if part:
                w, _, _ = text_to_path.get_text_width_height_descent(part, prop, ismath=is_math_text(part))
                width = max(width, w)
    return width / 72.0, lines * 1.2 * fontsize / 72.0


def grid_margins(size: tuple[float, float], *, left: float, right: float, top: float, bottom: float,
                 shape: tuple[int, int] = (1, 1), wgap: float = 0.0, hgap: float = 0.0) -> dict[str, float]:
    """``gridspec_kw`` of a grid of axes with margins and gaps given in inches.

    Parameters
    ----------
    size : (float, float)
        Figure width and height, inches.
    left, right, top, bottom : float
        Margins, inches.
    shape : (int, int)
        Rows and columns of the grid.
    wgap, hgap : float
        Inches between columns and between rows.

    Returns
    -------
    dict
        ``left``, ``right``, ``bottom``, ``top`` (figure fractions), ``wspace``, ``hspace``
        (fractions of the mean axes width and height), for ``fig.subplots(gridspec_kw=...)``.

    Examples
    --------
    >>> grid_margins((4, 2), left=1, right=0.5, top=0.5, bottom=0.5, shape=(1, 2), wgap=0.5)
    {'left': 0.25, 'right': 0.875, 'bottom': 0.25, 'top': 0.75, 'wspace': 0.5, 'hspace': 0.0}
    """
    width, height = size
    rows, cols = shape
    axes_w = (width - left - right - (cols - 1) * wgap) / cols
    axes_h = (height - top - bottom - (rows - 1) * hgap) / rows
    return {"left": left / width, "right": 1 - right / width, "bottom": bottom / height, "top": 1 - top / height,
            "wspace": wgap / axes_w, "hspace": hgap / axes_h}


def stacked_item_panels(size: tuple[float, float], labels: Iterable[object], rows: int) -> dict[str, float]:
    """``gridspec_kw`` of panels one above the other, items as y tick labels (8 pt), each panel
    with a title (10 pt), x tick labels (10 pt) and an x label (8 pt): the layout of the item
    means and progression figures.

    Examples
    --------
    >>> kw = stacked_item_panels((7.5, 6), ["Cooperation", "Health"], 2)
    >>> 0 < kw["left"] < kw["right"] < 1 and kw["hspace"] > 0
    True
    """
    title = text_inches(["Citizen"], 10)[1] + TITLE_PAD
    below = TICK_SPACE + text_inches(["0"], 10)[1] + LABEL_PAD + text_inches(["Change"], 8)[1]
    return grid_margins(size, left=0.08 + text_inches(labels, 8)[0] + TICK_SPACE, right=0.3, top=0.08 + title,
                        bottom=0.08 + below, shape=(rows, 1), hgap=title + below + 0.2)


def figure_bytes(fig: Figure, format: FigureFormat = "png", *, dpi: float = 150) -> bytes:
    """Render ``fig`` as PNG or SVG bytes; the same figure drawn afresh gives the same bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Any figure (fip's figures are made without pyplot, so nothing needs closing).
    format : {"png", "svg"}
        PNG (raster, ``dpi`` pixels per inch) or SVG (vector; ``dpi`` only sets the
        resolution of raster parts such as a heatmap's image).
    dpi : float
        Dots per inch (default 150; the HTML report uses 110 for its PNG files).

    Returns
    -------
    bytes
        PNG without the ``Software`` tag, or SVG without ``Date`` and ``Creator`` and with
        ids salted by a constant (``svg.hashsalt``), so reruns are byte-identical (see the
        Notes of :func:`figure_bytes_in` for figures rendered twice). The settings apply
        inside this call only (``matplotlib.rc_context``), not globally.

    Raises
    ------
    ValueError
        ``format`` is neither ``"png"`` nor ``"svg"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure_bytes(Figure(figsize=(1, 1)), "svg").lstrip()[:5]
    b'<?xml'
    """
    import matplotlib

    check_option("format", format, FORMATS)
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format=format, dpi=dpi, metadata=_METADATA[format],
                    **({"pil_kwargs": dict(_PNG)} if format == "png" else {}))
    return buffer.getvalue()


def figure_bytes_in(
    fig: Figure, formats: Sequence[FigureFormat] = FORMATS, *, dpi: float = 150
) -> dict[FigureFormat, bytes]:
    """Render ``fig`` in several formats, running its layout engine only once.

    The first format is rendered exactly as :func:`figure_bytes` renders it. A figure with
    a layout engine (``layout="constrained"``) is laid out during every render; here the
    later formats reuse the first render's layout, which saves a layout pass each (about
    a third of a render for fip's constrained figures). The figure's layout engine is
    restored afterwards.

    Notes
    -----
    Constrained layout refines itself a little on every draw, so rendering one figure
    object twice need not give the same bytes twice; the same *fresh* figure always does.
    fip draws a fresh figure for every output.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    formats : sequence of {"png", "svg"}
        Default both, PNG first.
    dpi : float
        As for :func:`figure_bytes`.

    Returns
    -------
    dict format -> bytes
        Each value byte-reproducible, as with :func:`figure_bytes`.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> def draw():
    ...     fig = Figure(figsize=(2, 2), layout="constrained")
    ...     _ = fig.subplots().plot([0, 1], [1, 0])
    ...     return fig
    >>> fig = draw()
    >>> rendered = figure_bytes_in(fig, ("png", "svg"))
    >>> rendered["png"] == figure_bytes(draw(), "png"), fig.get_layout_engine() is not None
    (True, True)
    """
    import matplotlib

    formats = [check_option("formats", f, FORMATS) for f in formats]
    if not formats:
        return {}
    out = {formats[0]: figure_bytes(fig, formats[0], dpi=dpi)}
    engine = fig.get_layout_engine()
    if engine is None or len(formats) == 1:
        out.update((f, figure_bytes(fig, f, dpi=dpi)) for f in formats[1:])
        return out
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)  # None removes the engine outright, keeping the positions just computed
    try:
        out.update((f, figure_bytes(fig, f, dpi=dpi)) for f in formats[1:])
    finally:
        fig.set_layout_engine(engine)
    return out
