"""The questionnaire as data: respondents, domains, items, parallel items, scale.

The FIP instrument lives in ``configs/instrument.yaml``; municipalities' own instruments
(other items, another scale, more raters) load the same way from their own file. Nothing
else in fip assumes 11 items, two respondents or a 1-7 scale.

Examples
--------
>>> from fip.instrument import load_instrument
>>> fip = load_instrument()
>>> fip.version, len(fip.items), fip.scale.min, fip.scale.max
('fip-2017.1', 22, 1, 7)
>>> fip.item_ids("citizen")[:3]
('c01', 'c02', 'c03')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fip._resources import config_path, read_config
from fip.errors import ConfigError

__all__ = [
    "Domain",
    "Instrument",
    "Item",
    "ParallelGroup",
    "Respondent",
    "Scale",
    "load_instrument",
]

# Ids match the data as written: any case, e.g. psych's bfi items ``A1`` ... ``O5``.
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")

#: Respondent and domain of the items of an instrument file that names none.
DEFAULT_RESPONDENT = "respondent"
DEFAULT_DOMAIN = "all"


@dataclass(frozen=True)
class Scale:
    """Integer answer scale ``min``..``max``; ``anchors[lang][value]`` labels some points.

    ``continuous=True`` (``scale: continuous`` in the file): answers are any finite numbers
    (test scores); ``min`` and ``max`` are then ``None``.
    """

    min: int | None
    max: int | None
    anchors: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    continuous: bool = False

    @property
    def values(self) -> tuple[int, ...]:
        """All admissible answers, e.g. ``(1, 2, 3, 4, 5, 6, 7)`` (ValueError on a continuous scale)."""
        if self.continuous:
            raise ValueError("a continuous scale has no list of answers")
        return tuple(range(self.min, self.max + 1))

    @property
    def midpoint(self) -> float:
        if self.continuous:
            raise ValueError("a continuous scale has no midpoint")
        return (self.min + self.max) / 2


@dataclass(frozen=True)
class Respondent:
    """A type of rater filling in a form (e.g. the citizen, the caseworker)."""

    id: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class Domain:
    """A group of items about one competence (e.g. ``language``: Danish language skills)."""

    id: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class Item:
    """One question: who answers it, its domain, its wording and short label per language."""

    id: str
    respondent: str
    domain: str
    text: Mapping[str, str]
    short: Mapping[str, str]
    note: str | None = None


@dataclass(frozen=True)
class ParallelGroup:
    """Items asking the same thing of different respondents (``kind``: parallel or loose)."""

    items: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Instrument:
    """A validated questionnaire definition.

    Attributes
    ----------
    id, version : str
        Identifier and version; a model or dataset records the version it was made with.
    scale : Scale
    respondents : tuple of Respondent
        In the order of the file; the first is the one whose answers are "self-ratings".
    measurement_respondents : tuple of str
        Respondents whose forms in the same calendar month make one measurement.
    caseworker_from : str
        Respondent whose form gives a measurement's caseworker.
    domains : tuple of Domain
    items : tuple of Item
    parallel : tuple of ParallelGroup
    answer_languages, label_languages : tuple of str
        Both may be empty (an instrument file without them; labels are then the item ids).
    source : Path or None
        File the instrument was loaded from.
    pairs_forms : bool
        The file has a ``measurement`` section: forms carry dates and caseworkers and are
        paired into measurements (the FIP layout). Without it, a dataset is one ``forms``
        file (``person_id`` and the items, plus ``respondent`` when there are several) and
        an optional ``persons`` file with any background columns; every person has one
        measurement (:mod:`fip.data.minimal`).
    """

    id: str
    version: str
    name: Mapping[str, str]
    scale: Scale
    respondents: tuple[Respondent, ...]
    measurement_respondents: tuple[str, ...]
    caseworker_from: str
    domains: tuple[Domain, ...]
    items: tuple[Item, ...]
    parallel: tuple[ParallelGroup, ...]
    answer_languages: tuple[str, ...]
    label_languages: tuple[str, ...]
    source: Path | None = None
    pairs_forms: bool = True

    @property
    def respondent_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.respondents)

    def item_ids(self, respondent: str | None = None) -> tuple[str, ...]:
        """Item ids in file order, all of them or those of one respondent."""
        if respondent is not None and respondent not in self.respondent_ids:
            raise ValueError(
                f"respondent must be one of {', '.join(map(repr, self.respondent_ids))}; "
                f"got {respondent!r}"
            )
        return tuple(i.id for i in self.items if respondent is None or i.respondent == respondent)

    def item(self, item_id: str) -> Item:
        """The item with this id (``KeyError`` naming the id if unknown)."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(f"unknown item {item_id!r} in instrument {self.id!r}")

    def respondent_of(self) -> dict[str, str]:
        """Mapping item id -> respondent id."""
        return {i.id: i.respondent for i in self.items}

    def domain_of(self) -> dict[str, str]:
        """Mapping item id -> domain id."""
        return {i.id: i.domain for i in self.items}

    def label(self, item_id: str, lang: str = "da", short: bool = True) -> str:
        """Short (or full) wording of an item in ``lang``."""
        it = self.item(item_id)
        texts = it.short if short else it.text
        if not texts:  # an instrument file without wording: the id is the label
            return it.id
        if lang not in texts:
            raise ValueError(f"no {lang!r} label for item {item_id!r}; have {sorted(texts)}")
        return texts[lang]

    def pairs(self, a: str, b: str) -> list[tuple[str, str]]:
        """Parallel (item of ``a``, item of ``b``) pairs, in file order."""
        rof = self.respondent_of()
        out = []
        for group in self.parallel:
            by_resp = {rof[i]: i for i in group.items}
            if a in by_resp and b in by_resp:
                out.append((by_resp[a], by_resp[b]))
        return out


def _fail(source: str, key: str, message: str) -> ConfigError:
    return ConfigError(f"{source}: {key}: {message}")


def _req(mapping: Any, key: str, where: str, source: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        raise _fail(source, where, f"missing key {key!r}")
    return mapping[key]


def _labels(value: Any, where: str, source: str, languages: tuple[str, ...]) -> dict[str, str]:
    if value is None and not languages:  # labels are optional when the file names no label languages
        return {}
    if isinstance(value, str) and not languages:
        return {"en": value}
    if not isinstance(value, Mapping) or not value:
        raise _fail(source, where, "expected a mapping language -> text")
    missing = [lang for lang in languages if lang not in value or not str(value[lang]).strip()]
    if missing:
        raise _fail(source, where, f"missing text for label language(s) {missing}")
    return {str(k): str(v) for k, v in value.items()}


def _ids(entries: Any, where: str, source: str) -> list[Mapping[str, Any]]:
    if not isinstance(entries, list) or not entries:
        raise _fail(source, where, "expected a non-empty list")
    seen: set[str] = set()
    entries = [{"id": e} if isinstance(e, str) else e for e in entries]  # plain ids
    for k, entry in enumerate(entries):
        ident = _req(entry, "id", f"{where}[{k}]", source)
        if not isinstance(ident, str) or not _ID.match(ident):
            raise _fail(source, f"{where}[{k}].id",
                        f"{ident!r} is not an identifier (a letter, then letters, digits, '_' or '.')")
        if ident in seen:
            raise _fail(source, f"{where}[{k}].id", f"duplicate id {ident!r}")
        seen.add(ident)
    return entries


def instrument_from_dict(raw: Mapping[str, Any], source: str = "<instrument>") -> Instrument:
    """Build and validate an :class:`Instrument` from a parsed YAML mapping.

    Raises
    ------
    ConfigError
        Naming the file and key: duplicate ids, unknown respondents or domains, bad scale,
        parallel groups with unknown items, items of the same respondent or items used twice.
    """
    if not isinstance(raw, Mapping):
        raise _fail(source, "<top>", "expected a mapping")
    head = _req(raw, "instrument", "<top>", source)
    pairs_forms = "measurement" in raw
    label_languages = tuple(raw.get("label_languages", ("da", "en") if pairs_forms else ()))
    if pairs_forms:  # the FIP layout: forms name the language the citizen answered in
        answer_languages = tuple(_req(raw, "answer_languages", "<top>", source))
        if not answer_languages:
            raise _fail(source, "answer_languages", "expected at least one language")
    else:
        answer_languages = tuple(raw.get("answer_languages") or ())

    sc = _req(raw, "scale", "<top>", source)
    if sc == "continuous":
        scale = Scale(min=None, max=None, continuous=True)
    else:
        scale = _scale(sc, source)

    if "respondents" in raw or pairs_forms:
        respondents = tuple(
            Respondent(id=r["id"], label=_labels(r.get("label"), f"respondents.{r['id']}.label", source, label_languages))
            for r in _ids(_req(raw, "respondents", "<top>", source), "respondents", source)
        )
    else:
        respondents = (Respondent(id=DEFAULT_RESPONDENT, label={"en": "Respondent"}),)
    rids = [r.id for r in respondents]
    if "domains" in raw:
        domains = tuple(
            Domain(id=d["id"], label=_labels(d.get("label"), f"domains.{d['id']}.label", source, label_languages))
            for d in _ids(raw["domains"], "domains", source)
        )
    else:
        domains = (Domain(id=DEFAULT_DOMAIN, label={"en": "All items"}),)
    dids = {d.id for d in domains}

    items = []
    for it in _ids(_req(raw, "items", "<top>", source), "items", source):
        where = f"items.{it['id']}"
        resp = it.get("respondent", rids[0] if len(rids) == 1 else None)
        if resp is None:
            resp = _req(it, "respondent", where, source)
        if resp not in rids:
            raise _fail(source, f"{where}.respondent", f"unknown respondent {resp!r}; expected one of {rids}")
        dom = it.get("domain", DEFAULT_DOMAIN if "domains" not in raw else None)
        if dom is None:
            dom = _req(it, "domain", where, source)
        if dom not in dids:
            raise _fail(source, f"{where}.domain", f"unknown domain {dom!r}; expected one of {sorted(dids)}")
        text_raw = it.get("text") if not label_languages else _req(it, "text", where, source)
        text = _labels(text_raw, f"{where}.text", source, label_languages)
        short = _labels(it.get("short", text_raw), f"{where}.short", source, label_languages)
        items.append(Item(id=it["id"], respondent=resp, domain=dom, text=text, short=short, note=it.get("note")))
    if not label_languages:  # a file without label languages: those its texts use (``text: ...`` is English)
        label_languages = tuple(sorted({lang for i in items for lang in i.text}))
    declared = (set(rids) if "respondents" in raw else set()) | (dids if "domains" in raw else set())
    clash = sorted({i.id for i in items} & declared)
    if clash:
        raise _fail(source, "items", f"item ids {clash} clash with respondent or domain ids")
    rof = {i.id: i.respondent for i in items}

    parallel = []
    used: dict[str, int] = {}
    for k, group in enumerate(raw.get("parallel_items") or []):
        where = f"parallel_items[{k}]"
        members = tuple(_req(group, "items", where, source))
        kind = group.get("kind", "parallel")
        if kind not in ("parallel", "loose"):
            raise _fail(source, f"{where}.kind", f"expected 'parallel' or 'loose'; got {kind!r}")
        if len(members) < 2:
            raise _fail(source, where, "a parallel group needs at least two items")
        unknown = [m for m in members if m not in rof]
        if unknown:
            raise _fail(source, where, f"unknown item(s) {unknown}")
        resps = [rof[m] for m in members]
        if len(set(resps)) != len(resps):
            raise _fail(source, where, f"items {list(members)} must belong to different respondents; got {resps}")
        for m in members:
            if m in used:
                raise _fail(source, where, f"item {m!r} is already in parallel_items[{used[m]}]")
            used[m] = k
        parallel.append(ParallelGroup(items=members, kind=kind))

    meas = raw.get("measurement") or {}
    meas_resp = tuple(meas.get("respondents", rids))
    bad = [r for r in meas_resp if r not in rids]
    if bad or not meas_resp:
        raise _fail(source, "measurement.respondents", f"unknown respondent(s) {bad}; expected some of {rids}")
    caseworker_from = meas.get("caseworker_from", meas_resp[-1])
    if caseworker_from not in meas_resp:
        raise _fail(source, "measurement.caseworker_from", f"expected one of {list(meas_resp)}; got {caseworker_from!r}")
    for r in rids:
        if not any(i.respondent == r for i in items):
            raise _fail(source, "items", f"respondent {r!r} has no items")

    version = head.get("version", "1") if not pairs_forms else _req(head, "version", "instrument", source)
    return Instrument(
        id=str(_req(head, "id", "instrument", source)),
        version=str(version),
        name=dict(head.get("name") or {}),
        scale=scale,
        respondents=respondents,
        measurement_respondents=meas_resp,
        caseworker_from=caseworker_from,
        domains=domains,
        items=tuple(items),
        parallel=tuple(parallel),
        answer_languages=answer_languages,
        label_languages=label_languages,
        source=None,
        pairs_forms=pairs_forms,
    )


def _scale(sc: Any, source: str) -> Scale:
    """The ``scale: {min, max, anchors}`` section (``scale: continuous`` is handled by the caller)."""
    if not isinstance(sc, Mapping):
        raise _fail(source, "scale", f"expected {{min: 1, max: 7}} or 'continuous'; got {sc!r}")
    lo, hi = _req(sc, "min", "scale", source), _req(sc, "max", "scale", source)
    if not (isinstance(lo, int) and isinstance(hi, int)) or isinstance(lo, bool) or hi <= lo:
        raise _fail(source, "scale", f"min and max must be whole numbers with min < max; got {lo!r}, {hi!r}")
    anchors: dict[str, dict[int, str]] = {}
    for lang, points in (sc.get("anchors") or {}).items():
        anchors[str(lang)] = {}
        for point, text in points.items():
            if not isinstance(point, int) or not lo <= point <= hi:
                raise _fail(source, f"scale.anchors.{lang}", f"anchor {point!r} is not on the scale {lo}-{hi}")
            anchors[str(lang)][point] = str(text)
    return Scale(min=lo, max=hi, anchors=anchors)


def load_instrument(path: str | Path | None = None) -> Instrument:
    """Load and validate an instrument file (default: the FIP instrument shipped with fip).

    Parameters
    ----------
    path : str or Path, optional
        A YAML file laid out like ``configs/instrument.yaml``.

    Raises
    ------
    ConfigError
        If the file is missing, not YAML or not a valid instrument; the message names the
        file and the offending key.

    Examples
    --------
    >>> inst = load_instrument()
    >>> inst.pairs("citizen", "caseworker")[:2]
    [('c01', 'w01'), ('c03', 'w02')]
    """
    p = Path(path) if path is not None else config_path("instrument.yaml")
    raw = read_config(p, "instrument.yaml", "instrument file")
    inst = instrument_from_dict(raw, source=p.name)
    return _with_source(inst, p)


def _with_source(inst: Instrument, p: Path) -> Instrument:
    from dataclasses import replace

    return replace(inst, source=p)
