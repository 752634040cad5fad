"""jzsim benchmarks: draws per second, compile/load time, peak memory, memory bandwidth.

Usage::

    python benchmarks/run.py [--quick] [--model plan|logistic] [--out benchmarks/results/latest.json]
                             [--readme]

Everything is measured in this one process, except the cases that must start cold (numba
compile, load from the on-disk cache, peak memory), which run in fresh subprocesses of this same
script (``--_child``). See benchmarks/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MDL = HERE / "logistic.mdl"
README = HERE / "README.md"

# Targets for the plan model on a 2-core machine (from the benchmark issue).
TARGET_COMPILED_VS_PYSD = 10_000.0
TARGET_NUMPY_VS_PYSD = 1_000.0
TARGET_1E7_COMPILED_S = 30.0
TARGET_1E7_NUMPY_S = 120.0
TARGET_PEAK_BYTES = 1e9


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- models
def logistic_model():
    """Logistic growth over the plan's horizon and time step, three uncertain parameters."""
    from jzsim.engine import Model
    from jzsim.params import Parameter

    m = Model("logistic", time_units="year", start=2020.0, stop=2035.0, dt=0.25, save_every=1.0)
    m.add_parameter(Parameter("r", "1/year", 0.3, 0.1, 0.5, "uniform", "assumption: benchmark range"))
    m.add_parameter(Parameter("K", "person", 1000.0, 800.0, 1200.0, "triangular", "assumption: benchmark range"))
    m.add_parameter(Parameter("P0", "person", 10.0, 5.0, 20.0, "lognormal", "assumption: benchmark range"))
    p = m.params
    P = m.stock("P", initial=p.P0, units="person")
    m.flow("growth", p.r * P * (1 - P / p.K), units="person/year", into="P")
    m.aux("share", P / p.K, units="1")
    return m


def get_model(name: str):
    if name == "plan":
        from jzsim.plan import plan_model

        return plan_model()
    return logistic_model()


def resolve_model(requested: str) -> tuple[str, str]:
    """(model name actually used, note)."""
    if requested == "logistic":
        return "logistic", "logistic model requested"
    try:
        get_model("plan").build()
        return "plan", "plan model (jzsim.plan.plan_model) builds"
    except Exception as exc:  # the plan model is being written by others
        note = f"plan model does not build ({type(exc).__name__}: {exc}); fell back to the logistic model"
        log("NOTE:", note)
        return "logistic", note


def mc_outputs(name: str):
    """Outputs summarised: the logistic model's three, or the plan's defaults (targets + headline)."""
    return ["P", "growth", "share"] if name == "logistic" else None


def uncertain_params(cm):
    declared = [v.parameter for v in cm.params]
    return [p for p in declared if p is not None and p.uncertain]


def sampled_arrays(cm, n: int, seed: int = 0):
    """Parameter arrays for ``n`` draws, sampled exactly as monte_carlo does."""
    from jzsim.uncertainty.sampling import sample_parameters

    s = sample_parameters(uncertain_params(cm), "random", seed, 0, n, n)
    return [np.ascontiguousarray(s[p.name]) if p.name in s else np.full(n, p.value) for p in cm.params], s


# --------------------------------------------------------------------------- timing helpers
def repeat_timing(fn, min_reps=3, max_reps=20, min_total=1.0, budget=None):
    """Run ``fn`` at least ``min_reps`` times (more while the total is under ``min_total`` s)."""
    ts = []
    t_start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
        total = time.perf_counter() - t_start
        if len(ts) >= max_reps:
            break
        if len(ts) >= min_reps and total >= min_total:
            break
        if budget is not None and len(ts) >= min_reps and total >= budget:
            break
    return ts


def row(engine, draws, chunk, ts, note="", model=""):
    med = statistics.median(ts)
    return {
        "engine": engine,
        "model": model,
        "draws": int(draws),
        "chunk": chunk,
        "reps": len(ts),
        "median_s": med,
        "min_s": min(ts),
        "times_s": ts,
        "draws_per_s_median": draws / med,
        "draws_per_s_best": draws / min(ts),
        "note": note,
    }


# --------------------------------------------------------------------------- machine
def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    vers = {}
    for mod in ("numpy", "numba", "pysd", "xarray", "scipy", "jzsim"):
        try:
            vers[mod] = __import__(mod).__version__
        except Exception:
            vers[mod] = "not installed"
    try:
        import numba

        threads = numba.config.NUMBA_NUM_THREADS
    except Exception:
        threads = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": vers,
        "numba_threads": threads,
        "command": " ".join([Path(sys.executable).name] + [os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def bandwidth(nbytes: int, reps: int = 5) -> dict:
    """Memory bandwidth of a numpy copy: (bytes read + bytes written) / time, single thread."""
    a = np.ones(nbytes // 8)
    b = np.zeros_like(a)  # touched, so page faults are not timed
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        np.copyto(b, a)
        ts.append(time.perf_counter() - t0)
    del a, b
    med = statistics.median(ts)
    return {
        "array_bytes": nbytes,
        "reps": reps,
        "times_s": ts,
        "bytes_per_s_median": 2 * nbytes / med,
        "bytes_per_s_best": 2 * nbytes / min(ts),
    }


# --------------------------------------------------------------------------- children (fresh processes)
class _RssSampler(threading.Thread):
    def __init__(self, period=0.02):
        super().__init__(daemon=True)
        self.period = period
        self.peak = {"VmRSS": 0, "VmHWM": 0, "RssAnon": 0, "RssFile": 0}
        self.stop = threading.Event()

    @staticmethod
    def read():
        out = {}
        for line in Path("/proc/self/status").read_text().splitlines():
            k = line.split(":", 1)[0]
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(line.split()[1]) * 1024
        return out

    def run(self):
        while not self.stop.is_set():
            for k, v in self.read().items():
                self.peak[k] = max(self.peak[k], v)
            time.sleep(self.period)


def child_compile(spec: dict) -> dict:
    """First numba call in a fresh process (compile, or load from JZSIM_CACHE_DIR), then a warm call."""
    t0 = time.perf_counter()
    import jzsim.uncertainty.montecarlo  # noqa: F401  (imports as a user would)

    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    cm = get_model(spec["model"]).build()
    t_build = time.perf_counter() - t1
    rs = cm.settings_for({})
    P, _ = sampled_arrays(cm, 64)
    t2 = time.perf_counter()
    cm.integrate(P, rs, backend="numba", check=False)
    first = time.perf_counter() - t2
    t3 = time.perf_counter()
    cm.integrate(P, rs, backend="numba", check=False)
    second = time.perf_counter() - t3
    from jzsim.backends.numba_kernel import load_module

    k = load_module(cm)._blocks  # the compiled work of the generated module (kernel and kernel_summaries)
    return {
        "import_s": t_import,
        "build_s": t_build,
        "first_call_s": first,
        "second_call_s": second,
        "cache_hits": int(sum(k.stats.cache_hits.values())),
        "cache_misses": int(sum(k.stats.cache_misses.values())),
    }


def child_memory(spec: dict) -> dict:
    """One monte_carlo run in a fresh process; peak RSS (ru_maxrss) and a sampled anon/file split."""
    from jzsim import Execution, monte_carlo
    from jzsim.uncertainty.sampling import BLOCK

    model = get_model(spec["model"])
    cm = model.build()
    outs = mc_outputs(spec["model"])
    # warm-up (imports, kernel load from cache) so the baseline is the steady state before the run
    monte_carlo(model=model, draws=BLOCK, backend=spec["backend"], outputs=outs, progress=False)
    base = _RssSampler.read()
    base_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    sampler = _RssSampler()
    sampler.start()
    keep = spec.get("keep") or False
    t0 = time.perf_counter()
    ds = monte_carlo(
        model=model,
        draws=spec["draws"],
        backend=spec["backend"],
        execution=Execution(chunk_size=spec.get("chunk")),
        outputs=outs,
        keep=keep,
        progress=False,
    )
    elapsed = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    names = outs if outs is not None else [v for v in ds.data_vars if "statistic" in ds[v].dims]
    nt = ds.sizes[cm.time_dim]
    kept_bytes = len(names) * spec["draws"] * nt * 8 if keep else 0
    # VmHWM: this process image's peak RSS. ru_maxrss is not used: Linux carries it across
    # fork+exec, so a child started by a big parent reports at least the parent's RSS at fork.
    maxrss = _RssSampler.read()["VmHWM"]
    ru_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    del ds
    if keep:
        Path(keep).unlink(missing_ok=True)
    return {
        "elapsed_s": elapsed,
        "maxrss_bytes": maxrss,
        "ru_maxrss_bytes": ru_maxrss,
        "baseline_rss_bytes": base["VmRSS"],
        "baseline_hwm_bytes": base["VmHWM"],
        "baseline_maxrss_bytes": base_maxrss,
        "peak_anon_bytes_sampled": sampler.peak["RssAnon"],
        "peak_file_bytes_sampled": sampler.peak["RssFile"],
        "kept_bytes": kept_bytes,
        "n_outputs": len(names),
        "n_times": int(nt),
    }


def run_child(kind: str, spec: dict, env_extra: dict | None = None, timeout: float = 900) -> dict:
    env = dict(os.environ, **(env_extra or {}))
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--_child", kind, json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"child {kind} {spec} failed:\n{r.stderr[-3000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["process_wall_s"] = wall
    return out


# --------------------------------------------------------------------------- PySD and plain Python
def pysd_setup(model_name: str, model, tmp: Path):
    """(run(params) -> DataFrame, how, translate seconds, model it runs)."""
    try:
        from jzsim.io import xmile  # written by another helper; may not exist yet

        if hasattr(xmile, "pysd_runner"):
            t0 = time.perf_counter()
            run = xmile.pysd_runner(model)
            return (
                run,
                "jzsim.io.xmile.pysd_runner (exported XMILE, PySD run(params=...))",
                time.perf_counter() - t0,
                model_name,
            )
    except ImportError:
        pass
    except Exception as exc:
        log(f"NOTE: jzsim.io.xmile.pysd_runner failed ({type(exc).__name__}: {exc}); using benchmarks/logistic.mdl")
    import pysd

    dst = tmp / "logistic.mdl"  # translate in a temp dir so PySD's generated .py stays out of the repo
    shutil.copy(MDL, dst)
    t0 = time.perf_counter()
    m = pysd.read_vensim(str(dst))
    dt = time.perf_counter() - t0

    def run(params):
        return m.run(params=params)

    return (
        run,
        (
            "jzsim/io/xmile.py not available: PySD reads benchmarks/logistic.mdl (hand-written Vensim "
            "equivalent of the logistic model) and runs model.run(params=...) per draw"
        ),
        dt,
        "logistic",
    )


def plain_python_kernel(cm):
    """The compiled kernel's generated source, run by CPython with numba stubbed out (and libm's
    exp, log and ** in place of the vectorisable intrinsics)."""
    from jzsim.backends.numba_kernel import generate_source

    stub = (
        "class _nb:\n    @staticmethod\n    def njit(*a, **k):\n        return lambda f: f\n"
        "    prange = range\n\n    @staticmethod\n    def get_num_threads():\n        return 1\n"
    )
    vm = "_vexp = _math.exp\n_vlog = _math.log\n\n\ndef _vpow(x, y):\n    return x ** y\n"
    vm += "\n\ndef _wide():\n    return None\n"
    src = re.sub(r"^from jzsim\.backends\.vmath import .*$", vm, generate_source(cm), flags=re.M)
    src = src.replace("import numba as _nb", stub)
    ns: dict = {}
    exec(compile(src, "<jzsim kernel, plain python>", "exec"), ns)
    return ns["kernel"]


# --------------------------------------------------------------------------- main
def fmt_n(n):
    return f"10^{int(round(np.log10(n)))}" if n >= 100 and 10 ** int(round(np.log10(n))) == n else f"{n:,}"


def fmt_rate(x):
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if x >= 10 else f"{x:.2f}"


def fmt_bytes(b):
    return f"{b / 2**20:,.0f} MiB" if b < 2**30 else f"{b / 2**30:.2f} GiB"


@dataclass
class Bench:
    """What every measurement needs: the model, its run settings, the options, and the results so far."""

    name: str
    model: Any
    cm: Any
    rs: Any
    outs: list[str] | None
    quick: bool
    tmp: Path
    results: dict = field(default_factory=lambda: {"rows": [], "skipped": [], "notes": []})

    @property
    def rows(self) -> list[dict]:
        return self.results["rows"]

    def mc(self, backend: str, n: int, chunk: int | None):
        """A call of monte_carlo on this model, as the grid times it."""
        from jzsim import Execution, monte_carlo

        return lambda: monte_carlo(
            model=self.model,
            draws=n,
            backend=backend,
            execution=Execution(chunk_size=chunk),
            outputs=self.outs,
            progress=False,
        )


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="cap draws at 10^5 (a couple of minutes)")
    ap.add_argument(
        "--model",
        choices=("plan", "logistic"),
        default="plan",
        help="plan (default; falls back to logistic if the plan model does not build)",
    )
    ap.add_argument(
        "--out", type=Path, default=None, help="JSON output (default benchmarks/results/latest.json, quick: quick.json)"
    )
    ap.add_argument("--readme", action="store_true", help="write the tables into benchmarks/README.md")
    ap.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def setup(requested: str, quick: bool, tmp: Path) -> Bench:
    """Build the model and record the machine and the model's sizes."""
    info = machine_info()
    name, model_note = resolve_model(requested)
    model = get_model(name)
    cm = model.build()
    rs = cm.settings_for({})
    info["model"] = name
    info["model_note"] = model_note
    info["n_stocks"] = len(cm.stocks)
    info["n_outputs_total"] = len(cm.output_names)
    info["n_params"] = len(cm.params)
    info["uncertain_params"] = [p.name for p in uncertain_params(cm)]
    info["steps"] = int(rs.n_steps)
    info["saved_times"] = int(len(rs.save_times))
    log(
        f"model {name}: {info['n_stocks']} stocks, {info['n_outputs_total']} outputs, "
        f"{len(info['uncertain_params'])} uncertain params, {rs.n_steps} steps"
    )
    b = Bench(name, model, cm, rs, mc_outputs(name), quick, tmp)
    b.results["machine"] = info
    return b


def measure_bandwidth(b: Bench) -> None:
    """1. Memory bandwidth of a numpy copy."""
    log("bandwidth ...")
    b.results["bandwidth"] = bandwidth(2**28 if b.quick else 2**30)
    log(f"  {b.results['bandwidth']['bytes_per_s_median'] / 1e9:.2f} GB/s (read+write, numpy copy)")


def measure_compile(b: Bench) -> None:
    """2. numba compile (cold cache) and load (second process, warm cache)."""
    log("numba compile / cache load in fresh processes ...")
    comp = run_child("compile", {"model": b.name})
    load = [run_child("compile", {"model": b.name}) for _ in range(3)]
    b.results["compile"] = {
        "cold": comp,
        "warm": load,
        "compile_s": comp["first_call_s"] - comp["second_call_s"],
        "load_s_median": statistics.median(x["first_call_s"] - x["second_call_s"] for x in load),
        "load_process_wall_s_median": statistics.median(x["process_wall_s"] for x in load),
    }
    log(f"  compile {b.results['compile']['compile_s']:.2f} s, load {b.results['compile']['load_s_median']:.3f} s")


GRID_CHUNKS = [4096, 16384, 32768, 65536]
BIG_BUDGET_S = 90.0  # s per (backend, 10^7) cell: 3 reps at default chunk, other chunks if they fit


def measure_monte_carlo_grid(b: Bench) -> None:
    """3. Monte Carlo throughput, draws x chunk size (numpy first: numba's OpenMP threads can linger)."""
    from jzsim.uncertainty.sampling import BLOCK

    b.mc("numpy", BLOCK, None)()  # imports, edges
    for backend in ("numpy", "numba"):
        if backend == "numba":
            b.mc("numba", BLOCK, None)()  # warm-up: load the kernel (compile excluded, reported above)
        _grid_of_backend(b, backend)


def _grid_of_backend(b: Bench, backend: str) -> None:
    from jzsim.uncertainty.montecarlo import default_chunk
    from jzsim.uncertainty.sampling import BLOCK

    engine = "numpy kernel (monte_carlo)" if backend == "numpy" else "compiled kernel (monte_carlo)"
    default = default_chunk(backend)
    sizes = [10**k for k in range(2, 6 if b.quick else 8)]
    per_draw = None
    for n in sizes:
        whole = -(-n // BLOCK) * BLOCK  # n rounded up to whole blocks: no chunk larger than that
        first = min(default, whole)
        eff = [first] + sorted({min(c, whole) for c in GRID_CHUNKS} - {first})  # default first
        for c in eff:
            if per_draw is not None and n >= 10**7:
                est = per_draw * n * 3
                if c != eff[0] and est > BIG_BUDGET_S / 2:
                    b.results["skipped"].append(f"{engine} {fmt_n(n)} chunk {c}: est. {est:.0f} s for 3 reps")
                    continue
                if est > 6 * BIG_BUDGET_S:
                    b.results["skipped"].append(f"{engine} {fmt_n(n)}: est. {est:.0f} s for 3 reps")
                    continue
            log(f"  {backend} draws={n} chunk={c} ...")
            ts = repeat_timing(
                b.mc(backend, n, c),
                min_reps=3,
                max_reps=20 if n <= 10**4 else 5,
                min_total=1.0 if n <= 10**5 else 0.0,
            )
            r = row(engine, n, c, ts, "default chunk" if c == first else "", b.name)
            b.rows.append(r)
            if c == eff[0]:
                per_draw = r["median_s"] / n
            log(f"    median {r['median_s']:.3f} s  {r['draws_per_s_median']:,.0f} draws/s")


@dataclass
class KernelInputs:
    """The draws the kernel-only rows and the breakdown share: parameters and what monte_carlo computes."""

    n: int
    P: list[np.ndarray]
    sel_names: list[str]
    ds0: Any  # a small monte_carlo run: which outputs it summarises


def kernel_inputs(b: Bench) -> KernelInputs:
    from jzsim import monte_carlo
    from jzsim.uncertainty.sampling import BLOCK

    n_raw = 10**5 if b.quick else 10**6
    P, _ = sampled_arrays(b.cm, n_raw)
    ds0 = monte_carlo(model=b.model, draws=BLOCK, backend="numpy", outputs=b.outs, progress=False)
    # what monte_carlo's kernel computes (derived growth rates are computed from these afterwards)
    # (a group such as ``va`` is summarised as one variable over its label dim: its members)
    sel_names: list[str] = []
    for v in ds0.data_vars:
        if "statistic" not in ds0[v].dims or v in b.cm.derived:
            continue
        members = list(b.cm.groups[v].members.values()) if v in b.cm.groups else [v]
        sel_names += [m for m in members if m not in sel_names]
    b.results["machine"]["n_outputs_summarised"] = len(sel_names)
    return KernelInputs(n_raw, P, sel_names, ds0)


def measure_kernels_alone(b: Bench, k: KernelInputs) -> None:
    """4. Kernels alone (no sampling, no summaries), to show the driver's share."""
    from jzsim.engine.constants import DEFAULT_CHUNK, KERNEL_BATCH

    for backend, c in (("numpy", KERNEL_BATCH), ("numba", DEFAULT_CHUNK)):
        log(f"  raw kernel {backend} ...")
        ts = repeat_timing(
            lambda backend=backend, c=c: b.cm.integrate(
                k.P, b.rs, backend=backend, names=k.sel_names, batch_size=c, check=False
            ),
            min_reps=5,
            max_reps=10,
            min_total=1.0,
        )
        b.rows.append(
            row(f"{backend} kernel alone (CompiledModel.integrate)", k.n, c, ts, "no sampling, no summaries", b.name)
        )


def measure_chunked_kernels(b: Bench, k: KernelInputs) -> None:
    """4. The same kernels the way monte_carlo calls them: one chunk at a time (monte_carlo's default
    chunk) into one reused output buffer, parameters already in a chunk-sized parameter-major array.
    The kernel-alone rows also pay for the page faults of one fresh (outputs x 10^6 x years) array,
    which monte_carlo never allocates."""
    from jzsim.engine.constants import DEFAULT_CHUNK
    from jzsim.uncertainty.montecarlo import _numpy_kernel_split

    Pch = [np.stack([p[a : a + DEFAULT_CHUNK] for p in k.P]) for a in range(0, k.n, DEFAULT_CHUNK)]
    obuf = np.empty((len(k.sel_names), DEFAULT_CHUNK, len(b.rs.save_times)))
    np_threads, np_piece = _numpy_kernel_split(DEFAULT_CHUNK, None)  # monte_carlo's split of a chunk
    b.results["machine"]["numpy_kernel_threads"] = np_threads
    for backend, c, th in (("numpy", np_piece, np_threads), ("numba", DEFAULT_CHUNK, 1)):
        log(f"  chunked kernel {backend} ...")

        def chunked(backend=backend, c=c, th=th):
            for M in Pch:
                b.cm.integrate(
                    list(M),
                    b.rs,
                    backend=backend,
                    names=k.sel_names,
                    batch_size=c,
                    check=False,
                    out=obuf[:, : M.shape[1]],
                    threads=th,
                )

        ts = repeat_timing(chunked, min_reps=5, max_reps=10, min_total=1.0)
        b.rows.append(
            row(
                f"{backend} kernel, chunks into a reused buffer",
                k.n,
                DEFAULT_CHUNK,
                ts,
                "no sampling, no summaries; as monte_carlo calls it"
                + (f" ({th} threads of {c} draws)" if th > 1 else ""),
                b.name,
            )
        )


def _breakdown_chunks(b: Bench, k: KernelInputs, outarr: np.ndarray, ch: int):
    """monte_carlo's chunk layout: the kernel's rows, then derived growth rates computed from them;
    the target checks (plan model only) and the cells they copy."""
    from jzsim.engine.results import growth_rows
    from jzsim.experiments import TargetsOf

    rs, sel_names = b.rs, k.sel_names
    derived = [d for d in b.cm.derived.values() if d.of in sel_names and d.name in k.ds0.data_vars]
    all_names = sel_names + [d.name for d in derived]
    chunks = []
    for a in range(0, k.n, ch):
        c = np.empty((len(all_names), min(ch, k.n - a), len(rs.save_times)))
        c[: len(sel_names)] = outarr[:, a : a + ch]
        for i, d in enumerate(derived):
            growth_rows(c[sel_names.index(d.of)], rs.save_every, out=c[len(sel_names) + i])
            c[len(sel_names) + i, :, 0] = 0.0
        chunks.append(c)
    tg = None
    if b.name == "plan":
        from jzsim.analysis.targets import load_targets

        tg = TargetsOf(load_targets())(b.cm, rs, all_names).checks
    cells = np.array(tg.cells if tg is not None else [], dtype=np.int64).reshape(-1, 2)
    return derived, all_names, chunks, tg, cells


def measure_breakdown(b: Bench, k: KernelInputs) -> None:
    """4b. Where monte_carlo's time goes: its pieces timed alone at the same size and chunk."""
    from jzsim.backends.numba_kernel import KernelSummaries
    from jzsim.engine.constants import DEFAULT_CHUNK
    from jzsim.uncertainty.sampling import BLOCK, sample_parameters
    from jzsim.uncertainty.summaries import Accumulator

    cm, rs, n_raw, sel_names = b.cm, b.rs, k.n, k.sel_names
    unc = uncertain_params(cm)
    ch = DEFAULT_CHUNK
    outarr = cm.integrate(k.P, rs, backend="numba", names=sel_names, batch_size=ch, check=False)
    prow = {p.name: i for i, p in enumerate(cm.params)}
    Ps_buf = np.empty((len(cm.params), ch))
    derived, all_names, chunks, tg, cells = _breakdown_chunks(b, k, outarr, ch)
    copies = [np.empty((len(cells), c.shape[1])) for c in chunks]

    def t_sampling():  # as monte_carlo samples: into the rows of a reused parameter matrix
        for a in range(0, n_raw, ch):
            e = min(n_raw, a + ch)
            sample_parameters(unc, "random", 0, a, e, n_raw, out=Ps_buf[:, : e - a], rows=[prow[p.name] for p in unc])

    def t_summaries():  # as monte_carlo calls it: the target checks' cells copied in the same pass
        acc = Accumulator(len(all_names), len(rs.save_times), 1000)
        acc.set_edges(chunks[0][:, :BLOCK, :])
        for c, cp in zip(chunks, copies):
            acc.add_blocks(c, BLOCK, cells, cp)

    def t_targets():
        for c, cp in zip(chunks, copies):
            tg.counts(c, cp)

    # the compiled backend's chunks: the kernel summarises its draws as it runs them (monte_carlo
    # runs only its first BLOCK draws the plain way, to set the bin edges)
    acc_k = Accumulator(len(all_names), len(rs.save_times), 1000)
    acc_k.set_edges(chunks[0][:, :BLOCK, :])
    cells_flat = cells[:, 0] * len(rs.save_times) + cells[:, 1]
    sel, growth = cm.selection(sel_names), [sel_names.index(d.of) for d in derived]
    ks = KernelSummaries(cm, rs, sel, len(sel_names), growth, cells_flat, BLOCK, ch, acc_k)
    Pk = [np.stack([p[a : a + ch] for p in k.P]) for a in range(0, n_raw, ch)]

    def t_kernel_summaries():
        for M, cp in zip(Pk, copies):
            ks.run(M, cp)

    def t_fold():
        for M in Pk:
            ks.n = M.shape[1]
            ks.add_to(acc_k)

    def t_check():
        for a in range(0, n_raw, ch):
            cm.check_output(outarr[:, a : a + ch], rs, first_draw=a, names=sel_names)

    t_summaries()  # fills the copies that t_targets reads
    pieces = [
        ("sampling (sample_parameters)", t_sampling),
        (
            "numba kernel summarising its draws (KernelSummaries.run per chunk, with the target checks' "
            "cells; what monte_carlo runs on the compiled backend)",
            t_kernel_summaries,
        ),
        ("folding those summaries in (KernelSummaries.add_to per chunk)", t_fold),
        (
            "summaries (Accumulator.add_blocks per chunk, with the target checks' cells; the numpy backend's way)",
            t_summaries,
        ),
    ]
    if tg is not None:
        pieces.append(("target counts (TargetChecks.counts on the copied cells)", t_targets))
    pieces.append(
        (
            "checks (CompiledModel.check_output; monte_carlo calls it only when a chunk's "
            "summaries show a non-finite mean or a negative stock)",
            t_check,
        )
    )
    breakdown: dict = {"draws": n_raw, "chunk": ch}
    for label, fn in pieces:
        breakdown[label] = statistics.median(repeat_timing(fn, min_reps=3, max_reps=7, min_total=1.0))
    for backend in ("numba", "numpy"):
        breakdown[f"{backend} kernel (CompiledModel.integrate)"] = next(
            r["median_s"] for r in b.rows if r["engine"].startswith(f"{backend} kernel alone")
        )
    b.results["breakdown"] = breakdown


def measure_scalar_and_plain_python(b: Bench) -> None:
    """5. The scalar reference and the generated kernel run by CPython."""
    cm, rs = b.cm, b.rs
    for n in [100] if b.quick else [100, 1000]:
        log(f"  scalar reference draws={n} ...")
        Ps, _ = sampled_arrays(cm, n)
        ts = repeat_timing(
            lambda Ps=Ps: cm.integrate(Ps, rs, backend="scalar", check=False), min_reps=3, max_reps=5, min_total=1.0
        )
        b.rows.append(row("scalar reference (backend='scalar')", n, None, ts, "", b.name))
    try:
        from jzsim.backends.numba_kernel import LANES

        pk = plain_python_kernel(cm)
        for n in [100, 1000] if b.quick else [100, 1000, 10000]:
            log(f"  plain python draws={n} ...")
            Ps, _ = sampled_arrays(cm, n)
            o = np.empty((len(cm.output_names), n, len(rs.save_times)))
            args_k = (np.stack(Ps), float(rs.start), float(rs.dt), int(rs.n_steps), int(rs.save_stride))
            args_k += (rs.method == "rk4", o, LANES)
            ts = repeat_timing(lambda args_k=args_k: pk(*args_k), min_reps=3, max_reps=5, min_total=1.0)
            b.rows.append(
                row("plain-Python loop (generated kernel source, numba stubbed out)", n, None, ts, "", b.name)
            )
    except Exception as exc:
        b.results["notes"].append(f"plain-Python loop not measured: {type(exc).__name__}: {exc}")


def measure_pysd(b: Bench) -> dict | None:
    """6. PySD, one ``model.run(params=...)`` per draw; its row, or None when PySD could not run."""
    log("PySD ...")
    pysd_n = 10 if b.quick else 40
    try:
        run_pysd, how, translate_s, pysd_model = pysd_setup(b.name, b.model, b.tmp)
        _, sp = sampled_arrays(get_model(pysd_model).build(), pysd_n)
        draws_params = [{k: float(v[i]) for k, v in sp.items()} for i in range(pysd_n)]
        run_pysd(draws_params[0])  # first run (imports, caches) excluded
        per = []
        for _ in range(3):
            t0 = time.perf_counter()
            last = None
            for d in draws_params:
                last = run_pysd(d)
            per.append(time.perf_counter() - t0)
    except Exception as exc:
        b.results["notes"].append(f"PySD not measured: {type(exc).__name__}: {exc}")
        log("PySD failed:", exc)
        return None
    pysd_row = row("PySD model.run(params=...) per draw", pysd_n, None, per, how, pysd_model)
    b.rows.append(pysd_row)
    b.results["pysd"] = {"how": how, "translate_s": translate_s, "model": pysd_model}
    # agreement check with jzsim on the last draw
    if pysd_model == "logistic" and "P" in last.columns:
        ref = get_model("logistic").build().run(dict(draws_params[-1]))
        b.results["pysd"]["final_P_rel_diff_vs_jzsim"] = float(
            abs(last["P"].iloc[-1] - ref["P"].values[0, -1]) / abs(ref["P"].values[0, -1])
        )
    if pysd_model != b.name:
        b.results["notes"].append(f"PySD ran the {pysd_model} model, not {b.name}: ratios to PySD are across models")
    return pysd_row


def memory_cases(b: Bench) -> list[dict]:
    """The peak-memory cases: summaries only on both backends, and kept trajectories where the disk allows."""
    cases = []
    msizes = [10**5] if b.quick else [10**6, 10**7]
    for n in msizes:
        for backend in ("numba", "numpy"):
            cases.append({"model": b.name, "backend": backend, "draws": n, "keep": False})
    free = shutil.disk_usage(b.tmp).free
    n_out = len(b.outs) if b.outs is not None else None
    for n in msizes:
        need = (n_out or 64) * n * len(b.rs.save_times) * 8
        if need * 2 + 5 * 2**30 < free:
            cases.append({"model": b.name, "backend": "numba", "draws": n, "keep": str(b.tmp / f"kept_{n}.npy")})
        else:
            b.results["skipped"].append(
                f"kept trajectories {fmt_n(n)}: needs {fmt_bytes(need)}, {fmt_bytes(free)} free on {b.tmp}"
            )
    return cases


def measure_memory(b: Bench) -> None:
    """7. Peak memory and bandwidth use, a fresh process per case."""
    log("peak memory in fresh processes ...")
    b.results["memory"] = []
    for case in memory_cases(b):
        reps = 3 if case["draws"] < 10**7 else 1
        log(f"  {case['backend']} draws={case['draws']} keep={bool(case['keep'])} x{reps} ...")
        try:
            runs = [run_child("memory", case) for _ in range(reps)]
        except Exception as exc:
            b.results["notes"].append(f"memory case {case} failed: {exc}")
            continue
        med = statistics.median(x["maxrss_bytes"] for x in runs)
        el = statistics.median(x["elapsed_s"] for x in runs)
        e = dict(case, keep=bool(case["keep"]), reps=reps, runs=runs, maxrss_bytes_median=med, elapsed_s_median=el)
        if case["keep"]:
            kb = runs[0]["kept_bytes"]
            e["kept_bytes"] = kb
            e["kept_bytes_per_s"] = kb / el
            e["bandwidth_fraction"] = kb / el / b.results["bandwidth"]["bytes_per_s_median"]
        b.results["memory"].append(e)


def pick(rows: list[dict], engine_prefix: str, n: int | None = None, default_only: bool = True) -> dict | None:
    """The largest-draws row of an engine (at ``n`` draws if given; default chunk only unless told)."""
    cands = [
        r
        for r in rows
        if r["engine"].startswith(engine_prefix)
        and (n is None or r["draws"] == n)
        and (not default_only or r["note"] == "default chunk" or r["chunk"] is None)
    ]
    return max(cands, key=lambda r: r["draws"]) if cands else None


def ratios(b: Bench, pysd_row: dict | None) -> dict:
    """8. Throughput ratios between engines."""
    rows = b.rows
    basis = 10**5 if b.quick else 10**6
    comp_r = pick(rows, "compiled kernel (monte_carlo)", basis)
    np_r = pick(rows, "numpy kernel (monte_carlo)", basis)
    comp_k = pick(rows, "numba kernel, chunks into a reused buffer", basis, default_only=False)
    np_k = pick(rows, "numpy kernel, chunks into a reused buffer", basis, default_only=False)
    sc_r = pick(rows, "scalar reference", None)
    py_r = pick(rows, "plain-Python loop", None)

    def ratio(x, y):
        return x["draws_per_s_median"] / y["draws_per_s_median"] if x and y else None

    return {
        "basis": f"median draws/s; monte_carlo and the chunked kernels at {fmt_n(basis)} draws, default chunk; "
        "scalar and PySD at their largest measured size",
        "compiled/PySD": ratio(comp_r, pysd_row),
        "numpy/PySD": ratio(np_r, pysd_row),
        "compiled kernel alone/PySD": ratio(comp_k, pysd_row),
        "numpy kernel alone/PySD": ratio(np_k, pysd_row),
        "compiled/numpy": ratio(comp_r, np_r),
        "numpy/scalar": ratio(np_r, sc_r),
        "compiled/plain-Python": ratio(comp_r, py_r),
    }


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def _ratio_target(label: str, value: float | None, target: float, cross: str) -> dict:
    return {
        "target": f"{label} >= {target:,.0f}x PySD draws/s",
        "measured": f"{value:,.0f}x{cross}" if value else "n/a",
        "verdict": _verdict(None if value is None else value >= target),
    }


def assess_targets(b: Bench, pysd_row: dict | None) -> list[dict]:
    """8. The seven target rows, from the ratios and the 10^7 runs."""
    big = 10**7
    c7 = pick(b.rows, "compiled kernel (monte_carlo)", big)
    n7 = pick(b.rows, "numpy kernel (monte_carlo)", big)
    mem7 = [m for m in b.results["memory"] if m["draws"] == big and not m["keep"]]
    peak7 = max((m["maxrss_bytes_median"] for m in mem7), default=None)

    def time7(r, backend):
        """The 10^7 throughput row, else the single timed run of the peak-memory measurement."""
        if r:
            return r["median_s"], f"{r['median_s']:.1f} s"
        m = next((m for m in mem7 if m["backend"] == backend), None)
        if m is None:
            return None, "not run"
        return m["elapsed_s_median"], f"{m['elapsed_s_median']:.1f} s (one run, in the peak-memory process)"

    (c7s, c7m), (n7s, n7m) = time7(c7, "numba"), time7(n7, "numpy")
    same_model = pysd_row is not None and pysd_row["model"] == b.name
    cross = "" if same_model else " (PySD on another model)"
    ra = b.results["ratios"]
    return [
        _ratio_target("compiled monte_carlo", ra["compiled/PySD"], TARGET_COMPILED_VS_PYSD, cross),
        _ratio_target(
            "compiled kernel alone (chunks, reused buffer)",
            ra["compiled kernel alone/PySD"],
            TARGET_COMPILED_VS_PYSD,
            cross,
        ),
        _ratio_target("numpy monte_carlo", ra["numpy/PySD"], TARGET_NUMPY_VS_PYSD, cross),
        _ratio_target(
            "numpy kernel alone (chunks, reused buffer)", ra["numpy kernel alone/PySD"], TARGET_NUMPY_VS_PYSD, cross
        ),
        {
            "target": "10^7 draws, summaries, compiled < 30 s",
            "measured": c7m,
            "verdict": _verdict(None if c7s is None else c7s < TARGET_1E7_COMPILED_S),
        },
        {
            "target": "10^7 draws, summaries, numpy < 2 min",
            "measured": n7m,
            "verdict": _verdict(None if n7s is None else n7s < TARGET_1E7_NUMPY_S),
        },
        {
            "target": "10^7 draws, summaries, peak memory < 1 GB",
            "measured": f"{peak7 / 1e9:.2f} GB (worst backend)" if peak7 else "not run",
            "verdict": _verdict(None if peak7 is None else peak7 < TARGET_PEAK_BYTES),
        },
    ]


def main(argv=None):
    args = parse_args(argv)
    if args._child:
        kind, spec = args._child[0], json.loads(args._child[1])
        res = child_compile(spec) if kind == "compile" else child_memory(spec)
        print(json.dumps(res))
        return 0

    wall0 = time.perf_counter()
    out_path = args.out or HERE / "results" / ("quick.json" if args.quick else "latest.json")
    tmp = Path(tempfile.mkdtemp(prefix="jzsim-bench-"))
    cache = tmp / "kernels"
    cache.mkdir()
    os.environ["JZSIM_CACHE_DIR"] = str(cache)  # cold numba cache; children inherit it

    b = setup(args.model, args.quick, tmp)
    measure_bandwidth(b)
    measure_compile(b)
    measure_monte_carlo_grid(b)
    k = kernel_inputs(b)
    measure_kernels_alone(b, k)
    measure_chunked_kernels(b, k)
    measure_breakdown(b, k)
    del k
    measure_scalar_and_plain_python(b)
    pysd_row = measure_pysd(b)
    measure_memory(b)
    results = b.results
    results["ratios"] = ratios(b, pysd_row)
    results["targets"] = assess_targets(b, pysd_row)
    results["wall_s"] = time.perf_counter() - wall0
    results["markdown"] = markdown(results)
    print(results["markdown"])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, indent=1, default=float))
    log(f"wrote {out_path} (total {results['wall_s']:.0f} s)")
    if args.readme:
        update_readme(results["markdown"])
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def markdown(res) -> str:
    """The benchmark's tables as markdown (what ``--readme`` writes into benchmarks/README.md)."""
    L: list[str] = []
    for part in (_md_header, _md_rows, _md_ratios, _md_compile, _md_pysd, _md_breakdown, _md_memory, _md_targets):
        part(res, L)
    return "\n".join(L)


def _md_header(res, L: list[str]) -> None:
    i = res["machine"]
    L.append(
        f"Model: **{i['model']}** ({i['model_note']}); {i['n_stocks']} stocks, {i['n_outputs_total']} "
        f"outputs, {len(i['uncertain_params'])} uncertain parameters, {i['steps']} Euler steps, "
        f"{i['saved_times']} saved times.  "
    )
    L.append(
        f"Machine: {i['cpu']}, {i['cores']} cores, {i['memory_bytes'] / 2**30:.1f} GiB; Python {i['python']}, "
        + ", ".join(f"{k} {v}" for k, v in i["versions"].items())
        + f"; numba threads {i['numba_threads']}.  "
    )
    L.append(f"Command: `{i['command']}` ({i['date']}, total wall {res['wall_s'] / 60:.1f} min).")
    L.append("")


def _md_rows(res, L: list[str]) -> None:
    i = res["machine"]
    L.append("### Draws per second (median of repeated runs; best = fastest run)")
    L.append("")
    pysd = next((r for r in res["rows"] if r["engine"].startswith("PySD")), None)
    L.append("| engine | draws | chunk | reps | median s | min s | draws/s (median) | draws/s (best) | x PySD |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in res["rows"]:
        xp = r["draws_per_s_median"] / pysd["draws_per_s_median"] if pysd else None
        L.append(
            f"| {r['engine']}{' (' + r['model'] + ')' if r['model'] != i['model'] else ''} | {fmt_n(r['draws'])} | "
            f"{r['chunk'] or ''}{'*' if r['note'] == 'default chunk' else ''} | {r['reps']} | "
            f"{r['median_s']:.4g} | {r['min_s']:.4g} | {fmt_rate(r['draws_per_s_median'])} | "
            f"{fmt_rate(r['draws_per_s_best'])} | {'' if xp is None else f'{xp:,.1f}'} |"
        )
    L.append("")
    L.append(
        "`*` = monte_carlo's default chunk for that backend. monte_carlo rows: sampling + kernel + "
        "running summaries (no trajectories kept); wall time of the whole call."
    )
    L.append("")


def _md_ratios(res, L: list[str]) -> None:
    ra = res["ratios"]
    L.append(f"### Ratios ({ra['basis']})")
    L.append("")
    L.append("| ratio | value |")
    L.append("|---|---:|")
    for k in (
        "compiled/PySD",
        "numpy/PySD",
        "compiled kernel alone/PySD",
        "numpy kernel alone/PySD",
        "compiled/numpy",
        "numpy/scalar",
        "compiled/plain-Python",
    ):
        L.append(f"| {k} | {'n/a' if ra[k] is None else f'{ra[k]:,.2f}'} |")
    L.append("")


def _md_compile(res, L: list[str]) -> None:
    c = res["compile"]
    L.append("### Compiled kernel: compile and cache load")
    L.append("")
    L.append(
        f"- first call in a fresh process with a cold cache (compile): {c['compile_s']:.2f} s "
        f"(first call {c['cold']['first_call_s']:.2f} s minus a warm call {c['cold']['second_call_s'] * 1e3:.1f} ms; "
        f"cache misses {c['cold']['cache_misses']}, hits {c['cold']['cache_hits']})"
    )
    L.append(
        f"- first call in a second process, loaded from the on-disk cache: {c['load_s_median']:.3f} s "
        f"(median of {len(c['warm'])}; hits {c['warm'][0]['cache_hits']}, misses {c['warm'][0]['cache_misses']}); "
        f"import of jzsim.uncertainty.montecarlo {statistics.median(x['import_s'] for x in c['warm']):.2f} s, "
        f"model build {statistics.median(x['build_s'] for x in c['warm']):.3f} s, whole process "
        f"{c['load_process_wall_s_median']:.2f} s"
    )
    L.append("")


def _md_pysd(res, L: list[str]) -> None:
    if "pysd" not in res:
        return
    p = res["pysd"]
    L.append(
        f"PySD: {p['how']}; translation {p['translate_s']:.2f} s (excluded)"
        + (
            f"; final P agrees with jzsim to {p['final_P_rel_diff_vs_jzsim']:.1e} (relative)"
            if "final_P_rel_diff_vs_jzsim" in p
            else ""
        )
        + "."
    )
    L.append("")


def _md_breakdown(res, L: list[str]) -> None:
    if "breakdown" not in res:
        return
    b = res["breakdown"]
    L.append(
        f"### Where monte_carlo's time goes ({fmt_n(b['draws'])} draws, chunk {b['chunk']}; "
        "each piece timed alone, median)"
    )
    L.append("")
    L.append("| piece | s | s per 10^6 draws |")
    L.append("|---|---:|---:|")
    for k, v in b.items():
        if k not in ("draws", "chunk"):
            L.append(f"| {k} | {v:.4g} | {v * 1e6 / b['draws']:.4g} |")
    L.append("")


def _md_memory(res, L: list[str]) -> None:
    bw = res["bandwidth"]
    L.append("### Peak memory (fresh process per case; peak RSS = VmHWM of the process)")
    L.append("")
    L.append(
        f"Bandwidth: numpy copy of {fmt_bytes(bw['array_bytes'])}, (read + write) / time = "
        f"{bw['bytes_per_s_median'] / 1e9:.2f} GB/s median ({bw['bytes_per_s_best'] / 1e9:.2f} best), one thread."
    )
    L.append("")
    L.append(
        "| backend | draws | trajectories | reps | elapsed s | peak RSS | RSS before run | peak anon (sampled) "
        "| peak file-backed (sampled) | kept bytes/s | share of bandwidth |"
    )
    L.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in res["memory"]:
        r0 = m["runs"][0]
        share = f"{100 * m['bandwidth_fraction']:.1f} %" if m["keep"] else ""
        L.append(
            f"| {m['backend']} | {fmt_n(m['draws'])} | {'kept (.npy memmap)' if m['keep'] else 'summaries only'} | "
            f"{m['reps']} | {m['elapsed_s_median']:.2f} | {fmt_bytes(m['maxrss_bytes_median'])} | "
            f"{fmt_bytes(r0['baseline_rss_bytes'])} | {fmt_bytes(max(x['peak_anon_bytes_sampled'] for x in m['runs']))} | "
            f"{fmt_bytes(max(x['peak_file_bytes_sampled'] for x in m['runs']))} | "
            f"{(fmt_bytes(m['kept_bytes_per_s']) + '/s') if m['keep'] else ''} | "
            f"{share} |"
        )
    L.append("")


def _md_targets(res, L: list[str]) -> None:
    L.append("### Targets (defined for the plan model on a 2-core machine)")
    L.append("")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    for t in res["targets"]:
        L.append(f"| {t['target']} | {t['measured']} | {t['verdict']} |")
    if res["machine"]["model"] != "plan":
        L.append("")
        L.append("The targets are for the plan model; these figures are for the logistic model and only indicative.")
    for s in res["skipped"]:
        L.append(f"- skipped: {s}")
    for n in res["notes"]:
        L.append(f"- note: {n}")


def update_readme(md: str) -> None:
    start, end = "<!-- BENCH:START -->", "<!-- BENCH:END -->"
    text = README.read_text() if README.exists() else f"{start}\n{end}\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    a, rest = text.split(start, 1)
    _, b = rest.split(end, 1)
    README.write_text(f"{a}{start}\n{md}\n{end}{b}")


if __name__ == "__main__":
    warnings.filterwarnings("default")
    sys.exit(main())
