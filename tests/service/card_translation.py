"""A TEST-ONLY Arabic "translation" of the citizen card (not a translation: every text is the
English one behind the marker ``[ar TEST ONLY]``), made at test time from the shipped files:
a message catalogue ar.yaml beside copies of da.yaml and en.yaml, and a copy of the
instrument with ``ar`` labels. Used to check the right-to-left card without shipping one."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from fip._resources import config_path
from fip.instrument import Instrument, load_instrument

MARK = "[ar TEST ONLY] "


def _marked(value):
    if isinstance(value, dict):
        return {k: _marked(v) for k, v in value.items()}
    return MARK + value if isinstance(value, str) else value


def _with_ar_labels(value):
    """Every mapping of labels by language ({da: ..., en: ...}) gains an ``ar`` entry."""
    if isinstance(value, dict):
        out = {k: _with_ar_labels(v) for k, v in value.items()}
        if "da" in value and "en" in value:
            out["ar"] = _marked(value["en"])
        return out
    if isinstance(value, list):
        return [_with_ar_labels(v) for v in value]
    return value


def make(folder: Path) -> tuple[Path, Instrument]:
    """(the folder of catalogues da, en and the test-only ar; the instrument with ar labels)."""
    messages = folder / "messages"
    messages.mkdir(parents=True)
    for lang in ("da", "en"):
        shutil.copy(config_path(f"messages/{lang}.yaml"), messages / f"{lang}.yaml")
    en = yaml.safe_load(config_path("messages/en.yaml").read_text(encoding="utf-8"))
    (messages / "ar.yaml").write_text(yaml.safe_dump(_marked(en), allow_unicode=True), encoding="utf-8")
    raw = yaml.safe_load(config_path("instrument.yaml").read_text(encoding="utf-8"))
    raw = _with_ar_labels(raw)
    raw["label_languages"] = [*raw["label_languages"], "ar"]
    path = folder / "instrument.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return messages, load_instrument(path)
