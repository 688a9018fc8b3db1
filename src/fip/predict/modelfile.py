"""The model file: transparent JSON with an embedded SHA-256 checksum; loading runs no code.

A model file is a JSON object. The key ``sha256`` holds the SHA-256 of the *canonical*
JSON of every other key: keys sorted, no whitespace, UTF-8, no NaN. Loading parses the file
with :func:`json.loads` only; there is no pickle and nothing is executed. It then recomputes
the checksum and checks the structure. A file edited after it was written (e.g. a changed
coefficient) is refused with :class:`ModelFileError`. The checksum guards against accidental
edits and casual tampering, not against someone who recomputes it: it is not a signature.

The file is written pretty-printed with sorted keys, so the same model gives the same bytes.

Examples
--------
>>> import hashlib
>>> m = Model.from_content({"n": 1, "format": "x"})
>>> m.sha256 == hashlib.sha256(b'{"format":"x","n":1}').hexdigest()
True
>>> print(m.to_json(), end="")
{
  "format": "x",
  "n": 1,
  "sha256": "effb65bdd1ed3e98cb290ac7b664956d32280f4d5ce6caba655be9102f267950"
}
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fip._atomic import atomic_write_text
from fip.errors import FipError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Model",
    "ModelFileError",
    "canonical_json",
    "jsonable",
    "load_model",
    "model_from_json",
    "save_model",
]

FORMAT = "fip-job-chance-model"
FORMAT_VERSION = 2  # 2: calibration bins and bands say ci_low/ci_high (1: observed_low/observed_high)


class ModelFileError(FipError, ValueError):
    """A model file cannot be used: not JSON, changed after writing, incomplete, or made for
    other data (instrument version or items do not match)."""


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into plain Python; NaN becomes None."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if math.isnan(v) else v
    if value is None or isinstance(value, str):
        return value
    return str(value)


def canonical_json(content: Mapping[str, Any]) -> str:
    """The canonical JSON the checksum is computed on (sorted keys, no spaces, no NaN)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _digest(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Model:
    """A job-chance model as stored in its file.

    Attributes
    ----------
    canonical : str
        Canonical JSON of the content (everything except the checksum).
    sha256 : str
        SHA-256 of ``canonical``.

    The content is read through :attr:`content`, which returns a fresh ``dict`` each time,
    so a model cannot be changed in place.
    """

    canonical: str
    sha256: str

    @classmethod
    def from_content(cls, content: Mapping[str, Any]) -> Model:
        """Build a model from its content (numpy values converted; ``sha256`` key ignored)."""
        clean = jsonable({k: v for k, v in content.items() if k != "sha256"})
        return cls(canonical=canonical_json(clean), sha256=_digest(clean))

    @property
    def content(self) -> dict[str, Any]:
        return json.loads(self.canonical)

    @property
    def kind(self) -> str:
        return self.content["kind"]

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.content["features"])

    def to_json(self) -> str:
        """The file text: pretty-printed, sorted keys, the checksum included, final newline."""
        body = {**self.content, "sha256": self.sha256}
        return json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def save_model(model: Model, path: str | Path) -> Path:
    """Write the model file atomically (UTF-8 JSON)."""
    return atomic_write_text(path, model.to_json())


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in a model file")


def _check_structure(content: Mapping[str, Any], source: str) -> None:
    def fail(message: str) -> ModelFileError:
        return ModelFileError(f"{source}: {message}")

    if content.get("format") != FORMAT:
        raise fail(f"not a fip job-chance model file (format {content.get('format')!r}, expected {FORMAT!r})")
    if content.get("format_version") != FORMAT_VERSION:
        raise fail(f"model file format version {content.get('format_version')!r} is not supported "
                   f"(this fip reads version {FORMAT_VERSION})")
    required = ("kind", "features", "instrument", "control_coding", "preprocessing",
                "probability_model", "rate_model", "bands", "calibration_bins")
    missing = [k for k in required if k not in content]
    if missing:
        raise fail(f"missing key(s) {missing}")
    features = content["features"]
    if not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features):
        raise fail("'features' must be a non-empty list of names")
    fset = set(features)
    pre = content["preprocessing"]
    for key in ("impute_with", "center", "scale"):
        block = pre.get(key) if isinstance(pre, Mapping) else None
        if not isinstance(block, Mapping) or set(block) != fset:
            raise fail(f"preprocessing.{key} must give a number for every feature")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in block.values()):
            raise fail(f"preprocessing.{key} holds a value that is not a finite number")
    if not all(v > 0 for v in pre["scale"].values()):
        raise fail("preprocessing.scale must be positive")
    for name in ("probability_model", "rate_model"):
        block = content[name]
        coefs = block.get("coefficients") if isinstance(block, Mapping) else None
        if not isinstance(coefs, Mapping) or set(coefs) != fset:
            raise fail(f"{name}.coefficients must give a number for every feature")
        values = [*coefs.values(), block.get("intercept")]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
            raise fail(f"{name} holds a coefficient that is not a finite number")
    cuts = content["bands"].get("cuts") if isinstance(content["bands"], Mapping) else None
    if not (isinstance(cuts, list) and len(cuts) == 2 and 0 < cuts[0] < cuts[1] < 1):
        raise fail("bands.cuts must be two increasing probabilities in (0, 1)")


def model_from_json(text: str, source: str = "<model>") -> Model:
    """Parse a model file's text; check the checksum and the structure.

    Raises
    ------
    ModelFileError
        Not JSON, no checksum, checksum mismatch (the file was changed after it was
        written), unknown format or version, or missing or non-numeric parts.
    """
    try:
        raw = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ModelFileError(f"{source}: not a valid JSON model file ({exc})") from None
    if not isinstance(raw, dict):
        raise ModelFileError(f"{source}: not a fip model file (expected a JSON object)")
    stored = raw.pop("sha256", None)
    if not isinstance(stored, str):
        raise ModelFileError(f"{source}: the model file has no sha256 checksum; refusing to use it")
    if _digest(raw) != stored:
        raise ModelFileError(
            f"{source}: checksum mismatch: the model file was changed after it was written "
            "(coefficients or other content edited); refusing to use it. Retrain with `fip train`."
        )
    _check_structure(raw, source)
    return Model(canonical=canonical_json(raw), sha256=stored)


def load_model(path: str | Path) -> Model:
    """Read a model file written by :func:`save_model` (see :func:`model_from_json`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelFileError(f"{p}: cannot read model file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ModelFileError(f"{p.name}: not a UTF-8 JSON model file") from None
    return model_from_json(text, source=p.name)
