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

__all__ = ["calibration_targets", "load_calibration", "load_scenario", "scenario_names"]

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



def _scenarios(path: Path | None = None) -> Mapping[str, Any]:
    p = path if path is not None else config_path("calibration_scenarios.yaml")
    raw = read_config(p, "calibration_scenarios.yaml", "scenario file")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("scenarios"), Mapping) or not raw["scenarios"]:
        raise ConfigError(f"{p.name}: expected a mapping 'scenarios' of name -> {{description, source, overrides}}")
    return raw["scenarios"]


def scenario_names() -> tuple[str, ...]:
    """Names of the scenarios in ``configs/calibration_scenarios.yaml``."""
    return tuple(str(k) for k in _scenarios())


def _apply(base: dict[str, Any], over: Mapping[str, Any], where: str, src: str) -> None:
    for key, value in over.items():
        here = f"{where}.{key}" if where else str(key)
        if key not in base:
            raise ConfigError(f"{src}: {here}: not a key of the calibration")
        if here == "persons.origin.shares":
            if not isinstance(value, Mapping) or not value or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in value.values()):
                raise ConfigError(f"{src}: {here}: expected a mapping origin -> share >= 0")
            if abs(sum(value.values()) - 1) > 1e-9:
                raise ConfigError(f"{src}: {here}: shares sum to {sum(value.values()):.4g}, expected 1")
            base[key] = {str(k): float(v) for k, v in value.items()}
        elif isinstance(value, Mapping):
            if not isinstance(base[key], Mapping):
                raise ConfigError(f"{src}: {here}: the calibration holds a value here, not a mapping")
            _apply(base[key], value, here, src)
        else:
            if isinstance(base[key], Mapping):
                raise ConfigError(f"{src}: {here}: expected a mapping (as in the calibration)")
            base[key] = value


def load_scenario(name: str, calibration: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The calibration with a scenario of ``configs/calibration_scenarios.yaml`` applied.

    Parameters
    ----------
    name : str
        A scenario name (:func:`scenario_names`).
    calibration : mapping, optional
        Plain calibration numbers (default :func:`load_calibration`).

    Raises
    ------
    ValueError
        ``name`` is not a scenario.
    ConfigError
        A scenario names a key the calibration lacks, or its origin shares do not sum to 1.

    Examples
    --------
    >>> cal = load_scenario("later_period")
    >>> cal["dates"]["first"]
    '2021-08-01'
    """
    import copy

    scenarios = _scenarios()
    if name not in scenarios:
        raise ValueError(f"scenario must be one of {list(scenarios)}; got {name!r}")
    spec = scenarios[name]
    if not isinstance(spec, Mapping) or not isinstance(spec.get("overrides"), Mapping):
        raise ConfigError(f"calibration_scenarios.yaml: scenarios.{name}: expected a mapping with 'overrides'")
    cal = copy.deepcopy(dict(load_calibration() if calibration is None else calibration))
    _apply(cal, spec["overrides"], "", f"calibration_scenarios.yaml: scenarios.{name}")
    return cal
