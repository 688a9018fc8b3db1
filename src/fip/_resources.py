"""Where fip's configuration files live (``configs/`` in the repository, ``fip/configs`` in a wheel)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any


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


def parse_yaml(text: str) -> Any:
    """YAML ``text`` parsed safely, with libyaml's C parser where PyYAML has it (6-7 times faster).

    Invalid YAML is parsed again by the pure-Python parser so the error (``yaml.YAMLError``)
    reads the same with or without libyaml.

    Examples
    --------
    >>> parse_yaml("a: [1, 2]")
    {'a': [1, 2]}
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        if loader is yaml.SafeLoader:
            raise
        return yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506


def read_config(path: str | Path | None, default: str, what: str) -> Any:
    """Parse a YAML configuration file (``path``, or the shipped ``default``).

    Raises
    ------
    ConfigError
        Naming the file when it cannot be read or is not YAML (``what`` says which kind of
        file it is, e.g. "instrument file").
    """
    import yaml

    from fip.errors import ConfigError

    p = Path(path) if path is not None else config_path(default)
    try:
        return parse_yaml(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read {what} ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML ({str(exc).splitlines()[0]})") from None
