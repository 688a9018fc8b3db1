"""The calibration file of the synthetic cohort (``configs/calibration.yaml``) as plain numbers.

Every target in the file is a mapping ``{value, tolerance, source}``; the simulator needs
only the values. :func:`load_calibration` strips the wrappers; :func:`calibration_targets`
keeps them, for documentation and tests. The study's published numbers themselves are read
by :mod:`fip.published`.

Examples
--------
>>> from fip.simulate.calibration import load_calibration
>>> cal = load_calibration()
>>> cal["caseworkers"]["caseworkers"], cal["caseworkers"]["municipalities"]
(115, 17)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fip._resources import config_path, read_config
from fip.errors import ConfigError

__all__ = ["calibration_targets", "load_calibration"]

_WRAPPER_KEYS = {"value", "source", "tolerance", "note", "loose"}


def is_wrapper(node: Any) -> bool:
    return isinstance(node, Mapping) and "value" in node and set(node) <= _WRAPPER_KEYS


def strip_sources(node: Any) -> Any:
    """Replace every ``{value: v, source: ...}`` by ``v`` (``loose`` kept as ``<key>_loose``)."""
    if is_wrapper(node):
        return node["value"]
    if isinstance(node, Mapping):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out[str(k)] = strip_sources(v)
            if is_wrapper(v) and "loose" in v:
                out[f"{k}_loose"] = v["loose"]
        return out
    if isinstance(node, list):
        return [strip_sources(v) for v in node]
    return node


def _read(path: Path) -> Mapping[str, Any]:
    raw = read_config(path, "calibration.yaml", "calibration file")
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: expected a mapping at the top")
    for key in ("schedule", "dates", "persons", "caseworkers", "answers", "generic"):
        if key not in raw:
            raise ConfigError(f"{path.name}: missing section {key!r}")
    return raw


def calibration_targets(path: str | Path | None = None) -> dict[str, Any]:
    """The calibration file as written (targets keep ``value``, ``tolerance``, ``source``)."""
    p = Path(path) if path is not None else config_path("calibration.yaml")
    return dict(_read(p))


def load_calibration(path: str | Path | None = None) -> dict[str, Any]:
    """The calibration parameters as plain numbers (sources and tolerances stripped).

    Parameters
    ----------
    path : str or Path, optional
        A file laid out like ``configs/calibration.yaml`` (the default).

    Raises
    ------
    ConfigError
        If the file cannot be read, is not YAML or lacks a section.
    """
    p = Path(path) if path is not None else config_path("calibration.yaml")
    return strip_sources(_read(p))

