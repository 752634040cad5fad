"""Fit report: per-series statistics and Theil's inequality decomposition, and a plot.

For a series of ``n`` observed values ``A`` and model values ``P`` (on the figures' own scale):

* RMSE = sqrt(mean((P - A)^2)); MAPE = mean(|P - A| / |A|) in %;
* R2 = 1 - sum((P - A)^2) / sum((A - mean A)^2), given for 3 or more points with varying A;
* Theil's decomposition of the mean squared error (Sterman 1984, "Appropriate summary statistics
  for evaluating the historical fit of system dynamics models", Dynamica 10(2)):
  MSE = (mean P - mean A)^2 + (s_P - s_A)^2 + 2 (1 - r) s_P s_A, with s the population standard
  deviations and r the correlation; U_M, U_S, U_C are the three terms' shares of MSE (bias, unequal
  variation, unequal covariation), given for 2 or more points.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

__all__ = ["theil", "fit_statistics", "plot_fit"]


def theil(predicted, actual) -> dict[str, float]:
    """MSE and its Theil decomposition ``U_M + U_S + U_C = 1`` (NaN for fewer than two points or a
    perfect fit)."""
    p, a = np.asarray(predicted, dtype=float), np.asarray(actual, dtype=float)
    mse = float(np.mean((p - a) ** 2))
    if len(p) < 2 or mse == 0:
        return {"mse": mse, "U_M": np.nan, "U_S": np.nan, "U_C": np.nan}
    sp, sa = p.std(), a.std()
    r = float(np.corrcoef(p, a)[0, 1]) if sp > 0 and sa > 0 else 0.0
    um = (p.mean() - a.mean()) ** 2 / mse
    us = (sp - sa) ** 2 / mse
    uc = 2 * (1 - r) * sp * sa / mse
    return {"mse": mse, "U_M": float(um), "U_S": float(us), "U_C": float(uc)}


def fit_statistics(observations: pd.DataFrame) -> pd.DataFrame:
    """One row per series (indicator and kind) of a calibration's observations (with ``value`` and
    ``predicted``): n, RMSE, MAPE (%), R2, U_M, U_S, U_C, and the mean standardised residual."""
    rows = []
    key = "series" if "series" in observations else ["indicator", "kind"]
    for label, g in observations.groupby(key, sort=False):
        a, p = g["value"].to_numpy(float), g["predicted"].to_numpy(float)
        n = len(a)
        sst = float(((a - a.mean()) ** 2).sum())
        r2 = 1 - float(((p - a) ** 2).sum()) / sst if n >= 3 and sst > 0 else np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            mape = float(np.mean(np.abs(p - a) / np.abs(a)) * 100)
        t = theil(p, a)
        rows.append(
            {
                "series": label if isinstance(label, str) else f"{label[0]} ({label[1]})",
                "n": n,
                "rmse": float(np.sqrt(t["mse"])),
                "mape_pct": mape,
                "r2": r2,
                "U_M": t["U_M"],
                "U_S": t["U_S"],
                "U_C": t["U_C"],
                "mean_std_resid": float(g["std_resid"].mean()) if "std_resid" in g else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("series")


def _series_path(fitted, row, tdim: str, which: str) -> tuple[np.ndarray, np.ndarray]:
    """The model's value of one observation's kind at every year (draws x years, or years for the
    point): level (on the observation's basis), value, difference from the same base, mean over
    the same period, growth over the same span, multiple of the same base, share."""
    name = row["indicator"]
    x = fitted[f"{name}_point"].values[None, :] if which == "point" else fitted[name].values
    years = fitted[tdim].values
    kind = row["kind"]

    def at(year) -> int:
        return int(np.flatnonzero(np.isclose(years, float(year)))[0])

    with np.errstate(divide="ignore", invalid="ignore"):
        if kind in ("level", "value"):
            y = x
            basis = row.get("basis") or ""
            if basis:
                from jzsim.calibration.observations import BASES

                y = x * BASES[basis].factor
        elif kind == "difference":
            b = at(row["base_year"])
            y = x - x[:, b : b + 1]
        elif kind == "mean":  # the period's mean, drawn over the period
            whole = not np.isfinite(row["year"])
            b, t = (0, len(years) - 1) if whole else (at(row["base_year"]), at(row["year"]))
            y = np.full(x.shape, np.nan)
            y[:, b : t + 1] = x[:, b : t + 1].mean(axis=1, keepdims=True)
        elif kind == "share":
            den = row.get("denominator") or ""
            if den:
                d = fitted[f"{den}_point"].values[None, :] if which == "point" else fitted[den].values
                y = x / d
            else:
                y = x
        elif kind == "multiple":
            b = int(np.flatnonzero(np.isclose(years, float(row["base_year"])))[0])
            y = x / x[:, b : b + 1]
        else:  # growth_rate: annual, or average over the observation's span
            span = float(row["year"]) - float(row["base_year"]) if np.isfinite(row["base_year"]) else 1.0
            k = int(round(span))
            y = np.full(x.shape, np.nan)
            if k >= 1 and x.shape[1] > k:
                y[:, k:] = (x[:, k:] / x[:, :-k]) ** (1.0 / span) - 1.0
    return years, y


def plot_fit(results, *, series: list[str] | None = None, interval: float = 0.9, ncols: int = 3):
    """Model against data, one panel per series: the model at the estimates (line), its
    ``interval`` band over the calibration's sample (shaded), and the observations with their
    error (1 sd; a relative error for levels and multiples).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use(matplotlib.get_backend())
    from matplotlib.figure import Figure

    obs = results.observations
    fitted = results.fitted
    tdim = next(d for d in fitted.dims if d != "draw")
    keys = list(dict.fromkeys(obs["series"]))
    if series is not None:
        keys = [k for k in keys if k in series or k.split(" (")[0] in series]
    n = max(len(keys), 1)
    cols = min(ncols, n)
    rows = -(-n // cols)
    fig = Figure(figsize=(4.2 * cols, 3.0 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    q = (1 - interval) / 2
    for ax, key in zip(axes, keys):
        g = obs[obs["series"] == key]
        first = g.iloc[0]
        kind = first["kind"]
        years, band = _series_path(fitted, first, tdim, "draws")
        _, point = _series_path(fitted, first, tdim, "point")
        if kind in ("level", "value", "difference", "mean") or (kind == "share" and not first.get("denominator")):
            band, point = band / float(first["factor"]), point / float(first["factor"])  # the figures' units
        if band.shape[0] > 1:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # years before a growth rate's span: all NaN
                lo, hi = np.nanquantile(band, [q, 1 - q], axis=0)
            ax.fill_between(years, lo, hi, alpha=0.25, label=f"model {interval:.0%}")
        few = np.isfinite(point[0]).sum() < 3  # e.g. a 10-year average: one year has a value
        ax.plot(years, point[0], lw=1.5, marker="s" if few else None, label="model")
        if few and band.shape[0] > 1:
            ax.errorbar(years, point[0], yerr=np.abs(np.vstack([point[0] - lo, hi - point[0]])), fmt="none")
        logs = kind in ("level", "multiple", "mean")
        val, sd = g["value"].to_numpy(float), g["sd"].to_numpy(float)
        err = np.vstack([val - val * np.exp(-sd), val * np.exp(sd) - val]) if logs else sd
        ax.errorbar(g["year"], val, yerr=err, fmt="o", ms=4, color="k", label="observed")
        ax.set_title(key, fontsize=9)
        ax.set_xlabel(tdim)
        units = str(first["unit"])
        ax.set_ylabel(units if units else "1", fontsize=8)
    for ax in axes[len(keys) :]:
        ax.set_visible(False)
    if keys:
        axes[0].legend(fontsize=7)
    fig.suptitle(f"{results.model_name}: {results.method} fit")
    return fig
