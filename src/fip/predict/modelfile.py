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
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from fip._atomic import atomic_write_text
from fip._resources import config_path
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
FORMAT_VERSION = 3  # 3: window and probability_model.covariance (2: bins say ci_low/ci_high; 1: observed_low/high)


class ModelFileError(FipError, ValueError):
    """A model file cannot be used: not JSON, changed after writing, incomplete, or made for
    other data (instrument version or items do not match). One line per problem (the
    structure's problems all at once, at most :data:`MAX_PROBLEMS`)."""

    one_line_per_problem = True  # the CLI shows every line


#: Schema problems listed at most in one :class:`ModelFileError` (then "... and N more").
MAX_PROBLEMS = 20


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


#: Longest text of an offending value quoted in a message.
_SHOWN = 40


def _path(parts) -> str:
    """JSON path of ``parts`` (``$.bands.labels[0]``); long or odd keys quoted and cut short."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier() and len(part) <= _SHOWN:
            out += f".{part}"
        else:
            key = str(part)
            out += f"[{(key if len(key) <= _SHOWN else key[:_SHOWN - 3] + '...')!r}]"
    return out


def _shown(value: Any) -> str:
    """A short description of a JSON value for a message (never more than about 60 characters)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= _SHOWN else f"a number of {len(text):,} digits"
    if isinstance(value, str):
        return repr(value if len(value) <= _SHOWN else value[:_SHOWN - 3] + "...")
    if isinstance(value, list):
        return f"a list of {len(value):,} items"
    return f"an object with {len(value):,} keys"


def _schema_message(error) -> str:
    """One line for a :mod:`jsonschema` error: path, what was expected, what the file holds.

    Built from the error's parts, never from ``error.message`` (it quotes the whole offending
    value: a 200,000-item list would give a 3 MB message).
    """
    kind, bound, value = error.validator, error.validator_value, error.instance
    where = list(error.absolute_path)
    if kind == "required":  # one message for all missing keys (jsonschema gives one error per key)
        missing = [k for k in bound if k not in value]
        if len(missing) == 1:
            return f"{_path([*where, missing[0]])}: missing (required)"
        return f"{_path(where)}: missing {', '.join(map(repr, missing))} (required)"
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = next(k for k in value if k not in allowed)
        return f"{_path([*where, extra])}: unexpected key (expected only {', '.join(sorted(allowed))})"
    if kind in ("const", "enum"):
        options = [bound] if kind == "const" else bound
        return f"{_path(where)}: expected {' or '.join(_shown(o) for o in options)}; got {_shown(value)}"
    if kind in ("minItems", "maxItems", "minProperties", "maxProperties"):
        unit = ("item" if kind.endswith("Items") else "key") + ("" if bound == 1 else "s")
        side = "at least" if kind.startswith("min") else "at most"
        return f"{_path(where)}: expected {side} {bound:,} {unit}; got {len(value):,}"
    if kind == "uniqueItems":
        return f"{_path(where)}: expected distinct items (one is repeated)"
    described = error.schema.get("description")
    expected = described or {"type": f"a JSON {bound if isinstance(bound, str) else ' or '.join(bound)}"}.get(kind, kind)
    return f"{_path(where)}: expected {expected}; got {_shown(value)}"


@cache
def _validator():
    import jsonschema

    schema = json.loads(config_path("model_file.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _persons_columns() -> tuple[str, ...]:
    """Persons columns every dataset has (the control coding may read only these)."""
    from fip.data.schema import load_schema

    return tuple(c.name for c in load_schema().table("persons").columns if not c.optional and c.name != "person_id")


def _check_meaning(content: Mapping[str, Any]) -> str | None:
    """What the schema cannot say; the first problem as ``path: what``, or ``None``."""
    from fip.predict.features import DEFAULT_FEATURE_POLICY, MODEL_KINDS, feature_names

    coding = content["control_coding"]
    columns = _persons_columns()
    for section, spec in coding.items():
        if spec["column"] not in columns:
            return (f"$.control_coding.{section}.column: expected a persons column ({', '.join(columns)}); "
                    f"got {_shown(spec['column'])}")
    origin = coding["origin"]
    for k, group in enumerate(origin["indicators"]):
        if group != origin["other"] and group not in origin["groups"]:
            return (f"$.control_coding.origin.indicators[{k}]: expected a group of origin.groups or "
                    f"{origin['other']!r}; got {_shown(group)}")
    items = content["instrument"]["items"]
    kind = content["kind"]
    policy = content.get("feature_policy", DEFAULT_FEATURE_POLICY)  # files before the policy used every control
    expected = {k: feature_names(items, k, coding, policy) for k in MODEL_KINDS}
    features = content["features"]
    if set(features) != set(expected[kind]):
        other = next((k for k in MODEL_KINDS if k != kind and set(features) == set(expected[k])), None)
        if other is not None:
            return f"$.kind: {kind!r} does not match the features, which are those of an {other} model"
        wanted = set(expected[kind])
        for k, name in enumerate(features):
            if name not in wanted:
                return (f"$.features[{k}]: {_shown(name)} is not a feature of an {kind} model on the file's "
                        f"instrument and control coding with feature policy {policy!r}")
        lacking = next(f for f in expected[kind] if f not in set(features))
        return f"$.features: lacks {lacking!r}, a feature of every {kind} model with feature policy {policy!r}"
    if kind == "progression" and content["window"]["after"] != "round_2":
        return "$.window.after: a progression model predicts the window after round 2 (its features include round 2)"
    cov = content["probability_model"]["covariance"]
    size = len(features) + 1
    if len(cov) != size or any(len(row) != size for row in cov):
        return f"$.probability_model.covariance: expected a {size} x {size} matrix (intercept and {len(features)} features)"
    V = np.array(cov, dtype=np.float64)
    if not np.allclose(V, V.T, rtol=1e-9, atol=1e-12):
        return "$.probability_model.covariance: expected a symmetric matrix"
    try:
        np.linalg.cholesky(V)
    except np.linalg.LinAlgError:
        return "$.probability_model.covariance: expected a positive definite matrix"
    names = set(features)
    blocks = [("preprocessing", "impute_with"), ("preprocessing", "center"), ("preprocessing", "scale"),
              ("probability_model", "coefficients"), ("rate_model", "coefficients")]
    for outer, inner in blocks:
        block = content[outer][inner]
        if set(block) != names:
            extra = next((k for k in block if k not in names), None)
            if extra is not None:
                return f"{_path([outer, inner, extra])}: not a feature of the model"
            return f"$.{outer}.{inner}: lacks {next(f for f in features if f not in block)!r}"
    cuts = content["bands"]["cuts"]
    if not cuts[0] < cuts[1]:
        return f"$.bands.cuts: expected two increasing probabilities; got {cuts[0]!r}, {cuts[1]!r}"
    bins = content["calibration_bins"]
    for k in range(1, len(bins)):
        if not bins[k - 1]["lower"] <= bins[k]["lower"]:
            return f"$.calibration_bins[{k}].lower: expected bins in increasing order of 'lower'"
    for k, b in enumerate(bins):
        if b["ci_low"] is not None and b["ci_high"] is not None and b["ci_low"] > b["ci_high"]:
            return f"$.calibration_bins[{k}]: expected ci_low <= ci_high"
    if "drift_reference" in content:
        from fip.predict.drift import check_reference

        if (problem := check_reference(content["drift_reference"], features)) is not None:
            return problem
    scale = content["instrument"]["scale"]
    if not scale["min"] < scale["max"]:
        return f"$.instrument.scale: expected min < max; got {scale['min']!r}, {scale['max']!r}"
    if "fairness" in content and content["fairness"]["cuts"] != cuts:
        return "$.fairness.cuts: expected the band cuts ($.bands.cuts) the audit was made at"
    if "model_card" in content and content["model_card"]["features"]["policy"] != policy:
        return f"$.model_card.features.policy: expected the file's feature policy {policy!r}"
    return None


def _check_structure(content: Mapping[str, Any], source: str) -> None:
    """Refuse a file whose content is not a usable model (one line: file, JSON path, what)."""
    if content.get("format") != FORMAT:
        raise ModelFileError(f"{source}: not a fip job-chance model file (format {_shown(content.get('format'))}, "
                             f"expected {FORMAT!r})")
    if content.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{source}: model file format version {_shown(content.get('format_version'))} is not "
                             f"supported (this fip reads version {FORMAT_VERSION})")
    errors = sorted(_validator().iter_errors(content), key=lambda e: [str(k) for k in e.absolute_path])
    problems = list(dict.fromkeys(_schema_message(e) for e in errors))  # every schema problem, once
    if not problems:  # the meaning checks build on a valid structure, so only the first of them
        meaning = _check_meaning(content)
        problems = [] if meaning is None else [meaning]
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS:,} more problems")
        raise ModelFileError("\n".join(f"{source}: {line}" for line in shown))


def model_from_json(text: str, source: str = "<model>") -> Model:
    """Parse a model file's text; check the checksum and the structure.

    The structure is checked against the JSON Schema ``configs/model_file.schema.json``
    (:mod:`jsonschema`, Draft 2020-12): required parts, types, finite bounded numbers
    (coefficients and intercepts within [-100, 100], scales within [1e-6, 1e6], probabilities
    in [0, 1]), plain-text band labels, at most 1,000 features. Then what a schema cannot
    say: the features are exactly those of the file's ``kind`` on its instrument and control
    coding (a renamed feature or a changed ``kind`` is refused), every per-feature object
    names every feature, cuts and calibration bins increase.

    Raises
    ------
    ModelFileError
        One line: the file, the JSON path and what was wrong. Not JSON, no checksum,
        checksum mismatch (the file was changed after it was written), unknown format or
        version, or a structure the schema or the checks above refuse.

    Examples
    --------
    >>> model_from_json('{"format": "x"}', "m.json")
    Traceback (most recent call last):
    ...
    fip.predict.modelfile.ModelFileError: m.json: the model file has no sha256 checksum; refusing to use it
    """
    try:
        raw = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ModelFileError(f"{source}: not a valid JSON model file ({str(exc)[:200]})") from None
    except RecursionError:
        raise ModelFileError(f"{source}: not a fip model file (JSON nested too deeply)") from None
    if not isinstance(raw, dict):
        raise ModelFileError(f"{source}: not a fip model file (expected a JSON object)")
    stored = raw.pop("sha256", None)
    if not isinstance(stored, str):
        raise ModelFileError(f"{source}: the model file has no sha256 checksum; refusing to use it")
    try:
        digest = _digest(raw)
    except ValueError:  # 1e400 parses as inf, which canonical JSON refuses
        raise ModelFileError(f"{source}: the model file holds a number out of range (e.g. 1e400)") from None
    except RecursionError:
        raise ModelFileError(f"{source}: not a fip model file (JSON nested too deeply)") from None
    if digest != stored:
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
