"""Figures drawn in worker processes (fip.report._render): same bytes, fallbacks, clean shutdown."""

from __future__ import annotations

import multiprocessing

import pandas as pd
import pytest

from fip.report import _render, replicate
from fip.report import figures as figs
from fip.report import sections as sec
from fip.simulate import simulate_cohort
from fip.study import Study

SCREE = pd.DataFrame({"factor": [1, 2, 3], "eigenvalue": [2.5, 0.3, 0.2], "reduced_eigenvalue": [2.0, 0.1, -0.1]})


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _broken_draw(_):
    raise ValueError("cannot draw this")


@pytest.mark.slow
def test_workers_give_the_bytes_of_drawing_in_process(tmp_path):
    dataset = simulate_cohort(300, seed=2)
    inline = replicate(dataset, tmp_path / "inline", seed=1, workers=0)
    pooled = replicate(dataset, tmp_path / "pooled", seed=1, workers=2)
    assert _tree(tmp_path / "pooled") == _tree(tmp_path / "inline")
    assert "fip-pending-figure" not in pooled.report.read_text(encoding="utf-8")
    assert list(pooled.figure_paths) == list(inline.figure_paths)
    for name, result in pooled.sections.items():
        assert result.blocks == inline.sections[name].blocks, name
        assert {k: f.data for k, f in result.figures.items()} == {k: f.data for k, f in
                                                                 inline.sections[name].figures.items()}
        assert result.warnings == inline.sections[name].warnings, name
    assert not multiprocessing.active_children()


def test_a_section_with_the_pool_resolves_to_the_section_alone():
    study = Study(simulate_cohort(300, seed=1))
    alone = sec.factors(study, seed=0)
    with _render.PoolRenderer(1) as renderer:
        queued = sec.factors(study, seed=0, renderer=renderer)
        assert all(f.data == b"" for f in queued.figures.values())
        assert any(renderer.marker("scree") in b for b in queued.blocks)
        resolved = renderer.resolve(queued)
    assert resolved.blocks == alone.blocks
    assert {k: f.data for k, f in resolved.figures.items()} == {k: f.data for k, f in alone.figures.items()}


def test_falls_back_to_this_process_when_no_worker_starts(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no semaphores here")

    monkeypatch.setattr(_render, "ProcessPoolExecutor", refuse)
    with _render.PoolRenderer(2) as renderer:
        block = renderer.submit("scree", "Scree", figs.plot_scree, ({"x": (SCREE, None)},), {})
        later = renderer.call(sum, [1, 2])
        result = renderer.resolve(sec.SectionResult("s", "S", (block,), figures={"scree": sec.Figure(b"")}))
        assert later() == 3
    png, svg = _render.render_figure(figs.plot_scree, ({"x": (SCREE, None)},), {})
    assert result.figures["scree"].data == png
    assert result.blocks == (sec.html.figure(svg, "Scree"),)


def test_a_drawing_error_reaches_the_caller_and_the_workers_stop():
    with pytest.raises(ValueError, match="cannot draw this"):
        with _render.PoolRenderer(1) as renderer:
            block = renderer.submit("bad", "Bad", _broken_draw, (None,), {})
            renderer.resolve(sec.SectionResult("s", "S", (block,), figures={"bad": sec.Figure(b"")}))
    assert not multiprocessing.active_children()


def test_leaving_on_an_interrupt_cancels_and_stops_the_workers():
    with pytest.raises(KeyboardInterrupt):
        with _render.PoolRenderer(2) as renderer:
            for k in range(6):
                renderer.submit(f"scree{k}", "Scree", figs.plot_scree, ({"x": (SCREE, None)},), {})
            raise KeyboardInterrupt
    assert not multiprocessing.active_children()


def test_bad_worker_counts_are_refused(tmp_path):
    with pytest.raises(ValueError, match="workers"):
        _render.PoolRenderer(0)
    with pytest.raises(ValueError, match="workers"):
        replicate(simulate_cohort(300, seed=1), tmp_path, workers=-1)
    with pytest.raises(ValueError, match="queued twice"):
        with _render.PoolRenderer(1) as renderer:
            renderer.submit("a", "A", figs.plot_scree, ({"x": (SCREE, None)},), {})
            renderer.submit("a", "A", figs.plot_scree, ({"x": (SCREE, None)},), {})
