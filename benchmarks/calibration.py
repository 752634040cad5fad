"""Calibration benchmarks and validation (#16): the figures recorded in benchmarks/README.md.

    PYTHONPATH=$PWD python benchmarks/calibration.py plan       # wall time, out-of-sample, 2025 verdicts
    PYTHONPATH=$PWD python benchmarks/calibration.py recovery --trials 200

``plan``: the plan model's back-cast calibration (2010-2020, the default free parameters) by ML
(numpy) and by MCMC (numba; the kernel compile is timed apart and is cached on disk afterwards);
the out-of-sample check (fit on observations up to 2017, score the 2018-2020 ones against the
prior's nominal run); and P(met) of the plan's 2025 targets under the prior and under the posterior.

``recovery``: simulation-based calibration at the real observations' years, kinds and errors:
each trial draws true parameters from their priors, runs the back-cast, adds observation noise
(normal on each observation's comparison scale, sd as in data/observations.csv), fits by ML
(Laplace intervals on the transformed scale), and records whether each 90% interval covers the
truth and the truth's rank among 99 Laplace draws (uniform ranks = calibrated intervals).

Results go to benchmarks/results/calibration_<part>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results"
RECOVERY_PARAMS = [
    "tfp_growth",
    "inflation_rate",
    "investment_rate",
    "pop_base",
    "urbanisation_base",
    "rural_urban_migration_rate",
    "income_elasticity_urban",
    "income_elasticity_rural",
]


def machine() -> dict:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"cpus": os.cpu_count(), "load_1min": load, "python": platform.python_version()}


def part_plan(args) -> dict:
    import jzsim
    from jzsim.calibration import plan_calibration

    out: dict = {"machine": machine()}
    # ML on numpy
    cal = plan_calibration(backend="numpy")
    t = time.perf_counter()
    ml = cal.fit("ml", seed=0)
    out["ml_numpy"] = {
        "seconds": time.perf_counter() - t,
        "params": len(cal.names),
        "observations": len(cal.obs.target),
        "kernel_calls": ml.info["kernel_calls"],
        "evaluations": ml.info["evaluations"],
        "loglike": ml.info["loglike"],
        "at_bound": ml.info["at_bound"],
    }
    print(ml.summary())
    # MCMC on numba: compile first (timed apart)
    caln = plan_calibration(backend="numba")
    t = time.perf_counter()
    caln.run(np.array([[p.value for p in caln.parameters]]))
    out["numba_first_call_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    post = caln.fit("mcmc", seed=0, walkers=args.walkers, steps=args.steps)
    out["mcmc_numba"] = {
        "seconds": time.perf_counter() - t,
        "walkers": post.info["walkers"],
        "steps": post.info["steps"],
        "kernel_calls": post.info["kernel_calls"],
        "evaluations": post.info["evaluations"],
        "acceptance": post.info["acceptance"],
        "autocorr_steps": post.info["autocorr_steps"],
        "loglike_at_median": post.info["loglike"],
    }
    print(post.summary())
    post.to_netcdf(RESULTS / "calibration_plan_posterior.nc")
    post.plot().savefig(RESULTS / "calibration_plan_fit.png", dpi=80)
    out["posterior"] = {
        n: {"median": float(post.params[n]), "p05": float(lo), "p95": float(hi)}
        for n, lo, hi in zip(post.params.index, post.conf_int(0.1)["lower"], post.conf_int(0.1)["upper"])
    }
    out["fit_report"] = post.fit_report().reset_index().to_dict(orient="records")
    # out of sample: fit up to 2017, score 2018-2020 against the prior's nominal run
    early = plan_calibration(stop=2017).fit("ml", seed=0)
    full = plan_calibration()
    x_fit = np.array([[early.params.get(n, p.value) for n, p in zip(full.names, full.parameters)]])
    x_prior = np.array([[p.value for p in full.parameters]])
    pred = full.obs.predict(full.run(np.vstack([x_fit, x_prior])))
    later = (full.obs.table["year"] > 2017).to_numpy()
    z = (pred - full.obs.target[:, None]) / full.obs.sd[:, None]
    tab = full.obs.table.loc[later, ["indicator", "kind", "year", "value"]].copy()
    tab["fit_to_2017"] = full.obs.to_scale(pred[:, 0])[later]
    tab["prior"] = full.obs.to_scale(pred[:, 1])[later]
    tab["std_resid_fit"], tab["std_resid_prior"] = z[later, 0], z[later, 1]
    out["out_of_sample"] = {
        "observations": int(later.sum()),
        "rms_std_resid_fit_to_2017": float(np.sqrt(np.mean(z[later, 0] ** 2))),
        "rms_std_resid_prior": float(np.sqrt(np.mean(z[later, 1] ** 2))),
        "rows": tab.to_dict(orient="records"),
    }
    print(tab.to_string(index=False))
    # verdicts: prior vs posterior
    n = args.draws
    prior = jzsim.monte_carlo(n, seed=1, progress=False, backend="numba")
    cal_mc = jzsim.monte_carlo(n, seed=1, progress=False, backend="numba", calibration=post)
    keep = prior["modelled"].values.astype(bool)
    verdicts = pd.DataFrame(
        {
            "prior": prior["p_met"].values[keep],
            "posterior": cal_mc["p_met"].values[keep],
        },
        index=prior["target"].values[keep],
    )
    out["verdicts_2025"] = {
        "draws": n,
        "calibration_parameters": cal_mc.attrs["calibration_parameters"],
        "p_met": verdicts.to_dict(orient="index"),
    }
    print(verdicts.to_string())
    return out


def part_recovery(args) -> dict:
    from jzsim.calibration import plan_calibration
    from jzsim.uncertainty.distributions import ppf_rows

    cal = plan_calibration(RECOVERY_PARAMS)
    base_obs = cal.obs
    rng = np.random.default_rng(args.seed)
    k = len(cal.names)
    covered = np.zeros((args.trials, k), dtype=bool)
    ranks = np.zeros((args.trials, k), dtype=int)
    truths = ppf_rows(cal.parameters, rng.random((k, args.trials))).T
    preds = base_obs.predict(cal.run(truths))  # (n_obs, trials): one call for every truth
    t0 = time.perf_counter()
    secs = []
    for i in range(args.trials):
        noisy = preds[:, i] + base_obs.sd * rng.standard_normal(len(base_obs.sd))
        cal.obs = replace(base_obs, target=noisy)
        t = time.perf_counter()
        res = cal.fit("ml", seed=i, starts=8, sample_size=99)
        secs.append(time.perf_counter() - t)
        ci = res.conf_int(0.1)
        covered[i] = (ci["lower"].values <= truths[i]) & (truths[i] <= ci["upper"].values)
        ranks[i] = (res.draws < truths[i]).sum(axis=0)
        if (i + 1) % 20 == 0:
            print(f"{i + 1} trials, coverage so far {covered[: i + 1].mean(axis=0).round(2)}", flush=True)
    cov = covered.mean(axis=0)
    from scipy import stats

    hist = np.stack([np.histogram(ranks[:, j], bins=10, range=(0, 100))[0] for j in range(k)])
    pvals = [float(stats.chisquare(h).pvalue) for h in hist]
    return {
        "machine": machine(),
        "trials": args.trials,
        "params": cal.names,
        "observations": len(base_obs.target),
        "coverage_90": dict(zip(cal.names, cov.round(3).tolist())),
        "coverage_90_all": float(covered.mean()),
        "coverage_90_binomial_se": float(np.sqrt(0.09 / args.trials)),
        "rank_histograms_10_bins": dict(zip(cal.names, hist.tolist())),
        "rank_uniformity_chi2_p": dict(zip(cal.names, pvals)),
        "fit_seconds_median": float(np.median(secs)),
        "total_seconds": time.perf_counter() - t0,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("part", choices=("plan", "recovery"))
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--walkers", type=int, default=256)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--draws", type=int, default=20000)
    a = p.parse_args()
    RESULTS.mkdir(exist_ok=True)
    res = part_plan(a) if a.part == "plan" else part_recovery(a)
    path = RESULTS / f"calibration_{a.part}.json"
    path.write_text(json.dumps(res, indent=1, default=str, ensure_ascii=False))
    print(json.dumps({k: v for k, v in res.items() if k not in ("rows", "fit_report")}, indent=1, default=str)[:4000])
    print(f"written: {path}")


if __name__ == "__main__":
    main()
