"""Translations of the citizen form as data: one YAML file per language beside the instrument.

Danish and English texts ship inside ``configs/instrument.yaml``. Another answer language is a
*translation file*; until it is marked ``reviewed: true`` the service tells staff that the
texts are not a reviewed translation. Which languages are written right to left is data too
(``configs/languages.yaml``).

A translation file::

    translation:
      language: ar            # one of the instrument's answer_languages
      respondent: citizen     # the form it translates; every item of it needs a text
      reviewed: false         # true only after a reviewed translation exists
      note: "..."             # free text (who translated, when)
    anchors: {1: "...", 4: "...", 7: "..."}
    items: {c01: "...", c02: "...", ...}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fip._resources import read_config
from fip.errors import ConfigError
from fip.instrument import Instrument

__all__ = ["Translation", "load_translation", "load_translations", "right_to_left_languages", "direction"]


def right_to_left_languages(path: str | Path | None = None) -> frozenset[str]:
    """Language codes written right to left (``configs/languages.yaml``, key ``right_to_left``).

    Examples
    --------
    >>> "ar" in right_to_left_languages() and "da" not in right_to_left_languages()
    True
    """
    raw = read_config(path, "languages.yaml", "languages file")
    codes = raw.get("right_to_left") if isinstance(raw, Mapping) else None
    if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
        raise ConfigError(f"{path or 'languages.yaml'}: right_to_left: expected a list of language codes")
    return frozenset(codes)


def direction(language: str, rtl: frozenset[str] | None = None) -> str:
    """``"rtl"`` or ``"ltr"``: the writing direction of ``language`` (``"ar-EG"`` counts as ``"ar"``).

    Examples
    --------
    >>> direction("fa"), direction("en-GB")
    ('rtl', 'ltr')
    """
    codes = right_to_left_languages() if rtl is None else rtl
    return "rtl" if language.split("-")[0].lower() in codes else "ltr"


@dataclass(frozen=True)
class Translation:
    """The texts of one respondent's form in one language.

    Examples
    --------
    >>> t = Translation("ar", "citizen", False, {"c01": "..."}, {1: "..."})
    >>> t.tidy().shape
    (1, 5)
    """

    language: str
    respondent: str
    reviewed: bool
    items: Mapping[str, str]
    anchors: Mapping[int, str] = field(default_factory=dict)
    note: str = ""
    source: Path | None = None

    @property
    def direction(self) -> str:
        """``"rtl"`` or ``"ltr"`` (from ``configs/languages.yaml``)."""
        return direction(self.language)

    def tidy(self) -> pd.DataFrame:
        """One row per item: language, respondent, item, text, reviewed."""
        return pd.DataFrame([(self.language, self.respondent, k, v, self.reviewed) for k, v in self.items.items()],
                            columns=["language", "respondent", "item", "text", "reviewed"])


def _fail(path: Path, key: str, expected: str) -> ConfigError:
    return ConfigError(f"{path}: {key}: {expected}")


def load_translation(path: str | Path, instrument: Instrument) -> Translation:
    """Read and check a translation file against ``instrument``.

    Raises
    ------
    ConfigError
        Naming the file and key: unknown language or respondent, a missing or unknown item,
        an anchor outside the scale, ``reviewed`` not true/false.

    Examples
    --------
    >>> from fip.instrument import load_instrument
    >>> load_translation("missing.yaml", load_instrument())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    fip.errors.ConfigError: missing.yaml: cannot read translation file ...
    """
    p = Path(path)
    raw: Any = read_config(p, p.name, "translation file")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("translation"), Mapping):
        raise _fail(p, "translation", "expected a mapping with language, respondent and reviewed")
    head = raw["translation"]
    lang = head.get("language")
    if lang not in instrument.answer_languages:
        raise _fail(p, "translation.language", f"expected one of {', '.join(instrument.answer_languages)}, got {lang!r}")
    respondent = head.get("respondent")
    if respondent not in instrument.respondent_ids:
        raise _fail(p, "translation.respondent", f"expected one of {', '.join(instrument.respondent_ids)}, "
                                                 f"got {respondent!r}")
    reviewed = head.get("reviewed")
    if not isinstance(reviewed, bool):
        raise _fail(p, "translation.reviewed", f"expected true or false, got {reviewed!r}")
    items = raw.get("items")
    if not isinstance(items, Mapping):
        raise _fail(p, "items", "expected a mapping of item id to text")
    wanted = list(instrument.item_ids(respondent))
    for it in wanted:
        if not isinstance(items.get(it), str) or not items[it].strip():
            raise _fail(p, f"items.{it}", "expected a non-empty text")
    extra = sorted(set(items) - set(wanted))
    if extra:
        raise _fail(p, f"items.{extra[0]}", f"expected an item of the {respondent} form")
    anchors_raw = raw.get("anchors") or {}
    if not isinstance(anchors_raw, Mapping):
        raise _fail(p, "anchors", "expected a mapping of scale value to text")
    anchors: dict[int, str] = {}
    for k, v in anchors_raw.items():
        if not isinstance(k, int) or k not in instrument.scale.values or not isinstance(v, str):
            raise _fail(p, f"anchors.{k}", f"expected a scale value {min(instrument.scale.values)}-"
                                           f"{max(instrument.scale.values)} with a text")
        anchors[k] = v
    return Translation(lang, respondent, reviewed, {it: items[it] for it in wanted}, anchors,
                       str(head.get("note") or ""), p)


def load_translations(folder: str | Path | None, instrument: Instrument) -> dict[tuple[str, str], Translation]:
    """Every ``*.yaml`` translation file in ``folder``, keyed by (language, respondent).

    Examples
    --------
    >>> from fip.instrument import load_instrument
    >>> load_translations(None, load_instrument())
    {}
    """
    if folder is None:
        return {}
    out: dict[tuple[str, str], Translation] = {}
    for f in sorted(Path(folder).glob("*.yaml")):
        t = load_translation(f, instrument)
        key = (t.language, t.respondent)
        if key in out:
            raise _fail(f, "translation.language", f"{t.language} is translated already in {out[key].source.name}")
        out[key] = t
    return out
