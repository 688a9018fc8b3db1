"""Facts of the published study as data: ``configs/study.yaml``, loaded and checked once.

Which published table belongs to which item set, how many factors the study kept, its
loading threshold, which index family each factor analysis builds, and how the report's
sample groups map onto the codes of ``configs/schema.yaml``. The published numbers
themselves are in ``configs/fip_published.yaml`` (:mod:`fip.published`).

Examples
--------
>>> facts = study_facts()
>>> facts.published_tables["citizen"], facts.factors["both"], facts.loading_threshold
('4.7', 6, 0.3)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fip._resources import config_path, read_config
from fip.errors import ConfigError

__all__ = ["TIMING_SCHEMES", "StudyFacts", "study_facts"]

#: Codings of the regressions' timing controls (``regression.timing_dummies``).
TIMING_SCHEMES = ("year_and_quarter", "year_quarter")

_ITEM_SETS = ("citizen", "caseworker", "both")


@dataclass(frozen=True)
class StudyFacts:
    """The study's facts (read-only mappings).

    Attributes
    ----------
    factors : Mapping[str, int]
        Factors kept per item set (``citizen``, ``caseworker``, ``both``).
    published_tables : Mapping[str, str]
        Item set -> table id of its published varimax loadings (``"4.7"``).
    loading_threshold : float
        An item counts on a factor when ``|loading|`` is above this.
    index_families : Mapping[str, str]
        Item set -> index family of ``configs/indices.yaml`` its factor analysis builds.
    published_groups : Mapping[str, str]
        Gender code -> group name in the published sample tables (``female`` -> ``women``).
    education_groups : Mapping[str, tuple of str]
        The report's education categories -> education codes of the schema.
    until : str
        ISO date: the last day of the study's regression sample (its measurements of
        2017-2018), the default ``until`` of ``fip replicate``.
    timing_dummies : str
        Timing controls of the regressions: ``year_and_quarter`` (a dummy per year and per
        quarter of the year of round 2, the study's) or ``year_quarter`` (one per calendar
        quarter); see :data:`TIMING_SCHEMES`.
    source : str
        File name the facts were read from.
    """

    factors: Mapping[str, int]
    published_tables: Mapping[str, str]
    loading_threshold: float
    index_families: Mapping[str, str]
    published_groups: Mapping[str, str]
    education_groups: Mapping[str, tuple[str, ...]]
    until: str
    timing_dummies: str
    source: str


def _mapping(raw: Any, key: str, src: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"{src}: {key}: expected a non-empty mapping; got {raw!r}")
    return raw


def _subset(value: Mapping[str, Any], key: str, src: str, allowed: tuple[str, ...]) -> None:
    if unknown := [k for k in value if k not in allowed]:
        raise ConfigError(f"{src}: {key}.{unknown[0]}: unknown key; expected some of {list(allowed)}")


@cache
def _load(path: str | None) -> StudyFacts:
    from fip.data.dataset import iso_date
    from fip.data.schema import schema_codes

    p = Path(path) if path is not None else config_path("study.yaml")
    raw = read_config(p, "study.yaml", "study facts file")
    src = p.name
    top = _mapping(raw, "(top level)", src)
    fa = _mapping(top.get("factor_analysis"), "factor_analysis", src)
    sample = _mapping(top.get("sample"), "sample", src)

    factors = _mapping(fa.get("factors"), "factor_analysis.factors", src)
    if missing := [k for k in _ITEM_SETS if k not in factors]:
        raise ConfigError(f"{src}: factor_analysis.factors.{missing[0]}: missing (one per item set {list(_ITEM_SETS)})")
    _subset(factors, "factor_analysis.factors", src, _ITEM_SETS)
    for k, v in factors.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"{src}: factor_analysis.factors.{k}: expected a positive whole number; got {v!r}")

    tables = _mapping(fa.get("published_tables"), "factor_analysis.published_tables", src)
    _subset(tables, "factor_analysis.published_tables", src, _ITEM_SETS)
    for k, v in tables.items():
        if not isinstance(v, str) or not v:
            raise ConfigError(f"{src}: factor_analysis.published_tables.{k}: expected a table id in quotes "
                              f"such as \"4.7\"; got {v!r}")

    threshold = fa.get("loading_threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
        raise ConfigError(f"{src}: factor_analysis.loading_threshold: expected a number in (0, 1); got {threshold!r}")

    families = _mapping(fa.get("index_families"), "factor_analysis.index_families", src)
    _subset(families, "factor_analysis.index_families", src, _ITEM_SETS)
    for k, v in families.items():
        if not isinstance(v, str) or not v:
            raise ConfigError(f"{src}: factor_analysis.index_families.{k}: expected an index family name; got {v!r}")

    genders = schema_codes("persons", "gender")
    groups = _mapping(sample.get("published_groups"), "sample.published_groups", src)
    if list(groups) != list(genders) or not all(isinstance(v, str) and v for v in groups.values()):
        raise ConfigError(f"{src}: sample.published_groups: expected one group name per gender code of "
                          f"schema.yaml {list(genders)}, in that order; got {dict(groups)!r}")

    codes = schema_codes("persons", "education")
    education = _mapping(sample.get("education_groups"), "sample.education_groups", src)
    for k, v in education.items():
        if not isinstance(v, list) or not v or any(c not in codes for c in v):
            raise ConfigError(f"{src}: sample.education_groups.{k}: expected a list of education codes of "
                              f"schema.yaml {list(codes)}; got {v!r}")

    regression = _mapping(top.get("regression"), "regression", src)
    _subset(regression, "regression", src, ("until", "timing_dummies"))
    until = regression.get("until")
    try:
        until = iso_date(until, "until") if isinstance(until, str) else None
    except ValueError:
        until = None
    if until is None:
        raise ConfigError(f"{src}: regression.until: expected an ISO date in quotes such as \"2018-12-31\"; "
                          f"got {regression.get('until')!r}")
    timing = regression.get("timing_dummies")
    if timing not in TIMING_SCHEMES:
        raise ConfigError(f"{src}: regression.timing_dummies: expected one of {list(TIMING_SCHEMES)}; got {timing!r}")

    return StudyFacts(
        factors=MappingProxyType({str(k): int(v) for k, v in factors.items()}),
        published_tables=MappingProxyType({str(k): v for k, v in tables.items()}),
        loading_threshold=float(threshold),
        index_families=MappingProxyType({str(k): v for k, v in families.items()}),
        published_groups=MappingProxyType(dict(groups)),
        education_groups=MappingProxyType({str(k): tuple(v) for k, v in education.items()}),
        until=until,
        timing_dummies=str(timing),
        source=src,
    )


def study_facts(path: str | Path | None = None) -> StudyFacts:
    """The study's facts from ``configs/study.yaml`` (or ``path``), checked and cached.

    Parameters
    ----------
    path : str or Path, optional
        A file laid out like ``configs/study.yaml``.

    Returns
    -------
    StudyFacts

    Raises
    ------
    ConfigError
        One line naming the file and the key that is wrong.

    Examples
    --------
    >>> dict(study_facts().index_families)["both"]
    'combined_factors'
    """
    return _load(str(path) if path is not None else None)
