"""fip.predict: the job-chance indicator (train, validate, save, load, score).

Two models predict any employment in a 6-month window (and the expected monthly employment
rate): ``intake`` from round 1 alone, for the 6 months after round 1; ``progression`` from
round 1 and the change to round 2, for the 6 months after round 2. Each person's probability
comes with an interval (:mod:`fip.predict.interval`). See ``docs/predict.md``.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.predict import train, score
>>> result = train(simulate_cohort(3000, seed=1), "intake", compare=False, created_at="t")
>>> bool(result.validation.metrics.loc["logistic", "auc"] > 0.6)
True
"""

from fip.predict.fairness import FairnessAudit, fairness_audit
from fip.predict.features import CONTROL_CODING, FEATURE_POLICIES, MODEL_KINDS, build_features, feature_names
from fip.predict.figures import plot_calibration
from fip.predict.metrics import calibration_bins, metrics_by_group, probability_metrics, rate_metrics
from fip.predict.model import BAND_LABELS, TrainResult, ValidationReport, train
from fip.predict.modelcard import model_card_html
from fip.predict.modelfile import Model, ModelFileError, load_model, model_from_json, save_model
from fip.predict.score import check_compatible, score

__all__ = [
    "BAND_LABELS",
    "CONTROL_CODING",
    "FEATURE_POLICIES",
    "FairnessAudit",
    "MODEL_KINDS",
    "Model",
    "ModelFileError",
    "TrainResult",
    "ValidationReport",
    "build_features",
    "calibration_bins",
    "check_compatible",
    "fairness_audit",
    "feature_names",
    "load_model",
    "metrics_by_group",
    "model_card_html",
    "model_from_json",
    "plot_calibration",
    "probability_metrics",
    "rate_metrics",
    "save_model",
    "score",
    "train",
]
