"""The calibration file of the synthetic cohort (``configs/calibration.yaml``) as plain numbers.

Every target in the file is a mapping ``{value, tolerance, source}``; the simulator needs
only the values. :func:`load_calibration` strips the wrappers; :func:`calibration_targets`
keeps them, for documentation and tests.

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

import yaml

from fip._resources import config_path
from fip.errors import ConfigError

__all__ = ["calibration_targets", "load_calibration", "published"]

_WRAPPER_KEYS = {"value", "source", "tolerance", "note", "loose"}


def _is_wrapper(node: Any) -> bool:
    return isinstance(node, Mapping) and "value" in node and set(node) <= _WRAPPER_KEYS


def _plain(node: Any) -> Any:
    """Replace every ``{value: v, source: ...}`` by ``v`` (``loose`` kept as ``<key>_loose``)."""
    if _is_wrapper(node):
        return node["value"]
    if isinstance(node, Mapping):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out[str(k)] = _plain(v)
            if _is_wrapper(v) and "loose" in v:
                out[f"{k}_loose"] = v["loose"]
        return out
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _read(path: Path) -> Mapping[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read calibration file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
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
    return _plain(_read(p))


def published() -> dict[str, Any]:
    """``configs/fip_published.yaml`` (the transcription of the study) as parsed YAML."""
    p = config_path("fip_published.yaml")
    return yaml.safe_load(p.read_text(encoding="utf-8"))
