"""Calibration benchmarks and validation (#16): the figures recorded in benchmarks/README.md.

    PYTHONPATH=$PWD python benchmarks/calibration.py plan       # wall time, out-of-sample, 2025 verdicts
    PYTHONPATH=$PWD python benchmarks/calibration.py oos        # out-of-sample alone, with and without basis
    PYTHONPATH=$PWD python benchmarks/calibration.py verdicts   # 2025 targets prior vs posterior alone
    PYTHONPATH=$PWD python benchmarks/calibration.py recovery --trials 200 [--method importance|ml|map]

``plan``: the plan model's back-cast calibration (2010-2020, the default free parameters) by ML
(numpy) and by MCMC (numba; the kernel compile is timed apart and is cached on disk afterwards);
the out-of-sample check (fit on observations up to 2017, score the 2018-2020 ones against the
prior's nominal run); and P(met) of the plan's 2025 targets under the prior and under the posterior.
``oos`` and ``verdicts`` run those two alone (``verdicts`` fits the same MCMC posterior, numba,
seed 0, or reads ``--posterior FILE``; 20,000 draws, seed 1): re-run them after a merge.

``recovery``: simulation-based calibration at the real observations' years, kinds and errors:
each trial draws true parameters from their priors, runs the back-cast, adds observation noise
(normal on each observation's comparison scale, sd as in data/observations.csv), fits (default
``importance``: the posterior by importance sampling around the MAP, equal-tailed intervals; ``ml``
or ``map``: Laplace intervals on the transformed scale), and records whether each 90% interval
covers the truth and the truth's rank among 99 posterior (or Laplace) draws: with truths drawn from
the prior, a correct posterior gives uniform ranks and 90% coverage for every parameter (Talts et
al. 2018, simulation-based calibration).

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
    out["out_of_sample"] = out_of_sample()
    out["verdicts_2025"] = verdicts(post, args.draws)
    return out


def out_of_sample(observations=None, method: str = "ml") -> dict:
    """Fit (``method``) on the observations up to 2017 and score the later ones: root mean square
    of the standardised residuals, against the prior's nominal values."""
    from jzsim.calibration import plan_calibration

    early = plan_calibration(stop=2017, observations=observations, strict=False).fit(method, seed=0)
    full = plan_calibration(observations=observations, strict=False)
    x_fit = np.array([[early.params.get(n, p.value) for n, p in zip(full.names, full.parameters)]])
    x_prior = np.array([[p.value for p in full.parameters]])
    pred = full.obs.predict(full.run(np.vstack([x_fit, x_prior])))
    later = (full.obs.table["year"] > 2017).to_numpy()
    water = full.obs.table["indicator"].str.contains("water|groundwater").to_numpy()
    z = (pred - full.obs.target[:, None]) / full.obs.sd[:, None]
    tab = full.obs.table.loc[later, ["indicator", "kind", "year", "value"]].copy()
    tab["fit_to_2017"] = full.obs.to_scale(pred[:, 0])[later]
    tab["prior"] = full.obs.to_scale(pred[:, 1])[later]
    tab["std_resid_fit"], tab["std_resid_prior"] = z[later, 0], z[later, 1]
    print(tab.to_string(index=False))

    def rms(mask, col):
        return float(np.sqrt(np.mean(z[mask, col] ** 2)))

    econ = later & ~water
    return {
        "observations": int(later.sum()),
        "rms_std_resid_fit_to_2017": rms(later, 0),
        "rms_std_resid_prior": rms(later, 1),
        "economic_observations": int(econ.sum()),
        "rms_std_resid_fit_to_2017_economic": rms(econ, 0),
        "rms_std_resid_prior_economic": rms(econ, 1),
        "gdp_nominal_2020_fit_to_2017": float(
            tab.loc[(tab["indicator"] == "gdp_nominal") & (tab["year"] == 2020), "fit_to_2017"].iloc[0]
        ),
        "rows": tab.to_dict(orient="records"),
    }


def part_oos(args) -> dict:
    """Out-of-sample with the 2017 aggregator GDP on its pre-2018-census basis (as packaged) and,
    for comparison, read as if it were on the revised basis (basis cleared, sd back to 0.10); ML,
    and MAP (the fit that keeps what the early years do not inform at the prior)."""
    from jzsim.calibration import load_observations
    from jzsim.calibration.observations import BASES

    obs = load_observations()
    plain = obs.copy()
    m = plain["basis"] != ""
    plain.loc[m, "sd"] = np.sqrt(plain.loc[m, "sd"] ** 2 - [BASES[b].sd ** 2 for b in plain.loc[m, "basis"]])
    plain.loc[m, "basis"] = ""
    out = {"machine": machine()}
    t = time.perf_counter()
    out["with_basis"] = out_of_sample(None)
    out["without_basis"] = out_of_sample(plain)
    out["with_basis_map"] = out_of_sample(None, "map")
    out["seconds"] = time.perf_counter() - t
    for k in ("with_basis", "without_basis", "with_basis_map"):
        o = out[k]
        print(
            f"{k}: RMS std resid of {o['observations']} later observations: fit to 2017 "
            f"{o['rms_std_resid_fit_to_2017']:.2f}, prior {o['rms_std_resid_prior']:.2f}; economic only "
            f"({o['economic_observations']}): {o['rms_std_resid_fit_to_2017_economic']:.2f} vs "
            f"{o['rms_std_resid_prior_economic']:.2f}; 2020 GDP from the 2017 fit {o['gdp_nominal_2020_fit_to_2017']:.1f}"
        )
    return out


def verdicts(post, draws: int, seed: int = 1) -> dict:
    """P(met) of the plan scenario's 2025 targets, prior vs posterior: ``draws`` draws each, the
    same seed, numba."""
    import jzsim

    prior = jzsim.monte_carlo(draws, seed=seed, progress=False, backend="numba")
    cal_mc = jzsim.monte_carlo(draws, seed=seed, progress=False, backend="numba", calibration=post)
    keep = prior["modelled"].values.astype(bool)
    table = pd.DataFrame(
        {"prior": prior["p_met"].values[keep], "posterior": cal_mc["p_met"].values[keep]},
        index=pd.Index(prior["target"].values[keep], name="target"),
    )
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    return {
        "draws": draws,
        "seed": seed,
        "calibration_hash": post.hash,
        "calibration_parameters": cal_mc.attrs["calibration_parameters"],
        "p_met": table.to_dict(orient="index"),
    }


def part_verdicts(args) -> dict:
    """The 2025 target table prior vs posterior, for re-running after a merge: the posterior is
    the MCMC fit of the plan part (numba, seed 0, same walkers and steps), or ``--posterior FILE``."""
    from jzsim.calibration import load_calibration, plan_calibration

    out: dict = {"machine": machine()}
    t = time.perf_counter()
    if args.posterior:
        post = load_calibration(args.posterior)
    else:
        post = plan_calibration(backend="numba").fit("mcmc", seed=0, walkers=args.walkers, steps=args.steps)
        out["mcmc_seconds"] = time.perf_counter() - t
    out.update(verdicts(post, args.draws))
    out["seconds"] = time.perf_counter() - t
    return out


def part_recovery(args) -> dict:
    """The recovery study; ``--shard K/N`` runs trials K, K+N, ... (same truths and noise as a
    single run: both are drawn for every trial first) and saves them for ``--merge N``."""
    if args.merge:
        return recovery_summary([np.load(_shard_path(args, k, args.merge)) for k in range(args.merge)], args)
    from jzsim.calibration import plan_calibration
    from jzsim.uncertainty.distributions import ppf_rows

    cal = plan_calibration(RECOVERY_PARAMS)
    base_obs = cal.obs
    rng = np.random.default_rng(args.seed)
    k = len(cal.names)
    truths = ppf_rows(cal.parameters, rng.random((k, args.trials))).T
    noise = rng.standard_normal((args.trials, len(base_obs.sd)))
    preds = base_obs.predict(cal.run(truths))  # (n_obs, trials): one call for every truth
    shard, n_shards = (int(v) for v in args.shard.split("/"))
    mine = np.arange(shard, args.trials, n_shards)
    covered = np.zeros((len(mine), k), dtype=bool)
    ranks = np.zeros((len(mine), k), dtype=int)
    secs, ess = np.zeros(len(mine)), np.full(len(mine), np.nan)
    for n, i in enumerate(mine):
        cal.obs = replace(base_obs, target=preds[:, i] + base_obs.sd * noise[i])
        t = time.perf_counter()
        res = cal.fit(args.method, seed=int(i), starts=8, restarts=args.restarts, sample_size=99)
        secs[n] = time.perf_counter() - t
        ess[n] = res.info.get("effective_sample_size", np.nan)
        ci = res.conf_int(0.1)
        covered[n] = (ci["lower"].values <= truths[i]) & (truths[i] <= ci["upper"].values)
        ranks[n] = (res.draws < truths[i]).sum(axis=0)
        if (n + 1) % 10 == 0:
            print(f"{n + 1} trials, coverage so far {covered[: n + 1].mean(axis=0).round(2)}", flush=True)
    parts = dict(trial=mine, covered=covered, ranks=ranks, secs=secs, ess=ess, names=np.array(cal.names))
    if n_shards > 1:
        np.savez(_shard_path(args, shard, n_shards), **parts)
        print(f"shard {shard}/{n_shards} saved; merge with --merge {n_shards}")
    return recovery_summary([parts], args, observations=len(base_obs.target))


def _shard_path(args, shard: int, n: int) -> Path:
    return RESULTS / f"recovery_{args.method}_r{args.restarts}_seed{args.seed}_{shard}of{n}.npz"


def recovery_summary(parts, args, observations: int | None = None) -> dict:
    from scipy import stats

    names = [str(v) for v in parts[0]["names"]]
    trials = np.concatenate([p["trial"] for p in parts])
    covered = np.concatenate([p["covered"] for p in parts])
    ranks = np.concatenate([p["ranks"] for p in parts])
    secs, ess = np.concatenate([p["secs"] for p in parts]), np.concatenate([p["ess"] for p in parts])
    k = len(names)
    cov = covered.mean(axis=0)
    hist = np.stack([np.histogram(ranks[:, j], bins=10, range=(0, 100))[0] for j in range(k)])
    pvals = [float(stats.chisquare(h).pvalue) for h in hist]
    n = len(trials)
    return {
        "machine": machine(),
        "trials": n,
        "trial_indices_complete": bool(np.array_equal(np.sort(trials), np.arange(n))),
        "method": args.method,
        "restarts": args.restarts,
        "seed": args.seed,
        "params": names,
        "observations": observations,
        "coverage_90": dict(zip(names, cov.round(3).tolist())),
        "coverage_90_all": float(covered.mean()),
        "coverage_90_binomial_se": float(np.sqrt(0.09 / n)),
        "rank_histograms_10_bins": dict(zip(names, hist.tolist())),
        "rank_uniformity_chi2_p": dict(zip(names, pvals)),
        "fit_seconds_median": float(np.median(secs)),
        "effective_sample_size_median": float(np.nanmedian(ess)) if np.isfinite(ess).any() else None,
        "effective_sample_size_min": float(np.nanmin(ess)) if np.isfinite(ess).any() else None,
        "total_fit_seconds": float(secs.sum()),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("part", choices=("plan", "recovery", "oos", "verdicts"))
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--walkers", type=int, default=256)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--draws", type=int, default=20000)
    p.add_argument("--restarts", type=int, default=3, help="recovery: optimiser runs per fit (fit's restarts)")
    p.add_argument("--shard", default="0/1", help="recovery: run trials K, K+N, ... of the study (K/N)")
    p.add_argument("--merge", type=int, default=0, help="recovery: merge the N saved shards")
    p.add_argument("--posterior", help="verdicts: a calibration netCDF to use instead of fitting by MCMC")
    p.add_argument("--method", choices=("importance", "ml", "map", "mcmc"), default="importance")
    a = p.parse_args()
    RESULTS.mkdir(exist_ok=True)
    res = {"plan": part_plan, "recovery": part_recovery, "oos": part_oos, "verdicts": part_verdicts}[a.part](a)
    suffix = f"_{a.method}" if a.part == "recovery" and a.method != "importance" else ""
    if a.part == "recovery" and a.shard != "0/1":
        suffix += "_shard" + a.shard.replace("/", "of")
    path = RESULTS / f"calibration_{a.part}{suffix}.json"
    path.write_text(json.dumps(res, indent=1, default=str, ensure_ascii=False))
    print(json.dumps({k: v for k, v in res.items() if k not in ("rows", "fit_report")}, indent=1, default=str)[:4000])
    print(f"written: {path}")


if __name__ == "__main__":
    main()
