"""What a calibration returns: :class:`CalibrationResults` (statsmodels-shaped), saved to netCDF.

``params`` (point estimates), ``cov`` / ``bse``, ``conf_int(alpha)``, ``sample(n, seed)``,
``summary()``, ``resid`` (one row per observation), ``fitted`` (trajectories of the observed
variables over the posterior or Laplace sample), ``fit_report()``, ``plot()``, ``to_netcdf`` /
:func:`load_calibration`, and ``hash`` (which a Monte Carlo run drawing from it records).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from jzsim.calibration.observations import KINDS

__all__ = ["CalibrationResults", "load_calibration"]

FITTED_DRAWS = 200  # sample draws whose trajectories are kept for the fit's intervals


@dataclass
class CalibrationResults:
    """The fitted parameters, their uncertainty and the fit.

    Attributes
    ----------
    method : str
        ``"ml"``, ``"map"``, ``"importance"`` or ``"mcmc"``.
    params : pandas.Series
        Point estimates in each parameter's units: the optimum (``ml``, ``map``) or the posterior
        median (``importance``, ``mcmc``).
    units : pandas.Series
    cov : pandas.DataFrame
        Covariance of the parameters: delta method from the Hessian (``ml``, ``map``) or of the
        posterior sample (``importance``, ``mcmc``).
    draws : numpy.ndarray
        The sample kept, shape ``(n, k)``: posterior (``importance``, ``mcmc``) or Laplace on the transformed
        scale (``ml``, ``map``).
    observations : pandas.DataFrame
        Observations used, with ``predicted`` (model at ``params``, the figure's scale), ``resid``
        and ``std_resid`` (on the comparison scale), ``predicted_low`` / ``predicted_high`` (5-95%
        over the sample).
    skipped : pandas.DataFrame
        Packaged observations the model could not use, with the reason.
    fitted : xarray.Dataset
        Observed variables over ``(draw, year)`` for ``FITTED_DRAWS`` sample draws, and
        ``<name>_point`` at ``params``.
    info : dict
        Log likelihood, convergence, wall time, kernel calls, sampler diagnostics.
    """

    method: str
    params: pd.Series
    units: pd.Series
    cov: pd.DataFrame
    draws: np.ndarray
    observations: pd.DataFrame
    skipped: pd.DataFrame
    fitted: xr.Dataset
    info: dict = field(default_factory=dict)
    priors: pd.DataFrame | None = None
    fixed: dict = field(default_factory=dict)
    model_name: str = ""
    settings: dict = field(default_factory=dict)
    alpha_z: Any = None  # (z_hat, cov_z) for Wald intervals of ml / map

    # ------------------------------------------------------------------ building
    @classmethod
    def from_fit(cls, cal, method, x_hat, z_hat, cov_z, sample, info, seed) -> CalibrationResults:
        from jzsim.calibration.estimation import POSTERIOR_METHODS

        names = cal.names
        posterior = method in POSTERIOR_METHODS
        if posterior:
            point = np.median(sample, axis=0)
            cov = np.cov(sample, rowvar=False).reshape(len(names), len(names))
        else:
            point = x_hat
            J = cal.transform.dx_dz(z_hat)
            cov = cov_z * np.outer(J, J)
        ll = float(cal.loglike(point[None, :])[0])
        info = {**info, "loglike": ll, "n_obs": len(cal.obs.target), "n_params": len(names), "seed": int(seed)}
        info["aic"] = 2 * len(names) - 2 * ll
        rs = cal.rs
        times = rs.save_times
        n_fit = min(FITTED_DRAWS, len(sample))
        runs = cal.run(np.vstack([point, sample[:n_fit]]))
        pred = cal.obs.predict(runs)
        obs = cal.obs.table.copy()
        obs["predicted"] = cal.obs.to_scale(pred[:, 0])
        obs["resid"] = obs["target"] - pred[:, 0]
        obs["std_resid"] = obs["resid"] / obs["sd"]
        lo, hi = np.nanquantile(cal.obs.to_scale(pred[:, 1:]), [0.05, 0.95], axis=1) if n_fit else (np.nan, np.nan)
        obs["predicted_low"], obs["predicted_high"] = lo, hi
        tdim = cal.cm.time_dim
        data = {}
        for i, n in enumerate(cal.obs.names):
            attrs = cal.cm.attrs_of(n)
            attrs = {k: v for k, v in attrs.items() if k in ("units", "description")}
            data[n] = (("draw", tdim), runs[i, 1:], attrs)
            data[f"{n}_point"] = ((tdim,), runs[i, 0], attrs)
        fitted = xr.Dataset(data, coords={"draw": np.arange(n_fit), tdim: times})
        priors = pd.DataFrame(
            [dict(distribution=p.distribution, value=p.value, low=p.low, high=p.high) for p in cal.parameters],
            index=pd.Index(names, name="parameter"),
        )
        return cls(
            method=method,
            params=pd.Series(point, index=pd.Index(names, name="parameter"), name="value"),
            units=pd.Series([p.units for p in cal.parameters], index=pd.Index(names, name="parameter")),
            cov=pd.DataFrame(cov, index=names, columns=names),
            draws=np.asarray(sample, dtype=float),
            observations=obs,
            skipped=cal.obs.skipped,
            fitted=fitted,
            info=info,
            priors=priors,
            fixed=dict(cal.fixed),
            model_name=cal.cm.name,
            settings={"start": float(times[0]), "stop": float(times[-1]), "backend": cal.backend},
            alpha_z=(np.asarray(z_hat), np.asarray(cov_z), cal.transform) if not posterior else None,
        )

    # ------------------------------------------------------------------ statsmodels-like
    @property
    def bse(self) -> pd.Series:
        """Standard errors (square roots of the diagonal of :attr:`cov`)."""
        return pd.Series(np.sqrt(np.diag(self.cov.values)), index=self.params.index, name="se")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """``1 - alpha`` intervals: Wald on the transformed scale mapped back (``ml``, ``map``: they
        stay inside each range) or equal-tailed posterior quantiles (``importance``, ``mcmc``)."""
        if not 0 < alpha < 1:
            raise ValueError(f"alpha is {alpha!r}; allowed: a number strictly between 0 and 1")
        if self.alpha_z is not None:
            from scipy import stats

            z, cov, tr = self.alpha_z
            q = float(stats.norm.ppf(1 - alpha / 2))
            se = np.sqrt(np.diag(cov))
            lo, hi = tr.to_x(z - q * se), tr.to_x(z + q * se)
        else:
            lo, hi = np.quantile(self.draws, [alpha / 2, 1 - alpha / 2], axis=0)
        return pd.DataFrame({"lower": lo, "upper": hi}, index=self.params.index)

    def sample(self, n: int, seed: int = 0) -> pd.DataFrame:
        """``n`` parameter vectors resampled (with replacement) from :attr:`draws` by ``seed``."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n is {n!r}; allowed: an integer >= 1")
        idx = np.random.default_rng(seed).integers(0, len(self.draws), size=n)
        return pd.DataFrame(self.draws[idx], columns=self.params.index)

    @property
    def resid(self) -> pd.Series:
        return self.observations["resid"]

    @property
    def hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the method, parameter names, draws and observations used."""
        h = hashlib.sha256()
        h.update(self.method.encode())
        h.update(",".join(self.params.index).encode())
        h.update(np.ascontiguousarray(self.draws, dtype=np.float64).tobytes())
        h.update(self.observations[["indicator", "year", "kind", "value", "sd"]].to_csv(index=False).encode())
        return h.hexdigest()[:16]

    @property
    def start_values(self) -> list[str]:
        """Fitted parameters that are values of the start year (names ending ``_base`` or
        ``_initial``, the plan's convention): they describe the calibration's first year only."""
        return [n for n in self.params.index if n.endswith(("_base", "_initial"))]

    def uncertainty(self, start: float | None = None) -> dict:
        """Distributions for :func:`jzsim.monte_carlo`: each fitted parameter drawn from its column
        of :attr:`draws`, all through one shared stream, so that draw ``i`` of a run takes one row
        (the parameters' joint distribution, correlations included) whatever the chunking.

        ``start``: the first year of the run they are for; if it is not the calibration's, the
        :attr:`start_values` are left out (a 2010 population is not a 2020 one).
        """
        from jzsim.uncertainty.distributions import Empirical

        stream = f"calibration/{self.hash}"
        skip = set(self.start_values) if start is not None and start != self.settings.get("start", start) else set()
        return {
            n: Empirical(tuple(self.draws[:, j]), stream=stream)
            for j, n in enumerate(self.params.index)
            if n not in skip
        }

    def fit_report(self) -> pd.DataFrame:
        """Per series fit statistics (:func:`jzsim.calibration.report.fit_statistics`)."""
        from jzsim.calibration.report import fit_statistics

        return fit_statistics(self.observations)

    def plot(self, **kwargs):
        """Model against data with intervals (:func:`jzsim.calibration.report.plot_fit`)."""
        from jzsim.calibration.report import plot_fit

        return plot_fit(self, **kwargs)

    def summary(self) -> str:
        """Text summary: the problem, the estimates with intervals, the fit per series, and the
        observations not used."""
        info = self.info
        ci = self.conf_int(0.1)
        head = [
            f"Calibration of {self.model_name!r} ({self.settings.get('start', 0):g}-{self.settings.get('stop', 0):g})",
            f"method: {self.method}    observations: {info.get('n_obs')}    parameters: {info.get('n_params')}",
            f"log likelihood: {info.get('loglike', np.nan):.3f}    AIC: {info.get('aic', np.nan):.2f}",
            f"wall time: {info.get('wall_seconds', np.nan):.1f} s    kernel calls: {info.get('kernel_calls')}"
            f"    model evaluations: {info.get('evaluations')}    backend: {self.settings.get('backend')}",
        ]
        if self.method == "mcmc":
            head.append(
                f"walkers {info.get('walkers')} x steps {info.get('steps')} (burn {info.get('burn')}); "
                f"acceptance {info.get('acceptance', np.nan):.2f}; "
                f"longest autocorrelation {info.get('autocorr_steps', np.nan):.0f} steps"
            )
        elif self.method == "importance":
            head.append(
                f"importance sampling: {info.get('proposals')} proposals around the MAP, effective sample size "
                f"{info.get('effective_sample_size', np.nan):.0f} ({info.get('importance_note')})"
            )
        else:
            head.append(f"optimiser converged: {info.get('converged')}; Hessian: {info.get('hessian')}")
        if info.get("at_bound"):
            head.append(f"at the edge of their range: {', '.join(info['at_bound'])}")
        head.append(f"calibration hash: {self.hash}")
        table = pd.DataFrame(
            {
                "estimate": self.params,
                "se": self.bse,
                "5%": ci["lower"],
                "95%": ci["upper"],
                "prior": self.priors["distribution"] if self.priors is not None else "",
                "low": self.priors["low"] if self.priors is not None else np.nan,
                "high": self.priors["high"] if self.priors is not None else np.nan,
                "units": self.units,
            }
        )
        parts = ["\n".join(head), "", table.to_string(float_format=lambda v: f"{v:.5g}"), ""]
        parts += ["Fit by series:", self.fit_report().to_string(float_format=lambda v: f"{v:.4g}"), ""]
        if len(self.skipped):
            parts.append("Observations not used:")
            for _, r in self.skipped.iterrows():
                year = float(r["year"])
                when = f"{year:g}" if np.isfinite(year) else "(whole run)"
                parts.append(f"  {r['indicator']} {when} {r['kind']}: {r['reason']}")
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"<CalibrationResults {self.method} of {len(self.params)} parameters on {len(self.observations)} observations>"

    # ------------------------------------------------------------------ files
    def to_dataset(self) -> xr.Dataset:
        """Everything as one xarray.Dataset (what :meth:`to_netcdf` writes)."""
        names = list(self.params.index)
        ds = self.fitted.copy()
        ds = ds.rename({"draw": "fitted_draw"}) if "draw" in ds.dims else ds
        ds["params"] = (("parameter",), self.params.values, {"description": "point estimates"})
        ds["cov"] = (("parameter", "parameter_b"), self.cov.values, {"description": "covariance"})
        ds["draws"] = (("sample", "parameter"), self.draws, {"description": "posterior or Laplace sample"})
        ds = ds.assign_coords(
            parameter=names, parameter_b=names, parameter_units=("parameter", list(self.units.values))
        )
        obs = self.observations.reset_index(drop=True)
        for c in obs.columns:
            col = obs[c]
            num = pd.api.types.is_numeric_dtype(col)
            ds[f"obs_{c}"] = ("observation", col.to_numpy(float) if num else col.astype(str).to_numpy(object))
        if self.priors is not None:
            for c in self.priors.columns:
                col = self.priors[c]
                num = pd.api.types.is_numeric_dtype(col) or c in ("value", "low", "high")
                ds[f"prior_{c}"] = ("parameter", col.to_numpy(float) if num else col.astype(str).to_numpy(object))
        info = {k: v for k, v in self.info.items()}
        ds.attrs.update(
            kind="jzsim calibration",
            method=self.method,
            model=self.model_name,
            calibration_hash=self.hash,
            info=json.dumps(info, default=str),
            fixed=json.dumps(self.fixed),
            settings=json.dumps(self.settings),
            skipped=self.skipped.to_json(orient="records", force_ascii=False),
        )
        if self.alpha_z is not None:
            z, cz, tr = self.alpha_z
            ds["z_hat"] = (("parameter",), z)
            ds["cov_z"] = (("parameter", "parameter_b"), cz)
            ds["z_low"], ds["z_high"] = ("parameter", tr.low), ("parameter", tr.high)
        return ds

    def to_netcdf(self, path: str | Path) -> None:
        """Write the results to a netCDF file (read back with :func:`load_calibration`)."""
        self.to_dataset().to_netcdf(path)


def load_calibration(path: str | Path) -> CalibrationResults:
    """Read results written by :meth:`CalibrationResults.to_netcdf`."""
    from jzsim.calibration.priors import Transform
    from jzsim.params import Parameter

    with xr.open_dataset(path) as f:
        ds = f.load()
    if ds.attrs.get("kind") != "jzsim calibration":
        raise ValueError(f"{str(path)!r} is not a jzsim calibration file (attrs kind={ds.attrs.get('kind')!r})")
    names = [str(x) for x in ds["parameter"].values]
    obs = pd.DataFrame({c[4:]: ds[c].values for c in ds.data_vars if c.startswith("obs_")})
    priors = pd.DataFrame({c[6:]: ds[c].values for c in ds.data_vars if c.startswith("prior_")}, index=names)
    fitted_vars = [v for v in ds.data_vars if "fitted_draw" in ds[v].dims or v.endswith("_point")]
    fitted = ds[fitted_vars].rename({"fitted_draw": "draw"}) if fitted_vars else xr.Dataset()
    alpha_z = None
    if "z_hat" in ds:
        lows, highs = ds["z_low"].values, ds["z_high"].values
        tr = Transform(
            [
                Parameter(n, "1", float(np.clip(0.5 * (lo + hi), lo, hi)) if np.isfinite(lo + hi) else 0.0, lo, hi)
                if np.isfinite(lo) and np.isfinite(hi)
                else Parameter(n, "1", 0.0)
                for n, lo, hi in zip(names, lows, highs)
            ]
        )
        alpha_z = (ds["z_hat"].values, ds["cov_z"].values, tr)
    skipped = pd.read_json(_io(ds.attrs.get("skipped", "[]")), orient="records")
    res = CalibrationResults(
        method=str(ds.attrs["method"]),
        params=pd.Series(ds["params"].values, index=pd.Index(names, name="parameter"), name="value"),
        units=pd.Series([str(u) for u in ds["parameter_units"].values], index=pd.Index(names, name="parameter")),
        cov=pd.DataFrame(ds["cov"].values, index=names, columns=names),
        draws=ds["draws"].values,
        observations=obs,
        skipped=skipped,
        fitted=fitted,
        info=json.loads(ds.attrs.get("info", "{}")),
        priors=priors,
        fixed=json.loads(ds.attrs.get("fixed", "{}")),
        model_name=str(ds.attrs.get("model", "")),
        settings=json.loads(ds.attrs.get("settings", "{}")),
        alpha_z=alpha_z,
    )
    if res.hash != ds.attrs.get("calibration_hash"):
        raise ValueError(f"{str(path)!r}: stored hash {ds.attrs.get('calibration_hash')} does not match its contents")
    return res


def _io(text: str):
    import io

    return io.StringIO(text)


def kind_code(kind: str) -> int:
    return KINDS.index(kind)
