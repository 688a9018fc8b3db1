"""Likelihood-ratio DIF with a multi-group graded response model (IRTLRDIF / mirt ``DIF(scheme="drop")``).

The multi-group GRM: each group ``g`` has its own latent distribution N(μ_g, σ_g²), the
reference group N(0, 1); an *anchor* item has the same slope and intercepts in every group, a
*freed* item its own per group. The likelihood-ratio test of one studied item compares

* the constrained model: every item an anchor, the focal groups' μ and σ free, with
* the model that frees the studied item (all other items stay anchors: "all others as anchors"),

``χ² = 2 (LL_free − LL_constrained)`` with ``df = (G − 1) K_j`` (the freed slope and ``K_j − 1``
intercepts of each focal group). p-values are adjusted over the items (Holm or Bonferroni).
Effect sizes are expected-score differences (Meade 2010, as mirt's ``empirical_ES`` names them
for a normal focal distribution): with ``ES_g(θ) = Σ_k c_k P_gk(θ)`` the item's expected score
under group g's parameters on the item's own score values ``c_k``,

* ``sidn = ∫ [ES_focal(θ) − ES_ref(θ)] φ_focal(θ) dθ`` (signed item difference, focal minus
  reference, over the focal group's estimated N(μ_f, σ_f²)),
* ``uidn`` the same with ``|·|`` (unsigned: differences of both signs do not cancel),
* ``essd = sidn / s_pooled``, ``s_pooled`` the pooled within-group SD of the observed item score.

Marginal likelihood on the fixed grid of :func:`fip.irt.grm.quadrature_grid` (61 points on
[-6, 6]) with group weights ∝ the N(μ_g, σ_g²) density at the nodes; maximised directly (BFGS,
analytic gradient by Fisher's identity; default) or by Bock–Aitkin EM (``method="em"``, Newton
M-steps), the second algorithm used as a cross-check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from fip.irt.grm import _item_grad, _newton_item, _recode, _start_values, grm_category_probs, quadrature_grid

__all__ = ["LRDIFResult", "MultiGroupGRM", "fit_multigroup_grm", "lr_dif"]

_ADJUST = ("holm", "bonferroni")


def _label(value: object) -> str:
    """A group label as text: 2.0 (a numeric column with missing values) is shown as 2."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _normalised_log(lw: np.ndarray) -> np.ndarray:
    """``lw - log Σ exp(lw)`` (cheaper than scipy's general logsumexp, which dominated the latent steps)."""
    m = lw.max()
    return lw - (m + np.log(np.exp(lw - m).sum()))


@dataclass(frozen=True)
class MultiGroupGRM:
    """A fitted multi-group graded response model.

    Attributes
    ----------
    items : tuple of str
    groups : tuple of str
        Group labels, the reference group first.
    free_items : tuple of str
        Items with group-specific parameters (the others are anchors).
    categories : tuple of tuple of float
        Observed score values of each item (pooled over groups), lowest first.
    slopes : ndarray (G, J)
        mirt's ``a1`` of every item in every group (equal across groups for anchors).
    intercepts : tuple (G) of tuple (J) of ndarray
        mirt's ``d1 > d2 > ...``.
    latent_mean, latent_sd : ndarray (G,)
        The groups' latent distribution (reference: 0 and 1).
    loglik : float
    n_parameters : int
    group_sizes : pandas.Series
        Persons with at least one answer, per group.
    converged : bool
    iterations : int
    method : str
    """

    items: tuple[str, ...]
    groups: tuple[str, ...]
    free_items: tuple[str, ...]
    categories: tuple[tuple[float, ...], ...]
    slopes: np.ndarray
    intercepts: tuple[tuple[np.ndarray, ...], ...]
    latent_mean: np.ndarray
    latent_sd: np.ndarray
    loglik: float
    n_parameters: int
    group_sizes: pd.Series
    converged: bool
    iterations: int
    method: str
    quadrature: tuple[np.ndarray, np.ndarray] = field(repr=False)
    _x: np.ndarray = field(default=None, repr=False)

    @property
    def n_obs(self) -> int:
        """Persons in the fit (all groups)."""
        return int(self.group_sizes.sum())

    def tidy(self) -> pd.DataFrame:
        """``item, group, parameter, estimate``: a1, d1.. per item and group; ``latent`` rows ``mean``/``sd``."""
        rows = []
        for g, label in enumerate(self.groups):
            for j, item in enumerate(self.items):
                rows.append((item, label, "a1", float(self.slopes[g, j])))
                rows.extend((item, label, f"d{k}", float(v)) for k, v in enumerate(self.intercepts[g][j], start=1))
            rows.append(("latent", label, "mean", float(self.latent_mean[g])))
            rows.append(("latent", label, "sd", float(self.latent_sd[g])))
        return pd.DataFrame(rows, columns=["item", "group", "parameter", "estimate"])

    def expected_score(self, item: str, group: int, theta: np.ndarray) -> np.ndarray:
        """``E(X_item | θ)`` on the item's score values under group ``group``'s parameters."""
        j = self.items.index(item)
        p = grm_category_probs(np.asarray(theta, dtype=float), self.slopes[group, j], self.intercepts[group][j])
        return p @ np.asarray(self.categories[j])

    def latent_weights(self, group: int) -> np.ndarray:
        """The group's N(μ, σ²) weights on the quadrature nodes (summing to 1)."""
        nodes = self.quadrature[0]
        lw = -0.5 * ((nodes - self.latent_mean[group]) / self.latent_sd[group]) ** 2
        return np.exp(_normalised_log(lw))


class _MGModel:
    """Data and marginal log-likelihood of a multi-group GRM, parameters packed in one vector.

    Layout: item blocks ``[a, d1..d_{K-1}]`` (one per anchor item, one per group for a freed item),
    then ``μ_g, log σ_g`` for the focal groups g = 1..G-1.
    """

    def __init__(self, codes: np.ndarray, n_cats: list[int], gidx: np.ndarray, n_groups: int,
                 free: set[int], nodes: np.ndarray):
        self.n_cats, self.nodes, self.G = n_cats, nodes, n_groups
        J = codes.shape[1]
        self.block = np.empty((n_groups, J), dtype=int)  # block id of item j in group g
        starts, b = [], 0
        pos = 0
        for j in range(J):
            for g in range(n_groups):
                if j in free or g == 0:
                    self.block[g, j] = b
                    starts.append(pos)
                    pos += n_cats[j]
                    b += 1
                else:
                    self.block[g, j] = self.block[0, j]
        self.block_item = [j for j in range(J) for g in range(n_groups) if j in free or g == 0]
        self.starts = np.array(starts)
        self.n_item_params = pos
        self.size = pos + 2 * (n_groups - 1)
        rows = [np.flatnonzero(gidx == g) for g in range(n_groups)]
        # one indicator matrix per group, items side by side (N_g, Σ K_j): one matrix product per E-step
        self.cols = np.cumsum([0] + n_cats)
        self.onehot = [np.hstack([np.stack([(codes[r, j] == k) for k in range(n_cats[j])], axis=1)
                                  for j in range(J)]).astype(float) for r in rows]

    def item_params(self, x: np.ndarray, b: int) -> tuple[float, np.ndarray]:
        s = self.starts[b]
        return x[s], x[s + 1:s + self.n_cats[self.block_item[b]]]

    def latent(self, x: np.ndarray, g: int) -> tuple[float, float]:
        if g == 0:
            return 0.0, 1.0
        o = self.n_item_params + 2 * (g - 1)
        return float(x[o]), float(np.exp(x[o + 1]))

    def log_weights(self, mu: float, sd: float) -> np.ndarray:
        lw = -0.5 * ((self.nodes - mu) / sd) ** 2
        return _normalised_log(lw)

    def estep(self, x: np.ndarray) -> tuple[float, list[np.ndarray], np.ndarray]:
        """Log-likelihood, expected counts per block (Q, K) and expected node counts per group (G, Q)."""
        logp = [np.log(grm_category_probs(self.nodes, *self.item_params(x, b))).T for b in range(len(self.starts))]
        counts = [np.zeros((self.nodes.size, self.n_cats[self.block_item[b]])) for b in range(len(self.starts))]
        node_counts = np.zeros((self.G, self.nodes.size))
        ll = 0.0
        J = len(self.n_cats)
        for g in range(self.G):
            oh = self.onehot[g]
            if oh.shape[0] == 0:
                continue
            stacked = np.vstack([logp[self.block[g, j]] for j in range(J)])  # (Σ K_j, Q)
            logl = oh @ stacked
            logl += self.log_weights(*self.latent(x, g))[None, :]
            m = logl.max(axis=1, keepdims=True)
            logl -= m
            np.exp(logl, out=logl)
            tot = logl.sum(axis=1, keepdims=True)
            ll += float(np.sum(np.log(tot)) + np.sum(m))
            logl /= tot
            node_counts[g] = logl.sum(axis=0)
            r_all = logl.T @ oh  # (Q, Σ K_j)
            for j in range(J):
                counts[self.block[g, j]] += r_all[:, self.cols[j]:self.cols[j + 1]]
        return ll, counts, node_counts

    def latent_grad(self, mu: float, sd: float, n_q: np.ndarray) -> np.ndarray:
        """Gradient of ``Σ_q n_q log w_q(μ, σ)`` in (μ, log σ)."""
        w = np.exp(self.log_weights(mu, sd))
        z = self.nodes - mu
        N = n_q.sum()
        g_mu = float(n_q @ z - N * (w @ z)) / sd ** 2
        g_sd = float(n_q @ z ** 2 - N * (w @ z ** 2)) / sd ** 3
        return np.array([g_mu, g_sd * sd])

    def loglik_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        ll, counts, node_counts = self.estep(x)
        grad = np.zeros_like(x)
        for b, r in enumerate(counts):
            a, d = self.item_params(x, b)
            s = self.starts[b]
            grad[s:s + self.n_cats[self.block_item[b]]] = _item_grad(self.nodes, a, d, r)[1]
        for g in range(1, self.G):
            o = self.n_item_params + 2 * (g - 1)
            grad[o:o + 2] = self.latent_grad(*self.latent(x, g), node_counts[g])
        return ll, grad


def _newton_latent(model: _MGModel, mu: float, log_sd: float, n_q: np.ndarray) -> tuple[float, float]:
    """Maximise ``Σ_q n_q log w_q(μ, σ)`` over (μ, log σ): Newton steps, numeric Hessian, step halving."""
    def val(q):
        return float(n_q @ model.log_weights(q[0], np.exp(q[1]))), model.latent_grad(q[0], np.exp(q[1]), n_q)

    p = np.array([mu, log_sd])
    f, g = val(p)
    h = 1e-6
    for _ in range(50):
        H = np.array([(val(p + e)[1] - val(p - e)[1]) / (2 * h) for e in np.eye(2) * h])
        H = 0.5 * (H + H.T)
        try:
            step = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        if g @ step <= 0:
            step = g * 1e-3
        t = 1.0
        while t > 1e-8:
            f_new, g_new = val(p + t * step)
            if f_new >= f:
                break
            t /= 2
        else:
            break
        p, f, g = p + t * step, f_new, g_new
        if np.max(np.abs(t * step)) < 1e-10:
            break
    return float(p[0]), float(p[1])


def fit_multigroup_grm(frame: pd.DataFrame, group: pd.Series, *, free_items: tuple[str, ...] = (),
                       reference: str | None = None, method: str = "direct", n_quad: int = 61, bound: float = 6.0,
                       tol: float = 1e-7, max_iter: int = 5000, start: MultiGroupGRM | None = None) -> MultiGroupGRM:
    """Fit a multi-group GRM: reference group N(0, 1), focal groups' mean and SD free, anchors equal.

    Parameters
    ----------
    frame : DataFrame
        One column per item, one row per person, NaN for an unanswered item (every observed
        answer enters the likelihood); rows with no answer or no group are dropped.
    group : Series
        Group of each row (aligned on the index of ``frame``).
    free_items : tuple of str
        Items whose parameters are group-specific (default: none, the fully constrained model).
    reference : str, optional
        The reference group (default: the first label in sorted order).
    method : {"direct", "em"}
        Direct BFGS of the marginal log-likelihood (default) or Bock–Aitkin EM.
    start : MultiGroupGRM, optional
        A fit of the same data whose parameters start this one (e.g. the constrained model).

    Returns
    -------
    MultiGroupGRM

    Examples
    --------
    >>> from fip.irt.simulate import simulate_grm
    >>> a, d = np.array([1.5, 1.2, 1.0]), [np.array([1.0, -1.0])] * 3
    >>> x = pd.concat([simulate_grm(a, d, 300, seed=1), simulate_grm(a, d, 300, seed=2, theta_mean=0.5)],
    ...               ignore_index=True)
    >>> g = pd.Series(["r"] * 300 + ["f"] * 300)
    >>> fit = fit_multigroup_grm(x, g, reference="r")
    >>> fit.groups, bool(0.2 < fit.latent_mean[1] < 0.8)
    (('r', 'f'), True)
    """
    if method not in ("direct", "em"):
        raise ValueError(f"method must be one of 'direct', 'em'; got {method!r}")
    with threadpool_limits(1):  # small products: one BLAS thread is faster
        return _fit_multigroup(frame, group, free_items=free_items, reference=reference, method=method,
                               n_quad=n_quad, bound=bound, tol=tol, max_iter=max_iter, start=start)


def _fit_multigroup(frame: pd.DataFrame, group: pd.Series, *, free_items: tuple[str, ...], reference: str | None,
                    method: str, n_quad: int, bound: float, tol: float, max_iter: int,
                    start: MultiGroupGRM | None) -> MultiGroupGRM:
    g_all = group.reindex(frame.index)
    keep = frame.notna().any(axis=1) & g_all.notna()
    frame, g_all = frame.loc[keep], g_all[keep].map(_label)
    labels = sorted(g_all.unique())
    if reference is not None:
        if str(reference) not in labels:
            raise ValueError(f"reference: group {reference!r} not among the groups {', '.join(labels)}")
        labels.remove(str(reference))
        labels.insert(0, str(reference))
    if len(labels) < 2:
        raise ValueError(f"a multi-group model needs at least two groups, found {len(labels)}")
    items = [str(c) for c in frame.columns]
    unknown = [i for i in free_items if i not in items]
    if unknown:
        raise ValueError(f"free_items: {', '.join(unknown)} not among the items")
    codes, cats = _recode(frame)
    n_cats = [len(c) for c in cats]
    gidx = np.array([labels.index(v) for v in g_all])
    G = len(labels)
    free = {items.index(i) for i in free_items}
    nodes, weights = quadrature_grid(n_quad, bound)
    model = _MGModel(codes, n_cats, gidx, G, free, nodes)
    x = np.zeros(model.size)
    base = _start_values(codes, n_cats)
    offs = np.cumsum([0] + n_cats)
    for b, j in enumerate(model.block_item):
        s = model.starts[b]
        x[s:s + n_cats[j]] = base[offs[j]:offs[j + 1]]
    if start is not None:
        if start.items != tuple(items) or start.groups != tuple(labels):
            raise ValueError("start: a fit of other items or groups")
        for g in range(G):
            for j in range(len(items)):
                s = model.starts[model.block[g, j]]
                x[s] = start.slopes[g, j]
                x[s + 1:s + n_cats[j]] = start.intercepts[g][j]
            if g:
                o = model.n_item_params + 2 * (g - 1)
                x[o], x[o + 1] = start.latent_mean[g], np.log(start.latent_sd[g])
    converged, it = False, 0
    if method == "direct":
        def f(p):
            ll, gr = model.loglik_grad(p)
            return -ll, -gr

        res = optimize.minimize(f, x, jac=True, method="BFGS", options={"gtol": 1e-8, "maxiter": max_iter})
        x, it = res.x, int(res.nit)
        converged = bool(np.max(np.abs(model.loglik_grad(x)[1])) < 1e-3)
    else:
        for it in range(1, max_iter + 1):
            _, counts, node_counts = model.estep(x)
            new = x.copy()
            for b, r in enumerate(counts):
                s, k = model.starts[b], n_cats[model.block_item[b]]
                new[s:s + k] = _newton_item(nodes, x[s:s + k], r)
            for g in range(1, G):
                o = model.n_item_params + 2 * (g - 1)
                new[o], new[o + 1] = _newton_latent(model, x[o], x[o + 1], node_counts[g])
            change = float(np.max(np.abs(new - x)))
            x = new
            if change < tol:
                converged = True
                break
    ll = model.loglik_grad(x)[0]
    slopes = np.empty((G, len(items)))
    icpt: list[tuple[np.ndarray, ...]] = []
    for g in range(G):
        row = []
        for j in range(len(items)):
            a, d = model.item_params(x, model.block[g, j])
            slopes[g, j] = a
            row.append(np.array(d))
        icpt.append(tuple(row))
    lat = [model.latent(x, g) for g in range(G)]
    sizes = pd.Series(np.bincount(gidx, minlength=G), index=pd.Index(labels, name="group"), name="n")
    return MultiGroupGRM(
        items=tuple(items), groups=tuple(labels), free_items=tuple(i for i in items if items.index(i) in free),
        categories=tuple(cats), slopes=slopes, intercepts=tuple(icpt),
        latent_mean=np.array([m for m, _ in lat]), latent_sd=np.array([s for _, s in lat]), loglik=ll,
        n_parameters=model.size, group_sizes=sizes, converged=converged, iterations=it, method=method,
        quadrature=(nodes, weights), _x=x)


def _adjust(p: np.ndarray, how: str) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    out = np.full(p.size, np.nan)
    ok = ~np.isnan(p)
    q, m = p[ok], int(ok.sum())
    if how == "bonferroni":
        out[ok] = np.minimum(1.0, m * q)
        return out
    order = np.argsort(q)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * q[i]))
        adj[i] = running
    out[ok] = adj
    return out


@dataclass(frozen=True)
class LRDIFResult:
    """Likelihood-ratio DIF of every studied item against a set of anchor items.

    Attributes
    ----------
    table : DataFrame
        One row per item: ``item, n, chi2, df, p, p_adjusted, loglik_free, focal, sidn, uidn, essd,
        anchor, note`` (``focal``: the focal group whose effect sizes are given, the one with the
        largest ``|sidn|`` when there are several; ``anchor``: the item was an anchor of the final
        tests; ``note``: why an item was not tested).
    effects : DataFrame
        ``item, focal, sidn, uidn, essd`` for every focal group.
    constrained : MultiGroupGRM
        The model with every item an anchor.
    baseline : MultiGroupGRM
        The model with the final anchors constrained and every other item free (= ``constrained``
        without purification); its latent means and SDs are the groups' impact.
    anchors : tuple of str
        The anchor items of the final tests.
    purified : bool
        True when a second round tested every item against the items not flagged in the first.
    adjust, method : str
    """

    table: pd.DataFrame
    effects: pd.DataFrame
    constrained: MultiGroupGRM
    baseline: MultiGroupGRM
    anchors: tuple[str, ...]
    purified: bool
    adjust: str
    method: str

    @property
    def group_sizes(self) -> pd.Series:
        return self.constrained.group_sizes

    @property
    def n_obs(self) -> int:
        return self.constrained.n_obs

    def tidy(self) -> pd.DataFrame:
        """The per-item table (a copy)."""
        return self.table.copy()


def _effects(fit: MultiGroupGRM, item: str, frame: pd.DataFrame, g_all: pd.Series) -> list[dict]:
    nodes = fit.quadrature[0]
    ref = fit.expected_score(item, 0, nodes)
    x = pd.to_numeric(frame[item], errors="coerce")
    out = []
    r_scores = x[g_all == fit.groups[0]].dropna()
    for g in range(1, len(fit.groups)):
        w = fit.latent_weights(g)
        diff = fit.expected_score(item, g, nodes) - ref
        f_scores = x[g_all == fit.groups[g]].dropna()
        dof = r_scores.size + f_scores.size - 2
        pooled = np.sqrt(((r_scores.size - 1) * r_scores.var(ddof=1) + (f_scores.size - 1) * f_scores.var(ddof=1)) / dof) \
            if dof > 0 else np.nan
        sidn = float(w @ diff)
        out.append({"item": item, "focal": fit.groups[g], "sidn": sidn, "uidn": float(w @ np.abs(diff)),
                    "essd": sidn / pooled if pooled and pooled > 0 else np.nan})
    return out


def _untestable(frame: pd.DataFrame, g_all: pd.Series, fit: MultiGroupGRM, item: str) -> str:
    j = fit.items.index(item)
    answered = frame[item].notna()
    missing = []
    for label in fit.groups:
        seen = set(pd.to_numeric(frame.loc[answered & (g_all == label), item]).unique())
        lack = [f"{c:g}" for c in fit.categories[j] if c not in seen]
        if lack:
            missing.append(f"{label} lacks {', '.join(lack)}")
    return "not tested: category absent in a group (" + "; ".join(missing) + ")" if missing else ""


def _lr_round(frame: pd.DataFrame, g_all: pd.Series, constrained: MultiGroupGRM, studied: list[str],
              anchors: tuple[str, ...], method: str, adjust: str):
    """One round of tests: item j compares free set F (non-anchors without j) with F ∪ {j}."""
    cache: dict[frozenset, MultiGroupGRM] = {frozenset(): constrained}
    untestable = {i: _untestable(frame, g_all, constrained, i) for i in constrained.items}
    non_anchors = frozenset(i for i in constrained.items if i not in anchors and not untestable[i])

    def fit(free: frozenset) -> MultiGroupGRM:
        if free not in cache:
            order = tuple(i for i in constrained.items if i in free)
            cache[free] = fit_multigroup_grm(frame, g_all, free_items=order, reference=constrained.groups[0],
                                             method=method, start=constrained)
        return cache[free]

    rows, effects = [], []
    for item in studied:
        j = constrained.items.index(item)
        df = (len(constrained.groups) - 1) * len(constrained.categories[j])
        row = {"item": item, "n": int(frame[item].notna().sum()), "chi2": np.nan, "df": df, "p": np.nan,
               "loglik_free": np.nan, "anchor": item in anchors, "note": untestable[item]}
        if not row["note"] and not set(anchors) - {item}:
            # freeing the only anchor leaves no item to fix the focal groups' latent mean and SD:
            # that fit is not identified (its effect sizes arbitrary, its df off by 2 per group)
            row["note"] = "the only anchor: testing it needs another anchor"
        if row["note"]:
            rows.append(row)
            continue
        base_set = non_anchors - {item}
        base, free = fit(base_set), fit(base_set | {item})
        chi2 = max(0.0, 2 * (free.loglik - base.loglik))
        row.update(chi2=chi2, p=float(stats.chi2.sf(chi2, df)), loglik_free=free.loglik,
                   note="" if free.converged and base.converged else "a model did not converge")
        eff = _effects(free, item, frame, g_all)
        effects.extend(eff)
        top = max(eff, key=lambda e: abs(e["sidn"]))
        row.update(focal=top["focal"], sidn=top["sidn"], uidn=top["uidn"], essd=top["essd"])
        rows.append(row)
    table = pd.DataFrame(rows)
    for c in ("focal", "sidn", "uidn", "essd"):
        if c not in table:
            table[c] = np.nan
    table.insert(table.columns.get_loc("p") + 1, "p_adjusted", _adjust(table["p"].to_numpy(dtype=float), adjust))
    table = table[["item", "n", "chi2", "df", "p", "p_adjusted", "loglik_free", "focal", "sidn", "uidn", "essd",
                   "anchor", "note"]]
    return table, pd.DataFrame(effects, columns=["item", "focal", "sidn", "uidn", "essd"]), fit(non_anchors)


def lr_dif(frame: pd.DataFrame, group: pd.Series, *, reference: str | None = None, adjust: str = "holm",
           method: str = "direct", items: tuple[str, ...] | None = None, anchors: tuple[str, ...] | None = None,
           purify: bool = False, alpha: float = 0.05) -> LRDIFResult:
    """Likelihood-ratio DIF of each item, all other items as anchors (or a given or purified anchor set).

    For each studied item the multi-group GRM that frees its slope and intercepts in the focal
    groups is compared with the model that constrains it; the anchors are constrained in both,
    the other items free in both (focal latent means and SDs always free):
    ``χ² = 2 (LL_free − LL_constrained)``, ``df = (G − 1) K_j``; p-values adjusted over the
    tested items (``adjust``: ``holm`` or ``bonferroni``).

    Parameters
    ----------
    frame : DataFrame
        Item answers, NaN for unanswered items (every observed answer is used).
    group : Series
        Group per row of ``frame``.
    reference : str, optional
        Reference group (default: first sorted label).
    adjust : {"holm", "bonferroni"}
    method : {"direct", "em"}
        Estimation algorithm of every fit.
    items : tuple of str, optional
        Items to study (default all).
    anchors : tuple of str, optional
        The anchor items (default: all items, i.e. all others as anchors for each studied item).
    purify : bool
        Two rounds: all others as anchors first, then every item tested again with the items not
        flagged in the first round (``p_adjusted < alpha``) as anchors (when some but not all were).
    alpha : float
        Level of the purification's first-round flags.

    Returns
    -------
    LRDIFResult

    Notes
    -----
    The default is IRTLRDIF's "all other items as anchors" design (mirt ``DIF(model, which.par
    = all parameters of the item, scheme = "drop")`` on a ``multipleGroup`` fit with
    ``invariance = c("free_means", "free_var", items)``). With one strongly biased item in a short
    scale that design makes the clean items look biased the other way (the biased anchor shifts
    the focal latent mean): ``purify=True`` (or chosen ``anchors``) is the remedy. An item in
    which a category is absent in some group cannot have that group's intercept estimated; it
    is not tested (``note``) and is free in every model of the round.

    Examples
    --------
    >>> from fip.irt.simulate import simulate_grm
    >>> a, d = np.array([1.5, 1.2, 1.0, 1.3, 1.4]), [np.array([1.0, -1.0])] * 5
    >>> shifted = [d[0], d[1], d[2] - 0.6, d[3], d[4]]
    >>> x = pd.concat([simulate_grm(a, d, 500, seed=1), simulate_grm(a, shifted, 500, seed=2)], ignore_index=True)
    >>> res = lr_dif(x, pd.Series(["r"] * 500 + ["f"] * 500), reference="r", purify=True)
    >>> res.tidy().loc[lambda t: t["p_adjusted"] < 0.05, "item"].tolist(), res.anchors
    (['x3'], ('x1', 'x2', 'x4', 'x5'))
    """
    if adjust not in _ADJUST:
        raise ValueError(f"adjust must be one of {', '.join(_ADJUST)}; got {adjust!r}")
    g_all = group.reindex(frame.index)
    keep = frame.notna().any(axis=1) & g_all.notna()
    frame, g_all = frame.loc[keep], g_all[keep].map(_label)
    constrained = fit_multigroup_grm(frame, g_all, reference=reference, method=method)
    studied = list(items) if items is not None else list(constrained.items)
    unknown = [i for i in studied + list(anchors or ()) if i not in constrained.items]
    if unknown:
        raise ValueError(f"items or anchors: {', '.join(unknown)} not among the items")
    if anchors is not None and not anchors:
        raise ValueError("anchors: at least one anchor item is needed")
    chosen = tuple(anchors) if anchors is not None else constrained.items
    table, effects, baseline = _lr_round(frame, g_all, constrained, studied, chosen, method, adjust)
    purified = False
    if purify and anchors is None:
        tested = table[table["chi2"].notna()]
        flagged = set(tested.loc[tested["p_adjusted"] < alpha, "item"])
        clean = tuple(i for i in constrained.items if i in set(tested["item"]) - flagged)
        if flagged and clean:
            chosen, purified = clean, True
            table, effects, baseline = _lr_round(frame, g_all, constrained, list(constrained.items) if items is None
                                                 else studied, chosen, method, adjust)
    return LRDIFResult(table=table, effects=effects, constrained=constrained, baseline=baseline,
                       anchors=tuple(chosen), purified=purified, adjust=adjust, method=method)
