"""Where fip's configuration files live (``configs/`` in the repository, ``fip/configs`` in a wheel)."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def config_dir() -> Path:
    """Directory holding ``instrument.yaml``, ``schema.yaml`` and ``fip_published.yaml``."""
    packaged = Path(__file__).resolve().parent / "configs"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "configs"


def config_path(name: str) -> Path:
    """Path of a configuration file shipped with fip, e.g. ``config_path("instrument.yaml")``."""
    return config_dir() / name
