"""The model card of a job-chance model: a block of the model file and a printable HTML page.

The ``model_card`` block says what the model is for (support for the conversation, not a
decision; the caseworker's judgement overrides it), what it learnt from (persons, caseworkers,
first and last month), its features and feature policy, its cross-validated metrics, a summary
of the fairness audit (the largest differences between groups) and its limits. The block's
texts are English (``configs/messages/en.yaml``, section ``model_card``);
:func:`model_card_html` renders the card in any catalogue language from the facts in the file.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.predict import train
>>> model = train(simulate_cohort(1500, seed=1), "intake", compare=False, n_boot=20, created_at="t").model
>>> card = model.content["model_card"]
>>> card["features"]["policy"], card["data"]["first_month"] <= card["data"]["last_month"]
('items_and_controls', True)
>>> page = model_card_html(model, lang="en")
>>> page.startswith("<!DOCTYPE html>") and "overrides the model" in page
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from fip.messages import section
from fip.predict.features import item_of_feature

__all__ = ["AUDIT_GAP_METRICS", "model_card_block", "model_card_html"]

#: Metrics whose range over the groups of each variable the card summarises.
AUDIT_GAP_METRICS: tuple[str, ...] = ("auc", "calibration_intercept", "fpr_high", "fnr_high", "ppv_high")
_METRIC_KEYS = ("auc", "brier", "log_loss", "calibration_slope", "calibration_intercept")
_LABELS = {"auc": "AUC", "brier": "Brier", "log_loss": "log loss", "calibration_slope": "calibration slope",
           "calibration_intercept": "calibration-in-the-large", "fpr_high": "FPR (high)", "fnr_high": "FNR (high)",
           "ppv_high": "PPV (high)", "fpr_middle_or_high": "FPR (middle or high)",
           "fnr_middle_or_high": "FNR (middle or high)", "ppv_middle_or_high": "PPV (middle or high)",
           "flagged_high": "flagged (high)", "observed": "observed", "mean_predicted": "mean predicted"}


def _window(content: Mapping[str, Any]) -> str:
    w = content["window"]
    return f"{w['months']} months after {w['after'].replace('_', ' ')}"


def _gaps(rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per group variable and metric: the lowest and highest shown estimate (two groups or more)."""
    out = []
    variables = list(dict.fromkeys(r["group_variable"] for r in rows if r["group_variable"] != "all"))
    for var in variables:
        for metric in AUDIT_GAP_METRICS:
            shown = [r for r in rows if r["group_variable"] == var and r["metric"] == metric
                     and r["estimate"] is not None and not r["suppressed"]]
            if len(shown) < 2:
                continue
            lo = min(shown, key=lambda r: r["estimate"])
            hi = max(shown, key=lambda r: r["estimate"])
            out.append({"group_variable": var, "metric": metric, "lowest_group": lo["group"],
                        "lowest": lo["estimate"], "highest_group": hi["group"], "highest": hi["estimate"]})
    return out


def _facts(content: Mapping[str, Any]) -> dict[str, Any]:
    t = content["training"]
    policy = content.get("feature_policy", "items_and_controls")
    items = list(content["instrument"]["items"])
    controls = [f for f in content["features"] if item_of_feature(f, items) is None]
    metrics = next((r for r in content["validation"]["metrics"] if r.get("learner") == "logistic"), {})
    return {
        "kind": content["kind"], "window": _window(content), "policy": policy,
        "n": t["n_persons"], "nc": t["n_caseworkers"], "first": t["first_month"], "last": t["last_month"],
        "sample": t["sample"], "n_features": len(content["features"]), "controls": controls,
        "metrics": {k: metrics.get(k) for k in _METRIC_KEYS}, "k": t.get("min_cell", 5),
    }


def _texts(lang: str, f: Mapping[str, Any]) -> dict[str, Any]:
    m = section(lang, "model_card")
    description = m[f"policy_{f['policy']}"]
    limits = [m["limit_period"].format(first=f["first"], last=f["last"]), m["limit_caseworker"], m["limit_groups"]]
    if f["policy"] == "items_and_controls":
        limits.append(m["limit_protected"])
    limits += [m["limit_interval"], m["limit_small"].format(k=f["k"])]
    return {
        "purpose": m["purpose"].format(window=f["window"], features=description),
        "intended_use": m["intended_use"], "not_a_decision": m["not_a_decision"], "override": m["override"],
        "data": m["data"].format(n=f"{f['n']:,}", nc=f"{f['nc']:,}", first=f["first"], last=f["last"],
                                 sample=f["sample"]),
        "features": m["features_text"].format(policy=f["policy"], description=description, n=f["n_features"]),
        "limits": limits,
    }


def model_card_block(content: Mapping[str, Any]) -> dict[str, Any]:
    """The ``model_card`` block of a model file built from the rest of its ``content``.

    Returns
    -------
    dict
        ``language`` (``en``), ``purpose``, ``intended_use``, ``not_a_decision``,
        ``override`` (texts), ``data`` (``first_month``, ``last_month``, ``n_persons``,
        ``n_caseworkers``, ``window``, ``text``), ``features`` (``policy``, ``n``,
        ``controls``, ``text``), ``metrics`` (AUC, Brier, log loss, calibration slope and
        intercept of the default learner, out of fold), ``audit`` (``cuts``, ``gaps``: per
        group variable and metric of :data:`AUDIT_GAP_METRICS` the lowest and highest shown
        group) and ``limits`` (texts).
    """
    f = _facts(content)
    texts = _texts("en", f)
    fairness = content.get("fairness") or {"cuts": content["bands"]["cuts"], "rows": []}
    return {
        "language": "en",
        "purpose": texts["purpose"], "intended_use": texts["intended_use"],
        "not_a_decision": texts["not_a_decision"], "override": texts["override"],
        "data": {"first_month": f["first"], "last_month": f["last"], "n_persons": f["n"], "n_caseworkers": f["nc"],
                 "window": f["window"], "text": texts["data"]},
        "features": {"policy": f["policy"], "n": f["n_features"], "controls": f["controls"], "text": texts["features"]},
        "metrics": f["metrics"],
        "audit": {"cuts": list(fairness["cuts"]), "gaps": _gaps(fairness["rows"])},
        "limits": texts["limits"],
    }


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; line-height: 1.4; max-width: 60em;
       margin: 1.5em auto; color: #111; }
h1 { font-size: 16pt; margin-bottom: 0.3em; } h2 { font-size: 12pt; margin: 1.1em 0 0.3em; }
.rule { border: 2px solid #b00; padding: 0.5em 0.8em; margin: 0.8em 0; }
table { border-collapse: collapse; margin: 0.4em 0; font-size: 9pt; }
th, td { border: 1px solid #999; padding: 2px 6px; text-align: left; } td.num { text-align: right; }
footer { margin-top: 1.5em; font-size: 8pt; color: #444; }
@page { size: A4; margin: 15mm; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""


def _table(header: list[str], rows: list[list[tuple[str, bool]]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{_e(v)}</td>' if num else f"<td>{_e(v)}</td>"
                                    for v, num in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _audit_table(rows: list[Mapping[str, Any]], m: Mapping[str, str]) -> str:
    metrics = ("auc", "calibration_intercept", "calibration_slope", "fpr_middle_or_high", "fnr_middle_or_high",
               "fpr_high", "fnr_high", "ppv_high")
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        cell = cells.setdefault((r["group_variable"], r["group"]), {"n": r["n"]})
        if r["metric"] in metrics and r["estimate"] is not None:
            ci = "" if r["ci_low"] is None else f" [{r['ci_low']:.2f}, {r['ci_high']:.2f}]"
            cell[r["metric"]] = f"{r['estimate']:.2f}{ci}"
    body = [[(var, False), (group, False), ("" if c["n"] is None else f"{c['n']:,}", True),
             *((c.get(k, ""), True) for k in metrics)] for (var, group), c in cells.items()]
    return _table([m["group_variable"], m["group"], "n", *(_LABELS[k] for k in metrics)], body)


def model_card_html(model: Any, lang: str = "en") -> str:
    """The model card as one self-contained, printable HTML page (every text escaped).

    Parameters
    ----------
    model : Model
        A model file's content (:func:`fip.predict.load_model`) with a ``model_card`` block.
    lang : str
        A message-catalogue language (``en``, ``da``) for headings and texts.

    Raises
    ------
    ValueError
        The model file has no ``model_card`` block (written by an older fip), or an unknown
        ``lang``.
    """
    content = model.content
    if "model_card" not in content:
        raise ValueError("the model file has no model card (written by an older fip); retrain it with `fip train`")
    m = section(lang, "model_card")
    f = _facts(content)
    texts = _texts(lang, f)
    card = content["model_card"]
    fairness = content.get("fairness") or {"rows": [], "bootstrap": {"replicates": 0, "level": 0.95}}
    boot = fairness.get("bootstrap", {})
    cuts = card["audit"]["cuts"]
    metrics_rows = [[(_LABELS[k], False), (_num(v, 3), True)] for k, v in card["metrics"].items()]
    gaps = [[(g["group_variable"], False), (_LABELS.get(g["metric"], g["metric"]), False),
             (f"{g['lowest_group']}: {g['lowest']:.2f}", False), (f"{g['highest_group']}: {g['highest']:.2f}", False)]
            for g in card["audit"]["gaps"]]
    parts = [
        "<!DOCTYPE html>", f'<html lang="{_e(lang)}"><head><meta charset="utf-8">',
        f"<title>{_e(m['title'].format(kind=f['kind']))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(m['title'].format(kind=f['kind']))}</h1>",
        f"<h2>{_e(m['purpose_heading'])}</h2><p>{_e(texts['purpose'])}</p>",
        f'<div class="rule"><h2>{_e(m["not_a_decision_heading"])}</h2><p>{_e(texts["not_a_decision"])}</p>',
        f"<h2>{_e(m['override_heading'])}</h2><p>{_e(texts['override'])}</p></div>",
        f"<h2>{_e(m['intended_use_heading'])}</h2><p>{_e(texts['intended_use'])}</p>",
        f"<h2>{_e(m['data_heading'])}</h2><p>{_e(texts['data'])}</p>",
        f"<h2>{_e(m['features_heading'])}</h2><p>{_e(texts['features'])}</p>",
        f"<p>{_e(', '.join(f['controls']))}</p>" if f["controls"] else "",
        f"<h2>{_e(m['metrics_heading'])}</h2>", _table([m["metric"], m["value"]], metrics_rows),
        f"<h2>{_e(m['audit_heading'])}</h2>",
        "<p>" + _e(m["audit_text"].format(level=round(100 * boot.get("level", 0.95)), b=boot.get("replicates", 0),
                                          c0=cuts[0], c1=cuts[1], k=f["k"])) + "</p>",
        f"<h2>{_e(m['gaps_heading'])}</h2>" if gaps else "",
        _table([m["group_variable"], m["metric"], m["lowest"], m["highest"]], gaps) if gaps else "",
        _audit_table(fairness["rows"], m),
        f"<h2>{_e(m['limits_heading'])}</h2><ul>" + "".join(f"<li>{_e(x)}</li>" for x in texts["limits"]) + "</ul>",
        "<footer>" + _e(m["footer"].format(sha=model.sha256[:16], version=content.get("fip_version", ""),
                                           created=content.get("created_at", ""))) + "</footer>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
