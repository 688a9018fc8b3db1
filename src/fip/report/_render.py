"""Drawing and rendering the report's figures, in this process or in worker processes.

A section of :mod:`fip.report.sections` hands each figure over as a recipe: a module-level
drawing function and its arguments (``figs.plot_scree, (sets,), {}``). Built on its own, a
section draws and renders it at once with :func:`render_figure` (so it is complete);
given a :class:`PoolRenderer`, it sends the recipe to worker processes and puts a placeholder
in its HTML, so that
:func:`fip.report.replicate` keeps computing on one core while the figures (about half of a
run) are drawn on the other; :meth:`PoolRenderer.resolve` then puts the rendered bytes into
the section's result. Both give the same bytes: every figure is drawn afresh from its recipe
and rendered by :func:`fip._figures.figure_bytes_in` with the same settings.

Examples
--------
>>> import pandas as pd
>>> from fip.report import figures as figs
>>> scree = pd.DataFrame({"factor": [1, 2], "eigenvalue": [2.0, 0.5], "reduced_eigenvalue": [1.5, 0.1]})
>>> png, svg = render_figure(figs.plot_scree, ({"x": (scree, None)},), {})
>>> png[:4], svg.lstrip()[:5]
(b'\\x89PNG', b'<?xml')
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fip.report.sections import SectionResult

__all__ = ["PoolRenderer", "default_workers", "render_figure"]

Recipe = tuple[Callable[..., Any], tuple, Mapping[str, Any]]


def render_figure(draw: Callable[..., Any], args: tuple, kwargs: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """Draw ``draw(*args, **kwargs)`` and render it as the report does: (PNG, SVG) bytes.

    Parameters
    ----------
    draw : callable
        Returns a :class:`matplotlib.figure.Figure`; module-level, so that it pickles.
    args, kwargs
        Its arguments.

    Returns
    -------
    (bytes, bytes)
        PNG at :data:`fip.report.figures.REPORT_DPI` (the file) and SVG (embedded in the page).
    """
    from fip.report.figures import REPORT_DPI, figure_bytes_in

    rendered = figure_bytes_in(draw(*args, **kwargs), ("png", "svg"), dpi=REPORT_DPI)
    return rendered["png"], rendered["svg"]


def _worker_init() -> None:
    """Worker processes leave Ctrl-C to the main process and use one BLAS thread, as it does;
    they load matplotlib (which the main process need not) while it computes the first section."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from threadpoolctl import threadpool_limits

    # kept for the worker's lifetime: the limit is the process's state, not a module's
    threadpool_limits(1)
    import matplotlib.backends.backend_agg
    import matplotlib.backends.backend_svg
    import matplotlib.figure  # noqa: F401


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` where the platform has it (workers start at once with fip already imported)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


class PoolRenderer:
    """Renders figures in worker processes; a context manager that shuts the workers down.

    Parameters
    ----------
    workers : int
        Worker processes (at least 1).

    Notes
    -----
    :meth:`submit` returns a placeholder for the figure's HTML block; :meth:`resolve` puts the
    rendered figure into a section's blocks and figure bytes.
    When the workers cannot be started (:class:`OSError`, e.g. no ``/dev/shm``) or one dies,
    figures are rendered in this process instead; the bytes are the same either way. On
    leaving the context with an exception (including :class:`KeyboardInterrupt`) pending
    figures are cancelled and the workers stopped.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1; got {workers!r}")
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._pending: dict[str, tuple[Future | None, str, Recipe]] = {}

    def __enter__(self) -> PoolRenderer:
        try:
            pool = ProcessPoolExecutor(self._workers, mp_context=_context(), initializer=_worker_init)
        except (OSError, ValueError, NotImplementedError):
            return self
        try:
            # start the workers now (a pool starts them at its first task): they load matplotlib
            # while this process computes the first section
            pool.submit(int)
        except (OSError, RuntimeError):  # no worker could start
            pool.shutdown(wait=False, cancel_futures=True)
            return self
        self._pool = pool
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc_type is not None)
            self._pool = None

    @staticmethod
    def marker(name: str) -> str:
        """The placeholder of figure ``name``'s HTML block until :meth:`resolve`."""
        return f"<!--fip-pending-figure:{name}-->"

    def submit(self, name: str, caption: str, draw: Callable[..., Any], args: tuple,
               kwargs: Mapping[str, Any]) -> str:
        """Queue figure ``name`` (drawn by ``draw(*args, **kwargs)``); returns its placeholder block.

        Raises
        ------
        ValueError
            ``name`` was queued before and not yet resolved.
        """
        if name in self._pending:
            raise ValueError(f"figure {name!r} queued twice")
        future = None
        if self._pool is not None:
            try:
                future = self._pool.submit(render_figure, draw, args, kwargs)
            except (OSError, RuntimeError):  # no worker could start, or the pool broke (a worker died)
                future = None
        self._pending[name] = (future, caption, (draw, args, kwargs))
        return self.marker(name)

    def call(self, function: Callable[..., Any], *args, **kwargs) -> Callable[[], Any]:
        """Start ``function(*args, **kwargs)`` on a worker; returns a function that waits for its value.

        ``function`` and its arguments must pickle. Without workers (or when the pool broke)
        it runs in this process when its value is asked for; its exceptions are raised then.
        """
        future = None
        if self._pool is not None:
            try:
                future = self._pool.submit(function, *args, **kwargs)
            except (OSError, RuntimeError):
                future = None

        def value() -> Any:
            if future is not None:
                try:
                    return future.result()
                except BrokenProcessPool:
                    pass
            return function(*args, **kwargs)

        return value

    def _rendered(self, name: str) -> tuple[str, tuple[bytes, bytes]]:
        future, caption, (draw, args, kwargs) = self._pending.pop(name)
        if future is not None:
            try:
                return caption, future.result()
            except BrokenProcessPool:  # a worker died: draw it here
                pass
        return caption, render_figure(draw, args, kwargs)

    def resolve(self, result: SectionResult) -> SectionResult:
        """``result`` with its queued figures rendered: bytes in ``figures``, SVG in ``blocks``.

        Waits for the workers; figures not queued here (non-empty bytes) are kept as they are.
        """
        from fip.report import html
        from fip.report.sections import Figure

        blocks = list(result.blocks)
        figures = {}
        for name, fig in result.figures.items():
            if fig.data or name not in self._pending:
                figures[name] = fig
                continue
            caption, (png, svg) = self._rendered(name)
            figures[name] = Figure(png, "png")
            marker = self.marker(name)
            blocks = [b.replace(marker, html.figure(svg, caption)) if marker in b else b for b in blocks]
        return replace(result, blocks=tuple(blocks), figures=figures)


def default_workers() -> int:
    """Worker processes for figures: 2 with two cores or more, none on one core.

    Two workers on two cores: while the main process computes, the three share the cores;
    once it waits for the figures, both cores render.
    """
    cores = os.cpu_count() or 1
    return 0 if cores < 2 else 2
