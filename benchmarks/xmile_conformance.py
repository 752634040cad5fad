"""XMILE conformance: the SDXorg ``test-models`` suite through jzsim's importer and through PySD.

For every XMILE model of the suite (``*.xmile`` under ``tests/`` and ``samples/``; ``.stmx`` are
Stella's copies of the same models) with a canonical output beside it (``output.csv`` or ``output.tab``), both tools import
and run the model; a model *passes* when every canonical column that names a variable of the
model agrees at every canonical time within ``rtol=1e-4`` (and an absolute 1e-6 of the column's
largest magnitude, as the canonical files print six significant digits). The table lists the
result by feature (the suite's directory) and, for failures, the first line of the reason.

Usage::

    PYTHONPATH=$PWD python benchmarks/xmile_conformance.py [SUITE]

``SUITE`` is a checkout of https://github.com/SDXorg/test-models (MIT licence), or a bare git
directory of it (read with ``git archive``); default: ``tests/data/sdxorg`` (the fixtures kept in
this repository). ``--no-pysd`` skips PySD.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

RTOL = 1e-4
ATOL_SCALE = 1e-6


def canonical(model_path: Path) -> pd.DataFrame | None:
    """The canonical output beside a model (``output.csv`` or ``output.tab``), indexed by time."""
    for name, sep in (("output.csv", ","), ("output.tab", "\t")):
        p = model_path.parent / name
        if p.exists():
            df = pd.read_csv(p, sep=sep)
            df = df.rename(columns={df.columns[0]: "Time"}).set_index("Time")
            return df.apply(pd.to_numeric, errors="coerce")
    return None


def compare(got: dict[str, np.ndarray], times: np.ndarray, want: pd.DataFrame) -> str | None:
    """None if every canonical column of a variable of ``got`` matches, else the first mismatch."""
    from jzsim.io.xmile_import import xmile_key

    keys = {xmile_key(k): k for k in got}
    t_want = want.index.to_numpy(dtype=float)
    # nearest saved time (canonical files print times with six significant digits: 10.0312)
    idx = np.clip(np.searchsorted(times, t_want), 1, len(times) - 1)
    idx = np.where(np.abs(times[idx - 1] - t_want) <= np.abs(times[idx] - t_want), idx - 1, idx)
    step = np.min(np.diff(times)) if len(times) > 1 else 1.0
    ok_t = np.abs(times[idx] - t_want) < step / 4
    if not ok_t.all():
        return f"canonical time {t_want[~ok_t][0]} is not a saved time"
    checked = 0
    for col in want.columns:
        k = xmile_key(str(col))
        if k not in keys:
            continue
        w = want[col].to_numpy(dtype=float)
        g = got[keys[k]][idx]
        atol = ATOL_SCALE * max(1.0, float(np.nanmax(np.abs(w))) if np.isfinite(w).any() else 1.0)
        good = np.isclose(g, w, rtol=RTOL, atol=atol) | np.isnan(w)  # blank: Vensim prints constants once
        if not good.all():
            j = int(np.argmin(good))
            return f"{col!r} at time {t_want[j]:g}: {g[j]:.6g}, canonical {w[j]:.6g}"
        checked += 1
    return None if checked else "no canonical column names a variable of the model"


def run_jzsim(path: Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    from jzsim.io.xmile_import import read_xmile

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = read_xmile(path)
        ds = m.run()
    cm = m.build()
    got = {}
    for v in cm.variables.values():
        if v.name in ds and "time" in ds[v.name].dims:
            got[v.extra.get("xmile_name", v.name)] = ds[v.name].values[0]
        elif v.kind == "param":
            got[v.extra.get("xmile_name", v.name)] = np.full(ds.sizes["time"], v.value)
    return got, np.asarray(ds["time"].values, dtype=float)


def run_pysd(path: Path, times: np.ndarray) -> dict[str, np.ndarray]:
    import pysd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = pysd.read_xmile(str(path))
        df = pm.run(return_timestamps=list(times))
    return {c: df[c].to_numpy(dtype=float) for c in df.columns if np.issubdtype(df[c].dtype, np.number)}


def models(suite: Path) -> list[Path]:
    return sorted(p for p in suite.rglob("*.xmile") if canonical(p) is not None)


def evaluate(suite: Path, pysd: bool = True) -> pd.DataFrame:
    rows = []
    for p in models(suite):
        want = canonical(p)
        feature = p.parent.name
        row = {"feature": feature, "model": p.name}
        try:
            got, times = run_jzsim(p)
            err = compare(got, times, want)
        except Exception as exc:  # noqa: BLE001 - every failure is a row of the table
            err = f"{type(exc).__name__}: {exc}"
            times = want.index.to_numpy(dtype=float)
        row["jzsim"] = err is None
        row["jzsim_reason"] = "" if err is None else err.splitlines()[0][:150]
        if pysd:
            try:
                perr = compare(run_pysd(p, times), times, want)
            except Exception as exc:  # noqa: BLE001
                perr = f"{type(exc).__name__}: {exc}"
            row["pysd"] = perr is None
            row["pysd_reason"] = "" if perr is None else perr.splitlines()[0][:150]
        rows.append(row)
    return pd.DataFrame(rows)


#: the suite's directories grouped by the feature they test (first matching pattern)
CATEGORIES = [
    (r"subscript|^arithmetics_exp$|^min_max_1arg$|^arrays", "arrays (subscripts)"),
    (r"^macro", "macros"),
    (r"modules", "modules"),
    (r"^non_negative", "non-negative stocks / flows"),
    (r"^lookups", "graphical functions"),
    (r"^(smooth_and_stock|delay_xmile|initial_function|active_initial)$", "smooth, delay, INIT"),
    (r"^(if_stmt|logicals|comparisons)$", "conditions, logic"),
    (r"^(trig|exp|ln|log|sqrt|abs|pi|rounding|builtin_max|builtin_min|xidz_zidz|exponentiation)$", "maths builtins"),
    (r"^(SIR|teacup|game)$", "sample models"),
    (r".", "parsing, names, evaluation order"),
]


def by_feature(df: pd.DataFrame) -> pd.DataFrame:
    """Models and passes per feature category."""
    import re

    cat = df["feature"].map(lambda f: next(c for pat, c in CATEGORIES if re.search(pat, f)))
    cols = {"models": ("model", "size"), "jzsim": ("jzsim", "sum")}
    if "pysd" in df:
        cols["pysd"] = ("pysd", "sum")
    out = df.assign(category=cat).groupby("category", sort=False).agg(**cols)
    return out.astype(int)


def _suite(arg: str | None) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    if arg is None:
        return Path(__file__).resolve().parents[1] / "tests" / "data" / "sdxorg", None
    p = Path(arg)
    if (p / "HEAD").exists() and (p / "objects").exists():  # a bare git directory
        tmp = tempfile.TemporaryDirectory()
        data = subprocess.run(
            ["git", "--git-dir", str(p), "archive", "HEAD", "tests", "samples", "LICENSE"],
            capture_output=True,
            check=True,
        )
        tarfile.open(fileobj=io.BytesIO(data.stdout)).extractall(tmp.name, filter="data")
        return Path(tmp.name), tmp
    return p, None


def main(argv: list[str]) -> None:
    pysd = "--no-pysd" not in argv
    args = [a for a in argv if not a.startswith("--")]
    suite, tmp = _suite(args[0] if args else None)
    df = evaluate(suite, pysd)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 110)
    pd.set_option("display.max_rows", 500)
    cols = (
        ["feature", "model", "jzsim"]
        + (["pysd"] if pysd else [])
        + ["jzsim_reason"]
        + (["pysd_reason"] if pysd else [])
    )
    print(df[cols].to_string(index=False))
    print("\nBy feature:")
    print(by_feature(df).to_string())
    n = len(df)
    line = f"\n{n} XMILE models with a canonical output: jzsim passes {int(df['jzsim'].sum())}"
    if pysd:
        line += f", PySD passes {int(df['pysd'].sum())}, both {int((df['jzsim'] & df['pysd']).sum())}"
    print(line + f" (rtol {RTOL})")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main(sys.argv[1:])
