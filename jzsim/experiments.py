"""Monte Carlo experiments on the plan (or on your own model): :func:`monte_carlo`.

This module joins the layers below it: the engine-level Monte Carlo driver
(:func:`jzsim.uncertainty.montecarlo.run_monte_carlo`), the plan model and its headline outputs
(:mod:`jzsim.plan`), and the plan's target registry (:mod:`jzsim.analysis.targets`). The driver
knows nothing of the plan; the plan's defaults are applied here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from jzsim.uncertainty.distributions import Distribution
from jzsim.uncertainty.montecarlo import CompiledTargets, Execution, run_monte_carlo
from jzsim.uncertainty.summaries import QUANTILES

__all__ = ["monte_carlo", "Execution"]


def monte_carlo(
    draws: int = 10_000,
    *,
    scenario: str = "plan",
    model=None,
    params: Mapping[str, Any] | None = None,
    uncertainty: Mapping[str, Distribution] | None = None,
    seed: int = 0,
    sampler: str = "random",
    outputs: Sequence[str] | None = None,
    targets: pd.DataFrame | None = None,
    quantiles: Sequence[float] = QUANTILES,
    n_bins: int = 1000,
    backend: str = "numpy",
    outcomes: bool = False,
    keep: bool | str | Path = False,
    progress: bool | None = None,
    execution: Execution | None = None,
    **settings: Any,
) -> xr.Dataset:
    """Run ``draws`` draws of the uncertain parameters and summarise them.

    Options come in three groups: what is simulated (``scenario``, ``model``, ``params``,
    ``settings``), the statistics (``seed``, ``sampler``, ``outputs``, ``targets``, ``quantiles``,
    ``n_bins``) and how the run is executed (``backend``, ``keep``, ``progress``, and
    ``execution``, an :class:`Execution` with the chunk size and thread count, which never change
    a result).

    Parameters
    ----------
    draws : int, default 10000
        Number of draws.
    scenario : str, default "plan"
        The built-in plan scenario.
    model : jzsim.engine.Model, optional
        Another model (default: :func:`jzsim.plan_model`). Its parameters declared with
        :meth:`~jzsim.engine.Model.add_parameter` carry their distributions.
    params : mapping, optional
        Parameter name -> a number in the parameter's units, which FIXES it at that value in every
        draw (whatever its declared distribution; validated by :func:`jzsim.params.with_overrides`),
        or a whole :class:`~jzsim.params.Parameter`. Works for the plan model and for ``model``.
    uncertainty : mapping, optional
        Parameter name -> a distribution from :mod:`jzsim.uncertainty.distributions`
        (``{"tfp_growth": Uniform(0.01, 0.02)}``) drawn instead of the declared one. Only that
        parameter's draws change (see ``sampler`` for the common random numbers).
    seed : int, default 0
        Root seed; draw ``i``'s parameters depend only on ``seed``, the parameter's name and ``i``
        (and, for ``"lhs"``, on ``draws``).
    sampler : {"random", "lhs", "sobol"}, default "random"
    outputs : sequence of str, optional
        Variables to summarise (default, for the plan model: the target indicators and
        :data:`jzsim.plan.HEADLINE`; for another model: every output).
    targets : pandas.DataFrame, optional
        Target registry (default, for the plan model: :func:`jzsim.analysis.targets.load_targets`;
        for another model: none).
    quantiles : sequence of float, default (0.05, 0.25, 0.5, 0.75, 0.95)
    n_bins : int, default 1000
        Histogram bins per variable and year for quantiles.
    backend : {"numpy", "numba"}, default "numpy"
        ``"numba"`` needs ``pip install 'jzsim[fast]'``; it agrees with numpy to about 1e-12.
    outcomes : bool, default False
        Also return each draw's outcomes: ``target_value(draw, target)`` (the indicator's value in
        the target's units; NaN for a target not judged), ``target_met(draw, target)`` (bool) and
        the sampled ``parameters(draw, parameter)`` (uncertain parameters only, with a
        ``parameter_units`` coordinate). Memory: about 9 bytes per draw and target plus 8 per
        draw and uncertain parameter; nothing per draw is kept without it.
    keep : bool or path, default False
        Keep per-draw trajectories of ``outputs``: ``True`` in memory, a path to stream them to a
        ``.npy`` file (memory-mapped in the result).
    progress : bool, optional
        Show a progress bar (default: on a terminal, for runs longer than a second).
    execution : Execution, optional
        ``Execution(chunk_size=None, threads=None)``: draws per chunk (default 32768 with numpy,
        65536 with numba) and numpy threads per chunk (default: usable CPUs). Results do not depend
        on them; memory grows with ``chunk_size``.
    **settings
        ``start``, ``stop``, ``dt``, ``method`` of the run.

    Returns
    -------
    xarray.Dataset
        For each output a variable with dims ``(statistic, year)`` (``mean``, ``std``, ``min``,
        ``max`` and the quantiles ``p05`` ...), with a float ``quantile`` coordinate along
        ``statistic`` (indexed: ``.sel(quantile=0.5)`` is the median, ``min`` and ``max`` are the 0
        and 1 quantiles, ``mean`` and ``std`` have NaN; for several at once select by label,
        ``.sel(statistic=["p05", "p95"])``); ``p_met``, ``p_met_se``, ``p_met_low``,
        ``p_met_high``, ``n_met`` over ``target``; with ``outcomes``, ``target_value``,
        ``target_met`` and ``parameters``; with ``keep``, ``<name>_draws`` over ``(draw, year)``
        and ``parameters``. ``attrs`` record seed, sampler,
        backend, versions, data hash, draws completed and whether the run was interrupted.

    Examples
    --------
    >>> import jzsim
    >>> mc = jzsim.monte_carlo(draws=4096, seed=1, progress=False)
    >>> float(mc["p_met"].sel(target="gdp_growth_2021_2025")) <= 1.0
    True
    """
    from jzsim.data import data_hash
    from jzsim.plan import plan_model

    if scenario != "plan":
        raise ValueError(f"scenario is {scenario!r}; allowed: 'plan' (scenario files are not yet supported)")
    is_plan = model is None
    if model is None:
        model = plan_model()
    table = _plan_targets() if targets is None and (is_plan or model.name == "jizhou_plan") else targets
    if outputs is None and (is_plan or model.name == "jizhou_plan"):
        outputs = plan_outputs(model, table)
    return run_monte_carlo(
        model,
        draws,
        seed=seed,
        sampler=sampler,
        outputs=outputs,
        targets=None if table is None else TargetsOf(table),
        quantiles=quantiles,
        n_bins=n_bins,
        backend=backend,
        keep=keep,
        progress=progress,
        execution=execution,
        settings=settings,
        params=params,
        uncertainty=uncertainty,
        outcomes=outcomes,
        attrs={"scenario": scenario, "data_hash": data_hash()},
    )


def _plan_targets() -> pd.DataFrame:
    from jzsim.analysis.targets import load_targets

    return load_targets()


def plan_outputs(model, targets: pd.DataFrame | None) -> list[str]:
    """The plan's default Monte Carlo outputs: target indicators and references, then
    :data:`jzsim.plan.HEADLINE`, with whole groups (so that target selectors such as
    ``cluster=...`` work), keeping those the model has."""
    from jzsim.plan import HEADLINE

    cm = model.build()
    names = set(cm.output_names) | set(cm.derived)
    want: list[str] = []
    if targets is not None:
        for col in ("indicator", "reference"):
            if col in targets:
                want += [str(x) for x in targets[col].dropna() if str(x)]
    want += list(HEADLINE)
    for g in cm.groups.values():
        if any(m in want for m in g.members.values()) or g.name in want:
            want += list(g.members.values())
    out: list[str] = []
    for n in want:
        if n in names and n not in out:
            out.append(n)
    return out


class TargetsOf:
    """A target table compiled for each run (:data:`jzsim.uncertainty.montecarlo.TargetsFactory`):
    :class:`jzsim.analysis.targets.TargetChecks` on the run's rows, and each target's status."""

    def __init__(self, table: pd.DataFrame):
        self.table = table

    def __call__(self, cm, rs, names: list[str]) -> CompiledTargets:
        from jzsim.analysis.targets import TargetChecks
        from jzsim.engine.results import to_dataset

        table = self.table
        ids = list(table["id"]) if "id" in table else list(table.index)
        if not len(table):
            return CompiledTargets((), (), None)
        template = to_dataset(cm, rs, np.ones((len(names), 1, len(rs.save_times))), None, names=names)
        present = set(template.data_vars)
        rows: dict[str, Any] = {n: i for i, n in enumerate(names) if n in present}
        for g in cm.groups.values():
            if g.name in present:
                rows[g.name] = {label: rows[m] for label, m in g.members.items()}
        growth = {
            d.name: rows[d.of]
            for d in cm.derived.values()
            if d.name in present and d.name not in rows and isinstance(rows.get(d.of), int)
        }
        checks = TargetChecks(template, table, rows, growth, rs.save_every)
        return CompiledTargets(tuple(str(i) for i in ids), tuple(_status(table, names)), checks)


def _status(targets: pd.DataFrame, names: list[str]) -> list[str]:
    """Per target: "modelled", "not modelled" (no indicator among the outputs) or
    "threshold unknown" (the plan names the target but gives no number)."""
    out = []
    for _, row in targets.iterrows():
        ind = row.get("indicator")
        ok = isinstance(ind, str) and ind != "" and (ind in names or any(n.startswith(ind + "_") for n in names))
        ref = row.get("reference")
        if ok and isinstance(ref, str) and ref:
            ok = ref in names
        no_threshold = not (isinstance(ref, str) and ref) and not np.isfinite(float(row.get("threshold", np.nan)))
        out.append("threshold unknown" if ok and no_threshold else "modelled" if ok else "not modelled")
    return out
