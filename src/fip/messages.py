"""User-facing text as message catalogues: one YAML file per language, ``configs/messages/<lang>.yaml``.

A catalogue nests sections (``status_note``, ``star``, ``goals``, ``figures``) of texts;
:func:`messages` returns it flattened to dotted keys (``"star.round"``). Every catalogue on
the search path must have exactly the keys of the English one, so a new language is a new
file only; placeholders such as ``{m}`` are filled in with ``str.format`` by the caller.

Examples
--------
>>> messages("da")["star.star"]
'FIP-stjerne'
>>> section("en", "figures.gender")["female"]
'Women'
>>> "da" in languages()
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fip._resources import config_dir, read_config
from fip.errors import ConfigError

__all__ = ["REFERENCE_LANGUAGE", "default_search_path", "languages", "messages", "section"]

#: The catalogue every other one must match key for key.
REFERENCE_LANGUAGE = "en"


def default_search_path() -> tuple[Path, ...]:
    """Directories searched for catalogues by default: ``configs/messages``."""
    return (config_dir() / "messages",)


def _flatten(raw: Any, prefix: str, src: str, out: dict[str, str]) -> None:
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"{src}: {prefix or '(top level)'}: expected a non-empty mapping of texts")
    for key, value in raw.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            _flatten(value, name, src, out)
        elif isinstance(value, str):
            out[name] = value
        else:
            raise ConfigError(f"{src}: {name}: expected text; got {value!r}")


@cache
def _catalogues(dirs: tuple[str, ...]) -> Mapping[str, Mapping[str, str]]:
    """All catalogues on ``dirs`` (the first directory holding a language wins), checked."""
    files: dict[str, Path] = {}
    for d in dirs:
        for f in sorted(Path(d).glob("*.yaml")):
            files.setdefault(f.stem, f)
    if REFERENCE_LANGUAGE not in files:
        raise ConfigError(f"{REFERENCE_LANGUAGE}.yaml: no message catalogue {REFERENCE_LANGUAGE!r} in "
                          f"{', '.join(dirs)}")
    out: dict[str, Mapping[str, str]] = {}
    for lang, f in files.items():
        flat: dict[str, str] = {}
        _flatten(read_config(f, f.name, "message catalogue"), "", f.name, flat)
        out[lang] = MappingProxyType(flat)
    reference = out[REFERENCE_LANGUAGE]
    for lang, flat in out.items():
        name = files[lang].name
        if missing := [k for k in reference if k not in flat]:
            raise ConfigError(f"{name}: {missing[0]}: missing (every catalogue needs the keys of "
                              f"{REFERENCE_LANGUAGE}.yaml; {len(missing)} missing)")
        if extra := [k for k in flat if k not in reference]:
            raise ConfigError(f"{name}: {extra[0]}: unknown key (not in {REFERENCE_LANGUAGE}.yaml)")
    return MappingProxyType(out)


def _dirs(search_path: Iterable[str | Path] | None) -> tuple[str, ...]:
    return tuple(str(Path(d)) for d in (default_search_path() if search_path is None else search_path))


def languages(search_path: Iterable[str | Path] | None = None) -> tuple[str, ...]:
    """Languages with a catalogue, sorted (``("da", "en")`` as shipped).

    Parameters
    ----------
    search_path : iterable of str or Path, optional
        Directories holding ``<lang>.yaml`` catalogues, searched in order (default
        :func:`default_search_path`).

    Examples
    --------
    >>> languages()
    ('da', 'en')
    """
    return tuple(sorted(_catalogues(_dirs(search_path))))


def messages(lang: str, search_path: Iterable[str | Path] | None = None) -> Mapping[str, str]:
    """The catalogue of ``lang``: dotted key -> text (read-only, cached).

    Parameters
    ----------
    lang : str
        Language code, the file name of its catalogue (``"da"``, ``"en"``).
    search_path : iterable of str or Path, optional
        As for :func:`languages`.

    Raises
    ------
    ValueError
        ``lang`` has no catalogue (the known languages are listed).
    ConfigError
        A catalogue on the search path is malformed or lacks a key of ``en.yaml`` (one
        line naming the file and the key).

    Examples
    --------
    >>> messages("en")["status_note.levels"]
    'Levels in the quarter'
    """
    cats = _catalogues(_dirs(search_path))
    if lang not in cats:
        raise ValueError(f"lang must be one of {sorted(cats)} (a catalogue in configs/messages); got {lang!r}")
    return cats[lang]


def section(lang: str, prefix: str, search_path: Iterable[str | Path] | None = None) -> Mapping[str, str]:
    """The texts under ``prefix`` (e.g. ``"star"``) with the prefix taken off their keys.

    Examples
    --------
    >>> section("da", "goals")["employed"]
    'Andel med beskæftigelse i kvartalet'
    """
    return _section(lang, prefix, _dirs(search_path))


@cache
def _section(lang: str, prefix: str, dirs: tuple[str, ...]) -> Mapping[str, str]:
    head = prefix + "."
    flat = messages(lang, dirs)
    out = {k[len(head):]: v for k, v in flat.items() if k.startswith(head)}
    if not out:
        raise KeyError(f"no messages under {prefix!r}")
    return MappingProxyType(out)
