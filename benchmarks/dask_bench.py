"""backend="dask" against the in-process run: wall time, memory per worker, overhead per chunk (#21).

Three measurements on the plan model, same seed:

1. summaries (and target counts) of ``--draws`` draws: the in-process numba run against a 2-worker
   ``LocalCluster`` (process workers, one thread each, each running the numba kernel on its
   chunks). The cluster is timed twice: cold (started for the run: worker processes, model build
   and kernel load from the on-disk cache included) and warm (a second run on the same cluster).
   Both are checked to give the same bits as the in-process run. Peak RSS of each worker process
   is read on the workers after the runs; overhead per chunk is (dask wall - in-process wall) /
   chunks on the warm cluster;
2. trajectories to zarr: ``--traj-draws`` draws with every trajectory of the outputs kept and
   streamed by the workers to a store (``keep=True``, ``store=``): bytes written per second of wall
   time, against the disk's write bandwidth (a 1 GiB file written and fsynced in 64 MiB pieces);
3. the per-chunk compute seconds the workers logged in the store (mean), for the overhead.

The machine is shared (2 cores, several jobs): all figures are noisy; repeat runs interleave.

Usage::

    PYTHONPATH=$PWD python benchmarks/dask_bench.py [--draws 1000000] [--traj-draws 200000]
        [--repeats 2] [--json benchmarks/results/dask.json]
    PYTHONPATH=$PWD python benchmarks/dask_bench.py --draws 10000000 --kill-resume 30 90
        [--json benchmarks/results/dask_kill_resume.json]

    PYTHONPATH=$PWD python benchmarks/dask_bench.py --draws 10000000 --pairs 2
        [--json benchmarks/results/dask_pairs_1e7.json]

The third form times the user's two commands, each in a fresh process, interleaved (dask,
in-process, dask, in-process ...) so that the load of other jobs falls on both alike:
``jzsim run --draws N --backend dask --kernel numba --workers 2`` (cluster start, worker imports,
plan build and kernel load included) against ``jzsim run --draws N --backend numba``; with the
1-minute load average before each run, and peak RSS of the command and of each worker.

The second form is the issue's closing check: ``jzsim run --draws N --backend dask --out sweep.zarr``
SIGKILLed after 30 chunks, again after 90, then run to the end, against ``jzsim run --draws N
--backend numba`` (in-process): wall times, peak RSS of the command and of each worker, chunks
computed twice, and whether the stored summaries and target probabilities equal the in-process
run's bit for bit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def disk_write_bandwidth(directory: Path, total: int = 2**30, piece: int = 64 * 2**20) -> float:
    """Bytes per second writing ``total`` bytes of random data to a file in ``directory``, fsynced."""
    buf = np.random.default_rng(0).bytes(piece)
    f = directory / "bandwidth.bin"
    t0 = time.perf_counter()
    with open(f, "wb") as fh:
        for _ in range(total // piece):
            fh.write(buf)
        fh.flush()
        os.fsync(fh.fileno())
    dt = time.perf_counter() - t0
    f.unlink()
    return total / dt


def _rss_peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def same_bits(a, b) -> bool:
    return all(np.array_equal(a[v].values, b[v].values, equal_nan=a[v].dtype.kind == "f") for v in a.data_vars) and set(
        a.data_vars
    ) == set(b.data_vars)


def _tree_rss_mib(pid: int) -> dict[int, float]:
    """Current RSS (MiB) of ``pid`` and each of its descendants (Linux /proc)."""
    import psutil

    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
    except psutil.NoSuchProcess:
        return {}
    out = {}
    for p in procs:
        try:
            out[p.pid] = p.memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            pass
    return out


def _cli(cmd: list[str], kill_after_chunks: int | None, store: Path) -> dict:
    """Run ``cmd``; SIGKILL it once ``kill_after_chunks`` chunks are marked done. Wall time, exit
    code, peak RSS of the command and of each worker process (sampled every 0.2 s)."""
    import signal
    import subprocess

    from jzsim.uncertainty.store import RunStore

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak: dict[int, float] = {}
    killed = False
    while proc.poll() is None:
        for pid, rss in _tree_rss_mib(proc.pid).items():
            peak[pid] = max(peak.get(pid, 0.0), rss)
        if kill_after_chunks is not None and len(RunStore(store).done()) >= kill_after_chunks:
            proc.send_signal(signal.SIGKILL)
            killed = True
        time.sleep(0.2)
    text = proc.stdout.read().decode()
    return {
        "wall_s": time.perf_counter() - t0,
        "returncode": proc.returncode,
        "killed": killed,
        "chunks_done": len(RunStore(store).done()),
        "driver_peak_rss_mib": peak.get(proc.pid, 0.0),
        "worker_peak_rss_mib": sorted(v for k, v in peak.items() if k != proc.pid and v > 100),
        "tail": text.strip().splitlines()[-3:],
    }


def kill_resume(draws: int, kill_at: list[int], directory: Path) -> dict:
    """``jzsim run --draws N --backend dask --out run.zarr`` killed (SIGKILL) after ``kill_at`` chunks,
    resumed to the end; against the in-process numba run of the same command (``--output``)."""
    import sys

    import xarray as xr

    from jzsim.uncertainty.store import RunStore

    store, ref_nc = directory / "sweep.zarr", directory / "ref.nc"
    base = [sys.executable, "-m", "jzsim.cli.main", "run", "--draws", str(draws), "--no-progress"]
    dask_cmd = base + ["--backend", "dask", "--kernel", "numba", "--out", str(store)]
    out: dict = {"draws": draws, "runs": []}
    for k in kill_at:
        out["runs"].append({"kill_after_chunks": k, **_cli(dask_cmd, k, store)})
    out["runs"].append({"kill_after_chunks": None, **_cli(dask_cmd, None, store)})
    out["in_process"] = _cli(base + ["--backend", "numba", "--output", str(ref_nc)], None, store)
    computed = RunStore(store).computed()
    out["chunks"] = len(RunStore(store).done())
    out["chunks_computed_more_than_once"] = sorted({c for c in computed if computed.count(c) > 1})
    got, ref = xr.open_zarr(store), xr.open_dataset(ref_nc)
    names = [v for v in ref.data_vars if v in got and got[v].dims == ref[v].dims]
    out["variables_compared"] = len(names)
    out["same_bits_as_in_process"] = all(
        np.array_equal(ref[v].values, got[v].values, equal_nan=ref[v].dtype.kind == "f") for v in names
    )
    return out


def cli_pairs(draws: int, pairs: int, workers: int, directory: Path) -> dict:
    """``pairs`` x (dask CLI run, in-process numba CLI run), each a fresh process, interleaved."""
    import sys

    base = [sys.executable, "-m", "jzsim.cli.main", "run", "--draws", str(draws), "--no-progress"]
    cmds = {
        "dask": base + ["--backend", "dask", "--kernel", "numba", "--workers", str(workers)],
        "in_process": base + ["--backend", "numba"],
    }
    out: dict = {"draws": draws, "workers": workers, "cpus": os.cpu_count(), "runs": []}
    for i in range(pairs):
        for name, cmd in cmds.items():
            load = os.getloadavg()[0]
            r = _cli(cmd, None, directory / "none.zarr")
            r.pop("chunks_done")
            out["runs"].append({"pair": i, "run": name, "load_1min_before": load, **r})
            print(json.dumps(out["runs"][-1]), flush=True)
    for name in cmds:
        out[f"{name}_wall_s"] = [r["wall_s"] for r in out["runs"] if r["run"] == name]
    out["ratio_per_pair"] = [d / p for d, p in zip(out["dask_wall_s"], out["in_process_wall_s"])]
    out["ratio_of_medians"] = statistics.median(out["dask_wall_s"]) / statistics.median(out["in_process_wall_s"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1_000_000)
    ap.add_argument("--traj-draws", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument(
        "--kill-resume",
        type=int,
        nargs="*",
        default=None,
        metavar="CHUNKS",
        help="instead: the CLI run of --draws to a store, SIGKILLed after these many chunks, resumed",
    )
    ap.add_argument("--pairs", type=int, default=None, help="instead: interleaved CLI pairs (dask, in-process)")
    a = ap.parse_args()
    if a.pairs is not None:
        with tempfile.TemporaryDirectory(prefix="jzsim_pairs_", dir=os.environ.get("JZSIM_BENCH_DIR")) as d:
            res = cli_pairs(a.draws, a.pairs, a.workers, Path(d))
        print(json.dumps(res, indent=1))
        if a.json:
            Path(a.json).write_text(json.dumps(res, indent=1) + "\n")
        return
    if a.kill_resume is not None:
        with tempfile.TemporaryDirectory(prefix="jzsim_kill_", dir=os.environ.get("JZSIM_BENCH_DIR")) as d:
            res = kill_resume(a.draws, a.kill_resume, Path(d))
        print(json.dumps(res, indent=1))
        if a.json:
            Path(a.json).write_text(json.dumps(res, indent=1) + "\n")
        return

    from distributed import Client, LocalCluster

    import jzsim
    from jzsim.uncertainty.store import RunStore

    common = dict(seed=1, progress=False)
    ex_kw = dict(kernel_backend="numba", chunk_size=a.chunk_size)
    jzsim.monte_carlo(4096, backend="numba", **common)  # compile or load the kernel once, in this process
    out: dict = {"draws": a.draws, "workers": a.workers, "cpus": os.cpu_count(), "load_1min": os.getloadavg()[0]}

    # cold: a LocalCluster started (and closed) by the run itself
    t0 = time.perf_counter()
    cold = jzsim.monte_carlo(
        a.draws, backend="dask", execution=jzsim.DaskExecution(n_workers=a.workers, **ex_kw), **common
    )
    out["dask_cold_s"] = time.perf_counter() - t0
    out["chunks"] = int(cold.attrs["chunks"])

    times: dict[str, list[float]] = {"in_process_numba_s": [], "dask_warm_s": []}
    with LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            ex = jzsim.DaskExecution(client=client, **ex_kw)
            jzsim.monte_carlo(4096, backend="dask", execution=ex, **common)  # workers build the plan
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                ref = jzsim.monte_carlo(a.draws, backend="numba", **common)
                times["in_process_numba_s"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                ds = jzsim.monte_carlo(a.draws, backend="dask", execution=ex, **common)
                times["dask_warm_s"].append(time.perf_counter() - t0)
            out["same_bits_as_in_process"] = bool(same_bits(ref, ds) and same_bits(ref, cold))
            out["worker_peak_rss_mib_summaries"] = sorted(client.run(_rss_peak_mib).values())

            # trajectories streamed to zarr by the workers
            tmp = Path(tempfile.mkdtemp(prefix="jzsim_dask_bench_", dir=os.environ.get("JZSIM_BENCH_DIR")))
            try:
                store = tmp / "traj.zarr"
                ex_store = jzsim.DaskExecution(client=client, store=store, **ex_kw)
                t0 = time.perf_counter()
                traj = jzsim.monte_carlo(a.traj_draws, backend="dask", keep=True, execution=ex_store, **common)
                dt = time.perf_counter() - t0
                nbytes = sum(traj[v].nbytes for v in traj.data_vars if v.endswith("_draws"))
                on_disk = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
                secs = [json.loads(x)["seconds"] for x in (store / "_jzsim" / "log.jsonl").read_text().splitlines()]
                out.update(
                    traj_draws=a.traj_draws,
                    traj_wall_s=dt,
                    traj_bytes=int(nbytes),
                    traj_bytes_on_disk=int(on_disk),
                    traj_mb_per_s=nbytes / dt / 1e6,
                    traj_chunks=len(RunStore(store).done()),
                    traj_chunk_compute_s_mean=statistics.mean(secs),
                    worker_peak_rss_mib_after_trajectories=sorted(client.run(_rss_peak_mib).values()),
                    disk_write_mb_per_s=disk_write_bandwidth(tmp) / 1e6,
                )
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    for k, v in times.items():
        out[k] = statistics.median(v)
        out[k + "_all"] = v
    out["dask_warm_over_in_process"] = out["dask_warm_s"] / out["in_process_numba_s"]
    out["overhead_per_chunk_s"] = (out["dask_warm_s"] - out["in_process_numba_s"]) / out["chunks"]
    out["in_process_peak_rss_mib"] = _rss_peak_mib()
    print(json.dumps(out, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
