"""Calibration of any jzsim model against observations: :class:`Calibration`.

The likelihood of a parameter vector is the product over observations of a normal density on the
comparison scale of each observation kind (:mod:`jzsim.calibration.observations`). Every evaluation
is vectorized: a matrix of parameter vectors (one column each of the kernel's parameter matrix,
the other parameters at their nominal or fixed values) is integrated in ONE kernel call, so

* ``method="ml"`` / ``"map"``: L-BFGS-B on the unbounded transform (:class:`~jzsim.calibration.priors.Transform`)
  gets each gradient from one call of ``2k + 1`` columns (central differences) and the Hessian at
  the optimum from one call of ``2k^2 + 1`` columns; intervals are Wald intervals on the transformed
  scale mapped back (so they stay inside the range), the parameters' covariance by the delta method;
* ``method="importance"``: the posterior by importance sampling from the Laplace approximation
  at the MAP: proposals from a Student-t (4 degrees of freedom) on the transformed scale, mixed
  with 20% prior draws so that no weight can blow up (defensive importance sampling, Hesterberg
  1995), each round evaluated in ONE kernel call, weighted by posterior / proposal; two more
  rounds move the Student-t to the weighted moments (population Monte Carlo); then resampled. Where
  the posterior is skewed or pressed against the edge of a range, where Wald intervals fail, the
  weights correct the shape; the effective sample size is reported (a small one says: use mcmc).
  Intervals are the sample's equal-tailed quantiles;
* ``method="mcmc"``: the affine-invariant ensemble sampler of emcee (Goodman & Weare 2010;
  Foreman-Mackey et al. 2013) with ``vectorize=True``: each half-ensemble update is one kernel call.
  Priors are the declared distributions; the chain starts around the MAP.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from jzsim.calibration.observations import ResolvedObservations, load_observations, resolve
from jzsim.calibration.priors import Transform, log_prior

__all__ = ["Calibration", "PLAN_FREE_PARAMETERS", "plan_calibration"]

METHODS = ("ml", "map", "importance", "mcmc")
POSTERIOR_METHODS = ("importance", "mcmc")  # results are a posterior sample, intervals its quantiles
_LOG_2PI = float(np.log(2 * np.pi))
Z_BOUND = 12.0  # |z| limit of the optimiser: logit 12 is 6e-6 of a range from its edge

#: Parameters the plan model's back-cast calibration fits by default: growth (TFP, capital,
#: investment, prices), structure, population and migration, incomes, farm water.
PLAN_FREE_PARAMETERS = (
    "tfp_growth",
    "capital_output_ratio",
    "capital_elasticity",
    "investment_rate",
    "depreciation_rate",
    "inflation_rate",
    "tertiary_share_base",
    "va_primary_base",
    "pop_base",
    "urbanisation_base",
    "fertility_base",
    "capital_per_job_growth",
    "net_migration_rate",
    "rural_urban_migration_rate",
    "income_elasticity_urban",
    "income_elasticity_rural",
    "irrigation_quota_grain",
)


class Calibration:
    """A calibration problem: a model, observations and the parameters to fit. Work happens in
    :meth:`fit`.

    Parameters
    ----------
    model : jzsim.engine.Model
        Any model; its parameters declared with :meth:`~jzsim.engine.Model.add_parameter` carry
        their distributions (the priors of ``method="mcmc"`` and ``"map"``).
    observations : path, DataFrame or None
        See :func:`jzsim.calibration.load_observations`; None: the packaged observations, of which
        rows the model lacks (variable or year) are left out and listed in the summary. A user's
        observations must all fit the model (else ``ValueError`` naming the row), unless ``strict``
        is False.
    params : sequence of str
        Parameters to fit (each needs a range: ``low`` and ``high``).
    fixed : mapping, optional
        Parameter name -> number fixed in every evaluation (e.g. the back-cast's start values).
    prior_modes : mapping, optional
        Fitted parameter -> a value its prior is moved to (e.g. its 2010 start value, where the
        declared distribution is about 2020): the nominal value and mode become it, and the range
        is scaled by ``value / declared value`` (widened to include it when that is not positive).
    backend : {"numpy", "numba"}, default "numpy"
    strict : bool, optional
        Refuse any observation the model cannot use (default: True for a user's observations,
        False for the packaged ones, whose unusable rows are listed in the summary with the reason).
    **settings
        ``start``, ``stop``, ``dt``, ``method`` of the runs (default: the model's).

    Examples
    --------
    >>> from jzsim.calibration import plan_calibration
    >>> res = plan_calibration().fit("ml")           # doctest: +SKIP
    >>> res.conf_int(0.1)                            # doctest: +SKIP
    """

    def __init__(
        self,
        model,
        observations: Any = None,
        params: Sequence[str] = (),
        *,
        fixed: Mapping[str, float] | None = None,
        prior_modes: Mapping[str, float] | None = None,
        backend: str = "numpy",
        strict: bool | None = None,
        **settings: Any,
    ):
        from jzsim.uncertainty.montecarlo import declared_parameters, run_parameters

        if backend not in ("numpy", "numba"):
            raise ValueError(f"backend is {backend!r}; allowed: 'numpy', 'numba'")
        self.model = model
        self.cm = model.build()
        self.rs = self.cm.settings_for(dict(settings))
        self.settings = dict(settings)
        self.backend = backend
        self.fixed = {k: float(v) for k, v in (fixed or {}).items()}
        params = [params] if isinstance(params, str) else list(params)
        if not params:
            raise ValueError("params is empty; allowed: the names of one or more parameters to fit")
        declared = {p.name: p for p in declared_parameters(self.cm)}
        for name in params:
            if name not in declared:
                import difflib

                close = difflib.get_close_matches(name, list(declared), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise KeyError(f"unknown parameter {name!r} in model {self.cm.name!r}{hint}")
            if name in self.fixed:
                raise ValueError(f"parameter {name!r} is both fitted and fixed; allowed: one of them")
        if len(set(params)) != len(params):
            raise ValueError(f"params {params} name a parameter twice")
        all_params = run_parameters(self.cm, self.fixed, None)
        for name, v in (prior_modes or {}).items():
            if name not in params:
                raise ValueError(f"prior_modes names {name!r}, which is not among the fitted params {params}")
            i = next(i for i, p in enumerate(all_params) if p.name == name)
            all_params[i] = _moved(all_params[i], float(v))
        self.parameters = [next(p for p in all_params if p.name == n) for n in params]
        for p in self.parameters:
            if p.low is None or p.high is None or not p.low < p.high:
                raise ValueError(
                    f"parameter {p.name!r} has no range to fit within (low {p.low}, high {p.high}); "
                    "allowed: parameters declared with low < high"
                )
        self.names = [p.name for p in self.parameters]
        self.user_observations = observations is not None
        self.observations = load_observations(observations)
        strict = self.user_observations if strict is None else bool(strict)
        self.obs: ResolvedObservations = resolve(self.observations, self.cm, self.rs, strict=strict)
        self.transform = Transform(self.parameters)
        self._base = np.array([p.value for p in all_params], dtype=float)
        self._free_rows = np.array([[p.name for p in all_params].index(n) for n in self.names])
        self.kernel_calls = 0
        self.evaluations = 0

    # ------------------------------------------------------------------ evaluation
    def run(self, x: np.ndarray, names: Sequence[str] | None = None) -> np.ndarray:
        """Kernel output for parameter rows ``x`` (shape ``(n, k)``, natural units): ONE kernel call,
        shape ``(len(names), n, n_times)`` (default names: those the observations read)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        n = x.shape[0]
        P = np.repeat(self._base[:, None], n, axis=1)
        P[self._free_rows] = x.T
        names = self.obs.names if names is None else list(names)
        with np.errstate(all="ignore"):
            out = self.cm.integrate(list(P), self.rs, backend=self.backend, names=names, check=False)
        self.kernel_calls += 1
        self.evaluations += n
        return out

    def loglike(self, x: np.ndarray) -> np.ndarray:
        """Log likelihood of each row of ``x`` (natural units), shape ``(n,)``; -inf where the model
        gives no finite prediction."""
        pred = self.obs.predict(self.run(x))
        r = (pred - self.obs.target[:, None]) / self.obs.sd[:, None]
        ll = -0.5 * (r**2).sum(axis=0) - np.log(self.obs.sd).sum() - 0.5 * _LOG_2PI * len(self.obs.sd)
        return np.where(np.isfinite(ll), ll, -np.inf)

    def log_prior(self, x: np.ndarray) -> np.ndarray:
        return log_prior(self.parameters, x)

    def _objective_z(self, Z: np.ndarray, prior: bool) -> np.ndarray:
        x = self.transform.to_x(Z)
        f = self.loglike(x)
        if prior:
            f = f + self.log_prior(x) + self.transform.log_jacobian(Z)
        return f

    # ------------------------------------------------------------------------- fit
    def fit(
        self,
        method: str = "ml",
        *,
        seed: int = 0,
        starts: int = 64,
        walkers: int | None = None,
        steps: int = 1000,
        burn: int | None = None,
        sample_size: int = 2000,
        proposals: int = 4000,
        restarts: int = 3,
        progress: bool = False,
    ):
        """Estimate the parameters.

        Parameters
        ----------
        method : {"ml", "map", "importance", "mcmc"}, default "ml"
            Maximum likelihood, maximum a posteriori (likelihood times the declared priors), or the
            posterior by importance sampling around the MAP (one kernel call of ``proposals``
            columns) or by an ensemble MCMC sampler (emcee).
        seed : int, default 0
            Seed of the start points and of the sampler.
        starts : int, default 64
            Prior draws evaluated (in one kernel call) to pick the optimiser's start, besides the
            nominal values.
        walkers, steps, burn : int, optional
            ``mcmc``: ensemble size (default ``max(8k, 64)``, even; the compiled kernel costs
            about the same per call up to 4096 columns, so larger ensembles are nearly free), steps (default 1000) and steps
            discarded (default half).
        sample_size : int, default 2000
            Posterior (``importance``, ``mcmc``) or Laplace (``ml``, ``map``) sample kept in the results.
        proposals : int, default 4000
            ``importance``: proposals evaluated per round (one kernel call each).
        restarts : int, default 3
            Optimiser runs, from the best ``restarts`` of the start points; the best optimum is kept.
        progress : bool, default False
            ``mcmc``: emcee's progress bar.

        Returns
        -------
        CalibrationResults
        """
        from jzsim.calibration.results import CalibrationResults

        if method not in METHODS:
            import difflib

            close = difflib.get_close_matches(str(method), METHODS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"method is {method!r}; allowed: {', '.join(METHODS)}{hint}")
        t0 = time.perf_counter()
        self.kernel_calls = self.evaluations = 0
        rng = np.random.default_rng(seed)
        prior = method != "ml"
        if method == "importance" and int(proposals) < 100:
            raise ValueError(f"proposals is {proposals!r}; allowed: an integer >= 100")
        z_hat, opt = self._optimise(prior, rng, starts, restarts)
        H = self._hessian(z_hat, prior)
        cov_z, info = _invert(H)
        cov_sample, _ = _invert(H, MIN_CURVATURE)
        info.update(opt)
        x_hat = self.transform.to_x(z_hat)
        if method == "mcmc":
            sample, mc_info = self._mcmc(z_hat, cov_sample, rng, walkers, steps, burn, sample_size, progress)
            info.update(mc_info)
        elif method == "importance":
            sample, is_info = self._importance(z_hat, cov_sample, rng, proposals, sample_size)
            info.update(is_info)
        else:
            sample = self.transform.to_x(rng.multivariate_normal(z_hat, cov_sample, size=sample_size, method="eigh"))
        info.update(wall_seconds=time.perf_counter() - t0, kernel_calls=self.kernel_calls, evaluations=self.evaluations)
        return CalibrationResults.from_fit(self, method, x_hat, z_hat, cov_z, sample, info, seed)

    def _optimise(
        self, prior: bool, rng: np.random.Generator, starts: int, restarts: int = 3
    ) -> tuple[np.ndarray, dict]:
        from jzsim.uncertainty.distributions import ppf_rows

        nominal = np.array([p.value for p in self.parameters])
        u = rng.random((len(self.parameters), max(int(starts), 0)))
        draws = ppf_rows([_as_prior(p) for p in self.parameters], u).T if starts else np.empty((0, len(nominal)))
        cand = np.vstack([nominal, draws])
        Z = np.clip(self.transform.to_z(cand), -Z_BOUND + 1, Z_BOUND - 1)
        f = self._objective_z(Z, prior)
        if not np.isfinite(f).any():
            raise FloatingPointError(
                "no start point gives a finite likelihood: every run has a non-finite or non-positive "
                "value where the observations compare logs; check the fixed values and ranges"
            )
        k = len(nominal)
        h = 1e-4

        def fun(z):
            pts = np.vstack([z, z + h * np.eye(k), z - h * np.eye(k)])
            v = -self._objective_z(pts, prior)
            if not np.isfinite(v[0]):
                return 1e300, np.zeros(k)
            g = (v[1 : k + 1] - v[k + 1 :]) / (2 * h)
            return v[0], np.where(np.isfinite(g), g, 0.0)

        best = None
        if int(restarts) < 1:
            raise ValueError(f"restarts is {restarts!r}; allowed: an integer >= 1")
        for z0 in Z[np.argsort(-f)[: int(restarts)]]:  # the best starts
            res = optimize.minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=[(-Z_BOUND, Z_BOUND)] * k)
            if best is None or res.fun < best.fun:
                best = res
        at_bound = [n for n, z in zip(self.names, best.x) if abs(z) > Z_BOUND - 0.5]
        return best.x, {
            "converged": bool(best.success),
            "optimiser_message": str(best.message),
            "iterations": int(best.nit),
            "at_bound": at_bound,
        }

    def _hessian(self, z: np.ndarray, prior: bool, h: float = 1e-3, rounds: int = 2) -> np.ndarray:
        """Hessian of the negative objective at ``z``, measured at the scale of the posterior.

        The model has kinks (lookup tables are piecewise linear, flows are clipped at zero), so
        central differences with a tiny step measure the curvature of a kink, not of the
        likelihood over its width (on the plan back-cast, step 1e-4 gives eigenvalues 4,600-7,700
        where step 1e-2 gives 100-340, while a one-sd slice falls by 0.2 instead of 0.5). A first
        estimate with step ``h`` gives the axes and widths; each of ``rounds`` more takes central
        differences along those axes with steps of one standard deviation (at most 2 on the logit
        scale): a secant curvature over the width the intervals span. One kernel call each.
        """
        k = len(z)
        H = self._hessian_along(z, prior, np.eye(k) * h)
        for _ in range(rounds):
            if not np.all(np.isfinite(H)):
                break
            w, V = np.linalg.eigh(0.5 * (H + H.T))
            step = np.minimum(1.0 / np.sqrt(np.maximum(w, MIN_CURVATURE)), 2.0)
            H_new = self._hessian_along(z, prior, V * step)
            if not np.all(np.isfinite(H_new)):
                break
            H = H_new
        return H

    def _hessian_along(self, z: np.ndarray, prior: bool, B: np.ndarray) -> np.ndarray:
        """Hessian at ``z`` from central differences along the columns of ``B`` (steps in z), in one
        kernel call of ``2k^2 + 1`` columns, returned in z coordinates."""
        k = len(z)
        E = B.T  # row i: the step along axis i
        h = 1.0
        pts = [z]
        pts += [z + E[i] for i in range(k)] + [z - E[i] for i in range(k)]
        pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
        for i, j in pairs:
            pts += [z + E[i] + E[j], z + E[i] - E[j], z - E[i] + E[j], z - E[i] - E[j]]
        v = -self._objective_z(np.array(pts), prior)
        f0, fp, fm = v[0], v[1 : k + 1], v[k + 1 : 2 * k + 1]
        H = np.diag((fp - 2 * f0 + fm) / h**2)
        quad = v[2 * k + 1 :].reshape(-1, 4)
        for (i, j), q in zip(pairs, quad):
            H[i, j] = H[j, i] = (q[0] - q[1] - q[2] + q[3]) / (4 * h * h)
        Binv = np.linalg.inv(B)
        return Binv.T @ H @ Binv

    def _importance(self, z_hat, cov_z, rng, proposals, sample_size, df=4.0, defensive=0.2, rounds=3):
        """Posterior sample by defensive, adaptive importance sampling (see the module docstring):
        the first proposal is centred on the MAP with the Laplace covariance, each later one on the
        weighted mean and covariance of the round before (population Monte Carlo, Cappe et al.
        2004); the last round's weights give the sample. One kernel call per round."""
        n = int(proposals)
        k = len(z_hat)
        n_prior = int(round(defensive * n))
        loc, shape = np.asarray(z_hat, float), np.asarray(cov_z, float)
        for r in range(rounds):
            Z, w, ess = self._importance_round(loc, shape, rng, n, n_prior, df, defensive)
            if r + 1 < rounds and ess >= 4 * k:
                loc = w @ Z
                d = Z - loc
                shape = (d * w[:, None]).T @ d * (df - 2) / df + 1e-9 * np.eye(k)
        # systematic resampling: each proposal kept about w * sample_size times, less noise than multinomial
        u = (rng.random() + np.arange(sample_size)) / sample_size
        idx = np.minimum(np.searchsorted(np.cumsum(w), u), n - 1)
        sample = self.transform.to_x(Z[rng.permutation(idx)])
        return sample, {
            "proposals": n,
            "importance_rounds": rounds,
            "effective_sample_size": ess,
            "importance_note": "ok" if ess >= 200 else f"effective sample size {ess:.0f} is small: use mcmc",
        }

    def _importance_round(self, loc, shape, rng, n, n_prior, df, defensive):
        from jzsim.uncertainty.distributions import ppf_rows

        k = len(loc)
        t_dist = stats.multivariate_t(loc=loc, shape=shape, df=df, allow_singular=True)
        Zt = np.atleast_2d(t_dist.rvs(size=n - n_prior, random_state=rng)).reshape(-1, k)
        Xp = ppf_rows([_as_prior(p) for p in self.parameters], rng.random((k, n_prior))).T.reshape(-1, k)
        Z = np.vstack([Zt, self.transform.to_z(Xp)])
        with np.errstate(divide="ignore"):
            log_prior_z = self.log_prior(self.transform.to_x(Z)) + self.transform.log_jacobian(Z)
            log_q = np.logaddexp(np.log1p(-defensive) + t_dist.logpdf(Z), np.log(defensive) + log_prior_z)
        log_post = self._objective_z(Z, True)
        log_w = np.where(np.isfinite(log_post) & np.isfinite(log_q), log_post - log_q, -np.inf)
        if not np.isfinite(log_w).any():
            raise FloatingPointError("importance sampling: no proposal has a finite posterior density")
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        return Z, w, float(1.0 / np.sum(w**2))

    def _mcmc(self, z_hat, cov_z, rng, walkers, steps, burn, sample_size, progress):
        import emcee

        k = len(z_hat)
        nw = walkers or max(8 * k, 64)
        nw += nw % 2
        if nw < 2 * k:
            raise ValueError(f"walkers is {nw}; allowed: at least twice the number of parameters ({2 * k})")
        burn = steps // 2 if burn is None else int(burn)
        if not 0 <= burn < steps:
            raise ValueError(f"burn is {burn}; allowed: 0 <= burn < steps ({steps})")
        scale = np.linalg.cholesky(cov_z + 1e-12 * np.eye(k)) if np.all(np.isfinite(cov_z)) else np.eye(k) * 0.1
        p0 = z_hat + 0.5 * rng.standard_normal((nw, k)) @ scale.T
        p0 = np.clip(p0, -Z_BOUND, Z_BOUND)

        def logp(Z):
            return self._objective_z(np.atleast_2d(Z), True)

        sampler = emcee.EnsembleSampler(nw, k, logp, vectorize=True)
        state = emcee.State(p0, random_state=np.random.RandomState(int(rng.integers(2**31))).get_state())
        sampler.run_mcmc(state, steps, progress=progress)
        chain = sampler.get_chain(discard=burn, flat=True)
        tau = sampler.get_autocorr_time(discard=burn, quiet=True)
        idx = rng.choice(len(chain), size=min(sample_size, len(chain)), replace=False)
        return self.transform.to_x(chain[idx]), {
            "walkers": nw,
            "steps": int(steps),
            "burn": burn,
            "acceptance": float(np.mean(sampler.acceptance_fraction)),
            "autocorr_steps": float(np.nanmax(tau)),
        }


#: Least curvature the Laplace SAMPLE keeps on the logit scale: a direction the data do not
#: inform is drawn with sd 2 there, about uniformly over the parameter's range (expit of
#: N(0, 1.8^2) is close to uniform). Intervals keep the Hessian's own curvature (floored at 1e-8
#: of the largest), so a flat direction's interval spans the whole range: conservative.
MIN_CURVATURE = 0.25


def _invert(H: np.ndarray, floor: float | None = None) -> tuple[np.ndarray, dict]:
    """Covariance from the Hessian of the negative log objective on the logit scale; eigenvalues
    below ``floor`` (default 1e-8 of the largest; flat or concave directions, e.g. a parameter
    pressed against the edge of its range) are raised to it, and reported."""
    H = 0.5 * (H + H.T)
    if not np.all(np.isfinite(H)):
        k = len(H)
        return np.eye(k) / MIN_CURVATURE, {"hessian": "not finite: covariance set to 4 x identity (logit scale)"}
    w, V = np.linalg.eigh(H)
    floor = max(w.max(), 1.0) * 1e-8 if floor is None else floor
    flat = int((w < MIN_CURVATURE).sum())
    w = np.maximum(w, floor)
    cov = (V / w) @ V.T
    return cov, {
        "hessian": "well curved" if not flat else f"{flat} flat or concave directions (curvature < 0.25, logit)"
    }


def _moved(p, v: float):
    """``p`` with its prior moved to nominal value ``v`` (see ``prior_modes``)."""
    from dataclasses import replace

    if p.low is None or p.high is None:
        return replace(p, value=v)
    if p.value > 0 and v > 0:
        lo, hi = p.low * v / p.value, p.high * v / p.value
    else:
        lo, hi = min(p.low, v), max(p.high, v)
    valid = getattr(p, "valid", None)
    if valid is not None:
        lo, hi = max(lo, valid.low), min(hi, valid.high)
    return replace(p, value=v, low=min(lo, v), high=max(hi, v), source=f"calibrated: prior moved to {v:g} ({p.source})")


def _as_prior(p):
    """A parameter whose declared distribution can be drawn from for start points."""
    from dataclasses import replace

    return replace(p, distribution="uniform") if p.distribution == "fixed" else p


def plan_calibration(
    params: Sequence[str] | None = None,
    observations: Any = None,
    *,
    stop: float | None = None,
    backend: str = "numpy",
    model=None,
    strict: bool | None = None,
) -> Calibration:
    """The plan model's back-cast calibration: the plan model run from 2010 (start values of
    :func:`jzsim.plan.backcast_parameters` fixed) to 2020, against the packaged observations.

    Parameters
    ----------
    params : sequence of str, optional
        Parameters to fit (default :data:`PLAN_FREE_PARAMETERS`, those the model declares).
    observations : optional
        As in :class:`Calibration` (default: the packaged ones).
    stop : float, optional
        Last year (default 2020); e.g. 2017 for an out-of-sample check.
    backend : {"numpy", "numba"}
    model : Model, optional
        Default: :func:`jzsim.plan_model` from the back-cast start.
    strict : bool, optional
        As in :class:`Calibration`.
    """
    from jzsim import plan

    start = plan.BACKCAST_START
    stop = plan.BASE_YEAR if stop is None else float(stop)
    model = plan.plan_model(start=start, stop=stop) if model is None else model
    start_values = plan.backcast_parameters()
    declared = set(model.build().nominal())
    if params is None:
        params = [n for n in PLAN_FREE_PARAMETERS if n in declared]
    fixed = {k: v for k, v in start_values.items() if k not in set(params)}
    priors = {k: v for k, v in start_values.items() if k in set(params)}
    return Calibration(
        model,
        observations,
        params,
        fixed=fixed,
        prior_modes=priors,
        backend=backend,
        strict=strict,
        start=start,
        stop=stop,
    )


def normal_quantile(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def frame(names: Sequence[str], values: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(values), index=pd.Index(list(names), name="parameter"), columns=list(columns))
